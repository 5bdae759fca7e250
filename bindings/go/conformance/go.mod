// Go's own conformance suite for net.Conn (golang.org/x/net/nettest) run
// over the binding's connections. A module of its own so that the binding
// stays standard-library only; test.sh runs it (it needs golang.org/x/net
// from the module proxy or the module cache).
module uringbridge.dev/go/conformance

go 1.26

require uringbridge.dev/go v0.0.0

require golang.org/x/net v0.47.0

replace uringbridge.dev/go => ..
