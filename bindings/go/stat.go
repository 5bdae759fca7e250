package uringbridge

import (
	"io/fs"
	"time"
)

// Stat is what statx(2) reports about a file ([Statx], [Fstat], and the Sys
// value of [File.Stat]'s FileInfo). Mask says which fields the kernel filled.
type Stat struct {
	Mask           uint32 // STATX_* bits of the fields that are valid
	Blksize        uint32
	Attributes     uint64
	AttributesMask uint64
	Nlink          uint32
	Uid            uint32
	Gid            uint32
	Mode           uint16 // file type and permission bits, as st_mode
	Ino            uint64
	Size           uint64
	Blocks         uint64 // 512-byte blocks
	Atime          time.Time
	Btime          time.Time
	Ctime          time.Time
	Mtime          time.Time
	RdevMajor      uint32
	RdevMinor      uint32
	DevMajor       uint32
	DevMinor       uint32
}

// st_mode bits (the same on every Linux architecture).
const (
	sIFMT   = 0o170000
	sIFSOCK = 0o140000
	sIFLNK  = 0o120000
	sIFREG  = 0o100000
	sIFBLK  = 0o060000
	sIFDIR  = 0o040000
	sIFCHR  = 0o020000
	sIFIFO  = 0o010000
	sISUID  = 0o4000
	sISGID  = 0o2000
	sISVTX  = 0o1000
)

// FileMode converts st_mode the way package os does, so File.Stat and
// os.Stat agree.
func (s *Stat) FileMode() fs.FileMode {
	mode := fs.FileMode(s.Mode & 0o777)
	switch s.Mode & sIFMT {
	case sIFBLK:
		mode |= fs.ModeDevice
	case sIFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case sIFDIR:
		mode |= fs.ModeDir
	case sIFIFO:
		mode |= fs.ModeNamedPipe
	case sIFLNK:
		mode |= fs.ModeSymlink
	case sIFSOCK:
		mode |= fs.ModeSocket
	}
	if s.Mode&sISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if s.Mode&sISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if s.Mode&sISVTX != 0 {
		mode |= fs.ModeSticky
	}
	return mode
}

// fileInfo is the fs.FileInfo of [File.Stat].
type fileInfo struct {
	name string
	st   *Stat
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return int64(fi.st.Size) }
func (fi *fileInfo) Mode() fs.FileMode  { return fi.st.FileMode() }
func (fi *fileInfo) ModTime() time.Time { return fi.st.Mtime }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return fi.st }

// permToMode turns an fs.FileMode into open(2)'s mode argument, keeping the
// setuid, setgid and sticky bits as package os does.
func permToMode(perm fs.FileMode) uint32 {
	mode := uint32(perm.Perm())
	if perm&fs.ModeSetuid != 0 {
		mode |= sISUID
	}
	if perm&fs.ModeSetgid != 0 {
		mode |= sISGID
	}
	if perm&fs.ModeSticky != 0 {
		mode |= sISVTX
	}
	return mode
}
