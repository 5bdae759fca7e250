module uringbridge.dev/bench

go 1.26

require uringbridge.dev/go v0.0.0

// The binding in this repository, never a published copy.
replace uringbridge.dev/go => ../../bindings/go
