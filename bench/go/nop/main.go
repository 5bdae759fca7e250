// Command nop is the Go side of bench/run's per-request cost pairs: it
// times round trips for -ms milliseconds after a warm-up and prints
//
//	side S ops N ns_per_op X cpu_ns_per_op Y
//
// (Y: user + system CPU time of the whole process per round trip, from
// getrusage, so a side that wins by burning another thread shows it).
//
// -side nop: uringbridge.Nop(), the blocking face (one cgo call into
// urb_nop on the calling thread's ring), compared with urb_nop timed in C;
// -side ring: one goroutine's Do of a NOP on the shared ring
// (urb_ring_submit_try: it finishes on the spot), target <= 3 µs;
// -side pingpong_uring / pingpong_net: a 64-byte ping-pong (write 64
// bytes, read the 64-byte echo) between two goroutines over a loopback TCP
// connection from uringbridge.Listen/Dial, or from package net's
// Listen/Dial (the anchor), target uring <= 1.2x net.
//
// It is a program of its own rather than `go test -bench`, so that the
// binding's test files being mid-change cannot take the figure away.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	uringbridge "uringbridge.dev/go"
)

func main() {
	side := flag.String("side", "nop", "nop (blocking Nop), ring (SharedRing Do), pingpong_uring or pingpong_net")
	ms := flag.Float64("ms", 100, "measured time in milliseconds")
	flag.Parse()
	var call func() error
	switch *side {
	case "nop":
		call = uringbridge.Nop
	case "ring":
		rg, err := uringbridge.SharedRing()
		if err != nil {
			fail(err)
		}
		op := uringbridge.PrepNop()
		ctx := context.Background()
		call = func() error { _, err := rg.Do(ctx, op); return err }
	case "pingpong_uring":
		call = pingPong(uringbridge.Listen, uringbridge.Dial)
	case "pingpong_net":
		call = pingPong(net.Listen, net.Dial)
	default:
		fmt.Fprintf(os.Stderr, "nop: -side must be nop, ring, pingpong_uring or pingpong_net, not %q\n", *side)
		os.Exit(2)
	}
	for i := 0; i < 2000; i++ {
		if err := call(); err != nil {
			fail(err)
		}
	}
	// Checking the clock every 256 calls keeps its cost out of the figure.
	d := time.Duration(*ms * float64(time.Millisecond))
	cpu0 := cpuTime()
	start := time.Now()
	n := 0
	for time.Since(start) < d {
		for i := 0; i < 256; i++ {
			if err := call(); err != nil {
				fail(err)
			}
		}
		n += 256
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	fmt.Printf("side %s ops %d ns_per_op %.1f cpu_ns_per_op %.1f\n", *side, n,
		float64(el.Nanoseconds())/float64(n), float64(cpu.Nanoseconds())/float64(n))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "nop:", err)
	os.Exit(1)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pingPong connects a client to an echoing server and returns one round
// trip of 64 bytes.
func pingPong(listen func(string, string) (net.Listener, error), dial func(string, string) (net.Conn, error)) func() error {
	l, err := listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	go func() {
		s, err := l.Accept()
		if err != nil {
			return
		}
		io.Copy(s, s)
	}()
	c, err := dial("tcp", l.Addr().String())
	if err != nil {
		fail(err)
	}
	msg, reply := make([]byte, 64), make([]byte, 64)
	return func() error {
		if _, err := c.Write(msg); err != nil {
			return err
		}
		_, err := io.ReadFull(c, reply)
		return err
	}
}
