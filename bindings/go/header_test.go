package uringbridge

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cgo compiles against the vendored copy of the header; it must be the
// repository's header byte for byte, or the Go side may be built against
// declarations the library no longer has.
func TestVendoredHeaderMatchesRepository(t *testing.T) {
	repoHeader := filepath.Join("..", "..", "include", "uringbridge.h")
	want, err := os.ReadFile(repoHeader)
	if os.IsNotExist(err) {
		t.Skipf("%s not found: not inside the uringbridge repository", repoHeader)
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("uringbridge.h")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		line := 0
		for line < len(gotLines) && line < len(wantLines) && gotLines[line] == wantLines[line] {
			line++
		}
		t.Fatalf("bindings/go/uringbridge.h differs from include/uringbridge.h from line %d on: "+
			"refresh it with `go generate` in bindings/go and review the Go side", line+1)
	}
}
