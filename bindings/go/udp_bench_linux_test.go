//go:build linux && cgo

package uringbridge

import (
	"net"
	"testing"
)

// 64-byte datagram ping-pong over loopback: a client's WriteTo and
// ReadFrom against an echoing server, this package's UDPConn (on the
// shared ring, and on a RingOptions.Fallback ring, where every datagram is
// a library request) against package net's.
func BenchmarkUDPPingPong(b *testing.B) {
	benchUDPPingPong(b, ListenPacket)
}

func BenchmarkUDPPingPongFallbackRing(b *testing.B) {
	rg, err := NewRing(&RingOptions{Fallback: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rg.Close()
	benchUDPPingPong(b, rg.ListenPacket)
}

func BenchmarkUDPPingPongStd(b *testing.B) { benchUDPPingPong(b, net.ListenPacket) }

func benchUDPPingPong(b *testing.B, listen func(string, string) (net.PacketConn, error)) {
	server, err := listen("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := server.ReadFrom(buf)
			if err != nil {
				return
			}
			server.WriteTo(buf[:n], from)
		}
	}()
	client, err := listen("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	to := server.LocalAddr()
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.WriteTo(msg, to); err != nil {
			b.Fatal(err)
		}
		if _, _, err := client.ReadFrom(buf); err != nil {
			b.Fatal(err)
		}
	}
}
