//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"
)

func TestEngineMatchesEnvironment(t *testing.T) {
	name := BackendName()
	switch os.Getenv("URB_BACKEND") {
	case "fallback":
		if name != "fallback" || Supported() {
			t.Fatalf("URB_BACKEND=fallback: engine %q, Supported()=%v", name, Supported())
		}
	case "":
		if name != "io_uring" && name != "fallback" {
			t.Fatalf("engine %q", name)
		}
		if Supported() != (name == "io_uring") {
			t.Fatalf("Supported()=%v with engine %q", Supported(), name)
		}
	}
}

func TestVersionIsSemantic(t *testing.T) {
	if v := Version(); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Fatalf("Version() = %q", v)
	}
}

func TestOpSupportedKnowsEveryOpcode(t *testing.T) {
	for code := OpNop; code < opCount; code++ {
		if opNames[code] == "" {
			continue // a number another branch's operations take
		}
		// Kernel 6.x io_uring and the fallback engine perform all of them.
		if !OpSupported(code) {
			t.Errorf("OpSupported(%v) = false", code)
		}
	}
	if OpSupported(opCount) || OpSupported(255) {
		t.Error("an unknown opcode is reported supported")
	}
}

func TestNop(t *testing.T) {
	if err := Nop(); err != nil {
		t.Fatal(err)
	}
}

func TestReadWriteAtOffsets(t *testing.T) {
	_, fd := tempFileWith(t, []byte("hello world"))
	buf := make([]byte, 5)
	if n, err := Read(fd, buf, 6); err != nil || string(buf[:n]) != "world" {
		t.Fatalf("Read at 6 = %d %q %v", n, buf[:n], err)
	}
	if n, err := Write(fd, []byte("HELLO"), 0); err != nil || n != 5 {
		t.Fatalf("Write at 0 = %d %v", n, err)
	}
	all := make([]byte, 32)
	if n, err := Read(fd, all, 0); err != nil || string(all[:n]) != "HELLO world" {
		t.Fatalf("Read at 0 = %d %q %v", n, all[:n], err)
	}
	if n, err := Read(fd, all, 11); err != nil || n != 0 {
		t.Fatalf("Read at end of file = %d %v, want 0 nil", n, err)
	}
	if n, err := Read(fd, all, 1000); err != nil || n != 0 {
		t.Fatalf("Read past end of file = %d %v, want 0 nil", n, err)
	}
	// Offsets leave the file position alone.
	if pos, _ := syscall.Seek(fd, 0, 1); pos != 0 {
		t.Fatalf("file position moved to %d", pos)
	}
}

func TestReadWriteAtFilePosition(t *testing.T) {
	_, fd := tempFileWith(t, []byte("hello world"))
	buf := make([]byte, 5)
	for _, want := range []string{"hello", " worl", "d"} {
		n, err := Read(fd, buf, OffsetCurrent)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("Read = %q %v, want %q", buf[:n], err, want)
		}
	}
	if n, err := Write(fd, []byte("!"), OffsetCurrent); err != nil || n != 1 {
		t.Fatalf("Write = %d %v", n, err)
	}
	if pos, _ := syscall.Seek(fd, 0, 1); pos != 12 {
		t.Fatalf("file position %d, want 12", pos)
	}
}

func TestNegativeOffsetOtherThanCurrentIsInvalid(t *testing.T) {
	_, fd := tempFileWith(t, []byte("x"))
	if _, err := Read(fd, make([]byte, 1), -2); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Read at -2: %v", err)
	}
	if _, err := Write(fd, []byte("x"), -7); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Write at -7: %v", err)
	}
}

func TestReadvWritev(t *testing.T) {
	_, fd := tempFileWith(t, nil)
	n, err := Writev(fd, [][]byte{[]byte("abc"), nil, []byte("defgh")}, 0)
	if err != nil || n != 8 {
		t.Fatalf("Writev = %d %v", n, err)
	}
	a, b := make([]byte, 2), make([]byte, 10)
	n, err = Readv(fd, [][]byte{a, {}, b}, 1)
	if err != nil || n != 7 || string(a) != "bc" || string(b[:5]) != "defgh" {
		t.Fatalf("Readv = %d %v %q %q", n, err, a, b)
	}
	n, err = Writev(fd, [][]byte{[]byte("Z")}, OffsetCurrent)
	if err != nil || n != 1 {
		t.Fatalf("Writev at the file position = %d %v", n, err)
	}
	if n, err := Readv(fd, make([][]byte, 1025), 0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Readv with 1025 buffers = %d %v, want EINVAL", n, err)
	}
}

func TestPipeReadWrite(t *testing.T) {
	r, w := pipe(t)
	if n, err := Write(w, []byte("ping"), OffsetCurrent); err != nil || n != 4 {
		t.Fatalf("Write = %d %v", n, err)
	}
	buf := make([]byte, 16)
	if n, err := Read(r, buf, OffsetCurrent); err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("Read = %q %v", buf[:n], err)
	}
	// A stream has no offsets: both engines ignore the one given (as
	// io_uring does) instead of failing with ESPIPE as pread(2) would.
	if n, err := Write(w, []byte("pong"), 5); err != nil || n != 4 {
		t.Fatalf("Write at an offset to a pipe = %d %v", n, err)
	}
	if n, err := Read(r, buf, 0); err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("Read at an offset from a pipe = %q %v", buf[:n], err)
	}
	if err := Close(w); err != nil {
		t.Fatal(err)
	}
	if n, err := Read(r, buf, OffsetCurrent); err != nil || n != 0 {
		t.Fatalf("Read after the writer closed = %d %v, want 0 nil", n, err)
	}
}

func TestSocketPairSendRecvPollShutdown(t *testing.T) {
	a, b := socketPair(t)
	if ev, err := Poll(a, PollOut); err != nil || ev&PollOut == 0 {
		t.Fatalf("Poll(PollOut) = %#x %v", ev, err)
	}
	if n, err := Send(a, []byte("hello"), 0); err != nil || n != 5 {
		t.Fatalf("Send = %d %v", n, err)
	}
	if ev, err := Poll(b, PollIn); err != nil || ev&PollIn == 0 {
		t.Fatalf("Poll(PollIn) = %#x %v", ev, err)
	}
	buf := make([]byte, 2)
	if n, err := Recv(b, buf, syscall.MSG_PEEK); err != nil || string(buf[:n]) != "he" {
		t.Fatalf("Recv(MSG_PEEK) = %q %v", buf[:n], err)
	}
	buf = make([]byte, 16)
	if n, err := Recv(b, buf, 0); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("Recv = %q %v", buf[:n], err)
	}
	if err := Shutdown(a, syscall.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if n, err := Recv(b, buf, 0); err != nil || n != 0 {
		t.Fatalf("Recv after the peer's SHUT_WR = %d %v, want 0 nil", n, err)
	}
	if err := Shutdown(a, 7); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Shutdown(how=7): %v", err)
	}
}

func TestSendToClosedPeerIsEPIPEWithoutSignal(t *testing.T) {
	a, b := socketPair(t)
	syscall.Close(b)
	// Without MSG_NOSIGNAL this would be SIGPIPE, which kills the test binary.
	if _, err := Send(a, []byte("x"), 0); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Send to a closed peer: %v, want EPIPE", err)
	}
}

func TestTCPLoopbackConnectAccept(t *testing.T) {
	lfd, addr := tcpListener(t)
	client := tcpSocket(t)
	// The kernel completes the handshake from the backlog, so connecting
	// before accepting works on one goroutine.
	if err := Connect(client, addr); err != nil {
		t.Fatal(err)
	}
	server, peer, err := Accept(lfd, syscall.SOCK_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(server)
	local, _ := syscall.Getsockname(client)
	p4, ok := peer.(*syscall.SockaddrInet4)
	if !ok || p4.Addr != [4]byte{127, 0, 0, 1} || p4.Port != local.(*syscall.SockaddrInet4).Port {
		t.Fatalf("Accept's peer %#v, the client is %#v", peer, local)
	}
	if flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, uintptr(server), syscall.F_GETFD, 0); flags&syscall.FD_CLOEXEC == 0 {
		t.Error("SOCK_CLOEXEC was not applied to the accepted socket")
	}
	if _, err := Send(client, []byte("GET /"), 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := Recv(server, buf, 0); err != nil || string(buf[:n]) != "GET /" {
		t.Fatalf("Recv = %q %v", buf[:n], err)
	}
}

func TestConnectToClosedPortIsRefused(t *testing.T) {
	lfd, addr := tcpListener(t)
	syscall.Close(lfd) // nobody listens on addr any more
	if err := Connect(tcpSocket(t), addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Connect: %v, want ECONNREFUSED", err)
	}
}

func TestConnectAndAcceptUnixSockets(t *testing.T) {
	// Paths and abstract names ('@': Go's spelling of the leading NUL); an
	// unbound client is reported as an unnamed peer.
	dir := t.TempDir()
	abstract := fmt.Sprintf("@uringbridge-go-test-%d", os.Getpid())
	for _, c := range []struct{ name, clientName string }{
		{filepath.Join(dir, "a"), ""},
		{filepath.Join(dir, "b"), filepath.Join(dir, "b-client")},
		{abstract, abstract + "-client"},
	} {
		name, clientName := c.name, c.clientName
		lfd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(lfd)
		if err := syscall.Bind(lfd, &syscall.SockaddrUnix{Name: name}); err != nil {
			t.Fatal(err)
		}
		syscall.Listen(lfd, 8)
		cfd, _ := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		defer syscall.Close(cfd)
		if clientName != "" {
			if err := syscall.Bind(cfd, &syscall.SockaddrUnix{Name: clientName}); err != nil {
				t.Fatal(err)
			}
		}
		if err := Connect(cfd, &syscall.SockaddrUnix{Name: name}); err != nil {
			t.Fatalf("Connect to %q: %v", name, err)
		}
		if peer, err := syscall.Getpeername(cfd); err != nil || peer.(*syscall.SockaddrUnix).Name != name {
			t.Fatalf("connected to %#v (%v), want %q", peer, err, name)
		}
		nfd, peer, err := Accept(lfd, syscall.SOCK_CLOEXEC)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Close(nfd)
		if u, ok := peer.(*syscall.SockaddrUnix); !ok || u.Name != clientName {
			t.Fatalf("Accept's peer %#v, want the name %q", peer, clientName)
		}
	}
}

func TestOpenatFsyncStatxClose(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new")
	fd, err := Openat(AtFdcwd, path, syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(fd, []byte("twelve bytes"), 0); err != nil {
		t.Fatal(err)
	}
	if err := Fsync(fd, false); err != nil {
		t.Fatal(err)
	}
	if err := Fsync(fd, true); err != nil {
		t.Fatal(err)
	}
	st, err := Fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != 12 || st.Mode&0o777 != 0o640 || st.FileMode().IsRegular() == false {
		t.Fatalf("Fstat: size %d mode %o", st.Size, st.Mode)
	}
	// Relative to a directory descriptor, as well as by path.
	dfd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dfd)
	byDir, err := Statx(dfd, "new", 0, StatxBasicStats)
	if err != nil {
		t.Fatal(err)
	}
	var sys syscall.Stat_t
	if err := syscall.Stat(path, &sys); err != nil {
		t.Fatal(err)
	}
	if byDir.Ino != sys.Ino || byDir.Size != uint64(sys.Size) || byDir.Nlink != uint32(sys.Nlink) ||
		!byDir.Mtime.Equal(time.Unix(sys.Mtim.Unix())) {
		t.Fatalf("Statx %+v disagrees with stat(2) %+v", byDir, sys)
	}
	if err := Close(fd); err != nil {
		t.Fatal(err)
	}
	if isOpen(fd) {
		t.Fatal("Close left the descriptor open")
	}
	again, err := Openat(dfd, "new", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	Close(again)
	if _, err := Openat(AtFdcwd, path, syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v", err)
	}
}

func TestErrorsCarryTheErrnoAndTheOperation(t *testing.T) {
	_, err := Read(badFD, make([]byte, 1), 0)
	var se *os.SyscallError
	if !errors.Is(err, syscall.EBADF) || !errors.As(err, &se) || se.Syscall != "read" {
		t.Fatalf("Read(bad fd): %#v", err)
	}
	if err := Close(badFD); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Close(bad fd): %v", err)
	}
	if err := Fsync(badFD, false); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Fsync(bad fd): %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	_, err = Openat(AtFdcwd, missing, syscall.O_RDONLY, 0)
	var pe *os.PathError
	if !errors.Is(err, syscall.ENOENT) || !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) ||
		pe.Path != missing || pe.Op != "openat" {
		t.Fatalf("Openat(missing): %#v", err)
	}
	if _, err := Statx(AtFdcwd, missing, 0, StatxBasicStats); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Statx(missing): %v", err)
	}
	if _, err := Openat(AtFdcwd, "bad\x00path", syscall.O_RDONLY, 0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Openat(path with NUL): %v", err)
	}
	if err := Connect(tcpSocket(t), &syscall.SockaddrLinklayer{}); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Connect(unsupported address type): %v", err)
	}
	// The kernel's own refusals come through unchanged, on both engines.
	r, _ := pipe(t)
	if _, err := Recv(r, make([]byte, 1), 0); !errors.Is(err, syscall.ENOTSOCK) {
		t.Fatalf("Recv on a pipe: %v", err)
	}
	if err := Shutdown(r, syscall.SHUT_RDWR); !errors.Is(err, syscall.ENOTSOCK) {
		t.Fatalf("Shutdown of a pipe: %v", err)
	}
	if err := Fsync(r, false); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Fsync of a pipe: %v", err)
	}
	if _, _, err := Accept(tcpSocket(t), 0); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Accept on a socket that does not listen: %v", err)
	}
	if _, err := Openat(badFD, "relative", syscall.O_RDONLY, 0); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Openat relative to a bad directory descriptor: %v", err)
	}
	if _, err := Poll(r, 0x10000); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Poll for events beyond 16 bits: %v", err)
	}
}

func TestSleepWaitsAtLeastItsDuration(t *testing.T) {
	start := time.Now()
	if err := Sleep(30 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 30*time.Millisecond {
		t.Fatalf("Sleep(30ms) returned after %v", elapsed)
	}
	if err := Sleep(-time.Second); err != nil {
		t.Fatalf("Sleep(negative): %v", err)
	}
}

func TestEmptyBuffersAreZeroLengthTransfers(t *testing.T) {
	_, fd := tempFileWith(t, []byte("abc"))
	if n, err := Read(fd, nil, 0); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d %v", n, err)
	}
	if n, err := Write(fd, []byte{}, 0); n != 0 || err != nil {
		t.Fatalf("Write(empty) = %d %v", n, err)
	}
	buf := make([]byte, 3)
	if _, err := Read(fd, buf, 0); err != nil || !bytes.Equal(buf, []byte("abc")) {
		t.Fatalf("file changed: %q %v", buf, err)
	}
}
