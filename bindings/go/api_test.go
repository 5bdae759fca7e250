package uringbridge

import (
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// The public API with its exact signatures. This file has no build
// constraint, so it also compiles against the stub (CGO_ENABLED=0, other
// systems) and fails to build if the two implementations drift apart.
var (
	_ func() bool                                          = Supported
	_ func() string                                        = EngineName
	_ func() string                                        = BackendName
	_ func() string                                        = Version
	_ func(Opcode) bool                                    = OpSupported
	_ func() error                                         = Nop
	_ func(int, []byte, int64) (int, error)                = Read
	_ func(int, []byte, int64) (int, error)                = Write
	_ func(int, [][]byte, int64) (int, error)              = Readv
	_ func(int, [][]byte, int64) (int, error)              = Writev
	_ func(int, []byte, int) (int, error)                  = Recv
	_ func(int, []byte, int) (int, error)                  = Send
	_ func(int, int) (int, syscall.Sockaddr, error)        = Accept
	_ func(int, syscall.Sockaddr) error                    = Connect
	_ func(int, string, int, uint32) (int, error)          = Openat
	_ func(int) error                                      = Close
	_ func(int, bool) error                                = Fsync
	_ func(int, string, int, uint32) (*Stat, error)        = Statx
	_ func(int) (*Stat, error)                             = Fstat
	_ func(int, int) error                                 = Shutdown
	_ func(int, uint32) (uint32, error)                    = Poll
	_ func(time.Duration) error                            = Sleep
	_ func() *Op                                           = PrepNop
	_ func(int, []byte, int64) *Op                         = PrepRead
	_ func(int, []byte, int64) *Op                         = PrepWrite
	_ func(int, [][]byte, int64) *Op                       = PrepReadv
	_ func(int, [][]byte, int64) *Op                       = PrepWritev
	_ func(int, bool) *Op                                  = PrepFsync
	_ func(int, string, int, uint32) *Op                   = PrepOpenat
	_ func(int) *Op                                        = PrepClose
	_ func(int, string, int, uint32, *Stat) *Op            = PrepStatx
	_ func(int, []byte, int) *Op                           = PrepRecv
	_ func(int, []byte, int) *Op                           = PrepSend
	_ func(int, int) *Op                                   = PrepAccept
	_ func(int, syscall.Sockaddr) *Op                      = PrepConnect
	_ func(int, int) *Op                                   = PrepShutdown
	_ func(int, uint32) *Op                                = PrepPoll
	_ func(time.Duration) *Op                              = PrepTimeout
	_ func(int, []byte, int64, int) *Op                    = PrepReadFixed
	_ func(int, []byte, int64, int) *Op                    = PrepWriteFixed
	_ func(int, []byte, int) *Op                           = PrepSendZc
	_ func(int, []byte, []byte, syscall.Sockaddr, int) *Op = PrepSendmsgZc
	_ func(string, string, []byte) (int, error)            = Getxattr
	_ func(string, string, []byte, int) error              = Setxattr
	_ func(string, string, []byte) *Op                     = PrepGetxattr
	_ func(string, string, []byte, int) *Op                = PrepSetxattr
	_ func(*Op) *Op                                        = (*Op).FixedFile
	_ func(*Op) (int32, error)                             = Submit
	_ func(*Op, time.Duration) (int32, error)              = SubmitTimeout
	_ func([]*Op) ([]int32, error)                         = SubmitChain
	_ func(*Op) Opcode                                     = (*Op).Opcode
	_ func(*Op) syscall.Sockaddr                           = (*Op).Sockaddr
	_ func(string) (*File, error)                          = Open
	_ func(string) (*File, error)                          = Create
	_ func(int, string) *File                              = NewFile
	_ io.ReadWriteCloser                                   = (*File)(nil)
	_ io.ReaderAt                                          = (*File)(nil)
	_ io.WriterAt                                          = (*File)(nil)
	_ io.Seeker                                            = (*File)(nil)
	_ io.ReaderFrom                                        = (*File)(nil)

	_ func(*RingOptions) (*Ring, error)                               = NewRing
	_ func(*Ring) error                                               = (*Ring).Close
	_ func(*Ring, [][]byte) error                                     = (*Ring).RegisterBuffers
	_ func(*Ring) error                                               = (*Ring).UnregisterBuffers
	_ func(*Ring, []int) error                                        = (*Ring).RegisterFiles
	_ func(*Ring) error                                               = (*Ring).UnregisterFiles
	_ func(*Ring) (RingStats, error)                                  = (*Ring).Stats
	_ func(*Ring, context.Context, *Op) (int32, error)                = (*Ring).Do
	_ func(*Ring, context.Context, *Op, time.Duration) (int32, error) = (*Ring).DoTimeout
	_ func(*Ring, context.Context, []*Op) ([]int32, error)            = (*Ring).DoBatch
	_ func(*Ring, context.Context, []*Op) ([]int32, error)            = (*Ring).DoChain
	_ func(*Ring, string, string) (net.Listener, error)               = (*Ring).Listen
	_ func(*Ring, string, string) (net.Conn, error)                   = (*Ring).Dial
	_ func(*Ring, context.Context, string, string) (net.Conn, error)  = (*Ring).DialContext
	_ func(*Ring, string) (*File, error)                              = (*Ring).Open
	_ func(*Ring, string, int, fs.FileMode) (*File, error)            = (*Ring).OpenFile
	_ func(*Ring, int, string) *File                                  = (*Ring).NewFile
	_ func() (*Ring, error)                                           = SharedRing
	_ func(string, string) (net.Listener, error)                      = Listen
	_ func(string, string) (net.Conn, error)                          = Dial
	_ func(context.Context, string, string) (net.Conn, error)         = DialContext

	// The connection type offers what *net.TCPConn offers.
	_ net.Conn                             = (*Conn)(nil)
	_ func(*Conn) error                    = (*Conn).CloseRead
	_ func(*Conn) error                    = (*Conn).CloseWrite
	_ func(*Conn, bool) error              = (*Conn).SetNoDelay
	_ func(*Conn, bool) error              = (*Conn).SetKeepAlive
	_ func(*Conn, time.Duration) error     = (*Conn).SetKeepAlivePeriod
	_ func(*Conn, int) error               = (*Conn).SetLinger
	_ func(*Conn, int) error               = (*Conn).SetReadBuffer
	_ func(*Conn, int) error               = (*Conn).SetWriteBuffer
	_ func(*Conn) (syscall.RawConn, error) = (*Conn).SyscallConn
	_ func(*Conn) (*os.File, error)        = (*Conn).File
	_ io.WriterTo                          = (*Conn)(nil)
)
