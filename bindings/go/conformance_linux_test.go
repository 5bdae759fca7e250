//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand"
	"net"
	"sync"
	"testing"
	"time"
)

// The behaviour golang.org/x/net/nettest.TestConn asks of a net.Conn,
// written here with the standard library only: data arrives intact, a
// request/response exchange works, buffers may be reused as soon as a call
// returns (even after a deadline cut it short), deadlines in the past,
// present and future time calls out and leave the other direction alone,
// Close ends pending calls, and every method may be called concurrently.
// Run under -race. Each case gets a fresh pair; c1 is the connection under
// test (from Listen), c2 its peer (from Dial, or from package net).

func TestConnConformance(t *testing.T) {
	pairs := []struct {
		name    string
		network string
		std     bool
	}{
		{"tcp/ring-ring", "tcp", false},
		{"tcp/ring-std", "tcp", true},
		{"unix/ring-ring", "unix", false},
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, c1, c2 net.Conn)
	}{
		{"BasicIO", confBasicIO},
		{"PingPong", confPingPong},
		{"RacyRead", confRacyRead},
		{"RacyWrite", confRacyWrite},
		{"ReadTimeoutLeavesWrite", confReadTimeout},
		{"WriteTimeoutLeavesRead", confWriteTimeout},
		{"PastTimeout", confPastTimeout},
		{"PresentTimeout", confPresentTimeout},
		{"FutureTimeout", confFutureTimeout},
		{"CloseTimeout", confCloseTimeout},
		{"ConcurrentMethods", confConcurrentMethods},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					c1, c2 := connPair(t, p.network, p.std)
					done := make(chan struct{})
					timer := time.AfterFunc(time.Minute, func() {
						t.Error("case still running after a minute: closing the pair")
						c1.Close()
						c2.Close()
					})
					defer timer.Stop()
					go func() { defer close(done); tc.fn(t, c1, c2) }()
					<-done
				})
			}
		})
	}
}

// copyChunks copies r to w 1 KiB at a time.
func copyChunks(w io.Writer, r io.Reader) error {
	_, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, make([]byte, 1024))
	return err
}

func wantTimeout(t *testing.T, what string, err error) {
	t.Helper()
	if !isTimeout(err) {
		t.Errorf("%s: %v (%T), want a net.Error timeout wrapping os.ErrDeadlineExceeded", what, err, err)
	}
}

func confBasicIO(t *testing.T, c1, c2 net.Conn) {
	want := make([]byte, 1<<20)
	rand.New(rand.NewSource(7)).Read(want)
	go func() {
		if err := copyChunks(c1, bytes.NewReader(want)); err != nil {
			t.Errorf("write: %v", err)
		}
		if err := c1.Close(); err != nil {
			t.Errorf("close c1: %v", err)
		}
	}()
	var got bytes.Buffer
	if err := copyChunks(&got, c2); err != nil {
		t.Errorf("read: %v", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("received %d bytes, not the %d sent", got.Len(), len(want))
	}
}

func confPingPong(t *testing.T, c1, c2 net.Conn) {
	var wg sync.WaitGroup
	player := func(c net.Conn) {
		defer wg.Done()
		defer c.Close()
		buf := make([]byte, 8)
		var last uint64
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				if err != io.EOF {
					t.Errorf("read: %v", err)
				}
				return
			}
			v := binary.LittleEndian.Uint64(buf)
			if last != 0 && v != last+2 {
				t.Errorf("got %d after %d", v, last)
			}
			last = v
			if v >= 1000 {
				return
			}
			binary.LittleEndian.PutUint64(buf, v+1)
			if _, err := c.Write(buf); err != nil {
				t.Errorf("write: %v", err)
				return
			}
		}
	}
	wg.Add(2)
	go player(c1)
	go player(c2)
	if _, err := c1.Write(make([]byte, 8)); err != nil {
		t.Errorf("first write: %v", err)
	}
	wg.Wait()
}

func confRacyRead(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(c2, rand.New(rand.NewSource(1)))
	c1.SetReadDeadline(time.Now().Add(time.Millisecond))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			b1, b2 := make([]byte, 1024), make([]byte, 1024)
			for range 100 {
				_, err := c1.Read(b1)
				copy(b1, b2) // the buffer is the caller's again: the race detector watches
				if err != nil {
					wantTimeout(t, "read", err)
					c1.SetReadDeadline(time.Now().Add(time.Millisecond))
				}
			}
		})
	}
	wg.Wait()
}

func confRacyWrite(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(io.Discard, c2)
	c1.SetWriteDeadline(time.Now().Add(time.Millisecond))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			b1, b2 := make([]byte, 1024), make([]byte, 1024)
			for range 100 {
				_, err := c1.Write(b1)
				copy(b1, b2)
				if err != nil {
					wantTimeout(t, "write", err)
					c1.SetWriteDeadline(time.Now().Add(time.Millisecond))
				}
			}
		})
	}
	wg.Wait()
}

var longAgo = time.Unix(233431200, 0)

func confReadTimeout(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(io.Discard, c2)
	c1.SetReadDeadline(longAgo)
	_, err := c1.Read(make([]byte, 1024))
	wantTimeout(t, "read", err)
	if _, err := c1.Write(make([]byte, 1024)); err != nil {
		t.Errorf("write after a read timeout: %v", err)
	}
}

func confWriteTimeout(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(c2, rand.New(rand.NewSource(2)))
	c1.SetWriteDeadline(longAgo)
	_, err := c1.Write(make([]byte, 1024))
	wantTimeout(t, "write", err)
	if _, err := c1.Read(make([]byte, 1024)); err != nil {
		t.Errorf("read after a write timeout: %v", err)
	}
}

// roundTrip writes to c and reads the same back (c's peer echoes).
func roundTrip(t *testing.T, c net.Conn) {
	if err := c.SetDeadline(time.Time{}); err != nil {
		t.Errorf("SetDeadline: %v", err)
	}
	msg := []byte("Hello, world!")
	if _, err := c.Write(msg); err != nil {
		t.Errorf("round trip write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Errorf("round trip read: %q, %v", got, err)
	}
}

// resync drains whatever an earlier, interrupted exchange left in flight
// (c's peer echoes; 0xff is never sent otherwise).
func resync(t *testing.T, c net.Conn) {
	c.SetDeadline(time.Time{})
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte{0xff})
		werr <- err
	}()
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if n > 0 && bytes.IndexByte(buf[:n], 0xff) == n-1 {
			break
		}
		if err != nil {
			t.Errorf("resync read: %v", err)
			break
		}
	}
	if err := <-werr; err != nil {
		t.Errorf("resync write: %v", err)
	}
}

func confPastTimeout(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(c2, c2)
	roundTrip(t, c1)
	c1.SetDeadline(longAgo)
	if n, err := c1.Write(make([]byte, 1024)); n != 0 {
		t.Errorf("write past the deadline wrote %d", n)
	} else {
		wantTimeout(t, "write", err)
	}
	if n, err := c1.Read(make([]byte, 1024)); n != 0 {
		t.Errorf("read past the deadline read %d", n)
	} else {
		wantTimeout(t, "read", err)
	}
	roundTrip(t, c1)
}

func confPresentTimeout(t *testing.T, c1, c2 net.Conn) {
	var wg sync.WaitGroup
	set := make(chan struct{})
	wg.Go(func() {
		time.Sleep(100 * time.Millisecond)
		close(set)
		c1.SetReadDeadline(longAgo)
		c1.SetWriteDeadline(longAgo)
	})
	wg.Go(func() {
		n, err := c1.Read(make([]byte, 1024))
		if n != 0 {
			t.Errorf("read %d", n)
		}
		wantTimeout(t, "read", err)
		select {
		case <-set:
		default:
			t.Error("read timed out before the deadline was set")
		}
	})
	wg.Go(func() {
		var err error
		for err == nil {
			_, err = c1.Write(make([]byte, 1024))
		}
		wantTimeout(t, "write", err)
		select {
		case <-set:
		default:
			t.Error("write timed out before the deadline was set")
		}
	})
	wg.Wait()
}

func confFutureTimeout(t *testing.T, c1, c2 net.Conn) {
	c1.SetDeadline(time.Now().Add(100 * time.Millisecond))
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := c1.Read(make([]byte, 1024))
		wantTimeout(t, "read", err)
	})
	wg.Go(func() {
		var err error
		for err == nil {
			_, err = c1.Write(make([]byte, 1024))
		}
		wantTimeout(t, "write", err)
	})
	wg.Wait()
	go copyChunks(c2, c2)
	resync(t, c1)
	roundTrip(t, c1)
}

func confCloseTimeout(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(c2, c2)
	c1.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(100 * time.Millisecond)
		c1.Close()
	})
	wg.Go(func() {
		buf := make([]byte, 1024)
		var err error
		for err == nil {
			_, err = c1.Read(buf)
		}
	})
	wg.Go(func() {
		buf := make([]byte, 1024)
		var err error
		for err == nil {
			_, err = c1.Write(buf)
		}
	})
	wg.Wait()
}

func confConcurrentMethods(t *testing.T, c1, c2 net.Conn) {
	go copyChunks(c2, c2)
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() { c1.Read(make([]byte, 1024)) })
		wg.Go(func() { c1.Write(make([]byte, 1024)) })
		wg.Go(func() { c1.SetDeadline(time.Now().Add(10 * time.Millisecond)) })
		wg.Go(func() { c1.SetReadDeadline(longAgo) })
		wg.Go(func() { c1.SetWriteDeadline(longAgo) })
		wg.Go(func() { c1.LocalAddr() })
		wg.Go(func() { c1.RemoteAddr() })
	}
	wg.Wait()
	resync(t, c1)
	roundTrip(t, c1)
}
