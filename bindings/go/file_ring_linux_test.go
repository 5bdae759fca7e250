//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
)

// A File opened on a Ring behaves as one on the blocking face, and its
// requests really go through the ring.
func TestRingFileSatisfiesIOTestReader(t *testing.T) {
	rg := newTestRing(t, nil)
	for _, size := range []int{0, 1, 4096, 100_003} {
		content := patterned(size)
		before, _ := rg.Stats()
		f, err := rg.Open(writeTemp(t, content))
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(f, content); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
		f.Close()
		after, _ := rg.Stats()
		// The open at least (cached reads finish on the spot).
		if after.Submitted-before.Submitted < 1 {
			t.Errorf("size %d: %d requests on the ring", size, after.Submitted-before.Submitted)
		}
	}
}

func TestRingFileWriteReadSyncStat(t *testing.T) {
	rg := newTestRing(t, nil)
	path := filepath.Join(t.TempDir(), "f")
	f, err := rg.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n, err := f.WriteAt([]byte("world"), 6); n != 5 || err != nil {
		t.Fatalf("WriteAt: %d, %v", n, err)
	}
	if n, err := f.Write([]byte("hello ")); n != 6 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "hello world" {
		t.Fatalf("file holds %q", got)
	}
	buf := make([]byte, 16)
	n, err := f.ReadAt(buf, 3)
	if n != 8 || err != io.EOF || string(buf[:n]) != "lo world" {
		t.Fatalf("ReadAt past the end: %d %q %v", n, buf[:n], err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(f); err != nil || string(got) != "hello world" {
		t.Fatalf("ReadAll: %q, %v", got, err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 11 {
		t.Fatalf("Stat: %v, %v", fi, err)
	}
}

// Errors of a ring File are those of *os.File: *os.PathError with the
// errno inside, and ErrRingClosed once the ring is gone.
func TestRingFileErrors(t *testing.T) {
	rg, err := NewRing(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rg.Open(filepath.Join(t.TempDir(), "missing"))
	var pe *os.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" {
		t.Fatalf("open of a missing file: %v", err)
	}
	bad := rg.NewFile(badFD, "bad")
	if _, err := bad.ReadAt(make([]byte, 8), 0); !errors.Is(err, syscall.EBADF) || !errors.As(err, &pe) || pe.Op != "read" || pe.Path != "bad" {
		t.Fatalf("ReadAt of a bad descriptor: %v", err)
	}
	if _, err := bad.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Write to a bad descriptor: %v", err)
	}
	if err := bad.Sync(); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Sync of a bad descriptor: %v", err)
	}
	// Its Close would close badFD: nothing to close, and nothing to test.
	bad.cleanup.Stop()

	f, err := rg.Open(writeTemp(t, []byte("data")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rg.Close()
	if _, err := f.ReadAt(make([]byte, 4), 0); !errors.Is(err, ErrRingClosed) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("ReadAt after the ring's Close: %v", err)
	}
	if _, err := rg.Open(f.Name()); !errors.Is(err, ErrRingClosed) {
		t.Fatalf("Open on a closed ring: %v", err)
	}
}

// 32 goroutines reading 4 KiB blocks at random offsets of one ring File
// (the benchmark's load): every block holds what is at its offset.
func TestRingFileConcurrentRandomReadAt(t *testing.T) {
	const block, blocks, goroutines, reads = 4096, 256, 32, 200
	content := patterned(block * blocks)
	rg := newTestRing(t, nil)
	f, err := rg.Open(writeTemp(t, content))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, block)
			for range reads {
				off := int64(rng.IntN(blocks)) * block
				if n, err := f.ReadAt(buf, off); n != block || err != nil {
					errs <- fmt.Errorf("ReadAt %d: %d, %v", off, n, err)
					return
				}
				if !bytes.Equal(buf, content[off:off+block]) {
					errs <- fmt.Errorf("ReadAt %d: wrong bytes", off)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Cached reads finish on the spot (urb_ring_submit_try); what reached
	// the ring has completed.
	if st, _ := rg.Stats(); st.Completions != st.Submitted || st.InFlight != 0 {
		t.Errorf("ring stats: %+v", st)
	}
}

// A read of cached data finishes on the calling goroutine's thread: it
// never reaches the ring (urb_ring_submit_try with RWF_NOWAIT) on the
// io_uring engine; a ring on the fallback engine (RingOptions.Fallback)
// takes every request.
func TestRingFileCachedReadsFinishOnTheSpot(t *testing.T) {
	content := patterned(64 << 10)
	path := writeTemp(t, content)
	for _, fallback := range []bool{false, true} {
		rg := newTestRing(t, &RingOptions{Fallback: fallback})
		f, err := rg.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		before, _ := rg.Stats()
		for off := 0; off < len(content); off += len(buf) {
			if n, err := f.ReadAt(buf, int64(off)); n != len(buf) || err != nil || !bytes.Equal(buf, content[off:off+n]) {
				t.Fatalf("ReadAt %d: %d, %v", off, n, err)
			}
		}
		after, _ := rg.Stats()
		f.Close()
		onRing := after.Submitted - before.Submitted
		switch {
		case !fallback && EngineName() == "io_uring" && onRing != 0:
			t.Errorf("%d of %d cached reads went to the ring", onRing, len(content)/len(buf))
		case !fallback:
			// The fallback engine may hand reads to the ring: the same
			// results, a hand-over more.
			t.Logf("engine %s: %d of %d cached reads on the ring", EngineName(), onRing, len(content)/len(buf))
		}
		if fallback && onRing != uint64(len(content)/len(buf)) {
			t.Errorf("fallback ring: %d of %d reads on the ring", onRing, len(content)/len(buf))
		}
	}
}
