//! Cookies: the session cookie, and short-lived signed cookies that carry sign-in state between
//! requests (the OAuth `state`, the member who is binding) without a server-side table.
//!
//! Signed values are `base64url(json).base64url(HMAC-SHA256(secret_key, json))`; they are
//! HttpOnly and SameSite=Lax, and Secure whenever `public_url` is https.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Sha256;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

fn mac(key: &[u8], payload: &[u8]) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(payload);
    Some(mac)
}

pub fn sign<T: Serialize>(key: &[u8], value: &T) -> Option<String> {
    let json = serde_json::to_vec(value).ok()?;
    let tag = mac(key, &json)?.finalize().into_bytes();
    Some(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(tag)
    ))
}

pub fn verify<T: DeserializeOwned>(key: &[u8], signed: &str) -> Option<T> {
    let (payload, tag) = signed.split_once('.')?;
    let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    mac(key, &json)?.verify_slice(&tag).ok()?;
    serde_json::from_slice(&json).ok()
}

fn secure(state: &AppState) -> bool {
    state.settings.server.public_url.starts_with("https://")
}

/// The name a cookie carries on the wire: on https, `__Host-` pins it to this exact origin
/// (Secure, Path=/, no Domain), so a sibling subdomain cannot plant or overwrite it.
pub fn wire_name(state: &AppState, name: &str) -> String {
    if secure(state) {
        format!("__Host-{name}")
    } else {
        name.to_string()
    }
}

fn build(state: &AppState, name: &str, value: String, max_age_seconds: i64) -> Cookie<'static> {
    Cookie::build(wire_name(state, name), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure(state))
        .max_age(CookieDuration::seconds(max_age_seconds))
        .finish()
}

/// A cookie as [`set`] would send it, for a response built elsewhere.
pub fn build_value(
    state: &AppState,
    name: &str,
    value: String,
    max_age_seconds: i64,
) -> Cookie<'static> {
    build(state, name, value, max_age_seconds)
}

/// Sets a cookie on a response (HttpOnly, SameSite=Lax, Secure on https).
pub fn set(
    state: &AppState,
    response: &mut HttpResponse,
    name: &str,
    value: String,
    max_age_seconds: i64,
) -> AppResult<()> {
    response
        .add_cookie(&build(state, name, value, max_age_seconds))
        .map_err(AppError::internal)
}

/// Tells the browser to drop a cookie.
pub fn clear(state: &AppState, response: &mut HttpResponse, name: &str) -> AppResult<()> {
    let mut cookie = build(state, name, String::new(), 0);
    cookie.make_removal();
    response.add_cookie(&cookie).map_err(AppError::internal)
}

/// A cookie's value as the browser sent it.
pub fn get(state: &AppState, req: &HttpRequest, name: &str) -> Option<String> {
    req.cookie(&wire_name(state, name))
        .map(|c| c.value().to_string())
}

/// Signs `value` and sets it as a cookie.
pub fn set_signed<T: Serialize>(
    state: &AppState,
    response: &mut HttpResponse,
    name: &str,
    value: &T,
    max_age_seconds: i64,
) -> AppResult<()> {
    let signed = sign(&state.session_key, value).ok_or_else(|| AppError::internal("signing"))?;
    set(state, response, name, signed, max_age_seconds)
}

pub fn get_signed<T: DeserializeOwned>(
    state: &AppState,
    req: &HttpRequest,
    name: &str,
) -> Option<T> {
    verify(&state.session_key, &get(state, req, name)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Payload {
        userid: String,
    }

    #[test]
    fn signed_values_round_trip_and_reject_tampering() {
        let key = [5u8; 32];
        let signed = sign(
            &key,
            &Payload {
                userid: "zhangsan".into(),
            },
        )
        .unwrap();
        assert_eq!(
            verify::<Payload>(&key, &signed),
            Some(Payload {
                userid: "zhangsan".into()
            })
        );
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"userid":"boss"}"#);
        let tag = signed.split_once('.').unwrap().1;
        assert_eq!(
            verify::<Payload>(&key, &format!("{forged_payload}.{tag}")),
            None
        );
        assert_eq!(verify::<Payload>(&[6u8; 32], &signed), None);
        assert_eq!(verify::<Payload>(&key, "garbage"), None);
    }
}
