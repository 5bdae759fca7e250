//go:build cgo

package uringbridge

import "syscall"

// System calls the binding makes itself (see nowait_linux.go).
const (
	nativeTries = true
	sysPreadv2  = 286 // __NR_preadv2
	sysRecvfrom = syscall.SYS_RECVFROM
	sysSendto   = syscall.SYS_SENDTO
)
