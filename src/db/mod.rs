//! Database access: connect by URL scheme, migrate, and hand out read and write connections.
//!
//! SQLite serves one instance: a single writer connection (every write transaction is `BEGIN
//! IMMEDIATE`, because a deferred transaction that later upgrades to a write fails with
//! SQLITE_BUSY whatever the busy timeout says) beside a pool of read-only connections, in WAL mode
//! with foreign keys enforced. Automatic WAL checkpoints are switched off on the writer and run by
//! a background task instead, so no request ever pays for one.
//!
//! PostgreSQL serves any number of stateless instances: one pool for reads and writes, and
//! migrations serialised by an advisory lock so instances starting together migrate once.

pub mod entities;
pub mod migration;
pub mod raw_sqlite;
mod wal_gather;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::sqlx::ConnectOptions as _;
use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, SqlxPostgresConnector, SqlxSqliteConnector, Statement,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::task::JoinHandle;

use crate::config::{DatabaseSettings, SqliteSynchronous as SyncSetting};

/// How long a SQLite connection waits for another's lock before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes a WAL that grew during a burst is cut back to when it starts over.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;
/// The same for the callback inbox's connection, which starts the WAL over most often (see
/// [`WAL_CATCH_UP_FRAMES`]): a WAL of up to this size is written over in place rather than cut
/// back and grown again, each time costing the file system an extent freed and allocated again.
const WRITER_JOURNAL_SIZE_LIMIT: i64 = 256 * 1024 * 1024;
/// How often the background task folds the WAL back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);
/// How often SQLite's planner statistics are refreshed (see [`Database::refresh_statistics`]).
const OPTIMIZE_INTERVAL: Duration = Duration::from_secs(3600);
/// Arbitrary but fixed key for `pg_advisory_xact_lock` around migrations ("zf" + "migr").
const MIGRATION_LOCK_KEY: i64 = 0x7a66_6d69_6772;

#[derive(Clone)]
pub struct Database {
    inner: Arc<Inner>,
}

struct Inner {
    backend: DbBackend,
    read: DatabaseConnection,
    write: DatabaseConnection,
    checkpointer: Option<Checkpointer>,
    /// SQLite only: how to open another writer connection on the same file.
    sqlite_writer: Option<SqliteWriterSettings>,
    /// PostgreSQL only: how the pool connects, for a connection of one's own.
    postgres_options: Option<PgConnectOptions>,
    /// The server is on this machine (always for SQLite): nothing between us and it splits a
    /// large write, so statements may be larger.
    loopback: bool,
}

struct SqliteWriterSettings {
    path: std::path::PathBuf,
    synchronous: &'static str,
}

struct Checkpointer {
    pool: SqlitePool,
    task: JoinHandle<()>,
    /// Set when the task has copied nearly all of a growing WAL, so that the writer copies the
    /// rest between two transactions and the WAL starts over.
    wal_catch_up: Arc<AtomicBool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(c) = &self.checkpointer {
            c.task.abort();
        }
    }
}

impl Database {
    pub async fn connect(settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let url = settings.url.expose();
        if settings.url.is_sqlite() {
            Self::connect_sqlite(url, settings).await
        } else {
            Self::connect_postgres(url, settings).await
        }
    }

    async fn connect_sqlite(url: &str, settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let base = SqliteConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
        if let Some(parent) = base.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
        }
        create_private(base.get_filename())?;
        let (synchronous, synchronous_name) = match settings.sqlite_synchronous {
            SyncSetting::Normal => (SqliteSynchronous::Normal, "NORMAL"),
            SyncSetting::Full => (SqliteSynchronous::Full, "FULL"),
        };
        let sqlite_writer = SqliteWriterSettings {
            path: base.get_filename().to_path_buf(),
            synchronous: synchronous_name,
        };
        let base = base
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(synchronous)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // A WAL that grew during a burst is cut back to this size when it starts over.
            .pragma("journal_size_limit", JOURNAL_SIZE_LIMIT.to_string())
            .disable_statement_logging();

        let writer = open_writer(&base).await?;
        let reader = sqlite_pool()
            .max_connections(settings.sqlite_read_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone().pragma("query_only", "ON").pragma(
                "cache_size",
                format!("-{}", settings.sqlite_read_cache_kib.max(64)),
            ))
            .await
            .map_err(sqlx_err)?;
        let maintenance = sqlite_pool()
            .max_connections(1)
            .connect_with(base)
            .await
            .map_err(sqlx_err)?;
        let wal_catch_up = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(checkpoint_loop(
            maintenance.clone(),
            wal_catch_up.clone(),
            sqlite_writer.path.clone(),
        ));
        Ok(Self {
            inner: Arc::new(Inner {
                backend: DbBackend::Sqlite,
                read: SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
                write: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                checkpointer: Some(Checkpointer {
                    pool: maintenance,
                    task,
                    wal_catch_up,
                }),
                sqlite_writer: Some(sqlite_writer),
                postgres_options: None,
                loopback: true,
            }),
        })
    }

    async fn connect_postgres(url: &str, settings: &DatabaseSettings) -> Result<Self, DbErr> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| DbErr::Custom(format!("invalid PostgreSQL URL: {e}")))?
            .disable_statement_logging();
        // TLS on loopback protects nothing and costs: sqlx 0.9.0 sets no TCP_NODELAY, so TLS
        // writes split in two wait ~40 ms for the server's delayed ACK. An explicit sslmode wins.
        let loopback = is_loopback_host(options.get_host());
        if loopback && !url.contains("sslmode=") {
            options = options.ssl_mode(PgSslMode::Disable);
        }
        // sqlx pings a connection when it goes back to the pool and, by default, again when it is
        // taken out: each ping is a round trip, so a one-statement read cost three. The ping on
        // release already finds a broken connection (and closes it) before anyone takes it.
        let postgres_options = Some(options.clone());
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(2))
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(sqlx_err)?;
        let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
        Ok(Self {
            inner: Arc::new(Inner {
                backend: DbBackend::Postgres,
                read: conn.clone(),
                write: conn,
                checkpointer: None,
                sqlite_writer: None,
                postgres_options,
                loopback,
            }),
        })
    }

    pub fn backend(&self) -> DbBackend {
        self.inner.backend
    }

    /// The database server runs on this machine (SQLite always does).
    pub fn is_loopback(&self) -> bool {
        self.inner.loopback
    }

    pub fn is_sqlite(&self) -> bool {
        self.inner.backend == DbBackend::Sqlite
    }

    /// Drops what connections keep from a bulk load (seeding a large demo firm). Its multi-row
    /// INSERTs of thousands of parameters stay prepared for reuse: on SQLite each one's compiled
    /// program sits in the writer connection until evicted, tens of MB at profile L that nothing
    /// serving pages ever uses again. On PostgreSQL the plans live in the server, but each pooled
    /// connection keeps its send and receive buffers at the size of the largest message it
    /// carried (megabytes for those INSERTs): every connection is taken, cleared and shrunk.
    pub async fn release_cached_statements(&self) -> Result<(), DbErr> {
        use sea_orm::sqlx::Connection as _;
        if self.is_sqlite() {
            let mut conn = self
                .inner
                .write
                .get_sqlite_connection_pool()
                .acquire()
                .await
                .map_err(sqlx_err)?;
            conn.clear_cached_statements().await.map_err(sqlx_err)?;
            return Ok(());
        }
        let pool = self.inner.write.get_postgres_connection_pool();
        let mut held = Vec::new();
        // Holding each one taken makes the next acquire hand out another. One still on its way
        // back to the pool is waited for: meanwhile acquire opens new ones (nothing to shrink),
        // and once the pool is full it waits for the rest.
        while held.len() < pool.size() as usize {
            held.push(pool.acquire().await.map_err(sqlx_err)?);
        }
        for conn in &mut held {
            conn.clear_cached_statements().await.map_err(sqlx_err)?;
            conn.shrink_buffers();
        }
        Ok(())
    }

    /// Connection for queries that do not write.
    pub fn read(&self) -> &DatabaseConnection {
        &self.inner.read
    }

    /// Connection for single-statement writes (each is its own transaction).
    pub fn write(&self) -> &DatabaseConnection {
        &self.inner.write
    }

    /// A write transaction for what may be lost in a database crash (hints, preferences): on
    /// PostgreSQL its commit does not wait for the WAL to reach the disk (`synchronous_commit =
    /// off` for this transaction; it stays atomic). On SQLite, in WAL mode with `synchronous =
    /// normal`, no commit waits for the disk anyway.
    pub async fn begin_write_without_flush(&self) -> Result<DatabaseTransaction, DbErr> {
        let txn = self.begin_write().await?;
        if !self.is_sqlite() {
            txn.execute_unprepared("SET LOCAL synchronous_commit = off")
                .await?;
        }
        Ok(txn)
    }

    /// SQLite only: a writer connection of its own on the database file, with the pooled
    /// writer's settings, for a caller that drives SQLite from a thread of its own (the callback
    /// inbox). `None` on PostgreSQL. Blocking: call it from that thread.
    pub fn open_sqlite_writer(
        &self,
    ) -> Option<Result<raw_sqlite::RawConnection, raw_sqlite::RawError>> {
        let settings = self.inner.sqlite_writer.as_ref()?;
        Some(raw_sqlite::RawConnection::open(
            &settings.path,
            &raw_sqlite::RawOptions {
                synchronous: settings.synchronous,
                busy_timeout: BUSY_TIMEOUT,
                journal_size_limit: WRITER_JOURNAL_SIZE_LIMIT,
            },
        ))
    }

    /// PostgreSQL only: a connection of its own, outside the pool, made on the caller's runtime
    /// (the callback inbox's thread runs one of its own, so the socket is polled by that thread).
    pub async fn connect_postgres_writer(
        &self,
    ) -> Option<Result<sea_orm::sqlx::PgConnection, DbErr>> {
        use sea_orm::sqlx::ConnectOptions as _;
        let options = self.inner.postgres_options.as_ref()?;
        Some(options.connect().await.map_err(sqlx_err))
    }

    /// SQLite: true once after the checkpointer asked the writer to finish its work (see
    /// [`checkpoint_loop`]); the caller, a writer between two transactions, runs a PASSIVE
    /// checkpoint on its own connection.
    pub fn take_wal_catch_up(&self) -> bool {
        self.inner
            .checkpointer
            .as_ref()
            .is_some_and(|c| c.wal_catch_up.swap(false, Ordering::AcqRel))
    }

    /// A write transaction: `BEGIN IMMEDIATE` on SQLite, a plain transaction on PostgreSQL.
    pub async fn begin_write(&self) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: self.is_sqlite().then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.inner.write.begin_with_options(options).await
    }

    /// Applies pending migrations. On PostgreSQL the whole run holds a transaction-scoped
    /// advisory lock, so instances starting at the same moment migrate exactly once.
    pub async fn migrate(&self) -> Result<(), DbErr> {
        let txn = self.begin_write().await?;
        if !self.is_sqlite() {
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"),
            ))
            .await?;
        }
        migration::Migrator::up(&txn, None).await?;
        txn.commit().await
    }

    /// Names of migrations not yet applied.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, DbErr> {
        Ok(
            migration::Migrator::get_pending_migrations_read_only(self.read())
                .await?
                .iter()
                .map(|m| m.name().to_string())
                .collect(),
        )
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.inner.read.ping().await?;
        self.inner.write.ping().await
    }

    /// Folds the WAL into the main file and truncates it; called on shutdown and after bulk loads.
    pub async fn checkpoint(&self) -> Result<(), DbErr> {
        if let Some(c) = &self.inner.checkpointer {
            sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&c.pool)
                .await
                .map_err(sqlx_err)?;
        }
        Ok(())
    }

    /// Brings the query planner's table statistics up to date; called after bulk loads (a seed,
    /// an import) and, on SQLite, at start and every [`OPTIMIZE_INTERVAL`]. Without statistics
    /// SQLite guesses, and at firm scale it guesses wrong: it answered "the customers linked to
    /// this chat" by walking every customer of the firm in name order instead of the chat's
    /// links. `PRAGMA optimize` analyses only the tables that changed a lot since the last time,
    /// each from a bounded sample (`analysis_limit`), so it costs milliseconds.
    pub async fn refresh_statistics(&self) -> Result<(), DbErr> {
        match &self.inner.checkpointer {
            Some(c) => optimize(&c.pool, true).await.map_err(sqlx_err),
            None if self.inner.backend == DbBackend::Postgres => self
                .inner
                .write
                .execute_unprepared("ANALYZE")
                .await
                .map(|_| ()),
            None => Ok(()),
        }
    }

    pub async fn close(&self) {
        if let Some(c) = &self.inner.checkpointer {
            c.task.abort();
        }
        if let Err(e) = self.checkpoint().await {
            tracing::warn!(error = %e, "final WAL checkpoint failed");
        }
        let _ = self.inner.read.close_by_ref().await;
        if self.inner.backend == DbBackend::Sqlite {
            let _ = self.inner.write.close_by_ref().await;
        }
        if let Some(c) = &self.inner.checkpointer {
            c.pool.close().await;
        }
    }
}

/// Pool options for every SQLite connection we open: each gets the query planner stability
/// guarantee. The bundled SQLite is built with STAT4, and with its samples (which `ANALYZE` and
/// `PRAGMA optimize` write) any statement whose plan could depend on a bound value is re-prepared
/// whenever that value changes, which is every execution of a page's queries (customer ids,
/// search patterns): measured at a third of SQLite's time on the sidebar panel. With the
/// guarantee, a prepared statement keeps its plan, chosen from the `sqlite_stat1` averages.
///
/// A pooled SQLite connection lives on a thread of its own and each ping is a hand-off to that
/// thread and back; it cannot lose a server, so it is not pinged on the way out of the pool (sqlx
/// still pings it on the way back in).
fn sqlite_pool() -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                let mut handle = conn.lock_handle().await?;
                let db = handle.as_raw_handle();
                // SAFETY: the handle is locked for this call and stays open while we hold it; the
                // option takes an int and an optional out-pointer, here null.
                let rc = unsafe {
                    libsqlite3_sys::sqlite3_db_config(
                        db.as_ptr(),
                        libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                        1 as std::ffi::c_int,
                        std::ptr::null_mut::<std::ffi::c_int>(),
                    )
                };
                if rc == libsqlite3_sys::SQLITE_OK {
                    Ok(())
                } else {
                    Err(sea_orm::sqlx::Error::Protocol(format!(
                        "SQLite refused the query planner stability guarantee (code {rc})"
                    )))
                }
            })
        })
}

/// Opens the single writer connection. Switching a new file to WAL needs a moment alone with
/// it, and SQLite answers SQLITE_BUSY without waiting when another process (a second `zhangfang`
/// command on the same file) is doing the same, so that case is retried for a while.
async fn open_writer(base: &SqliteConnectOptions) -> Result<SqlitePool, DbErr> {
    let mut delay = Duration::from_millis(10);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let attempt = sqlite_pool()
            .min_connections(1)
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(base.clone().pragma("wal_autocheckpoint", "0"))
            .await;
        match attempt {
            Ok(pool) => return Ok(pool),
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
            }
            Err(e) => return Err(sqlx_err(e)),
        }
    }
}

/// Creates the database file readable by its owner only (0600), before SQLite opens it: it holds
/// every firm's data, and SQLite gives its -wal and -shm files the same permissions.
fn create_private(path: &std::path::Path) -> Result<(), DbErr> {
    if path.as_os_str().is_empty() || path == std::path::Path::new(":memory:") || path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process created it first; it chose the permissions.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(DbErr::Custom(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

fn is_busy(e: &sea_orm::sqlx::Error) -> bool {
    matches!(e, sea_orm::sqlx::Error::Database(db) if db.code().as_deref() == Some("5"))
}

/// `PRAGMA optimize` on SQLite, as its documentation advises for long-lived connections: with
/// `0x10002` at start (also analyses tables never analysed), plain later. Each table is read only
/// in part (`analysis_limit`).
async fn optimize(pool: &SqlitePool, first: bool) -> Result<(), sea_orm::sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sea_orm::sqlx::query("PRAGMA analysis_limit = 1000")
        .execute(&mut *conn)
        .await?;
    let pragma = if first {
        "PRAGMA optimize = 0x10002"
    } else {
        "PRAGMA optimize"
    };
    sea_orm::sqlx::query(pragma).execute(&mut *conn).await?;
    Ok(())
}

async fn checkpoint_loop(pool: SqlitePool, wal_catch_up: Arc<AtomicBool>, path: PathBuf) {
    let mut optimized: Option<std::time::Instant> = None;
    let mut interval = CHECKPOINT_INTERVAL;
    let mut last_frames = 0;
    loop {
        tokio::time::sleep(interval).await;
        if optimized.is_none_or(|at| at.elapsed() >= OPTIMIZE_INTERVAL) {
            if let Err(e) = optimize(&pool, optimized.is_none()).await {
                tracing::debug!(error = %e, "PRAGMA optimize skipped");
            }
            optimized = Some(std::time::Instant::now());
        }
        let (frames, copied) = match passive_checkpoint(&pool).await {
            Ok(pass) => pass,
            Err(e) => {
                tracing::debug!(error = %e, "WAL checkpoint skipped");
                continue;
            }
        };
        let growing = is_growing(frames, last_frames);
        last_frames = frames;
        if growing {
            catch_up(&pool, copied).await;
            flush_database_file(&path).await;
            // Copy what the writer appended during the flush as well, so that its own pass
            // copies (and syncs) only the frames of the last few milliseconds.
            if let Err(e) = passive_checkpoint(&pool).await {
                tracing::debug!(error = %e, "WAL checkpoint after the flush skipped");
            }
            wal_catch_up.store(true, Ordering::Release);
        }
        interval = if growing {
            BUSY_CHECKPOINT_INTERVAL
        } else {
            CHECKPOINT_INTERVAL
        };
        if frames > WAL_RESTART_FRAMES {
            restart_wal(&pool).await;
        }
    }
}

/// A WAL past [`WAL_CATCH_UP_FRAMES`] that was written since the last tick: the checkpointer
/// catches up and checks again soon. A large WAL nobody writes to is left alone (the next write
/// transaction starts it over, since every frame is copied by then).
fn is_growing(frames: i64, last_frames: i64) -> bool {
    frames > WAL_CATCH_UP_FRAMES && frames != last_frames
}

/// PASSIVE checkpoints never block the writer or readers; they copy what they can. Returns the
/// frames in the WAL and how many of them are in the database file.
async fn passive_checkpoint(pool: &SqlitePool) -> Result<(i64, i64), sea_orm::sqlx::Error> {
    let (_, frames, copied): (i64, i64, i64) =
        sea_orm::sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await?;
    Ok((frames, copied))
}

/// WAL frames (16 MiB of 4 KiB pages) above which the checkpointer catches up with a busy
/// writer. SQLite starts the WAL over only when a write transaction begins with every frame
/// copied, which a checkpoint running beside a steady writer never achieves: each pass ends
/// behind the frames written meanwhile, and the WAL grows for as long as the stream lasts
/// (about 1 GB in four seconds of callbacks at full speed), every frame a newly allocated block.
/// So the checkpointer runs passes back to back, each shorter than the last, and then asks the
/// writer to copy the few frames left between two of its transactions (see
/// [`Database::take_wal_catch_up`]); its next transaction starts the WAL over.
const WAL_CATCH_UP_FRAMES: i64 = 4096;
/// A catch-up pass that copied fewer frames than this leaves the writer little to copy.
const CATCH_UP_SMALL_PASS: i64 = 512;
const CATCH_UP_MAX_PASSES: usize = 8;
/// How often the checkpointer runs while the WAL is past [`WAL_CATCH_UP_FRAMES`].
const BUSY_CHECKPOINT_INTERVAL: Duration = Duration::from_millis(50);

async fn catch_up(pool: &SqlitePool, mut copied: i64) {
    for _ in 0..CATCH_UP_MAX_PASSES {
        match passive_checkpoint(pool).await {
            // The WAL started over meanwhile: nothing left to catch up with.
            Ok((_, now)) if now < copied => return,
            Ok((_, now)) => {
                let pass = now - copied;
                copied = now;
                if pass < CATCH_UP_SMALL_PASS {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// Writes the pages that [`catch_up`]'s passes copied into the database file out to the disk,
/// here rather than in the writer's catch-up. SQLite syncs the database file only at the end of a
/// pass that copied every frame, which a passive pass beside a busy writer never is: left to it,
/// the writer's pass, the first to finish, would write out every page copied since the WAL last
/// started over (one `fsync` of 20-30 ms, with every callback in its group waiting). After this
/// flush its `fsync` writes only the few pages it copied itself. Best effort: a failure leaves
/// that work to the writer's pass.
async fn flush_database_file(path: &std::path::Path) {
    let path = path.to_path_buf();
    let flushed =
        tokio::task::spawn_blocking(move || std::fs::File::open(&path)?.sync_data()).await;
    match flushed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "flushing the database file failed"),
        Err(e) => tracing::debug!(error = %e, "flushing the database file did not run"),
    }
}

/// Frames (pages) in the WAL above which the checkpointer makes the next writer start it over
/// itself. The catch-up above keeps the WAL small while the callback inbox is the one writing;
/// a stream of writes through the pooled writer alone (an import) is never asked to catch up,
/// and its WAL would grow for as long as the stream lasts. The RESTART holds every writer back
/// while it copies (hundreds of milliseconds at this size), so it is a guard for the disk (1 GiB
/// of 4 KiB pages), not a routine; `journal_size_limit` then shrinks the file back to 64 MiB.
const WAL_RESTART_FRAMES: i64 = 256 * 1024;

/// A RESTART checkpoint: holds new writers back (they wait in their busy handler) while it copies
/// the frames the passive checkpoint missed and waits for readers to leave the WAL, so the next
/// write transaction starts the WAL over. It waits for the writer and for readers at most
/// 100 ms: a long read (an export) must not hold every write back for the
/// connections' whole busy timeout; the next tick tries again.
async fn restart_wal(pool: &SqlitePool) {
    let outcome = async {
        let mut conn = pool.acquire().await?;
        sea_orm::sqlx::query("PRAGMA busy_timeout = 100")
            .execute(&mut *conn)
            .await?;
        let result =
            sea_orm::sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(RESTART)")
                .fetch_one(&mut *conn)
                .await;
        // The connection's own busy timeout again (BUSY_TIMEOUT).
        sea_orm::sqlx::query("PRAGMA busy_timeout = 10000")
            .execute(&mut *conn)
            .await?;
        result
    }
    .await;
    match outcome {
        Ok((0, _, _)) => {}
        Ok(_) => tracing::debug!("WAL restart checkpoint could not finish; retrying next tick"),
        Err(e) => tracing::debug!(error = %e, "WAL restart checkpoint skipped"),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host.starts_with('/')
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn sqlx_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(e)))
}

/// `%q%` for `LIKE … ESCAPE '\'`: matches `q` anywhere, its own `%`, `_` and `\` taken literally.
pub fn contains_pattern(q: &str) -> String {
    let mut escaped = String::with_capacity(q.len() + 2);
    escaped.push('%');
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    escaped
}

/// [`contains_pattern`] as a sea-query LIKE expression with its escape character.
pub fn contains_like(q: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(contains_pattern(q)).escape('\\')
}

/// True where any of `columns` contains `q` ([`contains_like`]); more alternatives may be added.
pub fn any_contains<C: sea_orm::sea_query::IntoColumnRef>(
    columns: impl IntoIterator<Item = C>,
    q: &str,
) -> sea_orm::sea_query::Condition {
    use sea_orm::sea_query::{Condition, Expr, ExprTrait};
    columns.into_iter().fold(Condition::any(), |any, column| {
        any.add(Expr::col(column).like(contains_like(q)))
    })
}

/// Rows read as `M` each with one more text column beside it (a name joined from another table,
/// say), from a statement that selects both.
pub async fn with_column<M: sea_orm::FromQueryResult>(
    conn: &impl ConnectionTrait,
    stmt: Statement,
    column: &str,
) -> Result<Vec<(M, Option<String>)>, DbErr> {
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| Ok((M::from_query_result(row, "")?, row.try_get("", column)?)))
        .collect()
}

/// SQL for the values of `expr` over a group joined by commas in the order of `order_by`
/// (`group_concat` on SQLite, `string_agg` on PostgreSQL): a few related rows read with their
/// parent in one statement instead of a second one.
pub fn comma_joined(backend: DbBackend, expr: &str, order_by: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("string_agg({expr}, ',' ORDER BY {order_by})"),
        _ => format!("group_concat({expr}, ',' ORDER BY {order_by})"),
    }
}

/// A raw statement written with `?` placeholders; PostgreSQL gets them numbered `$1, $2, …`.
/// The SQL must not contain a literal `?` of its own.
pub fn statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut numbered = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    numbered.push('$');
                    numbered.push_str(&n.to_string());
                } else {
                    numbered.push(c);
                }
            }
            numbered
        }
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// True when `err` is a unique-constraint violation (duplicate key).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// True when `err` is a foreign-key violation (for example a link across firms).
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let pg = statement(
            DbBackend::Postgres,
            "a = ? AND b IN (?, ?)",
            [1i64.into(), 2i64.into(), 3i64.into()],
        );
        assert_eq!(pg.sql, "a = $1 AND b IN ($2, $3)");
        let lite = statement(DbBackend::Sqlite, "a = ?", [1i64.into()]);
        assert_eq!(lite.sql, "a = ?");
    }

    fn sqlite_settings(path: &std::path::Path, readers: u32) -> DatabaseSettings {
        DatabaseSettings {
            url: crate::config::DatabaseUrl::new(format!("sqlite://{}", path.display())),
            max_connections: 4,
            sqlite_read_connections: readers,
            sqlite_read_cache_kib: 512,
            sqlite_synchronous: SyncSetting::Normal,
        }
    }

    /// Whether a pooled SQLite connection has the query planner stability guarantee on.
    async fn qpsg(pool: &SqlitePool) -> i32 {
        let mut conn = pool.acquire().await.expect("connection");
        let mut handle = conn.lock_handle().await.expect("handle");
        let db = handle.as_raw_handle();
        let mut on: std::ffi::c_int = -1;
        // SAFETY: the locked handle is open; -1 only reads the setting into `on`.
        let rc = unsafe {
            libsqlite3_sys::sqlite3_db_config(
                db.as_ptr(),
                libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                -1 as std::ffi::c_int,
                &mut on as *mut std::ffi::c_int,
            )
        };
        assert_eq!(rc, libsqlite3_sys::SQLITE_OK);
        on
    }

    #[tokio::test]
    async fn every_sqlite_connection_keeps_its_plans_whatever_is_bound() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::connect(&sqlite_settings(&dir.path().join("z.db"), 2))
            .await
            .expect("connect");
        let read = db.read().get_sqlite_connection_pool();
        let write = db.write().get_sqlite_connection_pool();
        let maintenance = &db
            .inner
            .checkpointer
            .as_ref()
            .expect("SQLite has a checkpointer")
            .pool;
        assert_eq!(qpsg(read).await, 1, "read connections");
        assert_eq!(qpsg(write).await, 1, "the writer");
        assert_eq!(qpsg(maintenance).await, 1, "the maintenance connection");
        let cache: i64 = sea_orm::sqlx::query_scalar("PRAGMA cache_size")
            .fetch_one(read)
            .await
            .expect("cache size");
        assert_eq!(
            cache, -512,
            "a reader's page cache is as configured, in KiB"
        );
    }

    /// Frames in the WAL after a passive checkpoint.
    async fn wal_frames(pool: &SqlitePool) -> i64 {
        let (_, frames, _): (i64, i64, i64) =
            sea_orm::sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(pool)
                .await
                .expect("checkpoint");
        frames
    }

    #[tokio::test]
    async fn a_restart_checkpoint_makes_the_next_write_start_the_wal_over() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.db");
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .expect("url")
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0");
        let writer = sqlite_pool()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .expect("writer");
        let maintenance = sqlite_pool()
            .max_connections(1)
            .connect_with(options)
            .await
            .expect("maintenance");
        let write = |n: i64| {
            let writer = writer.clone();
            async move {
                sea_orm::sqlx::query("INSERT INTO t (v) VALUES (?)")
                    .bind(n)
                    .execute(&writer)
                    .await
                    .expect("insert");
            }
        };
        sea_orm::sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            .execute(&writer)
            .await
            .expect("table");
        for n in 0..200 {
            write(n).await;
        }
        let before = wal_frames(&maintenance).await;
        assert!(before >= 200, "{before} frames");
        write(200).await;

        restart_wal(&maintenance).await;
        write(201).await;
        let after = wal_frames(&maintenance).await;
        assert!(after <= 4, "the WAL started over: {after} frames");
        let count: i64 = sea_orm::sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&maintenance)
            .await
            .expect("count");
        assert_eq!(count, 202);
        let timeout: i64 = sea_orm::sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&maintenance)
            .await
            .expect("busy timeout");
        assert_eq!(
            timeout,
            BUSY_TIMEOUT.as_millis() as i64,
            "the connection's own busy timeout again"
        );
    }

    /// Under a steady stream of write transactions a passive checkpoint never leaves the WAL
    /// fully copied when the next one begins, so without help the file grows for as long as the
    /// stream lasts. The checkpointer asks the writer to catch up; after its own checkpoint
    /// between two transactions, the next ones are written from the start of the WAL again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_asked_to_catch_up_starts_a_growing_wal_over_while_it_keeps_writing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Database::connect(&sqlite_settings(&dir.path().join("c.db"), 1))
            .await
            .expect("connect");
        let wal = dir.path().join("c.db-wal");
        let writer_db = db.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let mut raw = writer_db
                .open_sqlite_writer()
                .expect("SQLite")
                .expect("writer");
            raw.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
                .expect("table");
            let row = "x".repeat(3000);
            let write = |raw: &mut raw_sqlite::RawConnection| {
                raw.execute("BEGIN IMMEDIATE", &[]).expect("begin");
                raw.execute(
                    "INSERT INTO t (v) VALUES (?)",
                    &[raw_sqlite::Param::Text(&row)],
                )
                .expect("insert");
                raw.execute("COMMIT", &[]).expect("commit");
            };
            let size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(20) {
                write(&mut raw);
                // Some 20,000 frames a second: the WAL passes the threshold within a few ticks.
                std::thread::sleep(Duration::from_micros(100));
                if writer_db.take_wal_catch_up() {
                    raw.checkpoint_passive().expect("checkpoint");
                    let at_catch_up = size();
                    // Some 10 MB (two frames a transaction), less than the WAL holds already:
                    // appended, they would grow the file.
                    for _ in 0..1200 {
                        write(&mut raw);
                    }
                    return Some((at_catch_up, size()));
                }
            }
            None
        })
        .await
        .expect("writer thread");
        let (at_catch_up, at_end) = outcome.expect("the checkpointer asked the writer to catch up");
        assert!(
            at_catch_up > (WAL_CATCH_UP_FRAMES as u64) * 4096,
            "asked only past the threshold: {at_catch_up} bytes"
        );
        assert!(
            at_end <= at_catch_up,
            "the later transactions were written over the start of the WAL, not appended: \
             {at_catch_up} then {at_end} bytes"
        );
        let count: i64 = sea_orm::sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(db.read().get_sqlite_connection_pool())
            .await
            .expect("count");
        assert!(count > 1200, "{count} rows");
    }

    #[test]
    fn only_a_large_wal_still_being_written_is_caught_up_with() {
        let big = WAL_CATCH_UP_FRAMES + 1;
        assert!(is_growing(big, 0), "grew past the threshold");
        assert!(is_growing(big + 500, big), "still growing");
        assert!(!is_growing(10, big + 500), "started over");
        assert!(
            !is_growing(big, big),
            "large but idle: nothing to ask the writer"
        );
        assert!(!is_growing(WAL_CATCH_UP_FRAMES, 7), "small");
    }

    #[test]
    fn a_contains_pattern_takes_wildcards_literally() {
        assert_eq!(contains_pattern("鑫犇"), "%鑫犇%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn loopback_hosts_are_recognised_for_skipping_tls() {
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["db.example.com", "10.0.0.5", "192.168.1.2"] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
