// A program in a module of its own that depends on the binding as any user
// would. test.sh copies the binding and this module out of the repository,
// points the replace directive at the copy and builds it against a
// `make install` prefix (-tags uringbridge_pkgconfig), then again after
// `go mod vendor`. A user with a published module drops the replace.
module example.com/outside

go 1.26

require uringbridge.dev/go v0.0.0

replace uringbridge.dev/go => ../..
