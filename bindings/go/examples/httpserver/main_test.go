package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	uringbridge "uringbridge.dev/go"
)

func TestMain(m *testing.M) {
	fmt.Println("engine:", uringbridge.EngineName())
	maxRequests = -1
	os.Exit(m.Run())
}

// startServer runs the example's accept loop on a fresh listener of the
// given mode and stops it at the end of the test.
func startServer(t *testing.T, mode string) string {
	t.Helper()
	l, err := listen(mode, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, std := l.(*net.TCPListener); std != (mode == "std") {
		t.Fatalf("-net %s listens with %T", mode, l)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- serveAll(l) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-stopped; !errors.Is(err, net.ErrClosed) {
			t.Errorf("accept loop ended with %v", err)
		}
	})
	return l.Addr().String()
}

// readReply reads one reply (head and 13-byte body) and returns its head.
func readReply(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var head strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reply head: %q, %v", head.String()+line, err)
		}
		head.WriteString(line)
		if line == "\r\n" {
			break
		}
	}
	body := make([]byte, len(body))
	if _, err := io.ReadFull(r, body); err != nil || string(body) != "Hello, world!" {
		t.Fatalf("reply body %q, %v", body, err)
	}
	return head.String()
}

// The server's protocol on both listeners, spoken by hand: pipelined
// keep-alive requests, HTTP/1.0 with and without keep-alive, and
// "Connection: close", after which the server closes the connection.
func TestFixedReplyProtocol(t *testing.T) {
	for _, mode := range []string{"uring", "std"} {
		t.Run(mode, func(t *testing.T) {
			addr := startServer(t, mode)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			r := bufio.NewReader(c)
			// Three requests in one write: three replies, in order.
			req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
			if _, err := io.WriteString(c, req+req+req); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if h := readReply(t, r); string(replyKeep[:len(h)]) != h {
					t.Fatalf("keep-alive reply head %q", h)
				}
			}
			io.WriteString(c, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
			if h := readReply(t, r); !strings.HasPrefix(h, "HTTP/1.0 200 OK") || !strings.Contains(h, "Connection: keep-alive") {
				t.Fatalf("HTTP/1.0 keep-alive reply head %q", h)
			}
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if h := readReply(t, r); !strings.Contains(h, "Connection: close") {
				t.Fatalf("closing reply head %q", h)
			}
			if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
				t.Fatalf("after Connection: close: %q, %v (want EOF)", rest, err)
			}

			// HTTP/1.0 without keep-alive: one reply, then EOF.
			c2, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c2.Close()
			io.WriteString(c2, "GET / HTTP/1.0\r\n\r\n")
			all, err := io.ReadAll(c2)
			if err != nil || string(all) != string(replyClose) {
				t.Fatalf("HTTP/1.0 reply %q, %v", all, err)
			}
		})
	}
}

// A real HTTP client, keep-alive, from several goroutines.
func TestHTTPClient(t *testing.T) {
	for _, mode := range []string{"uring", "std"} {
		t.Run(mode, func(t *testing.T) {
			url := "http://" + startServer(t, mode) + "/"
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
			defer client.CloseIdleConnections()
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 8 {
				wg.Go(func() {
					for range 50 {
						resp, err := client.Get(url)
						if err != nil {
							errs <- err
							return
						}
						b, err := io.ReadAll(resp.Body)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 || string(b) != "Hello, world!" {
							errs <- fmt.Errorf("GET: %d %q %v", resp.StatusCode, b, err)
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestUnknownMode(t *testing.T) {
	if _, err := listen("epoll", "127.0.0.1:0"); err == nil {
		t.Fatal("-net epoll accepted")
	}
}
