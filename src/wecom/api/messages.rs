//! App messages: `message/send`.

use serde::{Deserialize, Serialize};

use super::{WecomError, invalid, names, require_non_empty};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TextContent {
    pub content: String,
}

/// `message/send` body (text messages; other msgtypes can be added as
/// further optional payload fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AppMessage {
    /// `"userid1|userid2"` (≤ 1000) or `"@all"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toparty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totag: Option<String>,
    pub msgtype: String,
    pub agentid: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextContent>,
    /// 1 = confidential (no forwarding, watermark).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_id_trans: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_duplicate_check: Option<u8>,
    /// Seconds, ≤ 4 h, WeCom default 1800.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_check_interval: Option<u32>,
}

pub const TEXT_MAX_BYTES: usize = 2048;
pub const MAX_TOUSER: usize = 1000;

impl AppMessage {
    /// A plain text message to members.
    pub fn text_to_users(agentid: i64, userids: &[String], content: impl Into<String>) -> Self {
        Self {
            touser: Some(userids.join("|")),
            msgtype: "text".to_owned(),
            agentid,
            text: Some(TextContent {
                content: content.into(),
            }),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<(), WecomError> {
        let api = names::MESSAGE_SEND;
        let set = |s: &Option<String>| s.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !set(&self.touser) && !set(&self.toparty) && !set(&self.totag) {
            return Err(invalid(api, "one of touser, toparty, totag is required"));
        }
        if let Some(touser) = &self.touser
            && touser.split('|').count() > MAX_TOUSER
        {
            return Err(invalid(api, "touser holds at most 1000 userids"));
        }
        require_non_empty(api, "msgtype", &self.msgtype)?;
        if self.msgtype == "text" {
            match &self.text {
                None => return Err(invalid(api, "msgtype text needs text.content")),
                Some(t) if t.content.is_empty() => {
                    return Err(invalid(api, "text.content must not be empty"));
                }
                Some(t) if t.content.len() > TEXT_MAX_BYTES => {
                    return Err(invalid(api, "text.content exceeds 2048 bytes"));
                }
                Some(_) => {}
            }
        }
        if self.duplicate_check_interval.is_some_and(|s| s > 4 * 3600) {
            return Err(invalid(api, "duplicate_check_interval must be ≤ 14400 s"));
        }
        Ok(())
    }
}

/// `message/send`. A partly failed send is still errcode 0 with the bad
/// recipients listed here (`"a|b"`); only "all invalid" is 81013.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SendMessageResult {
    pub invaliduser: String,
    pub invalidparty: String,
    pub invalidtag: String,
    pub unlicenseduser: String,
    pub msgid: String,
    /// Only for template-card messages; needed to update the card later.
    pub response_code: String,
}

impl SendMessageResult {
    /// Every recipient that did not get the message, split out of the
    /// `|`-joined lists.
    pub fn failed_users(&self) -> Vec<&str> {
        self.invaliduser
            .split('|')
            .chain(self.unlicenseduser.split('|'))
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validations() {
        let msg = AppMessage::text_to_users(1000002, &["a".into(), "b".into()], "hi");
        assert_eq!(msg.touser.as_deref(), Some("a|b"));
        assert!(msg.validate().is_ok());
        let long = AppMessage::text_to_users(1, &["a".into()], "x".repeat(2049));
        assert!(long.validate().is_err());
    }

    #[test]
    fn failed_users_split() {
        let r = SendMessageResult {
            invaliduser: "a|b".into(),
            unlicenseduser: "c".into(),
            ..Default::default()
        };
        assert_eq!(r.failed_users(), vec!["a", "b", "c"]);
    }
}
