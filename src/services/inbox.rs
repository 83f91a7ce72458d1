//! The callback inbox: every accepted WeCom event is committed here before WeCom gets its ack.
//!
//! Writes go through one writer task that commits in groups: whatever requests are queued when
//! the previous commit finishes go into the next transaction, and each request is answered only
//! after the transaction holding its row has committed. Under load this turns thousands of tiny
//! transactions into a few larger ones (SQLite has one writer; PostgreSQL pays a WAL flush per
//! commit) without ever acknowledging an event that is not stored.
//!
//! Duplicates (a WeCom retry of an event we already hold) are absorbed by the unique key
//! `(firm_id, dedupe_key)`: the insert does nothing and the retry is acknowledged again.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::db::Database;
use crate::domain::clock::Clock;
use crate::error::AppError;
use crate::services::callbacks::{CallbackRefusal, RefusalKind};

/// Requests a single transaction may carry; bounds latency and statement size.
const MAX_BATCH: usize = 1024;
/// Rows per PostgreSQL INSERT statement.
const ROWS_PER_STATEMENT: usize = 256;
/// Approximate bytes per PostgreSQL INSERT statement. Keeping each statement within one TLS
/// record (16 KiB) means one write per statement: sqlx 0.9.0 does not set TCP_NODELAY, and a
/// statement split into a large and a small write waits for the server's delayed ACK (~40 ms) on
/// TLS connections.
const BYTES_PER_STATEMENT: usize = 12 * 1024;
/// The same for a server on this machine (no TLS; the loopback's segments hold 64 KiB).
const LOOPBACK_BYTES_PER_STATEMENT: usize = 60 * 1024;
/// Bytes a row adds besides its payload (ids, dedupe key, time, event names, framing).
const ROW_OVERHEAD_BYTES: usize = 160;
/// After a failed commit, how often the idle writer checks whether the database takes writes
/// again (so `/healthz` recovers without waiting for the next callback).
const PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// Pause before a crashed writer task is started again.
const RESTART_DELAY: Duration = Duration::from_millis(50);

/// How long a callback waits for its commit and how many may wait for the writer.
#[derive(Clone, Copy, Debug)]
pub struct WriterOptions {
    /// A request not committed within this time is answered 503 (WeCom retries it).
    pub commit_timeout: Duration,
    /// Requests that may wait for the writer; one more is answered 503 at once.
    pub queue_depth: usize,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self {
            commit_timeout: Duration::from_secs(3),
            queue_depth: 16 * 1024,
        }
    }
}

/// One decrypted callback, ready to store.
#[derive(Clone, Debug)]
pub struct InboxRow {
    pub firm_id: i64,
    pub app_id: i64,
    pub dedupe_key: String,
    pub received_at: DateTime<Utc>,
    pub msg_type: String,
    pub event: String,
    pub change_type: String,
    pub payload: String,
    /// See [`crate::services::wecom_events::object_key`].
    pub object_key: Option<String>,
}

/// Why a row was not stored.
#[derive(Clone, Debug)]
enum StoreError {
    /// The group's commit failed for a reason other than a constraint (busy, I/O, connection).
    Group(String),
    /// This row alone breaks a constraint.
    Row(String),
}

struct Pending {
    row: InboxRow,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The writer's state as `/healthz` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriterState {
    /// Nothing to write, or committing within the bound.
    Ok,
    /// A commit attempt has been running longer than the commit timeout.
    Stalled,
    /// The last commit attempt failed (cleared by the next successful commit or probe).
    Failing,
    /// The writer task is not running (it is restarted by its supervisor).
    Stopped,
}

/// A snapshot of the writer for health checks and tests.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WriterStatus {
    pub state: WriterState,
    pub running: bool,
    /// Times the writer task was started again after it died.
    pub restarts: u64,
    pub last_commit_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Requests waiting for the writer.
    pub queued: usize,
    /// Milliseconds the current commit attempt has been running, if one is.
    pub committing_for_ms: Option<u64>,
    /// Rows retried on their own after a group failed on a constraint.
    pub rows_retried_alone: u64,
}

#[derive(Default)]
struct Health {
    running: AtomicBool,
    restarts: AtomicU64,
    failing: AtomicBool,
    rows_retried_alone: AtomicU64,
    attempt_started: Mutex<Option<Instant>>,
    last_commit_at: Mutex<Option<DateTime<Utc>>>,
    last_failure_at: Mutex<Option<DateTime<Utc>>>,
    current_task: Mutex<Option<AbortHandle>>,
}

/// Handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: mpsc::Sender<Pending>,
    health: Arc<Health>,
    options: WriterOptions,
}

impl InboxWriter {
    /// Starts the writer under a supervisor that starts it again whenever it panics or is
    /// aborted. The returned task ends when every handle is dropped and the queue is drained.
    pub fn spawn(
        db: Database,
        clock: Arc<dyn Clock>,
        options: WriterOptions,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(options.queue_depth.max(1));
        let health = Arc::new(Health::default());
        let writer = Writer {
            db,
            clock,
            health: health.clone(),
            rx: Arc::new(tokio::sync::Mutex::new(rx)),
        };
        let task = tokio::spawn(supervise(writer));
        (
            Self {
                tx,
                health,
                options,
            },
            task,
        )
    }

    /// Stores `row` and returns once it is committed (or was already there). Answers
    /// `Unavailable` at once when the queue is full, and when the commit has not happened within
    /// the commit timeout: the row may still be stored later, and WeCom's retry is deduplicated.
    pub async fn store(&self, row: InboxRow) -> Result<(), AppError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .try_send(Pending { row, done })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => unavailable("inbox queue is full"),
                mpsc::error::TrySendError::Closed(_) => unavailable("inbox writer stopped"),
            })?;
        match tokio::time::timeout(self.options.commit_timeout, wait).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(StoreError::Group(e)))) => {
                Err(unavailable(&format!("storing callback failed: {e}")))
            }
            Ok(Ok(Err(StoreError::Row(e)))) => {
                Err(AppError::Internal(format!("storing callback failed: {e}")))
            }
            // The writer task died with this request in hand; its supervisor restarts it.
            Ok(Err(_)) => Err(unavailable("inbox writer stopped")),
            Err(_) => Err(unavailable("commit did not finish in time")),
        }
    }

    /// The writer's state for `/healthz`.
    pub fn status(&self) -> WriterStatus {
        let h = &self.health;
        let running = h.running.load(Ordering::SeqCst);
        let committing_for = lock(&h.attempt_started).map(|t| t.elapsed());
        let state = if !running {
            WriterState::Stopped
        } else if committing_for.is_some_and(|d| d > self.options.commit_timeout) {
            WriterState::Stalled
        } else if h.failing.load(Ordering::SeqCst) {
            WriterState::Failing
        } else {
            WriterState::Ok
        };
        WriterStatus {
            state,
            running,
            restarts: h.restarts.load(Ordering::SeqCst),
            last_commit_at: *lock(&h.last_commit_at),
            last_failure_at: *lock(&h.last_failure_at),
            queued: self.tx.max_capacity() - self.tx.capacity(),
            committing_for_ms: committing_for.map(|d| d.as_millis() as u64),
            rows_retried_alone: h.rows_retried_alone.load(Ordering::SeqCst),
        }
    }

    /// Ends the running writer task as a crash would; its supervisor starts a new one. For
    /// fault drills and tests of the supervision.
    pub fn abort_writer_task(&self) {
        if let Some(task) = lock(&self.health.current_task).as_ref() {
            task.abort();
        }
    }
}

fn unavailable(why: &str) -> AppError {
    CallbackRefusal::new(RefusalKind::Unavailable, -1, format!("system busy: {why}")).into()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Clone)]
struct Writer {
    db: Database,
    clock: Arc<dyn Clock>,
    health: Arc<Health>,
    /// Shared so a restarted task takes over the same queue.
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Pending>>>,
}

async fn supervise(writer: Writer) {
    loop {
        writer.health.running.store(true, Ordering::SeqCst);
        let task = tokio::spawn(write_loop(writer.clone()));
        *lock(&writer.health.current_task) = Some(task.abort_handle());
        let outcome = task.await;
        writer.health.running.store(false, Ordering::SeqCst);
        *lock(&writer.health.attempt_started) = None;
        match outcome {
            // Every sender is gone and the queue is drained: shutdown.
            Ok(()) => return,
            Err(e) => {
                let restarts = writer.health.restarts.fetch_add(1, Ordering::SeqCst) + 1;
                tracing::error!(error = %e, restarts, "inbox writer died; starting it again");
                tokio::time::sleep(RESTART_DELAY).await;
            }
        }
    }
}

async fn write_loop(writer: Writer) {
    let mut rx = writer.rx.lock().await;
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    loop {
        let first = if writer.health.failing.load(Ordering::SeqCst) {
            match tokio::time::timeout(PROBE_INTERVAL, rx.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    writer.probe().await;
                    continue;
                }
            }
        } else {
            rx.recv().await
        };
        let Some(first) = first else { return };
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        // A request that stopped waiting (its answer was 503) is left for WeCom's retry.
        batch.retain(|p| !p.done.is_closed());
        if !batch.is_empty() {
            writer.commit_batch(&mut batch).await;
        }
        batch.clear();
    }
}

impl Writer {
    async fn attempt(&self, rows: &[&InboxRow]) -> Result<(), DbErr> {
        *lock(&self.health.attempt_started) = Some(Instant::now());
        let result = insert_in_one_transaction(&self.db, rows).await;
        *lock(&self.health.attempt_started) = None;
        match &result {
            Ok(()) => self.committed(),
            // A row breaking a constraint is that row's problem, not the database's: it does not
            // make the instance unhealthy.
            Err(e) if is_constraint_error(self.db.backend(), e) => {}
            Err(_) => {
                self.health.failing.store(true, Ordering::SeqCst);
                *lock(&self.health.last_failure_at) = Some(self.clock.now());
            }
        }
        result
    }

    fn committed(&self) {
        self.health.failing.store(false, Ordering::SeqCst);
        *lock(&self.health.last_commit_at) = Some(self.clock.now());
    }

    /// An empty write transaction: does the database take writes again?
    async fn probe(&self) {
        let result = async {
            let txn = self.db.begin_write().await?;
            txn.commit().await
        }
        .await;
        if result.is_ok() {
            self.health.failing.store(false, Ordering::SeqCst);
        }
    }

    async fn commit_batch(&self, batch: &mut Vec<Pending>) {
        let rows: Vec<&InboxRow> = batch.iter().map(|p| &p.row).collect();
        match self.attempt(&rows).await {
            Ok(()) => {
                for p in batch.drain(..) {
                    let _ = p.done.send(Ok(()));
                }
            }
            // One bad row must not fail its neighbours: after a constraint error, and only
            // then, each row is tried on its own.
            Err(e) if batch.len() > 1 && is_constraint_error(self.db.backend(), &e) => {
                tracing::warn!(error = %e, rows = batch.len(), "inbox group broke a constraint; retrying rows one by one");
                for p in batch.drain(..) {
                    self.health
                        .rows_retried_alone
                        .fetch_add(1, Ordering::SeqCst);
                    let result = self.attempt(&[&p.row]).await.map_err(|e| {
                        if is_constraint_error(self.db.backend(), &e) {
                            StoreError::Row(e.to_string())
                        } else {
                            StoreError::Group(e.to_string())
                        }
                    });
                    let _ = p.done.send(result);
                }
            }
            Err(e) => {
                let constraint = is_constraint_error(self.db.backend(), &e);
                tracing::error!(error = %e, rows = batch.len(), "inbox commit failed");
                let failure = if constraint {
                    StoreError::Row(e.to_string())
                } else {
                    StoreError::Group(e.to_string())
                };
                for p in batch.drain(..) {
                    let _ = p.done.send(Err(failure.clone()));
                }
            }
        }
    }
}

/// True for errors that belong to the rows rather than the database: unique, foreign-key,
/// not-null and check violations (SQLITE_CONSTRAINT and its extended codes; SQLSTATE class 23).
fn is_constraint_error(backend: DbBackend, err: &DbErr) -> bool {
    let db_err = match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db,
            _ => return false,
        },
        _ => return false,
    };
    let Some(code) = db_err.code() else {
        return false;
    };
    match backend {
        // PostgreSQL: SQLSTATE class 23, integrity constraint violation.
        DbBackend::Postgres => code.starts_with("23"),
        // SQLite: the primary result code (19) is the low byte of the extended one.
        _ => code.parse::<i64>().is_ok_and(|n| n & 0xff == 19),
    }
}

async fn insert_in_one_transaction(db: &Database, rows: &[&InboxRow]) -> Result<(), DbErr> {
    match db.backend() {
        DbBackend::Postgres => insert_postgres(db, rows).await,
        _ => insert_sqlite(db, rows).await,
    }
}

async fn insert_sqlite(db: &Database, rows: &[&InboxRow]) -> Result<(), DbErr> {
    let statements = sqlite_statements(rows);
    if let [only] = statements.as_slice() {
        // A single statement is its own transaction: no BEGIN/COMMIT round trips to the
        // connection's thread, which on a busy machine cost more than the insert itself.
        return db
            .write()
            .execute_raw(sqlite_insert(only))
            .await
            .map(|_| ());
    }
    let txn = db.begin_write().await?;
    for statement in &statements {
        txn.execute_raw(sqlite_insert(statement)).await?;
    }
    txn.commit().await
}

/// PostgreSQL takes the rows as one array per column: one statement text for any number of
/// rows (prepared once per connection) and, for a group within one statement's bytes, one round
/// trip without BEGIN and COMMIT.
const POSTGRES_INSERT: &str = "INSERT INTO callback_inbox \
     (firm_id, app_id, dedupe_key, received_at, msg_type, event, change_type, payload, object_key) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::timestamptz[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[]) \
     ON CONFLICT (firm_id, dedupe_key) DO NOTHING";

async fn insert_postgres(db: &Database, rows: &[&InboxRow]) -> Result<(), DbErr> {
    let limit = if db.is_loopback() {
        LOOPBACK_BYTES_PER_STATEMENT
    } else {
        BYTES_PER_STATEMENT
    };
    let chunks = statement_chunks(rows, limit);
    let pool = db.write().get_postgres_connection_pool();
    if let [only] = chunks.as_slice() {
        return postgres_insert(only)
            .execute(pool)
            .await
            .map(|_| ())
            .map_err(exec_err);
    }
    let mut txn = pool.begin().await.map_err(exec_err)?;
    for chunk in &chunks {
        postgres_insert(chunk)
            .execute(&mut *txn)
            .await
            .map_err(exec_err)?;
    }
    txn.commit().await.map_err(exec_err)
}

fn postgres_insert<'q>(
    rows: &[&'q InboxRow],
) -> sea_orm::sqlx::query::Query<'q, sea_orm::sqlx::Postgres, sea_orm::sqlx::postgres::PgArguments>
{
    let text = |f: fn(&'q InboxRow) -> &'q str| rows.iter().map(|r| f(r)).collect::<Vec<&str>>();
    sea_orm::sqlx::query(POSTGRES_INSERT)
        .bind(rows.iter().map(|r| r.firm_id).collect::<Vec<i64>>())
        .bind(rows.iter().map(|r| r.app_id).collect::<Vec<i64>>())
        .bind(text(|r| &r.dedupe_key))
        .bind(rows.iter().map(|r| r.received_at).collect::<Vec<_>>())
        .bind(text(|r| &r.msg_type))
        .bind(text(|r| &r.event))
        .bind(text(|r| &r.change_type))
        .bind(text(|r| &r.payload))
        .bind(
            rows.iter()
                .map(|r| r.object_key.as_deref())
                .collect::<Vec<Option<&str>>>(),
        )
}

fn exec_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(sea_orm::RuntimeErr::SqlxError(Arc::new(e)))
}

/// Row counts of SQLite's INSERT statements, about 1.5× apart. A group is cut into statements
/// of 256 rows and one last statement padded up to the next of these sizes by repeating its last
/// row (the repeats conflict with the first copy and `DO NOTHING`), so the writer's connection
/// keeps a few statement texts prepared, and a group of up to 256 rows is one statement.
const SQLITE_STATEMENT_ROWS: [usize; 16] =
    [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256];

/// Splits rows into SQLite statements of the sizes in [`SQLITE_STATEMENT_ROWS`], in order.
fn sqlite_statements<'r>(rows: &[&'r InboxRow]) -> Vec<Vec<&'r InboxRow>> {
    let largest = SQLITE_STATEMENT_ROWS[SQLITE_STATEMENT_ROWS.len() - 1];
    rows.chunks(largest)
        .map(|chunk| {
            let size = SQLITE_STATEMENT_ROWS
                .iter()
                .copied()
                .find(|&n| n >= chunk.len())
                .unwrap_or(largest);
            let mut statement = chunk.to_vec();
            if let Some(&last) = chunk.last() {
                statement.resize(size, last);
            }
            statement
        })
        .collect()
}

/// Splits rows into statements bounded by row count and by approximate size (PostgreSQL).
fn statement_chunks<'a, 'r>(rows: &'a [&'r InboxRow], limit: usize) -> Vec<&'a [&'r InboxRow]> {
    let mut chunks = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, row) in rows.iter().enumerate() {
        let size = row.payload.len() + ROW_OVERHEAD_BYTES;
        if i > start && (bytes + size > limit || i - start == ROWS_PER_STATEMENT) {
            chunks.push(&rows[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    if start < rows.len() {
        chunks.push(&rows[start..]);
    }
    chunks
}

fn sqlite_insert(rows: &[&InboxRow]) -> Statement {
    const COLUMNS: usize = 9;
    let mut sql = String::with_capacity(160 + rows.len() * 20);
    sql.push_str(
        "INSERT INTO callback_inbox \
         (firm_id, app_id, dedupe_key, received_at, msg_type, event, change_type, payload, \
         object_key) VALUES ",
    );
    let mut values: Vec<Value> = Vec::with_capacity(rows.len() * COLUMNS);
    for (i, row) in rows.iter().enumerate() {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?,?,?,?,?)"
        });
        values.push(row.firm_id.into());
        values.push(row.app_id.into());
        values.push(row.dedupe_key.clone().into());
        values.push(row.received_at.into());
        values.push(row.msg_type.clone().into());
        values.push(row.event.clone().into());
        values.push(row.change_type.clone().into());
        values.push(row.payload.clone().into());
        values.push(row.object_key.clone().into());
    }
    sql.push_str(" ON CONFLICT (firm_id, dedupe_key) DO NOTHING");
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str) -> InboxRow {
        InboxRow {
            firm_id: 1,
            app_id: 2,
            dedupe_key: key.into(),
            received_at: chrono::DateTime::UNIX_EPOCH,
            msg_type: "event".into(),
            event: "change_external_contact".into(),
            change_type: "add_external_contact".into(),
            payload: "<xml/>".into(),
            object_key: None,
        }
    }

    #[test]
    fn statements_stay_small_but_never_empty() {
        let small: Vec<InboxRow> = (0..600).map(|i| row(&i.to_string())).collect();
        let refs: Vec<&InboxRow> = small.iter().collect();
        let chunks = statement_chunks(&refs, BYTES_PER_STATEMENT);
        assert_eq!(chunks.iter().map(|c| c.len()).sum::<usize>(), 600);
        assert!(
            chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= ROWS_PER_STATEMENT)
        );

        let mut huge = row("big");
        huge.payload = "x".repeat(40 * 1024);
        let mixed = [&small[0], &huge, &small[1]];
        let chunks = statement_chunks(&mixed, BYTES_PER_STATEMENT);
        assert_eq!(chunks.len(), 3, "an oversized row goes alone");
        assert!(statement_chunks(&[], BYTES_PER_STATEMENT).is_empty());

        // 1 KiB events: ten to a statement over TLS, fifty-one on the loopback.
        let mut events: Vec<InboxRow> = (0..100).map(|i| row(&i.to_string())).collect();
        for e in &mut events {
            e.payload = "x".repeat(1024);
        }
        let refs: Vec<&InboxRow> = events.iter().collect();
        assert_eq!(statement_chunks(&refs, BYTES_PER_STATEMENT).len(), 10);
        assert_eq!(
            statement_chunks(&refs, LOOPBACK_BYTES_PER_STATEMENT).len(),
            2
        );
    }

    #[test]
    fn statement_uses_question_marks_on_sqlite() {
        let a = row("a");
        let stmt = sqlite_insert(&[&a, &a]);
        assert!(
            stmt.sql
                .contains("(?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?) ON CONFLICT")
        );
        assert_eq!(stmt.values.map(|v| v.0.len()), Some(18));
    }

    #[test]
    fn sqlite_groups_become_few_statements_of_few_sizes() {
        let rows: Vec<InboxRow> = (0..1023).map(|i| row(&i.to_string())).collect();
        let refs: Vec<&InboxRow> = rows.iter().collect();
        for n in [0, 1, 3, 5, 13, 255, 256, 257, 1000, 1023] {
            let statements = sqlite_statements(&refs[..n]);
            assert_eq!(statements.len(), n.div_ceil(256));
            assert!(
                statements
                    .iter()
                    .all(|s| SQLITE_STATEMENT_ROWS.contains(&s.len()))
            );
            // Every row, in order; a statement is only padded with repeats of its last row.
            let mut flat: Vec<&str> = Vec::new();
            for s in &statements {
                let keys: Vec<&str> = s.iter().map(|r| r.dedupe_key.as_str()).collect();
                let last = keys.iter().rposition(|k| *k != keys[keys.len() - 1]);
                let real = last.map_or(1, |i| i + 2);
                assert!(keys[real..].iter().all(|k| *k == keys[real - 1]));
                flat.extend(&keys[..real]);
            }
            let want: Vec<&str> = refs[..n].iter().map(|r| r.dedupe_key.as_str()).collect();
            assert_eq!(flat, want);
        }
        // Padding stays within half again the group.
        assert_eq!(sqlite_statements(&refs[..13])[0].len(), 16);
        assert_eq!(sqlite_statements(&refs[..17])[0].len(), 24);
        assert_eq!(sqlite_statements(&refs[..257])[1].len(), 1);
    }
}
