#!/usr/bin/env bash
# Tests of the Go binding: vet, the tests on both engines, the race
# detector, complete cgo pointer checking, the stub build, and a build
# against an installed copy through pkg-config. Exits non-zero on the first
# failure. Called by `make test`; runs from any directory on a fresh clone
# (it builds the library if needed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"

# Go is preinstalled at /usr/local/go; the binding needs nothing else
# (standard library only; the conformance/ module fetches golang.org/x/net
# from the module proxy unless the module cache has it), and must not
# download a different toolchain.
export PATH="/usr/local/go/bin:$PATH"
export GOTOOLCHAIN=local
command -v go >/dev/null || { echo "test.sh: go not found (expected /usr/local/go/bin/go)" >&2; exit 1; }
# The go command keeps its caches under $HOME; give it a place without one.
if [ -z "${HOME:-}" ] && [ -z "${GOCACHE:-}" ]; then
    export GOCACHE="$repo/build/go/cache" GOPATH="$repo/build/go/path"
fi
# cgo needs a C compiler, the pkg-config check needs pkg-config and
# readelf: on a fresh machine the project's own script installs them (as
# `make test` does before calling this script).
for tool in gcc pkg-config readelf; do
    command -v "$tool" >/dev/null || { "$repo/scripts/install-deps"; break; }
done

step() { echo "== Go: $*"; }

# `go test -v` shows each binary's own output (the "engine: ..." line of
# TestMain), which plain `go test` hides for passing packages; the filter
# drops the per-test RUN/PASS noise and keeps everything else.
gotest() {
    go test -v -timeout 5m "$@" 2>&1 | grep -Ev '^(=== (RUN|PAUSE|CONT|NAME)|[[:space:]]*--- PASS|PASS$)'
}

step "building the library (make lib)"
make -s -C "$repo" lib

step "go vet"
go vet ./...
CGO_ENABLED=0 go vet ./...
GOOS=darwin GOARCH=arm64 go vet ./...
GOOS=windows go vet ./...

step "go test (URB_BACKEND unset: io_uring where available)"
(unset URB_BACKEND; gotest -count=1 ./...)

step "go test (URB_BACKEND=fallback)"
URB_BACKEND=fallback gotest -count=1 ./...

step "go test -race"
(unset URB_BACKEND; gotest -race -count=1 ./...)

# cgocheck=1 (the default, on in every run above) checks the pointers passed
# to C; cgocheck2 also checks every pointer written to C memory.
step "go test with GOEXPERIMENT=cgocheck2 (both engines)"
(unset URB_BACKEND; GOEXPERIMENT=cgocheck2 gotest -count=1 ./...)
GOEXPERIMENT=cgocheck2 URB_BACKEND=fallback go test -count=1 -timeout 5m ./... >/dev/null

# golang.org/x/net/nettest over Listen/Dial in every pairing with package
# net, in a module of its own (the binding itself needs no module).
step "nettest.TestConn and listener checks (conformance/): both engines, -race"
(cd conformance && unset URB_BACKEND && gotest -race -count=1 ./...)
(cd conformance && URB_BACKEND=fallback gotest -race -count=1 ./...)

step "stub build (CGO_ENABLED=0): every call reports ErrUnsupported"
CGO_ENABLED=0 gotest -count=1 .

step "build against an installed copy (-tags uringbridge_pkgconfig)"
prefix="$repo/build/go/prefix"
rm -rf "$prefix"
make -s -C "$repo" install PREFIX="$prefix" >/dev/null
# The go command's build cache keys a cgo package on its CGO_* flags but not
# on what pkg-config printed, so a package built against another prefix
# (say /usr/local) would be reused with that prefix's linker flags. Naming
# this prefix in CGO_CFLAGS (its include directory; the vendored header is
# what gets included) puts it into the key.
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CGO_CFLAGS="-O2 -g -I$prefix/include" \
    go test -c -tags uringbridge_pkgconfig -o "$prefix/pkgconfig.test" .
if readelf -d "$prefix/pkgconfig.test" | grep -q "$repo/target/release"; then
    echo "test.sh: the pkg-config build still points at the repository's library" >&2
    exit 1
fi
(cd "$here" && LD_LIBRARY_PATH="$prefix/lib" "$prefix/pkgconfig.test" -test.count=1 \
    -test.run 'TestNop|TestVersion|TestChainRunsInOrder|TestFileSatisfiesIOTestReader')
echo "pkg-config build: linked against $prefix/lib (NEEDED $(readelf -d "$prefix/pkgconfig.test" | sed -n 's/.*NEEDED.*\[\(liburingbridge[^]]*\)\].*/\1/p'))"

step "a module outside the repository (examples/outside), against the installed copy, then vendored"
# What a user's machine holds: the binding as a module cache would (a copy
# outside this repository) and a program of their own requiring it.
outside="$repo/build/go/outside"
rm -rf "$outside"
mkdir -p "$outside"
# (a copy without the nested modules, as a module download has)
tar -C "$here" --exclude=./examples/outside --exclude=./conformance -cf - . | (mkdir -p "$outside/uringbridge-go" && tar -C "$outside/uringbridge-go" -xf -)
cp -r "$here/examples/outside" "$outside/app"
(
    cd "$outside/app"
    go mod edit -replace uringbridge.dev/go=../uringbridge-go
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CGO_CFLAGS="-O2 -g -I$prefix/include"
    go build -tags uringbridge_pkgconfig -o outside .
    if readelf -d outside | grep -Eq "$repo|RUNPATH|RPATH"; then
        echo "test.sh: the outside module's binary has a RUNPATH or points into the repository:" >&2
        readelf -d outside | grep -E "RUNPATH|RPATH" >&2
        exit 1
    fi
    LD_LIBRARY_PATH="$prefix/lib" ./outside
    URB_BACKEND=fallback LD_LIBRARY_PATH="$prefix/lib" ./outside
    go mod vendor
    test -f vendor/uringbridge.dev/go/uringbridge.h || { echo "test.sh: go mod vendor dropped the header" >&2; exit 1; }
    rm -f outside
    go build -mod=vendor -tags uringbridge_pkgconfig -o outside .
    LD_LIBRARY_PATH="$prefix/lib" ./outside
)
echo "outside module: built against $prefix, and again from its vendor directory"

echo "== Go: all Go binding tests passed"
