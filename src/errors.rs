//! Text for CQE-style results. The strings are built once and live for the
//! whole process, so `urb_strerror` can hand out `const char *` safely.

use std::ffi::{CStr, CString};
use std::sync::OnceLock;

/// Errno values up to this one get their libc text; others get a generic one.
const MAX_ERRNO: usize = 134;

/// What a panic inside the library turns into at the C boundary.
pub const PANICKED: i32 = -libc::ENOTRECOVERABLE;

fn table() -> &'static [CString] {
    static TABLE: OnceLock<Vec<CString>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=MAX_ERRNO)
            .map(|errno| {
                if errno == 0 {
                    return CString::new("success").unwrap();
                }
                let mut buf = [0 as libc::c_char; 256];
                // SAFETY: buf is writable and its length is passed.
                let rc = unsafe { libc::strerror_r(errno as i32, buf.as_mut_ptr(), buf.len()) };
                if rc != 0 {
                    return CString::new("unknown error").unwrap();
                }
                // SAFETY: strerror_r returned 0, so buf holds a NUL-terminated string.
                unsafe { CStr::from_ptr(buf.as_ptr()) }.to_owned()
            })
            .collect()
    })
}

/// The text for a result: "success" for `res >= 0`, the errno's text for
/// `-errno`, "unknown error" otherwise.
pub fn text(res: i32) -> &'static CStr {
    static UNKNOWN: &CStr = c"unknown error";
    if res >= 0 {
        return &table()[0];
    }
    match usize::try_from(res.unsigned_abs()) {
        Ok(e) if e <= MAX_ERRNO => &table()[e],
        _ => UNKNOWN,
    }
}

pub fn describe(res: i32) -> String {
    format!("{} ({res})", text(res).to_string_lossy())
}
