//go:build linux && cgo

package uringbridge

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// badFD is a descriptor number no test process has open (far above any
// RLIMIT_NOFILE soft limit a test runs with), so using it gives EBADF.
const badFD = 1 << 20

// tempFileWith creates a file holding content and returns its path and an
// open read-write descriptor, closed at the end of the test.
func tempFileWith(t *testing.T, content []byte) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return path, fd
}

// pipe returns the read and write ends of a pipe, closed at the end of the
// test unless the test closes them itself (then the cleanup's EBADF is
// ignored).
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(p[0]); syscall.Close(p[1]) })
	return p[0], p[1]
}

// socketPair returns two connected AF_UNIX stream sockets.
func socketPair(t *testing.T) (a, b int) {
	t.Helper()
	p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(p[0]); syscall.Close(p[1]) })
	return p[0], p[1]
}

// tcpListener returns a blocking listening socket on 127.0.0.1 and its
// address (the kernel picks the port).
func tcpListener(t *testing.T) (int, *syscall.SockaddrInet4) {
	t.Helper()
	fd := tcpSocket(t)
	loopback := &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := syscall.Bind(fd, loopback); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 64); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fd, sa.(*syscall.SockaddrInet4)
}

// tcpSocket returns a blocking, unconnected IPv4 stream socket.
func tcpSocket(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	return fd
}

// isOpen reports whether fd is an open descriptor of this process.
func isOpen(fd int) bool {
	_, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
	return errno == 0
}
