//go:build !linux || !cgo

package uringbridge

// Without Linux or without cgo the library cannot be reached. This file
// keeps the package compiling there with the same API, every call failing
// with ErrUnsupported, so programs that merely import it still build.

import (
	"context"
	"io"
	"net"
	"os"
	"syscall"
	"time"
)

const oCloexec = 0

// Supported reports false: io_uring is unreachable in this build.
func Supported() bool { return false }

// EngineName reports that no engine is reachable in this build.
func EngineName() string { return "unavailable (needs linux and cgo)" }

// BackendName is EngineName's former name.
//
// Deprecated: use [EngineName]; BackendName returns the same.
func BackendName() string { return EngineName() }

// Version is empty: no library is linked in this build.
func Version() string { return "" }

// OpSupported reports false for every operation in this build.
func OpSupported(code Opcode) bool { return false }

func Nop() error                                          { return ErrUnsupported }
func Read(fd int, p []byte, off int64) (int, error)       { return 0, ErrUnsupported }
func Write(fd int, p []byte, off int64) (int, error)      { return 0, ErrUnsupported }
func Readv(fd int, bufs [][]byte, off int64) (int, error) { return 0, ErrUnsupported }
func Writev(fd int, bufs [][]byte, off int64) (int, error) {
	return 0, ErrUnsupported
}
func Recv(fd int, p []byte, flags int) (int, error) { return 0, ErrUnsupported }
func Send(fd int, p []byte, flags int) (int, error) { return 0, ErrUnsupported }
func Accept(fd int, flags int) (int, syscall.Sockaddr, error) {
	return -1, nil, ErrUnsupported
}
func Connect(fd int, sa syscall.Sockaddr) error { return ErrUnsupported }
func Openat(dirfd int, path string, flags int, mode uint32) (int, error) {
	return -1, ErrUnsupported
}
func Close(fd int) error                { return ErrUnsupported }
func Fsync(fd int, datasync bool) error { return ErrUnsupported }
func Fstat(fd int) (*Stat, error)       { return nil, ErrUnsupported }
func Unlinkat(dirfd int, path string, flags int) error {
	return &os.PathError{Op: "unlinkat", Path: path, Err: ErrUnsupported}
}
func Renameat(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
	return &os.LinkError{Op: "renameat", Old: oldpath, New: newpath, Err: ErrUnsupported}
}
func Mkdirat(dirfd int, path string, mode uint32) error {
	return &os.PathError{Op: "mkdirat", Path: path, Err: ErrUnsupported}
}
func Shutdown(fd, how int) error                 { return ErrUnsupported }
func Poll(fd int, events uint32) (uint32, error) { return 0, ErrUnsupported }
func Sleep(d time.Duration) error                { return ErrUnsupported }
func Statx(dirfd int, path string, flags int, mask uint32) (*Stat, error) {
	return nil, ErrUnsupported
}

func seek(fd int, offset int64, whence int) (int64, error) { return 0, ErrUnsupported }

// Op is one request; in this build it can be built but never performed.
type Op struct{ code Opcode }

func (op *Op) Opcode() Opcode             { return op.code }
func (op *Op) Sockaddr() syscall.Sockaddr { return nil }

func PrepNop() *Op                                    { return &Op{OpNop} }
func PrepRead(fd int, p []byte, off int64) *Op        { return &Op{OpRead} }
func PrepWrite(fd int, p []byte, off int64) *Op       { return &Op{OpWrite} }
func PrepReadv(fd int, bufs [][]byte, off int64) *Op  { return &Op{OpReadv} }
func PrepWritev(fd int, bufs [][]byte, off int64) *Op { return &Op{OpWritev} }
func PrepFsync(fd int, datasync bool) *Op             { return &Op{OpFsync} }
func PrepClose(fd int) *Op                            { return &Op{OpClose} }
func PrepRecv(fd int, p []byte, flags int) *Op        { return &Op{OpRecv} }
func PrepSend(fd int, p []byte, flags int) *Op        { return &Op{OpSend} }
func PrepAccept(fd int, flags int) *Op                { return &Op{OpAccept} }
func PrepConnect(fd int, sa syscall.Sockaddr) *Op     { return &Op{OpConnect} }
func PrepShutdown(fd, how int) *Op                    { return &Op{OpShutdown} }
func PrepPoll(fd int, events uint32) *Op              { return &Op{OpPoll} }
func PrepTimeout(d time.Duration) *Op                 { return &Op{OpTimeout} }
func PrepOpenat(dirfd int, path string, flags int, mode uint32) *Op {
	return &Op{OpOpenat}
}
func PrepStatx(dirfd int, path string, flags int, mask uint32, out *Stat) *Op {
	return &Op{OpStatx}
}

func Submit(op *Op) (int32, error)                         { return 0, ErrUnsupported }
func SubmitTimeout(op *Op, d time.Duration) (int32, error) { return 0, ErrUnsupported }
func SubmitChain(ops []*Op) ([]int32, error)               { return nil, ErrUnsupported }

// Ring is an async ring; in this build none can be created.
type Ring struct{}

func NewRing(opts *RingOptions) (*Ring, error) { return nil, ErrUnsupported }
func (rg *Ring) Close() error                  { return ErrUnsupported }
func (rg *Ring) Stats() (RingStats, error)     { return RingStats{}, ErrUnsupported }
func (rg *Ring) Do(ctx context.Context, op *Op) (int32, error) {
	return 0, ErrUnsupported
}
func (rg *Ring) DoTimeout(ctx context.Context, op *Op, d time.Duration) (int32, error) {
	return 0, ErrUnsupported
}
func (rg *Ring) DoBatch(ctx context.Context, ops []*Op) ([]int32, error) {
	return nil, ErrUnsupported
}
func (rg *Ring) DoChain(ctx context.Context, ops []*Op) ([]int32, error) {
	return nil, ErrUnsupported
}
func (rg *Ring) Listen(network, address string) (net.Listener, error) {
	return nil, &net.OpError{Op: "listen", Net: network, Err: ErrUnsupported}
}
func (rg *Ring) Dial(network, address string) (net.Conn, error) {
	return nil, &net.OpError{Op: "dial", Net: network, Err: ErrUnsupported}
}
func (rg *Ring) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return rg.Dial(network, address)
}

func (f *File) readNow(fd int, p []byte, off int64) (int, bool, error) { return 0, false, nil }

func (rg *Ring) rw(code Opcode, fd int, p []byte, off int64) (int, error) {
	return 0, ErrUnsupported
}
func (rg *Ring) openat(path string, flags int, mode uint32) (int, error) {
	return -1, ErrUnsupported
}
func (rg *Ring) fsync(fd int) error { return ErrUnsupported }

func SharedRing() (*Ring, error) { return nil, ErrUnsupported }
func Listen(network, address string) (net.Listener, error) {
	return (*Ring)(nil).Listen(network, address)
}
func Dial(network, address string) (net.Conn, error) { return (*Ring)(nil).Dial(network, address) }
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	return (*Ring)(nil).Dial(network, address)
}

// Conn is the connection type of Listen and Dial (see the Linux
// documentation); here no value of it can be made.
type Conn struct{}

func (c *Conn) Read(p []byte) (int, error)             { return 0, ErrUnsupported }
func (c *Conn) Write(p []byte) (int, error)            { return 0, ErrUnsupported }
func (c *Conn) Close() error                           { return ErrUnsupported }
func (c *Conn) LocalAddr() net.Addr                    { return nil }
func (c *Conn) RemoteAddr() net.Addr                   { return nil }
func (c *Conn) SetDeadline(t time.Time) error          { return ErrUnsupported }
func (c *Conn) SetReadDeadline(t time.Time) error      { return ErrUnsupported }
func (c *Conn) SetWriteDeadline(t time.Time) error     { return ErrUnsupported }
func (c *Conn) CloseRead() error                       { return ErrUnsupported }
func (c *Conn) CloseWrite() error                      { return ErrUnsupported }
func (c *Conn) SetNoDelay(noDelay bool) error          { return ErrUnsupported }
func (c *Conn) SetKeepAlive(keepalive bool) error      { return ErrUnsupported }
func (c *Conn) SetKeepAlivePeriod(time.Duration) error { return ErrUnsupported }
func (c *Conn) SetLinger(sec int) error                { return ErrUnsupported }
func (c *Conn) SetReadBuffer(bytes int) error          { return ErrUnsupported }
func (c *Conn) SetWriteBuffer(bytes int) error         { return ErrUnsupported }
func (c *Conn) SyscallConn() (syscall.RawConn, error)  { return nil, ErrUnsupported }
func (c *Conn) File() (*os.File, error)                { return nil, ErrUnsupported }
func (c *Conn) WriteTo(w io.Writer) (int64, error)     { return 0, ErrUnsupported }

// Without splice, File's ReadFrom is io.Copy's (whose File calls fail
// with ErrUnsupported).
func (f *File) spliceReadFrom(r io.Reader) (int64, bool, error) { return 0, false, nil }
