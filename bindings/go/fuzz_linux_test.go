//go:build linux && cgo

package uringbridge

// Fuzz targets for what the binding decodes and builds itself: socket
// addresses (to the kernel's bytes and back) and requests (the Prep*
// constructors). `go test` runs their seeds (below and in testdata/fuzz);
// `make fuzz` runs each with -fuzz for a bounded time.

import (
	"bytes"
	"reflect"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

const sizeofRawSockaddrAny = int(unsafe.Sizeof(syscall.RawSockaddrAny{}))

// The address the kernel would report for sa: a pathname ends at its first
// NUL (the kernel reads a C string); an abstract name keeps every byte.
func normalized(sa syscall.Sockaddr) syscall.Sockaddr {
	if u, ok := sa.(*syscall.SockaddrUnix); ok && u.Name != "" && u.Name[0] != '@' {
		if i := bytes.IndexByte([]byte(u.Name), 0); i >= 0 {
			return &syscall.SockaddrUnix{Name: u.Name[:i]}
		}
	}
	return sa
}

// FuzzSockaddrEncode: an address the binding agrees to encode decodes back
// to itself, and one it refuses is one the kernel could not take either.
func FuzzSockaddrEncode(f *testing.F) {
	f.Add(uint8(0), 80, []byte{127, 0, 0, 1}, uint32(0), "")
	f.Add(uint8(1), 443, []byte{0xfe, 0x80, 15: 1}, uint32(2), "")
	f.Add(uint8(2), 0, []byte(nil), uint32(0), "/tmp/socket")
	f.Add(uint8(2), 0, []byte(nil), uint32(0), "@abstract\x00name")
	f.Add(uint8(2), 0, []byte(nil), uint32(0), "@")
	f.Add(uint8(2), 0, []byte(nil), uint32(0), "")
	f.Fuzz(func(t *testing.T, kind uint8, port int, addr []byte, zone uint32, name string) {
		var sa syscall.Sockaddr
		switch kind % 3 {
		case 0:
			a := &syscall.SockaddrInet4{Port: port}
			copy(a.Addr[:], addr)
			sa = a
		case 1:
			a := &syscall.SockaddrInet6{Port: port, ZoneId: zone}
			copy(a.Addr[:], addr)
			sa = a
		default:
			if name != "" && name[0] == 0 {
				// Neither a pathname nor (without Go's '@') an abstract
				// name: the kernel and package syscall disagree on it.
				return
			}
			sa = &syscall.SockaddrUnix{Name: name}
		}
		_, isUnix := sa.(*syscall.SockaddrUnix)
		// The kernel's port field has 16 bits: a port outside them must be
		// refused (package syscall says EINVAL), not wrapped around.
		badPort := !isUnix && (port < 0 || port > 0xffff)
		tooLong := isUnix && len(name) >= len(syscall.RawSockaddrUnix{}.Path) && (len(name) > len(syscall.RawSockaddrUnix{}.Path) || name[0] != '@')
		raw, n, err := rawSockaddr(sa)
		if err != nil {
			if badPort || tooLong {
				return
			}
			t.Fatalf("rawSockaddr(%#v) refused: %v", sa, err)
		}
		if badPort {
			t.Fatalf("rawSockaddr(%#v) accepted port %d (encoded as %d)", sa, port, port&0xffff)
		}
		if tooLong {
			t.Fatalf("rawSockaddr(%#v) accepted a name longer than sun_path", sa)
		}
		if int(n) > sizeofRawSockaddrAny || n < 2 {
			t.Fatalf("rawSockaddr(%#v) length %d", sa, n)
		}
		got := sockaddrFromRaw(raw, n)
		if want := normalized(sa); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip: %#v -> %d bytes -> %#v", want, n, got)
		}
	})
}

// FuzzSockaddrDecode: whatever bytes and length the kernel hands back,
// decoding neither panics nor reads past the buffer, and what it decodes
// encodes back to bytes that decode to the same address.
func FuzzSockaddrDecode(f *testing.F) {
	f.Add([]byte{byte(syscall.AF_INET), 0, 0x1f, 0x90, 127, 0, 0, 1}, uint32(16))
	f.Add([]byte{byte(syscall.AF_INET6), 0, 1, 0xbb}, uint32(28))
	f.Add([]byte{byte(syscall.AF_UNIX), 0, '/', 't', 'm', 'p', 0}, uint32(7))
	f.Add([]byte{byte(syscall.AF_UNIX), 0, 0, 'x', 0, 'y'}, uint32(6))
	f.Add([]byte{byte(syscall.AF_UNIX), 0}, uint32(2))
	f.Add([]byte{byte(syscall.AF_UNIX), 0}, uint32(0))
	f.Fuzz(func(t *testing.T, data []byte, n uint32) {
		var raw syscall.RawSockaddrAny
		copy((*[sizeofRawSockaddrAny]byte)(unsafe.Pointer(&raw))[:], data)
		// The kernel reports at most the buffer's size.
		n %= uint32(sizeofRawSockaddrAny) + 1
		sa := sockaddrFromRaw(&raw, n)
		if sa == nil {
			switch raw.Addr.Family {
			case syscall.AF_INET, syscall.AF_INET6, syscall.AF_UNIX:
				t.Fatalf("family %d not decoded", raw.Addr.Family)
			}
			return
		}
		again, m, err := rawSockaddr(sa)
		if u, ok := sa.(*syscall.SockaddrUnix); ok && err != nil && len(u.Name) == len(syscall.RawSockaddrUnix{}.Path) {
			// A pathname filling sun_path with no NUL: Linux reports it,
			// but, like package syscall, the encoder wants room for a NUL.
			return
		}
		if err != nil {
			t.Fatalf("decoded %#v cannot be encoded: %v", sa, err)
		}
		if back := sockaddrFromRaw(again, m); !reflect.DeepEqual(back, sa) {
			t.Fatalf("%#v -> %d bytes -> %#v", sa, m, back)
		}
	})
}

// FuzzPrep: the constructors put their arguments where the library reads
// them, refuse what cannot be built (a negative offset, a path with a NUL)
// with an error every submission returns, and never panic.
func FuzzPrep(f *testing.F) {
	f.Add(uint8(0), 3, int64(0), 16, "", int64(0))
	f.Add(uint8(1), 4, int64(-1), 1, "", int64(0))
	f.Add(uint8(2), -100, int64(0), 0, "file\x00name", int64(0))
	f.Add(uint8(3), 0, int64(0), 0, "", int64(-5))
	f.Fuzz(func(t *testing.T, kind uint8, fd int, off int64, n int, path string, d int64) {
		n = max(0, n%4096)
		p := make([]byte, n)
		var op *Op
		switch kind % 6 {
		case 0:
			op = PrepRead(fd, p, off)
		case 1:
			op = PrepWrite(fd, p, off)
		case 2:
			op = PrepOpenat(fd, path, 0, 0o600)
		case 3:
			op = PrepTimeout(time.Duration(d))
		case 4:
			op = PrepReadv(fd, [][]byte{p, p[:n/2]}, off)
		default:
			op = PrepRecv(fd, p, int(off))
		}
		wantErr := false
		switch kind % 6 {
		case 0, 1, 4:
			wantErr = off < 0 && off != OffsetCurrent
		case 2:
			wantErr = bytes.IndexByte([]byte(path), 0) >= 0
		}
		if (op.err != nil) != wantErr {
			t.Fatalf("kind %d fd %d off %d path %q: construction error %v, want error %v", kind%6, fd, off, path, op.err, wantErr)
		}
		if wantErr {
			if _, err := Submit(op); err == nil || op.errRes != -int32(syscall.EINVAL) {
				t.Fatalf("a request that cannot be built was submitted: %v", err)
			}
			return
		}
		if kind%6 != 3 && int32(op.raw.fd) != int32(fd) {
			t.Fatalf("fd %d became %d", fd, op.raw.fd)
		}
		switch kind % 6 {
		case 0, 1, 5:
			if int(op.raw.len) != n {
				t.Fatalf("len %d became %d", n, op.raw.len)
			}
			if n > 0 && uintptr(op.raw.buf) != uintptr(unsafe.Pointer(&p[0])) {
				t.Fatal("buffer not where the library reads it")
			}
		case 3:
			if want := uint64(max(d, 0)); uint64(op.raw.offset) != want {
				t.Fatalf("timeout %d became %d ns", d, op.raw.offset)
			}
		case 4:
			if op.raw.len != 2 {
				t.Fatalf("iovec count %d", op.raw.len)
			}
		}
		if kind%6 < 2 || kind%6 == 4 {
			want := uint64(off)
			if off == OffsetCurrent {
				want = ^uint64(0)
			}
			if uint64(op.raw.offset) != want {
				t.Fatalf("offset %d became %d", off, op.raw.offset)
			}
		}
	})
}
