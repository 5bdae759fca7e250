//go:build linux && cgo

package uringbridge

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The splice paths of Conn.ReadFrom/WriteTo and File.ReadFrom/WriteTo
// (splice_linux.go), in each way the splices are made: by the binding
// (native), by the library for the shared ring and the blocking face
// (library), and as requests of a RingOptions.Fallback ring.

type spliceMode struct {
	name   string
	native bool
	ring   bool // the Conns and Files on a RingOptions.Fallback ring
}

var spliceModes = []spliceMode{{"native", true, false}, {"library", false, false}, {"fallback-ring", true, true}}

// setup sets the mode for the test and returns its ring (nil: the
// package's Listen and Dial, and Files on the blocking face).
func (m spliceMode) setup(t *testing.T) *Ring {
	t.Helper()
	spliceLibrary.Store(!m.native)
	t.Cleanup(func() { spliceLibrary.Store(false) })
	if m.ring {
		return newTestRing(t, &RingOptions{Fallback: true})
	}
	return nil
}

// forSpliceModes runs f in each mode; with library, the library must have
// made splices in the modes where it makes them, and none in the native
// one.
func forSpliceModes(t *testing.T, library bool, f func(t *testing.T, rg *Ring)) {
	for _, m := range spliceModes {
		t.Run(m.name, func(t *testing.T) {
			rg := m.setup(t)
			before := librarySplices.Load()
			f(t, rg)
			made := librarySplices.Load() - before
			switch {
			case !library:
			case m.native && !m.ring && nativeTries && made != 0:
				t.Errorf("%d splices went to the library in native mode", made)
			case (!m.native || m.ring) && made == 0:
				t.Errorf("no splice went to the library in mode %s", m.name)
			}
		})
	}
}

// spliceData is n pseudo-random bytes (the same for a given n).
func spliceData(n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)}).Read(b)
	return b
}

// dialedPair dials l (which it closes) with dial and returns both ends,
// closed at the end of the test.
func dialedPair(tb testing.TB, l net.Listener, dial func(network, address string) (net.Conn, error)) (dialed, accepted net.Conn) {
	tb.Helper()
	defer l.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		ch <- c
	}()
	dialed, err := dial("tcp", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	accepted = <-ch
	if accepted == nil {
		dialed.Close()
		tb.Fatal("accept failed")
	}
	tb.Cleanup(func() { accepted.Close(); dialed.Close() })
	return dialed, accepted
}

// dialOn is rg's Dial (nil: the package's).
func dialOn(rg *Ring) func(network, address string) (net.Conn, error) {
	if rg == nil {
		return Dial
	}
	return rg.Dial
}

// connPairOn is a connected pair of Conns on rg (nil: Listen and Dial).
func connPairOn(t *testing.T, rg *Ring) (server, client *Conn) {
	t.Helper()
	listen := Listen
	if rg != nil {
		listen = rg.Listen
	}
	l, err := listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, s := dialedPair(t, l, dialOn(rg))
	return s.(*Conn), c.(*Conn)
}

// stdPeer is a Conn on rg connected to a *net.TCPConn.
func stdPeer(t *testing.T, rg *Ring) (ours *Conn, peer *net.TCPConn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, s := dialedPair(t, l, dialOn(rg))
	return c.(*Conn), s.(*net.TCPConn)
}

// hashed is what a reader side received: its count, hash and error.
type hashed struct {
	n   int64
	sum [32]byte
	err error
}

// receive reads r to its end on a goroutine of its own.
func receive(r io.Reader) <-chan hashed {
	ch := make(chan hashed, 1)
	go func() {
		h := sha256.New()
		n, err := io.Copy(h, struct{ io.Reader }{r}) // a plain Read loop
		var out hashed
		out.n, out.err = n, err
		copy(out.sum[:], h.Sum(nil))
		ch <- out
	}()
	return ch
}

func openOn(t *testing.T, rg *Ring, path string, flag int) *File {
	t.Helper()
	var f *File
	var err error
	if rg == nil {
		f, err = OpenFile(path, flag, 0o600)
	} else {
		f, err = rg.OpenFile(path, flag, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// spliced runs f and returns how many bytes the splice paths moved meanwhile.
func spliced(f func()) int64 {
	before := splicedBytes.Load()
	f()
	return splicedBytes.Load() - before
}

// forcedSplice copies r to w through the splice machinery itself
// (spliceValues), also in the directions the methods leave to io.Copy's
// buffer (into sockets: it did not help, BENCHMARKS.md); the benchmarks
// measure those sides this way.
func forcedSplice(t *testing.T, w io.Writer, r io.Reader) (int64, error) {
	t.Helper()
	n, handled, err := spliceValues(w, r, nil)
	if !handled {
		t.Fatalf("%T to %T was not spliced", r, w)
	}
	return n, err
}

// copyKind is how a test copies: io.Copy (the public methods: spliced only
// into files) or forcedSplice.
func copyKind(t *testing.T, kind string, w io.Writer, r io.Reader) (n int64, err error, spliceWanted bool) {
	t.Helper()
	if strings.HasSuffix(kind, "forced") {
		n, err = forcedSplice(t, w, r)
		return n, err, true
	}
	n, err = io.Copy(w, r)
	return n, err, false
}

// File (ours and *os.File) to Conn, from an offset inside the file: by
// io.Copy through the buffer (Conn has no ReadFrom, File no WriteTo), and
// forced through splice: every byte from the position on arrives, the
// count is right, and the source's position ends at the end of the file.
func TestSpliceFileToConn(t *testing.T) {
	const size, start = 5<<20 + 12345, 1000
	data := spliceData(size)
	want := sha256.Sum256(data[start:])
	path := writeTemp(t, data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		for _, kind := range []string{"File/io.Copy", "File/forced", "os.File/io.Copy", "os.File/forced"} {
			t.Run(kind, func(t *testing.T) {
				conn, peer := connPairOn(t, rg)
				var src interface {
					io.ReadSeeker
				}
				if kind[:2] == "os" {
					f, err := os.Open(path)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					src = f
				} else {
					src = openOn(t, rg, path, os.O_RDONLY)
				}
				if _, err := src.Seek(start, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				got := receive(peer)
				var n int64
				var err error
				var wanted bool
				moved := spliced(func() { n, err, wanted = copyKind(t, kind, conn, src) })
				if err != nil || n != size-start {
					t.Fatalf("copy: %d, %v; want %d, nil", n, err, size-start)
				}
				conn.CloseWrite()
				r := <-got
				if r.err != nil || r.n != size-start || r.sum != want {
					t.Fatalf("peer got %d bytes (%v), hash match %v", r.n, r.err, r.sum == want)
				}
				if (wanted && moved != n) || (!wanted && moved != 0) {
					t.Errorf("the splice path moved %d bytes of %d (splice wanted: %v)", moved, n, wanted)
				}
				if pos, _ := src.Seek(0, io.SeekCurrent); pos != size {
					t.Errorf("source position %d after the copy, want %d", pos, size)
				}
			})
		}
	})
}

// Conn to File: io.Copy into a File and into an *os.File (both
// Conn.WriteTo), and File.ReadFrom; the file holds exactly the bytes the
// peer sent, after what it held.
func TestSpliceConnToFile(t *testing.T) {
	const size = 4<<20 + 777
	data := spliceData(size)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		for _, kind := range []string{"File/io.Copy", "File/ReadFrom", "os.File/io.Copy"} {
			t.Run(kind, func(t *testing.T) {
				conn, peer := connPairOn(t, rg)
				path := writeTemp(t, []byte("head"))
				var dst io.WriteSeeker
				var ours *File
				if kind[:2] == "os" {
					f, err := os.OpenFile(path, os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					dst = f
				} else {
					ours = openOn(t, rg, path, os.O_WRONLY)
					dst = ours
				}
				dst.Seek(4, io.SeekStart)
				go func() {
					peer.Write(data)
					peer.CloseWrite()
				}()
				var n int64
				var err error
				moved := spliced(func() {
					if kind == "File/ReadFrom" {
						n, err = ours.ReadFrom(conn)
					} else {
						n, err = io.Copy(dst, conn)
					}
				})
				if err != nil || n != size {
					t.Fatalf("copy: %d, %v; want %d, nil", n, err, size)
				}
				if moved < size {
					t.Errorf("the splice path moved %d bytes, want %d", moved, size)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, append([]byte("head"), data...)) {
					t.Fatalf("file holds %d bytes, not head + the %d sent", len(got), size)
				}
			})
		}
	})
}

// Conn to Conn, and between a Conn and a *net.TCPConn both ways, by
// io.Copy (the buffer: Conn.WriteTo splices only into files) and forced
// through splice (package net's wrapper of a TCPConn included).
func TestSpliceConnToConn(t *testing.T) {
	const size = 6<<20 + 3
	data := spliceData(size)
	want := sha256.Sum256(data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		for _, pair := range []string{"Conn->Conn", "TCPConn->Conn", "Conn->TCPConn"} {
			for _, how := range []string{"io.Copy", "forced"} {
				kind := pair + "/" + how
				t.Run(kind, func(t *testing.T) {
					var src, dst net.Conn
					var feed, sink net.Conn
					switch pair {
					case "Conn->Conn":
						src, feed = connPairOn(t, rg)
						dst, sink = connPairOn(t, rg)
					case "TCPConn->Conn":
						feed, src = stdPeer(t, rg) // src: the *net.TCPConn
						dst, sink = connPairOn(t, rg)
					case "Conn->TCPConn":
						src, feed = connPairOn(t, rg)
						sink, dst = stdPeer(t, rg) // dst: the *net.TCPConn
					}
					go func() {
						feed.Write(data)
						feed.(interface{ CloseWrite() error }).CloseWrite()
					}()
					got := receive(sink)
					var n int64
					var err error
					var wanted bool
					moved := spliced(func() { n, err, wanted = copyKind(t, kind, dst, src) })
					if err != nil || n != size {
						t.Fatalf("copy: %d, %v; want %d, nil", n, err, size)
					}
					dst.(interface{ CloseWrite() error }).CloseWrite()
					if r := <-got; r.err != nil || r.n != size || r.sum != want {
						t.Fatalf("sink got %d bytes (%v), hash match %v", r.n, r.err, r.sum == want)
					}
					if (wanted && moved != n) || (!wanted && moved != 0) {
						t.Errorf("the splice path moved %d bytes of %d (splice wanted: %v)", moved, n, wanted)
					}
				})
			}
		}
	})
}

// An *io.LimitedReader around a File or a Conn: exactly N bytes move, N
// ends at 0 (or at what the source lacked), and the source's next bytes
// are still there for its next Read.
func TestSpliceLimitedReader(t *testing.T) {
	const size = 3 << 20
	data := spliceData(size)
	path := writeTemp(t, data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		t.Run("File", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			f := openOn(t, rg, path, os.O_RDONLY)
			got := receive(peer)
			const k = 2<<20 + 5
			lr := &io.LimitedReader{R: f, N: k}
			n, err := forcedSplice(t, conn, lr)
			if err != nil || n != k || lr.N != 0 {
				t.Fatalf("copy: %d, %v, N %d; want %d, nil, 0", n, err, lr.N, k)
			}
			rest := make([]byte, 10)
			if _, err := io.ReadFull(f, rest); err != nil || !bytes.Equal(rest, data[k:k+10]) {
				t.Fatalf("the file's next bytes: %v, %v", rest, err)
			}
			// More than is left: the rest, N keeps what was not there.
			lr = &io.LimitedReader{R: f, N: size}
			n, err = forcedSplice(t, conn, lr)
			if err != nil || n != size-k-10 || lr.N != k+10 {
				t.Fatalf("copy to the end: %d, %v, N %d; want %d, nil, %d", n, err, lr.N, size-k-10, k+10)
			}
			// N 0: nothing, at once.
			if n, err := forcedSplice(t, conn, &io.LimitedReader{R: f, N: 0}); n != 0 || err != nil {
				t.Fatalf("N 0: %d, %v", n, err)
			}
			conn.CloseWrite()
			r := <-got
			wantSum := sha256.Sum256(append(append([]byte{}, data[:k]...), data[k+10:]...))
			if r.n != size-10 || r.sum != wantSum {
				t.Fatalf("peer got %d bytes, hash match %v", r.n, r.sum == wantSum)
			}
		})
		t.Run("Conn", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			go func() {
				peer.Write(data)
				peer.CloseWrite()
			}()
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			const k = 1<<20 + 99
			var n int64
			var err error
			moved := spliced(func() { n, err = io.CopyN(out, conn, k) }) // File.ReadFrom(LimitedReader)
			if err != nil || n != k {
				t.Fatalf("CopyN: %d, %v", n, err)
			}
			if moved != k {
				t.Errorf("the splice path moved %d bytes, want %d", moved, k)
			}
			rest, err := io.ReadAll(conn)
			if err != nil || !bytes.Equal(rest, data[k:]) {
				t.Fatalf("the rest read from the Conn: %d bytes, %v; want the %d after the first %d", len(rest), err, size-k, k)
			}
			got := make([]byte, k)
			if _, err := out.ReadAt(got, 0); err != nil || !bytes.Equal(got, data[:k]) {
				t.Fatalf("file: %v", err)
			}
		})
	})
}

// The peer goes away mid-copy. File to Conn: the copy fails with the
// Conn's write error (EPIPE or ECONNRESET) and counts no more than was
// sent. Conn to File: the peer's Close is the end, every byte it sent is
// in the file.
func TestSplicePeerClosesMidCopy(t *testing.T) {
	const size = 32 << 20
	data := spliceData(size)
	path := writeTemp(t, data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		t.Run("File->Conn", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			f := openOn(t, rg, path, os.O_RDONLY)
			go func() {
				buf := make([]byte, 64<<10)
				io.ReadFull(peer, buf)
				peer.SetLinger(0)
				peer.Close()
			}()
			n, err := forcedSplice(t, conn, f)
			var oe *net.OpError
			if err == nil || !errors.As(err, &oe) || oe.Op != "write" ||
				!(errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("copy: %d, %v; want a write error EPIPE or ECONNRESET", n, err)
			}
			if n <= 0 || n >= size {
				t.Fatalf("copy counted %d bytes of %d", n, size)
			}
		})
		t.Run("Conn->File", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			const k = 3<<20 + 1
			go func() {
				peer.Write(data[:k])
				peer.Close()
			}()
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			n, err := io.Copy(out, conn)
			if err != nil || n != k {
				t.Fatalf("copy: %d, %v; want %d, nil", n, err, k)
			}
			got := make([]byte, k)
			if _, err := out.ReadAt(got, 0); err != nil || !bytes.Equal(got, data[:k]) {
				t.Fatalf("file: %v", err)
			}
		})
	})
}

// Deadlines and Close end a copy that waits, with the Conn's own errors,
// and nothing is lost: a read deadline stops Conn->File with every byte
// sent so far in the file and the next ones still readable; a write
// deadline stops File->Conn with the count exactly what the peer then
// receives; Close ends a WriteTo waiting for data with net.ErrClosed.
func TestSpliceDeadlinesAndClose(t *testing.T) {
	data := spliceData(32 << 20) // more than the loopback's socket buffers hold
	path := writeTemp(t, data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		t.Run("read deadline", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			const k = 100 << 10
			if _, err := peer.Write(data[:k]); err != nil {
				t.Fatal(err)
			}
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, err := io.Copy(out, conn)
			var oe *net.OpError
			if n != k || !isTimeout(err) || !errors.As(err, &oe) || oe.Op != "read" {
				t.Fatalf("copy: %d, %v; want %d and a read timeout", n, err, k)
			}
			conn.SetReadDeadline(time.Time{})
			peer.Write(data[k : k+5])
			next := make([]byte, 5)
			if _, err := io.ReadFull(conn, next); err != nil || !bytes.Equal(next, data[k:k+5]) {
				t.Fatalf("after the deadline: %v, %v", next, err)
			}
			got := make([]byte, k)
			if _, err := out.ReadAt(got, 0); err != nil || !bytes.Equal(got, data[:k]) {
				t.Fatalf("file: %v", err)
			}
		})
		t.Run("write deadline", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			f := openOn(t, rg, path, os.O_RDONLY)
			conn.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := forcedSplice(t, conn, f) // the peer reads nothing meanwhile
			var oe *net.OpError
			if !isTimeout(err) || !errors.As(err, &oe) || oe.Op != "write" || n <= 0 || n >= int64(len(data)) {
				t.Fatalf("copy: %d, %v; want part and a write timeout", n, err)
			}
			got := receive(peer)
			conn.Close()
			r := <-got
			if r.err != nil || r.n != n || r.sum != sha256.Sum256(data[:n]) {
				t.Fatalf("peer got %d bytes (%v), the copy counted %d", r.n, r.err, n)
			}
		})
		t.Run("read deadline of a TCPConn source", func(t *testing.T) {
			feed, src := stdPeer(t, rg)
			const k = 10 << 10
			if _, err := feed.Write(data[:k]); err != nil {
				t.Fatal(err)
			}
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			src.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			var n int64
			var err error
			// net's WriteTo hands its wrapper over to File.ReadFrom.
			moved := spliced(func() { n, err = io.Copy(out, src) })
			// Package net's WriteTo wraps what File.ReadFrom returned, the
			// source's read error, in one of its own (Op writeto).
			var outer, inner *net.OpError
			if n != k || !isTimeout(err) || !errors.As(err, &outer) || outer.Op != "writeto" ||
				!errors.As(outer.Err, &inner) || inner.Op != "read" {
				t.Fatalf("copy: %d, %v; want %d and a read timeout", n, err, k)
			}
			if moved != k {
				t.Errorf("the splice path moved %d bytes, want %d", moved, k)
			}
			got := make([]byte, k)
			if _, err := out.ReadAt(got, 0); err != nil || !bytes.Equal(got, data[:k]) {
				t.Fatalf("file: %v", err)
			}
		})
		t.Run("Close", func(t *testing.T) {
			conn, _ := connPairOn(t, rg)
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			done := make(chan error, 1)
			go func() {
				_, err := io.Copy(out, conn)
				done <- err
			}()
			time.Sleep(100 * time.Millisecond)
			conn.Close()
			select {
			case err := <-done:
				if !errors.Is(err, net.ErrClosed) {
					t.Fatalf("copy after Close: %v, want net.ErrClosed", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not end the copy")
			}
		})
	})
}

// onlyWriter and onlyReader hide every method but Write and Read.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }

type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// What cannot be spliced goes through io.Copy's buffer with the same
// results: a bytes.Reader, a reader or writer with Read/Write only, a
// LimitedReader of one, a File opened with O_APPEND, a File to a File.
func TestSpliceFallbackTypes(t *testing.T) {
	const size = 1<<20 + 17
	data := spliceData(size)
	want := sha256.Sum256(data)
	forSpliceModes(t, false, func(t *testing.T, rg *Ring) {
		t.Run("readers into a File", func(t *testing.T) {
			out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
			var total int64
			moved := spliced(func() {
				n1, err1 := io.Copy(out, bytes.NewReader(data[:1000])) // bytes.Reader's WriteTo
				n2, err2 := out.ReadFrom(onlyReader{bytes.NewReader(data[1000:5000])})
				n3, err3 := out.ReadFrom(&io.LimitedReader{R: onlyReader{bytes.NewReader(data[5000:])}, N: size})
				if err1 != nil || err2 != nil || err3 != nil {
					t.Fatal(err1, err2, err3)
				}
				total = n1 + n2 + n3
			})
			got, err := os.ReadFile(out.Name())
			if err != nil || total != size || sha256.Sum256(got) != want {
				t.Fatalf("counted %d, file has %d bytes (%v), hash match %v", total, len(got), err, sha256.Sum256(got) == want)
			}
			if moved != 0 {
				t.Errorf("the splice path moved %d bytes of readers it cannot splice", moved)
			}
		})
		t.Run("Conn into writers", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			go func() {
				peer.Write(data)
				peer.CloseWrite()
			}()
			var buf bytes.Buffer
			var n int64
			var err error
			moved := spliced(func() { n, err = io.Copy(onlyWriter{&buf}, conn) })
			if err != nil || n != size || !bytes.Equal(buf.Bytes(), data) || moved != 0 {
				t.Fatalf("copy: %d, %v, equal %v, spliced %d", n, err, bytes.Equal(buf.Bytes(), data), moved)
			}
		})
		t.Run("O_APPEND and File to File", func(t *testing.T) {
			conn, peer := connPairOn(t, rg)
			go func() {
				peer.Write(data)
				peer.CloseWrite()
			}()
			path := writeTemp(t, []byte("head"))
			app := openOn(t, rg, path, os.O_WRONLY|os.O_APPEND)
			var n int64
			var err error
			moved := spliced(func() { n, err = io.Copy(app, conn) })
			if err != nil || n != size || moved != 0 {
				t.Fatalf("into O_APPEND: %d, %v, spliced %d", n, err, moved)
			}
			src := openOn(t, rg, path, os.O_RDONLY)
			dst := openOn(t, rg, filepath.Join(t.TempDir(), "copy"), os.O_RDWR|os.O_CREATE)
			moved = spliced(func() { n, err = io.Copy(dst, src) })
			if err != nil || n != size+4 || moved != 0 {
				t.Fatalf("File to File: %d, %v, spliced %d", n, err, moved)
			}
			got, _ := os.ReadFile(dst.Name())
			if !bytes.Equal(got, append([]byte("head"), data...)) {
				t.Fatalf("File to File: %d bytes, not head + data", len(got))
			}
		})
	})
}

// A File into a *net.TCPConn (io.Copy's buffer) and a *net.TCPConn into
// a File (File.ReadFrom, spliced), through an echo server: exact.
func TestSpliceFileAndTCPConn(t *testing.T) {
	const size = 2<<20 + 1
	data := spliceData(size)
	want := sha256.Sum256(data)
	path := writeTemp(t, data)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			c, err := l.Accept()
			if err == nil {
				io.Copy(c, c) // echo
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		f := openOn(t, rg, path, os.O_RDONLY)
		back := openOn(t, rg, filepath.Join(t.TempDir(), "back"), os.O_RDWR|os.O_CREATE)
		done := make(chan error, 1)
		var nBack int64
		go func() {
			var err error
			nBack, err = back.ReadFrom(c)
			done <- err
		}()
		var n int64
		moved := spliced(func() {
			n, err = io.Copy(c, f)
			if err != nil || n != size {
				t.Fatalf("File to TCPConn: %d, %v", n, err)
			}
			c.(*net.TCPConn).CloseWrite()
			if err := <-done; err != nil || nBack != size {
				t.Fatalf("TCPConn to File: %d, %v", nBack, err)
			}
		})
		if moved != size { // the way back only
			t.Errorf("the splice path moved %d bytes, want %d", moved, size)
		}
		got, _ := os.ReadFile(back.Name())
		if sha256.Sum256(got) != want {
			t.Fatal("the echoed file differs")
		}
	})
}

// Pipes of package os (non-blocking, in the netpoller): a Conn into a
// pipe (io.Copy's buffer) and the pipe into a File (package os's WriteTo
// hands its wrapper over to File.ReadFrom: spliced), exact.
func TestSplicePipes(t *testing.T) {
	const size = 3<<20 + 11
	data := spliceData(size)
	forSpliceModes(t, true, func(t *testing.T, rg *Ring) {
		conn, peer := connPairOn(t, rg)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() {
			peer.Write(data)
			peer.CloseWrite()
		}()
		// peer -> conn -> pw -> pr -> out
		errc := make(chan error, 1)
		go func() {
			_, err := io.Copy(pw, conn)
			pw.Close()
			errc <- err
		}()
		out := openOn(t, rg, filepath.Join(t.TempDir(), "out"), os.O_RDWR|os.O_CREATE)
		var n int64
		moved := spliced(func() { n, err = io.Copy(out, pr) })
		if err != nil || n != size {
			t.Fatalf("pipe to File: %d, %v", n, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("Conn to pipe: %v", err)
		}
		if moved != size {
			t.Errorf("the splice path moved %d bytes, want %d", moved, size)
		}
		got, err := os.ReadFile(out.Name())
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("file: %d bytes, %v", len(got), err)
		}
	})
}
