//! `/admin/templates`: the firm's message template for each sidebar scene, with a live preview
//! and refusal of placeholders the scene does not know (admins only).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::domain::message_templates::{COMMON, Scene};
use crate::error::{AppError, AppResult};
use crate::services::audit::Who;
use crate::services::message_templates::{self, Template as SceneTemplate};
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
    let notice = query
        .saved
        .as_deref()
        .and_then(Scene::parse)
        .map(|s| format!("「{}」模板已保存", s.label()));
    Ok(TemplatesPage {
        chrome: Chrome::new(&me, "/admin/templates", csrf.0),
        templates,
        notice,
        error: None,
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
            let page = TemplatesPage {
                chrome: Chrome::new(&me, "/admin/templates", csrf.0),
                templates,
                notice: None,
                error: Some((scene.code().to_string(), message)),
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
