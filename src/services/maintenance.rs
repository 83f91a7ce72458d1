//! Housekeeping: deleting rows nobody needs any more. The background worker runs these on a
//! schedule; each returns how many rows it deleted.
//!
//! Every purge deletes in batches of [`BATCH`] rows, one statement each, so a large backlog never
//! holds the SQLite writer (or PostgreSQL row locks) for long. Each statement repeats its
//! conditions outside the batch subquery: PostgreSQL re-checks those against a row changed while
//! the statement waited for it, so a row that became live again in between is kept. (The inbox's
//! statement on SQLite does without; see [`purge_callback_inbox_sql`].)

use chrono::Duration;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Value};

use crate::db::statement;
use crate::services::Ctx;

/// Rows per DELETE statement.
pub const BATCH: u64 = 1000;

/// Revoked sessions are kept this long (recent sign-outs stay visible to support).
const REVOKED_KEPT: Duration = Duration::days(1);
/// SMS codes count toward a phone's daily limit (the current Beijing day), so none younger than
/// a full day is ever deleted.
const SMS_CODES_KEPT: Duration = Duration::days(1);
/// A token row younger than this may be one `try_lease` has just inserted and is about to lease.
const TOKEN_ROW_GRACE: Duration = Duration::minutes(10);

/// Sessions that have expired, or were revoked more than a day ago.
pub async fn purge_web_sessions(ctx: &Ctx) -> Result<u64, DbErr> {
    let now = ctx.now();
    let revoked_before = now - REVOKED_KEPT;
    let gone = "expires_at < ? OR revoked_at < ?";
    delete_in_batches(
        ctx,
        &format!(
            "DELETE FROM web_session WHERE id IN \
             (SELECT id FROM web_session WHERE {gone} LIMIT {BATCH}) AND ({gone})"
        ),
        vec![
            now.into(),
            revoked_before.into(),
            now.into(),
            revoked_before.into(),
        ],
    )
    .await
}

/// Sign-in round trips that expired more than a day ago (kept a day for support, like
/// revoked sessions).
pub async fn purge_oauth_states(ctx: &Ctx) -> Result<u64, DbErr> {
    let before = ctx.now() - REVOKED_KEPT;
    let gone = "expires_at < ?";
    delete_in_batches(
        ctx,
        &format!(
            "DELETE FROM oauth_state WHERE id IN \
             (SELECT id FROM oauth_state WHERE {gone} LIMIT {BATCH}) AND {gone}"
        ),
        vec![before.into(), before.into()],
    )
    .await
}

/// SMS codes that expired more than a day ago and were created more than a day ago.
pub async fn purge_sms_codes(ctx: &Ctx) -> Result<u64, DbErr> {
    let before = ctx.now() - SMS_CODES_KEPT;
    let gone = "expires_at < ? AND created_at < ?";
    delete_in_batches(
        ctx,
        &format!(
            "DELETE FROM sms_code WHERE id IN \
             (SELECT id FROM sms_code WHERE {gone} LIMIT {BATCH}) AND {gone}"
        ),
        vec![before.into(), before.into(), before.into(), before.into()],
    )
    .await
}

/// Cached WeCom tokens and tickets whose value has expired (or was invalidated) and whose refresh
/// lease nobody holds. A row another instance is refreshing is never touched.
pub async fn purge_wecom_tokens(ctx: &Ctx) -> Result<u64, DbErr> {
    let now = ctx.now();
    let gone = "(expires_at IS NULL OR expires_at < ?) \
                AND (lock_until IS NULL OR lock_until < ?) AND updated_at < ?";
    let values = || -> [Value; 3] { [now.into(), now.into(), (now - TOKEN_ROW_GRACE).into()] };
    delete_in_batches(
        ctx,
        &format!(
            "DELETE FROM wecom_token_cache WHERE (firm_id, app_id, kind) IN \
             (SELECT firm_id, app_id, kind FROM wecom_token_cache WHERE {gone} LIMIT {BATCH}) \
             AND {gone}"
        ),
        values().into_iter().chain(values()).collect(),
    )
    .await
}

/// Callbacks processed successfully more than `[worker] inbox_retention_days` ago. Pending and
/// failed callbacks stay whatever their age.
pub async fn purge_callback_inbox(ctx: &Ctx) -> Result<u64, DbErr> {
    let before = ctx.now() - Duration::days(i64::from(ctx.settings.worker.inbox_retention_days));
    let sql = purge_callback_inbox_sql(ctx.db.backend());
    let binds = sql.matches('?').count();
    delete_in_batches(ctx, &sql, vec![before.into(); binds]).await
}

/// One batch of [`purge_callback_inbox`]; every `?` is the cut-off time.
///
/// The batch is found through `ix_callback_inbox_done_processed_at`, a partial index of done rows
/// by time, so it reads only rows past retention. Through the status index it would walk the done
/// rows still kept (a month of events) before finding none, inside a DELETE that holds SQLite's
/// write lock, with every callback's commit waiting behind it. SQLite, without statistics, takes
/// the status index for an equality on `status`, so it is told which index to use; and it needs
/// no re-check outside the batch (its statement runs alone under the write lock), which would
/// draw it back to the status index for the DELETE itself.
pub fn purge_callback_inbox_sql(backend: DbBackend) -> String {
    let gone = "status = 'done' AND processed_at < ?";
    match backend {
        DbBackend::Postgres => format!(
            "DELETE FROM callback_inbox WHERE id IN \
             (SELECT id FROM callback_inbox WHERE {gone} LIMIT {BATCH}) AND {gone}"
        ),
        _ => format!(
            "DELETE FROM callback_inbox WHERE id IN \
             (SELECT id FROM callback_inbox INDEXED BY ix_callback_inbox_done_processed_at \
              WHERE {gone} LIMIT {BATCH})"
        ),
    }
}

/// Idempotency keys older than [`KEEP_HOURS`](crate::web::api::idempotency::KEEP_HOURS): past
/// that the key may be used again, and its answer is no longer needed.
pub async fn purge_api_idempotency(ctx: &Ctx) -> Result<u64, DbErr> {
    let before = ctx.now() - Duration::hours(crate::web::api::idempotency::KEEP_HOURS);
    delete_in_batches(
        ctx,
        &format!(
            "DELETE FROM api_idempotency WHERE (firm_id, api_key_id, idem_key) IN \
             (SELECT firm_id, api_key_id, idem_key FROM api_idempotency \
              WHERE created_at < ? LIMIT {BATCH}) AND created_at < ?"
        ),
        vec![before.into(), before.into()],
    )
    .await
}

async fn delete_in_batches(ctx: &Ctx, sql: &str, values: Vec<Value>) -> Result<u64, DbErr> {
    let db = &ctx.db;
    let mut total = 0;
    loop {
        let deleted = db
            .write()
            .execute_raw(statement(db.backend(), sql, values.clone()))
            .await?
            .rows_affected();
        total += deleted;
        if deleted < BATCH {
            return Ok(total);
        }
        // Let requests waiting for the writer go first.
        tokio::task::yield_now().await;
    }
}
