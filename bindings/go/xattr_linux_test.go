//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// xattrFixture is a file on disk whose file system takes user.*
// attributes; the test is skipped, saying why, only when setxattr(2)
// itself answers ENOTSUP.
func xattrFixture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte("content"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setxattr(path, "user.probe", []byte("p"), 0); err != nil {
		if errors.Is(err, syscall.ENOTSUP) {
			t.Skipf("SKIPPED: %s has no user.* extended attributes (setxattr(2) says %v)", path, err)
		}
		t.Fatal(err)
	}
	if err := syscall.Removexattr(path, "user.probe"); err != nil {
		t.Fatal(err)
	}
	return path
}

// xattrErrno is err's errno, 0 for nil (the binding wraps it, package syscall
// returns it bare).
func xattrErrno(t *testing.T, err error) syscall.Errno {
	t.Helper()
	if err == nil {
		return 0
	}
	var e syscall.Errno
	if !errors.As(err, &e) {
		t.Fatalf("%v carries no errno", err)
	}
	return e
}

// xattrFaces are the three ways the binding performs the calls.
var xattrFaces = []struct {
	name string
	get  func(rg *Ring, path, name string, dest []byte) (int, error)
	set  func(rg *Ring, path, name string, data []byte, flags int) error
}{
	{"call",
		func(_ *Ring, path, name string, dest []byte) (int, error) { return Getxattr(path, name, dest) },
		func(_ *Ring, path, name string, data []byte, flags int) error {
			return Setxattr(path, name, data, flags)
		}},
	{"Submit",
		func(_ *Ring, path, name string, dest []byte) (int, error) {
			n, err := Submit(PrepGetxattr(path, name, dest))
			return int(n), err
		},
		func(_ *Ring, path, name string, data []byte, flags int) error {
			_, err := Submit(PrepSetxattr(path, name, data, flags))
			return err
		}},
	{"Ring.Do",
		func(rg *Ring, path, name string, dest []byte) (int, error) {
			n, err := rg.Do(context.Background(), PrepGetxattr(path, name, dest))
			return int(n), err
		},
		func(rg *Ring, path, name string, data []byte, flags int) error {
			_, err := rg.Do(context.Background(), PrepSetxattr(path, name, data, flags))
			return err
		}},
}

// TestXattrAgreesWithSyscall runs one sequence of calls through package
// syscall (the same functions as golang.org/x/sys/unix's) on one file and
// through each face of the binding on another, and compares every result,
// errno and value.
func TestXattrAgreesWithSyscall(t *testing.T) {
	want := xattrFixture(t, "oracle")
	big := bytes.Repeat([]byte("v"), 70000)
	type step struct {
		set   bool
		name  string
		data  []byte
		flags int
		size  int // getxattr's dest length
	}
	steps := []step{
		{name: "user.missing", size: 16}, // ENODATA
		{name: "user.missing", size: 0},  // ENODATA asking the size
		{set: true, name: "user.a", data: []byte("hello")},
		{name: "user.a", size: 0},                                           // the size: 5
		{name: "user.a", size: 5},                                           // exactly
		{name: "user.a", size: 4},                                           // ERANGE
		{name: "user.a", size: 64},                                          // more room than needed
		{set: true, name: "user.a", data: []byte("x"), flags: XattrCreate},  // EEXIST
		{set: true, name: "user.b", data: []byte("x"), flags: XattrReplace}, // ENODATA
		{set: true, name: "user.a", data: []byte("replaced"), flags: XattrReplace},
		{name: "user.a", size: 64},
		{set: true, name: "user.empty", data: nil},
		{name: "user.empty", size: 0},
		{name: "user.empty", size: 8},
		{set: true, name: "user.c", data: []byte("x"), flags: 4},          // EINVAL
		{set: true, name: "user.big", data: big},                          // E2BIG
		{set: true, name: "", data: []byte("x")},                          // ERANGE (empty name)
		{name: "", size: 8},                                               // ERANGE
		{set: true, name: "nonamespace", data: []byte("x")},               // EOPNOTSUPP
		{name: "user." + string(bytes.Repeat([]byte("n"), 300)), size: 8}, // ERANGE (long name)
	}
	type outcome struct {
		n     int
		errno syscall.Errno
		value []byte
	}
	run := func(path string, get func(string, string, []byte) (int, error),
		set func(string, string, []byte, int) error) []outcome {
		var out []outcome
		for _, s := range steps {
			if s.set {
				out = append(out, outcome{errno: xattrErrno(t, set(path, s.name, s.data, s.flags))})
				continue
			}
			dest := make([]byte, s.size)
			n, err := get(path, s.name, dest)
			o := outcome{errno: xattrErrno(t, err)}
			if err == nil { // (on failure package syscall's count is -1, the binding's 0)
				o.n, o.value = n, dest[:min(n, len(dest))]
			}
			out = append(out, o)
		}
		return out
	}
	oracle := run(want, syscall.Getxattr, syscall.Setxattr)
	for _, face := range xattrFaces {
		forEachRingKind(t, func(t *testing.T, rg *Ring) {
			path := xattrFixture(t, "binding")
			got := run(path,
				func(p, n string, d []byte) (int, error) { return face.get(rg, p, n, d) },
				func(p, n string, d []byte, f int) error { return face.set(rg, p, n, d, f) })
			for i := range steps {
				if got[i].n != oracle[i].n || got[i].errno != oracle[i].errno || !bytes.Equal(got[i].value, oracle[i].value) {
					t.Errorf("%s step %d (%.20q): got %d %v %q, syscall %d %v %q", face.name, i, steps[i].name,
						got[i].n, got[i].errno, got[i].value, oracle[i].n, oracle[i].errno, oracle[i].value)
				}
			}
		})
		// Reset the oracle's file for the next face.
		want = xattrFixture(t, "oracle")
		oracle = run(want, syscall.Getxattr, syscall.Setxattr)
	}
}

// TestXattrErrors checks the errors a caller tests for, and their form.
func TestXattrErrors(t *testing.T) {
	path := xattrFixture(t, "file")
	if err := Setxattr(path, "user.k", []byte("value"), 0); err != nil {
		t.Fatal(err)
	}
	if n, err := Getxattr(path, "user.k", nil); err != nil || n != 5 {
		t.Fatalf("size query: %d %v", n, err)
	}
	small := make([]byte, 2)
	_, err := Getxattr(path, "user.k", small)
	var pe *os.PathError
	if !errors.Is(err, syscall.ERANGE) || !errors.As(err, &pe) || pe.Op != "getxattr" || pe.Path != path {
		t.Fatalf("too small a buffer: %v", err)
	}
	if _, err := Getxattr(path, "user.absent", make([]byte, 8)); !errors.Is(err, syscall.ENODATA) {
		t.Fatalf("absent attribute: %v", err)
	}
	missing := filepath.Join(filepath.Dir(path), "missing")
	if _, err := Getxattr(missing, "user.k", make([]byte, 8)); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("missing file: %v", err)
	}
	if err := Setxattr(missing, "user.k", []byte("v"), 0); !errors.Is(err, syscall.ENOENT) ||
		!errors.As(err, &pe) || pe.Op != "setxattr" {
		t.Fatalf("missing file: %v", err)
	}
	if _, err := Getxattr(path, "user.k\x00x", nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("NUL in the name: %v", err)
	}
	if _, err := Submit(PrepSetxattr(path+"\x00", "user.k", nil, 0)); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("NUL in the path: %v", err)
	}
	if _, err := Submit(PrepGetxattr(missing, "user.k", nil)); !errors.Is(err, syscall.ENOENT) ||
		!errors.As(err, &pe) || pe.Op != "getxattr" || pe.Path != missing {
		t.Fatalf("Prep form on a missing file: %v", err)
	}
}
