//! Resource hygiene across many lifetimes. One test per process section so
//! descriptor counts are not disturbed by other tests running in parallel.

mod common;

use common::*;
use std::time::Duration;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;

fn rss_kib() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4
}

#[test]
fn thread_rings_and_async_rings_leave_nothing_behind() {
    engine();
    // Warm up once so lazily created process-wide state is not counted.
    assert_eq!(urb_nop(), 0);
    let before = open_fds();

    // 10,000 threads, each with its own ring doing real I/O, then exiting.
    let mut rss_after_first_wave = 0;
    for wave in 0..100 {
        if wave == 1 {
            rss_after_first_wave = rss_kib();
        }
        let threads: Vec<_> = (0..100)
            .map(|i| {
                std::thread::spawn(move || {
                    let (rd, wr) = pipe();
                    let msg = format!("wave {wave} thread {i}");
                    assert_eq!(
                        urb_write(wr, msg.as_ptr().cast(), msg.len() as u32, 0),
                        msg.len() as i32
                    );
                    let mut buf = [0u8; 64];
                    assert_eq!(
                        urb_read(rd, buf.as_mut_ptr().cast(), 64, 0),
                        msg.len() as i32
                    );
                    assert_eq!(&buf[..msg.len()], msg.as_bytes());
                    assert_eq!(urb_close(rd), 0);
                    assert_eq!(urb_close(wr), 0);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
    assert_eq!(open_fds(), before, "thread rings leaked descriptors");
    let growth = rss_kib().saturating_sub(rss_after_first_wave);
    eprintln!("10,000 thread lifetimes: RSS grew {growth} KiB after the first wave");
    assert!(
        growth < 16 * 1024,
        "RSS grew {growth} KiB over 9,900 thread lifetimes"
    );

    // Async rings freed with requests in flight: cancelled and waited for.
    for _ in 0..20 {
        let mut r = std::ptr::null_mut();
        assert_eq!(urb_ring_new(std::ptr::null(), &mut r), 0);
        let (rd, wr) = pipe();
        let mut buf = Box::new([0u8; 8]);
        assert_eq!(
            urb_ring_submit(r, &prep::read(rd, buf.as_mut_ptr().cast(), 8, 0), 1),
            0
        );
        std::thread::sleep(Duration::from_millis(2));
        urb_ring_free(r); // must cancel and wait before the buffer goes away
        drop(buf);
        close(rd);
        close(wr);
    }
    assert_eq!(open_fds(), before, "async rings leaked descriptors");
}
