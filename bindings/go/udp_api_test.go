package uringbridge

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// The UDP API with its exact signatures, as api_test.go holds the rest:
// no build constraint, so the stub must keep the same API.
var (
	_ func(string, string) (net.PacketConn, error)                      = ListenPacket
	_ func(string, *net.UDPAddr) (*UDPConn, error)                      = ListenUDP
	_ func(string, *net.UDPAddr, *net.UDPAddr) (*UDPConn, error)        = DialUDP
	_ func(*Ring, string, string) (net.PacketConn, error)               = (*Ring).ListenPacket
	_ func(*Ring, string, *net.UDPAddr) (*UDPConn, error)               = (*Ring).ListenUDP
	_ func(*Ring, string, *net.UDPAddr, *net.UDPAddr) (*UDPConn, error) = (*Ring).DialUDP

	_ net.PacketConn = (*UDPConn)(nil)
	_ net.Conn       = (*UDPConn)(nil)
	_ interface {
		ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error)
		WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error)
		ReadFromUDP(b []byte) (int, *net.UDPAddr, error)
		WriteToUDP(b []byte, addr *net.UDPAddr) (int, error)
		ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
		WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
		SetReadBuffer(bytes int) error
		SetWriteBuffer(bytes int) error
		SyscallConn() (syscall.RawConn, error)
		File() (*os.File, error)
		SetDeadline(t time.Time) error
	} = (*UDPConn)(nil)
)
