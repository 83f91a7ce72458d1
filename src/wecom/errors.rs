//! Errors of the WeCom protocol: [`WecomError`] for server API calls and
//! [`CallbackError`] for callback crypto and XML. The callback errors live
//! here rather than in `crypto` so that `crypto` and `xml` can both use them
//! without depending on each other.
//!
//! Messages never contain an access token, a secret, an OAuth code or a
//! request URL: URLs carry `access_token` / `corpsecret` in their query
//! string, and error text tends to end up in logs and HTTP responses.

use std::fmt;

/// WeCom global error codes that the sidebar backend reacts to
/// (developer.work.weixin.qq.com/document/path/90313). Anything else is kept
/// verbatim in `Other` so no information is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Errcode {
    /// -1: system busy; retry with backoff (≤ 3 times).
    Busy,
    /// 40001: invalid secret (corpid/secret mismatch, secret reset, app disabled).
    InvalidSecret,
    /// 40013: invalid corpid.
    InvalidCorpId,
    /// 40014: invalid access_token.
    InvalidAccessToken,
    /// 40029: invalid, expired or already used OAuth code.
    InvalidOauthCode,
    /// 40056: invalid agentid.
    InvalidAgentId,
    /// 40068: invalid tag id.
    InvalidTag,
    /// 40093: JS-SDK signature error.
    JsapiSignature,
    /// 40096: invalid external_userid (often a self-built vs. third-party id mix-up).
    InvalidExternalUserId,
    /// 40126: corp tag limit reached (3000 per corp).
    TagLimit,
    /// 41001: access_token missing from the request.
    MissingAccessToken,
    /// 42001: access_token expired.
    AccessTokenExpired,
    /// 42009: suite_access_token expired (third-party apps).
    SuiteTokenExpired,
    /// 45009: API call frequency exceeded.
    RateLimited,
    /// 45033: concurrency limit exceeded.
    ConcurrencyLimit,
    /// 48002: API not authorised for this app.
    ApiNotAuthorized,
    /// 50001: redirect_uri is not a trusted domain.
    RedirectNotTrusted,
    /// 60011: member/department/tag outside the app's visible range.
    OutsideVisibleRange,
    /// 60020: caller IP not in the corp's trusted IP list.
    UntrustedIp,
    /// 60111: userid not found.
    UserIdNotFound,
    /// 81013: every recipient of an app message was invalid.
    AllRecipientsInvalid,
    /// 84014: user_ticket expired.
    UserTicketExpired,
    /// 84061: no external-contact relationship.
    NoExternalContactRelation,
    /// 84074: no external-contact permission.
    NoExternalContactPermission,
    /// 90501: chat is not a customer group.
    NotCustomerGroup,
    /// 301002: the access_token's app is not the agentid in the request.
    AgentMismatch,
    /// Any other non-zero errcode.
    Other(i32),
}

impl Errcode {
    /// Maps a raw WeCom errcode. `0` is not an error and maps to `Other(0)`;
    /// callers only build an `Errcode` for non-zero codes.
    pub fn from_code(code: i32) -> Self {
        match code {
            -1 => Self::Busy,
            40001 => Self::InvalidSecret,
            40013 => Self::InvalidCorpId,
            40014 => Self::InvalidAccessToken,
            40029 => Self::InvalidOauthCode,
            40056 => Self::InvalidAgentId,
            40068 => Self::InvalidTag,
            40093 => Self::JsapiSignature,
            40096 => Self::InvalidExternalUserId,
            40126 => Self::TagLimit,
            41001 => Self::MissingAccessToken,
            42001 => Self::AccessTokenExpired,
            42009 => Self::SuiteTokenExpired,
            45009 => Self::RateLimited,
            45033 => Self::ConcurrencyLimit,
            48002 => Self::ApiNotAuthorized,
            50001 => Self::RedirectNotTrusted,
            60011 => Self::OutsideVisibleRange,
            60020 => Self::UntrustedIp,
            60111 => Self::UserIdNotFound,
            81013 => Self::AllRecipientsInvalid,
            84014 => Self::UserTicketExpired,
            84061 => Self::NoExternalContactRelation,
            84074 => Self::NoExternalContactPermission,
            90501 => Self::NotCustomerGroup,
            301002 => Self::AgentMismatch,
            other => Self::Other(other),
        }
    }

    /// The raw numeric errcode.
    pub fn code(self) -> i32 {
        match self {
            Self::Busy => -1,
            Self::InvalidSecret => 40001,
            Self::InvalidCorpId => 40013,
            Self::InvalidAccessToken => 40014,
            Self::InvalidOauthCode => 40029,
            Self::InvalidAgentId => 40056,
            Self::InvalidTag => 40068,
            Self::JsapiSignature => 40093,
            Self::InvalidExternalUserId => 40096,
            Self::TagLimit => 40126,
            Self::MissingAccessToken => 41001,
            Self::AccessTokenExpired => 42001,
            Self::SuiteTokenExpired => 42009,
            Self::RateLimited => 45009,
            Self::ConcurrencyLimit => 45033,
            Self::ApiNotAuthorized => 48002,
            Self::RedirectNotTrusted => 50001,
            Self::OutsideVisibleRange => 60011,
            Self::UntrustedIp => 60020,
            Self::UserIdNotFound => 60111,
            Self::AllRecipientsInvalid => 81013,
            Self::UserTicketExpired => 84014,
            Self::NoExternalContactRelation => 84061,
            Self::NoExternalContactPermission => 84074,
            Self::NotCustomerGroup => 90501,
            Self::AgentMismatch => 301002,
            Self::Other(code) => code,
        }
    }

    /// What an administrator has to change in the WeCom admin console (or
    /// how the operator should react) for codes that are configuration
    /// problems rather than bugs. Shown to admins in the UI, hence Chinese.
    pub fn admin_hint(self) -> Option<&'static str> {
        let hint = match self {
            Self::InvalidSecret => {
                "应用 Secret 不正确:请在企业微信管理后台「应用管理」中核对该自建应用的 Secret(可能已被重置,重置后需重新填写),并确认 CorpID 与 Secret 属于同一企业、应用未被停用。"
            }
            Self::InvalidCorpId => {
                "企业ID(CorpID)不正确:请在管理后台「我的企业 → 企业信息」中复制企业ID后重新填写。"
            }
            Self::ApiNotAuthorized => {
                "该应用无权调用此接口:请在管理后台「客户与上下游 → 客户联系 → API」中把本应用加入「可调用接口的应用」,并确认应用已获得对应接口权限。"
            }
            Self::OutsideVisibleRange => {
                "该成员不在应用的可见范围内:请在管理后台「应用管理 → 本应用 → 可见范围」中加入该成员或其所在部门。"
            }
            Self::UntrustedIp => {
                "服务器 IP 不在企业可信IP 中:请在管理后台「应用管理 → 本应用 → 企业可信IP」中添加本服务的出口 IP。"
            }
            Self::RateLimited => {
                "接口调用频率超限:请稍候再试(拦截会持续到当前统计周期结束,最长 1 小时),并降低同步或刷新的频率。"
            }
            Self::ConcurrencyLimit => "接口并发调用超限:请降低并发数后重试。",
            Self::NoExternalContactRelation => {
                "该成员与此客户之间没有好友关系(可能已被删除),请确认客户仍在该成员的客户列表中。"
            }
            Self::NoExternalContactPermission => {
                "该成员没有客户联系权限:请在管理后台「客户与上下游 → 客户联系 → 权限配置」中为该成员开启客户联系功能。"
            }
            Self::AgentMismatch => {
                "access_token 所属应用与请求中的 agentid 不一致:请确认配置的 AgentId 与 Secret 来自同一个自建应用。"
            }
            Self::RedirectNotTrusted => {
                "OAuth 回调域名不是应用的可信域名:请在管理后台「应用管理 → 本应用 → 网页授权及JS-SDK」中设置可信域名,并与回调地址的域名保持一致。"
            }
            Self::InvalidOauthCode => {
                "OAuth code 无效:code 只能使用一次且 5 分钟内有效,请重新打开页面授权(检查是否有多个服务重复消费同一个 code)。"
            }
            Self::InvalidAgentId => {
                "AgentId 不正确:请在管理后台「应用管理 → 本应用」页面核对 AgentId。"
            }
            Self::JsapiSignature => {
                "JS-SDK 签名错误:请确认签名使用的 URL 与当前页面一致(不含 # 及其后部分),且 config 与 agentConfig 使用了各自的 ticket。"
            }
            Self::InvalidExternalUserId => {
                "external_userid 无效:自建应用与第三方/代开发应用的客户 ID 不通用,请确认使用的是本应用获得的 ID。"
            }
            Self::NotCustomerGroup => "该群不是客户群,只能对客户群调用此接口。",
            Self::TagLimit => {
                "企业客户标签数量已达上限(3000 个),请在管理后台删除不用的标签后再试。"
            }
            _ => return None,
        };
        Some(hint)
    }
}

impl fmt::Display for Errcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// Error of one WeCom API call. `api` is a short static name such as
/// `"externalcontact/get"`, never a URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WecomError {
    /// WeCom answered with a non-zero errcode.
    #[error("wecom {api} failed: errcode {code} ({errmsg})")]
    Api {
        code: Errcode,
        errmsg: String,
        api: &'static str,
    },
    /// Transport error, timeout or non-2xx HTTP status.
    #[error("wecom {api} HTTP error: {message}")]
    Http { api: &'static str, message: String },
    /// The response body was not the JSON we expected.
    #[error("wecom {api} response could not be decoded: {message}")]
    Decode { api: &'static str, message: String },
    /// The request was rejected locally before any HTTP call (e.g. both
    /// `add_tag` and `remove_tag` empty), so no quota is spent on it.
    #[error("wecom {api} invalid request: {message}")]
    InvalidRequest { api: &'static str, message: String },
}

impl WecomError {
    /// The API name the error belongs to.
    pub fn api(&self) -> &'static str {
        match self {
            Self::Api { api, .. }
            | Self::Http { api, .. }
            | Self::Decode { api, .. }
            | Self::InvalidRequest { api, .. } => api,
        }
    }

    /// The WeCom errcode, if WeCom returned one.
    pub fn errcode(&self) -> Option<i32> {
        match self {
            Self::Api { code, .. } => Some(code.code()),
            _ => None,
        }
    }

    /// The typed errcode, if WeCom returned one.
    pub fn code(&self) -> Option<Errcode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// 40014 / 42001: the token that was used is dead. The caller should
    /// invalidate exactly that token, fetch a new one and retry once.
    pub fn is_token_invalid(&self) -> bool {
        matches!(
            self.code(),
            Some(Errcode::InvalidAccessToken | Errcode::AccessTokenExpired)
        )
    }

    /// 40001: the configured secret is wrong. Retrying only burns quota and
    /// can get the IP banned, so callers must alert instead of looping.
    pub fn is_invalid_secret(&self) -> bool {
        self.code() == Some(Errcode::InvalidSecret)
    }

    /// -1: WeCom is busy; retry with backoff.
    pub fn is_busy(&self) -> bool {
        self.code() == Some(Errcode::Busy)
    }

    /// 45009 (frequency) or 45033 (concurrency): slow down, do not retry now.
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self.code(),
            Some(Errcode::RateLimited | Errcode::ConcurrencyLimit)
        )
    }

    /// Chinese explanation of what to fix in the WeCom admin console.
    pub fn admin_hint(&self) -> Option<&'static str> {
        self.code().and_then(Errcode::admin_hint)
    }
}

/// Errors of the callback crypto layer, numbered like the official
/// WXBizMsgCrypt libraries so logs can be compared with WeCom's docs and
/// other SDKs. These codes are local; WeCom servers never return them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum CallbackError {
    /// `msg_signature` does not match the locally computed signature.
    #[error("callback signature does not match (-40001)")]
    ValidateSignature,
    /// The XML body could not be parsed or lacks a required element.
    #[error("callback XML could not be parsed (-40002)")]
    ParseXml,
    /// The SHA-1 signature could not be computed.
    #[error("callback signature could not be computed (-40003)")]
    ComputeSignature,
    /// The `EncodingAESKey` is not 43 alphanumeric characters / 32 bytes.
    #[error("illegal EncodingAESKey (-40004)")]
    IllegalAesKey,
    /// The receive_id (corpid / suite_id) inside the message is not accepted.
    #[error("receive_id in the message does not match (-40005)")]
    ValidateReceiveId,
    /// The message could not be encrypted.
    #[error("AES encryption failed (-40006)")]
    EncryptAes,
    /// The ciphertext is not valid base64 or not whole AES blocks.
    #[error("AES decryption failed (-40007)")]
    DecryptAes,
    /// The decrypted buffer has bad padding, lengths or encoding.
    #[error("illegal buffer after decryption (-40008)")]
    IllegalBuffer,
    /// Base64 encoding failed.
    #[error("base64 encoding failed (-40009)")]
    EncodeBase64,
    /// Base64 decoding failed.
    #[error("base64 decoding failed (-40010)")]
    DecodeBase64,
    /// The reply XML could not be generated.
    #[error("reply XML could not be generated (-40011)")]
    GenReturnXml,
}

impl CallbackError {
    /// The numeric code used by the official WXBizMsgCrypt libraries.
    #[must_use]
    pub const fn code(self) -> i32 {
        match self {
            Self::ValidateSignature => -40001,
            Self::ParseXml => -40002,
            Self::ComputeSignature => -40003,
            Self::IllegalAesKey => -40004,
            Self::ValidateReceiveId => -40005,
            Self::EncryptAes => -40006,
            Self::DecryptAes => -40007,
            Self::IllegalBuffer => -40008,
            Self::EncodeBase64 => -40009,
            Self::DecodeBase64 => -40010,
            Self::GenReturnXml => -40011,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[i32] = &[
        -1, 40001, 40013, 40014, 40029, 40056, 40068, 40093, 40096, 40126, 41001, 42001, 42009,
        45009, 45033, 48002, 50001, 60011, 60020, 60111, 81013, 84014, 84061, 84074, 90501, 301002,
    ];

    #[test]
    fn from_code_round_trips() {
        for &c in KNOWN {
            let e = Errcode::from_code(c);
            assert!(!matches!(e, Errcode::Other(_)), "{c} should be named");
            assert_eq!(e.code(), c);
        }
        assert_eq!(Errcode::from_code(12345), Errcode::Other(12345));
        assert_eq!(Errcode::Other(12345).code(), 12345);
    }

    #[test]
    fn hints_exist_for_admin_fixable_codes() {
        for c in [
            40001, 48002, 60011, 60020, 45009, 84061, 301002, 50001, 40029,
        ] {
            assert!(Errcode::from_code(c).admin_hint().is_some(), "{c}");
        }
        assert!(Errcode::Busy.admin_hint().is_none());
        assert!(
            Errcode::from_code(60020)
                .admin_hint()
                .is_some_and(|h| h.contains("企业可信IP"))
        );
        assert!(
            Errcode::from_code(48002)
                .admin_hint()
                .is_some_and(|h| h.contains("可调用接口的应用"))
        );
        assert!(
            Errcode::from_code(60011)
                .admin_hint()
                .is_some_and(|h| h.contains("可见范围"))
        );
        assert!(
            Errcode::from_code(50001)
                .admin_hint()
                .is_some_and(|h| h.contains("可信域名"))
        );
    }

    #[test]
    fn classification_helpers() {
        let api = |c| WecomError::Api {
            code: Errcode::from_code(c),
            errmsg: String::new(),
            api: "x",
        };
        assert!(api(40014).is_token_invalid());
        assert!(api(42001).is_token_invalid());
        assert!(!api(40001).is_token_invalid());
        assert!(api(40001).is_invalid_secret());
        assert!(api(-1).is_busy());
        assert!(api(45009).is_rate_limited());
        assert!(api(45033).is_rate_limited());
        assert_eq!(api(60020).errcode(), Some(60020));
        let http = WecomError::Http {
            api: "x",
            message: "boom".into(),
        };
        assert_eq!(http.errcode(), None);
        assert!(!http.is_token_invalid());
        assert!(http.admin_hint().is_none());
    }

    #[test]
    fn callback_error_codes_and_messages_follow_the_official_table() {
        let all = [
            (CallbackError::ValidateSignature, -40001),
            (CallbackError::ParseXml, -40002),
            (CallbackError::ComputeSignature, -40003),
            (CallbackError::IllegalAesKey, -40004),
            (CallbackError::ValidateReceiveId, -40005),
            (CallbackError::EncryptAes, -40006),
            (CallbackError::DecryptAes, -40007),
            (CallbackError::IllegalBuffer, -40008),
            (CallbackError::EncodeBase64, -40009),
            (CallbackError::DecodeBase64, -40010),
            (CallbackError::GenReturnXml, -40011),
        ];
        for (err, code) in all {
            assert_eq!(err.code(), code);
            assert!(err.to_string().contains(&code.to_string()), "{err}");
        }
    }
}
