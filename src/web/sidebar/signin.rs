//! Sidebar sign-in: `/sidebar/signin` sends the member to WeCom's OAuth page, WeCom sends them
//! back to `/sidebar/oauth/callback` with a one-time code, and a bound member gets a session.
//! The OAuth `state` travels in a short-lived signed cookie, so only the browser that started the
//! sign-in can finish it.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::{Deserialize, Serialize};

use super::{client_addr, client_ip, random_text, redirect, user_agent};
use crate::db::entities::web_session;
use crate::error::{AppError, AppResult};
use crate::services::sessions;
use crate::services::signin::{self, OAuthOutcome};
use crate::state::AppState;
use crate::web::csrf::{CsrfForm, WithCsrf};
use crate::web::{cookies, extractors};

pub(super) const OAUTH_COOKIE: &str = "zf_oauth";
/// WeCom OAuth codes live 5 minutes; the state cookie a little longer.
const OAUTH_COOKIE_SECONDS: i64 = 600;

/// What survives the round trip through WeCom's authorize page.
#[derive(Serialize, Deserialize)]
struct OAuthState {
    state: String,
    corp_id: String,
    firm_id: i64,
    return_to: String,
    expires: i64,
}

/// Only our own sidebar pages are valid places to return to after sign-in.
fn safe_return_to(path_and_query: &str) -> String {
    let ours = path_and_query.starts_with("/sidebar")
        && !path_and_query.starts_with("/sidebar/oauth")
        && !path_and_query.starts_with("/sidebar/signin")
        && !path_and_query.contains("//")
        && !path_and_query.contains('\\');
    if ours {
        path_and_query.to_string()
    } else {
        "/sidebar".to_string()
    }
}

#[derive(Deserialize)]
pub struct SigninQuery {
    next: Option<String>,
    corp_id: Option<String>,
}

/// `GET /sidebar/signin?next=…`: start WeCom sign-in, coming back to `next`.
pub async fn begin(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<SigninQuery>,
) -> AppResult<HttpResponse> {
    let corp = query.corp_id.as_deref().filter(|c| !c.is_empty());
    start(
        &state,
        &req,
        corp,
        query.next.as_deref().unwrap_or("/sidebar"),
    )
    .await
}

/// Redirects to WeCom's authorize page with a fresh state cookie.
pub async fn start(
    state: &AppState,
    req: &HttpRequest,
    corp_id: Option<&str>,
    return_to: &str,
) -> AppResult<HttpResponse> {
    state.signin_limits.check(client_addr(req), None)?;
    let firm = signin::resolve_firm(state, corp_id).await?;
    let app = state.apps.primary(firm.id).await?;
    let oauth = OAuthState {
        state: random_text(24),
        corp_id: firm.corp_id.clone(),
        firm_id: firm.id,
        return_to: safe_return_to(return_to),
        expires: state.now().timestamp() + OAUTH_COOKIE_SECONDS,
    };
    signin::begin_oauth(state, firm.id, &oauth.state).await?;
    let location = signin::authorize_url(state, &firm.corp_id, &app.agent_id, &oauth.state);
    let mut response = redirect(&location);
    cookies::set_signed(
        state,
        &mut response,
        OAUTH_COOKIE,
        &oauth,
        OAUTH_COOKIE_SECONDS,
    )?;
    Ok(response)
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
        cookies::get_signed(&state, &req, OAUTH_COOKIE).ok_or_else(expired)?;
    let returned = query.state.as_deref().unwrap_or_default();
    let matches = subtle::ConstantTimeEq::ct_eq(pending.state.as_bytes(), returned.as_bytes());
    state
        .signin_limits
        .check(client_addr(&req), Some(pending.firm_id))?;
    if !bool::from(matches) || pending.expires < state.now().timestamp() {
        return Err(expired());
    }
    // The cookie proves the browser; the stored state makes the round trip single-use, so a
    // replayed callback never reaches WeCom.
    if !signin::consume_oauth_state(&state, pending.firm_id, &pending.state).await? {
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
            cookies::set(
                &state,
                &mut r,
                sessions::COOKIE,
                token,
                sessions::IDLE_LIFETIME.num_seconds(),
            )?;
            r
        }
        OAuthOutcome::NeedsBinding { userid } => {
            let mut r = redirect("/sidebar/bind");
            super::bind::start_binding(&state, &mut r, pending.firm_id, userid)?;
            r
        }
    };
    cookies::clear(&state, &mut response, OAUTH_COOKIE)?;
    Ok(response)
}

#[derive(Template, WebTemplate)]
#[template(path = "sidebar/signed_out.html")]
struct SignedOutPage;

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

/// `POST /sidebar/logout`.
pub async fn logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    _form: CsrfForm<LogoutForm>,
) -> AppResult<HttpResponse> {
    if let Some(me) = extractors::current(&state, &req, web_session::Kind::Sidebar).await? {
        sessions::revoke(&state.ctx, &me.session_id, state.now()).await?;
    }
    let mut response = actix_web::Responder::respond_to(SignedOutPage, &req).map_into_boxed_body();
    cookies::clear(&state, &mut response, sessions::COOKIE)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn only_sidebar_pages_are_returned_to() {
        assert_eq!(
            safe_return_to("/sidebar/customers/3/basic?x=1"),
            "/sidebar/customers/3/basic?x=1"
        );
        for bad in [
            "/admin",
            "https://evil.example/sidebar",
            "//evil.example/sidebar",
            "/sidebar/oauth/callback",
            "/sidebar/signin?next=/x",
            "/sidebar/..\\evil",
        ] {
            assert_eq!(safe_return_to(bad), "/sidebar", "{bad}");
        }
    }
}
