// Command cp copies a file with linked read→write chains: each chain is up
// to 64 (read a block, write that block) pairs that the library performs in
// order with IOSQE_IO_LINK, one cgo call and one wait per chain. Every pair
// reuses one buffer, which is safe because a linked request starts only
// after the previous one has finished. A short read (the source shrank
// under us) breaks the chain, so the copy fails rather than writing stale
// bytes. Afterwards the copy is read back and compared with the source.
//
//	go run ./examples/cp SRC DST
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	uringbridge "uringbridge.dev/go"
)

const (
	blockSize     = 128 << 10
	pairsPerChain = 64 // 128 requests, within uringbridge.ChainMax
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: cp SRC DST")
		os.Exit(2)
	}
	n, chains, err := copyFile(os.Args[1], os.Args[2])
	if err == nil {
		err = verify(os.Args[1], os.Args[2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cp:", err)
		os.Exit(1)
	}
	fmt.Printf("cp: %d bytes in %d chains on %s, copy verified\n", n, chains, uringbridge.EngineName())
}

// copyFile copies src to dst (created or truncated, with src's permission
// bits) and returns the bytes copied and the number of chains used.
func copyFile(src, dst string) (copied int64, chains int, err error) {
	in, err := uringbridge.Open(src)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return 0, 0, err
	}
	if !info.Mode().IsRegular() {
		return 0, 0, fmt.Errorf("%s is not a regular file", src)
	}
	out, err := uringbridge.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return 0, 0, err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()

	inFd, outFd := int(in.Fd()), int(out.Fd())
	buf := make([]byte, blockSize)
	size := info.Size()
	for copied < size {
		ops := make([]*uringbridge.Op, 0, 2*pairsPerChain)
		for off := copied; off < size && len(ops) < 2*pairsPerChain; off += blockSize {
			// Each read asks for exactly what is left of the block, so a
			// full read is the success the chain needs to go on.
			block := buf[:min(blockSize, size-off)]
			ops = append(ops, uringbridge.PrepRead(inFd, block, off), uringbridge.PrepWrite(outFd, block, off))
		}
		results, err := uringbridge.SubmitChain(ops)
		chains++
		if err != nil {
			var ce *uringbridge.ChainError
			if errors.As(err, &ce) && results[ce.Index] >= 0 {
				err = fmt.Errorf("%s changed size during the copy", src)
			}
			return copied, chains, err
		}
		for i := 1; i < len(results); i += 2 {
			copied += int64(results[i])
		}
	}
	// The descriptors were used by number: keep the files (and their
	// cleanups) away until every chain is done.
	runtime.KeepAlive(in)
	runtime.KeepAlive(out)
	return copied, chains, out.Sync()
}

// verify reads both files back through the library and compares them.
func verify(a, b string) error {
	fa, err := uringbridge.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := uringbridge.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	bufA, bufB := make([]byte, blockSize), make([]byte, blockSize)
	for off := int64(0); ; off += blockSize {
		na, errA := fa.ReadAt(bufA, off)
		nb, errB := fb.ReadAt(bufB, off)
		if errA != nil && errA != io.EOF {
			return errA
		}
		if errB != nil && errB != io.EOF {
			return errB
		}
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			return fmt.Errorf("copy differs from the source in the block at %d", off)
		}
		if errA == io.EOF || errB == io.EOF {
			if errA != errB {
				return fmt.Errorf("copy and source end at different sizes")
			}
			return nil
		}
	}
}
