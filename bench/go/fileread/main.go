// Command fileread is the Go side of bench/run's file I/O pair: 4 KiB
// random reads through File.ReadAt of a file opened on the shared ring
// (-impl ring: reads are requests on the library's async ring), of one opened
// on the blocking face (-impl urb: each read a cgo call waiting on its OS
// thread's ring) or os.File.ReadAt (-impl os, Go's own, the anchor), with
// -qd goroutines each keeping one read in flight, for -seconds. It prints:
//
//	reads N iops X
//	cpu_ns_per_read C
//
// where C is the process's CPU time (user + system, getrusage) over the
// measured time divided by the reads (a second line: bench/run reads the
// first only).
//
// The queue depth is the number of goroutines, the way a Go program gets
// concurrency from files.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	uringbridge "uringbridge.dev/go"
)

const block = 4096

// What both implementations offer.
type file interface {
	ReadAt(p []byte, off int64) (int, error)
	Stat() (os.FileInfo, error)
	Close() error
}

func main() {
	name := flag.String("file", "", "file to read")
	qd := flag.Int("qd", 1, "reads in flight (goroutines)")
	seconds := flag.Float64("seconds", 1, "measured time")
	direct := flag.Bool("direct", false, "open with O_DIRECT")
	impl := flag.String("impl", "ring", "ring (shared ring), urb (blocking face) or os (os.File)")
	flag.Parse()
	flags := os.O_RDONLY
	if *direct {
		flags |= syscall.O_DIRECT
	}
	var f file
	var err error
	switch *impl {
	case "ring":
		var rg *uringbridge.Ring
		if rg, err = uringbridge.SharedRing(); err == nil {
			f, err = rg.OpenFile(*name, flags, 0)
		}
	case "urb":
		f, err = uringbridge.OpenFile(*name, flags, 0)
	case "os":
		f, err = os.OpenFile(*name, flags, 0)
	default:
		err = fmt.Errorf("-impl must be ring, urb or os, not %q", *impl)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileread:", err)
		os.Exit(1)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fileread:", err)
		os.Exit(1)
	}
	blocks := st.Size() / block
	var total atomic.Int64
	var stop atomic.Bool
	var failed atomic.Value
	var wg sync.WaitGroup
	cpu0 := cpuNs()
	start := time.Now()
	for g := 0; g < *qd; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// O_DIRECT wants the buffer aligned to the logical block size.
			raw := make([]byte, 2*block)
			off := int(block - uintptr(unsafe.Pointer(&raw[0]))%block)
			buf := raw[off : off+block]
			n := int64(0)
			for !stop.Load() {
				if _, err := f.ReadAt(buf, rand.Int64N(blocks)*block); err != nil {
					failed.Store(err)
					break
				}
				n++
			}
			total.Add(n)
		}()
	}
	time.Sleep(time.Duration(*seconds * float64(time.Second)))
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	cpu := cpuNs() - cpu0
	if err, ok := failed.Load().(error); ok {
		fmt.Fprintln(os.Stderr, "fileread:", err)
		os.Exit(1)
	}
	fmt.Printf("reads %d iops %.0f\n", total.Load(), float64(total.Load())/elapsed)
	fmt.Printf("cpu_ns_per_read %.0f\n", float64(cpu)/float64(max(total.Load(), 1)))
}

// cpuNs is the process's user + system CPU time so far.
func cpuNs() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
