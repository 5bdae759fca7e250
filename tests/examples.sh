#!/usr/bin/env bash
# Runs the C examples on real data, on both engines, and checks their output.
set -euo pipefail
bin=${1:?usage: examples.sh BUILD/examples}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c $((5 * 1024 * 1024 + 4321)) /dev/urandom > "$work/big"
: > "$work/empty"
printf 'one line\n' > "$work/small"
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }
for engine in auto fallback; do
    export URB_BACKEND=$engine
    echo "== examples (URB_BACKEND=$engine)"
    for f in big empty small; do
        check cmp -s <("$bin/cat" "$work/$f") "$work/$f"
        rm -f "$work/copy"
        check "$bin/cp" "$work/$f" "$work/copy"
        check cmp -s "$work/$f" "$work/copy"
    done
    check cmp -s <("$bin/cat" "$work/small" "$work/small") <(cat "$work/small" "$work/small")
    check bash -c "'$bin/cat' < '$work/small' | cmp -s - '$work/small'"
    check bash -c "! '$bin/cat' /nonexistent 2>/dev/null"
    check "$bin/nop" 20000
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
