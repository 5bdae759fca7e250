//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

func writeTemp(t *testing.T, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// patterned is content in which every position is distinguishable.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// iotest.TestReader checks Read, ReadAt (io.ReaderAt semantics: full reads,
// io.EOF at the end, no effect on the position) and Seek against content.
func TestFileSatisfiesIOTestReader(t *testing.T) {
	for _, size := range []int{0, 1, 4096, 100_003} {
		content := patterned(size)
		f, err := Open(writeTemp(t, content))
		if err != nil {
			t.Fatal(err)
		}
		if err := iotest.TestReader(f, content); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
		f.Close()
	}
}

func TestFileReadAtPastTheEnd(t *testing.T) {
	f, err := Open(writeTemp(t, []byte("0123456789")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4)
	if n, err := f.ReadAt(buf, 8); n != 2 || err != io.EOF || string(buf[:n]) != "89" {
		t.Fatalf("ReadAt across the end = %d %v %q, want 2 EOF", n, err, buf[:n])
	}
	if n, err := f.ReadAt(buf, 10); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt at the end = %d %v", n, err)
	}
	if n, err := f.ReadAt(buf, 1000); n != 0 || err != io.EOF {
		t.Fatalf("ReadAt far past the end = %d %v", n, err)
	}
	if n, err := f.ReadAt(buf, 6); n != 4 || err != nil {
		t.Fatalf("ReadAt ending exactly at the end = %d %v, want 4 nil", n, err)
	}
	if _, err := f.ReadAt(buf, -1); err == nil {
		t.Fatal("ReadAt at a negative offset succeeded")
	}
	if _, err := f.WriteAt(buf, -1); err == nil {
		t.Fatal("WriteAt at a negative offset succeeded")
	}
}

func TestFileReadReturnsEOFAtTheEnd(t *testing.T) {
	f, err := Open(writeTemp(t, []byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil || string(got) != "abc" {
		t.Fatalf("ReadAll = %q %v", got, err)
	}
	if n, err := f.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read at the end = %d %v", n, err)
	}
	if n, err := f.Read(nil); n != 0 || err != nil {
		t.Fatalf("Read(nil) = %d %v", n, err)
	}
}

func TestFileWriteReadSeekSync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	content := patterned(300_000)
	if n, err := f.Write(content); n != len(content) || err != nil {
		t.Fatalf("Write = %d %v", n, err)
	}
	if n, err := f.WriteAt([]byte("XYZ"), 5); n != 3 || err != nil {
		t.Fatalf("WriteAt = %d %v", n, err)
	}
	copy(content[5:], "XYZ")
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if pos, err := f.Seek(0, io.SeekCurrent); pos != int64(len(content)) || err != nil {
		t.Fatalf("position after Write = %d %v", pos, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	onDisk, _ := os.ReadFile(path)
	if !bytes.Equal(onDisk, content) {
		t.Fatal("the file on disk differs from what was written")
	}
}

func TestFileStatAgreesWithOsStat(t *testing.T) {
	path := writeTemp(t, patterned(1234))
	os.Chmod(path, 0o640)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.Stat(path)
	if fi.Name() != want.Name() || fi.Size() != want.Size() || fi.Mode() != want.Mode() ||
		!fi.ModTime().Equal(want.ModTime()) || fi.IsDir() {
		t.Fatalf("Stat %v %v %v %v, os.Stat %v %v %v %v",
			fi.Name(), fi.Size(), fi.Mode(), fi.ModTime(), want.Name(), want.Size(), want.Mode(), want.ModTime())
	}
	if st, ok := fi.Sys().(*Stat); !ok || st.Ino != want.Sys().(*syscall.Stat_t).Ino {
		t.Fatalf("Sys() = %#v", fi.Sys())
	}
	dir, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if fi, err := dir.Stat(); err != nil || !fi.IsDir() || fi.Mode()&fs.ModeDir == 0 {
		t.Fatalf("Stat of a directory = %v %v", fi, err)
	}
}

func TestOpenFileFlagsAndErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	_, err := Open(missing)
	var pe *os.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" || pe.Path != missing {
		t.Fatalf("Open(missing): %#v", err)
	}
	path := filepath.Join(dir, "f")
	f, err := OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o604)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o604&^umask() {
		t.Fatalf("created with mode %v", fi.Mode())
	}
	if _, err := OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v", err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if flags, _, _ := syscall.Syscall(syscall.SYS_FCNTL, r.Fd(), syscall.F_GETFD, 0); flags&syscall.FD_CLOEXEC == 0 {
		t.Error("Open's descriptor is not close-on-exec")
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, syscall.EBADF) || !errors.As(err, &pe) || pe.Op != "write" {
		t.Fatalf("Write to a read-only file: %#v", err)
	}
}

func umask() fs.FileMode {
	old := syscall.Umask(0)
	syscall.Umask(old)
	return fs.FileMode(old)
}

func TestFileAppendMode(t *testing.T) {
	path := writeTemp(t, []byte("start"))
	f, err := OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil || !strings.Contains(err.Error(), "O_APPEND") {
		t.Fatalf("WriteAt in append mode: %v", err)
	}
	if _, err := f.Write([]byte("+end")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "start+end" {
		t.Fatalf("file holds %q", got)
	}
}

func TestFileCloseTwiceAndUseAfterClose(t *testing.T) {
	f, err := Open(writeTemp(t, []byte("abc")))
	if err != nil {
		t.Fatal(err)
	}
	fd := int(f.Fd())
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if isOpen(fd) {
		t.Fatal("Close left the descriptor open")
	}
	if f.Fd() != ^uintptr(0) {
		t.Fatalf("Fd() after Close = %d", f.Fd())
	}
	checks := map[string]error{"Close": f.Close()}
	_, checks["Read"] = f.Read(make([]byte, 1))
	_, checks["ReadAt"] = f.ReadAt(make([]byte, 1), 0)
	_, checks["Write"] = f.Write([]byte("x"))
	_, checks["WriteAt"] = f.WriteAt([]byte("x"), 0)
	_, checks["Stat"] = f.Stat()
	_, checks["Seek"] = f.Seek(0, io.SeekStart)
	checks["Sync"] = f.Sync()
	for name, err := range checks {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close: %v, want os.ErrClosed", name, err)
		}
	}
}

// A second Close must never close a descriptor number that has been handed
// out again in the meantime.
func TestFileSecondCloseLeavesAReusedNumberAlone(t *testing.T) {
	path := writeTemp(t, []byte("first"))
	f1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	number := f1.Fd()
	f1.Close()
	f2, err := Open(writeTemp(t, []byte("second")))
	if err != nil {
		t.Fatal(err)
	}
	defer f2.Close()
	if f2.Fd() != number {
		t.Skipf("the kernel did not reuse descriptor %d (got %d)", number, f2.Fd())
	}
	if err := f1.Close(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	buf := make([]byte, 6)
	if n, err := f2.ReadAt(buf, 0); err != nil || string(buf[:n]) != "second" {
		t.Fatalf("the file now using the number: %q %v", buf[:n], err)
	}
}

// Close while another goroutine is blocked reading must not free the
// descriptor number under the read; the last user closes it.
func TestFileCloseDuringABlockedRead(t *testing.T) {
	r, w := pipe(t)
	rdup, err := syscall.Dup(r) // the File owns this one
	if err != nil {
		t.Fatal(err)
	}
	f := NewFile(rdup, "pipe")
	type result struct {
		n   int
		err error
	}
	done := make(chan result)
	buf := make([]byte, 8)
	go func() {
		n, err := f.Read(buf)
		done <- result{n, err}
	}()
	// Give the reader time to be inside the library; if it is not there
	// yet it simply finds the file closed, which the test also accepts.
	time.Sleep(50 * time.Millisecond)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if !errors.Is(res.err, os.ErrClosed) {
			t.Fatalf("Read that started after Close: %d %v", res.n, res.err)
		}
		return
	default:
	}
	if !isOpen(rdup) {
		t.Fatal("Close freed the descriptor while a Read was using it")
	}
	Write(w, []byte("late"), OffsetCurrent)
	res := <-done
	if res.err != nil || string(buf[:res.n]) != "late" {
		t.Fatalf("blocked Read = %q %v", buf[:res.n], res.err)
	}
	if isOpen(rdup) {
		t.Fatal("the last user did not close the descriptor")
	}
	if _, err := f.Read(buf); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
}

// A File that is dropped without Close has its descriptor closed by the
// garbage collector's cleanup.
func TestForgottenFileIsClosedByTheCleanup(t *testing.T) {
	path := writeTemp(t, []byte("forgotten"))
	fd := openAndForget(t, path)
	target := fmt.Sprintf("/proc/self/fd/%d", fd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		if link, err := os.Readlink(target); err != nil || link != path {
			return // closed (or the number already reused by another file)
		}
		if time.Now().After(deadline) {
			t.Fatalf("descriptor %d of an unreachable File is still open", fd)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

//go:noinline
func openAndForget(t *testing.T, path string) int {
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return int(f.Fd())
}
