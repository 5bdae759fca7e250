#!/usr/bin/env bash
# Builds the Haskell binding against the freshly built library and runs its
# tests on both engines, plus the Haskell examples. Offline: Debian's GHC and
# libghc-*-dev packages only (no Hackage), through Cabal's Setup.hs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

need=()
command -v ghc >/dev/null || need+=(ghc)
for pkg in network hspec; do
    ghc-pkg --global list --simple-output "$pkg" 2>/dev/null | grep -q . || need+=("libghc-$pkg-dev")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "haskell: apt-get install ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[ -e "$repo/target/release/liburingbridge.so" ] || make -C "$repo" lib

# The package finds the library it was built with: its directory is passed as
# a library dir and baked in as the rpath, so nobody exports paths by hand.
lib="$repo/target/release"
build="$repo/build/haskell"
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
for engine in auto fallback; do
    echo "== Haskell tests (URB_BACKEND=$engine)"
    URB_BACKEND=$engine "$build/dist/build/spec/spec"
done
