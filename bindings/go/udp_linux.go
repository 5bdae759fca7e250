//go:build linux && cgo

package uringbridge

/*
#include "shim.h"

// One cgo call (prepare, then try) for a datagram's sendmsg or recvmsg on
// a ring; msg and what it names must stay valid until the result is
// known (pinned by the caller when the ring took it).
static inline uint64_t gourb_try_msg(const urb_ring *ring, uint8_t code, int32_t fd,
                                     uintptr_t msg, int32_t flags, uint64_t token) {
	urb_op op;
	int32_t res = code == URB_OP_RECVMSG ? urb_prep_recvmsg(fd, (struct msghdr *)msg, flags, &op)
	                                     : urb_prep_sendmsg(fd, (const struct msghdr *)msg, flags, &op);
	if (res < 0) return (uint32_t)res;
	return gourb_try(ring, &op, token);
}
*/
import "C"

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The network operations' numbers, checked against the header at compile time.
var _ = [1]struct{}{}[OpSendmsg^C.URB_OP_SENDMSG|OpRecvmsg^C.URB_OP_RECVMSG|
	OpSocket^C.URB_OP_SOCKET|OpBind^C.URB_OP_BIND|OpListen^C.URB_OP_LISTEN]

// UDPConn is a UDP socket of [ListenPacket], [ListenUDP] or [DialUDP] (or
// a [Ring]'s). It is a net.PacketConn, a net.Conn, and offers what
// *net.UDPConn offers: ReadFrom/WriteTo, ReadFromUDP/WriteToUDP,
// ReadFromUDPAddrPort/WriteToUDPAddrPort, ReadMsgUDP/WriteMsgUDP (with
// ancillary data), Read/Write (Write needs a connected socket, as
// package net's), LocalAddr/RemoteAddr, the deadlines, SetReadBuffer,
// SetWriteBuffer, SyscallConn, File and Close. Not offered:
// ReadMsgUDPAddrPort/WriteMsgUDPAddrPort (use the *UDPAddr forms).
//
// Its socket is made by the library (urb_socket and urb_bind, or the
// system calls themselves where the kernel's io_uring lacks
// IORING_OP_SOCKET/IORING_OP_BIND: before 5.19 and 6.11). Datagrams move
// as a [Conn]'s bytes do: each is tried on the calling goroutine's thread
// with recvmsg or sendmsg and MSG_DONTWAIT (the binding's own system call,
// through package syscall; on a ring made with RingOptions.Fallback the
// library's URB_OP_RECVMSG/URB_OP_SENDMSG through urb_ring_submit_try),
// and one that would wait parks the goroutine in Go's netpoller until the
// socket is ready. The wait is no request: a deadline or Close ends it
// without cancelling anything, so a datagram the kernel delivered is never
// lost, and deadlines and Close behave as package net's (a blocked read
// returns os.ErrDeadlineExceeded, or net.ErrClosed after Close).
type UDPConn struct {
	rg           *Ring
	file         *os.File
	raw          syscall.RawConn
	fd           int
	family       int
	net          string
	laddr, raddr *net.UDPAddr // raddr nil unless connected

	rd, wr  msgXfer
	closing atomic.Bool
	cleanup runtime.Cleanup
}

var (
	_ net.PacketConn = (*UDPConn)(nil)
	_ net.Conn       = (*UDPConn)(nil)
)

// ListenPacket announces on the local address, like net.ListenPacket, for
// the networks "udp", "udp4" and "udp6"; the result is a *UDPConn on the
// shared ring ([SharedRing]).
func ListenPacket(network, address string) (net.PacketConn, error) {
	rg, err := sharedRing()
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return rg.ListenPacket(network, address)
}

// ListenPacket is [ListenPacket] on this ring.
func (rg *Ring) ListenPacket(network, address string) (net.PacketConn, error) {
	if err := checkUDPNetwork(network); err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	laddr, err := net.ResolveUDPAddr(network, address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	c, err := rg.ListenUDP(network, laddr)
	if err != nil {
		return nil, err // no typed nil in the interface
	}
	return c, nil
}

// ListenUDP is net.ListenUDP on the shared ring: laddr nil or with a zero
// port picks a port, a nil or unspecified IP listens on every address.
func ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) {
	rg, err := sharedRing()
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return rg.ListenUDP(network, laddr)
}

// ListenUDP is [ListenUDP] on this ring.
func (rg *Ring) ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) {
	return rg.udpSocket("listen", network, laddr, nil)
}

// DialUDP is net.DialUDP on the shared ring: a socket connected to raddr
// (bound to laddr when not nil), whose Read and Write exchange datagrams
// with raddr only.
func DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	rg, err := sharedRing()
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	return rg.DialUDP(network, laddr, raddr)
}

// DialUDP is [DialUDP] on this ring.
func (rg *Ring) DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	if raddr == nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("missing address")}
	}
	return rg.udpSocket("dial", network, laddr, raddr)
}

// dialUDPContext is [Ring.DialContext] for the UDP networks: address is
// resolved as package net does (ctx bounds the lookup; an empty or
// unspecified host is the local system), and the first address of the
// network's family a socket can be connected to wins.
func (rg *Ring) dialUDPContext(ctx context.Context, network, address string) (net.Conn, error) {
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: network, Err: err} }
	if err := ctx.Err(); err != nil { // as package net, also with nothing to look up
		return nil, opErr(mapContextErr(err))
	}
	ips, port, host, err := dialAddrs(ctx, network, address)
	if err != nil {
		return nil, opErr(err)
	}
	var firstErr error
	for _, ip := range ips {
		raddr := &net.UDPAddr{IP: net.IP(ip.Unmap().AsSlice()), Port: port, Zone: ip.Zone()}
		c, err := rg.DialUDP(network, nil, raddr)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = opErr(&net.AddrError{Err: "no suitable address found", Addr: host})
	}
	return nil, firstErr
}

func checkUDPNetwork(network string) error {
	switch network {
	case "udp", "udp4", "udp6":
		return nil
	}
	return net.UnknownNetworkError(network)
}

// udpFamily picks the socket family as package net does: udp4 and IPv4
// addresses on "udp" take IPv4, everything else IPv6 (a wildcard socket
// then takes both, through IPv4-mapped addresses).
func udpFamily(network string, laddr, raddr *net.UDPAddr) int {
	v4 := func(a *net.UDPAddr) bool { return a == nil || a.IP == nil || a.IP.To4() != nil }
	switch {
	case network == "udp4":
		return syscall.AF_INET
	case network == "udp6":
		return syscall.AF_INET6
	case raddr != nil && raddr.IP.To4() != nil && v4(laddr):
		return syscall.AF_INET
	case laddr != nil && laddr.IP.To4() != nil && !laddr.IP.IsUnspecified() && v4(raddr):
		return syscall.AF_INET
	}
	return syscall.AF_INET6
}

// udpSockaddr is a as an address of the socket's family (an IPv4 address
// on an IPv6 socket becomes IPv4-mapped). nil a is the wildcard.
func udpSockaddr(family int, a *net.UDPAddr) (syscall.Sockaddr, error) {
	var ip net.IP
	port, zone := 0, ""
	if a != nil {
		ip, port, zone = a.IP, a.Port, a.Zone
	}
	if port < 0 || port > 0xffff {
		return nil, &net.AddrError{Err: "invalid port", Addr: a.String()}
	}
	wildcard := ip == nil || ip.IsUnspecified()
	if family == syscall.AF_INET {
		sa := &syscall.SockaddrInet4{Port: port}
		if !wildcard {
			ip4 := ip.To4()
			if ip4 == nil {
				return nil, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
			}
			copy(sa.Addr[:], ip4)
		}
		return sa, nil
	}
	sa := &syscall.SockaddrInet6{Port: port}
	// An IPv4 wildcard on an IPv6 socket is the IPv6 one (both families).
	if !(wildcard && ip.To4() != nil) && ip != nil {
		ip16 := ip.To16()
		if ip16 == nil {
			return nil, &net.AddrError{Err: "invalid IP address", Addr: ip.String()}
		}
		copy(sa.Addr[:], ip16)
	}
	sa.ZoneId = zoneIndex(zone)
	return sa, nil
}

// udpAddr converts a kernel address to package net's form (nil for none).
func udpAddr(sa syscall.Sockaddr) *net.UDPAddr {
	if ip, port, zone, ok := sockaddrIP(sa); ok {
		return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
	}
	return nil
}

// librarySocket is socket(2) by the library (URB_OP_SOCKET), or by the
// system call where the kernel's io_uring lacks it (-ENOSYS).
func librarySocket(family, typ int) (int, error) {
	fd := int32(C.urb_socket(C.int32_t(family), C.int32_t(typ), 0))
	if fd == -int32(syscall.ENOSYS) {
		return syscall.Socket(family, typ, 0)
	}
	if fd < 0 {
		return -1, syscall.Errno(-fd)
	}
	return int(fd), nil
}

// libraryBind is bind(2) by the library (URB_OP_BIND), or by the system
// call where the kernel's io_uring lacks it (-ENOSYS).
func libraryBind(fd int, sa syscall.Sockaddr) error {
	raw, n, err := rawSockaddr(sa)
	if err != nil {
		return err
	}
	res := int32(C.urb_bind(C.int32_t(fd), unsafe.Pointer(raw), C.uint32_t(n)))
	runtime.KeepAlive(raw)
	switch {
	case res == -int32(syscall.ENOSYS):
		return syscall.Bind(fd, sa)
	case res < 0:
		return syscall.Errno(-res)
	}
	return nil
}

func (rg *Ring) udpSocket(op, network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	opErr := func(err error) error {
		var addr net.Addr
		if raddr != nil {
			addr = raddr
		} else if laddr != nil {
			addr = laddr
		}
		return &net.OpError{Op: op, Net: network, Addr: addr, Err: err}
	}
	if err := checkUDPNetwork(network); err != nil {
		return nil, opErr(err)
	}
	family := udpFamily(network, laddr, raddr)
	fd, err := librarySocket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK)
	if err != nil && family == syscall.AF_INET6 && network == "udp" && raddr == nil {
		// No IPv6 here: a wildcard "udp" socket falls back to IPv4.
		family = syscall.AF_INET
		fd, err = librarySocket(family, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK)
	}
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	fail := func(name string, err error) (*UDPConn, error) {
		syscall.Close(fd)
		if name != "" {
			err = os.NewSyscallError(name, err)
		}
		return nil, opErr(err)
	}
	// As package net: datagram sockets may broadcast, and an IPv6 socket
	// of "udp6" takes IPv6 only.
	if family == syscall.AF_INET {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1); err != nil {
			return fail("setsockopt", err)
		}
	} else {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, boolInt(network == "udp6")); err != nil {
			return fail("setsockopt", err)
		}
	}
	if laddr != nil || raddr == nil {
		sa, err := udpSockaddr(family, laddr)
		if err != nil {
			return fail("", err)
		}
		if err := libraryBind(fd, sa); err != nil {
			return fail("bind", err)
		}
	}
	var peer *net.UDPAddr
	if raddr != nil {
		sa, err := udpSockaddr(family, raddr)
		if err != nil {
			return fail("", err)
		}
		raw, n, err := rawSockaddr(sa)
		if err != nil {
			return fail("", err)
		}
		res := int32(C.urb_connect(C.int32_t(fd), unsafe.Pointer(raw), C.uint32_t(n)))
		runtime.KeepAlive(raw)
		if res < 0 {
			return fail("connect", syscall.Errno(-res))
		}
		if psa, err := syscall.Getpeername(fd); err == nil {
			peer = udpAddr(psa)
		}
	}
	lsa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	c := &UDPConn{rg: rg, fd: fd, family: family, net: network, laddr: udpAddr(lsa), raddr: peer}
	// os.NewFile puts the non-blocking socket into the netpoller; the
	// File's own cleanup closes a socket dropped without Close.
	c.file = os.NewFile(uintptr(fd), "uringbridge-"+network)
	if c.raw, err = c.file.SyscallConn(); err != nil {
		c.file.Close()
		return nil, opErr(err)
	}
	r := rg.r
	if !r.begin() {
		r.end()
		c.file.Close()
		return nil, opErr(ErrRingClosed)
	}
	c.rd.init(r, OpRecvmsg)
	c.wr.init(r, OpSendmsg)
	r.end()
	if c.rd.s != nil {
		c.cleanup = runtime.AddCleanup(c, func(s [2]*slot) {
			r.dropSlot(s[0])
			r.dropSlot(s[1])
		}, [2]*slot{c.rd.s, c.wr.s})
	}
	return c, nil
}

// msgXfer is one direction's datagram transfer: what the netpoller's
// callback needs, kept in the UDPConn (with the callback, bound once).
// mu serialises the direction's callers.
type msgXfer struct {
	mu     sync.Mutex
	r      *ring
	s      *slot // a kept slot for the library's tries, nil when native
	native bool
	code   Opcode

	// The request: data and ancillary data, and the peer (to send to, or
	// received from).
	p, oob []byte
	to     syscall.Sockaddr

	// The library's form of it, in Go memory: its address goes to C as an
	// integer, pinned while the ring holds the request.
	hdr  syscall.Msghdr
	iov  syscall.Iovec
	name syscall.RawSockaddrAny

	// The outcome.
	n, oobn, flags int
	from           syscall.Sockaddr
	errno          syscall.Errno
	refused        error
	try            func(fd uintptr) bool
}

func (x *msgXfer) init(r *ring, code Opcode) {
	x.r, x.code = r, code
	x.native = !r.fallback
	if !x.native {
		x.s = r.keepSlot()
	}
	x.try = x.once
}

// once is the netpoller callback: one recvmsg or sendmsg with
// MSG_DONTWAIT. True when done (a datagram, or an error), false to wait
// for readiness and be called again.
func (x *msgXfer) once(fd uintptr) bool {
	x.errno, x.refused = 0, nil
	if x.native {
		x.nativeOnce(int(fd))
	} else {
		x.libraryOnce(int(fd))
	}
	return x.refused != nil || x.errno != syscall.EAGAIN
}

func (x *msgXfer) nativeOnce(fd int) {
	if x.r.shut.Load() {
		x.refused = ErrRingClosed
		return
	}
	for {
		var err error
		if x.code == OpRecvmsg {
			x.n, x.oobn, x.flags, x.from, err = syscall.Recvmsg(fd, x.p, x.oob, syscall.MSG_DONTWAIT)
		} else {
			x.n, err = syscall.SendmsgN(fd, x.p, x.oob, x.to, syscall.MSG_DONTWAIT|syscall.MSG_NOSIGNAL)
			x.oobn = len(x.oob)
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			x.errno, _ = err.(syscall.Errno)
			if x.errno == 0 {
				x.refused = err
			}
		}
		return
	}
}

// libraryOnce is the same try as the library's URB_OP_RECVMSG or
// URB_OP_SENDMSG on the ring (urb_ring_submit_try).
func (x *msgXfer) libraryOnce(fd int) {
	x.hdr = syscall.Msghdr{}
	x.iov = syscall.Iovec{}
	if len(x.p) > 0 {
		x.iov.Base = &x.p[0]
		x.iov.SetLen(len(x.p))
		x.hdr.Iov = &x.iov
		x.hdr.Iovlen = 1
	}
	if len(x.oob) > 0 {
		x.hdr.Control = &x.oob[0]
		x.hdr.SetControllen(len(x.oob))
	}
	if x.code == OpRecvmsg {
		x.name = syscall.RawSockaddrAny{}
		x.hdr.Name = (*byte)(unsafe.Pointer(&x.name))
		x.hdr.Namelen = uint32(unsafe.Sizeof(x.name))
	} else if x.to != nil {
		raw, n, err := rawSockaddr(x.to)
		if err != nil {
			x.refused = err
			return
		}
		x.name = *raw
		x.hdr.Name = (*byte)(unsafe.Pointer(&x.name))
		x.hdr.Namelen = n
	}
	r, s := x.r, x.s
	if !r.begin() {
		r.end()
		x.refused = ErrRingClosed
		return
	}
	r.inFlight.Add(1)
	kind, val := unpackTry(C.gourb_try_msg(r.ptr, C.uint8_t(x.code), C.int32_t(fd),
		C.uintptr_t(uintptr(unsafe.Pointer(&x.hdr))), C.int32_t(syscall.MSG_DONTWAIT), C.uint64_t(s.token.Load())))
	r.end()
	switch kind {
	case tryDone:
		r.settle()
	case tryQueued:
		// MSG_DONTWAIT: the ring answers at once; until then it holds
		// the message and everything it names.
		s.pin.Pin(x)
		for _, b := range [][]byte{x.p, x.oob} {
			if len(b) > 0 {
				s.pin.Pin(&b[0])
			}
		}
		c := <-s.ch
		s.pin.Unpin()
		val = c.res
		if c.res == negECANCELED && r.isClosed() {
			x.refused = ErrRingClosed
			return
		}
	default:
		r.settle()
		x.refused = syscallErr("submit", val)
		return
	}
	if val < 0 {
		x.errno = syscall.Errno(-val)
		return
	}
	x.n = int(val)
	if x.code == OpRecvmsg {
		x.oobn, x.flags = int(x.hdr.Controllen), int(x.hdr.Flags)
		x.from = sockaddrFromRaw(&x.name, x.hdr.Namelen)
	} else {
		x.oobn = len(x.oob)
	}
}

// transfer runs one datagram through the netpoller: what it moved, or
// the error package net would give (op "read" or "write").
func (c *UDPConn) transfer(x *msgXfer, p, oob []byte, to syscall.Sockaddr) (n, oobn, flags int, from syscall.Sockaddr, err error) {
	x.mu.Lock()
	x.p, x.oob, x.to = p, oob, to
	var werr error
	if x.code == OpRecvmsg {
		werr = c.raw.Read(x.try)
	} else {
		werr = c.raw.Write(x.try)
	}
	n, oobn, flags, from = x.n, x.oobn, x.flags, x.from
	errno, refused := x.errno, x.refused
	x.p, x.oob, x.to, x.from, x.refused = nil, nil, nil, nil, nil
	x.mu.Unlock()
	runtime.KeepAlive(c)
	switch {
	case werr != nil:
		err = c.waitErr(werr)
	case refused != nil:
		err = refused
	case errno != 0:
		name := "recvmsg"
		if x.code == OpSendmsg {
			name = "sendmsg"
		}
		err = os.NewSyscallError(name, errno)
	}
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return n, oobn, flags, from, nil
}

// waitErr: os.ErrDeadlineExceeded as it is, net.ErrClosed for a closed
// socket (the File says "use of closed file").
func (c *UDPConn) waitErr(err error) error {
	if c.closing.Load() || errors.Is(err, os.ErrClosed) {
		return net.ErrClosed
	}
	return err
}

func (c *UDPConn) opErr(op string, addr net.Addr, err error) error {
	if addr == nil && c.raddr != nil {
		addr = c.raddr
	}
	var src net.Addr
	if c.laddr != nil {
		src = c.laddr
	}
	return &net.OpError{Op: op, Net: c.net, Source: src, Addr: addr, Err: err}
}

// ReadMsgUDP receives one datagram into b and its ancillary data into oob:
// the bytes and control bytes received, the MSG_* flags of the message
// (MSG_TRUNC when the datagram did not fit) and the sender's address.
func (c *UDPConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	n, oobn, flags, from, err := c.transfer(&c.rd, b, oob, nil)
	if err != nil {
		return 0, 0, 0, nil, c.opErr("read", nil, err)
	}
	return n, oobn, flags, udpAddr(from), nil
}

// ReadFromUDP receives one datagram into b: its length (cut to len(b), as
// package net does) and its sender.
func (c *UDPConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) {
	n, _, _, addr, err := c.ReadMsgUDP(b, nil)
	return n, addr, err
}

// ReadFrom is ReadFromUDP as net.PacketConn has it.
func (c *UDPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.ReadFromUDP(b)
	if addr == nil {
		return n, nil, err
	}
	return n, addr, err
}

// ReadFromUDPAddrPort is ReadFromUDP with the sender as a netip.AddrPort.
func (c *UDPConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	n, addr, err := c.ReadFromUDP(b)
	if addr == nil {
		return n, netip.AddrPort{}, err
	}
	return n, addr.AddrPort(), err
}

// Read receives one datagram, from the connected peer (or from anyone on
// a socket that is not connected).
func (c *UDPConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFromUDP(b)
	return n, err
}

// WriteMsgUDP sends b with the ancillary data oob to addr, or to the
// connected peer when addr is nil (a connected socket refuses an address:
// net.ErrWriteToConnected, as package net's). It returns the bytes and
// control bytes sent.
func (c *UDPConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	var to syscall.Sockaddr
	switch {
	case c.raddr != nil && addr != nil:
		return 0, 0, c.opErr("write", addr, net.ErrWriteToConnected)
	case c.raddr == nil && addr == nil:
		return 0, 0, c.opErr("write", nil, errMissingAddress)
	case addr != nil:
		if to, err = udpSockaddr(c.family, addr); err != nil {
			return 0, 0, c.opErr("write", addr, err)
		}
	}
	n, oobn, _, _, err = c.transfer(&c.wr, b, oob, to)
	if err != nil {
		var a net.Addr
		if addr != nil {
			a = addr
		}
		return 0, 0, c.opErr("write", a, err)
	}
	return n, oobn, nil
}

var errMissingAddress = errors.New("missing address")

// WriteToUDP sends one datagram to addr.
func (c *UDPConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) {
	if addr == nil {
		return 0, c.opErr("write", nil, errMissingAddress)
	}
	n, _, err := c.WriteMsgUDP(b, nil, addr)
	return n, err
}

// WriteToUDPAddrPort is WriteToUDP with the address as a netip.AddrPort.
func (c *UDPConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteToUDP(b, net.UDPAddrFromAddrPort(addr))
}

// WriteTo is WriteToUDP as net.PacketConn has it: addr must be a
// *net.UDPAddr (otherwise EINVAL, as package net's).
func (c *UDPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, c.opErr("write", addr, syscall.EINVAL)
	}
	return c.WriteToUDP(b, a)
}

// Write sends one datagram to the connected peer.
func (c *UDPConn) Write(b []byte) (int, error) {
	n, _, err := c.WriteMsgUDP(b, nil, nil)
	return n, err
}

// LocalAddr is the socket's own address.
func (c *UDPConn) LocalAddr() net.Addr {
	if c.laddr == nil {
		return nil
	}
	return c.laddr
}

// RemoteAddr is the connected peer, nil for a socket that is not connected.
func (c *UDPConn) RemoteAddr() net.Addr {
	if c.raddr == nil {
		return nil
	}
	return c.raddr
}

// Close ends the reads and writes waiting (they return an error wrapping
// net.ErrClosed) and closes the socket once none uses it.
func (c *UDPConn) Close() error {
	if !c.closing.CompareAndSwap(false, true) {
		return c.opErr("close", nil, net.ErrClosed)
	}
	err := c.file.Close()
	c.cleanup.Stop()
	for _, x := range []*msgXfer{&c.rd, &c.wr} {
		x.mu.Lock()
		if x.s != nil {
			c.rg.r.dropSlot(x.s)
		}
		x.mu.Unlock()
	}
	if err != nil {
		return c.opErr("close", nil, err)
	}
	return nil
}

func (c *UDPConn) SetDeadline(t time.Time) error {
	if err := c.file.SetDeadline(t); err != nil {
		return c.opErr("set", nil, c.waitErr(err))
	}
	return nil
}

func (c *UDPConn) SetReadDeadline(t time.Time) error {
	if err := c.file.SetReadDeadline(t); err != nil {
		return c.opErr("set", nil, c.waitErr(err))
	}
	return nil
}

func (c *UDPConn) SetWriteDeadline(t time.Time) error {
	if err := c.file.SetWriteDeadline(t); err != nil {
		return c.opErr("set", nil, c.waitErr(err))
	}
	return nil
}

func (c *UDPConn) setsockopt(name, value int) error {
	var ferr error
	if err := c.raw.Control(func(fd uintptr) {
		ferr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, name, value)
	}); err != nil {
		return c.opErr("set", nil, c.waitErr(err))
	}
	if ferr != nil {
		return c.opErr("set", nil, os.NewSyscallError("setsockopt", ferr))
	}
	return nil
}

// SetReadBuffer sets the socket's receive buffer size (SO_RCVBUF).
func (c *UDPConn) SetReadBuffer(bytes int) error { return c.setsockopt(syscall.SO_RCVBUF, bytes) }

// SetWriteBuffer sets the socket's send buffer size (SO_SNDBUF).
func (c *UDPConn) SetWriteBuffer(bytes int) error { return c.setsockopt(syscall.SO_SNDBUF, bytes) }

// SyscallConn gives raw access to the socket, as *net.UDPConn's.
func (c *UDPConn) SyscallConn() (syscall.RawConn, error) {
	if c.closing.Load() {
		return nil, c.opErr("raw-conn", nil, net.ErrClosed)
	}
	return c.raw, nil
}

// File returns a duplicate of the socket as an *os.File; closing either
// does not close the other.
func (c *UDPConn) File() (*os.File, error) {
	var dup int
	var ferr error
	if err := c.raw.Control(func(fd uintptr) {
		if dup, ferr = syscall.Dup(int(fd)); ferr == nil {
			syscall.CloseOnExec(dup)
		}
	}); err != nil {
		return nil, c.opErr("dup", nil, c.waitErr(err))
	}
	if ferr != nil {
		return nil, c.opErr("dup", nil, os.NewSyscallError("dup", ferr))
	}
	return os.NewFile(uintptr(dup), c.file.Name()), nil
}
