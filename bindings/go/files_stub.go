//go:build !linux || !cgo

package uringbridge

// The file calls of files_linux.go, failing with ErrUnsupported (see stub.go).

func Symlinkat(target string, newdirfd int, linkpath string) error { return ErrUnsupported }
func Linkat(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
	return ErrUnsupported
}
func Ftruncate(fd int, size int64) error                                 { return ErrUnsupported }
func Fallocate(fd int, mode int, off, length int64) error                { return ErrUnsupported }
func Fadvise(fd int, off int64, length uint32, advice int) error         { return ErrUnsupported }
func SyncFileRange(fd int, off int64, length uint32, flags uint32) error { return ErrUnsupported }
func Splice(fdIn int, offIn int64, fdOut int, offOut int64, n int, flags int) (int, error) {
	return 0, ErrUnsupported
}
func Tee(fdIn, fdOut int, n int, flags int) (int, error) { return 0, ErrUnsupported }
