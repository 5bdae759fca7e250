//! Kernels without an operation, imitated with `URB_PROBE_HIDE`: a test
//! runs its own binary again with the switch set, and there a child test
//! (which does nothing in a normal run) checks what users get.

use uringbridge::ffi::info::urb_op_supported;

/// Runs this test binary's `child` test alone with `URB_PROBE_HIDE=hide`
/// and asserts that it ran and passed.
pub fn run_child_with_hidden(child: &str, hide: &str) {
    super::engine();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child, "--nocapture", "--test-threads=1"])
        .env("URB_PROBE_HIDE", hide)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{text}");
    assert!(text.contains("1 passed"), "child did not run:\n{text}");
}

/// In the child: `None` in a normal run; else checks that the probe hides
/// exactly `hidden` (on io_uring; the fallback engine needs no kernel
/// opcode, so the probe binds nothing there) and not `visible`, and says
/// whether the engine is io_uring.
pub fn hidden_in_this_child(hide: &str, hidden: &[u8], visible: u8) -> Option<bool> {
    if std::env::var("URB_PROBE_HIDE").as_deref() != Ok(hide) {
        return None;
    }
    let on_io_uring = super::engine() == "io_uring";
    for &code in hidden {
        assert_eq!(urb_op_supported(code), !on_io_uring, "opcode {code}");
    }
    assert!(urb_op_supported(visible), "only the named ones are hidden");
    Some(on_io_uring)
}
