//! HTTP: the top of the URL map (each area — sidebar, back office — lists its own routes), plus
//! the middleware every response passes through.
//!
//! Handlers stay thin: parse the request, call one service function, render one template.

pub mod admin;
pub mod api;
pub mod assets;
pub mod client_ip;
pub mod cookies;
pub mod csrf;
pub mod demo;
pub mod error_pages;
pub mod extractors;
pub mod form_fields;
pub mod health;
pub mod home;
pub mod jssdk;
pub mod labels;
pub mod limits;
pub mod sidebar;
pub mod wecom_callback;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::web;

use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::show))
        .route("/healthz", web::get().to(health::check))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/sandbox", web::get().to(demo::show))
        .service(
            web::scope("/sidebar")
                .wrap(actix_web::middleware::from_fn(csrf::middleware))
                .wrap(no_store())
                .configure(sidebar::routes),
        )
        .service(
            web::scope("/admin")
                .wrap(actix_web::middleware::from_fn(csrf::middleware))
                .wrap(no_store())
                .configure(admin::routes),
        )
        .service(web::scope("/api/v1").configure(api::routes))
        .service(
            web::resource("/wecom/jssdk/sign")
                .app_data(json_limit(jssdk::MAX_BODY_BYTES))
                .route(web::post().to(jssdk::sign)),
        )
        .service(
            web::resource("/wecom/callback/{corp_id}")
                .route(web::get().to(wecom_callback::verify))
                .route(web::post().to(wecom_callback::receive)),
        )
        .service(
            web::resource("/wecom/callback/{corp_id}/{agent_id}")
                .route(web::get().to(wecom_callback::verify_agent))
                .route(web::post().to(wecom_callback::receive_agent)),
        )
        .route(
            "/{file:WW_verify_[A-Za-z0-9]+\\.txt}",
            web::get().to(admin::wecom::serve_verify),
        )
        .default_service(web::to(not_found));
}

/// A JSON body limit whose refusal is our error, not actix's plain text.
fn json_limit(bytes: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(bytes)
        .error_handler(|err, _| {
            let message = match err {
                actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
                | actix_web::error::JsonPayloadError::Overflow { .. } => {
                    return AppError::PayloadTooLarge("提交的内容太大".into()).into();
                }
                other => format!("请求格式不正确：{other}"),
            };
            AppError::BadRequest(message).into()
        })
}

/// Pages of signed-in people must not be kept by browsers or proxies.
fn no_store() -> DefaultHeaders {
    DefaultHeaders::new().add((CACHE_CONTROL, "no-store"))
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound("页面不存在".into()))
}

/// WeCom opens our pages as top-level pages in its webview, so no other origin needs to frame
/// them; refusing framing rules out clickjacking of the sidebar's one-tap actions.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "same-origin"))
        .add(("X-Frame-Options", "SAMEORIGIN"))
        .add(("Content-Security-Policy", "frame-ancestors 'self'"))
}

/// One line per request at debug level: method, path (never the query) and status.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_string();
    let response = next.call(req).await?;
    tracing::debug!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    Ok(response)
}
