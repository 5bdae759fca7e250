//! The engine and the poller under their names and under their former
//! "backend" names: each alias gives exactly what the new name gives, and
//! `URB_ENGINE` decides over `URB_BACKEND` when both are set.

mod common;

use common::*;
use std::process::Command;
use uringbridge::ffi::info::*;
use uringbridge::ffi::readiness::*;
use uringbridge::readiness::{urb_backend_vtable, urb_poller_vtable};

#[test]
fn the_engine_name_and_its_alias_are_the_same_string() {
    let name = engine();
    assert!(["io_uring", "fallback", "none"].contains(&name), "{name}");
    assert_eq!(urb_engine_name(), urb_backend_name());
    assert_eq!(urb_supported(), name == "io_uring");
}

#[test]
fn each_poller_alias_hands_out_the_same_table() {
    engine();
    assert!(!urb_poller_default().is_null());
    assert!(!urb_poller_epoll().is_null());
    assert_eq!(urb_poller_default(), urb_backend_default());
    assert_eq!(urb_poller_io_uring(), urb_backend_io_uring());
    assert_eq!(urb_poller_epoll(), urb_backend_epoll());
    let old: *const urb_backend_vtable = urb_backend_default();
    let new: *const urb_poller_vtable = old;
    assert_eq!(new, urb_poller_default());
}

/// Which engine a fresh process picks with these variables set (and the
/// others unset); its stderr too.
fn engine_with(vars: &[(&str, &str)]) -> (String, String) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "engine_child", "--nocapture", "--test-threads=1"])
        .env_remove("URB_ENGINE")
        .env_remove("URB_BACKEND")
        .env("URB_NAMES_CHILD", "1");
    for (k, v) in vars {
        child.env(k, v);
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "child failed:\n{stdout}{stderr}");
    let name = stdout
        .lines()
        .find_map(|l| l.split("child engine: ").nth(1))
        .unwrap_or_else(|| panic!("child did not run:\n{stdout}{stderr}"));
    (name.to_string(), stderr)
}

/// Run by `engine_with` in a child process; does nothing in the suite itself.
#[test]
fn engine_child() {
    if std::env::var_os("URB_NAMES_CHILD").is_some() {
        println!("child engine: {}", engine());
    }
}

#[test]
fn urb_engine_and_its_former_name_urb_backend_choose_alike() {
    engine();
    // io_uring where the kernel allows it, "none" where it refuses: either
    // way not the fallback, so which variable won shows.
    let (insisted, _) = engine_with(&[("URB_ENGINE", "io_uring")]);
    assert!(["io_uring", "none"].contains(&insisted.as_str()));
    assert_eq!(engine_with(&[("URB_ENGINE", "fallback")]).0, "fallback");
    assert_eq!(engine_with(&[("URB_BACKEND", "fallback")]).0, "fallback");
    assert_eq!(engine_with(&[("URB_BACKEND", "io_uring")]).0, insisted);
    let auto = engine_with(&[]).0;
    assert_eq!(engine_with(&[("URB_ENGINE", "auto")]).0, auto);
    // An empty URB_ENGINE is as good as unset.
    assert_eq!(
        engine_with(&[("URB_ENGINE", ""), ("URB_BACKEND", "fallback")]).0,
        "fallback"
    );
}

#[test]
fn urb_engine_decides_when_both_are_set() {
    engine();
    let (insisted, _) = engine_with(&[("URB_ENGINE", "io_uring")]);
    let (name, stderr) = engine_with(&[("URB_ENGINE", "fallback"), ("URB_BACKEND", "io_uring")]);
    assert_eq!(name, "fallback");
    assert!(
        stderr.contains("URB_BACKEND=\"io_uring\" is ignored"),
        "{stderr}"
    );
    let (name, _) = engine_with(&[("URB_ENGINE", "io_uring"), ("URB_BACKEND", "fallback")]);
    assert_eq!(name, insisted);
    let (name, stderr) = engine_with(&[("URB_ENGINE", "fallback"), ("URB_BACKEND", "fallback")]);
    assert_eq!(name, "fallback");
    assert!(!stderr.contains("ignored"), "{stderr}");
}
