// Command outside exercises the binding from a module outside it: a NOP
// and a file read on the shared ring, and an echo over Listen and Dial.
// It prints "outside: ok (engine ...)" or exits non-zero.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"uringbridge.dev/go"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "outside:", err)
		os.Exit(1)
	}
	fmt.Printf("outside: ok (engine %s, library %s)\n", uringbridge.EngineName(), uringbridge.Version())
}

func run() error {
	rg, err := uringbridge.SharedRing()
	if err != nil {
		return err
	}
	if res, err := rg.Do(context.Background(), uringbridge.PrepNop()); res != 0 || err != nil {
		return fmt.Errorf("nop: %d, %v", res, err)
	}

	dir, err := os.MkdirTemp("", "urb-outside")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "f")
	want := []byte("read through the ring\n")
	if err := os.WriteFile(path, want, 0o600); err != nil {
		return err
	}
	f, err := rg.Open(path)
	if err != nil {
		return err
	}
	got := make([]byte, len(want))
	n, err := f.ReadAt(got, 0)
	f.Close()
	if n != len(want) || err != nil || string(got) != string(want) {
		return fmt.Errorf("file read: %d %q, %v", n, got[:n], err)
	}

	l, err := uringbridge.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()
	c, err := uringbridge.Dial("tcp", l.Addr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		return err
	}
	reply := make([]byte, 4)
	if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "ping" {
		return fmt.Errorf("echo: %q, %v", reply, err)
	}
	return nil
}
