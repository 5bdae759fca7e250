//go:build !linux || !cgo

package uringbridge

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
)

// Without the library every call must say so, never pretend to work.
func TestStubReportsUnsupported(t *testing.T) {
	if Supported() || Version() != "" || OpSupported(OpNop) {
		t.Fatal("stub claims a working library")
	}
	_, readErr := Read(0, make([]byte, 1), 0)
	_, openErr := Open("/etc/hostname")
	_, submitErr := Submit(PrepNop())
	_, chainErr := SubmitChain([]*Op{PrepNop()})
	_, ringErr := NewRing(nil)
	_, listenErr := Listen("tcp", "127.0.0.1:0")
	_, dialErr := Dial("tcp", "127.0.0.1:1")
	_, ringOpenErr := (&Ring{}).Open("/etc/hostname")
	_, writeToErr := (&Conn{}).WriteTo(io.Discard)
	_, readFromErr := NewFile(-1, "x").ReadFrom(strings.NewReader("x"))
	errs := map[string]error{
		"Conn.WriteTo": writeToErr, "File.ReadFrom": readFromErr,
		"Nop": Nop(), "Read": readErr, "Open": openErr, "Submit": submitErr,
		"SubmitChain": chainErr, "Connect": Connect(0, &syscall.SockaddrInet4{}),
		"NewRing": ringErr, "Listen": listenErr, "Dial": dialErr, "Ring.Open": ringOpenErr,
	}
	for name, err := range errs {
		if !errors.Is(err, ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("%s: got %v, want ErrUnsupported", name, err)
		}
	}
}
