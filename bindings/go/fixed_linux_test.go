//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Registered buffers and files, and zero-copy sends, on a default ring and
// on one forced onto the fallback engine (the process's engine follows
// URB_BACKEND): the same results and errors.
func forEachRingKind(t *testing.T, test func(t *testing.T, rg *Ring)) {
	for _, kind := range []struct {
		name string
		opts *RingOptions
	}{{"default", nil}, {"fallback", &RingOptions{Fallback: true}}} {
		t.Run(kind.name, func(t *testing.T) { test(t, newTestRing(t, kind.opts)) })
	}
}

func TestRingFixedBuffers(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 512)
	_, fd := tempFileWith(t, content)
	forEachRingKind(t, func(t *testing.T, rg *Ring) {
		ctx := context.Background()
		mem := make([]byte, 8192)
		if err := rg.UnregisterBuffers(); !errors.Is(err, syscall.ENXIO) {
			t.Fatalf("unregister with none: %v", err)
		}
		if err := rg.RegisterBuffers([][]byte{mem[:4096], nil, mem[4096:]}); err != nil {
			t.Fatal(err)
		}
		if err := rg.RegisterBuffers([][]byte{mem}); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("registered twice: %v", err)
		}
		n, err := rg.Do(ctx, PrepReadFixed(fd, mem[4096+10:4096+110], 1000, 2))
		if err != nil || n != 100 || !bytes.Equal(mem[4096+10:4096+110], content[1000:1100]) {
			t.Fatalf("read_fixed: %d %v", n, err)
		}
		copy(mem, "fixed!")
		if n, err := rg.Do(ctx, PrepWriteFixed(fd, mem[:6], 0, 0)); err != nil || n != 6 {
			t.Fatalf("write_fixed: %d %v", n, err)
		}
		back := make([]byte, 6)
		if _, err := syscall.Pread(fd, back, 0); err != nil || string(back) != "fixed!" {
			t.Fatalf("written: %q %v", back, err)
		}
		// Outside the indexed buffer, an empty slot, past the table.
		for _, op := range []*Op{
			PrepReadFixed(fd, mem[4090:4106], 0, 0),
			PrepReadFixed(fd, mem[:16], 0, 1),
			PrepReadFixed(fd, mem[:16], 0, 3),
		} {
			if _, err := rg.Do(ctx, op); !errors.Is(err, syscall.EFAULT) {
				t.Fatalf("out of range: %v", err)
			}
		}
		if _, err := Submit(PrepReadFixed(fd, mem[:16], 0, 0)); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("blocking face: %v", err)
		}
		if _, err := rg.Do(ctx, PrepReadFixed(fd, mem[:16], 0, 1<<16)); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("index beyond 16 bits: %v", err)
		}
		if err := rg.UnregisterBuffers(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRingFixedFiles(t *testing.T) {
	content := []byte("registered files stay usable")
	path, _ := tempFileWith(t, content)
	forEachRingKind(t, func(t *testing.T, rg *Ring) {
		ctx := context.Background()
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := rg.RegisterFiles([]int{-1, fd}); err != nil {
			syscall.Close(fd)
			t.Fatal(err)
		}
		syscall.Close(fd) // the registered file outlives the descriptor
		buf := make([]byte, 10)
		n, err := rg.Do(ctx, PrepRead(1, buf, 0).FixedFile())
		if err != nil || n != 10 || string(buf) != "registered" {
			t.Fatalf("read by index: %d %v %q", n, err, buf)
		}
		for _, index := range []int{0, 2} {
			if _, err := rg.Do(ctx, PrepRead(index, buf, 0).FixedFile()); !errors.Is(err, syscall.EBADF) {
				t.Fatalf("index %d: %v", index, err)
			}
		}
		if _, err := Submit(PrepRead(1, buf, 0).FixedFile()); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("blocking face: %v", err)
		}
		if _, err := rg.Do(ctx, PrepNop().FixedFile()); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("nop with a registered file: %v", err)
		}
		if err := rg.UnregisterFiles(); err != nil {
			t.Fatal(err)
		}
		if err := rg.UnregisterFiles(); !errors.Is(err, syscall.ENXIO) {
			t.Fatalf("unregistered twice: %v", err)
		}
	})
}

// tcpPairRaw is a connected pair of package net's TCP connections, closed
// at the end of the test, and the client's RawConn.
func tcpPairRaw(t *testing.T) (client, server net.Conn, raw syscall.RawConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	raw, err = client.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return client, server, raw
}

func TestRingSendZc(t *testing.T) {
	forEachRingKind(t, func(t *testing.T, rg *Ring) {
		_, server, raw := tcpPairRaw(t)
		data := bytes.Repeat([]byte("zero-copy "), 3000)
		var n int32
		var sendErr error
		if err := raw.Control(func(fd uintptr) {
			n, sendErr = rg.Do(context.Background(), PrepSendZc(int(fd), data, 0))
		}); err != nil {
			t.Fatal(err)
		}
		if sendErr != nil || int(n) != len(data) {
			t.Fatalf("send_zc: %d %v", n, sendErr)
		}
		got := make([]byte, len(data))
		for off := 0; off < len(got); {
			k, err := server.Read(got[off:])
			if err != nil {
				t.Fatal(err)
			}
			off += k
		}
		if !bytes.Equal(got, data) {
			t.Fatal("received bytes differ")
		}
	})
}

// PrepSendmsgZc: one completion per request carrying the bytes sent, the
// datagram (with its ancillary data) delivered to the address given, and
// again on a resubmission of the same Op; on a connected TCP socket, the
// stream delivered whole.
func TestRingSendmsgZc(t *testing.T) {
	forEachRingKind(t, func(t *testing.T, rg *Ring) {
		ctx := context.Background()
		recv, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer recv.Close()
		raw, err := recv.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_RECVTOS, 1)
		})
		if err != nil {
			t.Fatal(err)
		}
		sender, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(sender)
		to := &syscall.SockaddrInet4{Port: recv.LocalAddr().(*net.UDPAddr).Port, Addr: [4]byte{127, 0, 0, 1}}
		data := bytes.Repeat([]byte("datagram "), 111)
		// IP_TOS 0x20 as ancillary data: the receiver sees it only if oob went out.
		oob := make([]byte, syscall.CmsgSpace(4))
		h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
		h.Level, h.Type = syscall.IPPROTO_IP, syscall.IP_TOS
		h.SetLen(syscall.CmsgLen(4))
		binary.NativeEndian.PutUint32(oob[syscall.CmsgLen(0):], 0x20)
		op := PrepSendmsgZc(sender, data, oob, to, 0)
		for round := range 3 {
			n, err := rg.Do(ctx, op)
			if err != nil || int(n) != len(data) {
				t.Fatalf("round %d: sendmsg_zc %d %v", round, n, err)
			}
			got := make([]byte, 2*len(data))
			goob := make([]byte, 64)
			recv.SetReadDeadline(time.Now().Add(5 * time.Second))
			k, oobn, _, _, err := recv.ReadMsgUDP(got, goob)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:k], data) {
				t.Fatalf("round %d: received %d bytes that differ", round, k)
			}
			msgs, err := syscall.ParseSocketControlMessage(goob[:oobn])
			if err != nil || len(msgs) != 1 || msgs[0].Header.Type != syscall.IP_TOS || msgs[0].Data[0] != 0x20 {
				t.Fatalf("round %d: ancillary data %v %v", round, msgs, err)
			}
		}
		if n, err := rg.Do(ctx, PrepNop()); n != 0 || err != nil {
			t.Fatalf("a nop after the sends: %d %v", n, err)
		}
		if _, err := Submit(op); !errors.Is(err, syscall.EOPNOTSUPP) {
			t.Fatalf("blocking face: %v", err)
		}
		long := &syscall.SockaddrUnix{Name: string(bytes.Repeat([]byte("x"), 200))}
		if _, err := rg.Do(ctx, PrepSendmsgZc(sender, data, nil, long, 0)); !errors.Is(err, syscall.EINVAL) {
			t.Fatalf("an address too long: %v", err)
		}

		_, server, craw := tcpPairRaw(t)
		stream := bytes.Repeat([]byte("zero-copy sendmsg "), 4000)
		done := make(chan []byte)
		go func() {
			got := make([]byte, len(stream))
			n, _ := io.ReadFull(server, got)
			done <- got[:n]
		}()
		var sendErr error
		craw.Control(func(fd uintptr) {
			for off := 0; off < len(stream) && sendErr == nil; { // a send on a ring may be short
				var n int32
				n, sendErr = rg.Do(ctx, PrepSendmsgZc(int(fd), stream[off:], nil, nil, 0))
				if sendErr == nil && n <= 0 {
					sendErr = fmt.Errorf("sendmsg_zc sent %d", n)
				}
				off += int(n)
			}
		})
		if sendErr != nil {
			t.Fatal(sendErr)
		}
		if got := <-done; !bytes.Equal(got, stream) {
			t.Fatalf("the stream arrived as %d bytes that differ", len(got))
		}
	})
}
