#!/usr/bin/env bash
# Builds the Haskell binding against the freshly built library and runs its
# tests on both engines, plus the Haskell examples, then checks the package
# the way Hackage and a user see it (cabal check, sdist, a separate project).
# Offline: Debian's GHC and libghc-*-dev packages only (no Hackage).
#   URB_HS_BUILD=dir  build somewhere else than build/haskell (parallel runs)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

need=()
command -v ghc >/dev/null || need+=(ghc)
command -v hsc2hs >/dev/null || need+=(ghc)
command -v cabal >/dev/null || need+=(cabal-install)
command -v pkg-config >/dev/null || need+=(pkgconf)
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
# The packages are built as a user of an installed library builds them:
# build.sh installs the C library (make install) into $build/prefix and finds
# it through pkg-config; the programs carry RUNPATH $build/prefix/lib, so
# nobody exports LD_LIBRARY_PATH.
build="${URB_HS_BUILD:-$repo/build/haskell}"
"$here/build.sh" "$build" tests examples
cd "$here"   # the tests read ../../tests/vectors from here
# Every export has its Haddock (issue 12): each module's coverage is 100%.
coverage=$("$build/setup/Setup" haddock -v1 --builddir="$build/dist" 2>&1 | grep -E '^ *[0-9]+% \(' || true)
if [ -z "$coverage" ] || grep -qv '^ *100% ' <<< "$coverage"; then
    echo "haskell: exports without Haddock:"; echo "${coverage:-haddock did not run}"; exit 1
fi
# A hang is a failure too: no run may take more than a few minutes.
hidden=URB_OP_UNLINKAT,URB_OP_RENAMEAT,URB_OP_MKDIRAT,URB_OP_SENDMSG,URB_OP_RECVMSG,URB_OP_SOCKET,URB_OP_BIND,URB_OP_LISTEN
hidden=$hidden,URB_OP_SYMLINKAT,URB_OP_LINKAT,URB_OP_FALLOCATE,URB_OP_FTRUNCATE,URB_OP_FADVISE,URB_OP_MADVISE
hidden=$hidden,URB_OP_SYNC_FILE_RANGE,URB_OP_SPLICE,URB_OP_TEE,URB_OP_GETXATTR,URB_OP_SETXATTR
for engine in auto fallback; do
    echo "== Haskell tests (URB_BACKEND=$engine)"
    URB_BACKEND=$engine timeout -k 10 240 "$build/bin/spec"
    # Linked without -threaded: refusals at once (a hang is a failure), and
    # the per-OS-thread face.
    URB_BACKEND=$engine timeout -k 10 60 "$build/bin/nonthreaded"
    # The probe answering as a kernel without the operations added since 5.1.
    URB_BACKEND=$engine URB_PROBE_HIDE=$hidden \
        timeout -k 10 60 "$build/bin/spec" --match "URB_PROBE_HIDE"
done

# The examples, on real files and a real HTTP client.
bin="$build/bin"
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom > "$work/src"
: > "$work/empty"
for engine in auto fallback; do
    export URB_BACKEND=$engine
    echo "== Haskell examples (URB_BACKEND=$engine)"
    timeout 60 "$bin/urb-cat" "$work/src" | cmp - "$work/src"
    timeout 60 "$bin/urb-cat" "$work/empty" "$work/src" "$work/empty" | cmp - "$work/src"
    timeout 60 "$bin/urb-cp" "$work/src" "$work/dst"
    cmp "$work/src" "$work/dst"
    timeout 60 "$bin/urb-cp" "$work/empty" "$work/dst"
    cmp "$work/empty" "$work/dst"
    if timeout 60 "$bin/urb-cp" "$work/missing" "$work/dst" 2> "$work/cp.err"; then
        echo "urb-cp copied a file that does not exist"; exit 1
    fi
    grep -q "does not exist" "$work/cp.err"
    for io in uring ghc; do
        : > "$work/http.log"  # emptied before the fork: the loop below could read the previous server's line before the child's redirection truncates it
        "$bin/urb-http-server" --io "$io" --port 0 +RTS -N2 > "$work/http.log" 2>&1 &
        server=$!
        for _ in $(seq 100); do grep -q "listening on" "$work/http.log" && break; sleep 0.05; done
        port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/http.log")
        out=$(timeout 60 ab -q -n 2000 -c 50 -k "http://127.0.0.1:$port/")
        echo "$out" | grep -q "^Complete requests: *2000$"
        echo "$out" | grep -q "^Failed requests: *0$"
        echo "   http-server --io $io: $(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p') req/s (ab -n 2000 -c 50 -k)"
        kill "$server"; wait "$server" 2>/dev/null || true; server=""
    done
    : > "$work/echo.log"  # emptied before the fork: the loop below could read the previous server's line before the child's redirection truncates it
    "$bin/urb-echo-server" --port 0 +RTS -N2 > "$work/echo.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/echo.log" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/echo.log")
    timeout 60 python3 "$repo/tests/echo_client.py" "$port" 50 10
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    : > "$work/udp.log"  # emptied before the fork, as above
    "$bin/urb-udp-echo" --port 0 +RTS -N2 > "$work/udp.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/udp.log" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/udp.log")
    timeout 60 python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
for s in senders:
    s.settimeout(5)
for i in range(200):
    s = senders[i % 4]
    msg = b"datagram %d " % i + b"x" * (i * 37 % 1400)
    s.sendto(msg, ("127.0.0.1", port))
    data, addr = s.recvfrom(65536)
    assert data == msg and addr == ("127.0.0.1", port), (i, data[:20], addr)
print("   udp-echo: 200 datagrams from 4 sockets, each echoed whole to its sender")
PY
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
done
echo "haskell examples: passed"

# The package as Hackage would ship it, used from a project of its own
# against the installed library: cabal check, cabal sdist, then a plain
# cabal build of bindings/haskell/consumer-example with the tarball as its
# uringbridge. Offline, cabal-install 3.4 cannot work with the default
# Hackage repository (it tries to download the repository's root keys before
# solving, even with --offline and active-repositories: :none), so its
# config names no repository: the solver then uses Debian's global package
# database alone. PKG_CONFIG_PATH is the only other setting a non-system
# prefix needs; the program's RUNPATH comes from the one ghc option below.
echo "== Haskell package: cabal check, sdist, a separate project against the installed library"
unset URB_BACKEND
export CABAL_DIR="$build/cabal-home"
export CABAL_CONFIG="$CABAL_DIR/config"
mkdir -p "$CABAL_DIR"
printf -- '-- offline: no package repository, only the installed packages\n' > "$CABAL_CONFIG"
export PKG_CONFIG_PATH="$build/prefix/lib/pkgconfig"
(cd "$here" && cabal check)
rm -rf "$build/sdist"
(cd "$here" && cabal sdist -v0 --builddir="$build/sdist-dist" -o "$build/sdist" > /dev/null)
tarball="$build/sdist/uringbridge-0.1.0.tar.gz"
members=$(tar tzf "$tarball")
if grep -q '\.\./' <<< "$members"; then echo "sdist has members outside the package"; exit 1; fi
for member in cbits/hs_uringbridge.h testdata/bad_input.tsv LICENSE; do
    grep -qx "uringbridge-0.1.0/$member" <<< "$members" || { echo "sdist lacks $member"; exit 1; }
done
consumer="$build/consumer"
rm -rf "$consumer"
mkdir -p "$consumer"
cp "$here/consumer-example/"{hello-uringbridge.cabal,Main.hs} "$consumer/"
printf 'packages: . %s\n' "$tarball" > "$consumer/cabal.project"
if ! (cd "$consumer" && cabal build -v1 --offline \
        --ghc-options="-optl-Wl,-rpath,$build/prefix/lib" > "$consumer/build.log" 2>&1); then
    cat "$consumer/build.log"; exit 1
fi
hello=$(cd "$consumer" && cabal list-bin -v0 hello-uringbridge)
readelf -d "$hello" | grep -q "NEEDED.*liburingbridge.so.0" || { echo "consumer does not link liburingbridge.so.0"; exit 1; }
readelf -d "$hello" | grep -q "RUNPATH.*$build/prefix/lib" || { echo "consumer has no RUNPATH to the prefix"; exit 1; }
for engine in auto fallback; do
    env -u LD_LIBRARY_PATH URB_BACKEND=$engine "$hello" < "$work/src" 2> "$work/hello.err" | cmp - "$work/src"
    echo "   consumer (URB_BACKEND=$engine): $(cat "$work/hello.err")"
done
# The system prefix for real (a private mount namespace over /usr/local and
# /etc): plain cabal build, no PKG_CONFIG_PATH, no rpath, no LD_LIBRARY_PATH.
"$repo/scripts/test-system-install" "$consumer"
# The tarball's own test suite builds from what it ships (the tarball as a
# project of its own: in the consumer it is a dependency, built without tests).
rm -rf "$build/unpacked"
mkdir -p "$build/unpacked"
tar xzf "$tarball" -C "$build/unpacked"
(cd "$build/unpacked/uringbridge-0.1.0" && cabal build -v0 --offline --enable-tests \
    --ghc-options="-optl-Wl,-rpath,$build/prefix/lib" spec > "$build/unpacked/build.log" 2>&1) ||
    { cat "$build/unpacked/build.log"; exit 1; }
echo "haskell package: cabal check clean, sdist self-contained, used from a separate project (no LD_LIBRARY_PATH)"
