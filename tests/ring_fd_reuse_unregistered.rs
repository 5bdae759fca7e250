//! `ring_fd_reuse.rs`'s first case on the path kernels without the
//! registered-ring table take (entering by number): the request that meets
//! the file at the ring's number fails with a clear error instead of
//! hanging or retrying for ever, the thread's next request gets a new ring,
//! and the library never closes the number, which is the file's now.
//! A process of its own: the switch holds for every ring made after it.

mod common;

use common::ring_fds::*;
use common::*;
use uringbridge::ffi::blocking::*;

#[test]
fn entering_by_number_a_ring_whose_number_went_to_a_file_fails_loudly_and_recovers() {
    engine();
    uringbridge::uring::registered::enter_by_number_from_now_on();
    let contents = b"the file now at the ring's number";
    let taken = within("the thread ring entered by number", move || {
        let ours = new_ring_fds(|| assert_eq!(urb_nop(), 0));
        let mut taken = None;
        if let Some(&number) = ours.first() {
            close(number); // the user's second, stray close
            regular_file_at(number, contents);
            // Entered by number, the ring now reaches a regular file.
            assert_eq!(urb_nop(), -libc::EOPNOTSUPP);
            taken = Some(number);
        }
        // A new ring serves the thread from here on.
        blocking_read_works();
        taken
    });
    // The thread and its ring are gone; the file at the number must not be.
    if let Some(number) = taken {
        still_the_file(number, contents);
        close(number);
    }
}
