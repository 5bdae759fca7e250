//go:build linux && cgo

package uringbridge

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// io.Copy over loopback TCP in three directions, each with three sides:
//
//	splice: the binding's splice (splice_linux.go): io.CopyN into a File
//	        (File.ReadFrom); file to Conn and Conn to Conn through
//	        spliceValues itself, as the methods do not splice into a socket
//	        (these figures are why);
//	buffer: the same Conn and File with the methods hidden, so io.Copy
//	        goes through its 32 KiB buffer (what io.Copy did before);
//	std:    package os and net's own types (sendfile, splice).
//
// Each reports MB/s and the process's CPU time (getrusage: user + system,
// the draining or feeding peer included, which is the same for all sides)
// per MiB copied. bench.sh runs the sides interleaved, several rounds.

const copyBenchSize = readAtFileSize // 64 MiB, page-cached

// copyPath is the file copied: $URB_BENCH_COPY_FILE (made if missing, and
// then kept: bench.sh runs one test binary per measurement and removes it
// at the end), else readAtPath's.
func copyPath(b *testing.B) string {
	p := os.Getenv("URB_BENCH_COPY_FILE")
	if p == "" {
		return readAtPath(b)
	}
	if st, err := os.Stat(p); err == nil && st.Size() == copyBenchSize {
		return p
	}
	data := make([]byte, copyBenchSize)
	rand.NewChaCha8([32]byte{2}).Read(data)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// cpuNow is the process's CPU time so far (user + system).
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureCopies runs copyOnce b.N times and reports CPU time per MiB.
func measureCopies(b *testing.B, copyOnce func() error) {
	b.SetBytes(copyBenchSize)
	b.ResetTimer()
	c0 := cpuNow()
	for range b.N {
		if err := copyOnce(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := cpuNow() - c0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/(copyBenchSize>>20), "cpu-us/MiB")
}

// benchTCP is a loopback TCP connection: ours (Dial, or package net's
// with std) and its peer, a *net.TCPConn.
func benchTCP(b *testing.B, std bool) (ours, peer net.Conn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	dial := Dial
	if std {
		dial = net.Dial
	}
	return dialedPair(b, l, dial)
}

// forceSplice copies src to dst through the splice machinery even where
// the methods would not.
func forceSplice(dst io.Writer, src io.Reader) error {
	_, handled, err := spliceValues(dst, src, nil)
	if !handled {
		return fmt.Errorf("%T to %T: not spliced", src, dst)
	}
	return err
}

// drain reads c to its end with a 256 KiB buffer; the channel says when.
func drain(c net.Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 256<<10)
		for {
			if _, err := c.Read(buf); err != nil {
				close(done)
				return
			}
		}
	}()
	return done
}

// feed writes to c from a 1 MiB buffer until a write fails.
func feed(c net.Conn) {
	buf := make([]byte, 1<<20)
	go func() {
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}()
}

// File to a loopback connection whose peer drains it.
func BenchmarkCopyFileToConn(b *testing.B) {
	path := copyPath(b)
	run := func(b *testing.B, std bool, src io.ReadSeeker, copyTo func(dst net.Conn, src io.Reader) error) {
		dst, peer := benchTCP(b, std)
		done := drain(peer)
		measureCopies(b, func() error {
			if _, err := src.Seek(0, io.SeekStart); err != nil {
				return err
			}
			return copyTo(dst, src)
		})
		dst.(interface{ CloseWrite() error }).CloseWrite()
		<-done
	}
	b.Run("splice", func(b *testing.B) {
		f := benchOpen(b, path)
		run(b, false, f, func(dst net.Conn, src io.Reader) error {
			return forceSplice(dst, src)
		})
	})
	b.Run("buffer", func(b *testing.B) {
		f := benchOpen(b, path)
		run(b, false, f, func(dst net.Conn, src io.Reader) error {
			_, err := io.Copy(onlyWriter{dst}, onlyReader{src})
			return err
		})
	})
	b.Run("std", func(b *testing.B) {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		run(b, true, f, func(dst net.Conn, src io.Reader) error {
			_, err := io.Copy(dst, src) // sendfile(2)
			return err
		})
	})
}

func benchOpen(b *testing.B, path string) *File {
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// A relay: 64 MiB per op from one loopback connection (fed by its peer)
// to another (drained by its peer), io.CopyN.
func BenchmarkCopyConnToConn(b *testing.B) {
	run := func(b *testing.B, std bool, copyN func(dst, src net.Conn) error) {
		src, feeder := benchTCP(b, std)
		dst, sink := benchTCP(b, std)
		feed(feeder)
		done := drain(sink)
		measureCopies(b, func() error { return copyN(dst, src) })
		dst.(interface{ CloseWrite() error }).CloseWrite()
		<-done
	}
	b.Run("splice", func(b *testing.B) {
		run(b, false, func(dst, src net.Conn) error {
			return forceSplice(dst, &io.LimitedReader{R: src, N: copyBenchSize})
		})
	})
	b.Run("buffer", func(b *testing.B) {
		run(b, false, func(dst, src net.Conn) error {
			_, err := io.CopyN(onlyWriter{dst}, onlyReader{src}, copyBenchSize)
			return err
		})
	})
	b.Run("std", func(b *testing.B) {
		run(b, true, func(dst, src net.Conn) error {
			_, err := io.CopyN(dst, src, copyBenchSize) // package net's splice
			return err
		})
	})
}

// 64 MiB per op from a loopback connection (fed by its peer) into a file,
// overwritten from its start each time (page cache only).
func BenchmarkCopyConnToFile(b *testing.B) {
	dir := b.TempDir()
	run := func(b *testing.B, std bool, dst io.WriteSeeker, copyN func(dst io.Writer, src net.Conn) error) {
		src, feeder := benchTCP(b, std)
		feed(feeder)
		measureCopies(b, func() error {
			if _, err := dst.Seek(0, io.SeekStart); err != nil {
				return err
			}
			return copyN(dst, src)
		})
	}
	spliced := func(dst io.Writer, src net.Conn) error {
		_, err := io.CopyN(dst, src, copyBenchSize)
		return err
	}
	create := func(b *testing.B, name string) *File {
		f, err := Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		return f
	}
	b.Run("splice", func(b *testing.B) { run(b, false, create(b, "splice"), spliced) })
	b.Run("buffer", func(b *testing.B) {
		run(b, false, create(b, "buffer"), func(dst io.Writer, src net.Conn) error {
			_, err := io.CopyN(onlyWriter{dst}, onlyReader{src}, copyBenchSize)
			return err
		})
	})
	b.Run("std", func(b *testing.B) {
		f, err := os.Create(filepath.Join(dir, "std"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		run(b, true, f, spliced) // os.File.ReadFrom: package os's splice
	})
}
