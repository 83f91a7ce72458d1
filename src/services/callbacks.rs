//! WeCom callbacks: URL verification and event intake.
//!
//! Order of checks follows WeCom's own libraries: signature → AES → padding → length →
//! receive_id. Only a fully verified, decrypted and parsed event reaches the inbox; anything else
//! is refused with WeCom's error code and stores nothing.

use std::sync::Arc;

use crate::error::AppResult;
use crate::services::inbox::{InboxRow, InboxWriter};
use crate::services::wecom_apps::{App, WecomApps};
use crate::services::wecom_events;
use crate::wecom::errors::CallbackError;
use crate::wecom::xml;

/// Largest callback body we accept; real events are a few KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why a callback was refused; `error.rs` turns it into the HTTP status and WeCom's JSON shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The signature does not verify, or its parameters are missing.
    Signature,
    /// Undecryptable, badly padded, malformed or addressed to another receive_id.
    Malformed,
    UnknownCorp,
    UnknownAgent,
    TooLarge,
    /// The body did not arrive in time.
    TooSlow,
    /// The timestamp is outside the accepted window.
    Stale,
    /// Not stored this time; WeCom should retry.
    Unavailable,
}

/// A refusal in WeCom's callback vocabulary: `{"errcode", "errmsg"}`.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{errmsg}")]
pub struct CallbackRefusal {
    pub kind: RefusalKind,
    pub errcode: i32,
    pub errmsg: String,
}

impl CallbackRefusal {
    pub fn new(kind: RefusalKind, errcode: i32, errmsg: impl Into<String>) -> Self {
        Self {
            kind,
            errcode,
            errmsg: errmsg.into(),
        }
    }

    pub fn too_large() -> Self {
        Self::new(
            RefusalKind::TooLarge,
            -40002,
            format!("request body exceeds {} KiB", MAX_BODY_BYTES / 1024),
        )
    }
}

impl From<CallbackError> for CallbackRefusal {
    fn from(err: CallbackError) -> Self {
        let kind = match err {
            CallbackError::ValidateSignature => RefusalKind::Signature,
            _ => RefusalKind::Malformed,
        };
        Self::new(kind, err.code(), err.to_string())
    }
}

/// The app a callback URL addresses, or WeCom's code for an unknown corp or agent.
pub async fn resolve(
    apps: &WecomApps,
    corp_id: &str,
    agent_id: Option<&str>,
) -> AppResult<Arc<App>> {
    let unknown = || match agent_id {
        Some(_) => CallbackRefusal::new(RefusalKind::UnknownAgent, 40056, "invalid agentid"),
        None => CallbackRefusal::new(RefusalKind::UnknownCorp, 40013, "invalid corpid"),
    };
    let firm = apps.by_corp(corp_id).await?.ok_or_else(unknown)?;
    Ok(firm.app(agent_id).ok_or_else(unknown)?)
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
    pub fn parse(raw: &str) -> Result<Self, CallbackRefusal> {
        let mut query = Self::default();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map_err(|_| {
                    CallbackRefusal::new(RefusalKind::Malformed, -40002, "query is not UTF-8")
                })?
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
            return Err(CallbackRefusal::new(
                RefusalKind::Signature,
                -40001,
                "msg_signature, timestamp and nonce are required",
            ));
        }
        Ok(query)
    }
}

impl CallbackQuery {
    /// Refuses a timestamp that is not plain digits or lies more than `max_skew_seconds` from
    /// `now` (0 turns the check off). WeCom signs the timestamp, so an old request replayed later
    /// carries its old time and is refused without touching the inbox.
    pub fn check_fresh(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        max_skew_seconds: u64,
    ) -> Result<(), CallbackRefusal> {
        if max_skew_seconds == 0 {
            return Ok(());
        }
        let stale = || {
            CallbackRefusal::new(
                RefusalKind::Stale,
                -40001,
                "timestamp is missing or outside the accepted window",
            )
        };
        let ts = &self.timestamp;
        if ts.is_empty() || ts.len() > 12 || !ts.bytes().all(|b| b.is_ascii_digit()) {
            return Err(stale());
        }
        let ts: i64 = ts.parse().map_err(|_| stale())?;
        let skew = now.timestamp().abs_diff(ts);
        if skew > max_skew_seconds {
            return Err(stale());
        }
        Ok(())
    }
}

/// URL verification (GET): the decrypted echostr, to be answered verbatim.
pub fn verify_url(app: &App, query: &CallbackQuery) -> Result<String, CallbackRefusal> {
    let echostr = query.echostr.as_deref().ok_or_else(|| {
        CallbackRefusal::new(RefusalKind::Malformed, -40002, "echostr is required")
    })?;
    let plain = app.crypto().verify_and_decrypt(
        &query.msg_signature,
        &query.timestamp,
        &query.nonce,
        echostr,
        &app.accepted_ids(),
    )?;
    Ok(plain.msg)
}

/// The inbox's dedupe key: the event's `CreateTime` as ten digits, then the SHA-256 of the
/// decrypted message in unpadded base64url (53 characters). It depends on the plaintext alone —
/// not the ciphertext — because a retry is encrypted again with a new random prefix. Leading with
/// the time puts new keys at the end of the `(firm_id, dedupe_key)` index, where the pages a
/// commit dirties are few and already cached; a bare hash lands every insert on a random page of a
/// large index, and each such page is written to the WAL again at every commit.
fn dedupe_key(create_time: Option<i64>, digest: &[u8; 32]) -> String {
    use base64::Engine as _;
    let time = create_time
        .filter(|t| (0..=9_999_999_999).contains(t))
        .unwrap_or(0);
    let mut key = format!("{time:010}");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(digest, &mut key);
    key
}

/// Event intake (POST): verify, decrypt, parse, and build the inbox row.
pub fn open_event(
    app: &App,
    query: &CallbackQuery,
    body: &[u8],
    received_at: chrono::DateTime<chrono::Utc>,
) -> Result<InboxRow, CallbackRefusal> {
    let envelope = xml::parse_envelope(body)?;
    let decrypted = app.crypto().verify_and_decrypt(
        &query.msg_signature,
        &query.timestamp,
        &query.nonce,
        &envelope.encrypt,
        &app.accepted_ids(),
    )?;
    // The parsed fields borrow from the message, so copy out what we keep before moving it.
    let (msg_type, event, change_type, object_key, dedupe_key) = {
        let fields = xml::parse_event(&decrypted.msg)?;
        let owned = |v: Option<&str>| v.unwrap_or_default().to_string();
        (
            owned(fields.msg_type()),
            owned(fields.event().or_else(|| fields.info_type())),
            owned(fields.change_type()),
            wecom_events::object_key(&fields),
            dedupe_key(fields.create_time(), &decrypted.dedupe_key()),
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
        object_key,
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
    fn dedupe_keys_lead_with_the_event_time_and_end_with_its_digest() {
        let digest = [7u8; 32];
        let key = dedupe_key(Some(1_764_122_400), &digest);
        assert_eq!(key.len(), 53);
        assert!(key.starts_with("1764122400"));
        assert_eq!(key, dedupe_key(Some(1_764_122_400), &digest));
        assert_ne!(key, dedupe_key(Some(1_764_122_400), &[8u8; 32]));
        // Later events sort after earlier ones, whatever their digests.
        assert!(dedupe_key(Some(1_764_122_401), &[0u8; 32]) > key);
        // No usable time: still a key, sorted first.
        assert!(dedupe_key(None, &digest).starts_with("0000000000"));
        assert!(dedupe_key(Some(-5), &digest).starts_with("0000000000"));
        assert!(dedupe_key(Some(99_999_999_999), &digest).starts_with("0000000000"));
    }

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
    fn timestamps_outside_the_window_or_not_digits_are_stale() {
        let now = chrono::DateTime::from_timestamp(1_764_122_400, 0).unwrap();
        let query = |ts: &str| CallbackQuery {
            msg_signature: "s".into(),
            timestamp: ts.into(),
            nonce: "n".into(),
            echostr: None,
        };
        for ok in ["1764122400", "1764120600", "1764124200"] {
            assert!(query(ok).check_fresh(now, 1800).is_ok(), "{ok}");
        }
        for stale in [
            "1764120599",
            "1764124201",
            "1000000000",
            "4102444800",
            "not-a-number",
            "-1764122400",
            "1764122400.5",
            "+1764122400",
            "",
        ] {
            let err = query(stale).check_fresh(now, 1800).unwrap_err();
            assert_eq!(err.kind, RefusalKind::Stale, "{stale}");
        }
        assert!(
            query("1000000000").check_fresh(now, 0).is_ok(),
            "0 turns the check off"
        );
    }

    #[test]
    fn missing_signature_parameters_are_refused_as_signature_errors() {
        let err = CallbackQuery::parse("timestamp=1&nonce=2").unwrap_err();
        assert_eq!(err.errcode, -40001);
        assert_eq!(err.kind, RefusalKind::Signature);
    }
}
