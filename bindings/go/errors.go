package uringbridge

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// ErrUnsupported is what every call returns in a build without Linux or
// without cgo, where the library cannot be reached. It wraps
// errors.ErrUnsupported.
var ErrUnsupported = fmt.Errorf("uringbridge: needs linux and cgo: %w", errors.ErrUnsupported)

// ErrRingClosed is the error of a request made on a closed [Ring], and of a
// request that Close cancelled. It wraps os.ErrClosed.
var ErrRingClosed = fmt.Errorf("uringbridge: ring closed: %w", os.ErrClosed)

// ChainError reports the request that broke a chain passed to [SubmitChain].
// Err is that request's error (an *os.SyscallError or *os.PathError holding
// the errno), so errors.Is(err, syscall.EBADF) sees through a ChainError.
type ChainError struct {
	Index int   // position of the failed request in the chain
	Err   error // its error
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("uringbridge: chain request %d: %v", e.Index, e.Err)
}

func (e *ChainError) Unwrap() error { return e.Err }

// syscallErr turns a CQE-style result (-errno) into the error of operation name.
func syscallErr(name string, res int32) error {
	return os.NewSyscallError(name, syscall.Errno(-res))
}

// pathErr turns a CQE-style result (-errno) into the error of a path operation.
func pathErr(name, path string, res int32) error {
	return &os.PathError{Op: name, Path: path, Err: syscall.Errno(-res)}
}

// asPathError re-labels an error of the low-level API for a [File] method:
// os.File reports *os.PathError{Op, file name, errno}, and so does File.
func asPathError(op, name string, err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		err = se.Err
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &os.PathError{Op: op, Path: name, Err: err}
}
