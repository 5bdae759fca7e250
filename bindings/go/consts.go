package uringbridge

import "strconv"

// OffsetCurrent as the offset of [Read], [Write], [Readv], [Writev] (and their
// Prep* constructors) reads or writes at the file position and advances it,
// like read(2) and write(2). Streams (pipes, sockets, terminals) have no
// offsets: on them the library ignores the offset given, whatever it is.
// Any other negative offset is refused with EINVAL.
const OffsetCurrent int64 = -1

// ChainMax is the longest chain [SubmitChain] accepts (URB_CHAIN_MAX).
const ChainMax = 256

// maxRW caps the bytes of one read or write, as package os does: the
// library's lengths are 32-bit and below 2 GiB, and a larger request simply
// becomes a short transfer that the caller (or [File]) continues.
const maxRW = 1 << 30

// Opcode names one kind of request (the library's URB_OP_* numbers).
type Opcode uint8

// The operations of this version of the library, numbered as URB_OP_*.
const (
	OpNop Opcode = iota
	OpRead
	OpWrite
	OpReadv
	OpWritev
	OpFsync
	OpOpenat
	OpClose
	OpStatx
	OpRecv
	OpSend
	OpAccept
	OpConnect
	OpShutdown
	OpPoll
	OpTimeout
	OpUnlinkat
	OpRenameat
	OpMkdirat
	OpSendmsg
	OpRecvmsg
	OpSocket
	OpBind
	OpListen
)

// The file-system operations numbered after the network ones (19-23).
const (
	OpSymlinkat Opcode = 24 + iota
	OpLinkat
	OpFallocate
	OpFtruncate
	OpFadvise
	OpMadvise
	OpSyncFileRange
	OpSplice
	OpTee
	OpGetxattr
	OpSetxattr
	opCount
)

// opNames double as the operation names in errors.
var opNames = [...]string{
	OpNop:      "nop",
	OpRead:     "read",
	OpWrite:    "write",
	OpReadv:    "readv",
	OpWritev:   "writev",
	OpFsync:    "fsync",
	OpOpenat:   "openat",
	OpClose:    "close",
	OpStatx:    "statx",
	OpRecv:     "recv",
	OpSend:     "send",
	OpAccept:   "accept",
	OpConnect:  "connect",
	OpShutdown: "shutdown",
	OpPoll:     "poll",
	OpTimeout:  "timeout",
	OpUnlinkat: "unlinkat",
	OpRenameat: "renameat",
	OpMkdirat:  "mkdirat",
	OpSendmsg:  "sendmsg",
	OpRecvmsg:  "recvmsg",
	OpSocket:   "socket",
	OpBind:     "bind",
	OpListen:   "listen",

	OpSymlinkat:     "symlinkat",
	OpLinkat:        "linkat",
	OpFallocate:     "fallocate",
	OpFtruncate:     "ftruncate",
	OpFadvise:       "fadvise",
	OpMadvise:       "madvise",
	OpSyncFileRange: "sync_file_range",
	OpSplice:        "splice",
	OpTee:           "tee",
	OpGetxattr:      "getxattr",
	OpSetxattr:      "setxattr",
}

func (c Opcode) String() string {
	if c < opCount && opNames[c] != "" {
		return opNames[c]
	}
	return "opcode(" + strconv.Itoa(int(c)) + ")"
}

// Poll events for [Poll] and [PrepPoll] (Linux values; the cgo build checks
// them against <poll.h> at compile time).
const (
	PollIn    uint32 = 0x1
	PollPri   uint32 = 0x2
	PollOut   uint32 = 0x4
	PollErr   uint32 = 0x8
	PollHup   uint32 = 0x10
	PollNval  uint32 = 0x20
	PollRdHup uint32 = 0x2000
)

// Arguments of [Statx] and [Unlinkat] (Linux values, checked against <linux/stat.h> and
// <fcntl.h> by the cgo build).
const (
	AtFdcwd           = -100   // AT_FDCWD: paths relative to the working directory
	AtSymlinkNofollow = 0x100  // AT_SYMLINK_NOFOLLOW
	AtEmptyPath       = 0x1000 // AT_EMPTY_PATH: an empty path means the descriptor itself
	AtRemovedir       = 0x200  // AT_REMOVEDIR: [Unlinkat] removes a directory

	StatxBasicStats uint32 = 0x7ff // STATX_BASIC_STATS
	StatxBtime      uint32 = 0x800 // STATX_BTIME
)
