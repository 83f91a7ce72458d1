//! `/admin/wecom`: setting up the firm's WeCom app step by step, as the manual's 使用前设置 does.
//! Also serves uploaded `WW_verify_*.txt` files at the site root.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::error::AppResult;
use crate::services::wecom_setup::{self, AppInput, Check, SetupView};
use crate::state::AppState;
use crate::web::admin::Chrome;
use crate::web::admin::common::{ip, read_upload, see_other};
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors::BackOfficeEmployee;

const HERE: &str = "/admin/wecom";

#[derive(Template, WebTemplate)]
#[template(path = "admin/wecom.html")]
pub struct SetupPage {
    chrome: Chrome,
    v: SetupView,
    /// Token and EncodingAESKey to put in the form (freshly generated or stored).
    token: String,
    aes_key: String,
    generated: bool,
    checks: Option<Vec<Check>>,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SetupQuery {
    #[serde(default)]
    generate: Option<String>,
    #[serde(default)]
    saved: Option<String>,
}

async fn page(
    state: &AppState,
    me: &BackOfficeEmployee,
    csrf: String,
    generate: bool,
) -> AppResult<SetupPage> {
    let v = wecom_setup::view(state, me).await?;
    let stored = v
        .app
        .as_ref()
        .map(|a| (a.token.clone(), a.encoding_aes_key.clone()))
        .filter(|(t, k)| !t.is_empty() && !k.is_empty());
    let generated = generate || stored.is_none();
    let (token, aes_key) = match stored {
        Some(pair) if !generate => pair,
        _ => wecom_setup::generate_keys(),
    };
    Ok(SetupPage {
        chrome: Chrome::new(me, HERE, csrf),
        v,
        token,
        aes_key,
        generated,
        checks: None,
        saved: false,
        error: None,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    query: web::Query<SetupQuery>,
) -> AppResult<SetupPage> {
    let mut p = page(&state, &me, csrf.0, query.generate.is_some()).await?;
    p.saved = query.saved.is_some();
    Ok(p)
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    corp_id: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    encoding_aes_key: String,
}

impl WithCsrf for SetupForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn save_corp(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    wecom_setup::set_corp_id(&state, &me, ip(&req), &form.corp_id).await?;
    Ok(see_other(format!("{HERE}?saved=1")))
}

pub async fn save_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    form: CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let form = form.0;
    wecom_setup::save_app(
        &state,
        &me,
        ip(&req),
        AppInput {
            agent_id: form.agent_id,
            secret: form.secret,
            token: form.token,
            encoding_aes_key: form.encoding_aes_key,
        },
    )
    .await?;
    Ok(see_other(format!("{HERE}?saved=1#test")))
}

pub async fn test(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    csrf: CsrfToken,
    _form: CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let mut p = page(&state, &me, csrf.0, false).await?;
    let status = match wecom_setup::test_connection(&state, &me).await {
        Ok(checks) => {
            let ok = checks.iter().all(|c| c.ok);
            p.checks = Some(checks);
            if ok {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
        Err(e @ crate::error::AppError::Validation(_)) => {
            p.error = Some(e.public_message());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e) => return Err(e),
    };
    Ok(p.customize()
        .with_status(status)
        .respond_to(&req)
        .map_into_boxed_body())
}

pub async fn upload_verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: BackOfficeEmployee,
    payload: actix_multipart::Multipart,
) -> AppResult<HttpResponse> {
    let upload = read_upload(&req, payload, 4096).await?;
    let name = upload.file_name.unwrap_or_default();
    wecom_setup::upload_verify_file(&state, &me, ip(&req), &name, &upload.file).await?;
    Ok(see_other(format!("{HERE}?saved=1#verify")))
}

/// `GET /WW_verify_xxx.txt`: the domain-check file a firm uploaded.
pub async fn serve_verify(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    match wecom_setup::verify_file(&state, &path.into_inner()).await? {
        Some(content) => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(content)),
        None => Err(crate::error::AppError::NotFound("文件不存在".into())),
    }
}
