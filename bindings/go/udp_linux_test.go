//go:build linux && cgo

package uringbridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// udpRings are the rings the UDP tests run on: the shared one (tries made
// by the binding itself) and one made with RingOptions.Fallback (every
// datagram a URB_OP_RECVMSG/URB_OP_SENDMSG request of the library's).
func udpRings(t *testing.T) map[string]*Ring {
	t.Helper()
	shared, err := SharedRing()
	if err != nil {
		t.Fatal(err)
	}
	fb, err := NewRing(&RingOptions{Fallback: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fb.Close() })
	return map[string]*Ring{"shared": shared, "fallback-ring": fb}
}

func listenUDPTest(t *testing.T, rg *Ring, network, address string) *UDPConn {
	t.Helper()
	pc, err := rg.ListenPacket(network, address)
	if err != nil {
		if network == "udp6" {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*UDPConn)
}

// dnsServer answers each query (a 2-byte id and a name) with the id, the
// name and the name's length, as a DNS server answers a query with its
// id, until pc is closed.
func dnsServer(pc net.PacketConn) {
	buf := make([]byte, 512)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if n < 2 {
			continue
		}
		answer := fmt.Appendf(append([]byte(nil), buf[:n]...), "=%d", n-2)
		if _, err := pc.WriteTo(answer, from); err != nil {
			return
		}
	}
}

// A DNS-style request/response over loopback: many concurrent clients,
// connected (DialUDP) and not (ListenPacket + WriteTo), each matching
// answers to queries by id, with read deadlines and a retry on a lost
// datagram, on each ring.
func TestUDPRequestResponse(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			for _, network := range []string{"udp4", "udp6", "udp"} {
				t.Run(network, func(t *testing.T) {
					addr := "127.0.0.1:0"
					if network == "udp6" {
						addr = "[::1]:0"
					}
					server := listenUDPTest(t, rg, network, addr)
					go dnsServer(server)
					saddr := server.LocalAddr().(*net.UDPAddr)
					var wg sync.WaitGroup
					errs := make(chan error, 64)
					for client := range 32 {
						wg.Add(1)
						go func() {
							defer wg.Done()
							errs <- dnsClient(rg, network, saddr, client)
						}()
					}
					wg.Wait()
					close(errs)
					for err := range errs {
						if err != nil {
							t.Error(err)
						}
					}
				})
			}
		})
	}
}

func dnsClient(rg *Ring, network string, server *net.UDPAddr, client int) error {
	var c *UDPConn
	var err error
	connected := client%2 == 0
	if connected {
		c, err = rg.DialUDP(network, nil, server)
	} else {
		var pc net.PacketConn
		laddr := "127.0.0.1:0"
		if server.IP.To4() == nil {
			laddr = "[::1]:0"
		}
		pc, err = rg.ListenPacket(network, laddr)
		if err == nil {
			c = pc.(*UDPConn)
		}
	}
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 512)
	for q := range 20 {
		id := uint16(client<<8 | q)
		query := binary.BigEndian.AppendUint16(nil, id)
		query = fmt.Appendf(query, "host%d.example", q)
		want := fmt.Sprintf("%s=%d", query, len(query)-2)
		for attempt := 0; ; attempt++ {
			if connected {
				_, err = c.Write(query)
			} else {
				_, err = c.WriteTo(query, server)
			}
			if err != nil {
				return fmt.Errorf("client %d: write: %w", client, err)
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, from, err := c.ReadFromUDP(buf)
			if errors.Is(err, os.ErrDeadlineExceeded) && attempt < 3 {
				continue // a datagram lost under load: ask again
			}
			if err != nil {
				return fmt.Errorf("client %d query %d: %w", client, q, err)
			}
			if from.Port != server.Port {
				return fmt.Errorf("client %d: answer from %v, want %v", client, from, server)
			}
			if binary.BigEndian.Uint16(buf) != id {
				continue // an answer to an earlier, retried query
			}
			if string(buf[:n]) != want {
				return fmt.Errorf("client %d: answer %q, want %q", client, buf[:n], want)
			}
			break
		}
	}
	return nil
}

// A read deadline that passes ends a waiting ReadFrom with
// os.ErrDeadlineExceeded (a net.Error that times out); one in the past
// fails at once; moving it lets the next read wait for a datagram again.
// A write deadline in the past fails a write.
func TestUDPDeadlines(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			c := listenUDPTest(t, rg, "udp4", "127.0.0.1:0")
			buf := make([]byte, 16)
			start := time.Now()
			c.SetReadDeadline(start.Add(50 * time.Millisecond))
			_, _, err := c.ReadFrom(buf)
			var ne net.Error
			if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("ReadFrom past its deadline: %v", err)
			}
			if d := time.Since(start); d < 40*time.Millisecond {
				t.Fatalf("the deadline fired after %v", d)
			}
			c.SetReadDeadline(time.Now().Add(-time.Second))
			if _, _, err := c.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("ReadFrom with a past deadline: %v", err)
			}
			c.SetReadDeadline(time.Time{})
			go func() {
				time.Sleep(20 * time.Millisecond)
				s, _ := net.DialUDP("udp4", nil, c.LocalAddr().(*net.UDPAddr))
				s.Write([]byte("late"))
				s.Close()
			}()
			n, _, err := c.ReadFrom(buf)
			if err != nil || string(buf[:n]) != "late" {
				t.Fatalf("after clearing the deadline: %q, %v", buf[:n], err)
			}
			c.SetWriteDeadline(time.Now().Add(-time.Second))
			if _, err := c.WriteTo([]byte("x"), c.LocalAddr()); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("WriteTo with a past deadline: %v", err)
			}
		})
	}
}

// Close wakes a ReadFrom blocked on a socket with nothing to read: it
// returns an error wrapping net.ErrClosed, as package net's does, and
// later calls fail the same way.
func TestUDPCloseWakesReadFrom(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			pc, err := rg.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, _, err := pc.ReadFrom(make([]byte, 16))
				done <- err
			}()
			time.Sleep(30 * time.Millisecond)
			if err := pc.Close(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("ReadFrom after Close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not wake ReadFrom")
			}
			if _, err := pc.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("WriteTo after Close: %v", err)
			}
			if err := pc.Close(); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

// The answers package net gives: addresses, truncation, a connected
// socket's Write/Read and refusals, against a *net.UDPConn peer.
func TestUDPAgainstPackageNet(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			c := listenUDPTest(t, rg, "udp4", "127.0.0.1:0")
			peer, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			if c.RemoteAddr() != nil {
				t.Fatalf("RemoteAddr of an unconnected socket: %v", c.RemoteAddr())
			}
			if _, err := peer.WriteToUDP([]byte("0123456789"), c.LocalAddr().(*net.UDPAddr)); err != nil {
				t.Fatal(err)
			}
			small := make([]byte, 4)
			n, oobn, flags, from, err := c.ReadMsgUDP(small, nil)
			if err != nil || n != 4 || oobn != 0 || flags&syscall.MSG_TRUNC == 0 || from.Port != peer.LocalAddr().(*net.UDPAddr).Port {
				t.Fatalf("ReadMsgUDP of a datagram cut short: %d %d %#x %v %v", n, oobn, flags, from, err)
			}
			if string(small) != "0123" {
				t.Fatalf("read %q", small)
			}
			if _, err := c.Write([]byte("x")); err == nil {
				t.Fatal("Write on a socket that is not connected succeeded")
			}
			if _, err := c.WriteTo([]byte("x"), &net.TCPAddr{}); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("WriteTo a TCP address: %v", err)
			}

			d, err := rg.DialUDP("udp4", nil, peer.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if d.RemoteAddr().String() != peer.LocalAddr().String() {
				t.Fatalf("RemoteAddr %v, want %v", d.RemoteAddr(), peer.LocalAddr())
			}
			if _, err := d.Write([]byte("hello")); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			n, from, err = peer.ReadFromUDP(buf)
			if err != nil || string(buf[:n]) != "hello" || from.String() != d.LocalAddr().String() {
				t.Fatalf("peer got %q from %v (%v), want from %v", buf[:n], from, err, d.LocalAddr())
			}
			if _, err := peer.WriteToUDP([]byte("back"), from); err != nil {
				t.Fatal(err)
			}
			if n, err := d.Read(buf); err != nil || string(buf[:n]) != "back" {
				t.Fatalf("Read on the connected socket: %q %v", buf[:n], err)
			}
			if _, err := d.WriteToUDP([]byte("x"), from); !errors.Is(err, net.ErrWriteToConnected) {
				t.Fatalf("WriteToUDP on a connected socket: %v", err)
			}
		})
	}
}

// Ancillary data in both directions: IP_PKTINFO names the local address a
// datagram arrived at, and a sender's IP_PKTINFO picks the source address.
func TestUDPMsgAncillaryData(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			c := listenUDPTest(t, rg, "udp4", "127.0.0.1:0")
			raw, err := c.SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var serr error
			raw.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_PKTINFO, 1)
			})
			if serr != nil {
				t.Fatal(serr)
			}
			sender := listenUDPTest(t, rg, "udp4", "127.0.0.1:0")
			pktinfo := make([]byte, syscall.CmsgSpace(syscall.SizeofInet4Pktinfo))
			h := (*syscall.Cmsghdr)(unsafe.Pointer(&pktinfo[0]))
			h.Level, h.Type = syscall.IPPROTO_IP, syscall.IP_PKTINFO
			h.SetLen(syscall.CmsgLen(syscall.SizeofInet4Pktinfo))
			n, oobn, err := sender.WriteMsgUDP([]byte("with pktinfo"), pktinfo, c.LocalAddr().(*net.UDPAddr))
			if err != nil || n != 12 || oobn != len(pktinfo) {
				t.Fatalf("WriteMsgUDP: %d %d %v", n, oobn, err)
			}
			buf, oob := make([]byte, 64), make([]byte, 128)
			n, oobn, _, from, err := c.ReadMsgUDP(buf, oob)
			if err != nil || string(buf[:n]) != "with pktinfo" || from.Port != sender.LocalAddr().(*net.UDPAddr).Port {
				t.Fatalf("ReadMsgUDP: %q from %v: %v", buf[:n], from, err)
			}
			msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
			if err != nil || len(msgs) != 1 || msgs[0].Header.Type != syscall.IP_PKTINFO {
				t.Fatalf("control messages %v: %v", msgs, err)
			}
			info := (*syscall.Inet4Pktinfo)(unsafe.Pointer(&msgs[0].Data[0]))
			if info.Addr != [4]byte{127, 0, 0, 1} {
				t.Fatalf("arrived at %v", info.Addr)
			}
		})
	}
}

// The sockets are the library's: made with urb_socket and urb_bind on
// either engine, close-on-exec and non-blocking, and nothing is left open.
func TestUDPSocketsAreTheLibrarys(t *testing.T) {
	for _, code := range []Opcode{OpSendmsg, OpRecvmsg, OpSocket, OpBind, OpListen} {
		if !OpSupported(code) {
			t.Logf("%v not supported here: ListenPacket makes that call itself", code)
		}
	}
	before := openFDs(t)
	for range 20 {
		c, err := ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := c.SyscallConn()
		raw.Control(func(fd uintptr) {
			fdFlags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFD, 0)
			flFlags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
			if fdFlags&syscall.FD_CLOEXEC == 0 || flFlags&syscall.O_NONBLOCK == 0 {
				t.Errorf("socket flags: fd %#x, fl %#x", fdFlags, flFlags)
			}
		})
		c.Close()
	}
	if after := openFDs(t); after != before {
		t.Fatalf("descriptors: %d before, %d after", before, after)
	}
	if _, err := ListenPacket("udp4", "256.0.0.1:0"); err == nil {
		t.Fatal("a bad address was accepted")
	}
	if _, err := ListenPacket("ip4", "127.0.0.1"); err == nil {
		t.Fatal("an unknown network was accepted")
	}
	// A port in use: bind's EADDRINUSE, as package net reports it.
	c := listenUDPTest(t, mustShared(t), "udp4", "127.0.0.1:0")
	if _, err := ListenPacket("udp4", c.LocalAddr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("binding a port in use: %v", err)
	}
}

func mustShared(t *testing.T) *Ring {
	rg, err := SharedRing()
	if err != nil {
		t.Fatal(err)
	}
	return rg
}

func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// On an io_uring kernel without IORING_OP_SOCKET and IORING_OP_BIND
// (forced with URB_PROBE_HIDE in a child process) the library refuses
// them with ENOSYS and ListenPacket makes those two calls itself; the
// datagrams still move.
func TestUDPWithoutKernelSocketOps(t *testing.T) {
	const hide = "URB_OP_SOCKET,URB_OP_BIND"
	if os.Getenv("URB_PROBE_HIDE") != hide {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUDPWithoutKernelSocketOps$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "URB_PROBE_HIDE="+hide)
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUDPWithoutKernelSocketOps") {
			t.Fatalf("child: %v\n%s", err, out)
		}
		return
	}
	onUring := BackendName() == "io_uring"
	if OpSupported(OpSocket) == onUring || OpSupported(OpBind) == onUring {
		t.Fatalf("OpSupported(socket, bind) = %v, %v on %s", OpSupported(OpSocket), OpSupported(OpBind), BackendName())
	}
	if !OpSupported(OpRecvmsg) {
		t.Fatal("only the named operations are hidden")
	}
	a := listenUDPTest(t, mustShared(t), "udp4", "127.0.0.1:0")
	b := listenUDPTest(t, mustShared(t), "udp4", "127.0.0.1:0")
	if _, err := a.WriteTo([]byte("still"), b.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _, err := b.ReadFrom(buf); err != nil || string(buf[:n]) != "still" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}
