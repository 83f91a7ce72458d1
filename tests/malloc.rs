//! The allocator limit `zhangfang` sets before it starts its threads. A test binary of its own:
//! arenas other tests' threads made would stay counted.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn threads_started_after_the_limit_share_its_arenas() {
    use std::sync::{Arc, Barrier};

    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        eprintln!("MALLOC_ARENA_MAX is set: the limit defers to it");
        return;
    }
    zhangfang::malloc::limit_arenas();
    // Each new thread that allocates would get an arena of its own (up to eight per core): all
    // allocate at once and hold what they allocated until every one has.
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let held: Vec<Vec<u8>> = (0..64).map(|n| vec![i as u8; 1024 + n]).collect();
                barrier.wait();
                held.len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 64);
    }
    let heaps = heaps_in_malloc_info();
    assert!(
        heaps <= zhangfang::malloc::ARENAS as usize,
        "{heaps} arenas for {threads} threads"
    );
}

/// How many heaps (arenas) glibc's `malloc_info` reports.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heaps_in_malloc_info() -> usize {
    let mut buf: *mut libc::c_char = std::ptr::null_mut();
    let mut len: libc::size_t = 0;
    // SAFETY: open_memstream allocates the buffer it writes and reports it through `buf`/`len`
    // on fclose; the buffer is read once and freed.
    let xml = unsafe {
        let stream = libc::open_memstream(&mut buf, &mut len);
        assert!(!stream.is_null());
        assert_eq!(libc::malloc_info(0, stream), 0);
        libc::fclose(stream);
        let text = std::slice::from_raw_parts(buf as *const u8, len).to_vec();
        libc::free(buf.cast());
        String::from_utf8(text).unwrap()
    };
    xml.matches("<heap nr=").count()
}
