//! The one error type of request handling.
//!
//! Policy: people get a Chinese message that says what to do; API clients get JSON with a stable
//! `code`; the WeCom callback gets `{"errcode", "errmsg"}` with WeCom's own codes. Database details
//! and secrets never reach a response: unexpected failures are logged with their cause and shown
//! as a generic message. Unique and foreign-key violations become 409/422 with a friendly text.
//!
//! `error_response` always builds JSON; [`crate::web::error_pages`] turns it into an HTML page for
//! browsers that asked for one, using the [`ErrorInfo`] left in the response extensions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use sea_orm::DbErr;
use serde::Serialize;

use crate::services::callbacks::{CallbackRefusal, RefusalKind};
use crate::wecom::token_cache::TokenError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    /// Input refused field by field (API clients get the list as `details`).
    #[error("{message}")]
    Invalid {
        message: String,
        details: Vec<FieldError>,
    },
    /// A write that would overwrite what zhangfang owns; `details` names the fields.
    #[error("{message}")]
    Owned {
        message: String,
        details: Vec<FieldError>,
    },
    /// An API request without a usable key.
    #[error("{0}")]
    ApiKey(String),
    #[error("请先登录")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// A rate limit: try again after `retry_after` seconds (sent as `Retry-After`).
    #[error("操作太频繁，请{retry_after}秒后再试")]
    Throttled { retry_after: u64 },
    /// A refusal in WeCom's callback vocabulary.
    #[error(transparent)]
    Callback(#[from] CallbackRefusal),
    /// No usable session. A page request is sent to `signin_url` (which returns to the page);
    /// a fragment or JSON request gets 401 with `signin_url` in the body, never a redirect.
    #[error("请先登录")]
    SignInRequired { signin_url: String, page: bool },
    /// WeCom (or another upstream service) failed; the message says what to do.
    #[error("{0}")]
    Upstream(String),
    #[error("database error: {0}")]
    Database(DbErr),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the HTML error page renders; kept in the response extensions.
#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub status: StatusCode,
    pub message: String,
}

#[derive(Serialize)]
struct JsonError<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    signin_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a [FieldError]>,
}

/// What is wrong with one field of the input (of one row, in a batch or an import).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The 0-based row of a batch; absent for a single object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            row: None,
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn at_row(mut self, row: usize) -> Self {
        self.row = Some(row);
        self
    }
}

#[derive(Serialize)]
struct WecomError<'a> {
    errcode: i32,
    errmsg: &'a str,
}

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::BadRequest(_) => "bad_request",
            Self::Validation(_) => "validation_failed",
            Self::Conflict(_) => "conflict",
            Self::Invalid { .. } => "validation_failed",
            Self::Owned { .. } => "owned_by_zhangfang",
            Self::ApiKey(_) => "unauthorized",
            Self::Unauthorized | Self::SignInRequired { .. } => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::TooManyRequests(_) | Self::Throttled { .. } => "too_many_requests",
            Self::Callback { .. } => "wecom_callback",
            Self::Upstream(_) => "upstream_failed",
            Self::Database(_) | Self::Internal(_) => "internal",
            Self::Unavailable(_) => "unavailable",
        }
    }

    /// The message a person may see; internal causes are replaced by a generic text.
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => "服务器内部错误，请稍后再试".to_string(),
            Self::Unavailable(_) => "服务暂时不可用，请稍后再试".to_string(),
            other => other.to_string(),
        }
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if crate::db::is_unique_violation(&err) {
            Self::Conflict("记录已存在，请勿重复提交".to_string())
        } else if crate::db::is_foreign_key_violation(&err) {
            Self::Validation("关联的记录不存在或不属于本公司".to_string())
        } else {
            Self::Database(err)
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) | Self::Owned { .. } => StatusCode::CONFLICT,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::ApiKey(_) => StatusCode::UNAUTHORIZED,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::SignInRequired { page: true, .. } => StatusCode::FOUND,
            Self::SignInRequired { page: false, .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests(_) | Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Callback(refusal) => match refusal.kind {
                RefusalKind::Signature => StatusCode::UNAUTHORIZED,
                RefusalKind::Malformed | RefusalKind::Stale => StatusCode::BAD_REQUEST,
                RefusalKind::UnknownCorp | RefusalKind::UnknownAgent => StatusCode::NOT_FOUND,
                RefusalKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                RefusalKind::TooSlow => StatusCode::REQUEST_TIMEOUT,
                RefusalKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            },
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut builder = HttpResponse::build(status);
        if let Self::Throttled { retry_after } = self {
            builder.insert_header((
                actix_web::http::header::RETRY_AFTER,
                retry_after.to_string(),
            ));
        }
        let mut response = match self {
            Self::Callback(refusal) => builder.json(WecomError {
                errcode: refusal.errcode,
                errmsg: &refusal.errmsg,
            }),
            Self::SignInRequired {
                signin_url,
                page: true,
            } => builder
                .insert_header((actix_web::http::header::LOCATION, signin_url.as_str()))
                .finish(),
            other => {
                let message = other.public_message();
                let signin_url = match other {
                    Self::SignInRequired { signin_url, .. } => Some(signin_url.as_str()),
                    _ => None,
                };
                let details = match other {
                    Self::Invalid { details, .. } | Self::Owned { details, .. } => {
                        Some(details.as_slice())
                    }
                    _ => None,
                };
                if matches!(other, Self::ApiKey(_)) {
                    builder.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
                }
                builder.json(JsonError {
                    error: other.code(),
                    message: &message,
                    signin_url,
                    details,
                })
            }
        };
        if !matches!(self, Self::Callback(_) | Self::SignInRequired { .. }) {
            response.extensions_mut().insert(ErrorInfo {
                status,
                message: self.public_message(),
            });
        }
        response
    }
}

/// A WeCom failure as the person using the page should read it.
impl From<TokenError> for AppError {
    fn from(e: TokenError) -> Self {
        match &e {
            TokenError::Wecom(w) => {
                let hint = w
                    .admin_hint()
                    .unwrap_or("请稍后再试，如持续出现请联系管理员");
                let code = w
                    .errcode()
                    .map(|c| format!("（错误码 {c}）"))
                    .unwrap_or_default();
                tracing::warn!(error = %w, "WeCom call failed");
                Self::Upstream(format!("企业微信接口调用失败{code}：{hint}"))
            }
            TokenError::Store(_) => Self::Internal(e.to_string()),
            TokenError::Timeout(_) => Self::Unavailable(e.to_string()),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body_of(resp: HttpResponse) -> String {
        let bytes = resp.into_body().try_into_bytes().unwrap_or_default();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let err = AppError::Internal("password=hunter2 in connection string".into());
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = body_of(resp);
        assert!(!body.contains("hunter2"));
        assert!(body.contains("服务器内部错误"));
    }

    #[test]
    fn callback_errors_use_wecom_shape() {
        let err = AppError::from(CallbackRefusal::new(
            RefusalKind::Signature,
            -40001,
            "signature mismatch",
        ));
        let resp = err.error_response();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        let body: serde_json::Value = serde_json::from_str(&body_of(resp)).unwrap();
        assert_eq!(body["errcode"], -40001);
        assert_eq!(body["errmsg"], "signature mismatch");
    }
}
