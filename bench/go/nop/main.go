// Command nop is the Go side of bench/run's per-request cost pair: it
// times round trips for -ms milliseconds after a warm-up and prints
//
//	side S ops N ns_per_op X
//
// -side nop: uringbridge.Nop(), the blocking face (one cgo call into
// urb_nop on the calling thread's ring), compared with urb_nop timed in C;
// -side ring: one goroutine's Do of a NOP on the shared ring (owner thread,
// netpoller wake-up), for information.
//
// It is a program of its own rather than `go test -bench`, so that the
// binding's test files being mid-change cannot take the figure away.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	uringbridge "uringbridge.dev/go"
)

func main() {
	side := flag.String("side", "nop", "nop (blocking Nop) or ring (SharedRing Do)")
	ms := flag.Float64("ms", 100, "measured time in milliseconds")
	flag.Parse()
	var call func() error
	switch *side {
	case "nop":
		call = uringbridge.Nop
	case "ring":
		rg, err := uringbridge.SharedRing()
		if err != nil {
			fmt.Fprintln(os.Stderr, "nop:", err)
			os.Exit(1)
		}
		op := uringbridge.PrepNop()
		ctx := context.Background()
		call = func() error { _, err := rg.Do(ctx, op); return err }
	default:
		fmt.Fprintf(os.Stderr, "nop: -side must be nop or ring, not %q\n", *side)
		os.Exit(2)
	}
	for i := 0; i < 2000; i++ {
		if err := call(); err != nil {
			fmt.Fprintln(os.Stderr, "nop:", err)
			os.Exit(1)
		}
	}
	// Checking the clock every 256 calls keeps its cost out of the figure.
	d := time.Duration(*ms * float64(time.Millisecond))
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		for i := 0; i < 256; i++ {
			if err := call(); err != nil {
				fmt.Fprintln(os.Stderr, "nop:", err)
				os.Exit(1)
			}
		}
		n += 256
	}
	el := time.Since(start)
	fmt.Printf("side %s ops %d ns_per_op %.1f\n", *side, n, float64(el.Nanoseconds())/float64(n))
}
