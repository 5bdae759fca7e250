package uringbridge

import (
	"errors"
	"os"
	"syscall"
)

// Symlink creates newname as a symbolic link to oldname, as [os.Symlink]
// does. The error is an *os.LinkError with Op "symlink".
func Symlink(oldname, newname string) error {
	if err := Symlinkat(oldname, AtFdcwd, newname); err != nil {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: errnoOf(err)}
	}
	return nil
}

// Link creates newname as a hard link to oldname (a symbolic link itself,
// not what it names), as [os.Link] does. The error is an *os.LinkError
// with Op "link".
func Link(oldname, newname string) error {
	if err := Linkat(AtFdcwd, oldname, AtFdcwd, newname, 0); err != nil {
		return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: errnoOf(err)}
	}
	return nil
}

// Truncate changes the size of the named file, as [os.Truncate] does: the
// library opens it for writing (following symbolic links) and truncates
// the descriptor, so its errors are open's (ENOENT, EISDIR, EACCES) or
// ftruncate's (EINVAL for a negative size; ENOSYS on io_uring before 6.9).
// The error is an *os.PathError with Op "truncate".
func Truncate(name string, size int64) error {
	fd, err := Openat(AtFdcwd, name, syscall.O_WRONLY|oCloexec, 0)
	if err != nil {
		return &os.PathError{Op: "truncate", Path: name, Err: errnoIn(err)}
	}
	err = Ftruncate(fd, size)
	closeErr := Close(fd)
	if err == nil {
		err = closeErr
	}
	if err != nil {
		return &os.PathError{Op: "truncate", Path: name, Err: errnoIn(err)}
	}
	return nil
}

// errnoIn is the errno inside err (a *os.PathError, *os.LinkError or
// *os.SyscallError), or err itself.
func errnoIn(err error) error {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return err
}

// Truncate changes the size of the file, as [os.File.Truncate] does; it
// does not move the file position.
func (f *File) Truncate(size int64) error {
	return f.use("truncate", func(fd int) error { return Ftruncate(fd, size) })
}

// Fallocate allocates length bytes at off (mode 0, or Falloc* flags), as
// fallocate(2); package os has no equivalent.
func (f *File) Fallocate(mode int, off, length int64) error {
	return f.use("fallocate", func(fd int) error { return Fallocate(fd, mode, off, length) })
}

// Fadvise gives the kernel advice (Fadv*) about length bytes at off (0:
// to the end), as posix_fadvise(2); package os has no equivalent.
func (f *File) Fadvise(off int64, length uint32, advice int) error {
	return f.use("fadvise", func(fd int) error { return Fadvise(fd, off, length, advice) })
}
