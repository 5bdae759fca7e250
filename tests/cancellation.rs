//! Cancelled requests never write after they have been reported done:
//! canary buffers are checked after each cancelled read's completion, and the
//! data a cancelled read did not take is still there for the next reader.

mod common;

use common::*;
use std::collections::HashMap;
use uringbridge::ffi::blocking::*;
use uringbridge::ffi::ring::*;
use uringbridge::prep;
use uringbridge::ring::delivery::urb_completion;

const CANARY: u8 = 0xA5;

#[test]
fn blocking_timeouts_leave_buffers_alone() {
    engine();
    for i in 0..300u64 {
        let (rd, wr) = pipe();
        let mut buf = [CANARY; 8];
        let op = prep::read(rd, buf.as_mut_ptr().cast(), 8, 0);
        // Timeouts from 0 to ~300 µs: some fire before the read is armed.
        assert_eq!(urb_submit_blocking_timeout(&op, i * 1000), -libc::ETIME);
        write_all(wr, b"DATADATA");
        std::thread::yield_now();
        assert!(
            buf.iter().all(|&b| b == CANARY),
            "a timed-out read wrote after returning"
        );
        let mut fresh = [0u8; 8];
        assert_eq!(urb_read(rd, fresh.as_mut_ptr().cast(), 8, 0), 8);
        assert_eq!(&fresh, b"DATADATA");
        close(rd);
        close(wr);
    }
}

#[test]
fn async_cancels_at_random_moments_lose_and_corrupt_nothing() {
    engine();
    let mut ring = std::ptr::null_mut();
    assert_eq!(urb_ring_new(std::ptr::null(), &mut ring), 0);
    const PIPES: usize = 64;
    // 2 in 3 requests get a cancel: over 100,000 cancels at random moments.
    const ROUNDS: usize = 2400;
    let pipes: Vec<(i32, i32)> = (0..PIPES).map(|_| pipe()).collect();
    let mut bufs = vec![[CANARY; 8]; PIPES];
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut cancelled = 0;
    let mut cancel_calls = 0;
    let mut completed_with_data = 0;
    let mut out = vec![urb_completion::default(); 256];
    for round in 0..ROUNDS {
        for (i, (rd, _)) in pipes.iter().enumerate() {
            bufs[i] = [CANARY; 8];
            let op = prep::read(*rd, bufs[i].as_mut_ptr().cast(), 8, 0);
            assert_eq!(urb_ring_submit(ring, &op, (round * PIPES + i) as u64), 0);
        }
        // Feed some pipes, cancel others, at random moments.
        let mut fed = [false; PIPES];
        for i in 0..PIPES {
            let token = (round * PIPES + i) as u64;
            match rand() % 3 {
                0 => {
                    write_all(pipes[i].1, b"PAYLOAD!");
                    fed[i] = true;
                }
                1 => {
                    assert_eq!(urb_ring_cancel(ring, token), 0);
                    cancel_calls += 1;
                }
                _ => {
                    if rand() % 2 == 0 {
                        std::thread::yield_now();
                    }
                    assert_eq!(urb_ring_cancel(ring, token), 0);
                    cancel_calls += 1;
                    write_all(pipes[i].1, b"PAYLOAD!");
                    fed[i] = true;
                }
            }
        }
        // Every request completes exactly once; a cancelled one never writes.
        let mut results: HashMap<u64, i32> = HashMap::new();
        while results.len() < PIPES {
            let n = urb_ring_wait(ring, out.as_mut_ptr(), 256, 1, 5_000_000_000);
            assert!(n > 0, "a request never completed (round {round})");
            for c in &out[..n as usize] {
                assert!(
                    results.insert(c.token, c.res).is_none(),
                    "token {} twice",
                    c.token
                );
            }
        }
        for i in 0..PIPES {
            let res = results[&((round * PIPES + i) as u64)];
            if res == -libc::ECANCELED {
                cancelled += 1;
                assert!(
                    bufs[i].iter().all(|&b| b == CANARY),
                    "a cancelled read wrote its buffer"
                );
                if fed[i] {
                    // The payload it did not take is still in the pipe: drain it.
                    let mut fresh = [0u8; 8];
                    assert_eq!(urb_read(pipes[i].0, fresh.as_mut_ptr().cast(), 8, 0), 8);
                    assert_eq!(&fresh, b"PAYLOAD!");
                }
            } else {
                assert_eq!(res, 8, "pipe {i}");
                assert!(fed[i]);
                assert_eq!(&bufs[i], b"PAYLOAD!");
                completed_with_data += 1;
            }
        }
    }
    urb_ring_free(ring);
    eprintln!(
        "cancellation: {cancel_calls} cancels, {cancelled} requests ended cancelled, {completed_with_data} completed with data"
    );
    assert!(cancel_calls >= 100_000, "only {cancel_calls} cancels");
    assert!(cancelled > 10_000 && completed_with_data > 10_000);
    for (rd, wr) in pipes {
        close(rd);
        close(wr);
    }
}
