//go:build !linux || !cgo

package uringbridge

import "syscall"

// Registered buffers and files, and zero-copy sends, without the library:
// every call reports ErrUnsupported (see stub.go).

func (rg *Ring) RegisterBuffers(bufs [][]byte) error { return ErrUnsupported }
func (rg *Ring) UnregisterBuffers() error            { return ErrUnsupported }
func (rg *Ring) RegisterFiles(fds []int) error       { return ErrUnsupported }
func (rg *Ring) UnregisterFiles() error              { return ErrUnsupported }
func (op *Op) FixedFile() *Op                        { return op }
func PrepReadFixed(fd int, p []byte, off int64, index int) *Op {
	return &Op{OpReadFixed}
}
func PrepWriteFixed(fd int, p []byte, off int64, index int) *Op {
	return &Op{OpWriteFixed}
}
func PrepSendZc(fd int, p []byte, flags int) *Op { return &Op{OpSendZc} }
func PrepSendmsgZc(fd int, p, oob []byte, to syscall.Sockaddr, flags int) *Op {
	return &Op{OpSendmsgZc}
}
