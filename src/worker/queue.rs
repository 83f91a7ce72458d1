//! The `background_job` table as a queue: enqueue, claim with a lease, and finish.
//!
//! Every state change of a claimed job is a conditional UPDATE on `(id, status = 'running',
//! locked_by, attempts)`: a worker whose lease lapsed and whose job was taken by another worker
//! (which bumped `attempts`) changes nothing. That works the same on PostgreSQL and on SQLite,
//! where there are no row locks but only one writer at a time.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Value};

use super::job::NewJob;
use crate::db::entities::background_job;
use crate::db::{Database, statement};

/// The unique key of a recurring kind's one live job.
pub const RECURRING_KEY: &str = "recurring";

/// Longest `last_error` kept; a handler's error chain can be long (HTML bodies, say).
const MAX_ERROR_CHARS: usize = 2000;

/// Due jobs: queued ones whose time has come, and running ones whose worker stopped renewing.
const DUE: &str = "(status = 'queued' AND run_at <= ?) OR (status = 'running' AND lease_until < ?)";

/// The row a worker still owns, for the conditional updates below.
const MINE: &str = "id = ? AND status = 'running' AND locked_by = ? AND attempts = ?";

/// Adds `job` unless a live job of its kind has the same unique key. Returns the new id, or `None`
/// for a duplicate. Runs on `conn`, so a service can enqueue inside its own transaction.
pub async fn enqueue_on<C: ConnectionTrait>(
    conn: &C,
    now: DateTime<Utc>,
    job: NewJob,
) -> Result<Option<i64>, DbErr> {
    // No conflict target: the unique index is partial (live jobs only), and a target would have
    // to repeat its predicate.
    let sql = "INSERT INTO background_job \
        (firm_id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at, updated_at) \
        VALUES (?, ?, ?, ?, 'queued', ?, 0, ?, ?, ?) \
        ON CONFLICT DO NOTHING RETURNING id";
    let values: Vec<Value> = vec![
        job.firm_id.into(),
        job.kind.into(),
        job.payload.into(),
        job.unique_key.into(),
        job.run_at.unwrap_or(now).into(),
        job.max_attempts.into(),
        now.into(),
        now.into(),
    ];
    let row = conn
        .query_one_raw(statement(conn.get_database_backend(), sql, values))
        .await?;
    row.map(|r| r.try_get_by_index::<i64>(0)).transpose()
}

/// True when some job is due: a cheap read, so an idle worker does not take the SQLite writer
/// every time it looks.
pub async fn any_due(db: &Database, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let sql = format!("SELECT id FROM background_job WHERE {DUE} LIMIT 1");
    let row = db
        .read()
        .query_one_raw(statement(db.backend(), &sql, [now.into(), now.into()]))
        .await?;
    Ok(row.is_some())
}

/// Takes the next due job for `worker` until `lease_until`, counting one more attempt.
///
/// PostgreSQL skips rows another worker is claiming at this instant (`FOR UPDATE SKIP LOCKED`),
/// and the repeated condition outside the subquery is checked again against a row another worker
/// changed meanwhile. SQLite runs the statement on the one writer connection, and the write lock
/// between processes makes it atomic there.
pub async fn claim(
    db: &Database,
    worker: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<background_job::Model>, DbErr> {
    let lock = match db.backend() {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    };
    let sql = format!(
        "UPDATE background_job \
         SET status = 'running', attempts = attempts + 1, lease_until = ?, locked_by = ?, updated_at = ? \
         WHERE id = (SELECT id FROM background_job WHERE {DUE} ORDER BY run_at, id LIMIT 1{lock}) \
         AND ({DUE}) RETURNING *"
    );
    let values: Vec<Value> = vec![
        lease_until.into(),
        worker.into(),
        now.into(),
        now.into(),
        now.into(),
        now.into(),
        now.into(),
    ];
    let row = db
        .write()
        .query_one_raw(statement(db.backend(), &sql, values))
        .await?;
    row.map(|r| background_job::Model::from_query_result(&r, ""))
        .transpose()
}

/// Identifies a claimed run: the row, the worker and the attempt it claimed.
#[derive(Clone, Debug)]
pub struct Claim {
    pub id: i64,
    pub worker: String,
    pub attempt: i32,
}

impl Claim {
    fn values(&self) -> [Value; 3] {
        [
            self.id.into(),
            self.worker.clone().into(),
            self.attempt.into(),
        ]
    }
}

async fn update_mine<C: ConnectionTrait>(
    conn: &C,
    set: &str,
    mut values: Vec<Value>,
    claim: &Claim,
) -> Result<bool, DbErr> {
    let sql = format!("UPDATE background_job SET {set} WHERE {MINE}");
    values.extend(claim.values());
    let done = conn
        .execute_raw(statement(conn.get_database_backend(), &sql, values))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Extends the lease of a running job; false when the worker no longer owns it.
pub async fn renew(
    db: &Database,
    claim: &Claim,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<bool, DbErr> {
    update_mine(
        db.write(),
        "lease_until = ?, updated_at = ?",
        vec![lease_until.into(), now.into()],
        claim,
    )
    .await
}

/// Marks the run done and, for a recurring kind, enqueues the next run in the same transaction,
/// so there is never a moment without a live job of that kind.
pub async fn complete(
    db: &Database,
    claim: &Claim,
    now: DateTime<Utc>,
    next: Option<NewJob>,
) -> Result<bool, DbErr> {
    finish(
        db,
        claim,
        "status = 'done', lease_until = NULL, locked_by = NULL, finished_at = ?, updated_at = ?",
        vec![now.into(), now.into()],
        now,
        next,
    )
    .await
}

/// Fails the job for good, keeping `error`; a recurring kind still gets its next run.
pub async fn fail(
    db: &Database,
    claim: &Claim,
    now: DateTime<Utc>,
    error: &str,
    next: Option<NewJob>,
) -> Result<bool, DbErr> {
    finish(
        db,
        claim,
        "status = 'failed', lease_until = NULL, locked_by = NULL, last_error = ?, finished_at = ?, updated_at = ?",
        vec![truncate(error).into(), now.into(), now.into()],
        now,
        next,
    )
    .await
}

async fn finish(
    db: &Database,
    claim: &Claim,
    set: &str,
    values: Vec<Value>,
    now: DateTime<Utc>,
    next: Option<NewJob>,
) -> Result<bool, DbErr> {
    let Some(next) = next else {
        return update_mine(db.write(), set, values, claim).await;
    };
    let txn = db.begin_write().await?;
    let mine = update_mine(&txn, set, values, claim).await?;
    if mine {
        enqueue_on(&txn, now, next).await?;
    }
    txn.commit().await?;
    Ok(mine)
}

/// Queues the job again for `run_at`, keeping `error`.
pub async fn retry(
    db: &Database,
    claim: &Claim,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
    error: &str,
) -> Result<bool, DbErr> {
    update_mine(
        db.write(),
        "status = 'queued', run_at = ?, lease_until = NULL, locked_by = NULL, last_error = ?, updated_at = ?",
        vec![run_at.into(), truncate(error).into(), now.into()],
        claim,
    )
    .await
}

/// Hands an unfinished run back to the queue, due at once. The interrupted run was not the job's
/// fault, so it does not count as an attempt.
pub async fn release(db: &Database, claim: &Claim, now: DateTime<Utc>) -> Result<bool, DbErr> {
    update_mine(
        db.write(),
        "status = 'queued', attempts = attempts - 1, lease_until = NULL, locked_by = NULL, updated_at = ?",
        vec![now.into()],
        claim,
    )
    .await
}

fn truncate(error: &str) -> String {
    match error.char_indices().nth(MAX_ERROR_CHARS) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_on_a_character_boundary() {
        let long = "错".repeat(MAX_ERROR_CHARS + 10);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
