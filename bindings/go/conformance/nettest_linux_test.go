//go:build linux && cgo

package conformance

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"
	"uringbridge.dev/go"
)

func TestMain(m *testing.M) {
	fmt.Println("engine:", uringbridge.EngineName())
	os.Exit(m.Run())
}

// side is one way of making a listener or a dialled connection.
type side struct {
	name   string
	listen func(network, address string) (net.Listener, error)
	dial   func(network, address string) (net.Conn, error)
}

// fallbackRing is a ring on the fallback engine whatever the process's
// engine is (RingOptions.Fallback), so the fallback path runs in every pass.
var fallbackRing = sync.OnceValues(func() (*uringbridge.Ring, error) {
	return uringbridge.NewRing(&uringbridge.RingOptions{Fallback: true})
})

func sides(t *testing.T) []side {
	fr, err := fallbackRing()
	if err != nil {
		t.Fatal(err)
	}
	return []side{
		{"uring", uringbridge.Listen, uringbridge.Dial},
		{"fallbackring", fr.Listen, fr.Dial},
		{"net", net.Listen, net.Dial},
	}
}

func localAddress(t *testing.T, network string) string {
	if network == "unix" {
		dir, err := os.MkdirTemp("", "urb-nettest")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		return filepath.Join(dir, "sock")
	}
	return "127.0.0.1:0"
}

// makePipe connects a dialled connection to an accepted one. c1 is the
// accepted side when acceptedFirst, else the dialled one: nettest puts c1
// through each check and uses c2 as the peer, so both orders test both.
func makePipe(t *testing.T, network string, ls, ds side, acceptedFirst bool) nettest.MakePipe {
	return func() (c1, c2 net.Conn, stop func(), err error) {
		l, err := ls.listen(network, localAddress(t, network))
		if err != nil {
			return nil, nil, nil, err
		}
		defer l.Close()
		type accepted struct {
			c   net.Conn
			err error
		}
		ch := make(chan accepted, 1)
		go func() {
			c, err := l.Accept()
			ch <- accepted{c, err}
		}()
		d, err := ds.dial(network, l.Addr().String())
		if err != nil {
			return nil, nil, nil, err
		}
		a := <-ch
		if a.err != nil {
			d.Close()
			return nil, nil, nil, a.err
		}
		stop = func() { a.c.Close(); d.Close() }
		if acceptedFirst {
			return a.c, d, stop, nil
		}
		return d, a.c, stop, nil
	}
}

// TestNettestConn runs nettest.TestConn for every pairing of this package's
// listeners and dialers (on the process's engine and on a fallback ring)
// with package net's, over TCP and unix sockets, in both roles. At least
// one side of each pair is this package's.
func TestNettestConn(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		for _, ls := range sides(t) {
			for _, ds := range sides(t) {
				if ls.name == "net" && ds.name == "net" {
					continue
				}
				for _, acceptedFirst := range []bool{true, false} {
					role := "dialled"
					if acceptedFirst {
						role = "accepted"
					}
					name := fmt.Sprintf("%s/listen=%s/dial=%s/test=%s", network, ls.name, ds.name, role)
					t.Run(name, func(t *testing.T) {
						nettest.TestConn(t, makePipe(t, network, ls, ds, acceptedFirst))
					})
				}
			}
		}
	}
}

// TestNettestListener checks what net.Listener promises: Addr is where
// dialling reaches, many connections are accepted in turn, Close ends a
// blocked Accept with an error wrapping net.ErrClosed, and Accept and
// Close after Close fail with it too.
func TestNettestListener(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		for _, ls := range sides(t)[:2] {
			for _, ds := range sides(t) {
				t.Run(fmt.Sprintf("%s/listen=%s/dial=%s", network, ls.name, ds.name), func(t *testing.T) {
					l, err := ls.listen(network, localAddress(t, network))
					if err != nil {
						t.Fatal(err)
					}
					if l.Addr().Network() != network {
						t.Errorf("Addr().Network() = %q, want %q", l.Addr().Network(), network)
					}
					const n = 20
					errs := make(chan error, n)
					for range n {
						go func() {
							c, err := ds.dial(network, l.Addr().String())
							if err == nil {
								c.Close()
							}
							errs <- err
						}()
					}
					for range n {
						c, err := l.Accept()
						if err != nil {
							t.Fatal(err)
						}
						if c.LocalAddr() == nil || c.RemoteAddr() == nil {
							t.Error("accepted connection without addresses")
						}
						c.Close()
					}
					for range n {
						if err := <-errs; err != nil {
							t.Error(err)
						}
					}
					blocked := make(chan error, 1)
					go func() {
						_, err := l.Accept()
						blocked <- err
					}()
					time.Sleep(20 * time.Millisecond)
					if err := l.Close(); err != nil {
						t.Fatal(err)
					}
					select {
					case err := <-blocked:
						if !errors.Is(err, net.ErrClosed) {
							t.Errorf("blocked Accept after Close: %v, want net.ErrClosed", err)
						}
					case <-time.After(10 * time.Second):
						t.Fatal("Close did not end a blocked Accept")
					}
					if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
						t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
					}
					if err := l.Close(); !errors.Is(err, net.ErrClosed) {
						t.Errorf("second Close: %v, want net.ErrClosed", err)
					}
				})
			}
		}
	}
}
