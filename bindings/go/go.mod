module uringbridge.dev/go

go 1.26
