//go:build linux && cgo && uringbridge_pkgconfig

package uringbridge

// An installed copy of the library, found through its uringbridge.pc
// (`go build -tags uringbridge_pkgconfig`). The header still comes from the
// vendored uringbridge.h beside the Go files, kept identical to the
// repository's.

// #cgo pkg-config: uringbridge
import "C"
