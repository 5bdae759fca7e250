//go:build linux && cgo

package uringbridge

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// The bad-input vectors are shared by every binding's tests: one request
// per line, its urb_op fields and the result the library must give. The
// columns are found by the names in the header line, so their order may
// change; values may be numbers (decimal, 0x.., negative) or the symbols
// below. A row whose symbol this test does not know is skipped with the
// symbol named, never guessed. URB_BAD_INPUT_VECTORS names another file
// (to try out a new vectors file before it is committed).
var vectorsPath = cmp.Or(os.Getenv("URB_BAD_INPUT_VECTORS"),
	filepath.Join("..", "..", "tests", "vectors", "bad_input.tsv"))

func TestBadInputVectors(t *testing.T) {
	f, err := os.Open(vectorsPath)
	if os.IsNotExist(err) {
		t.Skipf("%s does not exist (yet)", vectorsPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	fds := newVectorFds(t)
	var columns map[string]int
	sc := bufio.NewScanner(f)
	line := 0
	rows := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimSpace(text), "#") {
			continue
		}
		cells := strings.Split(text, "\t")
		if columns == nil {
			columns = vectorColumns(t, cells)
			continue
		}
		rows++
		row := vectorRow{line: line, cells: cells, columns: columns}
		name := row.get("name")
		if name == "" {
			name = fmt.Sprintf("line%d", line)
		}
		t.Run(name, func(t *testing.T) { runVector(t, row, fds) })
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows == 0 {
		t.Fatalf("%s has no vectors", vectorsPath)
	}
}

// Column names as the file may spell them, mapped to one spelling.
var vectorColumnAliases = map[string]string{
	"name": "name", "test": "name", "case": "name", "id": "name",
	"opcode": "opcode", "op": "opcode",
	"fd":  "fd",
	"buf": "buf", "addr": "buf",
	"len": "len", "length": "len",
	"op_flags": "op_flags", "opflags": "op_flags",
	"buf2":   "buf2",
	"offset": "offset", "off": "offset",
	"flags":    "flags",
	"mode":     "mode",
	"reserved": "reserved", "reserved0": "reserved0", "reserved1": "reserved1",
	"reserved2": "reserved2", "reserved2_0": "reserved2", "reserved2_1": "reserved2_1",
	"expect": "expect", "expected": "expect", "result": "expect", "res": "expect",
	"face": "face", "faces": "face", "note": "note", "notes": "note", "comment": "note",
	"why": "note", "description": "note",
}

func vectorColumns(t *testing.T, header []string) map[string]int {
	columns := map[string]int{}
	for i, h := range header {
		key := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "#")))
		if alias, ok := vectorColumnAliases[key]; ok {
			columns[alias] = i
		} else {
			t.Logf("%s: column %q is not used by the Go binding", vectorsPath, h)
		}
	}
	for _, need := range []string{"opcode", "expect"} {
		if _, ok := columns[need]; !ok {
			t.Fatalf("%s: no %q column in header %q", vectorsPath, need, header)
		}
	}
	return columns
}

type vectorRow struct {
	line    int
	cells   []string
	columns map[string]int
}

func (r vectorRow) get(column string) string {
	i, ok := r.columns[column]
	if !ok || i >= len(r.cells) {
		return ""
	}
	return strings.TrimSpace(r.cells[i])
}

// vectorFds are the descriptors rows may name.
type vectorFds map[string]int

func newVectorFds(t *testing.T) vectorFds {
	_, file := tempFileWith(t, []byte("vector file contents"))
	r, w := pipe(t)
	a, _ := socketPair(t)
	devnull, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(devnull) })
	dir, err := syscall.Open(t.TempDir(), syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(dir) })
	return vectorFds{
		"file": file, "valid": file, "tmp": file, "regular": file, "ok": file, "open": file,
		"pipe": r, "pipe_r": r, "pipe_read": r, "pipe_w": w, "pipe_write": w,
		"socket": a, "sock": a,
		"devnull": devnull, "/dev/null": devnull, "null_dev": devnull,
		"dir": dir, "dirfd": dir,
		"bad": badFD, "closed": badFD, "badfd": badFD, "bad_fd": badFD, "ebadf": badFD,
		"at_fdcwd": AtFdcwd, "cwd": AtFdcwd,
	}
}

// vectorSymbols are the named numbers rows may use.
var vectorSymbols = map[string]int64{
	"UINT8_MAX": math.MaxUint8, "UINT16_MAX": math.MaxUint16,
	"INT32_MAX": math.MaxInt32, "INT32_MIN": math.MinInt32, "UINT32_MAX": math.MaxUint32,
	"INT64_MAX": math.MaxInt64, "INT64_MIN": math.MinInt64, "UINT64_MAX": -1,
	"URB_OFFSET_CURRENT": -1, "CURRENT": -1, "OFFSET_CURRENT": -1,
	"URB_CHAIN_MAX": ChainMax, "URB_FSYNC_DATASYNC": 1, "IOV_MAX": 1024,
	"AT_FDCWD": AtFdcwd, "AT_EMPTY_PATH": AtEmptyPath, "AT_SYMLINK_NOFOLLOW": AtSymlinkNofollow,
	"STATX_BASIC_STATS": int64(StatxBasicStats),
	"POLLIN":            int64(PollIn), "POLLOUT": int64(PollOut), "POLLPRI": int64(PollPri),
	"POLLERR": int64(PollErr), "POLLHUP": int64(PollHup),
	"SHUT_RD": syscall.SHUT_RD, "SHUT_WR": syscall.SHUT_WR, "SHUT_RDWR": syscall.SHUT_RDWR,
	"O_RDONLY": syscall.O_RDONLY, "O_WRONLY": syscall.O_WRONLY, "O_RDWR": syscall.O_RDWR,
	"O_CREAT": syscall.O_CREAT, "O_CLOEXEC": syscall.O_CLOEXEC, "O_DIRECTORY": syscall.O_DIRECTORY,
	"MSG_PEEK": syscall.MSG_PEEK, "MSG_WAITALL": syscall.MSG_WAITALL, "MSG_DONTWAIT": syscall.MSG_DONTWAIT,
	"SOCK_CLOEXEC": syscall.SOCK_CLOEXEC, "SOCK_NONBLOCK": syscall.SOCK_NONBLOCK,
	"NULL": 0, "FALSE": 0, "TRUE": 1, "-": 0,
}

// vectorErrnos are the errno names an "expect" cell may use.
var vectorErrnos = map[string]syscall.Errno{
	"EINVAL": syscall.EINVAL, "EBADF": syscall.EBADF, "EFAULT": syscall.EFAULT,
	"ENOSYS": syscall.ENOSYS, "ENOTSOCK": syscall.ENOTSOCK, "ENOENT": syscall.ENOENT,
	"ESPIPE": syscall.ESPIPE, "EOPNOTSUPP": syscall.EOPNOTSUPP, "EACCES": syscall.EACCES,
	"EPERM": syscall.EPERM, "ENOTDIR": syscall.ENOTDIR, "EISDIR": syscall.EISDIR,
	"ETIME": syscall.ETIME, "ECANCELED": syscall.ECANCELED, "EAGAIN": syscall.EAGAIN,
	"ENOTCONN": syscall.ENOTCONN, "EPIPE": syscall.EPIPE, "EAFNOSUPPORT": syscall.EAFNOSUPPORT,
	"EDESTADDRREQ": syscall.EDESTADDRREQ, "EMSGSIZE": syscall.EMSGSIZE, "E2BIG": syscall.E2BIG,
	"EOVERFLOW": syscall.EOVERFLOW, "EBUSY": syscall.EBUSY, "ENOTRECOVERABLE": syscall.ENOTRECOVERABLE,
	"ENAMETOOLONG": syscall.ENAMETOOLONG, "EEXIST": syscall.EEXIST, "ENOTSUP": syscall.ENOTSUP,
	"ECONNREFUSED": syscall.ECONNREFUSED, "EISCONN": syscall.EISCONN,
}

// parseVectorNumber reads a number: decimal, 0x/0o/0b, negative, a symbol,
// symbols or'ed with '|', or a symbol plus or minus a number ("INT32_MAX+1").
func parseVectorNumber(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if strings.Contains(s, "|") {
		var v int64
		for part := range strings.SplitSeq(s, "|") {
			p, err := parseVectorNumber(part)
			if err != nil {
				return 0, err
			}
			v |= p
		}
		return v, nil
	}
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		return v, nil
	}
	if v, err := strconv.ParseUint(s, 0, 64); err == nil {
		return int64(v), nil
	}
	if v, ok := vectorSymbols[strings.ToUpper(s)]; ok {
		return v, nil
	}
	if v, ok := vectorErrnos[strings.ToUpper(strings.TrimPrefix(s, "-"))]; ok && strings.HasPrefix(s, "-") {
		return -int64(v), nil
	}
	for _, sign := range []string{"+", "-"} {
		if i := strings.LastIndex(s, sign); i > 0 {
			a, errA := parseVectorNumber(s[:i])
			b, errB := parseVectorNumber(s[i+1:])
			if errA == nil && errB == nil {
				if sign == "+" {
					return a + b, nil
				}
				return a - b, nil
			}
		}
	}
	return 0, fmt.Errorf("unknown value %q", s)
}

func parseVectorOpcode(s string) (uint8, error) {
	name := strings.ToLower(strings.TrimPrefix(strings.ToUpper(s), "URB_OP_"))
	for code := OpNop; code < opCount; code++ {
		if code.String() == name {
			return uint8(code), nil
		}
	}
	switch name {
	case "count":
		return uint8(opCount), nil
	case "poll_add":
		return uint8(OpPoll), nil
	case "sleep":
		return uint8(OpTimeout), nil
	}
	v, err := parseVectorNumber(s)
	if err != nil || v < 0 || v > math.MaxUint8 {
		return 0, fmt.Errorf("unknown opcode %q", s)
	}
	return uint8(v), nil
}

// vectorExpectation is what a row wants: an exact result, or any success.
type vectorExpectation struct {
	anySuccess bool
	res        int32
}

func (e vectorExpectation) String() string {
	if e.anySuccess {
		return "a success (>= 0)"
	}
	if e.res < 0 {
		return fmt.Sprintf("%d (%v)", e.res, syscall.Errno(-e.res))
	}
	return strconv.Itoa(int(e.res))
}

func (e vectorExpectation) matches(res int32) bool {
	if e.anySuccess {
		return res >= 0
	}
	return res == e.res
}

func parseVectorExpect(s string) (vectorExpectation, error) {
	switch strings.ToLower(s) {
	case "ok", "success", ">=0", "nonneg", "any", "pass":
		return vectorExpectation{anySuccess: true}, nil
	}
	if errno, ok := vectorErrnos[strings.ToUpper(strings.TrimPrefix(s, "-"))]; ok {
		return vectorExpectation{res: -int32(errno)}, nil
	}
	v, err := parseVectorNumber(s)
	if err != nil || v < math.MinInt32 || v > math.MaxInt32 {
		return vectorExpectation{}, fmt.Errorf("unknown expectation %q", s)
	}
	return vectorExpectation{res: int32(v)}, nil
}

// vectorPointer makes the memory a buf/buf2 cell names: nil, or a zeroed
// anonymous mapping at least size bytes long. The mapping is reserved, not
// committed (MAP_NORESERVE), so a row may claim gigabytes without costing
// them, and a library that wrongly accepted such a length would write into
// memory that exists rather than over the Go heap.
func vectorPointer(t *testing.T, cell string, size uint64) (unsafe.Pointer, error) {
	switch strings.ToLower(cell) {
	case "", "null", "nullptr", "0", "-", "none", "nil":
		return nil, nil
	}
	switch strings.ToLower(cell) {
	case "valid", "buf", "ptr", "nonnull", "non-null", "non_null", "ok", "any", "mem", "buffer",
		"addr", "path", "statx", "addrlen", "1":
	default:
		return nil, fmt.Errorf("unknown pointer %q", cell)
	}
	size = max(size, 4096)
	mem, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	return unsafe.Pointer(&mem[0]), nil
}

func runVector(t *testing.T, row vectorRow, fds vectorFds) {
	where := fmt.Sprintf("%s line %d [%s]", vectorsPath, row.line, strings.Join(row.cells, " | "))
	skip := func(err error) { t.Skipf("%s: %v (not understood by the Go test)", where, err) }

	var r rawRequest
	var err error
	if r.Opcode, err = parseVectorOpcode(row.get("opcode")); err != nil {
		skip(err)
	}
	expect, err := parseVectorExpect(row.get("expect"))
	if err != nil {
		skip(err)
	}
	if cell := row.get("fd"); cell != "" {
		if fd, ok := fds[strings.ToLower(cell)]; ok {
			r.Fd = int32(fd)
		} else if v, err := parseVectorNumber(cell); err == nil {
			r.Fd = int32(v)
		} else {
			skip(fmt.Errorf("unknown fd %q", cell))
		}
	}
	numbers := []struct {
		column string
		set    func(int64)
	}{
		{"len", func(v int64) { r.Len = uint32(v) }},
		{"op_flags", func(v int64) { r.OpFlags = uint32(v) }},
		{"offset", func(v int64) { r.Offset = uint64(v) }},
		{"flags", func(v int64) { r.Flags = uint8(v) }},
		{"mode", func(v int64) { r.Mode = uint32(v) }},
		{"reserved0", func(v int64) { r.Reserved0 = uint16(v) }},
		{"reserved", func(v int64) { r.Reserved1 = uint32(v) }},
		{"reserved1", func(v int64) { r.Reserved1 = uint32(v) }},
		{"reserved2", func(v int64) { r.Reserved2[0] = uint64(v) }},
		{"reserved2_1", func(v int64) { r.Reserved2[1] = uint64(v) }},
	}
	for _, n := range numbers {
		cell := row.get(n.column)
		if cell == "" {
			continue // no such column: the field stays 0
		}
		v, err := parseVectorNumber(cell)
		if err != nil {
			skip(fmt.Errorf("column %s: %w", n.column, err))
		}
		n.set(v)
	}
	// A buffer is as long as the request says it is (an iovec array holds
	// len entries of 16 bytes).
	bufSize := uint64(r.Len)
	if Opcode(r.Opcode) == OpReadv || Opcode(r.Opcode) == OpWritev {
		bufSize *= 16
	}
	buf, err := vectorPointer(t, row.get("buf"), bufSize)
	if err != nil {
		skip(err)
	}
	buf2, err := vectorPointer(t, row.get("buf2"), 4096)
	if err != nil {
		skip(err)
	}

	faces := []bool{false, true} // blocking, and a chain of one
	switch strings.ToLower(row.get("face")) {
	case "blocking", "single":
		faces = faces[:1]
	case "chain":
		faces = faces[1:]
	}
	for _, asChain := range faces {
		face := "urb_submit_blocking"
		if asChain {
			face = "urb_submit_chain_blocking"
		}
		if res := submitRaw(r, buf, buf2, asChain); !expect.matches(res) {
			t.Errorf("%s: %s: result %d (%v), want %v", where, face, res, syscall.Errno(max(-res, 0)), expect)
		}
	}
}
