//go:build !linux || !cgo

package uringbridge

import (
	"errors"
	"net"
	"testing"
)

// Without the library the UDP calls say so, never pretend to work.
func TestStubUDPReportsUnsupported(t *testing.T) {
	_, listenErr := ListenPacket("udp", "127.0.0.1:0")
	_, udpErr := ListenUDP("udp", nil)
	_, dialErr := DialUDP("udp", nil, &net.UDPAddr{})
	for name, err := range map[string]error{"ListenPacket": listenErr, "ListenUDP": udpErr, "DialUDP": dialErr} {
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
