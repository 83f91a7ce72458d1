//! How the process uses glibc's allocator (elsewhere these do nothing).

/// Heap arenas glibc may keep. Its default, eight per core, lets each thread that allocates get
/// an arena of its own; after the demo seeds profile L, the threads serving pages spread their
/// allocations over the arenas the seed left half empty: 68.8 MB of RSS at the end of the sidebar
/// benchmark instead of 60.3 MB with two (docs/benchmarks.md).
pub const ARENAS: i32 = 2;

/// Caps the allocator at [`ARENAS`] arenas unless `MALLOC_ARENA_MAX` says otherwise. Call it
/// before starting threads: arenas already made stay.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt sets one allocator parameter; it takes no pointers.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, ARENAS);
        }
    }
}

/// Seeding a large demo firm allocates a few hundred MB that are free again once it is written;
/// glibc keeps freed heap for reuse unless asked to return it, which a long-running service
/// serving a fraction of that should do.
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages back to the kernel; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
