//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// Many goroutines doing blocking I/O at once: each blocked call parks only
// its own OS thread (with its own per-thread ring), so they all finish, and
// every result lands in the right goroutine's buffer.
func TestManyGoroutinesDoBlockingIOConcurrently(t *testing.T) {
	const workers = 200
	const region = 4096
	f, err := Create(filepath.Join(t.TempDir(), "shared"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	// Every worker's pipe reader must be on its way into a blocking Read
	// before any worker writes, so that up to 200 OS threads sit in the
	// library at once; if a blocked call held on to its P, the writers could
	// never run and the test would hang.
	var readersStarted sync.WaitGroup
	readersStarted.Add(workers)
	allStarted := make(chan struct{})
	go func() { readersStarted.Wait(); close(allStarted) }()

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			if err := worker(f, w, region, &readersStarted, allStarted); err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Every region holds its writer's bytes, nothing else.
	all := make([]byte, workers*region)
	if _, err := f.ReadAt(all, 0); err != nil {
		t.Fatal(err)
	}
	for w := range workers {
		if !bytes.Equal(all[w*region:(w+1)*region], fill(w, region)) {
			t.Fatalf("region %d holds another worker's data", w)
		}
	}
}

func fill(w, n int) []byte {
	return bytes.Repeat([]byte{byte(w), byte(w >> 8), 0xA5, byte(w * 31)}, n/4)
}

// worker writes and reads back its own region of the shared file, bounces
// a message through a pipe to a partner goroutine that is blocked reading
// it, and makes a chain of nops.
func worker(f *File, w, region int, readersStarted *sync.WaitGroup, allStarted <-chan struct{}) error {
	// A worker that fails before starting its reader still counts it as
	// started, or every other worker would wait for it forever.
	readerStarted := false
	defer func() {
		if !readerStarted {
			readersStarted.Done()
		}
	}()
	data := fill(w, region)
	if _, err := f.WriteAt(data, int64(w*region)); err != nil {
		return err
	}
	back := make([]byte, region)
	if _, err := f.ReadAt(back, int64(w*region)); err != nil {
		return err
	}
	if !bytes.Equal(back, data) {
		return fmt.Errorf("read back other data")
	}

	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return err
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])
	echoed := make(chan string, 1)
	readerStarted = true
	go func() {
		readersStarted.Done()
		// Blocks in the library until the message arrives.
		buf := make([]byte, 32)
		n, err := Read(p[0], buf, OffsetCurrent)
		if err != nil {
			echoed <- err.Error()
			return
		}
		echoed <- string(buf[:n])
	}()
	<-allStarted
	msg := fmt.Sprintf("hello from %d", w)
	if _, err := Write(p[1], []byte(msg), OffsetCurrent); err != nil {
		return err
	}
	if got := <-echoed; got != msg {
		return fmt.Errorf("pipe partner got %q", got)
	}

	if _, err := SubmitChain([]*Op{PrepNop(), PrepNop(), PrepNop()}); err != nil {
		return err
	}
	return Nop()
}
