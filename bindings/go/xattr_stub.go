//go:build !linux || !cgo

package uringbridge

// The extended-attribute calls of xattr_linux.go, failing with
// ErrUnsupported (see stub.go).

func Getxattr(path, name string, dest []byte) (int, error)       { return 0, ErrUnsupported }
func Setxattr(path, name string, data []byte, flags int) error   { return ErrUnsupported }
func PrepGetxattr(path, name string, dest []byte) *Op            { return &Op{OpGetxattr} }
func PrepSetxattr(path, name string, data []byte, flags int) *Op { return &Op{OpSetxattr} }
