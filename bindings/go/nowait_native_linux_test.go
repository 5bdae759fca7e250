//go:build linux && cgo && (amd64 || arm64 || riscv64 || loong64 || ppc64 || ppc64le || s390x || mips64 || mips64le)

package uringbridge

import (
	"bytes"
	"os"
	"syscall"
	"testing"
)

// A read of which only part is cached is not taken: the whole read goes to
// the ring (which reads the range again), as the library's try does.
func TestRingFilePartlyCachedReadGoesToTheRing(t *testing.T) {
	const half = 256 << 10
	content := patterned(2 * half)
	// Written a page at a time: a single large write may put the file in
	// large folios, of which fadvise cannot drop a part.
	path := writeTemp(t, nil)
	wf, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(content); off += 4096 {
		if _, err := wf.Write(content[off : off+4096]); err != nil {
			t.Fatal(err)
		}
	}
	wf.Close()
	rg := newTestRing(t, nil)
	f, err := rg.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if err := syscall.Fsync(fd); err != nil {
		t.Fatal(err)
	}
	// Drop the second half from the page cache (the first stays, as
	// written).
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, uintptr(fd), half, half, 4 /* POSIX_FADV_DONTNEED */, 0, 0); e != 0 {
		t.Skipf("fadvise: %v", e)
	}
	buf := make([]byte, 2*half)
	// (Its preadv2 starts readahead of the rest: try it once only.)
	switch n, done, err := f.readNow(fd, buf, 0); {
	case done && n == len(buf) && err == nil:
		t.Skip("the whole file was cached again: nothing to test")
	case done:
		t.Fatalf("a short count was taken: %d, %v", n, err)
	}
	clear(buf)
	before, _ := rg.Stats()
	if n, err := f.ReadAt(buf, 0); n != len(buf) || err != nil || !bytes.Equal(buf, content) {
		t.Fatalf("ReadAt of the whole file: %d, %v (contents equal: %v)", n, err, bytes.Equal(buf, content))
	}
	after, _ := rg.Stats()
	t.Logf("%d request(s) on the ring for the partly cached read", after.Submitted-before.Submitted)
}
