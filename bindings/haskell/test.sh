#!/usr/bin/env bash
# Builds the Haskell binding against the freshly built library and runs its
# tests on both engines, plus the Haskell examples. Offline: Debian's GHC and
# libghc-*-dev packages only (no Hackage), through Cabal's Setup.hs, which
# reads no package index.
#   URB_HS_BUILD=dir  build somewhere else than build/haskell (parallel runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

need=()
command -v ghc >/dev/null || need+=(ghc)
command -v hsc2hs >/dev/null || need+=(ghc)
for pkg in network hspec; do
    ghc-pkg --global list --simple-output "$pkg" 2>/dev/null | grep -q . || need+=("libghc-$pkg-dev")
done
# The examples' checks drive the servers with ab and the echo client.
command -v ab >/dev/null || need+=(apache2-utils)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    echo "haskell: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -e "$repo/target/release/liburingbridge.so" ] || make -C "$repo" lib

# The package finds the library it was built with: its directory is passed as
# a library dir and baked in as the rpath, so nobody exports paths by hand.
lib="$repo/target/release"
build="${URB_HS_BUILD:-$repo/build/haskell}"
mkdir -p "$build/setup"
cd "$here"
ghc -v0 --make Setup.hs -outputdir "$build/setup" -o "$build/setup/Setup"
setup="$build/setup/Setup"
"$setup" configure -v0 --builddir="$build/dist" --enable-tests \
    --extra-lib-dirs="$lib" --extra-include-dirs="$repo/include" \
    --ghc-options="-optl-Wl,-rpath,$lib"
if ! "$setup" build -v1 --builddir="$build/dist" > "$build/build.log" 2>&1; then
    cat "$build/build.log"
    exit 1
fi
grep -i "warning" -A4 "$build/build.log" || true
# A hang is a failure too: no run may take more than a few minutes.
for engine in auto fallback; do
    echo "== Haskell tests (URB_BACKEND=$engine)"
    URB_BACKEND=$engine timeout -k 10 240 "$build/dist/build/spec/spec"
done

# The examples, on real files and a real HTTP client.
bin="$build/dist/build"
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom > "$work/src"
: > "$work/empty"
for engine in auto fallback; do
    export URB_BACKEND=$engine
    echo "== Haskell examples (URB_BACKEND=$engine)"
    timeout 60 "$bin/urb-cat/urb-cat" "$work/src" | cmp - "$work/src"
    timeout 60 "$bin/urb-cat/urb-cat" "$work/empty" "$work/src" "$work/empty" | cmp - "$work/src"
    timeout 60 "$bin/urb-cp/urb-cp" "$work/src" "$work/dst"
    cmp "$work/src" "$work/dst"
    timeout 60 "$bin/urb-cp/urb-cp" "$work/empty" "$work/dst"
    cmp "$work/empty" "$work/dst"
    if timeout 60 "$bin/urb-cp/urb-cp" "$work/missing" "$work/dst" 2> "$work/cp.err"; then
        echo "urb-cp copied a file that does not exist"; exit 1
    fi
    grep -q "does not exist" "$work/cp.err"
    for io in uring ghc; do
        "$bin/urb-http-server/urb-http-server" --io "$io" --port 0 +RTS -N2 > "$work/http.log" 2>&1 &
        server=$!
        for _ in $(seq 100); do grep -q "listening on" "$work/http.log" && break; sleep 0.05; done
        port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/http.log")
        out=$(timeout 60 ab -q -n 2000 -c 50 -k "http://127.0.0.1:$port/")
        echo "$out" | grep -q "^Complete requests: *2000$"
        echo "$out" | grep -q "^Failed requests: *0$"
        echo "   http-server --io $io: $(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p') req/s (ab -n 2000 -c 50 -k)"
        kill "$server"; wait "$server" 2>/dev/null || true; server=""
    done
    "$bin/urb-echo-server/urb-echo-server" --port 0 +RTS -N2 > "$work/echo.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/echo.log" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/echo.log")
    timeout 60 python3 "$repo/tests/echo_client.py" "$port" 50 10
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
echo "haskell examples: passed"
