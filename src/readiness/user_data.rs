//! The `user_data` of the io_uring poller's poll requests: everything a
//! completion needs to become an event, so none is looked up.
//!
//! ```text
//!  63           42 41        40         39    32 31            0
//! [ generation   | internal | persistent | events | fd           ]
//! ```
//! The generation tells one registration of an fd from the next with the
//! same events, so a completion left over from a replaced registration is
//! never taken for the current one.

pub(crate) const PERSISTENT: u64 = 1 << 40;
/// The library's own requests (removals): their completions carry no event.
pub(crate) const INTERNAL: u64 = 1 << 41;
const EVENTS_SHIFT: u32 = 32;
const GENERATION_SHIFT: u32 = 42;
pub(crate) const GENERATION_MASK: u32 = (1 << (64 - GENERATION_SHIFT)) - 1;

/// One registration's identity; `generation` is never 0, so neither is a
/// packed registration (0 means "none" in the per-fd slots).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    pub fd: i32,
    /// `URB_EV_READ | URB_EV_WRITE` bits.
    pub events: u32,
    pub persistent: bool,
    pub generation: u32,
}

impl Registration {
    pub fn pack(self) -> u64 {
        debug_assert!(self.fd >= 0 && self.generation != 0 && self.generation <= GENERATION_MASK);
        self.fd as u32 as u64
            | (self.events as u64 & 0xff) << EVENTS_SHIFT
            | if self.persistent { PERSISTENT } else { 0 }
            | (self.generation as u64) << GENERATION_SHIFT
    }

    /// `None` for the library's own requests.
    pub fn unpack(user_data: u64) -> Option<Registration> {
        if user_data & INTERNAL != 0 {
            return None;
        }
        Some(Registration {
            fd: user_data as u32 as i32,
            events: (user_data >> EVENTS_SHIFT) as u32 & 0xff,
            persistent: user_data & PERSISTENT != 0,
            generation: (user_data >> GENERATION_SHIFT) as u32,
        })
    }
}

/// The generation after `g`: wraps within 1..=GENERATION_MASK.
pub fn next_generation(g: u32) -> u32 {
    if g >= GENERATION_MASK {
        1
    } else {
        g + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips_and_is_never_zero_or_internal() {
        for (fd, events, persistent, generation) in [
            (0, 0, false, 1),
            (i32::MAX, 3, true, GENERATION_MASK),
            (1234, 2, false, 77),
            (5, 1, true, 1 << 20),
        ] {
            let r = Registration {
                fd,
                events,
                persistent,
                generation,
            };
            let ud = r.pack();
            assert_ne!(ud, 0);
            assert_eq!(ud & INTERNAL, 0);
            assert_eq!(Registration::unpack(ud), Some(r));
        }
        assert_eq!(Registration::unpack(INTERNAL), None);
    }

    #[test]
    fn generations_wrap_without_zero() {
        assert_eq!(next_generation(1), 2);
        assert_eq!(next_generation(GENERATION_MASK), 1);
    }
}
