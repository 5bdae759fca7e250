//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
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

func TestRingSendZc(t *testing.T) {
	forEachRingKind(t, func(t *testing.T, rg *Ring) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		client, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		raw, err := client.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
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
