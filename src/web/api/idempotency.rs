//! `Idempotency-Key` on POST: the first answer to a key is kept (per API key, 24 hours) and the
//! same key with the same body gets it again byte for byte; the same key with another body is a
//! 422. A request still running under the key makes a second one wait its turn with 409.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::db::entities::api_idempotency;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::Ctx;
use crate::services::api_keys::ApiCaller;

pub const HEADER: &str = "Idempotency-Key";
/// Kept this long; then the key may be used again.
pub const KEEP_HOURS: i64 = 24;
/// Marks a claim whose request is still running.
const RUNNING: i32 = 0;

fn request_hash(req: &HttpRequest, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(req.method().as_str().as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Runs `f` once per idempotency key (when the request carries one).
pub async fn once<F, Fut>(
    ctx: &Ctx,
    caller: &ApiCaller,
    req: &HttpRequest,
    body: &[u8],
    f: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<HttpResponse>>,
{
    let Some(key) = req.headers().get(HEADER) else {
        return f().await;
    };
    let key = key
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 100)
        .ok_or_else(|| AppError::Invalid {
            message: "Idempotency-Key 无效".to_string(),
            details: vec![FieldError::new(HEADER, "1 至 100 个可见字符")],
        })?
        .to_string();
    let hash = request_hash(req, body);
    let now = ctx.now();
    let scope = |q: sea_orm::Select<api_idempotency::Entity>| {
        q.filter(api_idempotency::Column::FirmId.eq(caller.firm_id))
            .filter(api_idempotency::Column::ApiKeyId.eq(caller.key_id))
            .filter(api_idempotency::Column::IdemKey.eq(key.as_str()))
    };
    if let Some(seen) = scope(api_idempotency::Entity::find())
        .one(ctx.db.read())
        .await?
    {
        if now - seen.created_at < chrono::Duration::hours(KEEP_HOURS) {
            return replay(&seen, &hash);
        }
        api_idempotency::Entity::delete_many()
            .filter(api_idempotency::Column::FirmId.eq(caller.firm_id))
            .filter(api_idempotency::Column::ApiKeyId.eq(caller.key_id))
            .filter(api_idempotency::Column::IdemKey.eq(key.as_str()))
            .exec(ctx.db.write())
            .await?;
    }
    // The claim: of two requests racing with one key, exactly one inserts it.
    let claim = api_idempotency::ActiveModel {
        firm_id: Set(caller.firm_id),
        api_key_id: Set(caller.key_id),
        idem_key: Set(key.clone()),
        request_hash: Set(hash.clone()),
        status: Set(RUNNING),
        response_body: Set(String::new()),
        created_at: Set(now),
    }
    .insert(ctx.db.write())
    .await;
    if let Err(e) = claim {
        if crate::db::is_unique_violation(&e)
            && let Some(seen) = scope(api_idempotency::Entity::find())
                .one(ctx.db.write())
                .await?
        {
            return replay(&seen, &hash);
        }
        return Err(e.into());
    }
    let response = match f().await {
        Ok(r) => r,
        Err(e) => e.error_response(),
    };
    let status = response.status();
    let forget = api_idempotency::Entity::delete_many()
        .filter(api_idempotency::Column::FirmId.eq(caller.firm_id))
        .filter(api_idempotency::Column::ApiKeyId.eq(caller.key_id))
        .filter(api_idempotency::Column::IdemKey.eq(key.as_str()));
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // Nothing was decided; the client may try the same key again.
        forget.exec(ctx.db.write()).await?;
        return Ok(response);
    }
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body)
        .await
        .map_err(|_| AppError::internal("response body unreadable"))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    api_idempotency::Entity::update_many()
        .col_expr(
            api_idempotency::Column::Status,
            sea_orm::sea_query::Expr::value(i32::from(status.as_u16())),
        )
        .col_expr(
            api_idempotency::Column::ResponseBody,
            sea_orm::sea_query::Expr::value(text.clone()),
        )
        .filter(api_idempotency::Column::FirmId.eq(caller.firm_id))
        .filter(api_idempotency::Column::ApiKeyId.eq(caller.key_id))
        .filter(api_idempotency::Column::IdemKey.eq(key.as_str()))
        .exec(ctx.db.write())
        .await?;
    Ok(head.set_body(text).map_into_boxed_body())
}

fn replay(seen: &api_idempotency::Model, hash: &str) -> AppResult<HttpResponse> {
    if seen.request_hash != hash {
        return Err(AppError::Invalid {
            message: "此 Idempotency-Key 已用于另一个请求".to_string(),
            details: vec![FieldError::new(HEADER, "同一个键只能用于同一个请求")],
        });
    }
    if seen.status == RUNNING {
        return Err(AppError::Conflict(
            "同一个 Idempotency-Key 的请求正在处理，请稍后重试".to_string(),
        ));
    }
    let status = u16::try_from(seen.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| AppError::internal("stored idempotent status"))?;
    Ok(HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
        .insert_header(("Idempotent-Replayed", "true"))
        .body(seen.response_body.clone()))
}
