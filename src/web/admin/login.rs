//! `/admin/login`: back-office sign-in with phone and password (`/admin/logout` ends it).

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::db::entities::web_session;
use crate::error::{AppError, AppResult};
use crate::services::backoffice::{self, Attempt, FirmChoice, Outcome};
use crate::services::sessions;
use crate::state::AppState;
use crate::web::cookies;
use crate::web::csrf::{CsrfForm, CsrfToken, WithCsrf};
use crate::web::extractors;

#[derive(Template, WebTemplate)]
#[template(path = "admin/login.html")]
struct LoginPage {
    csrf: String,
    next: String,
    phone: String,
    error: Option<String>,
    firms: Vec<FirmChoice>,
    /// Demo mode shows the demo admin's phone and password.
    demo_hint: Option<(String, String)>,
}

/// Only back-office pages are returned to after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/admin")
                && !n.starts_with("/admin/login")
                && !n.contains("//")
                && !n.contains('\\') =>
        {
            n.to_string()
        }
        _ => "/admin".to_string(),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(query.next.as_deref());
    if extractors::current(&state, &req, web_session::Kind::Admin)
        .await?
        .is_some()
    {
        return Ok(HttpResponse::Found()
            .insert_header((LOCATION, next))
            .finish());
    }
    let page = LoginPage {
        csrf: csrf.0,
        next,
        phone: String::new(),
        error: None,
        firms: Vec::new(),
        demo_hint: crate::services::demo::admin_credentials(&state).await?,
    };
    Ok(page.respond_to(&req).map_into_boxed_body())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default, alias = "mobile")]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    corp_id: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for LoginForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn submit(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: CsrfToken,
    form: CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let next = safe_next(Some(&form.next));
    let ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    state.signin_limits.check(ip, None)?;
    let outcome = backoffice::sign_in(
        &state,
        Attempt {
            phone: &form.phone,
            password: &form.password,
            corp_id: Some(form.corp_id.as_str()).filter(|c| !c.is_empty()),
            ip: ip.map(|ip| ip.to_string()),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        },
    )
    .await;
    let mut page = LoginPage {
        csrf: csrf.0,
        next: next.clone(),
        phone: form.phone.clone(),
        error: None,
        firms: Vec::new(),
        demo_hint: crate::services::demo::admin_credentials(&state).await?,
    };
    match outcome {
        Ok(Outcome::SignedIn { token }) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((LOCATION, next))
                .finish();
            cookies::set(
                &state,
                &mut response,
                sessions::ADMIN_COOKIE,
                token,
                sessions::ADMIN_IDLE_LIFETIME.num_seconds(),
            )?;
            Ok(response)
        }
        Ok(Outcome::ChooseFirm(firms)) => {
            page.firms = firms;
            Ok(page.respond_to(&req).map_into_boxed_body())
        }
        Err(e @ (AppError::Validation(_) | AppError::TooManyRequests(_))) => {
            page.error = Some(e.public_message());
            Ok(page
                .customize()
                .with_status(StatusCode::UNPROCESSABLE_ENTITY)
                .respond_to(&req)
                .map_into_boxed_body())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

impl WithCsrf for LogoutForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: CsrfForm<LogoutForm>,
) -> AppResult<HttpResponse> {
    if let Some(me) = extractors::current(&state, &req, web_session::Kind::Admin).await? {
        sessions::revoke(&state.ctx, &me.session_id, state.now()).await?;
    }
    let mut response = HttpResponse::SeeOther()
        .insert_header((LOCATION, "/admin/login"))
        .finish();
    cookies::clear(&state, &mut response, sessions::ADMIN_COOKIE)?;
    Ok(response)
}

/// What survives the round trip through WeCom's web-login page.
#[derive(serde::Serialize, Deserialize)]
struct WebLoginState {
    state: String,
    firm_id: i64,
    next: String,
    expires: i64,
}

const WEB_LOGIN_COOKIE: &str = "zf_weblogin";
const WEB_LOGIN_SECONDS: i64 = 600;

#[derive(Deserialize)]
pub struct WebLoginQuery {
    corp_id: Option<String>,
    next: Option<String>,
}

/// `GET /admin/login/wecom`: scan the WeCom web-login QR code (the sandbox plays it in the demo).
pub async fn wecom_begin(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<WebLoginQuery>,
) -> AppResult<HttpResponse> {
    let ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    state.signin_limits.check(ip, None)?;
    let firm = crate::services::signin::resolve_firm(&state, query.corp_id.as_deref()).await?;
    let app = state.apps.primary(firm.id).await?;
    let pending = WebLoginState {
        state: {
            use rand::Rng;
            rand::rng()
                .sample_iter(&rand::distr::Alphanumeric)
                .take(24)
                .map(char::from)
                .collect()
        },
        firm_id: firm.id,
        next: safe_next(query.next.as_deref()),
        expires: state.now().timestamp() + WEB_LOGIN_SECONDS,
    };
    crate::services::signin::begin_oauth(&state, firm.id, &pending.state).await?;
    let location = backoffice::web_login_url(&state, &firm.corp_id, &app.agent_id, &pending.state);
    let mut response = HttpResponse::Found()
        .insert_header((LOCATION, location))
        .finish();
    cookies::set_signed(
        &state,
        &mut response,
        WEB_LOGIN_COOKIE,
        &pending,
        WEB_LOGIN_SECONDS,
    )?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct WebLoginCallback {
    code: Option<String>,
    state: Option<String>,
}

/// `GET /admin/login/wecom/callback`: WeCom sends the scanner back with a one-time code.
pub async fn wecom_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<WebLoginCallback>,
) -> AppResult<HttpResponse> {
    let expired = || AppError::BadRequest("扫码登录已超时或来源无效，请重新扫码".into());
    let pending: WebLoginState =
        cookies::get_signed(&state, &req, WEB_LOGIN_COOKIE).ok_or_else(expired)?;
    let ip = crate::web::client_ip::client_ip(&req, &state.settings.server.trusted_proxies);
    state.signin_limits.check(ip, Some(pending.firm_id))?;
    let returned = query.state.as_deref().unwrap_or_default();
    let matches = subtle::ConstantTimeEq::ct_eq(pending.state.as_bytes(), returned.as_bytes());
    if !bool::from(matches) || pending.expires < state.now().timestamp() {
        return Err(expired());
    }
    if !crate::services::signin::consume_oauth_state(&state, pending.firm_id, &pending.state)
        .await?
    {
        return Err(expired());
    }
    let code = query
        .code
        .as_deref()
        .ok_or_else(|| AppError::Forbidden("未完成扫码授权".into()))?;
    let token = backoffice::finish_web_login(
        &state,
        pending.firm_id,
        code,
        ip.map(|ip| ip.to_string()),
        req.headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    )
    .await?;
    let mut response = HttpResponse::SeeOther()
        .insert_header((LOCATION, pending.next))
        .finish();
    cookies::set(
        &state,
        &mut response,
        sessions::ADMIN_COOKIE,
        token,
        sessions::ADMIN_IDLE_LIFETIME.num_seconds(),
    )?;
    cookies::clear(&state, &mut response, WEB_LOGIN_COOKIE)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_back_office_pages_are_returned_to() {
        assert_eq!(
            safe_next(Some("/admin/employees?x=1")),
            "/admin/employees?x=1"
        );
        for bad in [
            None,
            Some("/sidebar"),
            Some("//evil.example/admin"),
            Some("https://evil.example/admin"),
            Some("/admin/login"),
        ] {
            assert_eq!(safe_next(bad), "/admin");
        }
    }
}
