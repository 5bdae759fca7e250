//go:build linux && cgo

package uringbridge

/*
#include "uringbridge.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// rawRequest is a urb_op filled field by field, flags and reserved fields
// included, the way a C caller may fill it by hand. Only the tests of the
// library's own validation (the shared bad-input vectors) use it; the
// public API builds every request with the urb_prep_* functions.
type rawRequest struct {
	Opcode    uint8
	Flags     uint8
	Reserved0 uint16
	Fd        int32
	Offset    uint64
	Len       uint32
	OpFlags   uint32
	Mode      uint32
	Reserved1 uint32
	Reserved2 [2]uint64
}

// submitRaw performs r with buf and buf2 as its pointers, through the
// blocking call or as a chain of one, and returns the library's result.
func submitRaw(r rawRequest, buf, buf2 unsafe.Pointer, asChain bool) int32 {
	op := C.urb_op{
		opcode:    C.uint8_t(r.Opcode),
		flags:     C.uint8_t(r.Flags),
		buf_index: C.uint16_t(r.Reserved0),
		fd:        C.int32_t(r.Fd),
		offset:    C.uint64_t(r.Offset),
		buf:       buf,
		len:       C.uint32_t(r.Len),
		op_flags:  C.uint32_t(r.OpFlags),
		buf2:      buf2,
		mode:      C.uint32_t(r.Mode),
		reserved1: C.uint32_t(r.Reserved1),
		reserved2: [2]C.uint64_t{C.uint64_t(r.Reserved2[0]), C.uint64_t(r.Reserved2[1])},
	}
	var pin runtime.Pinner // buf and buf2 may be Go memory
	defer pin.Unpin()
	for _, p := range []unsafe.Pointer{buf, buf2} {
		if p != nil {
			pin.Pin(p)
		}
	}
	if !asChain {
		return int32(C.urb_submit_blocking(&op))
	}
	var res C.int32_t
	C.urb_submit_chain_blocking(&op, 1, &res)
	return int32(res)
}
