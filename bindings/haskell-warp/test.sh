#!/usr/bin/env bash
# Warp on uringbridge served to real clients (curl, ab, Python sockets), on
# both engines and at -N1 and -N2; stock Warp runs the same checks once as
# the reference the checks themselves are right against.
#   URB_HS_WARP_BUILD=dir  build somewhere else than build/haskell-warp
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)

"$here/install-deps"

build="${URB_HS_WARP_BUILD:-$repo/build/haskell-warp}"
"$repo/bindings/haskell/build.sh" "$build" warp
hello="$build/bin/urb-warp-hello"

work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
head -c $((3 * 1024 * 1024 + 17)) /dev/urandom > "$work/body"
head -c 20000 /dev/urandom > "$work/small"

fail() { echo "haskell-warp: FAILED: $*"; exit 1; }

start() {  # start IO RTS-OPTIONS: a fresh server, $port set
    : > "$work/server.log"  # emptied before the fork: the loop below could read the previous server's line before the child's redirection truncates it
    "$hello" --io "$1" --port 0 --timeout 2 +RTS "$2" -RTS > "$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 200); do grep -q "listening on" "$work/server.log" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/server.log")
    [ -n "$port" ] || fail "server did not start: $(cat "$work/server.log")"
    url="http://127.0.0.1:$port"
}

ab_ok() {  # ab_ok N AB-ARGS...: N requests complete, none failed
    local n=$1 out
    shift
    out=$(timeout 120 ab -q -n "$n" "$@" 2>&1) || fail "ab $*: $out"
    grep -q "^Complete requests: *$n$" <<< "$out" || fail "ab $*: $(grep -i 'complete\|failed' <<< "$out")"
    grep -q "^Failed requests: *0$" <<< "$out" || fail "ab $*: $(grep -i -A3 'failed' <<< "$out")"
    grep -q "^Non-2xx responses" <<< "$out" && fail "ab $*: $(grep 'Non-2xx' <<< "$out")"
    echo "$out"
}

checks() {  # the whole suite against a running server
    # Plain requests, headers, a 404.
    [ "$(curl -sS "$url/")" = "hello, world" ] || fail "GET /"
    curl -sS -i "$url/" | tr -d '\r' | grep -qi "^content-type: text/plain$" || fail "GET / headers"
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ] || fail "GET /nothing is not 404"
    # Keep-alive: several requests on one HTTP/1.1 connection (curl; the
    # slow clients below keep theirs too). ab speaks HTTP/1.0, which Warp
    # answers without keep-alive even with -k: its 2,000 requests are 2,000
    # connections, 20 at a time.
    reused=$(curl -sS -v "$url/" "$url/" "$url/" 2>&1 >/dev/null | grep -c "Re-using existing connection" || true)
    [ "$reused" -ge 2 ] || fail "curl did not reuse its connection ($reused)"
    ab_ok 2000 -c 20 -k "$url/" > /dev/null
    # Without keep-alive: a connection per request.
    ab_ok 1000 -c 20 "$url/" > /dev/null
    # Request bodies: 3 MiB by Content-Length and chunked, back byte for byte;
    # many small POSTs at once.
    curl -sS --data-binary @"$work/body" "$url/echo" | cmp - "$work/body" || fail "POST 3 MiB"
    curl -sS -H "Transfer-Encoding: chunked" --data-binary @"$work/body" "$url/echo" | cmp - "$work/body" ||
        fail "chunked POST 3 MiB"
    ab_ok 500 -c 20 -k -p "$work/small" -T application/octet-stream "$url/echo" > /dev/null
    # A response larger than any socket buffer.
    [ "$(curl -sS "$url/big" | wc -c)" = 1048576 ] || fail "GET /big"
    ab_ok 200 -c 10 "$url/big" > /dev/null
    # Warp's idle timeout (2 s here) closes a connection that sends nothing:
    # the receive it waits in must end when Warp closes the socket and kills
    # the thread.
    python3 - "$port" <<'EOF' || fail "idle connection"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(15)
t0 = time.time()
got = s.recv(1)
waited = time.time() - t0
if got != b"" or not 1.0 <= waited <= 10.0:
    sys.exit("idle connection: %r after %.1f s" % (got, waited))
print("   idle connection closed by Warp's timeout after %.1f s" % waited)
EOF
    # Slow writers and readers, fast requests meanwhile.
    timeout 120 python3 "$here/test/slow_clients.py" "$port" || fail "slow clients"
}

graceful_stop() {  # SIGTERM with a request in flight: it completes, the
                   # listener refuses new connections, the server exits 0
    curl -sS "$url/slow?ms=1500" > "$work/slow.out" 2>&1 &
    local slow=$!
    sleep 0.4
    local t0
    t0=$(date +%s%N)
    kill -TERM "$server"
    sleep 0.3
    if curl -sS -m 2 "$url/" > /dev/null 2>&1; then fail "a new connection was served after SIGTERM"; fi
    wait "$slow" || fail "the in-flight request failed: $(cat "$work/slow.out")"
    [ "$(cat "$work/slow.out")" = slow ] || fail "in-flight request: $(cat "$work/slow.out")"
    local rc=0
    timeout 20 tail --pid="$server" -f /dev/null || fail "server did not exit after SIGTERM"
    wait "$server" || rc=$?
    server=""
    [ "$rc" = 0 ] || fail "server exited $rc: $(cat "$work/server.log")"
    grep -q "^stopped$" "$work/server.log" || fail "no 'stopped': $(cat "$work/server.log")"
    # Warp waits for open connections, not for idle time: the server is
    # gone soon after the in-flight reply.
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -lt 5000 ] || fail "shutdown took $ms ms"
    echo "   graceful shutdown: in-flight request answered, new connections refused, exit 0 after $ms ms"
    # Anything on stderr (an exception Warp reported) is a failure.
    if grep -v "^listening on\|^stopped$" "$work/server.log"; then fail "server printed the above"; fi
}

for engine in auto fallback; do
    for rts in -N1 -N2; do
        echo "== Warp on uringbridge (URB_BACKEND=$engine, +RTS $rts)"
        export URB_BACKEND=$engine
        start uring "$rts"
        [ $engine = auto ] || grep -q "engine fallback" "$work/server.log" || fail "not on the fallback: $(cat "$work/server.log")"
        checks
        graceful_stop
    done
done
echo "== stock Warp, the same checks (the reference)"
unset URB_BACKEND
start warp -N2
checks
graceful_stop
echo "haskell-warp: passed"
