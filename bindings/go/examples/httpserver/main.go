// Command httpserver is the seeds' HTTP benchmark server: accept, read the
// request, send a fixed 200 reply ("Hello, world!", 13 bytes), keep the
// connection alive when the client asks (HTTP/1.1 unless "Connection:
// close"; HTTP/1.0 only with "Connection: keep-alive"), close it otherwise.
// One goroutine per connection. It sends the same bytes as the C servers
// (examples-c/include/http.h).
//
// -net uring serves on uringbridge.Listen (accept, receive and send are
// requests on the shared ring); -net std serves the same program on
// net.Listen, for comparison.
//
//	httpserver [-net uring|std] [-addr 127.0.0.1:0] [-max-requests N]
//
// It prints "listening on ADDR" once ready; with -max-requests it exits
// after serving that many requests.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"sync/atomic"

	uringbridge "uringbridge.dev/go"
)

const body = "Hello, world!"

var (
	replyKeep   = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n" + body)
	replyClose  = []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\n" + body)
	replyKeep10 = []byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n" + body)
)

var (
	served      atomic.Int64
	maxRequests int64
	done        = make(chan struct{})
)

func main() {
	netFlag := flag.String("net", "uring", "uring (uringbridge.Listen) or std (net.Listen)")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Int64Var(&maxRequests, "max-requests", -1, "exit after this many requests (-1: never)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file (with -max-requests)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "httpserver:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}

	l, err := listen(*netFlag, *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpserver:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s (%s, engine %s)\n", l.Addr(), *netFlag, uringbridge.EngineName())
	go func() {
		fmt.Fprintln(os.Stderr, "httpserver: accept:", serveAll(l))
		os.Exit(1)
	}()
	<-done
	fmt.Printf("served %d requests\n", served.Load())
	if *netFlag == "uring" {
		if rg, err := uringbridge.SharedRing(); err == nil {
			if st, err := rg.Stats(); err == nil {
				n := float64(served.Load())
				fmt.Printf("ring: %d requests, %d completions, %.2f enters, %.2f owner wake-ups per HTTP request\n",
					st.Submitted, st.Completions, float64(st.Enters)/n, float64(st.Wakeups)/n)
			}
		}
	}
}

// listen listens on addr with uringbridge.Listen (mode "uring") or
// net.Listen (mode "std").
func listen(mode, addr string) (net.Listener, error) {
	switch mode {
	case "uring":
		return uringbridge.Listen("tcp", addr)
	case "std":
		return net.Listen("tcp", addr)
	}
	return nil, fmt.Errorf("-net must be uring or std, not %q", mode)
}

// serveAll serves every connection l accepts, each on a goroutine of its
// own, until Accept fails (the listener was closed).
func serveAll(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go serve(c)
	}
}

// serve answers every request of one connection.
func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 8192)
	n := 0
	for {
		// Answer every complete request head already buffered (a client may
		// pipeline), then read more.
		for {
			end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
			if end < 0 {
				break
			}
			head := buf[:end+4]
			http10 := bytes.Contains(head, []byte("HTTP/1.0"))
			var keep bool
			if http10 {
				keep = containsFold(head, "Connection: keep-alive")
			} else {
				keep = !containsFold(head, "Connection: close")
			}
			reply := replyClose
			if keep && http10 {
				reply = replyKeep10
			} else if keep {
				reply = replyKeep
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
			n = copy(buf, buf[end+4:n])
			if s := served.Add(1); maxRequests >= 0 && s == maxRequests {
				close(done)
			}
			if !keep {
				return
			}
		}
		if n == len(buf) {
			return // a request head larger than the buffer: give up
		}
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
	}
}

// containsFold reports whether head contains needle, ignoring ASCII case.
func containsFold(head []byte, needle string) bool {
	for i := 0; i+len(needle) <= len(head); i++ {
		if bytes.EqualFold(head[i:i+len(needle)], []byte(needle)) {
			return true
		}
	}
	return false
}
