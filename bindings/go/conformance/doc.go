// Package conformance holds only tests: golang.org/x/net/nettest's checks
// of net.Conn and net.Listener over uringbridge's Listen and Dial.
package conformance
