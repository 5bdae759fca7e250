//go:build linux && cgo

package uringbridge

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Conn is a connected stream socket (TCP or unix) of [Listen], [Dial] or a
// [Ring]'s Listen and Dial. It is a net.Conn and offers the methods of
// *net.TCPConn (CloseRead, CloseWrite, SetNoDelay, SetKeepAlive,
// SetKeepAlivePeriod, SetLinger, SetReadBuffer, SetWriteBuffer,
// SyscallConn, File), so a server that type-asserts its connections can
// switch by changing its listener, and WriteTo, which splices into a
// regular file (see [Conn.WriteTo]). Not offered: ReadFrom (splicing into
// a socket did not help: BENCHMARKS.md; io.Copy uses Write),
// SetKeepAliveConfig, MultipathTCP.
//
// How a transfer runs: every receive and send is tried on the calling
// goroutine's thread, as urb_ring_submit_try would try it: recv or send
// with MSG_DONTWAIT (send also with MSG_NOSIGNAL: a peer that has gone is
// an EPIPE error, never a SIGPIPE). The binding makes that system call
// itself (package syscall, no cgo call; nowait_linux.go), except on a ring
// made with RingOptions.Fallback, where the library takes every transfer
// as a request, and on 32-bit architectures, where the library makes the
// same call. A receive with data waiting or a send with room finishes
// there, with no hand-over to the ring's owner thread. One that would
// wait parks the goroutine in Go's own netpoller until the socket is
// ready, and is tried again. Once the ring is closed, transfers fail with
// an error wrapping [ErrRingClosed], as the ring's requests do. The
// wait itself is no request: a deadline or Close ends it without
// cancelling anything, so no byte the kernel moved is ever dropped, and
// deadlines and Close behave exactly as package net's (they are Go's
// internal/poll code, reached through an *os.File).
type Conn struct {
	rg           *Ring
	file         *os.File        // the socket, registered with the netpoller
	raw          syscall.RawConn // file's, for the transfers
	fd           int
	net          string
	laddr, raddr net.Addr

	// A direction has at most one transfer at a time, so each keeps one
	// slot for its life: a transfer that finishes on the spot needs no
	// slot of its own.
	rd, wr  xfer
	closing atomic.Bool
	cleanup runtime.Cleanup
}

var _ net.Conn = (*Conn)(nil)

// newConn takes over fd, a connected stream socket, which it makes
// non-blocking (unless it is already: accepted with SOCK_NONBLOCK) and
// registers with Go's netpoller. On failure fd is closed.
func newConn(rg *Ring, fd int, network string, peer syscall.Sockaddr, nonblocking bool) (*Conn, error) {
	if !nonblocking {
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(fd)
			return nil, os.NewSyscallError("fcntl", err)
		}
	}
	if network != "unix" {
		// As package net does: no Nagle delay on small writes.
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	}
	c := &Conn{rg: rg, fd: fd, net: network, raddr: netAddr(network, peer)}
	if lsa, err := syscall.Getsockname(fd); err == nil {
		c.laddr = netAddr(network, lsa)
	} else {
		c.laddr = netAddr(network, nil)
	}
	// os.NewFile puts a non-blocking descriptor into the netpoller; the
	// File's own cleanup closes a connection dropped without Close.
	c.file = os.NewFile(uintptr(fd), fileName(network))
	raw, err := c.file.SyscallConn()
	if err != nil {
		c.file.Close()
		return nil, err
	}
	c.raw = raw
	r := rg.r
	if !r.begin() {
		r.end()
		c.file.Close()
		return nil, ErrRingClosed
	}
	c.rd.init(r, OpRecv)
	c.wr.init(r, OpSend)
	r.end()
	if c.rd.s != nil {
		// A connection dropped without Close gives its slots back (the
		// File's own cleanup closes the descriptor).
		c.cleanup = runtime.AddCleanup(c, func(s [2]*slot) {
			r.dropSlot(s[0])
			r.dropSlot(s[1])
		}, [2]*slot{c.rd.s, c.wr.s})
	}
	return c, nil
}

// fileName is the name of a connection's *os.File (constant strings: no
// allocation per connection).
func fileName(network string) string {
	switch network {
	case "tcp":
		return "uringbridge-tcp"
	case "tcp4":
		return "uringbridge-tcp4"
	case "tcp6":
		return "uringbridge-tcp6"
	case "unix":
		return "uringbridge-unix"
	}
	return "uringbridge-" + network
}

func (c *Conn) LocalAddr() net.Addr  { return c.laddr }
func (c *Conn) RemoteAddr() net.Addr { return c.raddr }

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: c.net, Source: c.laddr, Addr: c.raddr, Err: err}
}

// waitErr turns what the netpoller's wait returned into package net's
// errors: os.ErrDeadlineExceeded as it is, and net.ErrClosed for a closed
// connection (the File says "use of closed file").
func (c *Conn) waitErr(err error) error {
	if c.closing.Load() || errors.Is(err, os.ErrClosed) {
		return net.ErrClosed
	}
	return err
}

// xfer is one direction's transfer: what the netpoller's callback needs,
// kept in the Conn (with the callback, bound once) so that a Read or Write
// allocates nothing. mu serialises the direction's callers, as the
// netpoller's own per-direction lock would.
type xfer struct {
	mu sync.Mutex
	r  *ring
	// s is a kept slot (ring.keepSlot) for the transfers the library
	// tries, nil where the binding makes them itself (native): those
	// never reach the ring.
	s       *slot
	native  bool
	code    Opcode
	p       []byte
	n       int // bytes moved so far (a Write's partial sends)
	res     int32
	refused error
	try     func(fd uintptr) bool
}

func (x *xfer) init(r *ring, code Opcode) {
	x.r, x.code = r, code
	x.native = nativeTries && !r.fallback
	if !x.native {
		x.s = r.keepSlot()
	}
	if code == OpRecv {
		x.try = x.recvOnce
	} else {
		x.try = x.sendAll
	}
}

// recvOnce is the netpoller callback of a Read: true when done (data, EOF
// or an error), false to wait for readability and be called again.
func (x *xfer) recvOnce(fd uintptr) bool {
	x.res, x.refused = x.once(int(fd), x.p)
	return x.refused != nil || x.res != negEAGAIN
}

// once is one receive or send attempt of p (not empty) with MSG_DONTWAIT:
// its CQE-style result, or why it was not made.
func (x *xfer) once(fd int, p []byte) (int32, error) {
	if !x.native {
		return x.r.tryOn(x.s, x.code, fd, p, syscall.MSG_DONTWAIT)
	}
	if x.r.shut.Load() {
		return 0, ErrRingClosed
	}
	if x.code == OpRecv {
		return recvNow(fd, p, 0), nil
	}
	return sendNow(fd, p, 0), nil
}

// sendAll is the netpoller callback of a Write: it sends until all of p
// is gone or an error, and returns false to wait for room.
func (x *xfer) sendAll(fd uintptr) bool {
	for x.n < len(x.p) {
		x.res, x.refused = x.once(int(fd), x.p[x.n:min(len(x.p), x.n+maxRW)])
		switch {
		case x.res == negEAGAIN && x.refused == nil:
			return false
		case x.refused != nil || x.res < 0:
			return true
		}
		x.n += int(x.res)
	}
	return true
}

// Read receives up to len(p) bytes; io.EOF once the peer has shut down its
// side. A passed read deadline or Close ends a Read that is waiting.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		// As package net: nothing to receive, but a closed connection says so.
		if c.closing.Load() {
			return 0, c.opErr("read", net.ErrClosed)
		}
		return 0, nil
	}
	x := &c.rd
	x.mu.Lock()
	x.p = p[:min(len(p), maxRW)]
	err := c.raw.Read(x.try)
	res, refused := x.res, x.refused
	x.p, x.refused = nil, nil
	x.mu.Unlock()
	runtime.KeepAlive(c)
	switch {
	case err != nil:
		return 0, c.opErr("read", c.waitErr(err))
	case refused != nil:
		return 0, c.opErr("read", refused)
	case res < 0:
		return 0, c.opErr("read", os.NewSyscallError("read", syscall.Errno(-res)))
	case res == 0:
		return 0, io.EOF
	}
	return int(res), nil
}

// Write sends all of p, or says why not (and how much was sent).
func (c *Conn) Write(p []byte) (int, error) {
	x := &c.wr
	x.mu.Lock()
	x.p, x.n, x.res = p, 0, 0
	err := c.raw.Write(x.try)
	n, res, refused := x.n, x.res, x.refused
	x.p, x.refused = nil, nil
	x.mu.Unlock()
	runtime.KeepAlive(c)
	switch {
	case err != nil:
		return n, c.opErr("write", c.waitErr(err))
	case refused != nil:
		return n, c.opErr("write", refused)
	case n < len(p) && res < 0:
		return n, c.opErr("write", os.NewSyscallError("write", syscall.Errno(-res)))
	}
	return n, nil
}

// Close ends the Read and Write waiting (they return an error wrapping
// net.ErrClosed) and closes the socket once no transfer uses it.
func (c *Conn) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		return c.opErr("close", net.ErrClosed)
	}
	// The File closes the descriptor only after the last transfer using it
	// has returned, and waits for that: the number cannot be reused under
	// a transfer.
	err := c.file.Close()
	c.cleanup.Stop()
	// No transfer runs any more; taking each direction's lock also orders
	// its last use of the slot before the slot's release (the File's own
	// wait is invisible to the race detector).
	r := c.rg.r
	for _, x := range []*xfer{&c.rd, &c.wr} {
		x.mu.Lock()
		if x.s != nil {
			r.dropSlot(x.s)
		}
		x.mu.Unlock()
	}
	if err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// control runs fn on the socket unless the connection is closed.
func (c *Conn) control(op string, fn func(fd int) error) error {
	var ferr error
	if err := c.raw.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return c.opErr(op, c.waitErr(err))
	}
	if ferr != nil {
		return c.opErr(op, ferr)
	}
	return nil
}

// CloseWrite shuts down the sending side (the peer reads EOF), as
// *net.TCPConn's CloseWrite; net/http uses it when closing a connection.
func (c *Conn) CloseWrite() error { return c.shutdown(syscall.SHUT_WR) }

// CloseRead shuts down the receiving side.
func (c *Conn) CloseRead() error { return c.shutdown(syscall.SHUT_RD) }

func (c *Conn) shutdown(how int) error {
	return c.control("close", func(fd int) error {
		return os.NewSyscallError("shutdown", syscall.Shutdown(fd, how))
	})
}

func (c *Conn) setsockopt(level, name, value int) error {
	return c.control("set", func(fd int) error {
		return os.NewSyscallError("setsockopt", syscall.SetsockoptInt(fd, level, name, value))
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SetNoDelay controls Nagle's algorithm (TCP_NODELAY); on by default, as
// in package net. Unix sockets: an error (EOPNOTSUPP), as there is no such
// option.
func (c *Conn) SetNoDelay(noDelay bool) error {
	return c.setsockopt(syscall.IPPROTO_TCP, syscall.TCP_NODELAY, boolInt(noDelay))
}

// SetKeepAlive turns TCP keep-alive probes on or off (SO_KEEPALIVE).
func (c *Conn) SetKeepAlive(keepalive bool) error {
	return c.setsockopt(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, boolInt(keepalive))
}

// SetKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes (TCP_KEEPIDLE, TCP_KEEPINTVL), rounded up to
// whole seconds, as package net does.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if err := c.setsockopt(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, secs); err != nil {
		return err
	}
	return c.setsockopt(syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, secs)
}

// SetLinger sets SO_LINGER as *net.TCPConn does: sec < 0 the default
// (close returns at once, the kernel sends what is left), sec == 0 drop
// unsent data and reset, sec > 0 as 0 after sec seconds.
func (c *Conn) SetLinger(sec int) error {
	l := syscall.Linger{}
	if sec >= 0 {
		l.Onoff, l.Linger = 1, int32(sec)
	}
	return c.control("set", func(fd int) error {
		return os.NewSyscallError("setsockopt", syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &l))
	})
}

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF).
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.setsockopt(syscall.SOL_SOCKET, syscall.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF).
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.setsockopt(syscall.SOL_SOCKET, syscall.SO_SNDBUF, bytes)
}

// SyscallConn gives raw access to the socket (syscall.RawConn), as
// *net.TCPConn's: Read and Write wait for readiness in Go's netpoller.
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	if c.closing.Load() {
		return nil, c.opErr("raw-conn", net.ErrClosed)
	}
	return c.raw, nil
}

// File returns a duplicate of the socket as an *os.File, as
// *net.TCPConn's File does; closing either does not close the other. The
// duplicate shares the open socket's flags (its Fd method makes both
// blocking, which the Conn tolerates: its transfers pass MSG_DONTWAIT).
func (c *Conn) File() (*os.File, error) {
	var dup int
	err := c.control("dup", func(fd int) error {
		var err error
		dup, err = syscall.Dup(fd)
		if err != nil {
			return os.NewSyscallError("dup", err)
		}
		syscall.CloseOnExec(dup)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(dup), c.file.Name()), nil
}

func (c *Conn) SetDeadline(t time.Time) error {
	if err := c.file.SetDeadline(t); err != nil {
		return c.opErr("set", c.waitErr(err))
	}
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	if err := c.file.SetReadDeadline(t); err != nil {
		return c.opErr("set", c.waitErr(err))
	}
	return nil
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	if err := c.file.SetWriteDeadline(t); err != nil {
		return c.opErr("set", c.waitErr(err))
	}
	return nil
}
