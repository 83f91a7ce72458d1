//! Cross-site request forgery protection for the sidebar and the back office, with the `csrf`
//! crate's HMAC double-submit tokens: a signed cookie carries a random value, every page gets a
//! signed token for the same value, and a write must bring the token back — in the form field
//! `csrf` or the `X-CSRF-Token` header (what the sidebar shell sends with every request). Another
//! site can make a browser send the cookie but cannot read the token from our pages.
//!
//! [`middleware`] makes sure the cookie exists and hands handlers the page's token
//! ([`CsrfToken`]); writes check it with [`CsrfForm`] (a form with a `csrf` field) or
//! [`CsrfHeader`] (a header, for fragments, JSON and uploads).

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use csrf::{CsrfProtection, HmacCsrfProtection};
use futures_util::future::LocalBoxFuture;
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::error::AppError;
use crate::state::AppState;

const COOKIE: &str = "zf_csrf";
/// How long a cookie stays good; every page load renews it with the same value, so open pages'
/// tokens keep working.
const TTL_SECONDS: i64 = 24 * 3600;
pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf";

/// The protector, keyed from the cookie-signing key so every instance agrees.
pub struct CsrfKeys(HmacCsrfProtection);

impl CsrfKeys {
    pub fn new(session_key: &[u8]) -> Self {
        let mut key = [0u8; 32];
        if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(session_key) {
            mac.update(b"zhangfang csrf key");
            key.copy_from_slice(&mac.finalize().into_bytes());
        }
        Self(HmacCsrfProtection::from_key(key))
    }

    /// The cookie's value when the cookie is genuine.
    fn cookie_value(&self, cookie: &str) -> Option<[u8; 64]> {
        let bytes = STANDARD.decode(cookie).ok()?;
        let parsed = self.0.parse_cookie(&bytes).ok()?;
        parsed.value().try_into().ok()
    }

    fn verify(&self, cookie: &str, token: &str) -> bool {
        let (Ok(cookie), Ok(token)) = (STANDARD.decode(cookie), STANDARD.decode(token.trim()))
        else {
            return false;
        };
        match (self.0.parse_cookie(&cookie), self.0.parse_token(&token)) {
            (Ok(c), Ok(t)) => self.0.verify_token_pair(&t, &c).is_ok(),
            _ => false,
        }
    }
}

/// The token to put in this page's forms (and in the shell's request header).
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl FromRequest for CsrfToken {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<CsrfToken>()
                .cloned()
                .ok_or_else(|| AppError::internal("CSRF middleware is not installed here")),
        )
    }
}

/// Leaves this page's token in the request for [`CsrfToken`], and on page loads (GET) sets the
/// cookie it belongs to: the same value again with a fresh expiry, or a new one.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let keys = &state.csrf;
    let value =
        crate::web::cookies::get(&state, req.request(), COOKIE).and_then(|c| keys.cookie_value(&c));
    let renew = req.method() == actix_web::http::Method::GET;
    let (token, cookie) = keys
        .0
        .generate_token_pair(value.as_ref(), TTL_SECONDS)
        .map_err(|e| AppError::internal(format!("CSRF token: {e}")))?;
    req.extensions_mut().insert(CsrfToken(token.b64_string()));
    let mut response = next.call(req).await?;
    if renew {
        let cookie =
            crate::web::cookies::build_value(&state, COOKIE, cookie.b64_string(), TTL_SECONDS);
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    Ok(response)
}

fn refused() -> AppError {
    AppError::Forbidden("页面已过期或来源无效，请刷新页面后重试".into())
}

fn check(req: &HttpRequest, token: Option<&str>) -> Result<(), AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal("application state missing"))?;
    let cookie = crate::web::cookies::get(state, req, COOKIE).ok_or_else(refused)?;
    match token {
        Some(token) if state.csrf.verify(&cookie, token) => Ok(()),
        _ => Err(refused()),
    }
}

/// Checks a token read from somewhere else (a multipart upload's `csrf` part).
pub fn check_token(req: &HttpRequest, token: &str) -> Result<(), AppError> {
    check(req, Some(token).filter(|t| !t.is_empty()))
}

/// A write whose token comes in the `X-CSRF-Token` header.
pub struct CsrfHeader;

impl FromRequest for CsrfHeader {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
        ready(check(req, token).map(|()| Self))
    }
}

/// A form that carries its token in a `csrf` field.
pub trait WithCsrf {
    fn csrf(&self) -> &str;
}

/// A urlencoded form whose token (field `csrf`, or the header) was checked.
pub struct CsrfForm<T>(pub T);

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + WithCsrf + 'static> FromRequest for CsrfForm<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let form = web::Form::<T>::from_request(&req, payload);
        Box::pin(async move {
            let form = form
                .await
                .map_err(|e| AppError::BadRequest(format!("表单内容不正确：{e}")))?
                .into_inner();
            let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
            let token = if form.csrf().is_empty() {
                header
            } else {
                Some(form.csrf())
            };
            check(&req, token)?;
            Ok(Self(form))
        })
    }
}

/// Checks a token read from a form the handler parsed itself (forms with repeated fields), or,
/// when the form has none, the `X-CSRF-Token` header.
pub fn check_form(req: &HttpRequest, field: Option<&str>) -> Result<(), AppError> {
    let header = req.headers().get(HEADER).and_then(|v| v.to_str().ok());
    let token = field.filter(|t| !t.is_empty()).or(header);
    check(req, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_with_its_own_cookie_and_key() {
        let keys = CsrfKeys::new(b"0123456789abcdef0123456789abcdef");
        let (token, cookie) = keys.0.generate_token_pair(None, 60).unwrap();
        assert!(keys.verify(&cookie.b64_string(), &token.b64_string()));
        let (other_token, other_cookie) = keys.0.generate_token_pair(None, 60).unwrap();
        assert!(!keys.verify(&cookie.b64_string(), &other_token.b64_string()));
        assert!(!keys.verify(&other_cookie.b64_string(), &token.b64_string()));
        let stranger = CsrfKeys::new(b"another key, another instance set");
        assert!(!stranger.verify(&cookie.b64_string(), &token.b64_string()));
        assert!(!keys.verify(&cookie.b64_string(), "garbage"));
        // A page rendered later with the same cookie value gets a token that still matches.
        let value = keys.cookie_value(&cookie.b64_string()).unwrap();
        let (later, _) = keys.0.generate_token_pair(Some(&value), 60).unwrap();
        assert!(keys.verify(&cookie.b64_string(), &later.b64_string()));
    }
}
