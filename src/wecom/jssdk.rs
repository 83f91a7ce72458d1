//! JS-SDK signatures for `wx.config` / `wx.agentConfig` / `ww.register`
//! (developer.work.weixin.qq.com/document/path/96909).
//!
//! Both kinds use the same algorithm; they differ only in the ticket
//! (corp `jsapi_ticket` vs. app `agent_config` ticket), which the caller picks.

use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use sha1::{Digest, Sha1};

/// What the page passes to `wx.config` / `wx.agentConfig`. Serialised in
/// Serialised as `{timestamp, nonce_str, signature}` (our signing endpoint's contract); the
/// sidebar script hands them to `ww.register` as `{timestamp, nonceStr, signature}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsSignature {
    /// Seconds since the Unix epoch; must be the value that was signed.
    pub timestamp: i64,
    /// Must be the exact nonce that was signed.
    pub nonce_str: String,
    /// Lower-case hex SHA-1.
    pub signature: String,
}

/// The signed URL is the page URL without `#` and everything after it: the
/// fragment never reaches a server, so the client SDK drops it too.
pub fn strip_fragment(url: &str) -> &str {
    url.split_once('#').map_or(url, |(before, _)| before)
}

/// `sha1_hex("jsapi_ticket=T&noncestr=N&timestamp=TS&url=URL")`, keys in this
/// fixed order, values raw (no URL-encoding), as the WeCom doc prescribes.
pub fn sign(ticket: &str, noncestr: &str, timestamp: i64, url: &str) -> String {
    let plain = format!(
        "jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={}",
        strip_fragment(url)
    );
    hex::encode(Sha1::digest(plain.as_bytes()))
}

/// Signs with a caller-chosen timestamp and nonce (deterministic; handy in
/// tests and when the front end proposes its own nonce).
pub fn sign_now(ticket: &str, url: &str, timestamp: i64, nonce: impl Into<String>) -> JsSignature {
    let nonce_str = nonce.into();
    let signature = sign(ticket, &nonce_str, timestamp, url);
    JsSignature {
        timestamp,
        nonce_str,
        signature,
    }
}

/// 16 random alphanumeric characters, the length WeCom's own samples use.
pub fn random_nonce() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vector J1 from wecom-vectors.json (official WeCom doc example).
    const TICKET: &str =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    const NONCE: &str = "Wm3WZYTPz0wzccnW";
    const TS: i64 = 1414587457;
    const URL: &str = "http://mp.weixin.qq.com?params=value";
    const SIG: &str = "0f9de62fce790f9a083d5c99e95740ceb90c27ed";

    #[test]
    fn vector_j1() {
        assert_eq!(sign(TICKET, NONCE, TS, URL), SIG);
    }

    #[test]
    fn fragment_is_ignored() {
        assert_eq!(
            sign(TICKET, NONCE, TS, &format!("{URL}#wechat_redirect")),
            SIG
        );
        assert_eq!(sign(TICKET, NONCE, TS, &format!("{URL}#/a/b?c=d#e")), SIG);
        assert_eq!(strip_fragment("http://a/b"), "http://a/b");
    }

    #[test]
    fn sign_now_carries_signed_values() {
        let s = sign_now(TICKET, URL, TS, NONCE);
        assert_eq!(s.signature, SIG);
        assert_eq!(s.timestamp, TS);
        assert_eq!(s.nonce_str, NONCE);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["nonce_str"], NONCE);
        assert_eq!(json["timestamp"], TS);
    }

    #[test]
    fn nonce_shape() {
        let a = random_nonce();
        let b = random_nonce();
        assert_eq!(a.len(), 16);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
