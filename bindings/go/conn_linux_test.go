//go:build linux && cgo

package uringbridge

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// tcpConnMethods is what code that type-asserts *net.TCPConn uses; a
// server switching to Listen can assert this interface instead.
type tcpConnMethods interface {
	net.Conn
	CloseRead() error
	CloseWrite() error
	SetNoDelay(bool) error
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetLinger(int) error
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
	SyscallConn() (syscall.RawConn, error)
}

var _ tcpConnMethods = (*net.TCPConn)(nil)
var _ tcpConnMethods = (*Conn)(nil)

// Each option method really sets the socket option (read back with
// getsockopt through SyscallConn), CloseWrite gives the peer EOF while the
// other direction still works, and after Close every method fails with
// net.ErrClosed.
func TestConnTCPMethods(t *testing.T) {
	server, client := connPair(t, "tcp", true)
	c, ok := server.(*Conn)
	if !ok {
		t.Fatalf("Accept returned %T, want *Conn", server)
	}
	get := func(level, name int) int {
		t.Helper()
		rc, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var v int
		var gerr error
		if err := rc.Control(func(fd uintptr) { v, gerr = syscall.GetsockoptInt(int(fd), level, name) }); err != nil || gerr != nil {
			t.Fatal(err, gerr)
		}
		return v
	}
	if get(syscall.IPPROTO_TCP, syscall.TCP_NODELAY) == 0 {
		t.Error("TCP_NODELAY off by default")
	}
	check := func(what string, err error, level, name, want int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := get(level, name); got != want {
			t.Errorf("%s: option is %d, want %d", what, got, want)
		}
	}
	check("SetNoDelay(false)", c.SetNoDelay(false), syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 0)
	check("SetKeepAlive(true)", c.SetKeepAlive(true), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
	check("SetKeepAlivePeriod(7s)", c.SetKeepAlivePeriod(7*time.Second), syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 7)
	if got := get(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL); got != 7 {
		t.Errorf("TCP_KEEPINTVL %d, want 7", got)
	}
	if err := c.SetReadBuffer(65536); err != nil || get(syscall.SOL_SOCKET, syscall.SO_RCVBUF) < 65536 {
		t.Errorf("SetReadBuffer: %v, SO_RCVBUF %d", err, get(syscall.SOL_SOCKET, syscall.SO_RCVBUF))
	}
	if err := c.SetWriteBuffer(65536); err != nil || get(syscall.SOL_SOCKET, syscall.SO_SNDBUF) < 65536 {
		t.Errorf("SetWriteBuffer: %v, SO_SNDBUF %d", err, get(syscall.SOL_SOCKET, syscall.SO_SNDBUF))
	}
	if err := c.SetLinger(3); err != nil {
		t.Fatal(err)
	}
	// SO_LINGER read back through a duplicate from File.
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	var l syscall.Linger
	ln := uint32(unsafe.Sizeof(l))
	_, _, errno := syscall.Syscall6(syscall.SYS_GETSOCKOPT, f.Fd(), syscall.SOL_SOCKET, syscall.SO_LINGER,
		uintptr(unsafe.Pointer(&l)), uintptr(unsafe.Pointer(&ln)), 0)
	f.Close()
	if errno != 0 || l.Onoff != 1 || l.Linger != 3 {
		t.Errorf("SetLinger(3): %+v, %v", l, errno)
	}
	c.SetLinger(-1)

	// Half-close: the peer reads EOF, and can still send.
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(client); err != nil || len(b) != 0 {
		t.Fatalf("peer after CloseWrite: %q, %v", b, err)
	}
	if _, err := client.Write([]byte("still")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "still" {
		t.Fatalf("read after CloseWrite: %q, %v", buf, err)
	}
	if err := c.CloseRead(); err != nil {
		t.Fatal(err)
	}

	c.Close()
	for name, err := range map[string]error{
		"SetNoDelay": c.SetNoDelay(true), "CloseWrite": c.CloseWrite(), "SetKeepAlive": c.SetKeepAlive(true),
		"SetDeadline": c.SetDeadline(time.Now()), "Close": c.Close(),
	} {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s after Close: %v, want net.ErrClosed", name, err)
		}
	}
	if _, err := c.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if _, err := c.Write(buf); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}
