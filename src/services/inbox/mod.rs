//! The callback inbox: every accepted WeCom event is committed here before WeCom gets its ack.
//!
//! Writes go through one writer, on a thread of its own, that commits in groups: whatever requests
//! are queued when the previous commit finishes go into the next transaction, and each request is
//! answered only after the transaction holding its row has committed. Under load this turns
//! thousands of tiny transactions into a few larger ones (SQLite has one writer; PostgreSQL pays a
//! WAL flush per commit) without ever acknowledging an event that is not stored.
//!
//! On SQLite the thread drives a connection of its own through SQLite's C API, so a request's row
//! goes from the queue into the database with no further hand-off: no async task between the
//! request and the writer, no connection thread behind it. On PostgreSQL the thread keeps a
//! connection of its own, outside the pool, on a small runtime of its own, so each answer is read
//! by the thread that waits for it.
//!
//! Duplicates (a WeCom retry of an event we already hold) are absorbed by the unique key
//! `(firm_id, dedupe_key)`: the insert does nothing and the retry is acknowledged again.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, DbErr};
use tokio::sync::oneshot;

use answer::{Answer, Ticket};

use crate::db::Database;
use crate::db::raw_sqlite::{Param, RawConnection};
use crate::domain::clock::Clock;
use crate::error::AppError;
use crate::services::callbacks::{CallbackRefusal, RefusalKind};

mod answer;

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
/// Pause before a crashed writer is started again.
const RESTART_DELAY: Duration = Duration::from_millis(50);
/// How often a PostgreSQL group chosen as a deadlock's victim is tried again before its requests
/// get 503. Two instances whose groups share retried events can lock them in opposite orders;
/// PostgreSQL then aborts one group after `deadlock_timeout` while the other commits, so the
/// retry finds those rows stored and answers at once.
const DEADLOCK_RETRIES: u32 = 3;
/// The wait before the first such retry, doubled for each next one. Retried at once, the victim
/// can take its first row again before the winner, just woken, has inserted it, and the two
/// deadlock again.
const DEADLOCK_BACKOFF: Duration = Duration::from_millis(50);

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
    ticket: Ticket<StoreError>,
}

enum Message {
    Store(Pending),
    /// Makes the writer fail as a crash would (see [`InboxWriter::abort_writer_task`]).
    Crash,
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
    /// The writer is not running (it is restarted by its supervisor).
    Stopped,
}

/// A snapshot of the writer for health checks and tests.
#[derive(Clone, Debug, serde::Serialize)]
pub struct WriterStatus {
    pub state: WriterState,
    pub running: bool,
    /// Times the writer was started again after it died.
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
}

/// Handle to the writer; cheap to clone.
#[derive(Clone)]
pub struct InboxWriter {
    tx: flume::Sender<Message>,
    health: Arc<Health>,
    options: WriterOptions,
}

impl InboxWriter {
    /// Starts the writer on a thread of its own, under a supervisor that starts it again whenever
    /// it panics. The returned task (on the caller's runtime) ends when every handle is dropped
    /// and the queue is drained.
    pub fn spawn(
        db: Database,
        clock: Arc<dyn Clock>,
        options: WriterOptions,
    ) -> std::io::Result<(Self, tokio::task::JoinHandle<()>)> {
        let (tx, rx) = flume::bounded(options.queue_depth.max(1));
        let health = Arc::new(Health::default());
        health.running.store(true, Ordering::SeqCst);
        let engine = match db.backend() {
            DbBackend::Postgres => Engine::Postgres {
                db,
                runtime: None,
                conn: None,
            },
            _ => Engine::Sqlite { db, conn: None },
        };
        let writer = Writer {
            engine,
            clock,
            health: health.clone(),
            rx,
        };
        let (finished, drained) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("inbox-writer".into())
            .spawn(move || {
                supervise(writer);
                let _ = finished.send(());
            })?;
        let task = tokio::spawn(async move {
            let _ = drained.await;
        });
        Ok((
            Self {
                tx,
                health,
                options,
            },
            task,
        ))
    }

    /// Stores `row` and returns once it is committed (or was already there). Answers
    /// `Unavailable` at once when the queue is full, and when the commit has not happened within
    /// the commit timeout: the row may still be stored later, and WeCom's retry is deduplicated.
    pub async fn store(&self, row: InboxRow) -> Result<(), AppError> {
        let (ticket, wait) = answer::slot();
        self.tx
            .try_send(Message::Store(Pending { row, ticket }))
            .map_err(|e| match e {
                flume::TrySendError::Full(_) => unavailable("inbox queue is full"),
                flume::TrySendError::Disconnected(_) => unavailable("inbox writer stopped"),
            })?;
        match tokio::time::timeout(self.options.commit_timeout, wait).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(Answer::Failed(StoreError::Group(e)))) => {
                Err(unavailable(&format!("storing callback failed: {e}")))
            }
            Ok(Err(Answer::Failed(StoreError::Row(e)))) => {
                Err(AppError::Internal(format!("storing callback failed: {e}")))
            }
            // The writer died with this request in hand; its supervisor restarts it.
            Ok(Err(Answer::Dropped)) => Err(unavailable("inbox writer stopped")),
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
            queued: self.tx.len(),
            committing_for_ms: committing_for.map(|d| d.as_millis() as u64),
            rows_retried_alone: h.rows_retried_alone.load(Ordering::SeqCst),
        }
    }

    /// Makes the writer fail as a crash would, once it reaches this message: the requests it
    /// holds are answered 503 and its supervisor starts it again with a new connection. For
    /// fault drills and tests of the supervision.
    pub fn abort_writer_task(&self) {
        let _ = self.tx.try_send(Message::Crash);
    }
}

fn unavailable(why: &str) -> AppError {
    CallbackRefusal::new(RefusalKind::Unavailable, -1, format!("system busy: {why}")).into()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A failed attempt: whether a row broke a constraint (the row's problem) or the database failed.
struct Failure {
    constraint: bool,
    message: String,
}

/// Where the writer's rows go.
enum Engine {
    /// Opened on first use and again after a failure or a crash.
    Sqlite {
        db: Database,
        conn: Option<RawConnection>,
    },
    /// A connection of its own, outside the pool, on a runtime of the writer's thread: the
    /// answer to each statement is read by this thread, not handed over from another.
    Postgres {
        db: Database,
        runtime: Option<tokio::runtime::Runtime>,
        conn: Option<sea_orm::sqlx::PgConnection>,
    },
}

const SQLITE_INSERT: &str = "INSERT INTO callback_inbox \
     (firm_id, app_id, dedupe_key, received_at, msg_type, event, change_type, payload, object_key) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (firm_id, dedupe_key) DO NOTHING";

impl Engine {
    /// Stores the rows in one transaction.
    fn insert(&mut self, rows: &[&InboxRow]) -> Result<(), Failure> {
        match self {
            Engine::Sqlite { db, conn } => {
                let c = sqlite_connection(db, conn)?;
                let result = insert_sqlite(c, rows);
                if let Err(e) = &result {
                    if c.in_transaction() {
                        let _ = c.execute_batch("ROLLBACK");
                    }
                    // After anything but a bad row, start the next attempt on a new connection.
                    if !e.is_constraint() {
                        *conn = None;
                    }
                }
                result.map_err(|e| Failure {
                    constraint: e.is_constraint(),
                    message: e.to_string(),
                })
            }
            Engine::Postgres { db, runtime, conn } => {
                let runtime = writer_runtime(runtime)?;
                let result = runtime.block_on(async {
                    let mut retries = 0;
                    loop {
                        let c = postgres_connection(db, conn).await?;
                        match insert_postgres(db, c, rows).await {
                            Err(e) if is_deadlock(&e) && retries < DEADLOCK_RETRIES => {
                                tracing::warn!(error = %e, rows = rows.len(), retries, "inbox group lost a deadlock; trying it again");
                                tokio::time::sleep(DEADLOCK_BACKOFF * 2u32.pow(retries)).await;
                                retries += 1;
                            }
                            other => return other,
                        }
                    }
                });
                result.map_err(|e| {
                    let constraint = is_constraint_error(&e);
                    // After anything but a bad row, start the next attempt on a new connection.
                    if !constraint {
                        *conn = None;
                    }
                    Failure {
                        constraint,
                        message: e.to_string(),
                    }
                })
            }
        }
    }

    /// An empty write transaction: does the database take writes again?
    fn probe(&mut self) -> bool {
        match self {
            Engine::Sqlite { db, conn } => sqlite_connection(db, conn)
                .is_ok_and(|c| c.execute_batch("BEGIN IMMEDIATE; COMMIT").is_ok()),
            Engine::Postgres { db, runtime, conn } => {
                let Ok(runtime) = writer_runtime(runtime) else {
                    return false;
                };
                let ok = runtime
                    .block_on(async {
                        use sea_orm::sqlx::Connection as _;
                        let c = postgres_connection(db, conn).await?;
                        let txn = c.begin().await.map_err(exec_err)?;
                        txn.commit().await.map_err(exec_err)
                    })
                    .is_ok();
                if !ok {
                    *conn = None;
                }
                ok
            }
        }
    }

    /// Between two groups: when the checkpointer has copied nearly all of a large WAL, copy the
    /// rest here, where no write can come in between, so the next transaction starts the WAL
    /// over (see `db::checkpoint_loop`).
    fn between_groups(&mut self) {
        if let Engine::Sqlite { db, conn: Some(c) } = self
            && db.take_wal_catch_up()
            && let Err(e) = c.checkpoint_passive()
        {
            tracing::debug!(error = %e, "the inbox writer's checkpoint failed");
        }
    }

    /// Forgets the connection (a crashed writer may have left it inside a transaction).
    fn reset(&mut self) {
        match self {
            Engine::Sqlite { conn, .. } => *conn = None,
            Engine::Postgres { conn, .. } => *conn = None,
        }
    }
}

/// The writer thread's own runtime, made on first use (in that thread).
fn writer_runtime(
    runtime: &mut Option<tokio::runtime::Runtime>,
) -> Result<&tokio::runtime::Runtime, Failure> {
    if runtime.is_none() {
        let built = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure {
                constraint: false,
                message: format!("cannot start the inbox writer's runtime: {e}"),
            })?;
        *runtime = Some(built);
    }
    runtime.as_ref().ok_or_else(|| Failure {
        constraint: false,
        message: "no inbox runtime".into(),
    })
}

async fn postgres_connection<'c>(
    db: &Database,
    conn: &'c mut Option<sea_orm::sqlx::PgConnection>,
) -> Result<&'c mut sea_orm::sqlx::PgConnection, DbErr> {
    let open = match conn.take() {
        Some(open) => open,
        None => db
            .connect_postgres_writer()
            .await
            .unwrap_or_else(|| Err(DbErr::Custom("not a PostgreSQL database".into())))?,
    };
    Ok(conn.insert(open))
}

fn sqlite_connection<'c>(
    db: &Database,
    conn: &'c mut Option<RawConnection>,
) -> Result<&'c mut RawConnection, Failure> {
    let open = match conn.take() {
        Some(open) => open,
        None => db
            .open_sqlite_writer()
            .unwrap_or_else(|| {
                Err(crate::db::raw_sqlite::RawError {
                    code: 1,
                    message: "not a SQLite database".into(),
                })
            })
            .map_err(|e| Failure {
                constraint: false,
                message: format!("cannot open the inbox's connection: {e}"),
            })?,
    };
    Ok(conn.insert(open))
}

/// One prepared single-row INSERT per row between BEGIN IMMEDIATE and COMMIT: SQLite runs the
/// whole group without leaving this thread.
fn insert_sqlite(
    conn: &mut RawConnection,
    rows: &[&InboxRow],
) -> Result<(), crate::db::raw_sqlite::RawError> {
    conn.execute("BEGIN IMMEDIATE", &[])?;
    for row in rows {
        // The text sqlx writes for a timestamp, so both writers' rows read back alike.
        let received_at = row
            .received_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        conn.execute(
            SQLITE_INSERT,
            &[
                Param::Int(row.firm_id),
                Param::Int(row.app_id),
                Param::Text(&row.dedupe_key),
                Param::Text(&received_at),
                Param::Text(&row.msg_type),
                Param::Text(&row.event),
                Param::Text(&row.change_type),
                Param::Text(&row.payload),
                row.object_key.as_deref().map_or(Param::Null, Param::Text),
            ],
        )?;
    }
    conn.execute("COMMIT", &[])?;
    Ok(())
}

struct Writer {
    engine: Engine,
    clock: Arc<dyn Clock>,
    health: Arc<Health>,
    /// Kept across restarts, so a restarted writer takes over the same queue.
    rx: flume::Receiver<Message>,
}

/// The writer crashed (a drill, see [`InboxWriter::abort_writer_task`]).
struct Crashed;

fn supervise(mut writer: Writer) {
    loop {
        writer.health.running.store(true, Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| writer.write_loop()));
        writer.health.running.store(false, Ordering::SeqCst);
        *lock(&writer.health.attempt_started) = None;
        let why = match outcome {
            // Every sender is gone and the queue is drained: shutdown.
            Ok(Ok(())) => return,
            Ok(Err(Crashed)) => "aborted".to_string(),
            Err(panic) => panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panicked".into()),
        };
        writer.engine.reset();
        let restarts = writer.health.restarts.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::error!(error = %why, restarts, "inbox writer died; starting it again");
        std::thread::sleep(RESTART_DELAY);
    }
}

impl Writer {
    fn write_loop(&mut self) -> Result<(), Crashed> {
        let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
        loop {
            let first = if self.health.failing.load(Ordering::SeqCst) {
                match self.rx.recv_timeout(PROBE_INTERVAL) {
                    Ok(next) => next,
                    Err(flume::RecvTimeoutError::Timeout) => {
                        if self.engine.probe() {
                            self.health.failing.store(false, Ordering::SeqCst);
                        }
                        continue;
                    }
                    Err(flume::RecvTimeoutError::Disconnected) => return Ok(()),
                }
            } else {
                match self.rx.recv() {
                    Ok(next) => next,
                    Err(_) => return Ok(()),
                }
            };
            let mut next = Some(first);
            while let Some(message) = next.take() {
                match message {
                    Message::Store(p) => batch.push(p),
                    // The requests in hand are dropped with the batch: answered 503.
                    Message::Crash => return Err(Crashed),
                }
                if batch.len() < MAX_BATCH {
                    next = self.rx.try_recv().ok();
                }
            }
            // A request that stopped waiting (its answer was 503) is left for WeCom's retry.
            batch.retain(|p| !p.ticket.is_abandoned());
            if !batch.is_empty() {
                self.commit_batch(&mut batch);
            }
            batch.clear();
            self.engine.between_groups();
        }
    }

    fn attempt(&mut self, rows: &[&InboxRow]) -> Result<(), Failure> {
        *lock(&self.health.attempt_started) = Some(Instant::now());
        let result = self.engine.insert(rows);
        *lock(&self.health.attempt_started) = None;
        match &result {
            Ok(()) => {
                self.health.failing.store(false, Ordering::SeqCst);
                *lock(&self.health.last_commit_at) = Some(self.clock.now());
            }
            // A row breaking a constraint is that row's problem, not the database's: it does not
            // make the instance unhealthy.
            Err(e) if e.constraint => {}
            Err(_) => {
                self.health.failing.store(true, Ordering::SeqCst);
                *lock(&self.health.last_failure_at) = Some(self.clock.now());
            }
        }
        result
    }

    fn commit_batch(&mut self, batch: &mut Vec<Pending>) {
        let rows: Vec<&InboxRow> = batch.iter().map(|p| &p.row).collect();
        let outcome = self.attempt(&rows);
        drop(rows);
        match outcome {
            Ok(()) => answer::answer_all(batch.drain(..).map(|p| (p.ticket, Ok(())))),
            // One bad row must not fail its neighbours: after a constraint error, and only
            // then, each row is tried on its own.
            Err(e) if batch.len() > 1 && e.constraint => {
                tracing::warn!(error = %e.message, rows = batch.len(), "inbox group broke a constraint; retrying rows one by one");
                for p in batch.drain(..) {
                    self.health
                        .rows_retried_alone
                        .fetch_add(1, Ordering::SeqCst);
                    let result = self.attempt(&[&p.row]).map_err(|e| {
                        Answer::Failed(if e.constraint {
                            StoreError::Row(e.message)
                        } else {
                            StoreError::Group(e.message)
                        })
                    });
                    answer::answer_all([(p.ticket, result)]);
                }
            }
            Err(e) => {
                tracing::error!(error = %e.message, rows = batch.len(), "inbox commit failed");
                let failure = if e.constraint {
                    StoreError::Row(e.message)
                } else {
                    StoreError::Group(e.message)
                };
                answer::answer_all(
                    batch
                        .drain(..)
                        .map(|p| (p.ticket, Err(Answer::Failed(failure.clone())))),
                );
            }
        }
    }
}

/// True for PostgreSQL errors that belong to the rows rather than the database: unique,
/// foreign-key, not-null and check violations (SQLSTATE class 23).
fn is_constraint_error(err: &DbErr) -> bool {
    sqlstate(err).is_some_and(|code| code.starts_with("23"))
}

/// PostgreSQL aborted the group to break a deadlock (SQLSTATE 40P01); the connection stays usable.
fn is_deadlock(err: &DbErr) -> bool {
    sqlstate(err).is_some_and(|code| code == "40P01")
}

fn sqlstate(err: &DbErr) -> Option<std::borrow::Cow<'_, str>> {
    match err {
        DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e)) => match e.as_ref() {
            sea_orm::sqlx::Error::Database(db) => db.code(),
            _ => None,
        },
        _ => None,
    }
}

/// PostgreSQL takes the rows as one array per column: one statement text for any number of
/// rows (prepared once per connection) and, for a group within one statement's bytes, one round
/// trip without BEGIN and COMMIT.
const POSTGRES_INSERT: &str = "INSERT INTO callback_inbox \
     (firm_id, app_id, dedupe_key, received_at, msg_type, event, change_type, payload, object_key) \
     SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::timestamptz[], $5::text[], \
     $6::text[], $7::text[], $8::text[], $9::text[]) \
     ON CONFLICT (firm_id, dedupe_key) DO NOTHING";

async fn insert_postgres(
    db: &Database,
    conn: &mut sea_orm::sqlx::PgConnection,
    rows: &[&InboxRow],
) -> Result<(), DbErr> {
    use sea_orm::sqlx::Connection as _;
    let limit = if db.is_loopback() {
        LOOPBACK_BYTES_PER_STATEMENT
    } else {
        BYTES_PER_STATEMENT
    };
    let chunks = statement_chunks(rows, limit);
    if let [only] = chunks.as_slice() {
        return postgres_insert(only)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(exec_err);
    }
    let mut txn = conn.begin().await.map_err(exec_err)?;
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
}
