//go:build linux && cgo

package uringbridge

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// fsTree is a fresh directory holding f (a file), d (an empty directory)
// and full (a directory holding x).
func fsTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"d", "full"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"f", "full/x"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// sameError checks that ours is the error package os gives for the same
// call on an identical tree: same type, Op, paths and errno.
func sameError(t *testing.T, what string, ours, theirs error) {
	t.Helper()
	if (ours == nil) != (theirs == nil) {
		t.Fatalf("%s: got %v, package os says %v", what, ours, theirs)
	}
	if ours == nil {
		return
	}
	var pe, ope *os.PathError
	var le, ole *os.LinkError
	switch {
	case errors.As(theirs, &ope):
		if !errors.As(ours, &pe) || pe.Op != ope.Op || pe.Err != ope.Err {
			t.Fatalf("%s: got %#v, package os says %#v", what, ours, theirs)
		}
	case errors.As(theirs, &ole):
		if !errors.As(ours, &le) || le.Op != ole.Op || le.Err != ole.Err {
			t.Fatalf("%s: got %#v, package os says %#v", what, ours, theirs)
		}
	default:
		t.Fatalf("%s: package os gave %T", what, theirs)
	}
}

func TestRemoveRenameMkdirAgreeWithPackageOs(t *testing.T) {
	type call struct {
		name   string
		ours   func(dir string) error
		theirs func(dir string) error
	}
	in := func(dir, name string) string { return filepath.Join(dir, name) }
	remove := func(name string) call {
		return call{"Remove " + name,
			func(dir string) error { return Remove(in(dir, name)) },
			func(dir string) error { return os.Remove(in(dir, name)) }}
	}
	rename := func(from, to string) call {
		return call{"Rename " + from + " " + to,
			func(dir string) error { return Rename(in(dir, from), in(dir, to)) },
			func(dir string) error { return os.Rename(in(dir, from), in(dir, to)) }}
	}
	mkdir := func(name string) call {
		return call{"Mkdir " + name,
			func(dir string) error { return Mkdir(in(dir, name), 0o750) },
			func(dir string) error { return os.Mkdir(in(dir, name), 0o750) }}
	}
	calls := []call{
		remove("f"), remove("d"), remove("full"), remove("missing"), remove("f/x"),
		rename("f", "g"), rename("f", "d"), rename("d", "f"), rename("d", "full"),
		rename("missing", "g"), rename("d", "e"), rename("missing", "d"), rename("full/x", "g"),
		mkdir("n"), mkdir("f"), mkdir("d"), mkdir("missing/n"), mkdir("f/n"),
	}
	errnos := map[syscall.Errno]bool{}
	for _, c := range calls {
		ourDir, theirDir := fsTree(t), fsTree(t)
		ours, theirs := c.ours(ourDir), c.theirs(theirDir)
		sameError(t, c.name, ours, theirs)
		if e, ok := errnoOf(theirs).(syscall.Errno); ok {
			errnos[e] = true
		}
		if got, want := listTree(t, ourDir), listTree(t, theirDir); got != want {
			t.Fatalf("%s: tree %s, package os leaves %s", c.name, got, want)
		}
	}
	// (EISDIR never reaches these: package os turns it into rmdir's error
	// or EEXIST; TestLowLevelPathCallsReportTheirOperation sees it.)
	for _, e := range []syscall.Errno{syscall.ENOENT, syscall.EEXIST, syscall.ENOTDIR, syscall.ENOTEMPTY} {
		if !errnos[e] {
			t.Errorf("no call gave %v", e)
		}
	}
}

func TestLowLevelPathCallsReportTheirOperation(t *testing.T) {
	dir := fsTree(t)
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	fd := int(d.Fd())
	var pe *os.PathError
	if err := Unlinkat(fd, "d", 0); !errors.As(err, &pe) || pe.Op != "unlinkat" || pe.Err != syscall.EISDIR {
		t.Fatalf("Unlinkat dir without AtRemovedir: %#v", err)
	}
	if err := Unlinkat(fd, "d", AtRemovedir); err != nil {
		t.Fatal(err)
	}
	if err := Mkdirat(fd, "d", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Mkdirat(fd, "d", 0o700); !errors.As(err, &pe) || pe.Op != "mkdirat" || pe.Err != syscall.EEXIST {
		t.Fatalf("Mkdirat existing: %#v", err)
	}
	const renameNoreplace = 1
	var le *os.LinkError
	if err := Renameat(fd, "f", fd, "d", renameNoreplace); !errors.As(err, &le) || le.Op != "renameat" || le.Err != syscall.EEXIST {
		t.Fatalf("Renameat RENAME_NOREPLACE onto an existing name: %#v", err)
	}
	if err := Renameat(fd, "f", AtFdcwd, filepath.Join(dir, "g"), 0); err != nil {
		t.Fatal(err)
	}
	if err := Unlinkat(fd, "nul\x00byte", 0); !errors.As(err, &pe) || pe.Err != syscall.EINVAL {
		t.Fatalf("path with a NUL byte: %#v", err)
	}
	for _, op := range []Opcode{OpUnlinkat, OpRenameat, OpMkdirat} {
		if !OpSupported(op) {
			t.Errorf("%v not supported", op)
		}
	}
}

// listTree names every entry below dir with its kind, in order.
func listTree(t *testing.T, dir string) string {
	t.Helper()
	out := ""
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			out += rel + "/ "
		} else {
			out += rel + " "
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
