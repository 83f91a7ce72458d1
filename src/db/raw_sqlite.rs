//! A SQLite connection used straight through the C API, for the one writer that must not wait
//! for anything else: the callback inbox (see `services::inbox`). It lives on the inbox writer's
//! own thread, so a group of rows goes from the request queue into the database without a hand-off
//! to sqlx's connection thread and back for every statement.
//!
//! It opens the same file, with the same settings, as the pooled writer; the two take SQLite's
//! write lock in turn. Its busy handler retries in steps of tens of microseconds rather than
//! SQLite's default 1 ms sleeps, because the inbox holds a request open for each row it waits on.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::time::Duration;

use libsqlite3_sys as ffi;

/// An error from SQLite: its extended result code and message.
#[derive(Clone, Debug)]
pub struct RawError {
    pub code: i32,
    pub message: String,
}

impl RawError {
    /// A row broke a constraint (SQLITE_CONSTRAINT and its extended codes), as opposed to the
    /// database failing (busy, I/O, full disk).
    pub fn is_constraint(&self) -> bool {
        self.code & 0xff == ffi::SQLITE_CONSTRAINT
    }

    fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (SQLite code {})", self.message, self.code)
    }
}

/// What the connection is set to; the same as the pooled writer's.
#[derive(Clone, Debug)]
pub struct RawOptions {
    /// `NORMAL` or `FULL`.
    pub synchronous: &'static str,
    /// Give up on a lock held by another connection after this long.
    pub busy_timeout: Duration,
    /// Trim the WAL to this many bytes when it starts over.
    pub journal_size_limit: i64,
}

/// One value to bind.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

pub struct RawConnection {
    db: NonNull<ffi::sqlite3>,
    statements: HashMap<&'static str, NonNull<ffi::sqlite3_stmt>>,
    /// Owned by the connection: SQLite calls the busy handler with this pointer.
    busy: Box<BusyBudget>,
}

// SAFETY: the connection is opened without SQLite's mutexes and used by one thread at a time;
// moving it to another thread (the writer's) is what SQLite's multi-thread mode allows.
unsafe impl Send for RawConnection {}

struct BusyBudget {
    /// Total time the handler may sleep for one lock before SQLite answers SQLITE_BUSY.
    limit: Duration,
}

/// Sleeps 20, 40, 80, 160, 320 µs and then 1 ms at a time, up to the budget; returning 0 makes
/// SQLite give up with SQLITE_BUSY.
extern "C" fn busy_handler(budget: *mut c_void, count: c_int) -> c_int {
    // SAFETY: the pointer is the connection's boxed budget, alive as long as the connection.
    let limit = unsafe { &*(budget as *const BusyBudget) }.limit;
    let count = count.max(0) as u32;
    let (step, slept) = if count < 5 {
        (
            Duration::from_micros(20 << count),
            Duration::from_micros(20 * ((1 << count) - 1)),
        )
    } else {
        (
            Duration::from_millis(1),
            Duration::from_micros(620) + Duration::from_millis(u64::from(count - 5)),
        )
    };
    if slept >= limit {
        return 0;
    }
    std::thread::sleep(step);
    1
}

impl RawConnection {
    /// Opens an existing database file for reading and writing, through the default VFS except
    /// that a commit's WAL frames reach the file in one write (see `db::wal_gather`).
    pub fn open(path: &Path, options: &RawOptions) -> Result<Self, RawError> {
        let vfs = super::wal_gather::register().then_some(super::wal_gather::NAME);
        Self::open_with(path, options, vfs)
    }

    fn open_with(path: &Path, options: &RawOptions, vfs: Option<&CStr>) -> Result<Self, RawError> {
        let name = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| RawError::new(ffi::SQLITE_MISUSE, "database path contains NUL"))?;
        let mut db: *mut ffi::sqlite3 = ptr::null_mut();
        let flags = ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_NOMUTEX;
        let vfs = vfs.map_or(ptr::null(), CStr::as_ptr);
        // SAFETY: valid NUL-terminated name, VFS name (or null: the default) and out-pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(name.as_ptr(), &mut db, flags, vfs) };
        let Some(db) = NonNull::new(db) else {
            return Err(RawError::new(rc, "SQLite could not allocate a connection"));
        };
        let mut conn = Self {
            db,
            statements: HashMap::new(),
            busy: Box::new(BusyBudget {
                limit: options.busy_timeout,
            }),
        };
        if rc != ffi::SQLITE_OK {
            return Err(conn.error(rc));
        }
        // SAFETY: open connection; the budget outlives it (dropped after close in Drop).
        unsafe {
            ffi::sqlite3_extended_result_codes(conn.db.as_ptr(), 1);
            let budget: *mut BusyBudget = &mut *conn.busy;
            ffi::sqlite3_busy_handler(conn.db.as_ptr(), Some(busy_handler), budget.cast());
        }
        conn.execute_batch(&format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA wal_autocheckpoint = 0; \
             PRAGMA journal_size_limit = {};",
            options.synchronous, options.journal_size_limit
        ))?;
        Ok(conn)
    }

    /// Runs statements that take no parameters and return no rows the caller needs.
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), RawError> {
        let sql =
            CString::new(sql).map_err(|_| RawError::new(ffi::SQLITE_MISUSE, "SQL has NUL"))?;
        let mut message: *mut c_char = ptr::null_mut();
        // SAFETY: open connection, NUL-terminated SQL, no callback; SQLite allocates the message,
        // which is freed below.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.db.as_ptr(),
                sql.as_ptr(),
                None,
                ptr::null_mut(),
                &mut message,
            )
        };
        if rc == ffi::SQLITE_OK {
            return Ok(());
        }
        let text = if message.is_null() {
            self.message()
        } else {
            // SAFETY: SQLite's NUL-terminated message, freed with its allocator.
            let text = unsafe { CStr::from_ptr(message) }
                .to_string_lossy()
                .into_owned();
            unsafe { ffi::sqlite3_free(message.cast()) };
            text
        };
        Err(RawError::new(self.extended_code(rc), text))
    }

    /// Runs a prepared statement (kept for the connection's life) once with `params`, and returns
    /// the number of rows it changed.
    pub fn execute(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<usize, RawError> {
        let stmt = self.prepared(sql)?;
        let result = self.bind_and_step(stmt, params);
        // SAFETY: a statement of this connection; reset and unbinding release the borrowed text.
        unsafe {
            ffi::sqlite3_reset(stmt.as_ptr());
            ffi::sqlite3_clear_bindings(stmt.as_ptr());
        }
        result?;
        // SAFETY: open connection.
        Ok(unsafe { ffi::sqlite3_changes(self.db.as_ptr()) }.max(0) as usize)
    }

    fn bind_and_step(
        &self,
        stmt: NonNull<ffi::sqlite3_stmt>,
        params: &[Param<'_>],
    ) -> Result<(), RawError> {
        for (i, param) in params.iter().enumerate() {
            let index = c_int::try_from(i + 1)
                .map_err(|_| RawError::new(ffi::SQLITE_RANGE, "too many parameters"))?;
            // SAFETY: a statement of this connection. Text is bound without a copy
            // (SQLITE_STATIC): the caller's strings outlive this call, and `execute` clears the
            // bindings before returning.
            let rc = unsafe {
                match *param {
                    Param::Int(v) => ffi::sqlite3_bind_int64(stmt.as_ptr(), index, v),
                    Param::Null => ffi::sqlite3_bind_null(stmt.as_ptr(), index),
                    Param::Text(s) => ffi::sqlite3_bind_text64(
                        stmt.as_ptr(),
                        index,
                        s.as_ptr().cast(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(self.error(rc));
            }
        }
        // SAFETY: a statement of this connection with every parameter bound.
        let rc = unsafe { ffi::sqlite3_step(stmt.as_ptr()) };
        match rc {
            ffi::SQLITE_DONE | ffi::SQLITE_ROW => Ok(()),
            _ => Err(self.error(rc)),
        }
    }

    fn prepared(&mut self, sql: &'static str) -> Result<NonNull<ffi::sqlite3_stmt>, RawError> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(*stmt);
        }
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| RawError::new(ffi::SQLITE_TOOBIG, "statement too long"))?;
        // SAFETY: open connection; the text is read up to `len` bytes; out-pointer valid.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                self.db.as_ptr(),
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(self.error(rc));
        }
        let stmt = NonNull::new(stmt)
            .ok_or_else(|| RawError::new(ffi::SQLITE_MISUSE, "empty statement"))?;
        self.statements.insert(sql, stmt);
        Ok(stmt)
    }

    /// A PASSIVE checkpoint of the main database: copies what WAL frames it can without waiting
    /// for anyone. Returns the frames in the WAL and how many of them are now in the database.
    pub fn checkpoint_passive(&mut self) -> Result<(i32, i32), RawError> {
        let (mut log, mut done) = (0, 0);
        // SAFETY: open connection; null schema name means every attached database (only main).
        let rc = unsafe {
            ffi::sqlite3_wal_checkpoint_v2(
                self.db.as_ptr(),
                ptr::null(),
                ffi::SQLITE_CHECKPOINT_PASSIVE,
                &mut log,
                &mut done,
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok((log, done))
        } else {
            Err(self.error(rc))
        }
    }

    /// True while a transaction is open on this connection.
    pub fn in_transaction(&self) -> bool {
        // SAFETY: open connection.
        unsafe { ffi::sqlite3_get_autocommit(self.db.as_ptr()) == 0 }
    }

    fn extended_code(&self, rc: c_int) -> i32 {
        // SAFETY: open connection.
        let extended = unsafe { ffi::sqlite3_extended_errcode(self.db.as_ptr()) };
        if extended & 0xff == rc & 0xff {
            extended
        } else {
            rc
        }
    }

    fn message(&self) -> String {
        // SAFETY: open connection; SQLite owns the message until the next call.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr())) }
            .to_string_lossy()
            .into_owned()
    }

    fn error(&self, rc: c_int) -> RawError {
        RawError::new(self.extended_code(rc), self.message())
    }
}

#[cfg(test)]
impl RawConnection {
    /// A connection through SQLite's default VFS, to read what another connection wrote.
    pub(crate) fn open_default_vfs(path: &Path, options: &RawOptions) -> Result<Self, RawError> {
        Self::open_with(path, options, None)
    }

    /// The first column of the first row of `sql`, as an integer (0 when there is no row).
    pub(crate) fn query_i64(&mut self, sql: &'static str) -> Result<i64, RawError> {
        // SAFETY: a statement on its row; the value is copied out.
        let value = self.first_column(sql, |stmt| unsafe { ffi::sqlite3_column_int64(stmt, 0) })?;
        Ok(value.unwrap_or(0))
    }

    /// The first column of the first row of `sql`, as text (empty when there is no row).
    pub(crate) fn query_text(&mut self, sql: &'static str) -> Result<String, RawError> {
        let value = self.first_column(sql, |stmt| {
            // SAFETY: a statement on its row; the text is copied before the statement moves on.
            let text = unsafe { ffi::sqlite3_column_text(stmt, 0) };
            if text.is_null() {
                String::new()
            } else {
                unsafe { CStr::from_ptr(text.cast()) }
                    .to_string_lossy()
                    .into_owned()
            }
        })?;
        Ok(value.unwrap_or_default())
    }

    /// Steps `sql` once and reads its first row with `read`, if there is one.
    fn first_column<T>(
        &mut self,
        sql: &'static str,
        read: impl FnOnce(*mut ffi::sqlite3_stmt) -> T,
    ) -> Result<Option<T>, RawError> {
        let stmt = self.prepared(sql)?;
        // SAFETY: a statement of this connection, reset after the one step.
        unsafe {
            let rc = ffi::sqlite3_step(stmt.as_ptr());
            let value = match rc {
                ffi::SQLITE_ROW => Ok(Some(read(stmt.as_ptr()))),
                ffi::SQLITE_DONE => Ok(None),
                _ => Err(self.error(rc)),
            };
            ffi::sqlite3_reset(stmt.as_ptr());
            value
        }
    }

    /// Closing this connection leaves the WAL as it is (no checkpoint, no delete), so the next
    /// connection rebuilds its index from the file alone.
    pub(crate) fn keep_wal_on_close(&mut self) {
        // SAFETY: open connection; the option takes an int and an out-pointer that may be null.
        unsafe {
            ffi::sqlite3_db_config(
                self.db.as_ptr(),
                ffi::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                1 as c_int,
                ptr::null_mut::<c_int>(),
            );
        }
    }
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        // SAFETY: every statement belongs to this connection and is finalized once; the
        // connection is closed last, when nothing of it is outstanding.
        unsafe {
            for stmt in self.statements.values() {
                ffi::sqlite3_finalize(stmt.as_ptr());
            }
            ffi::sqlite3_close(self.db.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> RawOptions {
        RawOptions {
            synchronous: "NORMAL",
            busy_timeout: Duration::from_millis(50),
            journal_size_limit: 1 << 20,
        }
    }

    fn fresh(dir: &tempfile::TempDir) -> RawConnection {
        let path = dir.path().join("raw.db");
        std::fs::write(&path, b"").unwrap();
        let mut conn = RawConnection::open(&path, &options()).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; \
             CREATE TABLE parent (id INTEGER PRIMARY KEY); \
             CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT, \
             p INTEGER REFERENCES parent (id)); INSERT INTO parent VALUES (1);",
        )
        .unwrap();
        conn
    }

    const INSERT: &str = "INSERT INTO t (k, v, p) VALUES (?, ?, ?) ON CONFLICT (k) DO NOTHING";

    #[test]
    fn binds_text_int_and_null_and_counts_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = fresh(&dir);
        let v = String::from("值");
        let n = conn
            .execute(INSERT, &[Param::Text("a"), Param::Text(&v), Param::Int(1)])
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(
            conn.execute(INSERT, &[Param::Text("a"), Param::Null, Param::Null])
                .unwrap(),
            0,
            "the conflict is absorbed"
        );
        conn.execute(INSERT, &[Param::Text("b"), Param::Null, Param::Null])
            .unwrap();
        assert_eq!(conn.statements.len(), 1, "prepared once");
    }

    #[test]
    fn a_foreign_key_violation_is_a_constraint_error_and_other_failures_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = fresh(&dir);
        let e = conn
            .execute(INSERT, &[Param::Text("a"), Param::Null, Param::Int(9)])
            .unwrap_err();
        assert!(e.is_constraint(), "{e}");
        assert_eq!(e.code, ffi::SQLITE_CONSTRAINT_FOREIGNKEY);
        let e = conn.execute_batch("SELECT * FROM missing").unwrap_err();
        assert!(!e.is_constraint(), "{e}");
        assert!(e.message.contains("missing"), "{e}");
    }

    #[test]
    fn a_lock_held_elsewhere_is_waited_for_within_the_budget_then_busy() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = fresh(&dir);
        let mut other = RawConnection::open(&dir.path().join("raw.db"), &options()).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        assert!(other.in_transaction());
        let started = std::time::Instant::now();
        let e = conn.execute_batch("BEGIN IMMEDIATE").unwrap_err();
        assert_eq!(e.code & 0xff, ffi::SQLITE_BUSY, "{e}");
        assert!(started.elapsed() >= Duration::from_millis(50));
        other.execute_batch("COMMIT").unwrap();
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT").unwrap();
    }

    #[test]
    fn the_busy_handler_sleeps_in_small_steps_up_to_its_budget() {
        let mut budget = BusyBudget {
            limit: Duration::from_millis(3),
        };
        let ptr: *mut c_void = (&mut budget as *mut BusyBudget).cast();
        // 20+40+80+160+320 µs = 620 µs, then 1 ms steps: calls 5, 6 and 7 sleep, 8 gives up.
        for count in 0..8 {
            assert_eq!(busy_handler(ptr, count), 1, "call {count}");
        }
        assert_eq!(busy_handler(ptr, 8), 0);
    }
}
