#!/usr/bin/env bash
# Runs the example servers against real clients on loopback, on both
# engines: http_server under ab (with and without keep-alive), echo_server
# under many concurrent echo clients. Every load is bounded.
set -euo pipefail
bin=${1:?usage: servers.sh BUILD/examples}
here=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $*"; fi; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Starts a server with --port 0 (in this shell, so its pid is kept).
start() {
    local log=$1; shift
    "$@" --port 0 > "$log" 2>&1 &
    pids+=($!)
}

# Prints the port a started server reports.
port_of() {
    local log=$1
    for _ in $(seq 100); do
        if grep -q "listening on" "$log"; then
            sed -n 's/^listening on \([0-9]*\).*/\1/p' "$log" | head -1
            return
        fi
        sleep 0.05
    done
    echo "server did not start: $(cat "$log")" >&2
    return 1
}

ab_ok() { # requests, ab args..., url
    local n=$1; shift
    local out; out=$(timeout 60 ab -q -n "$n" "$@" 2>&1) || { echo "$out" | tail -5; return 1; }
    echo "$out" | grep -q "^Complete requests: *$n\$" &&
        echo "$out" | grep -q "^Failed requests: *0\$" &&
        echo "$out" | grep -q "^Document Length: *13 bytes" ||
        { echo "$out" | sed -n '/Complete requests/,/Non-2xx/p'; return 1; }
    echo "   ab -n $n $*: $(echo "$out" | sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p') req/s"
}

for engine in auto fallback; do
    export URB_BACKEND=$engine
    # ring: a URB_RING_SINGLE_THREAD ring; "ring --owner-thread": one
    # served by its library thread.
    for face in ring "ring --owner-thread" vtable; do
        echo "== http_server --face $face (URB_BACKEND=$engine)"
        # shellcheck disable=SC2086
        start "$work/http.log" "$bin/http_server" --face $face
        port=$(port_of "$work/http.log")
        check ab_ok 2000 -c 50 -k "http://127.0.0.1:$port/"
        check ab_ok 1000 -c 5 "http://127.0.0.1:$port/"
        check ab_ok 2000 -c 200 -k "http://127.0.0.1:$port/"
        kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
    done
    echo "== echo_server (URB_BACKEND=$engine)"
    start "$work/echo.log" "$bin/echo_server"
    port=$(port_of "$work/echo.log")
    check timeout 60 python3 "$here/echo_client.py" "$port" 50 20
    kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
