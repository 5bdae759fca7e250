//go:build linux && cgo

package uringbridge

import (
	"syscall"
	"unsafe"
)

// Package syscall converts socket addresses only inside its own calls, so
// the library's accept and connect need these two small converters.

// rawSockaddr encodes sa the way the kernel expects it and returns it with
// its length.
func rawSockaddr(sa syscall.Sockaddr) (*syscall.RawSockaddrAny, uint32, error) {
	var raw syscall.RawSockaddrAny
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		if sa.Port < 0 || sa.Port > 0xffff {
			return nil, 0, syscall.EINVAL // as package syscall: never a wrapped port
		}
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&raw))
		p.Family = syscall.AF_INET
		putPort(&p.Port, sa.Port)
		p.Addr = sa.Addr
		return &raw, syscall.SizeofSockaddrInet4, nil
	case *syscall.SockaddrInet6:
		if sa.Port < 0 || sa.Port > 0xffff {
			return nil, 0, syscall.EINVAL
		}
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&raw))
		p.Family = syscall.AF_INET6
		putPort(&p.Port, sa.Port)
		p.Addr = sa.Addr
		p.Scope_id = sa.ZoneId
		return &raw, syscall.SizeofSockaddrInet6, nil
	case *syscall.SockaddrUnix:
		p := (*syscall.RawSockaddrUnix)(unsafe.Pointer(&raw))
		name := sa.Name
		if len(name) > len(p.Path) || (len(name) == len(p.Path) && name[0] != '@') {
			return nil, 0, syscall.EINVAL
		}
		p.Family = syscall.AF_UNIX
		for i := range len(name) {
			p.Path[i] = int8(name[i])
		}
		n := uint32(2) // sa_family
		if len(name) > 0 {
			n += uint32(len(name)) + 1 // with the terminating NUL
		}
		if name != "" && name[0] == '@' {
			// Abstract address: a leading NUL and no terminating one.
			p.Path[0] = 0
			n--
		}
		return &raw, n, nil
	}
	return nil, 0, syscall.EAFNOSUPPORT
}

// sockaddrFromRaw decodes an address the kernel filled in (n bytes of it);
// nil for a family it does not know.
func sockaddrFromRaw(raw *syscall.RawSockaddrAny, n uint32) syscall.Sockaddr {
	switch raw.Addr.Family {
	case syscall.AF_INET:
		p := (*syscall.RawSockaddrInet4)(unsafe.Pointer(raw))
		return &syscall.SockaddrInet4{Port: getPort(&p.Port), Addr: p.Addr}
	case syscall.AF_INET6:
		p := (*syscall.RawSockaddrInet6)(unsafe.Pointer(raw))
		return &syscall.SockaddrInet6{Port: getPort(&p.Port), ZoneId: p.Scope_id, Addr: p.Addr}
	case syscall.AF_UNIX:
		p := (*syscall.RawSockaddrUnix)(unsafe.Pointer(raw))
		pathLen := min(int(n)-2, len(p.Path)) // an unnamed socket has none
		if pathLen <= 0 {
			return &syscall.SockaddrUnix{}
		}
		path := unsafe.Slice((*byte)(unsafe.Pointer(&p.Path[0])), pathLen)
		if path[0] == 0 {
			// Abstract: every byte up to the length counts; Go writes '@'.
			return &syscall.SockaddrUnix{Name: "@" + string(path[1:])}
		}
		end := 0
		for end < len(path) && path[end] != 0 {
			end++
		}
		return &syscall.SockaddrUnix{Name: string(path[:end])}
	}
	return nil
}

// Ports travel in network byte order.
func putPort(dst *uint16, port int) {
	b := (*[2]byte)(unsafe.Pointer(dst))
	b[0], b[1] = byte(port>>8), byte(port)
}

func getPort(src *uint16) int {
	b := (*[2]byte)(unsafe.Pointer(src))
	return int(b[0])<<8 | int(b[1])
}
