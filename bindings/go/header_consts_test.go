package uringbridge

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The Go opcode list is written by hand; cgo's compile-time checks in
// blocking_linux.go hold each value to its URB_OP_* macro, and this test
// holds the list to the header: every URB_OP_* the header defines has a Go
// Opcode of that number whose String() is its name, so an operation added
// to the library cannot be missing here or named differently.
func TestOpcodesMatchHeader(t *testing.T) {
	header, err := os.ReadFile(filepath.Join("..", "..", "include", "uringbridge.h"))
	if os.IsNotExist(err) {
		header, err = os.ReadFile("uringbridge.h")
	}
	if err != nil {
		t.Fatal(err)
	}
	define := regexp.MustCompile(`(?m)^#define URB_OP_([A-Z0-9_]+) ([0-9]+)$`)
	seen := 0
	for _, m := range define.FindAllStringSubmatch(string(header), -1) {
		value, err := strconv.Atoi(m[2])
		if err != nil {
			t.Fatal(err)
		}
		if m[1] == "COUNT" {
			if value != int(opCount) {
				t.Errorf("URB_OP_COUNT is %d, the Go side knows %d opcodes", value, opCount)
			}
			continue
		}
		seen++
		code := Opcode(value)
		if want := strings.ToLower(m[1]); code >= opCount || code.String() != want {
			t.Errorf("URB_OP_%s = %d: Go's Opcode(%d) is %q, want %q", m[1], value, value, code.String(), want)
		}
	}
	known := 0 // numbers may be unallocated (another branch's operations)
	for _, name := range opNames {
		if name != "" {
			known++
		}
	}
	if seen != known {
		t.Errorf("the header defines %d URB_OP_* opcodes, the Go side %d", seen, known)
	}
	current := OffsetCurrent // a variable: the conversion wraps as the cgo call's does
	if !regexp.MustCompile(`(?m)^#define URB_OFFSET_CURRENT UINT64_MAX$`).Match(header) || uint64(current) != ^uint64(0) {
		t.Errorf("URB_OFFSET_CURRENT is UINT64_MAX in the header; OffsetCurrent (%d) must convert to it", current)
	}
}
