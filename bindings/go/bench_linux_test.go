//go:build linux && cgo

package uringbridge

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// Benchmarks (not tests: they assert nothing about speed). bench.sh runs
// them next to the C figure of the same round trip.

// BenchmarkNop is the blocking face's round trip: one cgo call into
// urb_nop, which goes through the calling thread's ring.
func BenchmarkNop(b *testing.B) {
	for b.Loop() {
		if err := Nop(); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRing(b *testing.B) *Ring {
	rg, err := NewRing(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rg.Close() })
	return rg
}

// BenchmarkRingDoNop is one goroutine's Ring.Do round trip: submit, the
// owner thread, the eventfd in the netpoller, the reaper, the channel.
func BenchmarkRingDoNop(b *testing.B) {
	rg := benchRing(b)
	op := PrepNop()
	ctx := context.Background()
	for b.Loop() {
		if _, err := rg.Do(ctx, op); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRingDoNopParallel: many goroutines at once (completions are
// reaped in batches).
func BenchmarkRingDoNopParallel(b *testing.B) {
	rg := benchRing(b)
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		op := PrepNop()
		ctx := context.Background()
		for pb.Next() {
			if _, err := rg.Do(ctx, op); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRingDoBatch32Nop: 32 NOPs per DoBatch (urb_ring_submit_batch);
// ns/op is per NOP.
func BenchmarkRingDoBatch32Nop(b *testing.B) {
	rg := benchRing(b)
	ops := make([]*Op, 32)
	for i := range ops {
		ops[i] = PrepNop()
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := rg.DoBatch(ctx, ops); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*32), "ns/nop")
}

// BenchmarkPinUnpin is what pinning a buffer for one request costs.
func BenchmarkPinUnpin(b *testing.B) {
	buf := make([]byte, 4096)
	var p runtime.Pinner
	for b.Loop() {
		p.Pin(&buf[0])
		p.Unpin()
	}
}

// The file reads of the benchmark: 4 KiB at random (block-aligned)
// offsets of a 64 MiB file in the page cache, by 32 goroutines at once,
// through a File on an async ring against *os.File (each ReadAt a pread(2)
// on the calling goroutine's thread) and against the blocking-face File.
const (
	readAtBlock      = 4096
	readAtFileSize   = 64 << 20
	readAtGoroutines = 32
)

var readAtFile struct {
	once sync.Once
	path string
	err  error
}

// readAtPath creates the file once per test binary (writing it leaves it
// in the page cache for every variant), removed by TestMain at the end.
func readAtPath(b *testing.B) string {
	readAtFile.once.Do(func() {
		dir, err := os.MkdirTemp("", "urb-go-bench")
		if err != nil {
			readAtFile.err = err
			return
		}
		afterTests = append(afterTests, func() { os.RemoveAll(dir) })
		readAtFile.path = filepath.Join(dir, "data")
		data := make([]byte, readAtFileSize)
		rand.NewChaCha8([32]byte{1}).Read(data)
		readAtFile.err = os.WriteFile(readAtFile.path, data, 0o600)
	})
	if readAtFile.err != nil {
		b.Fatal(readAtFile.err)
	}
	return readAtFile.path
}

// benchReadAt runs b.N ReadAts of 4 KiB, shared among 32 goroutines.
func benchReadAt(b *testing.B, r io.ReaderAt) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(readAtBlock)
	b.ResetTimer()
	for g := range readAtGoroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			buf := make([]byte, readAtBlock)
			for next.Add(1) <= int64(b.N) {
				off := rng.Int64N(readAtFileSize/readAtBlock) * readAtBlock
				if n, err := r.ReadAt(buf, off); n != readAtBlock || err != nil {
					b.Errorf("ReadAt %d: %d, %v", off, n, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkFileReadAt4KRandom32Ring(b *testing.B) {
	rg := benchRing(b)
	f, err := rg.Open(readAtPath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	before, _ := rg.Stats()
	benchReadAt(b, f)
	// Where a ring request's cost goes: io_uring_enter calls and wake-ups
	// of a sleeping owner thread, per read.
	after, _ := rg.Stats()
	b.ReportMetric(float64(after.Enters-before.Enters)/float64(b.N), "enters/op")
	b.ReportMetric(float64(after.Wakeups-before.Wakeups)/float64(b.N), "wakeups/op")
}

func BenchmarkFileReadAt4KRandom32OS(b *testing.B) {
	f, err := os.Open(readAtPath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	benchReadAt(b, f)
}

func BenchmarkFileReadAt4KRandom32Blocking(b *testing.B) {
	f, err := Open(readAtPath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	benchReadAt(b, f)
}

// BenchmarkConnPingPong is one request/reply exchange of 64 bytes over a
// loopback TCP pair, Listen/Dial on the shared ring: the latency of the
// network face (a Write and a Read on each side, each a ring round trip).
// BenchmarkConnPingPongStd is the same over package net, for reference.
func BenchmarkConnPingPong(b *testing.B) { benchPingPong(b, Listen, Dial) }

func BenchmarkConnPingPongStd(b *testing.B) { benchPingPong(b, net.Listen, net.Dial) }

func benchPingPong(b *testing.B, listen func(string, string) (net.Listener, error), dial func(string, string) (net.Conn, error)) {
	l, err := listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
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
	c, err := dial("tcp", l.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg := make([]byte, 64)
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// A request the ring must take (a zero timeout is never tried on the
// caller) and that completes at once: the hand-over and wake-up path.
func BenchmarkRingDoTimeout0(b *testing.B) {
	rg, err := SharedRing()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	op := PrepTimeout(0)
	for b.Loop() {
		if _, err := rg.Do(ctx, op); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRingDoTimeout0Parallel(b *testing.B) {
	rg, err := SharedRing()
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		op := PrepTimeout(0)
		for pb.Next() {
			if _, err := rg.Do(ctx, op); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The cost of one transfer attempt that cannot move anything (a receive
// on an empty socket: EAGAIN), through urb_ring_submit_try and as the
// plain system call package net makes: the per-call overhead of the
// library's try-on-the-spot path, without the data copy.
func BenchmarkTryRecvEmpty(b *testing.B) {
	p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	rg, err := SharedRing()
	if err != nil {
		b.Fatal(err)
	}
	r := rg.r
	s := r.keepSlot()
	defer r.dropSlot(s)
	buf := make([]byte, 64)
	for b.Loop() {
		if res, err := r.tryOn(s, OpRecv, p[0], buf, syscall.MSG_DONTWAIT); res != negEAGAIN || err != nil {
			b.Fatal(res, err)
		}
	}
}

func BenchmarkTryRecvEmptySyscall(b *testing.B) {
	p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	buf := make([]byte, 64)
	for b.Loop() {
		if _, _, err := syscall.Recvfrom(p[0], buf, syscall.MSG_DONTWAIT); err != syscall.EAGAIN {
			b.Fatal(err)
		}
	}
}

// The same attempt as the binding's own try (recvNow: what a Conn's
// receive makes, no cgo call).
func BenchmarkTryRecvEmptyNative(b *testing.B) {
	p, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	buf := make([]byte, 64)
	for b.Loop() {
		if res := recvNow(p[0], buf, 0); res != negEAGAIN {
			b.Fatal(res)
		}
	}
}
