#!/usr/bin/env bash
# Builds the Haskell packages the way a user of an installed uringbridge
# would: the C library is installed (make install) into OUT/prefix, found
# through its uringbridge.pc, and each package (the library and its tests,
# the examples, the benchmark program, the Warp adapter) is configured and
# built on its own against a package database in OUT. Offline: Cabal's
# Setup.hs reads no package index, so Debian's GHC and libghc-*-dev are all
# it needs.
#
#   bindings/haskell/build.sh OUT [PART...]
#     PART: tests (the library's test suite; needs hspec), examples, bench,
#     warp; the library itself always; default: all of them
#
# Leaves OUT/bin/<program> for every executable and test suite (the
# library's tests also at OUT/dist/build/spec/spec). The programs carry
# RUNPATH OUT/prefix/lib, the only path a non-system prefix needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$(mkdir -p "${1:?usage: build.sh OUT [lib|examples|bench|warp...]}" && cd "$1" && pwd)
shift
wanted=" ${*:-tests examples bench warp} "

[ -e "$repo/target/release/liburingbridge.so" ] || make -C "$repo" --quiet lib
# A private copy of the library: others rebuilding target/release while these
# programs run cannot change the code under test.
rm -rf "$out/prefix"
make -C "$repo" --quiet --no-print-directory install PREFIX="$out/prefix" >/dev/null
export PKG_CONFIG_PATH="$out/prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

mkdir -p "$out/setup" "$out/bin"
ghc -v0 --make "$here/Setup.hs" -outputdir "$out/setup" -o "$out/setup/Setup"
setup="$out/setup/Setup"
db="$out/package.db"
rm -rf "$db"
ghc-pkg init "$db"
common=(--package-db=clear --package-db=global --package-db="$db"
        --ghc-options="-optl-Wl,-rpath,$out/prefix/lib")

# build_package DIR BUILDDIR [configure flags...]: configures and builds the
# package in DIR; a failed build shows its log.
build_package() {
    local dir=$1 builddir=$2
    shift 2
    (
        cd "$dir"
        "$setup" configure -v0 --builddir="$builddir" "${common[@]}" "$@"
        if ! "$setup" build -v1 --builddir="$builddir" > "$builddir.log" 2>&1; then
            cat "$builddir.log"
            exit 1
        fi
        grep -i "warning" -A4 "$builddir.log" || true
    )
    local exe
    for exe in "$builddir"/build/*/; do
        exe=$(basename "$exe")
        [ -x "$builddir/build/$exe/$exe" ] && ln -sfn "$builddir/build/$exe/$exe" "$out/bin/$exe"
    done
    return 0
}

tests=(--disable-tests)
case $wanted in *" tests "*) tests=(--enable-tests) ;; esac
build_package "$here" "$out/dist" "${tests[@]}"
(cd "$here" && "$setup" register -v0 --builddir="$out/dist" --inplace)
case $wanted in *" examples "*) build_package "$repo/examples-haskell" "$out/examples" ;; esac
case $wanted in *" bench "*) build_package "$repo/bench/haskell" "$out/bench" ;; esac
case $wanted in *" warp "*) build_package "$repo/bindings/haskell-warp" "$out/warp" --enable-tests ;; esac
