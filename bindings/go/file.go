package uringbridge

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
)

// File is an open file whose I/O goes through the library. Its methods
// behave like those of *os.File: errors are *os.PathError, Read returns
// io.EOF at the end, ReadAt and WriteAt transfer everything or say why not,
// and methods of a closed File fail with os.ErrClosed.
//
// A File may be used from several goroutines. Read, Write and Seek share
// the kernel's file position, as with *os.File.
type File struct {
	h       *fdHandle
	ring    *Ring // nil: the blocking face (each call blocks its OS thread)
	name    string
	append  bool
	cleanup runtime.Cleanup
	// readKind is how a read on the ring is tried (nowait_linux.go),
	// learnt at the first such read.
	readKind atomic.Uint32
}

var (
	_ io.ReaderAt        = (*File)(nil)
	_ io.WriterAt        = (*File)(nil)
	_ io.ReadWriteCloser = (*File)(nil)
	_ io.Seeker          = (*File)(nil)
	_ io.ReaderFrom      = (*File)(nil)
)

// fdHandle counts the calls using a descriptor so that Close never frees the
// number while a call is still using it: a request in flight on a closed and
// then reused descriptor number would read or write somebody else's file.
// The last user closes it. The count is one atomic word (like the fdMutex
// of Go's internal/poll), so that many goroutines reading one File do not
// queue on a lock.
type fdHandle struct {
	fd int
	// state is the number of calls using fd, plus handleClosing once
	// close has been called.
	state atomic.Int64
}

const handleClosing = int64(1) << 62

// acquire returns the descriptor, to be given back with release, or
// os.ErrClosed.
func (h *fdHandle) acquire() (int, error) {
	if h.state.Add(1)&handleClosing != 0 {
		h.release()
		return -1, os.ErrClosed
	}
	return h.fd, nil
}

func (h *fdHandle) release() {
	if h.state.Add(-1) == handleClosing {
		// The last user after close: the owner's Close has already
		// returned; nobody is left to tell.
		_ = Close(h.fd)
	}
}

func (h *fdHandle) isClosed() bool { return h.state.Load()&handleClosing != 0 }

// close marks the handle closed. The descriptor is closed now if no call
// is using it, otherwise by the last such call when it returns (like
// package os does for blocking descriptors, Close does not wait: a read on
// an idle pipe may never return).
func (h *fdHandle) close() error {
	old := h.state.Or(handleClosing)
	switch {
	case old&handleClosing != 0:
		return os.ErrClosed
	case old != 0:
		return nil // in use: the last release closes it
	}
	return Close(h.fd)
}

// Open opens the named file for reading.
func Open(name string) (*File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates the named file (mode 0666 before umask) and
// opens it for reading and writing.
func Create(name string) (*File, error) {
	return OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// OpenFile opens the named file with the os.O_* flags and, when it creates
// the file, the permission bits perm (before umask). The descriptor is
// close-on-exec, as with package os.
func OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	fd, err := Openat(AtFdcwd, name, flag|oCloexec, permToMode(perm))
	if err != nil {
		return nil, asPathError("open", name, err)
	}
	return newFile(fd, name, flag&os.O_APPEND != 0), nil
}

// NewFile wraps a descriptor the caller owns; the File then owns it and
// closes it on Close (or when the File is garbage collected unclosed).
func NewFile(fd int, name string) *File { return newFile(fd, name, false) }

// Open is [Open] on this ring (see [Ring.OpenFile]).
func (rg *Ring) Open(name string) (*File, error) { return rg.OpenFile(name, os.O_RDONLY, 0) }

// OpenFile is [OpenFile] with the file's requests on this ring: the open,
// and then ReadAt, WriteAt, Read, Write and Sync park only the calling
// goroutine while the ring's owner thread drives the kernel, instead of
// blocking an OS thread per call as the package-level functions do. Many
// goroutines reading one File at once then need no OS thread each, and
// their requests reach the kernel in batches. A ReadAt of page-cached
// data finishes on the calling goroutine's thread (one preadv2 with
// RWF_NOWAIT, no cgo call) and never meets the ring; see [Ring.NewFile]
// for what the File learns about its descriptor at its first read. Seek,
// Stat and Close stay on the blocking face (short calls that do not wait
// for a device). The File keeps the ring reachable; closing the ring makes
// the file's later requests fail with [ErrRingClosed].
func (rg *Ring) OpenFile(name string, flag int, perm fs.FileMode) (*File, error) {
	fd, err := rg.openat(name, flag|oCloexec, permToMode(perm))
	if err != nil {
		return nil, asPathError("open", name, err)
	}
	f := newFile(fd, name, flag&os.O_APPEND != 0)
	f.ring = rg
	return f, nil
}

// NewFile is [NewFile] with the file's requests on this ring.
//
// Reads at an offset (ReadAt) are tried on the calling thread with
// preadv2(RWF_NOWAIT), except on an O_DIRECT descriptor, whose reads all go
// to the ring. The File learns whether its descriptor is O_DIRECT, and its
// file type, at its first read and keeps both: a later fcntl(F_SETFL) that
// sets O_DIRECT through Fd is not seen, and such reads are still tried on
// the caller (with the same results: preadv2 of an O_DIRECT descriptor
// waits for the device instead of answering EAGAIN, and blocks the calling
// thread meanwhile).
func (rg *Ring) NewFile(fd int, name string) *File {
	f := newFile(fd, name, false)
	f.ring = rg
	return f
}

func newFile(fd int, name string, appendMode bool) *File {
	f := &File{h: &fdHandle{fd: fd}, name: name, append: appendMode}
	// A File dropped without Close must not leak its descriptor. The
	// cleanup gets the handle, not the File, so the File stays collectable;
	// and since the handle counts users, a cleanup that runs while a method
	// is still inside a call cannot free the descriptor under it.
	f.cleanup = runtime.AddCleanup(f, func(h *fdHandle) { _ = h.close() }, f.h)
	return f
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Fd returns the descriptor, or ^uintptr(0) once the file is closed. It
// stays valid only while f is open and reachable: keep f alive (for example
// with runtime.KeepAlive(f)) until you are done with the number.
func (f *File) Fd() uintptr {
	if f.h.isClosed() {
		return ^uintptr(0)
	}
	return uintptr(f.h.fd)
}

// Close closes the file. A second Close returns an error wrapping
// os.ErrClosed and touches no descriptor.
func (f *File) Close() error {
	if f == nil {
		return os.ErrInvalid
	}
	err := f.h.close()
	f.cleanup.Stop() // closed by hand (or already): nothing left for the cleanup
	if err != nil {
		return asPathError("close", f.name, err)
	}
	return nil
}

// use runs fn with the descriptor held, so that a concurrent Close or the
// garbage collector cannot release the number while fn is in the library.
func (f *File) use(op string, fn func(fd int) error) error {
	fd, err := f.h.acquire()
	if err != nil {
		return asPathError(op, f.name, err)
	}
	err = fn(fd)
	f.h.release()
	runtime.KeepAlive(f)
	if err != nil {
		return asPathError(op, f.name, err)
	}
	return nil
}

// Read reads up to len(p) bytes at the file position. At end of file it
// returns 0, io.EOF.
func (f *File) Read(p []byte) (n int, err error) {
	if len(p) == 0 {
		return 0, f.use("read", func(int) error { return nil })
	}
	err = f.use("read", func(fd int) error {
		var e error
		n, e = f.read(fd, p[:min(len(p), maxRW)], OffsetCurrent)
		return e
	})
	if err == nil && n == 0 {
		return 0, io.EOF
	}
	return n, err
}

// ReadAt reads len(p) bytes at offset off without using the file position.
// It returns fewer bytes only with an error, io.EOF at end of file.
func (f *File) ReadAt(p []byte, off int64) (n int, err error) {
	if off < 0 {
		return 0, &os.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
	}
	eof := false
	err = f.use("read", func(fd int) error {
		for len(p) > 0 {
			m, e := f.read(fd, p[:min(len(p), maxRW)], off)
			if e != nil {
				return e
			}
			if m == 0 {
				eof = true
				return nil
			}
			n += m
			p = p[m:]
			off += int64(m)
		}
		return nil
	})
	if err == nil && eof {
		err = io.EOF
	}
	return n, err
}

// Write writes len(p) bytes at the file position (at the end for a file
// opened with os.O_APPEND). It returns fewer bytes only with an error.
func (f *File) Write(p []byte) (n int, err error) {
	err = f.use("write", func(fd int) error {
		for len(p) > 0 {
			m, e := f.write(fd, p[:min(len(p), maxRW)], OffsetCurrent)
			if e != nil {
				return e
			}
			if m == 0 {
				return io.ErrShortWrite
			}
			n += m
			p = p[m:]
		}
		return nil
	})
	return n, err
}

// WriteAt writes len(p) bytes at offset off without using the file
// position. Like *os.File it refuses files opened with os.O_APPEND, where
// Linux would append instead.
func (f *File) WriteAt(p []byte, off int64) (n int, err error) {
	if f.append {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: errors.New("invalid use of WriteAt on file opened with O_APPEND")}
	}
	if off < 0 {
		return 0, &os.PathError{Op: "writeat", Path: f.name, Err: errors.New("negative offset")}
	}
	err = f.use("write", func(fd int) error {
		for len(p) > 0 {
			m, e := f.write(fd, p[:min(len(p), maxRW)], off)
			if e != nil {
				return e
			}
			if m == 0 {
				return io.ErrShortWrite
			}
			n += m
			p = p[m:]
			off += int64(m)
		}
		return nil
	})
	return n, err
}

// Seek sets the file position for the next Read or Write (io.SeekStart,
// io.SeekCurrent, io.SeekEnd) and returns the new position.
func (f *File) Seek(offset int64, whence int) (ret int64, err error) {
	err = f.use("seek", func(fd int) error {
		var e error
		ret, e = seek(fd, offset, whence)
		return e
	})
	return ret, err
}

// Sync flushes the file's data and metadata to storage (fsync).
func (f *File) Sync() error {
	return f.use("sync", func(fd int) error {
		if f.ring != nil {
			return f.ring.fsync(fd)
		}
		return Fsync(fd, false)
	})
}

func (f *File) read(fd int, p []byte, off int64) (int, error) {
	if f.ring != nil {
		if off != OffsetCurrent {
			if n, done, err := f.readNow(fd, p, off); done {
				return n, err
			}
		}
		return f.ring.rw(OpRead, fd, p, off)
	}
	return Read(fd, p, off)
}

func (f *File) write(fd int, p []byte, off int64) (int, error) {
	if f.ring != nil {
		return f.ring.rw(OpWrite, fd, p, off)
	}
	return Write(fd, p, off)
}

// Stat describes the file. Its Sys method returns the *[Stat].
func (f *File) Stat() (fs.FileInfo, error) {
	var st *Stat
	err := f.use("stat", func(fd int) error {
		var e error
		st, e = Fstat(fd)
		return e
	})
	if err != nil {
		return nil, err
	}
	return &fileInfo{name: filepath.Base(f.name), st: st}, nil
}

// ReadFrom copies from r to the file (at its position) until r's end or
// an error, as io.Copy(f, r) would. On Linux the bytes are spliced
// (splice(2) from r into a pipe and from the pipe into the file, no
// user-space buffer) when f is a regular file not opened with O_APPEND or
// O_DIRECT and r is a [*Conn], an *os.File pipe or stream socket, a
// *net.TCPConn or *net.UnixConn (in Go's netpoller), or an
// *io.LimitedReader of one (as io.CopyN makes); anything else goes
// through io.Copy's buffer (a file to a file too). The count is the bytes
// written, the error that of the side that failed as its own Read or
// Write reports it (f's an *fs.PathError); r's read deadline and Close end
// a copy that waits for it. [Conn.WriteTo] makes io.Copy(f, conn) splice
// too.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if n, handled, err := f.spliceReadFrom(r); handled {
		return n, err
	}
	return io.Copy(fileWithoutReadFrom{File: f}, r)
}

// noReadFrom and noWriteTo, embedded beside a type that has the method,
// hide it (the selector becomes ambiguous), so that the fallback's
// io.Copy does not call it again; they are never called.
type noReadFrom struct{}

func (noReadFrom) ReadFrom(io.Reader) (int64, error) { panic("uringbridge: hidden ReadFrom called") }

type noWriteTo struct{}

func (noWriteTo) WriteTo(io.Writer) (int64, error) { panic("uringbridge: hidden WriteTo called") }

type fileWithoutReadFrom struct {
	noReadFrom
	*File
}
