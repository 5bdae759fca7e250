//go:build linux && cgo

package uringbridge

import (
	"context"
	"runtime"
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
