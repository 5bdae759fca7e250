//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// fileState describes every entry below dir: kind, size, link count or
// symbolic link target, in order.
func fileState(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := info.Sys().(*syscall.Stat_t)
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case info.IsDir():
			out = append(out, rel+"/")
		default:
			body, _ := os.ReadFile(p)
			out = append(out, rel+"="+string(body)+" links="+string(rune('0'+st.Nlink)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return filepath.Join(out...)
}

// Symlink, Link and Truncate against package os on identical trees: the
// same error (type, Op, errno) and the same tree afterwards.
func TestSymlinkLinkTruncateAgreeWithPackageOs(t *testing.T) {
	type call struct {
		name   string
		ours   func(dir string) error
		theirs func(dir string) error
	}
	in := func(dir, name string) string { return filepath.Join(dir, name) }
	calls := []call{
		{"symlink", func(d string) error { return Symlink("f", in(d, "s")) }, func(d string) error { return os.Symlink("f", in(d, "s")) }},
		{"symlink dangling", func(d string) error { return Symlink("nothing", in(d, "s")) }, func(d string) error { return os.Symlink("nothing", in(d, "s")) }},
		{"symlink exists", func(d string) error { return Symlink("f", in(d, "d")) }, func(d string) error { return os.Symlink("f", in(d, "d")) }},
		{"symlink no dir", func(d string) error { return Symlink("f", in(d, "no/s")) }, func(d string) error { return os.Symlink("f", in(d, "no/s")) }},
		{"link", func(d string) error { return Link(in(d, "f"), in(d, "h")) }, func(d string) error { return os.Link(in(d, "f"), in(d, "h")) }},
		{"link exists", func(d string) error { return Link(in(d, "f"), in(d, "full/x")) }, func(d string) error { return os.Link(in(d, "f"), in(d, "full/x")) }},
		{"link missing", func(d string) error { return Link(in(d, "no"), in(d, "h")) }, func(d string) error { return os.Link(in(d, "no"), in(d, "h")) }},
		{"link directory", func(d string) error { return Link(in(d, "d"), in(d, "h")) }, func(d string) error { return os.Link(in(d, "d"), in(d, "h")) }},
		{"truncate", func(d string) error { return Truncate(in(d, "f"), 0) }, func(d string) error { return os.Truncate(in(d, "f"), 0) }},
		{"truncate longer", func(d string) error { return Truncate(in(d, "full/x"), 5) }, func(d string) error { return os.Truncate(in(d, "full/x"), 5) }},
		{"truncate negative", func(d string) error { return Truncate(in(d, "f"), -1) }, func(d string) error { return os.Truncate(in(d, "f"), -1) }},
		{"truncate missing", func(d string) error { return Truncate(in(d, "no"), 1) }, func(d string) error { return os.Truncate(in(d, "no"), 1) }},
		{"truncate directory", func(d string) error { return Truncate(in(d, "d"), 1) }, func(d string) error { return os.Truncate(in(d, "d"), 1) }},
	}
	for _, c := range calls {
		ours, theirs := fsTree(t), fsTree(t)
		sameError(t, c.name, c.ours(ours), c.theirs(theirs))
		if a, b := fileState(t, ours), fileState(t, theirs); a != b {
			t.Fatalf("%s: tree %q, package os leaves %q", c.name, a, b)
		}
	}
}

func TestFileTruncateFallocateFadvise(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	if err := os.WriteFile(name, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(4); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(name); string(b) != "0123" {
		t.Fatalf("after Truncate(4): %q", b)
	}
	var pe *os.PathError
	if err := f.Truncate(-1); !errors.As(err, &pe) || pe.Op != "truncate" || pe.Err != syscall.EINVAL {
		t.Fatalf("Truncate(-1): %#v", err)
	}
	if err := f.Fallocate(0, 0, 8192); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Size() != 8192 {
		t.Fatalf("after Fallocate: size %d", fi.Size())
	}
	if err := f.Fallocate(FallocKeepSize, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Size() != 8192 {
		t.Fatalf("FallocKeepSize changed the size: %d", fi.Size())
	}
	if err := f.Fallocate(0, 0, 0); !errors.As(err, &pe) || pe.Op != "fallocate" || pe.Err != syscall.EINVAL {
		t.Fatalf("Fallocate length 0: %#v", err)
	}
	if err := f.Fadvise(0, 0, FadvDontneed); err != nil {
		t.Fatal(err)
	}
	if err := f.Fadvise(0, 0, 99); !errors.As(err, &pe) || pe.Err != syscall.EINVAL {
		t.Fatalf("unknown advice: %#v", err)
	}
	if err := SyncFileRange(int(f.Fd()), 0, 0, SyncFileRangeWrite); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := f.Truncate(1); !errors.As(err, &pe) || pe.Err != os.ErrClosed {
		t.Fatalf("Truncate after Close: %#v", err)
	}
}

func TestSpliceAndTee(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, []byte("spliced bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var a, b [2]int
	if syscall.Pipe2(a[:], syscall.O_CLOEXEC) != nil || syscall.Pipe2(b[:], syscall.O_CLOEXEC) != nil {
		t.Fatal("pipe2")
	}
	defer func() {
		for _, fd := range []int{a[0], a[1], b[0], b[1]} {
			syscall.Close(fd)
		}
	}()
	if n, err := Splice(int(file.Fd()), 8, a[1], NoOffset, 5, 0); n != 5 || err != nil {
		t.Fatalf("Splice file->pipe: %d %v", n, err)
	}
	if n, err := Tee(a[0], b[1], 5, 0); n != 5 || err != nil {
		t.Fatalf("Tee: %d %v", n, err)
	}
	if n, err := Splice(a[0], NoOffset, b[1], NoOffset, 5, SpliceFMove); n != 5 || err != nil {
		t.Fatalf("Splice pipe->pipe: %d %v", n, err)
	}
	got := make([]byte, 16)
	if n, _ := syscall.Read(b[0], got); !bytes.Equal(got[:n], []byte("bytesbytes")) {
		t.Fatalf("read %q", got[:n])
	}
	if _, err := Splice(a[0], 0, b[1], NoOffset, 5, SpliceFNonblock); !errors.Is(err, syscall.ESPIPE) {
		t.Fatalf("offset on a pipe: %v", err)
	}
	if _, err := Splice(a[0], NoOffset, b[1], NoOffset, 5, SpliceFNonblock); !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("empty pipe, non-blocking: %v", err)
	}
	if _, err := Splice(a[0], NoOffset, 0, NoOffset, 5, 0); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("output descriptor 0: %v", err)
	}
	for _, op := range []Opcode{OpSymlinkat, OpLinkat, OpFallocate, OpFtruncate, OpFadvise, OpMadvise, OpSyncFileRange, OpSplice, OpTee} {
		if !OpSupported(op) {
			t.Errorf("%v not supported", op)
		}
	}
}
