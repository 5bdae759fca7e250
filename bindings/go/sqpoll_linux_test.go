//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A ring made with RingOptions.SQPoll (URB_RING_SQPOLL: the kernel's
// submission thread submits) runs every face: Do of requests that finish
// on the spot and of ones that wait, requests spaced out so that the
// kernel's thread goes idle between them, a File on the ring, and a
// connection from its Listen and Dial. (The fallback engine ignores the
// flag; test.sh runs this on both engines.)
func TestSQPollRing(t *testing.T) {
	rg, err := NewRing(&RingOptions{SQPoll: true, SQPollIdle: time.Millisecond})
	if err != nil {
		if errorsIsAny(err, syscall.EPERM, syscall.ENOMEM, syscall.EINVAL) {
			t.Skipf("no SQPOLL ring here: %v", err)
		}
		t.Fatal(err)
	}
	defer rg.Close()
	ctx := context.Background()

	for i := range 3 {
		if res, err := rg.Do(ctx, PrepNop()); res != 0 || err != nil {
			t.Fatalf("nop %d: %d, %v", i, res, err)
		}
		// A request the ring must take (nothing finishes a timeout early),
		// after the kernel's thread has had time to go idle.
		time.Sleep(5 * time.Millisecond)
		if res, err := rg.DoTimeout(ctx, PrepTimeout(time.Millisecond), time.Second); res != 0 || err != nil {
			t.Fatalf("timeout %d: %d, %v", i, res, err)
		}
	}

	// A pipe read that waits for its data.
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	go func() {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(p[1], []byte("sqpoll"))
	}()
	buf := make([]byte, 16)
	if n, err := rg.Do(ctx, PrepRead(p[0], buf, -1)); n != 6 || err != nil || string(buf[:n]) != "sqpoll" {
		t.Fatalf("pipe read: %d %q, %v", n, buf[:max(n, 0)], err)
	}

	// A File on the ring.
	path := filepath.Join(t.TempDir(), "f")
	want := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	if err := os.WriteFile(path, want, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := rg.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("File on the SQPOLL ring: %d bytes, %v", len(got), err)
	}

	// A connection pair from the ring's Listen and Dial.
	l, err := rg.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := rg.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		time.Sleep(5 * time.Millisecond)
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 4)
		if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "ping" {
			t.Fatalf("echo %d: %q, %v", i, reply, err)
		}
	}
}

func errorsIsAny(err error, errnos ...syscall.Errno) bool {
	for _, e := range errnos {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
