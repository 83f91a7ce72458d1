//! WeCom callbacks: URL verification and event intake.
//!
//! Order of checks follows WeCom's own libraries: signature → AES → padding → length →
//! receive_id. Only a fully verified, decrypted and parsed event reaches the inbox; anything else
//! is refused with WeCom's error code and stores nothing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::config::Secret;
use crate::db::Database;
use crate::error::{AppError, AppResult};
use crate::secrets::SecretBox;
use crate::services::firms;
use crate::services::inbox::{InboxRow, InboxWriter};
use crate::wecom::crypto::CallbackCrypto;
use crate::wecom::errors::CallbackError;
use crate::wecom::xml;

/// Largest callback body we accept; real events are a few KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long resolved app keys are reused before the database is asked again.
const APP_CACHE_TTL: Duration = Duration::from_secs(10);
/// Bound on cached lookups, so probing random corp ids cannot grow memory without limit.
const APP_CACHE_MAX: usize = 10_000;

/// Keys and identity of the app a callback URL addresses.
pub struct CallbackApp {
    pub firm_id: i64,
    pub app_id: i64,
    crypto: CallbackCrypto,
    receive_ids: Vec<String>,
}

impl CallbackApp {
    /// An app with keys at hand (tests and the no-store benchmark baseline build them directly).
    pub fn new(
        firm_id: i64,
        app_id: i64,
        crypto: CallbackCrypto,
        receive_ids: Vec<String>,
    ) -> Self {
        Self {
            firm_id,
            app_id,
            crypto,
            receive_ids,
        }
    }

    fn accepted_ids(&self) -> Vec<&str> {
        self.receive_ids.iter().map(String::as_str).collect()
    }
}

type CacheKey = (String, String);
/// When the entry was loaded, and the app (None: no such corp or agent).
type CacheEntry = (Instant, Option<Arc<CallbackApp>>);

/// Resolves `(corp_id, agent_id)` to decrypted app keys, with a short-lived cache so the hot path
/// does not query and decrypt on every event. Unknown corps are cached too (as `None`).
#[derive(Default)]
pub struct CallbackApps {
    entries: RwLock<HashMap<CacheKey, CacheEntry>>,
}

impl CallbackApps {
    pub async fn resolve(
        &self,
        db: &Database,
        secrets: &SecretBox,
        corp_id: &str,
        agent_id: Option<&str>,
    ) -> AppResult<Arc<CallbackApp>> {
        let key = (
            corp_id.to_string(),
            agent_id.unwrap_or_default().to_string(),
        );
        let cached = self
            .entries
            .read()
            .ok()
            .and_then(|map| map.get(&key).cloned())
            .filter(|(at, _)| at.elapsed() < APP_CACHE_TTL);
        let found = match cached {
            Some((_, found)) => found,
            None => {
                let found = load_app(db, secrets, corp_id, agent_id)
                    .await?
                    .map(Arc::new);
                if let Ok(mut map) = self.entries.write() {
                    if map.len() >= APP_CACHE_MAX {
                        map.clear();
                    }
                    map.insert(key, (Instant::now(), found.clone()));
                }
                found
            }
        };
        found.ok_or_else(|| match agent_id {
            Some(_) => callback_error(StatusCode::NOT_FOUND, 40056, "invalid agentid"),
            None => callback_error(StatusCode::NOT_FOUND, 40013, "invalid corpid"),
        })
    }

    /// Forgets cached keys, e.g. after an admin changed an app.
    pub fn invalidate(&self) {
        if let Ok(mut map) = self.entries.write() {
            map.clear();
        }
    }
}

async fn load_app(
    db: &Database,
    secrets: &SecretBox,
    corp_id: &str,
    agent_id: Option<&str>,
) -> AppResult<Option<CallbackApp>> {
    if firms::validate_corp_id(corp_id).is_err() {
        return Ok(None);
    }
    let Some(firm) = firms::find_by_corp_id(db.read(), corp_id).await? else {
        return Ok(None);
    };
    if firm.status != crate::db::entities::firm::Status::Active {
        return Ok(None);
    }
    let Some(app) = firms::find_active_app(db.read(), firm.id, agent_id).await? else {
        return Ok(None);
    };
    let open = |sealed: &Option<String>, what: &str| -> AppResult<Secret> {
        let sealed = sealed
            .as_deref()
            .ok_or_else(|| AppError::Internal(format!("app {} has no {what}", app.id)))?;
        secrets
            .open(sealed)
            .map_err(|e| AppError::Internal(format!("app {} {what}: {e}", app.id)))
    };
    let token = open(&app.token_enc, "callback token")?;
    let aes_key = open(&app.encoding_aes_key_enc, "aes key")?;
    let crypto = CallbackCrypto::new(token.expose(), aes_key.expose(), firm.corp_id.clone())
        .map_err(|e| AppError::Internal(format!("app {} aes key: {e}", app.id)))?;
    let mut receive_ids = vec![firm.corp_id.clone()];
    receive_ids.extend(app.suite_id.clone().filter(|s| !s.is_empty()));
    Ok(Some(CallbackApp {
        firm_id: firm.id,
        app_id: app.id,
        crypto,
        receive_ids,
    }))
}

/// The signed query WeCom sends with every callback.
#[derive(Debug, Default)]
pub struct CallbackQuery {
    pub msg_signature: String,
    pub timestamp: String,
    pub nonce: String,
    pub echostr: Option<String>,
}

impl CallbackQuery {
    /// Percent-decodes each value exactly once. `+` stays `+`: base64 text uses it, and reading
    /// it as a space (form decoding) is the classic way to break the signature.
    pub fn parse(raw: &str) -> AppResult<Self> {
        let mut query = Self::default();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| callback_error(StatusCode::BAD_REQUEST, -40002, "query is not UTF-8"))?
                .into_owned();
            match name {
                "msg_signature" => query.msg_signature = value,
                "timestamp" => query.timestamp = value,
                "nonce" => query.nonce = value,
                "echostr" => query.echostr = Some(value),
                _ => {}
            }
        }
        if query.msg_signature.is_empty() || query.timestamp.is_empty() || query.nonce.is_empty() {
            return Err(callback_error(
                StatusCode::UNAUTHORIZED,
                -40001,
                "msg_signature, timestamp and nonce are required",
            ));
        }
        Ok(query)
    }
}

pub fn callback_error(status: StatusCode, errcode: i32, errmsg: &str) -> AppError {
    AppError::Callback {
        status,
        errcode,
        errmsg: errmsg.to_string(),
    }
}

fn refuse(err: CallbackError) -> AppError {
    let status = match err {
        CallbackError::ValidateSignature => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    callback_error(status, err.code(), &err.to_string())
}

/// URL verification (GET): the decrypted echostr, to be answered verbatim.
pub fn verify_url(app: &CallbackApp, query: &CallbackQuery) -> AppResult<String> {
    let echostr = query
        .echostr
        .as_deref()
        .ok_or_else(|| callback_error(StatusCode::BAD_REQUEST, -40002, "echostr is required"))?;
    let plain = app
        .crypto
        .verify_and_decrypt(
            &query.msg_signature,
            &query.timestamp,
            &query.nonce,
            echostr,
            &app.accepted_ids(),
        )
        .map_err(refuse)?;
    Ok(plain.msg)
}

/// Event intake (POST): verify, decrypt, parse, and build the inbox row.
pub fn open_event(
    app: &CallbackApp,
    query: &CallbackQuery,
    body: &[u8],
    received_at: chrono::DateTime<chrono::Utc>,
) -> AppResult<InboxRow> {
    let envelope = xml::parse_envelope(body).map_err(refuse)?;
    let decrypted = app
        .crypto
        .verify_and_decrypt(
            &query.msg_signature,
            &query.timestamp,
            &query.nonce,
            &envelope.encrypt,
            &app.accepted_ids(),
        )
        .map_err(refuse)?;
    // The decrypted message, not the ciphertext: a retry is re-encrypted with a new random
    // prefix, so only the plaintext identifies it.
    let dedupe_key = decrypted.dedupe_key_hex();
    // The parsed fields borrow from the message, so copy out what we keep before moving it.
    let (msg_type, event, change_type) = {
        let fields = xml::parse_event(&decrypted.msg).map_err(refuse)?;
        let owned = |v: Option<&str>| v.unwrap_or_default().to_string();
        (
            owned(fields.msg_type()),
            owned(fields.event().or_else(|| fields.info_type())),
            owned(fields.change_type()),
        )
    };
    Ok(InboxRow {
        firm_id: app.firm_id,
        app_id: app.app_id,
        dedupe_key,
        received_at,
        msg_type,
        event,
        change_type,
        payload: decrypted.msg,
    })
}

/// Stores an opened event; returns once it is committed.
pub async fn store(inbox: &InboxWriter, row: InboxRow) -> AppResult<()> {
    inbox.store(row).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_decoded_exactly_once_and_plus_survives() {
        let q = CallbackQuery::parse("msg_signature=abc&timestamp=1&nonce=2&echostr=a%2Bb%2F%3D+c")
            .unwrap();
        assert_eq!(q.echostr.as_deref(), Some("a+b/=+c"));
        let twice =
            CallbackQuery::parse("msg_signature=abc&timestamp=1&nonce=2&echostr=a%252B").unwrap();
        assert_eq!(twice.echostr.as_deref(), Some("a%2B"));
    }

    #[test]
    fn missing_signature_parameters_are_refused_as_signature_errors() {
        let err = CallbackQuery::parse("timestamp=1&nonce=2").unwrap_err();
        assert!(matches!(
            err,
            AppError::Callback {
                errcode: -40001,
                ..
            }
        ));
    }
}
