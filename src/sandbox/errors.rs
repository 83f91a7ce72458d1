//! WeCom error codes as the sandbox answers them, and the errors of the sandbox's own Rust API.
//!
//! WeCom answers every API call with HTTP 200 and `{"errcode", "errmsg"}`; clients must judge by
//! `errcode` alone, so the sandbox does the same. The codes are those of WeCom's global list
//! (developer.work.weixin.qq.com/document/path/90313); the messages imitate WeCom's English
//! `errmsg` with a "more info" link, so logs read like the real thing.

use actix_web::HttpResponse;
use serde::Serialize;

use crate::wecom::errors::CallbackError;

/// System busy; clients retry a few times.
pub const SYSTEM_BUSY: i32 = -1;
pub const INVALID_SECRET: i32 = 40001;
pub const INVALID_USERID: i32 = 40003;
pub const INVALID_MEDIA_FILE_TYPE: i32 = 40004;
pub const INVALID_MEDIA_TYPE_PARAM: i32 = 40005;
pub const INVALID_FILE_SIZE: i32 = 40006;
pub const INVALID_MEDIA_ID: i32 = 40007;
pub const INVALID_MSGTYPE: i32 = 40008;
pub const INVALID_IMAGE_SIZE: i32 = 40009;
pub const INVALID_VIDEO_SIZE: i32 = 40011;
pub const INVALID_CORPID: i32 = 40013;
pub const INVALID_ACCESS_TOKEN: i32 = 40014;
pub const INVALID_OAUTH_CODE: i32 = 40029;
pub const INVALID_AGENTID: i32 = 40056;
pub const INVALID_PARAMETER: i32 = 40058;
pub const INVALID_TAG_ID: i32 = 40068;
pub const TAG_NAME_EXISTS: i32 = 40071;
pub const INVALID_TAG_NAME_LENGTH: i32 = 40072;
pub const INVALID_EXTERNAL_USERID: i32 = 40096;
pub const TOO_MANY_CORP_TAGS: i32 = 40126;
pub const MISSING_ACCESS_TOKEN: i32 = 41001;
pub const MISSING_CORPID: i32 = 41002;
pub const MISSING_SECRET: i32 = 41004;
pub const MISSING_OAUTH_CODE: i32 = 41008;
pub const MISSING_USERID: i32 = 41009;
pub const MISSING_AGENTID: i32 = 41011;
pub const ACCESS_TOKEN_EXPIRED: i32 = 42001;
pub const EMPTY_MEDIA: i32 = 44001;
pub const EMPTY_TEXT_CONTENT: i32 = 44004;
pub const MEDIA_TOO_LARGE: i32 = 45001;
pub const CONTENT_TOO_LARGE: i32 = 45002;
pub const FREQUENCY_LIMIT: i32 = 45009;
pub const NOT_AUTHORISED: i32 = 48002;
pub const UNTRUSTED_REDIRECT: i32 = 50001;
pub const USERID_NOT_FOUND: i32 = 60111;
pub const ALL_RECIPIENTS_INVALID: i32 = 81013;
pub const NO_EXTERNAL_CONTACT: i32 = 84061;
pub const NOT_CUSTOMER_GROUP: i32 = 90501;
pub const INVALID_TICKET_TYPE: i32 = 91040;
pub const AGENT_MISMATCH: i32 = 301002;

/// WeCom's short English text for a code (what its `errmsg` starts with).
#[must_use]
pub fn describe(errcode: i32) -> &'static str {
    match errcode {
        0 => "ok",
        SYSTEM_BUSY => "system busy",
        INVALID_SECRET => "invalid credential",
        INVALID_USERID => "invalid userid",
        INVALID_MEDIA_FILE_TYPE => "invalid media file type",
        INVALID_MEDIA_TYPE_PARAM => "invalid type",
        INVALID_FILE_SIZE => "invalid file size",
        INVALID_MEDIA_ID => "invalid media_id",
        INVALID_MSGTYPE => "invalid msgtype",
        INVALID_IMAGE_SIZE => "invalid image size",
        INVALID_VIDEO_SIZE => "invalid video size",
        INVALID_CORPID => "invalid corpid",
        INVALID_ACCESS_TOKEN => "invalid access_token",
        INVALID_OAUTH_CODE => "invalid code",
        INVALID_AGENTID => "invalid agentid",
        INVALID_PARAMETER => "invalid parameter",
        INVALID_TAG_ID => "invalid tagid",
        TAG_NAME_EXISTS => "invalid tag name, tag name exists",
        INVALID_TAG_NAME_LENGTH => "invalid tag name length",
        INVALID_EXTERNAL_USERID => "invalid external userid",
        TOO_MANY_CORP_TAGS => "corp tag count exceeds the limit of 3000",
        MISSING_ACCESS_TOKEN => "access_token missing",
        MISSING_CORPID => "corpid missing",
        MISSING_SECRET => "corpsecret missing",
        MISSING_OAUTH_CODE => "code missing",
        MISSING_USERID => "userid missing",
        MISSING_AGENTID => "agentid missing",
        ACCESS_TOKEN_EXPIRED => "access_token expired",
        EMPTY_MEDIA => "empty media data",
        EMPTY_TEXT_CONTENT => "empty content",
        MEDIA_TOO_LARGE => "media size out of limit",
        CONTENT_TOO_LARGE => "content size out of limit",
        FREQUENCY_LIMIT => "api freq out of limit",
        NOT_AUTHORISED => "api forbidden",
        UNTRUSTED_REDIRECT => "redirect_uri is not a trusted domain",
        USERID_NOT_FOUND => "userid not found",
        ALL_RECIPIENTS_INVALID => "user & party & tag all invalid",
        NO_EXTERNAL_CONTACT => "not external contact",
        NOT_CUSTOMER_GROUP => "not a customer group chat",
        INVALID_TICKET_TYPE => "invalid ticket type",
        AGENT_MISMATCH => "access_token and agentid mismatch",
        _ => "sandbox fault",
    }
}

/// A WeCom API error: what the sandbox answers instead of data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("WeCom error {errcode}: {errmsg}")]
pub struct ApiError {
    pub errcode: i32,
    pub errmsg: String,
}

impl ApiError {
    /// The error with WeCom's text for `errcode`.
    #[must_use]
    pub fn new(errcode: i32) -> Self {
        Self::with_hint(errcode, "")
    }

    /// The error with an extra hint after WeCom's text (which field was wrong).
    #[must_use]
    pub fn with_hint(errcode: i32, hint: &str) -> Self {
        let text = describe(errcode);
        let errmsg = if hint.is_empty() {
            format!(
                "{text}, hint: [sandbox], more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"
            )
        } else {
            format!(
                "{text}: {hint}, hint: [sandbox], more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"
            )
        };
        Self { errcode, errmsg }
    }

    /// 40058 naming the offending field.
    #[must_use]
    pub fn invalid(hint: &str) -> Self {
        Self::with_hint(INVALID_PARAMETER, hint)
    }

    /// The HTTP answer: status 200 like WeCom, whatever the code.
    #[must_use]
    pub fn to_response(&self) -> HttpResponse {
        HttpResponse::Ok().json(self)
    }
}

/// A successful WeCom answer: `errcode` 0 and `errmsg` "ok" before the data fields.
#[derive(Serialize)]
struct Success<T: Serialize> {
    errcode: i32,
    errmsg: &'static str,
    #[serde(flatten)]
    data: T,
}

/// Answers `data` with `errcode` 0.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    ok_with_msg(data, "ok")
}

/// Answers `data` with `errcode` 0 and a specific `errmsg` (media/upload answers "").
pub fn ok_with_msg<T: Serialize>(data: T, errmsg: &'static str) -> HttpResponse {
    HttpResponse::Ok().json(Success {
        errcode: 0,
        errmsg,
        data,
    })
}

/// Failures of the sandbox's own Rust API (sending callbacks, loading a sandbox file).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The event refers to data the sandbox does not have, or is incomplete.
    #[error("事件无效：{0}")]
    InvalidEvent(String),
    /// The callback URL is not an absolute http(s) URL.
    #[error("回调地址无效：{0}")]
    InvalidUrl(String),
    /// The app's callback credentials cannot encrypt (a malformed EncodingAESKey).
    #[error("回调加密失败：{0}")]
    Crypto(#[from] CallbackError),
    /// The callback could not be delivered (connection refused, timeout…).
    #[error("回调发送失败：{0}")]
    Delivery(String),
}
