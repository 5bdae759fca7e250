//go:build linux && cgo && !(amd64 || arm64 || riscv64 || loong64 || ppc64 || ppc64le || s390x || mips64 || mips64le)

package uringbridge

// On 32-bit architectures (whose offsets are split in two words, and some
// of which reach the socket calls through socketcall) the binding makes no
// system call of its own: every try is the library's (see nowait_linux.go).
const (
	nativeTries = false
	sysPreadv2  = 0
	sysRecvfrom = 0
	sysSendto   = 0
)
