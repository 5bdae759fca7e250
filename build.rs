// The shared object carries a SONAME so that programs linked against it keep
// working across compatible upgrades (`make install` adds the symlinks).
fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,liburingbridge.so.{major}");
    println!("cargo:rerun-if-changed=build.rs");
}
