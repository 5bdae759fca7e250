package uringbridge

import (
	"fmt"
	"os"
	"testing"
)

// Every run names its engine on stdout, so a log shows which one the
// results are for (URB_BACKEND=fallback or io_uring).
func TestMain(m *testing.M) {
	fmt.Println("engine:", EngineName())
	code := m.Run()
	for _, f := range afterTests {
		f()
	}
	os.Exit(code)
}

// afterTests holds what a test or benchmark leaves for the end of the
// binary's run (files shared by several benchmarks).
var afterTests []func()
