package uringbridge

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// Remove removes the named file or (empty) directory, as [os.Remove] does:
// an unlink first, then, if that fails, a rmdir (unlinkat with
// [AtRemovedir]). The error is an *os.PathError with Op "remove" holding
// unlink's errno, or rmdir's where unlink's only said the name is a
// directory.
func Remove(name string) error {
	err := Unlinkat(AtFdcwd, name, 0)
	if err == nil {
		return nil
	}
	err1 := Unlinkat(AtFdcwd, name, AtRemovedir)
	if err1 == nil {
		return nil
	}
	// Both failed. rmdir of a non-directory says ENOTDIR, so any other
	// rmdir error is the real one (the name is a directory); otherwise
	// unlink's is (as os.Remove decides).
	e, e1 := errnoOf(err), errnoOf(err1)
	if e1 != syscall.ENOTDIR {
		e = e1
	}
	return &os.PathError{Op: "remove", Path: name, Err: e}
}

// Rename renames (moves) oldpath to newpath, replacing newpath if it
// exists and is not a directory, as [os.Rename] does: like package os it
// refuses to replace a directory with EEXIST (rename(2) would replace an
// empty one), checking oldpath first. The error is an *os.LinkError with
// Op "rename".
func Rename(oldpath, newpath string) error {
	if nfi, err := Statx(AtFdcwd, newpath, AtSymlinkNofollow, StatxBasicStats); err == nil && nfi.FileMode().IsDir() {
		ofi, err := Statx(AtFdcwd, oldpath, AtSymlinkNofollow, StatxBasicStats)
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: errnoOf(err)}
		}
		sameFile := ofi.Ino == nfi.Ino && ofi.DevMajor == nfi.DevMajor && ofi.DevMinor == nfi.DevMinor
		if newpath == oldpath || !sameFile {
			return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: syscall.EEXIST}
		}
	}
	if err := Renameat(AtFdcwd, oldpath, AtFdcwd, newpath, 0); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: errnoOf(err)}
	}
	return nil
}

// Mkdir creates the named directory with the permission bits perm (before
// umask), as [os.Mkdir] does. The error is an *os.PathError with Op
// "mkdir".
func Mkdir(name string, perm fs.FileMode) error {
	if err := Mkdirat(AtFdcwd, name, permToMode(perm)); err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: errnoOf(err)}
	}
	return nil
}

// errnoOf is the error inside a *os.PathError or *os.LinkError.
func errnoOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
