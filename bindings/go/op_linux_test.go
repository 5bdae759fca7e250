//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestSubmitEveryOperation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")

	mustSubmit := func(op *Op) int32 {
		t.Helper()
		res, err := Submit(op)
		if err != nil || res < 0 {
			t.Fatalf("Submit(%v) = %d %v", op.Opcode(), res, err)
		}
		return res
	}

	mustSubmit(PrepNop())
	fd := int(mustSubmit(PrepOpenat(AtFdcwd, path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_CLOEXEC, 0o600)))
	if n := mustSubmit(PrepWrite(fd, []byte("0123456789"), 0)); n != 10 {
		t.Fatalf("write: %d", n)
	}
	if n := mustSubmit(PrepWritev(fd, [][]byte{[]byte("ab"), []byte("cd")}, 10)); n != 4 {
		t.Fatalf("writev: %d", n)
	}
	buf := make([]byte, 4)
	if n := mustSubmit(PrepRead(fd, buf, 3)); n != 4 || string(buf) != "3456" {
		t.Fatalf("read: %d %q", n, buf)
	}
	x, y := make([]byte, 3), make([]byte, 3)
	if n := mustSubmit(PrepReadv(fd, [][]byte{x, y}, 8)); n != 6 || string(x)+string(y) != "89abcd" {
		t.Fatalf("readv: %d %q %q", n, x, y)
	}
	mustSubmit(PrepFsync(fd, false))
	mustSubmit(PrepFsync(fd, true))
	var st Stat
	mustSubmit(PrepStatx(AtFdcwd, path, 0, StatxBasicStats, &st))
	if st.Size != 14 || !st.FileMode().IsRegular() {
		t.Fatalf("statx: %+v", st)
	}
	mustSubmit(PrepClose(fd))
	if isOpen(fd) {
		t.Fatal("close op left the descriptor open")
	}

	a, b := socketPair(t)
	mustSubmit(PrepSend(a, []byte("hi"), 0))
	if ev := mustSubmit(PrepPoll(b, PollIn)); uint32(ev)&PollIn == 0 {
		t.Fatalf("poll: %#x", ev)
	}
	if n := mustSubmit(PrepRecv(b, buf, 0)); string(buf[:n]) != "hi" {
		t.Fatalf("recv: %q", buf[:n])
	}
	mustSubmit(PrepShutdown(a, syscall.SHUT_RDWR))

	lfd, addr := tcpListener(t)
	client := tcpSocket(t)
	mustSubmit(PrepConnect(client, addr))
	accept := PrepAccept(lfd, syscall.SOCK_CLOEXEC)
	nfd := int(mustSubmit(accept))
	defer syscall.Close(nfd)
	local, _ := syscall.Getsockname(client)
	if p, ok := accept.Sockaddr().(*syscall.SockaddrInet4); !ok || p.Port != local.(*syscall.SockaddrInet4).Port {
		t.Fatalf("accept's peer %#v, the client is %#v", accept.Sockaddr(), local)
	}

	start := time.Now()
	mustSubmit(PrepTimeout(20 * time.Millisecond))
	if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
		t.Fatalf("timeout op returned after %v", elapsed)
	}
}

func TestSubmitFailureIsWrappedWithTheOperation(t *testing.T) {
	res, err := Submit(PrepRead(badFD, make([]byte, 1), 0))
	var se *os.SyscallError
	if res != -int32(syscall.EBADF) || !errors.Is(err, syscall.EBADF) || !errors.As(err, &se) || se.Syscall != "read" {
		t.Fatalf("Submit(read on bad fd) = %d %#v", res, err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	res, err = Submit(PrepOpenat(AtFdcwd, missing, syscall.O_RDONLY, 0))
	var pe *os.PathError
	if res != -int32(syscall.ENOENT) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Path != missing {
		t.Fatalf("Submit(openat missing) = %d %#v", res, err)
	}
	if _, err := Submit(PrepStatx(AtFdcwd, missing, 0, StatxBasicStats, nil)); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("Submit(statx missing): %v", err)
	}
	if _, err := Submit(nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Submit(nil): %v", err)
	}
}

func TestOpThatCannotBeBuiltFailsOnEverySubmission(t *testing.T) {
	for _, op := range []*Op{
		PrepOpenat(AtFdcwd, "a\x00b", syscall.O_RDONLY, 0),
		PrepStatx(AtFdcwd, "a\x00b", 0, StatxBasicStats, nil),
		PrepRead(0, make([]byte, 1), -5),
		PrepWritev(1, nil, -5),
		PrepConnect(0, &syscall.SockaddrLinklayer{}),
	} {
		for range 2 {
			if res, err := Submit(op); res != -int32(syscall.EINVAL) || !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("Submit(%v) = %d %v, want EINVAL", op.Opcode(), res, err)
			}
		}
	}
}

func TestOpCanBeSubmittedAgain(t *testing.T) {
	r, w := pipe(t)
	buf := make([]byte, 8)
	read := PrepRead(r, buf, OffsetCurrent)
	for _, msg := range []string{"one", "two", "three"} {
		Write(w, []byte(msg), OffsetCurrent)
		if n, err := Submit(read); err != nil || string(buf[:n]) != msg {
			t.Fatalf("submission for %q: %q %v", msg, buf[:n], err)
		}
	}
	lfd, addr := tcpListener(t)
	accept := PrepAccept(lfd, syscall.SOCK_CLOEXEC)
	for range 2 {
		c := tcpSocket(t)
		if err := Connect(c, addr); err != nil {
			t.Fatal(err)
		}
		nfd, err := Submit(accept)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Close(int(nfd))
		local, _ := syscall.Getsockname(c)
		if p, ok := accept.Sockaddr().(*syscall.SockaddrInet4); !ok || p.Port != local.(*syscall.SockaddrInet4).Port {
			t.Fatalf("second accept reports %#v, the client is %#v", accept.Sockaddr(), local)
		}
	}
}

// Each submission pins the Go memory an Op names and unpins it afterwards.
// With the garbage collector running constantly, the data must still land
// in the right buffers, and the default cgocheck must find nothing to
// complain about (it panics on unpinned Go pointers inside struct urb_op).
func TestOpBuffersSurviveGarbageCollection(t *testing.T) {
	_, fd := tempFileWith(t, bytes.Repeat([]byte("0123456789abcdef"), 256))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for i := range 300 {
		bufs := [][]byte{make([]byte, 7), make([]byte, 9)}
		op := PrepReadv(fd, bufs, int64(i%16))
		single := make([]byte, 16)
		ops := []*Op{op, PrepRead(fd, single, 16), PrepNop()}
		runtime.GC()
		if _, err := SubmitChain(ops); err != nil {
			t.Fatal(err)
		}
		want := "0123456789abcdef0123456789abcdef"[i%16:]
		if got := string(bufs[0]) + string(bufs[1]); got != want[:16] {
			t.Fatalf("round %d: readv got %q want %q", i, got, want[:16])
		}
		if string(single) != "0123456789abcdef" {
			t.Fatalf("round %d: read got %q", i, single)
		}
	}
}

func TestChainRunsInOrder(t *testing.T) {
	_, fd := tempFileWith(t, nil)
	readBack := make([]byte, 11)
	results, err := SubmitChain([]*Op{
		PrepWrite(fd, []byte("hello "), 0),
		PrepWrite(fd, []byte("world"), 6),
		PrepFsync(fd, true),
		PrepRead(fd, readBack, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(results, []int32{6, 5, 0, 11}) || string(readBack) != "hello world" {
		t.Fatalf("results %v, read back %q", results, readBack)
	}
}

func TestChainFailingMidwayCancelsTheRest(t *testing.T) {
	path, fd := tempFileWith(t, []byte("untouched"))
	results, err := SubmitChain([]*Op{
		PrepNop(),
		PrepRead(badFD, make([]byte, 4), 0),
		PrepWrite(fd, []byte("CHANGED"), 0),
		PrepNop(),
	})
	ecanceled := -int32(syscall.ECANCELED)
	if !slices.Equal(results, []int32{0, -int32(syscall.EBADF), ecanceled, ecanceled}) {
		t.Fatalf("results %v", results)
	}
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Index != 1 || !errors.Is(err, syscall.EBADF) || errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("error %#v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "untouched" {
		t.Fatalf("a cancelled write ran: the file holds %q", got)
	}
}

func TestChainShortReadBreaksTheChain(t *testing.T) {
	_, src := tempFileWith(t, []byte("short"))
	dstPath, dst := tempFileWith(t, nil)
	buf := make([]byte, 100)
	results, err := SubmitChain([]*Op{PrepRead(src, buf, 0), PrepWrite(dst, buf, 0)})
	if !slices.Equal(results, []int32{5, -int32(syscall.ECANCELED)}) {
		t.Fatalf("results %v", results)
	}
	// No request failed with an errno of its own; the one cancelled for the
	// short read is reported.
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Index != 1 || !errors.Is(err, syscall.ECANCELED) {
		t.Fatalf("error %v", err)
	}
	if got, _ := os.ReadFile(dstPath); len(got) != 0 {
		t.Fatalf("the write after a short read ran: %q", got)
	}
}

func TestChainSleepThenWrite(t *testing.T) {
	_, fd := tempFileWith(t, nil)
	start := time.Now()
	results, err := SubmitChain([]*Op{PrepTimeout(20 * time.Millisecond), PrepWrite(fd, []byte("late"), 0)})
	if err != nil || !slices.Equal(results, []int32{0, 4}) {
		t.Fatalf("results %v, %v", results, err)
	}
	if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
		t.Fatalf("the write ran after %v, before the sleep ended", elapsed)
	}
}

func TestChainLengthLimits(t *testing.T) {
	if res, err := SubmitChain(nil); res != nil || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("empty chain: %v %v", res, err)
	}
	long := make([]*Op, ChainMax+1)
	for i := range long {
		long[i] = PrepNop()
	}
	if res, err := SubmitChain(long); res != nil || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("chain of %d: %v %v", len(long), res, err)
	}
	results, err := SubmitChain(long[:ChainMax])
	if err != nil || len(results) != ChainMax || slices.ContainsFunc(results, func(r int32) bool { return r != 0 }) {
		t.Fatalf("chain of %d nops: %v", ChainMax, err)
	}
}

func TestChainWithAnUnbuildableOpSubmitsNothing(t *testing.T) {
	path, fd := tempFileWith(t, []byte("untouched"))
	for _, bad := range []*Op{PrepOpenat(AtFdcwd, "bad\x00path", 0, 0), nil} {
		results, err := SubmitChain([]*Op{PrepWrite(fd, []byte("CHANGED"), 0), bad, PrepNop()})
		ecanceled := -int32(syscall.ECANCELED)
		if !slices.Equal(results, []int32{ecanceled, -int32(syscall.EINVAL), ecanceled}) {
			t.Fatalf("results %v", results)
		}
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Index != 1 || !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("error %v", err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != "untouched" {
		t.Fatalf("a request of a refused chain ran: %q", got)
	}
}

func TestChainRefusedByTheLibraryNamesTheRequest(t *testing.T) {
	// Poll events beyond 16 bits are refused by the library's validation;
	// nothing of the chain runs.
	path, fd := tempFileWith(t, []byte("untouched"))
	results, err := SubmitChain([]*Op{PrepWrite(fd, []byte("CHANGED"), 0), PrepPoll(fd, 0x10000)})
	ecanceled := -int32(syscall.ECANCELED)
	if !slices.Equal(results, []int32{ecanceled, -int32(syscall.EINVAL)}) {
		t.Fatalf("results %v", results)
	}
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Index != 1 || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("error %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "untouched" {
		t.Fatalf("a request of a refused chain ran: %q", got)
	}
}

func TestSubmitTimeoutFiresAndCancels(t *testing.T) {
	r, w := pipe(t)
	buf := make([]byte, 8)
	res, err := SubmitTimeout(PrepRead(r, buf, OffsetCurrent), 20*time.Millisecond)
	var se *os.SyscallError
	if res != -int32(syscall.ETIME) || !errors.Is(err, syscall.ETIME) || !errors.As(err, &se) || se.Syscall != "read" {
		t.Fatalf("read of an idle pipe with a timeout = %d %v", res, err)
	}
	if _, err := SubmitTimeout(PrepPoll(r, PollIn), 10*time.Millisecond); !errors.Is(err, syscall.ETIME) {
		t.Fatalf("poll of an idle pipe with a timeout: %v", err)
	}
	// The timed-out read was cancelled, not left pending: it must not eat
	// data written afterwards.
	Write(w, []byte("after"), OffsetCurrent)
	if n, err := Read(r, buf, OffsetCurrent); err != nil || string(buf[:n]) != "after" {
		t.Fatalf("read after the timeout = %q %v", buf[:n], err)
	}
}

func TestSubmitTimeoutDoesNotFireForAPromptRequest(t *testing.T) {
	r, w := pipe(t)
	Write(w, []byte("ready"), OffsetCurrent)
	buf := make([]byte, 8)
	if n, err := SubmitTimeout(PrepRead(r, buf, OffsetCurrent), time.Minute); err != nil || string(buf[:n]) != "ready" {
		t.Fatalf("= %q %v", buf[:n], err)
	}
	if res, err := SubmitTimeout(PrepNop(), time.Minute); res != 0 || err != nil {
		t.Fatalf("nop = %d %v", res, err)
	}
	// A request that fails by itself reports its own error, not ETIME.
	if _, err := SubmitTimeout(PrepClose(badFD), time.Minute); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("close of a bad fd with a timeout: %v", err)
	}
}
