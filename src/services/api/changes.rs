//! `GET /api/v1/changes`: every create, update and delete of the firm's business data in order —
//! from the API, the sidebar and the back office alike — read from the audit log, so a
//! bookkeeping system can pull what happened in zhangfang (payments confirmed, receipts issued or
//! voided, collections and follow-ups made in the sidebar).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::db::entities::audit_log;
use crate::error::{AppError, AppResult, FieldError};
use crate::services::Ctx;
use crate::services::api::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::services::api_keys::ApiCaller;

/// The tables whose changes the feed carries.
pub const ENTITIES: &[&str] = &[
    "customer",
    "contact",
    "service_contract",
    "receivable",
    "payment",
    "payment_allocation",
    "receipt",
    "invoice",
    "invoice_collection",
    "missing_invoice",
    "tax_filing",
    "financial_report",
    "follow_up",
    "tag",
    "customer_tag",
];

/// Rows younger than this are held back: on PostgreSQL a transaction that took a lower id can
/// commit after one with a higher id, and a reader must not step past it.
const SETTLE: Duration = Duration::seconds(2);

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Change {
    /// Position in the feed; pass the last one seen as `cursor`.
    pub seq: i64,
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// The table, e.g. `payment`.
    pub entity: String,
    pub entity_id: Option<String>,
    /// e.g. `api.create`, `payment.confirm`, `receipt.void`.
    pub action: String,
    /// Who did it: an employee's name, `api:KEY NAME`, `system:…`.
    pub actor: String,
    /// The row after the change (absent for deletes).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangePage {
    pub data: Vec<Change>,
    /// The cursor for the next call (the last `seq`, or the one given when nothing is new).
    pub next_cursor: String,
}

pub async fn list(
    ctx: &Ctx,
    caller: &ApiCaller,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> AppResult<ChangePage> {
    if !caller.scopes.reads_anything() {
        return Err(AppError::Forbidden("此 API 密钥没有读取权限".to_string()));
    }
    let after: i64 = match cursor {
        None | Some("") => 0,
        Some(c) => c.parse().map_err(|_| AppError::Invalid {
            message: "cursor 无效".to_string(),
            details: vec![FieldError::new("cursor", "请使用上次返回的 next_cursor")],
        })?,
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::FirmId.eq(caller.firm_id))
        .filter(audit_log::Column::Id.gt(after))
        .filter(audit_log::Column::Entity.is_in(ENTITIES.iter().copied()))
        .filter(audit_log::Column::OccurredAt.lte(ctx.now() - SETTLE))
        .order_by_asc(audit_log::Column::Id)
        .limit(limit)
        .all(ctx.db.read())
        .await?;
    let next_cursor = rows
        .last()
        .map_or_else(|| after.to_string(), |r| r.id.to_string());
    let data = rows
        .into_iter()
        .filter(|r| caller.scopes.reads_entity(&r.entity))
        .map(|r| Change {
            seq: r.id,
            at: r.occurred_at,
            entity: r.entity,
            entity_id: r.entity_id,
            action: r.action,
            actor: r.actor,
            data: r.new_value,
        })
        .collect();
    Ok(ChangePage { data, next_cursor })
}
