//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The tries the binding makes itself (nowait_linux.go) follow the
// library's rule for taking a non-waiting read's result.
func TestTakenReadRule(t *testing.T) {
	eopnotsupp := -int32(syscall.EOPNOTSUPP)
	for _, c := range []struct {
		res   int32
		want  int
		kind  uint32
		taken bool
	}{
		{negEAGAIN, 10, readKindPositional, false},  // would wait
		{negEAGAIN, 10, readKindStream, false},      // would wait
		{eopnotsupp, 10, readKindPositional, false}, // cannot be asked not to wait
		{4, 10, readKindPositional, false},          // part of a file's range cached
		{4, 10, readKindStream, true},               // what a pipe has: final
		{10, 10, readKindPositional, true},
		{0, 10, readKindPositional, true}, // end of file
		{0, 10, readKindStream, true},     // end of stream
		{-int32(syscall.EBADF), 10, readKindPositional, true},
		{-int32(syscall.EISDIR), 10, readKindPositional, true},
	} {
		if got := takenRead(c.res, c.want, c.kind); got != c.taken {
			t.Errorf("takenRead(%d, %d, kind %d) = %v, want %v", c.res, c.want, c.kind, got, c.taken)
		}
	}
}

func TestProbeReadKind(t *testing.T) {
	if !nativeTries {
		t.Skip("the library makes every try on this architecture")
	}
	_, fd := tempFileWith(t, []byte("x"))
	r, _ := pipe(t)
	a, _ := socketPair(t)
	dfd, err := syscall.Open(filepath.Join(t.TempDir()), syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dfd)
	for _, c := range []struct {
		name string
		fd   int
		want uint32
	}{
		{"regular file", fd, readKindPositional},
		{"pipe", r, readKindStream},
		{"socket", a, readKindStream},
		{"directory (read gives EISDIR either way)", dfd, readKindStream},
		{"bad descriptor", badFD, readKindLibrary},
	} {
		if got := probeReadKind(c.fd); got != c.want {
			t.Errorf("%s: kind %d, want %d", c.name, got, c.want)
		}
	}
}

// A ring File on a pipe: what is there is taken on the spot (a short count
// from a pipe is final), the offset is ignored as io_uring ignores it, and
// a read that must wait goes to the ring and gets the rest.
func TestRingFilePipeReadAt(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		rg := newTestRing(t, &RingOptions{Fallback: fallback})
		var p [2]int
		if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		f := rg.NewFile(p[0], "pipe") // closes p[0]
		w := p[1]
		if _, err := syscall.Write(w, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		before, _ := rg.Stats()
		buf := make([]byte, 5)
		if n, err := f.ReadAt(buf, 1234); n != 5 || err != nil || string(buf) != "hello" {
			t.Fatalf("fallback %v: ReadAt: %d %q %v", fallback, n, buf[:n], err)
		}
		mid, _ := rg.Stats()
		if onRing := mid.Submitted - before.Submitted; fallback != (onRing != 0) {
			t.Errorf("fallback %v: %d requests on the ring for data waiting in a pipe", fallback, onRing)
		}
		got := make(chan string, 1)
		go func() {
			buf := make([]byte, 4)
			n, err := f.ReadAt(buf, 0)
			if err != nil {
				got <- err.Error()
				return
			}
			got <- string(buf[:n])
		}()
		syscall.Write(w, []byte("ab"))
		time.Sleep(20 * time.Millisecond) // not needed for the result: lets the read wait
		syscall.Write(w, []byte("cd"))
		if s := <-got; s != "abcd" {
			t.Errorf("fallback %v: ReadAt across two writes: %q", fallback, s)
		}
		syscall.Close(w)
		if n, err := f.ReadAt(buf, 0); n != 0 || err != io.EOF {
			t.Errorf("fallback %v: ReadAt after the writer closed: %d, %v", fallback, n, err)
		}
		f.Close()
	}
}

// O_DIRECT descriptors are never tried (their non-waiting reads still wait
// for the device): every read goes to the ring, on both engines.
func TestRingFileODirectReadsGoToTheRing(t *testing.T) {
	const block = 4096
	content := patterned(8 * block)
	path := writeTemp(t, content)
	rg := newTestRing(t, nil)
	f, err := rg.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
	if errors.Is(err, syscall.EINVAL) {
		t.Skip("the temporary directory's file system refuses O_DIRECT")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw := make([]byte, 2*block)
	buf := raw[block-int(uintptr(unsafe.Pointer(&raw[0]))%block):][:block]
	before, _ := rg.Stats()
	for i := range 8 {
		if n, err := f.ReadAt(buf, int64(i*block)); n != block || err != nil || !bytes.Equal(buf, content[i*block:(i+1)*block]) {
			t.Fatalf("ReadAt block %d: %d, %v", i, n, err)
		}
	}
	after, _ := rg.Stats()
	if nativeTries && f.readKind.Load() != readKindLibrary {
		t.Errorf("read kind %d, want the library's", f.readKind.Load())
	}
	if onRing := after.Submitted - before.Submitted; onRing != 8 {
		t.Errorf("%d of 8 O_DIRECT reads on the ring", onRing)
	}
}

// A cached ReadAt through a ring File, and a send and receive through a
// Conn, allocate nothing.
func TestTriesOnTheSpotAllocateNothing(t *testing.T) {
	rg := newTestRing(t, nil)
	f, err := rg.Open(writeTemp(t, patterned(64<<10)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	if a := testing.AllocsPerRun(200, func() {
		if n, err := f.ReadAt(buf, 8192); n != len(buf) || err != nil {
			t.Fatal(n, err)
		}
	}); a != 0 {
		t.Errorf("ring File ReadAt: %.1f allocations per call", a)
	}
	l, err := rg.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	a, err := rg.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	defer b.Close()
	msg := make([]byte, 64)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := a.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, msg); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Conn Write + Read: %.1f allocations per exchange", n)
	}
}

// Transfers of a Conn never reach the ring unless it was made with
// RingOptions.Fallback, where the library takes each as a request.
func TestConnTransfersOnTheRingOnlyOnFallbackRings(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		rg := newTestRing(t, &RingOptions{Fallback: fallback})
		l, err := rg.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, _ := l.Accept()
			accepted <- c
		}()
		a, err := rg.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		b := <-accepted
		if b == nil {
			t.Fatal("accept failed")
		}
		before, _ := rg.Stats()
		msg := []byte("ping")
		for range 10 {
			if _, err := a.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(b, msg); err != nil {
				t.Fatal(err)
			}
		}
		after, _ := rg.Stats()
		onRing := after.Submitted - before.Submitted
		if !nativeTries {
			t.Logf("fallback %v: %d transfers of 20 on the ring (the library tries)", fallback, onRing)
		} else if fallback != (onRing >= 20) || (!fallback && onRing != 0) {
			t.Errorf("fallback %v: %d transfers of 20 on the ring", fallback, onRing)
		}
		a.Close()
		b.Close()
		l.Close()
	}
}

// The descriptor count of a File: Close while a call uses the descriptor
// leaves it open until that call returns, exactly one close happens, and
// nothing acquires it after Close. The handle owns a pipe's only read end,
// so whether it is still open shows in a write to the other end (EPIPE
// once it is closed), whatever the freed number is reused for.
func TestFdHandleClosesOnceAfterTheLastUser(t *testing.T) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	w := p[1]
	defer syscall.Close(w)
	readerOpen := func() bool {
		_, err := syscall.Write(w, []byte("x"))
		return err == nil
	}
	h := &fdHandle{fd: p[0]} // closes p[0]
	if got, err := h.acquire(); err != nil || got != p[0] {
		t.Fatalf("acquire: %d, %v", got, err)
	}
	if _, err := h.acquire(); err != nil {
		t.Fatal(err)
	}
	if err := h.close(); err != nil {
		t.Fatalf("close in use: %v", err)
	}
	if _, err := h.acquire(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("acquire after close: %v", err)
	}
	if err := h.close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	h.release()
	if !readerOpen() {
		t.Fatal("closed while a user remained")
	}
	h.release()
	if readerOpen() {
		t.Fatal("still open after the last user")
	}
}
