package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	uringbridge "uringbridge.dev/go"
)

func TestMain(m *testing.M) {
	fmt.Println("engine:", uringbridge.EngineName())
	os.Exit(m.Run())
}

func TestCopyIsExactAcrossBlockAndChainBoundaries(t *testing.T) {
	chainBytes := pairsPerChain * blockSize
	for _, size := range []int{0, 1, blockSize - 1, blockSize, blockSize + 1, chainBytes, 2*chainBytes + 12345} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
			content := make([]byte, size)
			rng := rand.New(rand.NewPCG(uint64(size), 7))
			for i := range content {
				content[i] = byte(rng.Uint32())
			}
			if err := os.WriteFile(src, content, 0o640); err != nil {
				t.Fatal(err)
			}
			copied, chains, err := copyFile(src, dst)
			if err != nil {
				t.Fatal(err)
			}
			wantChains := (size + chainBytes - 1) / chainBytes
			if copied != int64(size) || chains != wantChains {
				t.Fatalf("copied %d bytes in %d chains, want %d in %d", copied, chains, size, wantChains)
			}
			if err := verify(src, dst); err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dst)
			if !bytes.Equal(got, content) {
				t.Fatal("the copy differs from the source")
			}
			if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o640&^umask(t) {
				t.Fatalf("copy has mode %v", fi.Mode())
			}
		})
	}
}

// umask is the process's file-creation mask, read from a probe file.
func umask(t *testing.T) fs.FileMode {
	probe := filepath.Join(t.TempDir(), "probe")
	if err := os.WriteFile(probe, nil, 0o777); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(probe)
	if err != nil {
		t.Fatal(err)
	}
	return 0o777 &^ fi.Mode().Perm()
}

func TestVerifyNoticesADifference(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(a, bytes.Repeat([]byte("x"), 3*blockSize), 0o600)
	os.WriteFile(b, append(bytes.Repeat([]byte("x"), 2*blockSize+7), 'y'), 0o600)
	if err := verify(a, b); err == nil {
		t.Fatal("verify accepted different files")
	}
	os.WriteFile(b, bytes.Repeat([]byte("x"), 3*blockSize+1), 0o600)
	if err := verify(a, b); err == nil {
		t.Fatal("verify accepted files of different sizes")
	}
}

func TestCopyOfAMissingFileFails(t *testing.T) {
	dir := t.TempDir()
	_, _, err := copyFile(filepath.Join(dir, "missing"), filepath.Join(dir, "dst"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("copy of a missing file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "dst")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a failed copy created the destination")
	}
}
