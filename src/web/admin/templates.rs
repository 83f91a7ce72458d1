//! `/admin/templates`: the firm's message template for each sidebar scene, with a live preview
//! and refusal of placeholders the scene does not know, and 收据设置 — the seal drawn on the
//! firm's receipt images (admins only).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::domain::message_templates::{COMMON, Scene};
use crate::error::{AppError, AppResult};
use crate::services::audit::Who;
use crate::services::message_templates::{self, Template as SceneTemplate};
use crate::services::receipt_seal;
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;

#[derive(Template, WebTemplate)]
#[template(path = "admin/templates.html")]
pub struct TemplatesPage {
    chrome: Chrome,
    templates: Vec<SceneTemplate>,
    notice: Option<String>,
    error: Option<(String, String)>,
    /// Whether the firm has a receipt seal, and what went wrong with the last upload.
    has_seal: bool,
    seal_error: Option<String>,
}

impl TemplatesPage {
    fn placeholders(&self, scene: &Scene) -> String {
        COMMON
            .iter()
            .chain(scene.placeholders().iter())
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
    fn error_for(&self, scene: &Scene) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(s, _)| s == scene.code())
            .map(|(_, e)| e.as_str())
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    saved: Option<String>,
    seal: Option<String>,
}

fn scene(code: &str) -> AppResult<Scene> {
    Scene::parse(code).ok_or_else(|| AppError::NotFound("没有这种发送场景".into()))
}

pub async fn list(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<ListQuery>,
) -> AppResult<TemplatesPage> {
    let templates = message_templates::all(&state.ctx, &me).await?;
    let notice = match query.seal.as_deref() {
        Some("saved") => Some("收据印章已保存，之后生成的收据图片将加盖此章".to_string()),
        Some("opaque") => Some(
            "收据印章已保存。图片没有透明背景，会遮住下面的文字，建议上传透明背景的PNG".to_string(),
        ),
        Some("removed") => Some("收据印章已删除".to_string()),
        _ => query
            .saved
            .as_deref()
            .and_then(Scene::parse)
            .map(|s| format!("「{}」模板已保存", s.label())),
    };
    let has_seal = receipt_seal::get(&state.ctx, me.firm_id).await?.is_some();
    Ok(TemplatesPage {
        chrome: Chrome::new(&me, "/admin/templates", csrf.0),
        templates,
        notice,
        error: None,
        has_seal,
        seal_error: None,
    })
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    body: String,
    /// Set to go back to our default wording.
    #[serde(default)]
    reset: Option<String>,
}

impl WithCsrf for SaveForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    path: web::Path<String>,
    form: CsrfForm<SaveForm>,
) -> AppResult<HttpResponse> {
    let scene = scene(&path)?;
    let who = Who::employee(&me, crate::web::sidebar::request_ip(&req));
    let body = if form.reset.is_some() {
        None
    } else {
        Some(form.body.as_str())
    };
    match message_templates::save(&state.ctx, &me, &who, scene, body).await {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((
                "location",
                format!("/admin/templates?saved={}", scene.code()),
            ))
            .finish()),
        Err(AppError::Validation(message)) => {
            let mut templates = message_templates::all(&state.ctx, &me).await?;
            if let Some(t) = templates.iter_mut().find(|t| t.scene == scene) {
                t.body = form.body.clone();
            }
            let has_seal = receipt_seal::get(&state.ctx, me.firm_id).await?.is_some();
            let page = TemplatesPage {
                chrome: Chrome::new(&me, "/admin/templates", csrf.0),
                templates,
                notice: None,
                error: Some((scene.code().to_string(), message)),
                has_seal,
                seal_error: None,
            };
            use actix_web::Responder;
            Ok(page
                .customize()
                .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
                .respond_to(&req)
                .map_into_boxed_body())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "admin/template_preview.html")]
struct PreviewView {
    text: Option<String>,
    error: Option<String>,
}

/// `POST /admin/templates/{scene}/preview`: the body with example values (htmx, live).
pub async fn preview(
    me: BackOfficeEmployee,
    path: web::Path<String>,
    form: CsrfForm<SaveForm>,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let scene = scene(&path)?;
    let view = match message_templates::preview(scene, &form.body) {
        Ok(text) => PreviewView {
            text: Some(text),
            error: None,
        },
        Err(AppError::Validation(e)) => PreviewView {
            text: None,
            error: Some(e),
        },
        Err(e) => return Err(e),
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(view.render().map_err(AppError::internal)?))
}

fn back_with(seal: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            "location",
            format!("/admin/templates?seal={seal}#receipt-seal"),
        ))
        .finish()
}

/// `POST /admin/receipt-seal`: keeps the uploaded seal (multipart: `csrf`, `seal`). A refused
/// file answers the page with the reason.
pub async fn seal_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let upload =
        crate::web::admin::common::read_upload(&req, payload, receipt_seal::MAX_BYTES + 64 * 1024)
            .await?;
    let who = Who::employee(&me, crate::web::sidebar::request_ip(&req));
    match receipt_seal::save(&state.ctx, &me, &who, &upload.file).await {
        Ok(true) => Ok(back_with("saved")),
        Ok(false) => Ok(back_with("opaque")),
        Err(e @ AppError::Validation(_)) => {
            let templates = message_templates::all(&state.ctx, &me).await?;
            let has_seal = receipt_seal::get(&state.ctx, me.firm_id).await?.is_some();
            let page = TemplatesPage {
                chrome: Chrome::new(&me, "/admin/templates", csrf.0),
                templates,
                notice: None,
                error: None,
                has_seal,
                seal_error: Some(e.public_message()),
            };
            use actix_web::Responder;
            Ok(page
                .customize()
                .with_status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
                .respond_to(&req)
                .map_into_boxed_body())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct RemoveSealForm {
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for RemoveSealForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

/// `POST /admin/receipt-seal/remove`: receipts are drawn without a seal again.
pub async fn seal_remove(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    _form: CsrfForm<RemoveSealForm>,
) -> AppResult<HttpResponse> {
    let who = Who::employee(&me, crate::web::sidebar::request_ip(&req));
    receipt_seal::remove(&state.ctx, &me, &who).await?;
    Ok(back_with("removed"))
}

/// `GET /admin/receipt-seal.png`: the firm's seal, for the admin to see what receipts carry.
pub async fn seal_png(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
) -> AppResult<HttpResponse> {
    me.require_admin()?;
    let png = receipt_seal::get(&state.ctx, me.firm_id)
        .await?
        .ok_or_else(|| AppError::NotFound("尚未上传收据印章".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/png")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(png))
}
