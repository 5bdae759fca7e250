//go:build !linux || !cgo

package uringbridge

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// UDPConn is the datagram socket type of ListenPacket, ListenUDP and
// DialUDP (see the Linux documentation); here no value of it can be made.
type UDPConn struct{}

func ListenPacket(network, address string) (net.PacketConn, error) { return nil, ErrUnsupported }
func (rg *Ring) ListenPacket(network, address string) (net.PacketConn, error) {
	return nil, ErrUnsupported
}
func ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) { return nil, ErrUnsupported }
func (rg *Ring) ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) {
	return nil, ErrUnsupported
}
func DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	return nil, ErrUnsupported
}
func (rg *Ring) DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	return nil, ErrUnsupported
}

func (c *UDPConn) ReadMsgUDP(b, oob []byte) (n, oobn, flags int, addr *net.UDPAddr, err error) {
	return 0, 0, 0, nil, ErrUnsupported
}
func (c *UDPConn) ReadFromUDP(b []byte) (int, *net.UDPAddr, error) { return 0, nil, ErrUnsupported }
func (c *UDPConn) ReadFrom(b []byte) (int, net.Addr, error)        { return 0, nil, ErrUnsupported }
func (c *UDPConn) ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, ErrUnsupported
}
func (c *UDPConn) Read(b []byte) (int, error) { return 0, ErrUnsupported }
func (c *UDPConn) WriteMsgUDP(b, oob []byte, addr *net.UDPAddr) (n, oobn int, err error) {
	return 0, 0, ErrUnsupported
}
func (c *UDPConn) WriteToUDP(b []byte, addr *net.UDPAddr) (int, error) { return 0, ErrUnsupported }
func (c *UDPConn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return 0, ErrUnsupported
}
func (c *UDPConn) WriteTo(b []byte, addr net.Addr) (int, error) { return 0, ErrUnsupported }
func (c *UDPConn) Write(b []byte) (int, error)                  { return 0, ErrUnsupported }
func (c *UDPConn) LocalAddr() net.Addr                          { return nil }
func (c *UDPConn) RemoteAddr() net.Addr                         { return nil }
func (c *UDPConn) Close() error                                 { return ErrUnsupported }
func (c *UDPConn) SetDeadline(t time.Time) error                { return ErrUnsupported }
func (c *UDPConn) SetReadDeadline(t time.Time) error            { return ErrUnsupported }
func (c *UDPConn) SetWriteDeadline(t time.Time) error           { return ErrUnsupported }
func (c *UDPConn) SetReadBuffer(bytes int) error                { return ErrUnsupported }
func (c *UDPConn) SetWriteBuffer(bytes int) error               { return ErrUnsupported }
func (c *UDPConn) SyscallConn() (syscall.RawConn, error)        { return nil, ErrUnsupported }
func (c *UDPConn) File() (*os.File, error)                      { return nil, ErrUnsupported }
