package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	uringbridge "uringbridge.dev/go"
)

func TestMain(m *testing.M) {
	fmt.Println("engine:", uringbridge.EngineName())
	os.Exit(m.Run())
}

// startEcho runs the example's server on a fresh uringbridge listener and
// stops it at the end of the test.
func startEcho(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	l, err := uringbridge.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- serve(l) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-stopped; !errors.Is(err, net.ErrClosed) {
			t.Errorf("serve ended with %v", err)
		}
	})
	return l
}

// roundTrip sends payload (while reading concurrently: a payload larger
// than the socket buffers would otherwise deadlock), shuts down the
// sending side and checks that exactly payload comes back, then EOF.
func roundTrip(c net.Conn, payload []byte) error {
	defer c.Close()
	// A server that never closes its side would hang the test: fail instead.
	c.SetDeadline(time.Now().Add(time.Minute))
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		sent <- err
	}()
	got, err := io.ReadAll(c)
	if err := <-sent; err != nil {
		return fmt.Errorf("send: %w", err)
	}
	if err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	if !bytes.Equal(got, payload) {
		return fmt.Errorf("echoed %d bytes, sent %d (or different bytes)", len(got), len(payload))
	}
	return nil
}

func payload(seed, n int) []byte {
	p := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(seed), 9))
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	return p
}

// Clients from package net and from uringbridge.Dial, small and large
// payloads (larger than any socket buffer), many at once, on TCP and on a
// unix socket.
func TestEchoServer(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			addr := "127.0.0.1:0"
			if network == "unix" {
				addr = filepath.Join(t.TempDir(), "echo.sock")
			}
			l := startEcho(t, network, addr)
			dials := map[string]func(string, string) (net.Conn, error){
				"net.Dial": net.Dial, "uringbridge.Dial": uringbridge.Dial,
			}
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			i := 0
			for name, dial := range dials {
				for _, size := range []int{0, 1, 1000, 70_000, 3 << 20} {
					for range 4 {
						i++
						seed := i
						wg.Go(func() {
							c, err := dial(network, l.Addr().String())
							if err == nil {
								err = roundTrip(c, payload(seed, size))
							}
							if err != nil {
								errs <- fmt.Errorf("%s, %d bytes: %w", name, size, err)
							}
						})
					}
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// A conversation: each line comes back before the next is sent.
func TestEchoInteractive(t *testing.T) {
	l := startEcho(t, "tcp", "127.0.0.1:0")
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64)
	for i := range 100 {
		msg := fmt.Sprintf("line %d\n", i)
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil || string(buf[:len(msg)]) != msg {
			t.Fatalf("line %d came back as %q, %v", i, buf[:len(msg)], err)
		}
	}
}
