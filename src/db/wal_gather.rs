//! A SQLite VFS that writes a transaction's WAL frames to the file in one system call.
//!
//! SQLite appends each frame of a commit to the WAL with two writes, its 24-byte header and then
//! its page, and the inbox writer commits about two frames per stored callback: four `pwrite`s
//! a row, each paying the kernel's whole buffered-write path (and every frame straddles two pages
//! of the file, so each page of it is looked up and dirtied twice). Profiled under a flood of
//! fresh callbacks, those writes were almost half of the writer's time.
//!
//! This VFS wraps the default one and changes nothing but how a WAL file is written: appended
//! frames are gathered in memory and written in one piece when the commit frame's page arrives
//! (a frame header whose "database size" field is set marks the commit), before SQLite updates
//! the WAL index that makes them visible to other connections. A new frame's header starts a run
//! of appends wherever SQLite puts it, since other connections write the same log. Every other
//! use of the file (a read, a sync, a truncate, its size, a file control, closing it, a page
//! rewritten in place, a header rewritten with new checksums) first writes out what is gathered,
//! so the file always reads as SQLite wrote it. Database files, journals and temporary files are
//! the default VFS's own objects, untouched.
//!
//! Only the inbox writer's connection uses it ([`NAME`]); a commit that fails to write its
//! gathered frames fails, as a failed `pwrite` would.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use libsqlite3_sys as ffi;

/// The VFS's registered name, to pass to `sqlite3_open_v2`.
pub const NAME: &CStr = c"zhangfang-wal-gather";

/// The WAL file header and each frame header (SQLite's file format).
const WAL_HEADER_BYTES: i64 = 32;
const FRAME_HEADER_BYTES: usize = 24;
/// Gathered bytes written out even before the commit frame (a transaction of thousands of rows).
const FLUSH_AT_BYTES: usize = 1 << 20;
/// The most one write hands the default VFS: its `unixWrite` takes fewer than 128 KiB at a time
/// (it masks the length with 0x1ffff) and reports a longer one as a full disk.
const WRITE_CHUNK_BYTES: usize = 120 * 1024;

/// Registers the VFS once (not as the default) and returns whether it is available.
pub fn register() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: the default VFS lives for the whole process; the new VFS is leaked, so it does
        // too, as SQLite requires of a registered VFS.
        unsafe {
            let real = ffi::sqlite3_vfs_find(ptr::null());
            if real.is_null() {
                return false;
            }
            let real_size = usize::try_from((*real).szOsFile).unwrap_or(0);
            let Ok(size) = c_int::try_from(wal_file_offset() + real_size) else {
                return false;
            };
            let vfs = Box::leak(Box::new(ffi::sqlite3_vfs {
                iVersion: 2,
                szOsFile: size,
                mxPathname: (*real).mxPathname,
                pNext: ptr::null_mut(),
                zName: NAME.as_ptr(),
                pAppData: real.cast(),
                xOpen: Some(open),
                xDelete: Some(delete),
                xAccess: Some(access),
                xFullPathname: Some(full_pathname),
                xDlOpen: Some(dl_open),
                xDlError: Some(dl_error),
                xDlSym: Some(dl_sym),
                xDlClose: Some(dl_close),
                xRandomness: Some(randomness),
                xSleep: Some(sleep),
                xCurrentTime: Some(current_time),
                xGetLastError: Some(get_last_error),
                xCurrentTimeInt64: Some(current_time_int64),
                xSetSystemCall: None,
                xGetSystemCall: None,
                xNextSystemCall: None,
            }));
            ffi::sqlite3_vfs_register(vfs, 0) == ffi::SQLITE_OK
        }
    })
}

/// A WAL file: the default VFS's file object follows this header in the same allocation.
#[repr(C)]
struct WalFile {
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    gathered: Gathered,
}

/// Bytes appended at the end of the log and not yet written: they end at `log_end`.
struct Gathered {
    bytes: Vec<u8>,
    /// The end of the last write appended (gathered or written out): a page, or a piece of a
    /// header split by a sync, continues the log only here.
    log_end: i64,
    /// Where the last read was. SQLite rewrites a frame's header (new checksums, at commit) right
    /// after reading that frame; such a write is not an append.
    last_read: Option<i64>,
    /// The last gathered write was the commit frame's header: its page comes next, and with it
    /// the transaction's last byte.
    commit_page_next: bool,
}

fn wal_file_offset() -> usize {
    std::mem::size_of::<WalFile>().next_multiple_of(8)
}

unsafe fn real_vfs(vfs: *mut ffi::sqlite3_vfs) -> *mut ffi::sqlite3_vfs {
    // SAFETY (caller): `vfs` is ours, whose app data is the default VFS.
    unsafe { (*vfs).pAppData.cast() }
}

unsafe extern "C" fn open(
    vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    // SAFETY: SQLite hands us `szOsFile` bytes at `file`, 8-byte aligned; the default VFS's
    // object fits at `wal_file_offset()` of them, or at the start for files we pass through.
    unsafe {
        let real = real_vfs(vfs);
        let Some(real_open) = (*real).xOpen else {
            return ffi::SQLITE_CANTOPEN;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Not a WAL: the default VFS's own object, with its own methods, and nothing of ours.
            return real_open(real, name, file, flags, out_flags);
        }
        let inner = file
            .cast::<u8>()
            .add(wal_file_offset())
            .cast::<ffi::sqlite3_file>();
        (*inner).pMethods = ptr::null();
        let rc = real_open(real, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            // SQLite does not close a file whose methods are null.
            if !(*inner).pMethods.is_null()
                && let Some(close) = (*(*inner).pMethods).xClose
            {
                close(inner);
            }
            (*file).pMethods = ptr::null();
            return rc;
        }
        ptr::write(
            file.cast::<WalFile>(),
            WalFile {
                base: ffi::sqlite3_file {
                    pMethods: &WAL_METHODS,
                },
                real: inner,
                gathered: Gathered {
                    bytes: Vec::new(),
                    log_end: 0,
                    last_read: None,
                    commit_page_next: false,
                },
            },
        );
        ffi::SQLITE_OK
    }
}

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 3,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: Some(lock),
    xUnlock: Some(unlock),
    xCheckReservedLock: Some(check_reserved_lock),
    xFileControl: Some(file_control),
    xSectorSize: Some(sector_size),
    xDeviceCharacteristics: Some(device_characteristics),
    xShmMap: Some(shm_map),
    xShmLock: Some(shm_lock),
    xShmBarrier: Some(shm_barrier),
    xShmUnmap: Some(shm_unmap),
    xFetch: Some(fetch),
    xUnfetch: Some(unfetch),
};

/// Our WAL file and the default VFS's object inside it, with its methods.
unsafe fn parts<'a>(
    file: *mut ffi::sqlite3_file,
) -> (
    &'a mut WalFile,
    *mut ffi::sqlite3_file,
    &'a ffi::sqlite3_io_methods,
) {
    // SAFETY (caller): `file` was opened by `open` as a WAL file and is not closed.
    unsafe {
        let wal = &mut *file.cast::<WalFile>();
        let real = wal.real;
        (wal, real, &*(*real).pMethods)
    }
}

/// Writes out what is gathered.
unsafe fn flush(
    gathered: &mut Gathered,
    real: *mut ffi::sqlite3_file,
    methods: &ffi::sqlite3_io_methods,
) -> c_int {
    gathered.commit_page_next = false;
    if gathered.bytes.is_empty() {
        return ffi::SQLITE_OK;
    }
    let Some(real_write) = methods.xWrite else {
        return ffi::SQLITE_IOERR_WRITE;
    };
    let mut rc = ffi::SQLITE_OK;
    let mut offset = gathered.log_end - gathered.bytes.len() as i64;
    for chunk in gathered.bytes.chunks(WRITE_CHUNK_BYTES) {
        #[cfg(test)]
        tests::count_write();
        // SAFETY: an open file of the default VFS and a chunk of fewer than 128 KiB.
        rc = unsafe { real_write(real, chunk.as_ptr().cast(), chunk.len() as c_int, offset) };
        if rc != ffi::SQLITE_OK {
            break;
        }
        offset += chunk.len() as i64;
    }
    // Written or failed, the bytes are SQLite's concern again: a failed write fails its commit.
    gathered.bytes.clear();
    if gathered.bytes.capacity() > 2 * FLUSH_AT_BYTES {
        gathered.bytes.shrink_to(FLUSH_AT_BYTES);
    }
    rc
}

/// Runs `then` on the default VFS's object after writing out what is gathered.
unsafe fn flushed(
    file: *mut ffi::sqlite3_file,
    then: impl FnOnce(*mut ffi::sqlite3_file, &ffi::sqlite3_io_methods) -> c_int,
) -> c_int {
    // SAFETY (caller): an open WAL file of ours.
    unsafe {
        let (wal, real, methods) = parts(file);
        let rc = flush(&mut wal.gathered, real, methods);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        then(real, methods)
    }
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file once; after this nothing of it is used.
    unsafe {
        let (wal, real, methods) = parts(file);
        let flushed = flush(&mut wal.gathered, real, methods);
        let closed = methods.xClose.map_or(ffi::SQLITE_OK, |close| close(real));
        ptr::drop_in_place(file.cast::<WalFile>());
        (*file).pMethods = ptr::null();
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite passes `amount` readable bytes at `data` and an open WAL file of ours.
    unsafe {
        let (wal, real, methods) = parts(file);
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let bytes = std::slice::from_raw_parts(data.cast::<u8>(), len);
        let g = &mut wal.gathered;
        let rewrite = g.last_read.take() == Some(offset);
        let frame_header = len == FRAME_HEADER_BYTES && offset >= WAL_HEADER_BYTES && !rewrite;
        // A new WAL header, or a new frame's header, starts a run of appends wherever SQLite puts
        // it (another connection may have written or started the log over since our last
        // write); anything else continues the run or is written through.
        let starts_run = (offset == 0 && len as i64 == WAL_HEADER_BYTES) || frame_header;
        if offset != g.log_end || rewrite {
            let rc = flush(g, real, methods);
            if rc != ffi::SQLITE_OK {
                return rc;
            }
            if !starts_run {
                // A page rewritten in place, or a frame header given new checksums at commit:
                // written through, after what was gathered, so writes reach the file in order.
                #[cfg(test)]
                tests::count_write();
                return methods
                    .xWrite
                    .map_or(ffi::SQLITE_IOERR_WRITE, |w| w(real, data, amount, offset));
            }
        }
        g.bytes.extend_from_slice(bytes);
        g.log_end = offset + len as i64;
        if g.commit_page_next {
            // The commit frame's page: the transaction is complete.
            return flush(g, real, methods);
        }
        if frame_header && commit_frame(bytes) {
            g.commit_page_next = true;
        } else if g.bytes.len() >= FLUSH_AT_BYTES {
            return flush(g, real, methods);
        }
        ffi::SQLITE_OK
    }
}

/// A frame header's bytes 4..8 hold the database size in pages after a commit, zero otherwise.
fn commit_frame(header: &[u8]) -> bool {
    header.get(4..8).is_some_and(|size| size != [0, 0, 0, 0])
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    data: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: forwarded as SQLite called it, once the file holds every byte written.
    unsafe {
        parts(file).0.gathered.last_read = Some(offset);
        flushed(file, |real, m| {
            m.xRead
                .map_or(ffi::SQLITE_IOERR_READ, |r| r(real, data, amount, offset))
        })
    }
}

/// Forwards a file method to the default VFS's object once what is gathered is written out.
macro_rules! after_flush {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*), $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            // SAFETY: forwarded as SQLite called it, once the file holds every byte written.
            unsafe { flushed(file, |real, m| m.$method.map_or($missing, |f| f(real, $($arg),*))) }
        }
    };
}

after_flush!(truncate, xTruncate, (size: i64), ffi::SQLITE_IOERR_TRUNCATE);
after_flush!(sync, xSync, (flags: c_int), ffi::SQLITE_IOERR_FSYNC);
after_flush!(file_size, xFileSize, (size: *mut i64), ffi::SQLITE_IOERR_FSTAT);
after_flush!(file_control, xFileControl, (op: c_int, arg: *mut c_void), ffi::SQLITE_NOTFOUND);

// The rest is the default VFS's, unchanged (SQLite neither locks nor maps a WAL file itself, but
// a VFS of version 3 must answer every method).

/// Forwards a file method to the default VFS's object as it is.
macro_rules! pass_through {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*), $missing:expr) => {
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            // SAFETY: forwarded to the default VFS's open object inside ours.
            unsafe {
                let (_, real, m) = parts(file);
                m.$method.map_or($missing, |f| f(real, $($arg),*))
            }
        }
    };
}

pass_through!(lock, xLock, (level: c_int), ffi::SQLITE_OK);
pass_through!(unlock, xUnlock, (level: c_int), ffi::SQLITE_OK);
pass_through!(check_reserved_lock, xCheckReservedLock, (out: *mut c_int), ffi::SQLITE_OK);
pass_through!(sector_size, xSectorSize, (), 4096);
pass_through!(device_characteristics, xDeviceCharacteristics, (), 0);
pass_through!(
    shm_map,
    xShmMap,
    (page: c_int, size: c_int, extend: c_int, out: *mut *mut c_void),
    ffi::SQLITE_IOERR_SHMMAP
);
pass_through!(shm_lock, xShmLock, (offset: c_int, n: c_int, flags: c_int), ffi::SQLITE_IOERR_SHMLOCK);
pass_through!(shm_unmap, xShmUnmap, (delete: c_int), ffi::SQLITE_OK);
pass_through!(unfetch, xUnfetch, (offset: i64, page: *mut c_void), ffi::SQLITE_OK);

unsafe extern "C" fn shm_barrier(file: *mut ffi::sqlite3_file) {
    // SAFETY: forwarded to the default VFS's open object inside ours.
    unsafe {
        let (_, real, m) = parts(file);
        if let Some(f) = m.xShmBarrier {
            f(real);
        }
    }
}

unsafe extern "C" fn fetch(
    file: *mut ffi::sqlite3_file,
    offset: i64,
    amount: c_int,
    out: *mut *mut c_void,
) -> c_int {
    // SAFETY: as `read`: mapped bytes must be the written ones.
    unsafe {
        flushed(file, |real, m| match m.xFetch {
            Some(f) => f(real, offset, amount, out),
            None => {
                *out = ptr::null_mut();
                ffi::SQLITE_OK
            }
        })
    }
}

// The VFS's own methods: the default VFS's, called with the default VFS.

/// Forwards a VFS method to the default VFS.
macro_rules! to_default_vfs {
    ($name:ident, $method:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty, $missing:expr) => {
        unsafe extern "C" fn $name(vfs: *mut ffi::sqlite3_vfs, $($arg: $ty),*) -> $ret {
            // SAFETY: forwarded to the default VFS, which lives for the process.
            unsafe {
                let real = real_vfs(vfs);
                (*real).$method.map_or($missing, |f| f(real, $($arg),*))
            }
        }
    };
}

to_default_vfs!(delete, xDelete, (name: *const c_char, sync: c_int) -> c_int, ffi::SQLITE_IOERR_DELETE);
to_default_vfs!(
    access,
    xAccess,
    (name: *const c_char, flags: c_int, out: *mut c_int) -> c_int,
    ffi::SQLITE_IOERR_ACCESS
);
to_default_vfs!(
    full_pathname,
    xFullPathname,
    (name: *const c_char, size: c_int, out: *mut c_char) -> c_int,
    ffi::SQLITE_CANTOPEN
);
to_default_vfs!(dl_open, xDlOpen, (name: *const c_char) -> *mut c_void, ptr::null_mut());
to_default_vfs!(randomness, xRandomness, (size: c_int, out: *mut c_char) -> c_int, 0);
to_default_vfs!(sleep, xSleep, (micros: c_int) -> c_int, 0);
to_default_vfs!(current_time, xCurrentTime, (out: *mut f64) -> c_int, ffi::SQLITE_ERROR);
to_default_vfs!(get_last_error, xGetLastError, (size: c_int, out: *mut c_char) -> c_int, 0);
to_default_vfs!(current_time_int64, xCurrentTimeInt64, (out: *mut i64) -> c_int, ffi::SQLITE_ERROR);

unsafe extern "C" fn dl_error(vfs: *mut ffi::sqlite3_vfs, size: c_int, out: *mut c_char) {
    // SAFETY: forwarded to the default VFS, which lives for the process.
    unsafe {
        let real = real_vfs(vfs);
        if let Some(f) = (*real).xDlError {
            f(real, size, out);
        }
    }
}

unsafe extern "C" fn dl_sym(
    vfs: *mut ffi::sqlite3_vfs,
    handle: *mut c_void,
    symbol: *const c_char,
) -> Option<unsafe extern "C" fn(*mut ffi::sqlite3_vfs, *mut c_void, *const c_char)> {
    // SAFETY: forwarded to the default VFS, which lives for the process.
    unsafe {
        let real = real_vfs(vfs);
        (*real).xDlSym.and_then(|f| f(real, handle, symbol))
    }
}

unsafe extern "C" fn dl_close(vfs: *mut ffi::sqlite3_vfs, handle: *mut c_void) {
    // SAFETY: forwarded to the default VFS, which lives for the process.
    unsafe {
        let real = real_vfs(vfs);
        if let Some(f) = (*real).xDlClose {
            f(real, handle);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::db::raw_sqlite::{Param, RawConnection, RawOptions};

    thread_local! {
        /// Writes this VFS handed the default VFS for WAL files on this test's thread.
        static WAL_WRITES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    pub(super) fn count_write() {
        WAL_WRITES.with(|n| n.set(n.get() + 1));
    }

    fn wal_writes() -> usize {
        WAL_WRITES.with(|n| n.get())
    }

    fn options(synchronous: &'static str) -> RawOptions {
        RawOptions {
            synchronous,
            busy_timeout: Duration::from_secs(2),
            journal_size_limit: 1 << 20,
        }
    }

    /// A WAL database with one table, and a writer through this VFS.
    fn writer(dir: &tempfile::TempDir, synchronous: &'static str) -> RawConnection {
        let path = dir.path().join("g.db");
        std::fs::write(&path, b"").unwrap();
        let mut setup = RawConnection::open_default_vfs(&path, &options("NORMAL")).unwrap();
        setup
            .execute_batch(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL UNIQUE, v TEXT NOT NULL);",
            )
            .unwrap();
        drop(setup);
        assert!(register());
        RawConnection::open(&path, &options(synchronous)).unwrap()
    }

    fn reader(dir: &tempfile::TempDir) -> RawConnection {
        RawConnection::open_default_vfs(&dir.path().join("g.db"), &options("NORMAL")).unwrap()
    }

    const INSERT: &str = "INSERT INTO t (k, v) VALUES (?, ?)";

    /// Commits `rows` rows of about 1 KiB with random keys (so index pages scatter, as the
    /// inbox's dedupe keys do), numbered from `first`.
    fn commit(conn: &mut RawConnection, first: usize, rows: usize) {
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        for n in first..first + rows {
            let key = format!("{:016x}", (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let value = format!("{n:08}").repeat(128);
            conn.execute(INSERT, &[Param::Text(&key), Param::Text(&value)])
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
    }

    fn check(conn: &mut RawConnection, rows: usize) {
        assert_eq!(
            conn.query_i64("SELECT count(*) FROM t").unwrap(),
            rows as i64
        );
        assert_eq!(
            conn.query_i64("SELECT count(*) FROM t WHERE length(v) <> 1024")
                .unwrap(),
            0
        );
        assert_eq!(
            conn.query_text("PRAGMA integrity_check").unwrap(),
            "ok",
            "after {rows} rows"
        );
    }

    /// Reads the database as a crash at this moment would leave it: a copy of the database file
    /// and the WAL (without the WAL index), opened afresh, so SQLite rebuilds the index from the
    /// WAL and keeps frames only up to the last commit whose checksums chain.
    fn check_as_after_a_crash(dir: &tempfile::TempDir, rows: usize) {
        let copy = tempfile::tempdir().unwrap();
        for name in ["g.db", "g.db-wal"] {
            std::fs::copy(dir.path().join(name), copy.path().join(name)).unwrap();
        }
        check(&mut reader(&copy), rows);
    }

    /// Closes the writer without a checkpoint and reads the WAL it leaves from a new connection.
    fn check_after_closing(mut w: RawConnection, dir: &tempfile::TempDir, rows: usize) {
        w.keep_wal_on_close();
        drop(w);
        check(&mut reader(dir), rows);
    }

    #[test]
    fn every_commit_is_in_the_file_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        let mut r = reader(&dir);
        let mut rows = 0;
        // Groups of 1 to 64 rows, as the inbox commits them; another connection reads each one.
        for size in (1..=64).chain([1, 2, 3, 200, 5]) {
            commit(&mut w, rows, size);
            rows += size;
            check(&mut r, rows);
            if size % 8 == 0 {
                check_as_after_a_crash(&dir, rows);
            }
        }
    }

    #[test]
    fn a_commit_reaches_the_file_in_one_write_also_after_the_log_starts_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        for round in 0..3 {
            let before = wal_writes();
            // 20 rows of 1 KiB: some 30 frames of 4 KiB, 60 writes without gathering. Each
            // round starts the log over, whose new header SQLite syncs before any frame: one
            // write for the header, one for the frames.
            commit(&mut w, round * 20, 20);
            assert_eq!(wal_writes() - before, 2, "round {round}");
            commit(&mut w, 1000 + round * 20, 20);
            assert_eq!(wal_writes() - before, 3, "round {round}: an append");
            let (log, done) = w.checkpoint_passive().unwrap();
            assert_eq!(log, done);
        }
        // A larger commit (under FLUSH_AT_BYTES) goes out in pieces the default VFS takes.
        let before = wal_writes();
        commit(&mut w, 60, 80);
        let frames = usize::try_from(w.checkpoint_passive().unwrap().0).unwrap();
        let pieces = (frames * (4096 + FRAME_HEADER_BYTES)).div_ceil(WRITE_CHUNK_BYTES);
        assert!(pieces > 1);
        assert_eq!(
            wal_writes() - before,
            1 + pieces,
            "the header, then the frames"
        );
        check(&mut reader(&dir), 200);
    }

    #[test]
    fn commits_stay_gathered_after_another_connection_writes_or_starts_the_log_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        let mut other = reader(&dir);
        commit(&mut w, 0, 300);
        // The other connection copies the log into the database and then writes: its transaction
        // starts the log over, far below where this connection last wrote.
        let (log, done) = other.checkpoint_passive().unwrap();
        assert_eq!(log, done);
        other
            .execute_batch("INSERT INTO t (k, v) VALUES ('other', printf('%01024d', 0))")
            .unwrap();
        let before = wal_writes();
        commit(&mut w, 300, 20);
        assert_eq!(
            wal_writes() - before,
            1,
            "appended after the other's frames, in one write"
        );
        // And once more after a plain write of the other's, without a restart.
        other
            .execute_batch("INSERT INTO t (k, v) VALUES ('other 2', printf('%01024d', 0))")
            .unwrap();
        let before = wal_writes();
        commit(&mut w, 320, 20);
        assert_eq!(wal_writes() - before, 1);
        check(&mut reader(&dir), 342);
        drop(other);
        check_after_closing(w, &dir, 342);
    }

    #[test]
    fn a_log_rebuilt_from_the_file_alone_holds_every_commit() {
        // Recovery reads the WAL and keeps frames up to the last commit whose checksums chain:
        // any byte gathered but not written, or written out of order, loses commits here.
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        let mut rows = 0;
        for size in [1, 17, 64, 3, 250, 9] {
            commit(&mut w, rows, size);
            rows += size;
        }
        w.keep_wal_on_close();
        drop(w);
        assert!(
            std::fs::metadata(dir.path().join("g.db-wal"))
                .unwrap()
                .len()
                > 0,
            "the WAL was kept"
        );
        check(&mut reader(&dir), rows);
    }

    #[test]
    fn transactions_larger_than_the_page_cache_spill_rewrite_and_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        // Ten pages of cache: a large transaction writes frames before its commit, then writes
        // some of them again in place, and SQLite rewrites their checksums at commit.
        w.execute_batch("PRAGMA cache_size = 10").unwrap();
        commit(&mut w, 0, 10);
        w.execute_batch("BEGIN IMMEDIATE").unwrap();
        for n in 10..600 {
            let key = format!("{:016x}", (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let value = format!("{n:08}").repeat(128);
            w.execute(INSERT, &[Param::Text(&key), Param::Text(&value)])
                .unwrap();
        }
        w.execute_batch("UPDATE t SET v = replace(v, '0', '1') WHERE id % 7 = 0; COMMIT")
            .unwrap();
        check(&mut reader(&dir), 600);
        // Frames rewritten in place get new checksums at commit, written before it returns.
        check_as_after_a_crash(&dir, 600);

        // A spilled transaction rolled back, then a small one committed over its frames.
        w.execute_batch("BEGIN IMMEDIATE").unwrap();
        for n in 600..900 {
            let key = format!("{:016x}", (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let value = format!("{n:08}").repeat(128);
            w.execute(INSERT, &[Param::Text(&key), Param::Text(&value)])
                .unwrap();
        }
        w.execute_batch("ROLLBACK").unwrap();
        commit(&mut w, 900, 5);
        check(&mut reader(&dir), 605);
        check_as_after_a_crash(&dir, 605);
        check_after_closing(w, &dir, 605);
    }

    #[test]
    fn the_log_starts_over_after_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "NORMAL");
        let mut r = reader(&dir);
        let wal = dir.path().join("g.db-wal");
        let mut rows = 0;
        for _ in 0..3 {
            commit(&mut w, rows, 100);
            rows += 100;
            let (log, done) = w.checkpoint_passive().unwrap();
            assert_eq!(log, done, "every frame copied");
            let size = std::fs::metadata(&wal).unwrap().len();
            // The next commit writes a new WAL header at the start and its frames after it.
            commit(&mut w, rows, 2);
            rows += 2;
            assert!(std::fs::metadata(&wal).unwrap().len() <= size);
            check(&mut r, rows);
        }
        drop(r);
        check_after_closing(w, &dir, rows);
    }

    #[test]
    fn synchronous_full_commits_are_complete_too() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(&dir, "FULL");
        let mut rows = 0;
        for size in [1, 40, 7] {
            commit(&mut w, rows, size);
            rows += size;
            check(&mut reader(&dir), rows);
        }
        check_after_closing(w, &dir, rows);
    }

    #[test]
    fn a_commit_frame_is_told_by_its_database_size() {
        let mut header = [0u8; FRAME_HEADER_BYTES];
        assert!(!commit_frame(&header));
        header[7] = 3;
        assert!(commit_frame(&header));
        assert!(!commit_frame(&header[..6]));
    }
}
