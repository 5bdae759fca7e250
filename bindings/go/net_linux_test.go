//go:build linux && cgo

package uringbridge

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// listenTest listens on network with this package and closes the listener
// at the end of the test.
func listenTest(t *testing.T, network string) net.Listener {
	t.Helper()
	addr := "127.0.0.1:0"
	switch network {
	case "tcp6":
		addr = "[::1]:0"
	case "unix":
		addr = filepath.Join(t.TempDir(), "sock")
	}
	l, err := Listen(network, addr)
	if err != nil {
		if network == "tcp6" {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// echo serves every connection of l by copying what it reads back.
func echo(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
		}()
	}
}

func checkEcho(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	r := bufio.NewReader(c)
	for i := range 50 {
		msg := fmt.Sprintf("message %d %s\n", i, strings.Repeat("x", i*37))
		if _, err := io.WriteString(c, msg); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != msg {
			t.Fatalf("echo %d: %q, %v", i, got, err)
		}
	}
}

// Round trips through an echo server on Listen, with clients from Dial
// and from package net, on every network.
func TestNetEchoRoundTrips(t *testing.T) {
	for _, network := range []string{"tcp", "tcp4", "tcp6", "unix"} {
		t.Run(network, func(t *testing.T) {
			l := listenTest(t, network)
			go echo(l)
			c, err := Dial(network, l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if c.RemoteAddr().String() != l.Addr().String() {
				t.Errorf("RemoteAddr %v, listener at %v", c.RemoteAddr(), l.Addr())
			}
			checkEcho(t, c)
			sc, err := net.Dial(network, l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			checkEcho(t, sc)
		})
	}
}

// Dial against a package-net server, with the addresses both sides see.
func TestNetDialStdServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peers := make(chan net.Addr, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		peers <- c.RemoteAddr()
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if got := (<-peers).String(); got != c.LocalAddr().String() {
		t.Errorf("server sees %s, client LocalAddr %s", got, c.LocalAddr())
	}
	checkEcho(t, c)

	if _, err := Dial("tcp", "127.0.0.1:1"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial to a closed port: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DialContext(ctx, "tcp", l.Addr().String()); err == nil {
		t.Error("dial with a done context succeeded")
	}
	var unknown net.UnknownNetworkError
	if _, err := Dial("unixgram", l.Addr().String()); !errors.As(err, &unknown) {
		t.Errorf("dial with a network the package lacks: %v", err)
	}
}

// A unix listener removes its socket file when closed.
func TestNetUnixListenerRemovesSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s")
	l, err := Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file after Close: %v", err)
	}
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// connPair returns two connected net.Conns: the server side from Listen,
// the client from Dial (both on the ring) or from package net.
func connPair(t *testing.T, network string, stdClient bool) (server, client net.Conn) {
	t.Helper()
	l := listenTest(t, network)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	var err error
	if stdClient {
		client, err = net.Dial(network, l.Addr().String())
	} else {
		client, err = Dial(network, l.Addr().String())
	}
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

// Deadlines: a passed deadline fails Read and Write with a net.Error whose
// Timeout() is true and which is os.ErrDeadlineExceeded; data arriving
// later is still readable once the deadline is moved; moving a deadline
// while a Read waits takes effect for that Read.
func TestNetDeadlines(t *testing.T) {
	s, c := connPair(t, "tcp", false)

	buf := make([]byte, 16)
	fillCanary(buf)
	// The clock starts before the deadline is set: a deadline that fires
	// on time is then never measured as early.
	start := time.Now()
	s.SetReadDeadline(start.Add(40 * time.Millisecond))
	n, err := s.Read(buf)
	if n != 0 || !isTimeout(err) {
		t.Fatalf("read past its deadline: %d, %v", n, err)
	}
	if el := time.Since(start); el < 40*time.Millisecond {
		t.Fatalf("timed out after %v, before the deadline", el)
	}
	if !isCanary(buf) {
		t.Fatal("buffer written by the timed-out read")
	}
	// Still past: fails at once.
	if _, err := s.Read(buf); !isTimeout(err) {
		t.Fatalf("second read: %v", err)
	}
	// The data sent now is not lost.
	c.Write([]byte("late"))
	s.SetReadDeadline(time.Time{})
	if n, err := io.ReadFull(s, buf[:4]); err != nil || string(buf[:n]) != "late" {
		t.Fatalf("read after clearing the deadline: %q, %v", buf[:n], err)
	}

	// A deadline moved out while the Read waits: the Read keeps waiting.
	s.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	go func() {
		time.Sleep(10 * time.Millisecond)
		s.SetReadDeadline(time.Now().Add(time.Hour))
		time.Sleep(60 * time.Millisecond)
		c.Write([]byte("x"))
	}()
	if n, err := s.Read(buf); err != nil || n != 1 {
		t.Fatalf("read whose deadline was extended: %d, %v", n, err)
	}
	// A deadline set in the past while the Read waits ends it now.
	s.SetReadDeadline(time.Time{})
	go func() {
		time.Sleep(20 * time.Millisecond)
		s.SetReadDeadline(time.Unix(1, 0))
	}()
	if _, err := s.Read(buf); !isTimeout(err) {
		t.Fatalf("read interrupted by a past deadline: %v", err)
	}
	s.SetReadDeadline(time.Time{})

	// Write: fill the peer's buffers (it does not read) until the deadline.
	s.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	chunk := make([]byte, 64<<10)
	var total int
	for {
		n, err := s.Write(chunk)
		total += n
		if err != nil {
			if !isTimeout(err) {
				t.Fatalf("write past its deadline: %v", err)
			}
			break
		}
		if total > 1<<30 {
			t.Fatal("1 GiB written to a peer that does not read")
		}
	}
	// Reads are unaffected by the write deadline.
	c.Write([]byte("y"))
	if n, err := s.Read(buf); err != nil || n != 1 {
		t.Fatalf("read after a write timeout: %d, %v", n, err)
	}
	if err := s.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// Close while a Read and a Write wait: both return an error wrapping
// net.ErrClosed, the read buffer is untouched, later calls fail alike.
func TestNetCloseUnblocks(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			s, _ := connPair(t, network, true)
			buf := make([]byte, 32)
			fillCanary(buf)
			readErr := make(chan error, 1)
			go func() {
				_, err := s.Read(buf)
				readErr <- err
			}()
			writeErr := make(chan error, 1)
			go func() {
				chunk := make([]byte, 64<<10)
				for {
					if _, err := s.Write(chunk); err != nil {
						writeErr <- err
						return
					}
				}
			}()
			time.Sleep(50 * time.Millisecond)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			for name, ch := range map[string]chan error{"read": readErr, "write": writeErr} {
				select {
				case err := <-ch:
					if !errors.Is(err, net.ErrClosed) {
						t.Errorf("%s at Close: %v", name, err)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s still blocked after Close", name)
				}
			}
			if !isCanary(buf) {
				t.Error("buffer written")
			}
			if _, err := s.Read(buf); !errors.Is(err, net.ErrClosed) {
				t.Errorf("read after Close: %v", err)
			}
			if err := s.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
				t.Errorf("SetDeadline after Close: %v", err)
			}
			if err := s.Close(); !errors.Is(err, net.ErrClosed) {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

// The peer going away: EOF on read.
func TestNetEOF(t *testing.T) {
	s, c := connPair(t, "tcp", false)
	c.Write([]byte("bye"))
	c.(interface{ CloseWrite() error }).CloseWrite()
	got, err := io.ReadAll(s)
	if err != nil || string(got) != "bye" {
		t.Fatalf("ReadAll: %q, %v", got, err)
	}
}

// Listener.Close unblocks Accept with net.ErrClosed.
func TestNetListenerCloseUnblocksAccept(t *testing.T) {
	l := listenTest(t, "tcp")
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept at Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still blocked after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}

// net/http serves on Listen unchanged: keep-alive and not, concurrent
// clients, request bodies, and a client whose transport dials with Dial.
func TestNetHTTPServer(t *testing.T) {
	l := listenTest(t, "tcp")
	var conns atomic.Int64
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				h := sha256.New()
				n, _ := io.Copy(h, r.Body)
				fmt.Fprintf(w, "%d %x", n, h.Sum(nil))
				return
			}
			io.WriteString(w, "Hello, world!")
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	url := "http://" + l.Addr().String() + "/"

	get := func(client *http.Client) (reused bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(body) != "Hello, world!" {
			t.Fatalf("GET: %d %q %v", resp.StatusCode, body, err)
		}
		return reused
	}

	t.Run("keep-alive", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
		before := conns.Load()
		reused := 0
		for range 100 {
			if get(client) {
				reused++
			}
		}
		if reused != 99 || conns.Load()-before != 1 {
			t.Fatalf("100 GETs: %d on a reused connection, %d connections", reused, conns.Load()-before)
		}
	})
	t.Run("no keep-alive", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		before := conns.Load()
		for range 50 {
			if get(client) {
				t.Fatal("connection reused with keep-alive off")
			}
		}
		if n := conns.Load() - before; n != 50 {
			t.Fatalf("50 GETs without keep-alive: %d connections", n)
		}
	})
	t.Run("concurrent, client on Dial", func(t *testing.T) {
		client := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return DialContext(ctx, network, addr)
			},
			MaxIdleConnsPerHost: 16,
		}}
		defer client.CloseIdleConnections()
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 25 {
					get(client)
				}
			})
		}
		wg.Wait()
	})
	t.Run("request bodies", func(t *testing.T) {
		body := make([]byte, 3<<20)
		rand.New(rand.NewSource(1)).Read(body)
		resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprintf("%d %x", len(body), sha256.Sum256(body)); string(got) != want {
			t.Fatalf("POST: %q, want %q", got, want)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

// 10,000 goroutines each blocked in a Read (and then each reading its
// data) on 5,000 socket pairs: the process gains no OS thread per blocked
// goroutine, only the few the Go runtime keeps anyway.
func TestNetTenThousandGoroutinesFewThreads(t *testing.T) {
	const pairs = 5000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*pairs+200 {
		t.Skipf("RLIMIT_NOFILE %d: too low for %d descriptors", lim.Cur, 2*pairs)
	}
	rg, err := SharedRing()
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	threadsBefore := countThreads(t, "")

	conns := make([]*Conn, 0, 2*pairs)
	for range pairs {
		p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range p {
			c, err := newConn(rg, fd, "unix", nil, false)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	var bad atomic.Int64
	for i, c := range conns {
		wg.Go(func() {
			buf := make([]byte, 8)
			n, err := c.Read(buf)
			if err != nil || n != 1 || buf[0] != byte(i^1) {
				bad.Add(1)
			}
		})
	}
	// Every goroutine is waiting in its Read now: in the netpoller, as no
	// data was sent (a read waits for readiness, not as a ring request).
	waitBlockedReads(t, 2*pairs)
	during := countThreads(t, "")
	// Each side writes its index to its peer, through the ring as well.
	for i, c := range conns {
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	after := countThreads(t, "")
	if bad.Load() != 0 {
		t.Fatalf("%d reads got the wrong data", bad.Load())
	}
	t.Logf("threads: %d before, %d with 10,000 reads blocked, %d after", threadsBefore, during, after)
	if during > threadsBefore+16 || after > threadsBefore+16 {
		t.Fatalf("threads: %d before, %d with 10,000 blocked reads, %d after", threadsBefore, during, after)
	}
}

// waitBlockedReads waits (up to a minute) until n goroutines are parked in
// a Conn.Read.
func waitBlockedReads(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := blockedReads()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d reads waiting", got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blockedReads counts the goroutines parked in the netpoller inside a
// Conn.Read (from a dump of every goroutine's stack).
func blockedReads() int {
	buf := make([]byte, 64<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("[IO wait")) && bytes.Contains(g, []byte(".(*Conn).Read")) {
			n++
		}
	}
	return n
}
