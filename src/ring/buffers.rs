//! Provided buffers for multishot receive: the kernel (or the fallback
//! owner) picks a free buffer per message, the completion names it, and the
//! caller gives it back with `urb_ring_buffer_release` when done reading.

use parking_lot::Mutex;
use std::sync::atomic::{AtomicU16, Ordering};

/// The one buffer group of a ring.
pub const GROUP_ID: u16 = 0;

/// `struct io_uring_buf`: 16 bytes; entry 0's last u16 is the ring's tail.
const ENTRY_SIZE: usize = 16;
const TAIL_OFFSET: usize = 14;

struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    fn new(len: usize) -> Result<Mapping, i32> {
        // SAFETY: anonymous private mapping; page-aligned as the kernel needs.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(-libc::ENOMEM);
        }
        Ok(Mapping {
            ptr: ptr.cast(),
            len,
        })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: our own mapping.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}

pub struct ProvidedBuffers {
    data: Mapping,
    ring: Mapping,
    count: u32,
    size: u32,
    /// io_uring: the next tail to publish (guarded: releases come from any thread).
    tail: Mutex<u16>,
    /// Fallback: buffers not lent out.
    free: Mutex<Vec<u16>>,
    /// Whether the kernel takes buffers from the ring (io_uring engine) or
    /// the fallback owner from the free list.
    kernel: bool,
}

// SAFETY: the mappings are plain memory; all mutation goes through the locks
// or through the kernel.
unsafe impl Send for ProvidedBuffers {}
// SAFETY: as for Send: shared use goes through the locks or the kernel.
unsafe impl Sync for ProvidedBuffers {}

impl ProvidedBuffers {
    pub fn new(count: u32, size: u32, kernel: bool) -> Result<ProvidedBuffers, i32> {
        let b = ProvidedBuffers {
            data: Mapping::new(count as usize * size as usize)?,
            ring: Mapping::new((count as usize * ENTRY_SIZE).max(4096))?,
            count,
            size,
            tail: Mutex::new(0),
            free: Mutex::new((0..count as u16).rev().collect()),
            kernel,
        };
        if kernel {
            for bid in 0..count as u16 {
                b.publish(bid);
            }
        }
        Ok(b)
    }

    pub fn ring_addr(&self) -> u64 {
        self.ring.ptr as u64
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    /// The memory of buffer `bid`, or None for an id out of range.
    pub fn ptr(&self, bid: u32) -> Option<*mut u8> {
        // SAFETY: bid < count, so the offset stays inside the count x size bytes mapped.
        (bid < self.count).then(|| unsafe { self.data.ptr.add(bid as usize * self.size as usize) })
    }

    /// Puts `bid` back at the ring's tail for the kernel to use again.
    fn publish(&self, bid: u16) {
        let mut tail = self.tail.lock();
        let index = (*tail as u32 & (self.count - 1)) as usize;
        // SAFETY: index < count entries of 16 bytes in our mapping; only
        // addr/len/bid are written, never entry 0's tail field.
        unsafe {
            let e = self.ring.ptr.add(index * ENTRY_SIZE);
            (e as *mut u64).write(self.ptr(bid as u32).unwrap() as u64);
            (e.add(8) as *mut u32).write(self.size);
            (e.add(12) as *mut u16).write(bid);
        }
        *tail = tail.wrapping_add(1);
        // SAFETY: entry 0's tail field, published with release ordering so
        // the kernel sees the entry before the new tail.
        let tail_field = unsafe { &*(self.ring.ptr.add(TAIL_OFFSET) as *const AtomicU16) };
        tail_field.store(*tail, Ordering::Release);
    }

    /// Gives buffer `bid` back (after the caller has read it). Serves both
    /// engines: the kernel's ring and the fallback's free list.
    pub fn release(&self, bid: u32) -> Result<(), i32> {
        if bid >= self.count {
            return Err(-libc::EINVAL);
        }
        if self.kernel {
            self.publish(bid as u16);
        } else {
            self.free.lock().push(bid as u16);
        }
        Ok(())
    }

    /// Fallback owner: lends a buffer out, if one is free.
    pub fn take(&self) -> Option<u16> {
        self.free.lock().pop()
    }
}
