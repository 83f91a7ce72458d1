//! The sidebar's sign-in: `/sidebar` → WeCom OAuth → a session, or the one-time binding by phone
//! and SMS code. The sidebar content itself is served to signed-in employees only.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::{Deserialize, Serialize};

use crate::db::entities::web_session;
use crate::error::{AppError, AppResult};
use crate::services::sessions::{self, CurrentEmployee};
use crate::services::signin::{self, OAuthOutcome};
use crate::state::AppState;
use crate::web::cookies;

const OAUTH_COOKIE: &str = "zf_oauth";
const BIND_COOKIE: &str = "zf_bind";
/// WeCom OAuth codes live 5 minutes; the state cookie a little longer.
const OAUTH_COOKIE_SECONDS: i64 = 600;
const BIND_COOKIE_SECONDS: i64 = 1800;

/// What survives the round trip through WeCom's authorize page.
#[derive(Serialize, Deserialize)]
struct OAuthState {
    state: String,
    corp_id: String,
    firm_id: i64,
    return_to: String,
    expires: i64,
}

/// A member WeCom has identified who still has to bind an employee.
#[derive(Serialize, Deserialize)]
struct PendingBinding {
    firm_id: i64,
    userid: String,
    csrf: String,
    expires: i64,
}

fn random_text(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn client_ip(req: &HttpRequest) -> Option<String> {
    req.connection_info()
        .realip_remote_addr()
        .map(str::to_string)
}

fn user_agent(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((LOCATION, to.to_string()))
        .finish()
}

/// Only our own sidebar pages are valid places to return to after sign-in.
fn safe_return_to(path_and_query: &str) -> String {
    if path_and_query.starts_with("/sidebar") && !path_and_query.starts_with("/sidebar/oauth") {
        path_and_query.to_string()
    } else {
        "/sidebar".to_string()
    }
}

pub async fn current_employee(
    state: &AppState,
    req: &HttpRequest,
) -> AppResult<Option<CurrentEmployee>> {
    let Some(cookie) = req.cookie(sessions::COOKIE) else {
        return Ok(None);
    };
    sessions::authenticate(
        &state.db,
        cookie.value(),
        web_session::Kind::Sidebar,
        state.now(),
    )
    .await
}

#[derive(Template)]
#[template(path = "sidebar/shell.html")]
struct ShellPage<'a> {
    me: &'a CurrentEmployee,
    role: &'static str,
    demo: bool,
}

#[derive(Deserialize)]
pub struct SidebarQuery {
    corp_id: Option<String>,
}

/// `GET /sidebar`: the sidebar for a signed-in employee, or the start of WeCom sign-in.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SidebarQuery>,
) -> AppResult<HttpResponse> {
    let wanted = query.corp_id.as_deref().filter(|c| !c.is_empty());
    if let Some(me) = current_employee(&state, &req).await?
        && wanted.is_none_or(|c| c == me.corp_id)
    {
        let role = match me.role {
            crate::db::entities::employee::Role::SuperAdmin => "超级管理员",
            crate::db::entities::employee::Role::Admin => "管理员",
            crate::db::entities::employee::Role::Staff => "职员",
        };
        let page = ShellPage {
            me: &me,
            role,
            demo: state.settings.demo.enabled,
        };
        return Ok(html(page.render().map_err(AppError::internal)?));
    }
    let firm = signin::resolve_firm(&state, wanted).await?;
    let app = state.wecom.app(&state.db, &state.secrets, firm.id).await?;
    let oauth = OAuthState {
        state: random_text(24),
        corp_id: firm.corp_id.clone(),
        firm_id: firm.id,
        return_to: safe_return_to(&req.uri().to_string()),
        expires: Utc::now().timestamp() + OAUTH_COOKIE_SECONDS,
    };
    let signed =
        cookies::sign(&state.session_key, &oauth).ok_or_else(|| AppError::internal("signing"))?;
    let location = signin::authorize_url(&state, &firm.corp_id, &app.agent_id, &oauth.state);
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, location))
        .cookie(cookies::build(
            &state,
            OAUTH_COOKIE,
            signed,
            OAUTH_COOKIE_SECONDS,
        ))
        .finish())
}

#[derive(Deserialize)]
pub struct OAuthCallback {
    code: Option<String>,
    state: Option<String>,
}

/// `GET /sidebar/oauth/callback`: WeCom sends the member back here with a one-time code.
pub async fn oauth_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<OAuthCallback>,
) -> AppResult<HttpResponse> {
    let expired = || AppError::BadRequest("登录已超时或来源无效，请关闭后重新打开侧边栏".into());
    let pending: OAuthState =
        cookies::read_signed(&state, &req, OAUTH_COOKIE).ok_or_else(expired)?;
    let returned = query.state.as_deref().unwrap_or_default();
    let matches = subtle::ConstantTimeEq::ct_eq(pending.state.as_bytes(), returned.as_bytes());
    if !bool::from(matches) || pending.expires < Utc::now().timestamp() {
        return Err(expired());
    }
    let code = query
        .code
        .as_deref()
        .ok_or_else(|| AppError::Forbidden("您未同意授权，无法使用侧边栏".into()))?;
    let outcome = signin::finish_oauth(
        &state,
        pending.firm_id,
        code,
        client_ip(&req),
        user_agent(&req),
    )
    .await?;
    let mut response = match outcome {
        OAuthOutcome::SignedIn { token } => {
            let mut r = redirect(&pending.return_to);
            r.add_cookie(&cookies::build(
                &state,
                sessions::COOKIE,
                token,
                sessions::IDLE_LIFETIME.num_seconds(),
            ))
            .map_err(AppError::internal)?;
            r
        }
        OAuthOutcome::NeedsBinding { userid } => {
            let binding = PendingBinding {
                firm_id: pending.firm_id,
                userid,
                csrf: random_text(32),
                expires: Utc::now().timestamp() + BIND_COOKIE_SECONDS,
            };
            let signed = cookies::sign(&state.session_key, &binding)
                .ok_or_else(|| AppError::internal("signing"))?;
            let mut r = redirect("/sidebar/bind");
            r.add_cookie(&cookies::build(
                &state,
                BIND_COOKIE,
                signed,
                BIND_COOKIE_SECONDS,
            ))
            .map_err(AppError::internal)?;
            r
        }
    };
    response
        .add_cookie(&cookies::removal(&state, OAUTH_COOKIE))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Template)]
#[template(path = "sidebar/bind.html")]
struct BindPage<'a> {
    userid: &'a str,
    csrf: &'a str,
    phone: &'a str,
    notice: Option<String>,
    error: Option<String>,
    demo_code: Option<String>,
}

fn pending_binding(state: &AppState, req: &HttpRequest) -> AppResult<PendingBinding> {
    cookies::read_signed::<PendingBinding>(state, req, BIND_COOKIE)
        .filter(|b| b.expires >= Utc::now().timestamp())
        .ok_or_else(|| AppError::BadRequest("绑定已超时，请关闭后重新打开侧边栏".into()))
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn render_bind(page: BindPage<'_>, failed: bool) -> AppResult<HttpResponse> {
    let body = page.render().map_err(AppError::internal)?;
    let mut response = html(body);
    if failed {
        *response.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /sidebar/bind`: the one-time binding form.
pub async fn bind_form(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    render_bind(
        BindPage {
            userid: &binding.userid,
            csrf: &binding.csrf,
            phone: "",
            notice: None,
            error: None,
            demo_code: None,
        },
        false,
    )
}

#[derive(Deserialize)]
pub struct BindForm {
    phone: String,
    #[serde(default)]
    code: String,
    csrf: String,
}

fn check_csrf(binding: &PendingBinding, form: &BindForm) -> AppResult<()> {
    let same = subtle::ConstantTimeEq::ct_eq(binding.csrf.as_bytes(), form.csrf.as_bytes());
    if bool::from(same) {
        Ok(())
    } else {
        Err(AppError::Forbidden("页面已过期，请刷新后重试".into()))
    }
}

/// A refusal the person can fix on the same form, rather than an error page.
fn is_form_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Validation(_)
            | AppError::Conflict(_)
            | AppError::TooManyRequests(_)
            | AppError::Forbidden(_)
            | AppError::Unavailable(_)
    )
}

/// `POST /sidebar/bind/code`: send the SMS code.
pub async fn send_code(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<BindForm>,
) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    check_csrf(&binding, &form)?;
    let result =
        signin::send_binding_code(&state, binding.firm_id, &binding.userid, &form.phone).await;
    let mut page = BindPage {
        userid: &binding.userid,
        csrf: &binding.csrf,
        phone: &form.phone,
        notice: None,
        error: None,
        demo_code: None,
    };
    match result {
        Ok(sent) => {
            page.notice = Some(format!(
                "验证码已发送至 {}，5分钟内有效",
                crate::sms::mask_phone(&sent.phone)
            ));
            page.demo_code = sent.shown_code;
            render_bind(page, false)
        }
        Err(e) if is_form_error(&e) => {
            page.error = Some(e.public_message());
            render_bind(page, true)
        }
        Err(e) => Err(e),
    }
}

/// `POST /sidebar/bind`: check the code, bind, sign in.
pub async fn bind(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<BindForm>,
) -> AppResult<HttpResponse> {
    let binding = pending_binding(&state, &req)?;
    check_csrf(&binding, &form)?;
    let result = signin::complete_binding(
        &state,
        binding.firm_id,
        &binding.userid,
        &form.phone,
        &form.code,
        client_ip(&req),
        user_agent(&req),
    )
    .await;
    match result {
        Ok(token) => {
            let mut response = redirect("/sidebar");
            response
                .add_cookie(&cookies::build(
                    &state,
                    sessions::COOKIE,
                    token,
                    sessions::IDLE_LIFETIME.num_seconds(),
                ))
                .map_err(AppError::internal)?;
            response
                .add_cookie(&cookies::removal(&state, BIND_COOKIE))
                .map_err(AppError::internal)?;
            Ok(response)
        }
        Err(e) if is_form_error(&e) => render_bind(
            BindPage {
                userid: &binding.userid,
                csrf: &binding.csrf,
                phone: &form.phone,
                notice: None,
                error: Some(e.public_message()),
                demo_code: None,
            },
            true,
        ),
        Err(e) => Err(e),
    }
}

/// `POST /sidebar/logout`.
pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if let Some(me) = current_employee(&state, &req).await? {
        sessions::revoke(&state.db, &me.session_id, state.now()).await?;
    }
    let mut response = html(
        "<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
         <link rel=stylesheet href=/static/css/app.css><main><section class=card><p>已退出登录。</p>\
         <p><a href=/sidebar>重新登录</a></p></section></main>"
            .to_string(),
    );
    response
        .add_cookie(&cookies::removal(&state, sessions::COOKIE))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct SignRequest {
    url: String,
    corp_id: Option<String>,
}

/// `POST /wecom/jssdk/sign`: signatures for `wx.config` and `wx.agentConfig`.
pub async fn jssdk_sign(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<SignRequest>,
) -> AppResult<HttpResponse> {
    let firm_id = match current_employee(&state, &req).await? {
        Some(me) => me.firm_id,
        None => {
            signin::resolve_firm(&state, body.corp_id.as_deref())
                .await?
                .id
        }
    };
    let signed = crate::services::jssdk::sign(&state, firm_id, &body.url).await?;
    Ok(HttpResponse::Ok().json(signed))
}
