//! `gettoken` and the JS-SDK tickets (`get_jsapi_ticket`, `ticket/get`).

use std::fmt;

use serde::Deserialize;

use super::lenient_i64;

/// `gettoken` result. Debug is redacted: tokens must never reach logs.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct AccessToken {
    pub access_token: String,
    /// Seconds; normally 7200.
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: i64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// JS-SDK ticket (corp `jsapi_ticket` or app `agent_config` ticket).
/// Debug is redacted: a ticket lets anyone sign JS-SDK configs for the corp.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Ticket {
    pub ticket: String,
    #[serde(default, deserialize_with = "lenient_i64")]
    pub expires_in: i64,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("ticket", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted_in_debug() {
        let t: AccessToken =
            serde_json::from_str(r#"{"access_token":"SECRET-TOKEN","expires_in":7200}"#).unwrap();
        assert!(!format!("{t:?}").contains("SECRET-TOKEN"));
        let k: Ticket =
            serde_json::from_str(r#"{"ticket":"TICKETVAL","expires_in":"7200"}"#).unwrap();
        assert_eq!(k.expires_in, 7200);
        assert!(!format!("{k:?}").contains("TICKETVAL"));
    }
}
