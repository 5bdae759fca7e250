package uringbridge

import (
	"fmt"
	"os"
	"testing"
)

// Every run names its engine on stdout, so a log shows which one the
// results are for (URB_BACKEND=fallback or io_uring).
func TestMain(m *testing.M) {
	fmt.Println("engine:", BackendName())
	os.Exit(m.Run())
}
