//go:build linux && cgo && !uringbridge_pkgconfig

package uringbridge

// The library as `make lib` builds it in this repository; see the package
// documentation (Linking) for why the path is ${SRCDIR}-relative and why
// the rpath is there.

// #cgo LDFLAGS: -L${SRCDIR}/../../target/release -luringbridge -Wl,-rpath,${SRCDIR}/../../target/release
import "C"
