//! The REST API under `/api/v1`: per-firm keys (`Authorization: Bearer KEY`), JSON in and out,
//! errors as `{"error", "message", "details"}`. Every resource is mounted from one list
//! ([`each_resource`]) that also writes the OpenAPI document, so the two cannot drift apart.

pub mod docs;
pub mod idempotency;
pub mod openapi;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{AppError, AppResult, FieldError};
use crate::services::api::resources::{
    collections::Collections, contacts::Contacts, contracts::Contracts, customers::Customers,
    filings::Filings, invoices::Invoices, missing_invoices::MissingInvoices, payments::Payments,
    receivables::Receivables, statements::Statements, tags::Tags,
};
use crate::services::api::{self as api, ApiResource, ListQuery};
use crate::services::api_keys::{self, ApiCaller};
use crate::state::AppState;

/// Request bodies at most this large (a batch of 1,000 rows fits).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Something that is handed every resource type in turn.
pub trait ResourceVisitor {
    fn visit<R: ApiResource>(&mut self)
    where
        <R::Table as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelBehavior + Send,
        R::Model: utoipa::ToSchema,
        R::Input: utoipa::ToSchema;
}

/// The one list of resources the API serves.
pub fn each_resource(v: &mut impl ResourceVisitor) {
    v.visit::<Customers>();
    v.visit::<Contacts>();
    v.visit::<Contracts>();
    v.visit::<Receivables>();
    v.visit::<Payments>();
    v.visit::<Invoices>();
    v.visit::<Collections>();
    v.visit::<MissingInvoices>();
    v.visit::<Filings>();
    v.visit::<Statements>();
    v.visit::<Tags>();
}

struct Mount<'a>(&'a mut web::ServiceConfig);

impl ResourceVisitor for Mount<'_> {
    fn visit<R: ApiResource>(&mut self)
    where
        <R::Table as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelBehavior + Send,
    {
        let name = R::PATH;
        self.0
            .route(&format!("/{name}"), web::get().to(list::<R>))
            .route(&format!("/{name}"), web::post().to(create::<R>))
            .route(&format!("/{name}:batch"), web::post().to(batch::<R>))
            .route(&format!("/{name}/{{id}}"), web::get().to(get::<R>))
            .route(&format!("/{name}/{{id}}"), web::put().to(replace::<R>))
            .route(&format!("/{name}/{{id}}"), web::delete().to(delete::<R>));
    }
}

/// The API's URL map, mounted under `/api/v1`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _| invalid("query", format!("查询参数有误：{err}")).into()),
        )
        .route("/openapi.json", web::get().to(openapi::serve))
        .route("/docs", web::get().to(docs::show))
        .route("/changes", web::get().to(changes));
    each_resource(&mut Mount(cfg));
    cfg.default_service(web::to(|| async {
        Err::<HttpResponse, _>(AppError::NotFound(
            "没有这个 API 路径，见 /api/v1/docs".to_string(),
        ))
    }));
}

fn invalid(field: &str, message: String) -> AppError {
    AppError::Invalid {
        message: "请求数据有误".to_string(),
        details: vec![FieldError::new(field, message)],
    }
}

/// The caller behind `Authorization: Bearer KEY`, within its rate limit.
pub struct ApiClient(pub ApiCaller);

impl FromRequest for ApiClient {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("app state missing"))?;
            let key = req
                .headers()
                .get(AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .ok_or_else(|| {
                    AppError::ApiKey(
                        "缺少 API 密钥：请在请求头中发送 Authorization: Bearer KEY".to_string(),
                    )
                })?;
            let caller = api_keys::authenticate(state, key)
                .await?
                .ok_or_else(|| AppError::ApiKey("API 密钥无效或已吊销".to_string()))?;
            state.api_limits.check(caller.key_id)?;
            Ok(Self(caller))
        })
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> AppResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        invalid(
            "body",
            format!("JSON 有误（第 {} 行第 {} 列）：{e}", e.line(), e.column()),
        )
    })
}

fn json(status: StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status).json(body)
}

async fn list<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let page = api::list::<R>(&state, &caller, &query).await?;
    Ok(json(StatusCode::OK, &page))
}

async fn get<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let row = api::get::<R>(&state, &caller, *id).await?;
    Ok(json(StatusCode::OK, &row))
}

async fn create<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse>
where
    <R::Table as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelBehavior + Send,
{
    // Who may write comes before what was written.
    api::require(&caller, R::RESOURCE, true)?;
    idempotency::once(&state, &caller, &req, &body, || async {
        let input: R::Input = parse(&body)?;
        let (row, outcome) = api::upsert::<R>(&state, &caller, input).await?;
        let status = match outcome {
            api::Outcome::Created => StatusCode::CREATED,
            _ => StatusCode::OK,
        };
        Ok(json(status, &row))
    })
    .await
}

async fn replace<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse>
where
    <R::Table as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelBehavior + Send,
{
    api::require(&caller, R::RESOURCE, true)?;
    let input: R::Input = parse(&body)?;
    let (row, _) = api::replace::<R>(&state, &caller, *id, input).await?;
    Ok(json(StatusCode::OK, &row))
}

async fn delete<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    api::delete::<R>(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `{"rows": [...]}`.
#[derive(Deserialize)]
struct Batch<T> {
    rows: Vec<T>,
}

async fn batch<R: ApiResource>(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    req: HttpRequest,
    body: web::Bytes,
) -> AppResult<HttpResponse>
where
    <R::Table as sea_orm::EntityTrait>::ActiveModel: sea_orm::ActiveModelBehavior + Send,
{
    api::require(&caller, R::RESOURCE, true)?;
    idempotency::once(&state, &caller, &req, &body, || async {
        let input: Batch<serde_json::Value> = parse(&body)?;
        // Rows are decoded one by one so that a malformed row is reported with its number.
        let mut rows = Vec::with_capacity(input.rows.len());
        let mut errors = Vec::new();
        for (i, value) in input.rows.into_iter().enumerate() {
            match serde_json::from_value::<R::Input>(value) {
                Ok(row) => rows.push(row),
                Err(e) => errors.push(FieldError::new("", e.to_string()).at_row(i)),
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid {
                message: format!("{} 行格式有误，整批未保存", errors.len()),
                details: errors,
            });
        }
        let done = api::batch::<R>(&state, &caller, rows).await?;
        Ok(json(StatusCode::OK, &serde_json::json!({ "rows": done })))
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// The `next_cursor` of the previous call; absent or empty to start from the beginning.
    pub cursor: Option<String>,
    /// Changes per call, 1–500 (default 100).
    pub limit: Option<u64>,
}

async fn changes(
    state: web::Data<AppState>,
    ApiClient(caller): ApiClient,
    query: web::Query<ChangesQuery>,
) -> AppResult<HttpResponse> {
    let page = api::changes::list(&state, &caller, query.cursor.as_deref(), query.limit).await?;
    Ok(json(StatusCode::OK, &page))
}
