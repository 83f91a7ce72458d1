//! Receipt numbers (收据编号): unique per firm, gapless per year, never reused.
//!
//! A number is taken inside the transaction that issues the receipt, by one UPDATE on the firm's
//! `receipt_counter` row for that year: concurrent issuers queue on the row, and a transaction
//! that rolls back gives its number back with everything else, so no gap is left. A voided
//! receipt keeps its number.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::db::statement;
use crate::domain::receipt::ReceiptNo;
use crate::error::{AppError, AppResult};

/// The next receipt number of `firm_id` for `year`, within the caller's transaction.
pub async fn next_number(
    txn: &impl ConnectionTrait,
    firm_id: i64,
    year: i32,
    now: DateTime<Utc>,
) -> AppResult<ReceiptNo> {
    let backend = txn.get_database_backend();
    txn.execute_raw(statement(
        backend,
        "INSERT INTO receipt_counter (firm_id, year, last_value, updated_at) VALUES (?, ?, 0, ?) \
         ON CONFLICT (firm_id, year) DO NOTHING",
        [firm_id.into(), year.into(), now.into()],
    ))
    .await?;
    let row = txn
        .query_one_raw(statement(
            backend,
            "UPDATE receipt_counter SET last_value = last_value + 1, updated_at = ? \
             WHERE firm_id = ? AND year = ? RETURNING last_value",
            [now.into(), firm_id.into(), year.into()],
        ))
        .await?
        .ok_or_else(|| AppError::internal("receipt counter row missing"))?;
    let value: i64 = row.try_get_by_index(0)?;
    let seq = u32::try_from(value).map_err(|_| AppError::internal("receipt counter overflow"))?;
    ReceiptNo::new(year, seq).map_err(|e| AppError::Conflict(format!("{e}")))
}
