//go:build linux && cgo

package uringbridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"
)

// dnsExchange sends one DNS-style query over the connected c (net.Conn's
// Write and Read) and checks dnsServer's answer.
func dnsExchange(c net.Conn, id uint16) error {
	query := fmt.Appendf(binary.BigEndian.AppendUint16(nil, id), "host%d.example", id)
	want := fmt.Sprintf("%s=%d", query, len(query)-2)
	buf := make([]byte, 512)
	for attempt := 0; attempt < 4; attempt++ {
		if _, err := c.Write(query); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := c.Read(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue // a lost datagram: ask again
		}
		if err != nil {
			return err
		}
		if string(buf[:n]) != want {
			return fmt.Errorf("answer %q, want %q", buf[:n], want)
		}
		return nil
	}
	return errors.New("no answer after 4 attempts")
}

// Dial with the UDP networks gives the *UDPConn DialUDP makes, connected
// to the resolved address (a literal, a name, an empty host), on each ring
// and through the package-level Dial on the shared one.
func TestDialUDP(t *testing.T) {
	for name, rg := range udpRings(t) {
		t.Run(name, func(t *testing.T) {
			for _, network := range []string{"udp4", "udp6", "udp"} {
				t.Run(network, func(t *testing.T) {
					listen, host := "127.0.0.1:0", "127.0.0.1"
					if network == "udp6" {
						listen, host = "[::1]:0", "::1"
					}
					server := listenUDPTest(t, rg, network, listen)
					go dnsServer(server)
					port := strconv.Itoa(server.LocalAddr().(*net.UDPAddr).Port)
					addrs := []string{net.JoinHostPort(host, port)}
					if network != "udp6" {
						addrs = append(addrs, ":"+port) // the local system, as package net
					}
					if _, err := net.ResolveUDPAddr(network, "localhost:"+port); err == nil && network != "udp6" {
						addrs = append(addrs, "localhost:"+port)
					}
					for i, addr := range addrs {
						var c net.Conn
						var err error
						if name == "shared" {
							c, err = Dial(network, addr)
						} else {
							c, err = rg.Dial(network, addr)
						}
						if err != nil {
							t.Fatalf("Dial(%q, %q): %v", network, addr, err)
						}
						uc, ok := c.(*UDPConn)
						if !ok {
							t.Fatalf("Dial(%q, %q) gave a %T", network, addr, c)
						}
						ra := uc.RemoteAddr().(*net.UDPAddr)
						if strconv.Itoa(ra.Port) != port || !ra.IP.IsLoopback() {
							t.Errorf("Dial(%q, %q): remote address %v", network, addr, ra)
						}
						if err := dnsExchange(c, uint16(i)); err != nil {
							t.Errorf("Dial(%q, %q): %v", network, addr, err)
						}
						c.Close()
					}
				})
			}
		})
	}
}

// Dial's UDP errors are *net.OpError with Op "dial", as package net's.
func TestDialUDPErrors(t *testing.T) {
	for _, tc := range []struct{ network, address string }{
		{"udp4", "[::1]:53"},     // no address of the family
		{"udp6", "127.0.0.1:53"}, // the same
		{"udp", "no-port"},       // not host:port
		{"udp", "127.0.0.1:nosuchservice"},
		{"udp", "[::1]:99999"}, // port out of range
	} {
		c, err := Dial(tc.network, tc.address)
		if _, netErr := net.Dial(tc.network, tc.address); netErr == nil {
			t.Errorf("package net dials %q %q: the case tests nothing", tc.network, tc.address)
		}
		var oe *net.OpError
		if err == nil || c != nil || !errors.As(err, &oe) || oe.Op != "dial" || oe.Net != tc.network {
			t.Errorf("Dial(%q, %q) = %v, %v", tc.network, tc.address, c, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, err := DialContext(ctx, "udp", "127.0.0.1:53"); !errors.Is(err, context.Canceled) {
		t.Errorf("DialContext with a done context: %v, %v", c, err)
	}
	if _, err := (&net.Dialer{}).DialContext(ctx, "udp", "127.0.0.1:53"); !errors.Is(err, context.Canceled) {
		t.Errorf("package net's DialContext with a done context: %v (the case tests nothing)", err)
	}
}
