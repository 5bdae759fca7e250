// Package uringbridge drives Linux io_uring from Go through liburingbridge,
// the project's Rust library with a C ABI. Where io_uring is switched off
// (kernel.io_uring_disabled, seccomp, containers) the library serves the
// same calls on its fallback engine (plain system calls) with the same
// results; [Supported] and [EngineName] say which engine is in use, and
// URB_ENGINE=fallback forces the fallback engine (URB_BACKEND, its former
// name, still works; URB_ENGINE decides when both are set).
//
// # Blocking calls
//
// Every request is one cgo call into the library's blocking face: the
// request goes to the calling OS thread's own ring and the call returns once
// its completion has arrived. While it waits, only that OS
// thread is parked; the Go scheduler hands the goroutine's P to another
// thread, exactly as for a blocking system call. Because the thread that
// submits a request is the one that waits for it, the kernel's tie between
// a request and its submitting thread never bites here.
//
//	n, err := uringbridge.Read(fd, buf, 0) // pread(2) at offset 0
//	n, err = uringbridge.Read(fd, buf, uringbridge.OffsetCurrent) // read(2)
//
// Results follow the library: a failure is the kernel's errno, wrapped with
// the operation's name in an [*os.SyscallError] (or an [*os.PathError] for
// calls that take a path), so errors.Is(err, syscall.EBADF) and
// errors.Is(err, fs.ErrNotExist) work.
//
// # Requests as values
//
// An [Op] is one request, built by a constructor that mirrors the C
// library's urb_prep_* function of the same name ([PrepRead] for
// urb_prep_read, ...) and that calls it (a short cgo call that never
// blocks), so the Go side never depends on the layout of struct urb_op. [Submit] performs one, [SubmitTimeout] bounds
// it in time (an expired request fails with an error wrapping
// syscall.ETIME), and [SubmitChain] performs several as one linked chain
// (IOSQE_IO_LINK): each starts after the previous one succeeded, and a
// failure cancels the rest (their results are -ECANCELED).
//
// An Op names Go memory (buffers, paths, socket addresses) from inside a C
// struct. The cgo rules require such memory to be pinned for as long as C
// can see it, so each submission pins it with a [runtime.Pinner] and unpins
// it when the result is back; between submissions nothing is pinned and an
// unused Op is simply garbage collected.
//
// # Files
//
// [Open], [OpenFile] and [Create] return a [*File] whose I/O runs through the
// library: it is an [io.ReaderAt], [io.WriterAt], [io.ReadWriteCloser] and
// [io.Seeker], and behaves like [*os.File] where the two overlap. Those
// files use the blocking face; [Ring.Open] and [Ring.OpenFile] return a
// File whose requests run on an async ring instead.
//
// # The async ring
//
// A [Ring] (see [NewRing]) is a library ring with an owner thread of its
// own. [Ring.Do] submits an [Op] from any goroutine and parks only that
// goroutine: the ring's eventfd sits in Go's netpoller, one reaper
// goroutine per ring takes the completions in batches and wakes their
// goroutines. A done context cancels the request; Do still waits for its
// final completion, so the buffer it names is never written after Do has
// returned. Ten thousand goroutines waiting on a ring need no OS thread
// each.
//
// # Network
//
// [Listen] returns a net.Listener whose connections are [*Conn]s (a
// net.Conn with the methods of *net.TCPConn), so http.Serve(l, handler)
// serves net/http unchanged; [Dial] and [DialContext] connect likewise.
// Every request is tried on the calling goroutine's thread first: a
// receive with data, a send with room, a queued connection or cached file
// data finishes there. For those four the binding makes the library's try
// itself, the same single system call through package syscall (recv or
// send with MSG_DONTWAIT, send also with MSG_NOSIGNAL; accept4 on the
// non-blocking listener; preadv2 with RWF_NOWAIT at the read's offset),
// with the library's rules for what is taken (an O_DIRECT descriptor is
// never tried; a short count from a regular file or block device is not
// taken: the whole read goes to the ring; a short count from a pipe or
// socket is final), so the results are the system call's on both engines
// and no cgo call is made; other requests are tried by the library
// (urb_ring_submit_try). On a ring made with RingOptions.Fallback nothing
// is tried on the caller, as the library tries nothing there; on 32-bit
// architectures the library makes every try. A connection's transfer that
// would wait parks in Go's netpoller until the socket is ready and is
// tried again, so deadlines and Close cancel no request and lose no data
// (listeners wait for connections the same way); a connect or file request
// that would wait goes to the ring.
//
// # Copies without a buffer
//
// [File.ReadFrom] and [Conn.WriteTo] splice: io.Copy (or io.CopyN) into a
// regular File or *os.File from a Conn, and into a regular File from an
// *os.File pipe or socket, a *net.TCPConn or a *net.UnixConn, moves the
// bytes with splice(2) through a pipe, without a user-space buffer, as
// package os does between its own files and sockets. The results are
// io.Copy's (counts, EOF, errors as the failing side's Read or Write
// reports them), the source's read deadline and Close end a copy that
// waits, and every other pair goes through io.Copy's buffer (copies into
// sockets did not gain from splice: see BENCHMARKS.md).
//
// # Linking
//
// By default the package links the library where `make lib` leaves it in
// this repository:
//
//	#cgo LDFLAGS: -L${SRCDIR}/../../target/release -luringbridge
//	              -Wl,-rpath,${SRCDIR}/../../target/release
//
// ${SRCDIR} makes the path independent of where the repository was cloned,
// and the rpath lets the built programs and test binaries find the library
// at run time without installing it or setting LD_LIBRARY_PATH. So a fresh
// clone needs only `make lib` before `go test ./...`. The price is that the
// binaries remember the absolute path of the checkout; that suits
// development and the repository's own tests.
//
// # Depending on the module from another module
//
// Outside this repository (a program of your own, the module cache's copy)
// the relative path above names nothing, so build against an installed
// copy, with the build tag uringbridge_pkgconfig, which selects
// `#cgo pkg-config: uringbridge` and sets no rpath:
//
//	make install PREFIX=/usr/local         # in the uringbridge checkout
//	go mod edit -require uringbridge.dev/go@v0.0.0 \
//	    -replace uringbridge.dev/go=/path/to/uringbridge/bindings/go
//	go build -tags uringbridge_pkgconfig ./...
//
// (the replace directive until the module is published; set
// PKG_CONFIG_PATH for a prefix pkg-config does not search, and
// LD_LIBRARY_PATH at run time for a library directory the dynamic loader
// does not search). examples/outside is such a module; test.sh builds a
// copy of it, and of this module, outside the repository, also after
// `go mod vendor`. Either way the package compiles against its vendored
// copy of the header, uringbridge.h, kept beside the Go files so that
// `go mod vendor` keeps it, and which a test keeps identical to the
// repository's ../../include/uringbridge.h.
//
// # Other platforms
//
// Without Linux or without cgo the package still compiles, and every call
// returns an error wrapping [ErrUnsupported] (and so errors.ErrUnsupported).
package uringbridge

// Refreshes the vendored header after the library's header changed (the
// header drift test fails until this is done and reviewed).
//
//go:generate cp ../../include/uringbridge.h uringbridge.h
