//go:build linux && cgo

package uringbridge

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The network face: a net.Listener and net.Conn whose accept, connect,
// receive and send requests run on a Ring, so that net/http (or anything
// else written against package net's interfaces) can serve on io_uring.
//
// Listen, Dial and DialContext use one ring shared by the whole process
// (created on first use; see sharedRing for why one). [Ring.Listen],
// [Ring.Dial] and [Ring.DialContext] put connections on a ring of the
// caller's choosing.

var shared struct {
	once sync.Once
	ring *Ring
	err  error
}

// sharedRing is the ring of the package-level Listen and Dial: one for the
// process, whatever GOMAXPROCS is. A ring is one owner thread plus one
// reaper goroutine; every connection's requests go through both. One ring
// keeps the batches large (many sockets' requests per io_uring_enter, many
// completions per reap, one eventfd wake-up for them all) and adds a single
// OS thread, which matters where cores are few (on the 2-core machines this
// was measured on, each extra owner thread competes with Go's own threads
// for a core). A process that outgrows one owner thread can spread its
// listeners over rings of its own with Ring.Listen.
func sharedRing() (*Ring, error) {
	shared.once.Do(func() {
		shared.ring, shared.err = NewRing(&RingOptions{Entries: 1024})
	})
	return shared.ring, shared.err
}

// SharedRing returns the ring that Listen, Dial and DialContext put their
// connections on (creating it on first use), for its statistics or to run
// other requests next to them. Closing it breaks those connections.
func SharedRing() (*Ring, error) { return sharedRing() }

// Listen announces on the local address, like net.Listen, for the networks
// "tcp", "tcp4", "tcp6" and "unix"; the accepted connections are [*Conn]s
// whose requests go to the process's shared ring when they must wait.
// http.Serve(l, handler) works on it unchanged. Besides net.Listener's
// methods the listener has SetDeadline(time.Time) error, as
// *net.TCPListener does.
func Listen(network, address string) (net.Listener, error) {
	rg, err := sharedRing()
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	return rg.Listen(network, address)
}

// Dial connects to address, like net.Dial, for "tcp", "tcp4", "tcp6" and
// "unix" (a [*Conn]) and "udp", "udp4", "udp6" (a [*UDPConn], as
// [DialUDP] makes); the connection's I/O runs on the process's shared ring.
func Dial(network, address string) (net.Conn, error) {
	return DialContext(context.Background(), network, address)
}

// DialContext is Dial with a context that bounds the name lookup and the
// connect request (a done ctx cancels it).
func DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	rg, err := sharedRing()
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	return rg.DialContext(ctx, network, address)
}

// ---- addresses -----------------------------------------------------------

// endpoint is a resolved address in both forms.
type endpoint struct {
	family int
	sa     syscall.Sockaddr
	addr   net.Addr
}

func checkNetwork(network string) error {
	switch network {
	case "tcp", "tcp4", "tcp6", "unix":
		return nil
	}
	return net.UnknownNetworkError(network)
}

// netAddr converts a kernel address to package net's form (never nil).
func netAddr(network string, sa syscall.Sockaddr) net.Addr {
	if ip, port, zone, ok := sockaddrIP(sa); ok {
		return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
	}
	if sa, ok := sa.(*syscall.SockaddrUnix); ok {
		return &net.UnixAddr{Name: sa.Name, Net: "unix"}
	}
	if network == "unix" {
		return &net.UnixAddr{Net: "unix"}
	}
	return &net.TCPAddr{}
}

// sockaddrIP is the IP, port and zone (an interface's name, or its index
// where it has none) of an IPv4 or IPv6 kernel address; ok false for
// another kind. TCP and UDP addresses are made from it.
func sockaddrIP(sa syscall.Sockaddr) (ip net.IP, port int, zone string, ok bool) {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), sa.Port, "", true
	case *syscall.SockaddrInet6:
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			} else {
				zone = strconv.Itoa(int(sa.ZoneId))
			}
		}
		return append(net.IP(nil), sa.Addr[:]...), sa.Port, zone, true
	}
	return nil, 0, "", false
}

// zoneIndex is the interface index of an IPv6 zone: an interface's name
// or a number (0 for none or an unknown name), the reverse of sockaddrIP.
func zoneIndex(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	if n, err := strconv.Atoi(zone); err == nil {
		return uint32(n)
	}
	return 0
}

// dialAddrs resolves address (host:port) for a dial on network, a TCP or
// UDP one, as package net does: ctx bounds the lookups; the addresses are
// those of the network's family (tcp4/udp4 IPv4, tcp6/udp6 IPv6), and an
// empty or unspecified host is the local system (the loopback address).
// host is the address's host part, for the caller's errors.
func dialAddrs(ctx context.Context, network, address string) (ips []netip.Addr, port int, host string, err error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, 0, "", err
	}
	if port, err = net.DefaultResolver.LookupPort(ctx, network, portStr); err != nil {
		return nil, 0, host, err
	}
	family := network[3:] // "", "4" or "6" of tcp, tcp4, udp6, ...
	var found []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		found = []netip.Addr{ip}
	} else if host == "" {
		found = []netip.Addr{netip.IPv4Unspecified()}
	} else if found, err = net.DefaultResolver.LookupNetIP(ctx, "ip"+family, host); err != nil {
		return nil, 0, host, err
	}
	for _, ip := range found {
		if (family == "4" && !ip.Unmap().Is4()) || (family == "6" && ip.Is4()) {
			continue
		}
		if ip.IsUnspecified() { // as package net: the local system
			if ip.Is4() {
				ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			} else {
				ip = netip.IPv6Loopback()
			}
		}
		ips = append(ips, ip)
	}
	return ips, port, host, nil
}

// tcpEndpoint picks the socket family for ip (nil: the wildcard) the way
// package net does: tcp4 → IPv4, tcp6 → IPv6 only, tcp → IPv4 for an IPv4
// address, otherwise IPv6 (a wildcard listener then takes both, through
// IPv4-mapped addresses).
func tcpEndpoint(network string, ip net.IP, port int, zone string) (endpoint, error) {
	ip4 := ip.To4()
	switch {
	case network == "tcp4" || (network == "tcp" && ip4 != nil && !ip.IsUnspecified()):
		if ip != nil && ip4 == nil {
			return endpoint{}, &net.AddrError{Err: "non-IPv4 address", Addr: ip.String()}
		}
		sa := &syscall.SockaddrInet4{Port: port}
		if ip4 != nil {
			copy(sa.Addr[:], ip4)
		}
		return endpoint{syscall.AF_INET, sa, &net.TCPAddr{IP: ip, Port: port}}, nil
	default:
		if network == "tcp6" && ip4 != nil && !ip.IsUnspecified() {
			return endpoint{}, &net.AddrError{Err: "non-IPv6 address", Addr: ip.String()}
		}
		sa := &syscall.SockaddrInet6{Port: port}
		if ip != nil && !(ip4 != nil && ip.IsUnspecified()) {
			copy(sa.Addr[:], ip.To16())
		}
		sa.ZoneId = zoneIndex(zone)
		return endpoint{syscall.AF_INET6, sa, &net.TCPAddr{IP: ip, Port: port, Zone: zone}}, nil
	}
}

// ---- listener ------------------------------------------------------------

type listener struct {
	rg     *Ring
	fd     int
	net    string
	addr   net.Addr
	unlink string // the socket file a unix listener created, removed on Close

	// file holds the (non-blocking) listening socket in Go's netpoller:
	// Accept waits there for a connection, then takes it on the calling
	// goroutine's thread. nil on a ring made with RingOptions.Fallback,
	// whose accepts wait on the ring (dir).
	file *os.File
	raw  syscall.RawConn

	acceptMu sync.Mutex // one accept request at a time, as in package net
	dir      ioDir
	users    sync.WaitGroup
	closing  atomic.Bool
	cleanup  runtime.Cleanup
}

// Listen is [Listen] with the accepted connections' I/O on this ring.
func (rg *Ring) Listen(network, address string) (net.Listener, error) {
	opErr := func(err error) error {
		return &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if err := checkNetwork(network); err != nil {
		return nil, opErr(err)
	}
	var ep endpoint
	if network == "unix" {
		ua, err := net.ResolveUnixAddr(network, address)
		if err != nil {
			return nil, opErr(err)
		}
		ep = endpoint{syscall.AF_UNIX, &syscall.SockaddrUnix{Name: ua.Name}, ua}
	} else {
		ta, err := net.ResolveTCPAddr(network, address)
		if err != nil {
			return nil, opErr(err)
		}
		if ep, err = tcpEndpoint(network, ta.IP, ta.Port, ta.Zone); err != nil {
			return nil, opErr(err)
		}
	}
	fd, err := syscall.Socket(ep.family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil && ep.family == syscall.AF_INET6 && network == "tcp" {
		// No IPv6 here: a wildcard "tcp" listener falls back to IPv4.
		sa6 := ep.sa.(*syscall.SockaddrInet6)
		if sa6.Addr == ([16]byte{}) {
			ep = endpoint{syscall.AF_INET, &syscall.SockaddrInet4{Port: sa6.Port}, ep.addr}
			fd, err = syscall.Socket(ep.family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		}
	}
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	fail := func(name string, err error) (net.Listener, error) {
		syscall.Close(fd)
		return nil, &net.OpError{Op: "listen", Net: network, Addr: ep.addr, Err: os.NewSyscallError(name, err)}
	}
	if ep.family != syscall.AF_UNIX {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
			return fail("setsockopt", err)
		}
	}
	if ep.family == syscall.AF_INET6 {
		v6only := 0
		if network == "tcp6" {
			v6only = 1
		}
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, v6only); err != nil {
			return fail("setsockopt", err)
		}
	}
	if err := syscall.Bind(fd, ep.sa); err != nil {
		return fail("bind", err)
	}
	if err := syscall.Listen(fd, listenBacklog()); err != nil {
		return fail("listen", err)
	}
	lsa, err := syscall.Getsockname(fd)
	if err != nil {
		return fail("getsockname", err)
	}
	l := &listener{rg: rg, fd: fd, net: network, addr: netAddr(network, lsa)}
	if ua, ok := ep.addr.(*net.UnixAddr); ok && ua.Name != "" && ua.Name[0] != '@' {
		l.unlink = ua.Name
	}
	if !rg.r.fallback {
		if err := syscall.SetNonblock(fd, true); err != nil {
			return fail("fcntl", err)
		}
		// The File's own cleanup closes a listener dropped without Close.
		l.file = os.NewFile(uintptr(fd), "uringbridge-listener")
		if l.raw, err = l.file.SyscallConn(); err != nil {
			l.file.Close()
			return nil, &net.OpError{Op: "listen", Net: network, Addr: ep.addr, Err: err}
		}
		return l, nil
	}
	l.cleanup = runtime.AddCleanup(l, func(fd int) { syscall.Close(fd) }, fd)
	return l, nil
}

// listenBacklog is the kernel's limit, as package net uses.
func listenBacklog() int {
	b, err := os.ReadFile("/proc/sys/net/core/somaxconn")
	if err == nil {
		if n, err := strconv.Atoi(string(trimSpace(b))); err == nil && n > 0 {
			return n
		}
	}
	return syscall.SOMAXCONN
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

func (l *listener) Addr() net.Addr { return l.addr }

// Accept waits for the next connection: in Go's netpoller until one is
// queued, then takes it on the calling goroutine's thread. (On a ring made
// with RingOptions.Fallback the accept request is tried there first with
// urb_ring_submit_try, and an empty backlog hands it to the ring.) Close
// unblocks it with an error wrapping net.ErrClosed.
func (l *listener) Accept() (net.Conn, error) {
	l.acceptMu.Lock()
	defer l.acceptMu.Unlock()
	if l.file != nil && nativeTries {
		return l.acceptNow()
	}
	// Non-blocking: the connection waits for readiness in Go's netpoller.
	op := PrepAccept(l.fd, syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK)
	var res int32
	var why error
	if l.file != nil {
		// Wait in the netpoller until a connection is queued, and take it
		// here (urb_submit_nowait: "would wait" does nothing): the wait is
		// no request, so Close and deadlines end it without cancelling.
		err := l.raw.Read(func(uintptr) bool {
			var done bool
			res, done = nowait(op)
			return done
		})
		if err != nil {
			why = l.waitErr(err)
		}
	} else {
		res, why = l.dir.run(l.rg.r, &l.users, func(s *slot) (tryKind, int32) {
			op.beforeSubmit()
			op.pin(&s.pin)
			return l.rg.r.tryRaw(s, &op.raw)
		})
	}
	runtime.KeepAlive(l)
	if why != nil {
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: why}
	}
	if err := op.complete(res); err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: err}
	}
	c, err := newConn(l.rg, int(res), l.net, op.Sockaddr(), true)
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: err}
	}
	return c, nil
}

// acceptNow is Accept on a listener in the netpoller where the binding
// makes the accept itself (nowait_linux.go): accept4 with SOCK_CLOEXEC and
// SOCK_NONBLOCK on the non-blocking listening socket, which answers EAGAIN
// instead of waiting (what urb_submit_nowait's accept does, as one system
// call without a cgo call or an Op). The caller holds acceptMu.
func (l *listener) acceptNow() (net.Conn, error) {
	var nfd int
	var peer syscall.Sockaddr
	var aerr error
	err := l.raw.Read(func(fd uintptr) bool {
		for {
			nfd, peer, aerr = syscall.Accept4(int(fd), syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK)
			switch {
			case aerr == syscall.EINTR:
				continue
			case aerr == syscall.EAGAIN:
				return false
			}
			return true
		}
	})
	runtime.KeepAlive(l)
	switch {
	case err != nil:
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: l.waitErr(err)}
	case aerr != nil:
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: os.NewSyscallError("accept", aerr)}
	}
	// On a closed ring newConn closes nfd and fails with ErrRingClosed.
	c, err := newConn(l.rg, nfd, l.net, peer, true)
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: l.net, Addr: l.addr, Err: err}
	}
	return c, nil
}

// waitErr turns what the netpoller's wait returned into package net's
// errors (net.ErrClosed for a closed listener).
func (l *listener) waitErr(err error) error {
	if l.closing.Load() || errors.Is(err, os.ErrClosed) {
		return net.ErrClosed
	}
	return err
}

// SetDeadline sets the deadline of Accept, as *net.TCPListener's: once it
// has passed, a waiting Accept and later ones fail with an error wrapping
// os.ErrDeadlineExceeded until it is moved; the zero time means none.
func (l *listener) SetDeadline(t time.Time) error {
	if l.file != nil {
		if err := l.file.SetDeadline(t); err != nil {
			if l.closing.Load() {
				err = net.ErrClosed
			}
			return &net.OpError{Op: "set", Net: l.net, Addr: l.addr, Err: err}
		}
		return nil
	}
	if err := l.dir.setDeadline(l.rg.r, t); err != nil {
		return &net.OpError{Op: "set", Net: l.net, Addr: l.addr, Err: err}
	}
	return nil
}

// Close stops listening; a blocked Accept returns an error wrapping
// net.ErrClosed. A unix listener removes its socket file.
func (l *listener) Close() error {
	if !l.closing.CompareAndSwap(false, true) {
		return &net.OpError{Op: "close", Net: l.net, Addr: l.addr, Err: net.ErrClosed}
	}
	var err error
	if l.file != nil {
		// Ends a waiting Accept; closes the socket once no Accept uses it.
		err = l.file.Close()
	} else {
		l.dir.close(l.rg.r)
		l.users.Wait()
		l.cleanup.Stop()
		if e := syscall.Close(l.fd); e != nil {
			err = os.NewSyscallError("close", e)
		}
	}
	if l.unlink != "" {
		os.Remove(l.unlink)
	}
	if err != nil {
		return &net.OpError{Op: "close", Net: l.net, Addr: l.addr, Err: err}
	}
	return nil
}

// ---- the accept direction of a listener on a fallback ring -----------------

// ioDir is the state of a listener's accepting: at most one request in
// flight (the caller serialises), its token so that Close and deadlines
// can cancel it, and the deadline.
type ioDir struct {
	mu      sync.Mutex
	closed  bool
	expired bool   // the deadline has passed
	tok     uint64 // the request in flight, 0 if none
	// why is the reason the request in flight was cancelled, recorded by
	// whoever cancelled it: a later change of deadline must not change
	// the reason a request already cancelled reports.
	why   error
	seq   uint64 // bumped by every deadline change: a stale timer does nothing
	timer *time.Timer
}

// run performs one request (submit pins what it names and tries it under
// the slot's token) unless the direction is closed or past its deadline,
// waits for its final completion if the ring took it, and returns its
// result. why is set when the result is not the request's own:
// net.ErrClosed, os.ErrDeadlineExceeded or ErrRingClosed (for a request
// cancelled for that reason, or never submitted because of it), or the
// submission's refusal.
func (d *ioDir) run(r *ring, users *sync.WaitGroup, submit func(*slot) (tryKind, int32)) (res int32, why error) {
	d.mu.Lock()
	switch {
	case d.closed:
		d.mu.Unlock()
		return 0, net.ErrClosed
	case d.expired:
		d.mu.Unlock()
		return 0, os.ErrDeadlineExceeded
	}
	if !r.begin() {
		r.end()
		d.mu.Unlock()
		return 0, ErrRingClosed
	}
	s := r.alloc()
	tok := s.token.Load()
	kind, val := submit(s)
	r.end()
	switch kind {
	case tryDone:
		d.mu.Unlock()
		return val, nil
	case tryRefused:
		d.mu.Unlock()
		return val, syscallErr("submit", val)
	}
	d.tok = tok
	d.why = nil
	users.Add(1)
	d.mu.Unlock()

	c := <-s.ch
	r.release(s, false)

	d.mu.Lock()
	d.tok = 0
	why = d.why
	d.why = nil
	d.mu.Unlock()
	users.Done()
	if c.res == negECANCELED {
		if why != nil {
			return c.res, why
		}
		if r.isClosed() {
			return c.res, ErrRingClosed
		}
	}
	return c.res, nil
}

// cancelFor cancels the request in flight (if any) and records why.
func (d *ioDir) cancelFor(r *ring, why error) {
	if d.tok != 0 {
		if d.why == nil {
			d.why = why
		}
		r.cancel(d.tok)
	}
}

// setDeadline arms (or, with the zero time, disarms) the deadline. A
// deadline that passes cancels the request in flight and fails the later
// ones until it is moved.
func (d *ioDir) setDeadline(r *ring, t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return net.ErrClosed
	}
	d.seq++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.expired = false
	if t.IsZero() {
		return nil
	}
	wait := time.Until(t)
	if wait <= 0 {
		d.expire(r)
		return nil
	}
	seq := d.seq
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		if d.seq == seq {
			d.expire(r)
		}
		d.mu.Unlock()
	})
	return nil
}

func (d *ioDir) expire(r *ring) {
	d.expired = true
	d.cancelFor(r, os.ErrDeadlineExceeded)
}

// close fails every later request and cancels the one in flight.
func (d *ioDir) close(r *ring) {
	d.mu.Lock()
	d.closed = true
	d.seq++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.why = nil // closing outranks a deadline
	d.cancelFor(r, net.ErrClosed)
	d.mu.Unlock()
}

// ---- dialing -------------------------------------------------------------

// Dial is [Dial] on this ring.
func (rg *Ring) Dial(network, address string) (net.Conn, error) {
	return rg.DialContext(context.Background(), network, address)
}

// DialContext is [DialContext] on this ring: the connect request runs on
// the ring and a done ctx cancels it.
func (rg *Ring) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	opErr := func(addr net.Addr, err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: addr, Err: err}
	}
	if checkUDPNetwork(network) == nil {
		return rg.dialUDPContext(ctx, network, address)
	}
	if err := checkNetwork(network); err != nil {
		return nil, opErr(nil, err)
	}
	var eps []endpoint
	if network == "unix" {
		ua, err := net.ResolveUnixAddr(network, address)
		if err != nil {
			return nil, opErr(nil, err)
		}
		eps = []endpoint{{syscall.AF_UNIX, &syscall.SockaddrUnix{Name: ua.Name}, ua}}
	} else {
		ips, port, host, err := dialAddrs(ctx, network, address)
		if err != nil {
			return nil, opErr(nil, err)
		}
		for _, ip := range ips {
			ep, err := tcpEndpoint(network, net.IP(ip.Unmap().AsSlice()), port, ip.Zone())
			if err == nil {
				eps = append(eps, ep)
			}
		}
		if len(eps) == 0 {
			return nil, opErr(nil, &net.AddrError{Err: "no suitable address found", Addr: host})
		}
	}
	var firstErr error
	for _, ep := range eps {
		c, err := rg.dialOne(ctx, network, ep)
		if err == nil {
			return c, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

func (rg *Ring) dialOne(ctx context.Context, network string, ep endpoint) (net.Conn, error) {
	fd, err := syscall.Socket(ep.family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: ep.addr, Err: os.NewSyscallError("socket", err)}
	}
	if _, err := rg.Do(ctx, PrepConnect(fd, ep.sa)); err != nil {
		syscall.Close(fd)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			err = mapContextErr(err)
		}
		return nil, &net.OpError{Op: "dial", Net: network, Addr: ep.addr, Err: err}
	}
	peer := ep.sa
	if sa, err := syscall.Getpeername(fd); err == nil {
		peer = sa
	}
	c, err := newConn(rg, fd, network, peer, false)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: ep.addr, Err: err}
	}
	return c, nil
}

// mapContextErr turns a context's deadline into the net.Error-shaped
// timeout package net reports for DialContext.
func mapContextErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}
