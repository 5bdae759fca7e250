// Command echo is an echo server on uringbridge.Listen: it sends back every
// byte a client sends, and when the client shuts down its sending side it
// shuts down its own after the last byte, so the client reads EOF. One
// goroutine per connection, plain io.Copy: the accept, receive and send
// requests run on the process's shared ring, and a connection waiting for
// data parks its goroutine, not an OS thread.
//
//	echo [-addr 127.0.0.1:7007] [-network tcp|tcp4|tcp6|unix]
//
// It prints "listening on ADDR" once ready.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	uringbridge "uringbridge.dev/go"
)

func main() {
	network := flag.String("network", "tcp", "tcp, tcp4, tcp6 or unix")
	addr := flag.String("addr", "127.0.0.1:7007", "address (or socket path) to listen on")
	flag.Parse()
	l, err := uringbridge.Listen(*network, *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s (engine %s)\n", l.Addr(), uringbridge.EngineName())
	fmt.Fprintln(os.Stderr, "echo:", serve(l))
	os.Exit(1)
}

// serve echoes on every connection l accepts until Accept fails (the
// listener was closed) and returns that error.
func serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go echo(c)
	}
}

// echo copies what c receives back to it; at the client's EOF it shuts
// down its sending side (the client sees EOF after the last byte) and
// closes the connection.
func echo(c net.Conn) {
	defer c.Close()
	if _, err := io.Copy(c, c); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
