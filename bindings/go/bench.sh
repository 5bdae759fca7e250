#!/usr/bin/env bash
# Benchmarks of the Go binding (not tests: nothing here fails on speed).
#
#   bindings/go/bench.sh [--quick|--full|--rounds=N] [--http] [--copy] [--diag]
#
# (--http: section 2 only, and --diag's part 3; --copy: section 1c only.)
# 1. Per-request cost in-process: `go test -bench` of the blocking Nop (one
#    cgo call into urb_nop) interleaved with the C figure of the same round
#    trip (bench/blocking_cost.c, built here against target/release), ratio
#    and target (<= 1.3x); Ring.Do round trips, Pinner cost and a 64-byte
#    ping-pong over Listen/Dial vs package net (latency) for information.
# 1b. File.ReadAt of 4 KiB at random offsets, 32 goroutines: a File on an
#    async ring (Ring.Open) vs os.File.ReadAt (and the blocking-face File,
#    for information), interleaved; target ring >= 1.0x os.File.
# 1c. io.Copy of 64 MiB over loopback TCP: a page-cached file to a Conn, a
#    Conn to a Conn (relay) and a Conn to a file; the binding's splice
#    (File.ReadFrom; the first two forced through it, as the methods do not
#    splice into sockets) vs io.Copy's 32 KiB buffer through the same types
#    vs package os and net's own (sendfile, splice), interleaved; MB/s and
#    the process's CPU time per MiB (getrusage).
# 2. HTTP: examples/httpserver -net uring (uringbridge.Listen on the shared
#    ring) against -net std (net.Listen), the same program, under
#    ab -n 10000 -c 5/50/500 -k, ab -c 50 without keep-alive, and
#    wrk -t 1 -c 50 -d 3s. Rounds interleaved (the order alternates), a fresh
#    server per measurement on a port of its own; medians [min-max] over
#    rounds and the ratio of medians with the range of per-round ratios.
#    Target: uring >= 1.0x std at every load, and wrk's p50 latency <=
#    std's. Each measurement also records the server's CPU time per
#    request (the scheduler's per-thread counters). BASE_HTTPSERVER=path
#    adds a third side, that httpserver binary with -net uring (a build of
#    an earlier commit, for before/after figures); KEEP_SAMPLES=file keeps
#    the raw samples.
# 3. --diag: per HTTP request, ring statistics (requests, io_uring_enter
#    calls, owner wake-ups), CPU time and context switches of the server,
#    `strace -c -f` system-call counts of both servers, and a CPU profile of
#    the uring server (go tool pprof -top).
#
# Every load targets 127.0.0.1 and is bounded in requests or time; --quick
# (the default: 3 rounds) takes about 2 minutes, --full (9 rounds) about 6.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"
export PATH="/usr/local/go/bin:$PATH" GOTOOLCHAIN=local

rounds=3 diag=0 http_only=0 copy_only=0
for a in "$@"; do
    case "$a" in
        --quick) rounds=3 ;;
        --full) rounds=9 ;;
        --rounds=*) rounds=${a#--rounds=} ;;
        --http) http_only=1 ;;
        --copy) copy_only=1 ;;
        --diag) diag=1 ;;
        *) echo "usage: bench.sh [--quick|--full|--rounds=N] [--http] [--copy] [--diag]" >&2; exit 2 ;;
    esac
done

[ "$copy_only" = 1 ] || for tool in ab wrk; do
    if ! command -v "$tool" >/dev/null; then
        pkg=$tool; [ "$tool" = ab ] && pkg=apache2-utils
        echo "bench.sh: installing $pkg"
        apt-get install -y -qq "$pkg" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$pkg" >/dev/null; }
    fi
done

make -s -C "$repo" lib
bin="$repo/build/go/bin"
mkdir -p "$bin"
go build -o "$bin/httpserver" ./examples/httpserver
work=$(mktemp -d /tmp/urb-go-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "# uringbridge Go binding benchmarks, $(date -u +%FT%TZ)"
echo "# machine: $(nproc) cores, kernel $(uname -r), $(go version | cut -d' ' -f3), load average $(cut -d' ' -f1-3 /proc/loadavg)"

go test -c -o "$bin/uringbridge.test" .
# The C figure of the same round trip: bench/blocking_cost.c, built here
# against this checkout's library (bench/run builds its own copy too).
cbench=""
if pkg-config --exists liburing 2>/dev/null &&
    cc -std=c11 -D_GNU_SOURCE -O2 "$repo/bench/blocking_cost.c" -o "$bin/blocking_cost" \
        -I"$repo/include" -L"$repo/target/release" -luringbridge -Wl,-rpath,"$repo/target/release" \
        $(pkg-config --libs liburing) 2>"$work/cc.log"; then
    cbench="$bin/blocking_cost"
elif [ -x "$repo/build/bench/blocking_cost" ]; then
    cbench="$repo/build/bench/blocking_cost"
fi
gobench() { # gobench REGEX TIME: one run of the Go benchmarks matching REGEX
    "$bin/uringbridge.test" -test.run '^$' -test.bench "$1" -test.benchtime "$2" 2>/dev/null
}

copy_section() {
echo
echo "## 1c. io.Copy of 64 MiB over loopback TCP ($rounds rounds of 10 copies per side, interleaved)"
echo "##     MB/s (higher is better) and process CPU µs per MiB copied (getrusage, peer included)"
csamples="$work/copy.samples"
: >"$csamples"
export URB_BENCH_COPY_FILE="$work/copy64" # made by the first run, then page-cached
for r in $(seq "$rounds"); do
    order="splice buffer std"
    [ $((r % 2)) -eq 0 ] && order="std buffer splice"
    for bench in FileToConn ConnToConn ConnToFile; do
        for m in $order; do
            gobench "^BenchmarkCopy$bench\$/^$m\$" 10x |
                awk -v r="$r" -v b="$bench" -v m="$m" '/^BenchmarkCopy/ { mb = ""; cpu = ""; for (i = 3; i < NF; i++) { if ($(i + 1) == "MB/s") mb = $i; if ($(i + 1) == "cpu-us/MiB") cpu = $i }; print b, m, r, mb, cpu }' >>"$csamples"
        done
    done
done
python3 - "$csamples" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if len(l.split()) == 5]
labels = {"splice": "binding, splice", "buffer": "binding, io.Copy buffer (methods hidden)", "std": "package os/net (sendfile/splice)"}
for bench in ("FileToConn", "ConnToConn", "ConnToFile"):
    print(f"  {bench}:")
    med = {}
    for m in ("splice", "buffer", "std"):
        mb = {int(r[2]): float(r[3]) for r in rows if r[0] == bench and r[1] == m}
        cpu = {int(r[2]): float(r[4]) for r in rows if r[0] == bench and r[1] == m}
        if not mb:
            continue
        med[m] = (st.median(mb.values()), st.median(cpu.values()))
        print(f"    {labels[m]:42s} {med[m][0]:8.0f} MB/s [{min(mb.values()):.0f}-{max(mb.values()):.0f}]  {med[m][1]:7.1f} CPU µs/MiB [{min(cpu.values()):.1f}-{max(cpu.values()):.1f}]")
    if "splice" in med and "buffer" in med:
        print(f"    splice / buffer: throughput {med['splice'][0] / med['buffer'][0]:.2f}x, CPU per MiB {med['splice'][1] / med['buffer'][1]:.2f}x")
PY
}

if [ "$copy_only" = 1 ]; then
    copy_section
    exit 0
fi

if [ "$http_only" = 0 ]; then
echo
echo "## 1. Per-request cost, in-process ($rounds rounds, interleaved; ns/op, lower is better)"
nsamples="$work/nop.samples"
: >"$nsamples"
for r in $(seq "$rounds"); do
    gobench '^BenchmarkNop$' 1s | awk -v r="$r" '/^BenchmarkNop/ { print "go-nop", r, $3 }' >>"$nsamples"
    if [ -n "$cbench" ]; then
        "$cbench" --rounds 1 --round-ms 300 2>/dev/null |
            awk -v r="$r" -F'\t' '$1 == "@sample" && $2 == "blocking:io_uring" && $3 == "nop" && $4 == "urb" { print "c-urb_nop", r, $6 }' >>"$nsamples"
    fi
    gobench '^Benchmark(RingDoNop|RingDoNopParallel|RingDoTimeout0|RingDoTimeout0Parallel|RingDoBatch32Nop|PinUnpin|ConnPingPong|ConnPingPongStd)$' 300ms |
        awk -v r="$r" '/^Benchmark/ { n = $1; sub(/-[0-9]+$/, "", n); sub(/^Benchmark/, "", n); print n, r, $3 }' >>"$nsamples"
done
[ -n "$cbench" ] || echo "  (no C figure: liburing's pkg-config file is missing and build/bench/blocking_cost is not built)"
python3 - "$nsamples" <<'PY'
import sys, statistics as st
series = {}
for name, r, v in (l.split() for l in open(sys.argv[1])):
    series.setdefault(name, {})[int(r)] = float(v)
f = lambda d: f"{st.median(d.values()):9.1f} [{min(d.values()):.1f}-{max(d.values()):.1f}]"
labels = {"go-nop": "Go Nop() (blocking, one cgo call)", "c-urb_nop": "C urb_nop() (bench/blocking_cost.c)"}
for name in ["go-nop", "c-urb_nop"] + sorted(n for n in series if n not in labels):
    if name in series:
        print(f"  {labels.get(name, 'Go ' + name + ' (info)'):40s} {f(series[name])} ns/op")
g, c = series.get("go-nop"), series.get("c-urb_nop")
if g and c:
    ratio = st.median(g.values()) / st.median(c.values())
    per = sorted(g[r] / c[r] for r in g if r in c)
    verdict = "met" if ratio <= 1.3 else "MISSED"
    if per[0] <= 1.3 < per[-1]:
        verdict += " (within noise)"
    print(f"  ratio Go Nop / C urb_nop = {ratio:.3f}  (per-round {per[0]:.2f}-{per[-1]:.2f}); target <= 1.3x: {verdict}")
PY

echo
echo "## 1b. File.ReadAt of 4 KiB at random offsets of a 64 MiB page-cached file, 32 goroutines"
echo "##     ($rounds rounds of 1s per side, interleaved; ns per read, lower is better)"
fsamples="$work/file.samples"
: >"$fsamples"
for r in $(seq "$rounds"); do
    order="Ring OS Blocking"
    [ $((r % 2)) -eq 0 ] && order="OS Ring Blocking"
    for m in $order; do
        gobench "^BenchmarkFileReadAt4KRandom32$m\$" 1s |
            awk -v r="$r" -v m="$m" '/^Benchmark/ { x = ""; for (i = 4; i < NF; i += 2) if ($(i + 1) ~ /\/op$/) x = x " " $(i + 1) "=" $i; print m, r, $3 x }' >>"$fsamples"
    done
done
python3 - "$fsamples" <<'PY'
import sys, statistics as st
series, extra = {}, {}
for l in open(sys.argv[1]):
    m, r, v, *rest = l.split()
    series.setdefault(m, {})[int(r)] = float(v)
    for kv in rest:
        k, _, x = kv.partition("=")
        extra.setdefault(m, {}).setdefault(k, []).append(float(x))
f = lambda d: f"{st.median(d.values()):8.1f} [{min(d.values()):.1f}-{max(d.values()):.1f}]"
labels = {"OS": "os.File.ReadAt (pread)", "Ring": "File on an async ring (Ring.Open)", "Blocking": "File, blocking face (info)"}
for m in ("OS", "Ring", "Blocking"):
    if m in series:
        more = "".join(f", {st.median(v):.3f} {k}" for k, v in extra.get(m, {}).items() if k not in ("B/op", "allocs/op"))
        print(f"  {labels[m]:36s} {f(series[m])} ns/read{more}")
o, g = series.get("OS"), series.get("Ring")
if o and g:
    ratio = st.median(o.values()) / st.median(g.values())
    per = sorted(o[r] / g[r] for r in g if r in o)
    verdict = "met" if ratio >= 1.0 else "MISSED"
    if per[0] < 1.0 <= per[-1]:
        verdict += " (within noise)"
    print(f"  throughput ratio ring / os.File = {ratio:.3f}  (per-round {per[0]:.2f}-{per[-1]:.2f}); target >= 1.0x: {verdict}")
PY

copy_section
fi

# start_server SIDE: starts the HTTP server of a side (std, uring, or base:
# BASE_HTTPSERVER's binary with -net uring), sets $pid and $port.
start_server() {
    local exe="$bin/httpserver" mode=$1
    [ "$1" = base ] && exe=$BASE_HTTPSERVER mode=uring
    # Removed first: the shell truncates the log in the child, after the
    # fork, so the loop below could otherwise read the previous server's.
    rm -f "$work/srv.log"
    "$exe" -net "$mode" -addr 127.0.0.1:0 >"$work/srv.log" 2>&1 &
    pid=$!
    for _ in $(seq 500); do grep -q '^listening on' "$work/srv.log" 2>/dev/null && break; sleep 0.02; done
    port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/srv.log")
    [ -n "$port" ] || { echo "bench.sh: server did not start:"; cat "$work/srv.log"; exit 1; }
}
stop_server() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
# cpu_ns: CPU time (user + system) of the server's threads so far, in ns,
# from the scheduler's per-thread counters (exact, unlike /proc ticks).
cpu_ns() { cat /proc/"$pid"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# load NAME: runs one load against $port, prints "requests/s requests p50_us"
# (p50 from wrk only, - for ab).
load() {
    local url="http://127.0.0.1:$port/"
    case "$1" in
        ab-c5-k)   timeout 120 ab -q -n 10000 -c 5 -k "$url" ;;
        ab-c50-k)  timeout 120 ab -q -n 10000 -c 50 -k "$url" ;;
        ab-c500-k) timeout 120 ab -q -n 10000 -c 500 -k "$url" ;;
        ab-c50)    timeout 120 ab -q -n 10000 -c 50 "$url" ;;
        wrk-c50)   timeout 60 wrk -t 1 -c 50 -d 3s --latency "$url" ;;
    esac 2>&1 | awk '
        function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1e6; return v }
        /^Requests per second:/ { rps = $4 } /^Complete requests:/ { n = $3 }
        /^Requests\/sec:/ { rps = $2 } /requests in / { n = $1 } /^ *Latency Distribution/ { dist = 1 } dist && /^ *50% / && NF == 2 { p50 = us($2) }
        /^Failed requests:/ && $3 != 0 { print "FAILED " $3 > "/dev/stderr" }
        END { print rps + 0, n + 0, (p50 == "" ? "-" : p50) }'
}

loads=(ab-c5-k ab-c50-k ab-c500-k ab-c50 wrk-c50)
sides=(uring std)
[ -n "${BASE_HTTPSERVER:-}" ] && sides+=(base)
echo
echo "## 2. HTTP requests/s, examples/httpserver -net uring vs -net std ($rounds rounds, interleaved; higher is better)"
echo "##    (server CPU time per request from /proc/PID/task/*/schedstat; p50 from wrk --latency)"
samples="$work/samples"
: >"$samples"
start_server uring; echo "# $(head -1 "$work/srv.log")"; stop_server
for r in $(seq "$rounds"); do
    for l in "${loads[@]}"; do
        # The order rotates round by round, so no side always goes first.
        n=${#sides[@]} order=()
        for i in $(seq 0 $((n - 1))); do order+=("${sides[$(((i + r) % n))]}"); done
        for m in "${order[@]}"; do
            start_server "$m"
            c0=$(cpu_ns)
            read -r v reqs p50 < <(load "$l")
            c1=$(cpu_ns)
            stop_server
            echo "$l $m $r ${v:-0} $(awk -v d=$((c1 - c0)) -v n="${reqs:-0}" 'BEGIN { printf "%.2f", n ? d / n / 1000 : 0 }') ${p50:--}" >>"$samples"
        done
    done
    echo "  round $r/$rounds done, load average $(cut -d' ' -f1 /proc/loadavg)" >&2
done
[ -z "${KEEP_SAMPLES:-}" ] || cp "$samples" "$KEEP_SAMPLES"
python3 - "$samples" <<'EOF'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
loads, sides = [], []
for l, m, *_ in rows:
    if l not in loads: loads.append(l)
    if m not in sides: sides.append(m)
def col(l, m, i): return {int(r[2]): float(r[i]) for r in rows if r[0] == l and r[1] == m and r[i] != "-"}
f = lambda d: f"{st.median(d.values()):,.0f} [{min(d.values()):,.0f}–{max(d.values()):,.0f}]" if d else "—"
g = lambda d: f"{st.median(d.values()):.2f}" if d else "—"
base = "base" in sides
print("| load | std (net.Listen) req/s | uring (uringbridge.Listen) req/s | ratio uring/std | per-round ratios | verdict (≥ 1.0×) | CPU µs/req std / uring | CPU ratio |"
      + (" base (BASE_HTTPSERVER) req/s | base CPU µs/req |" if base else ""))
print("|---|---|---|---|---|---|---|---|" + ("---|---|" if base else ""))
for l in loads:
    u, s = col(l, "uring", 3), col(l, "std", 3)
    mu, ms = st.median(u.values()), st.median(s.values())
    per = sorted(u[r] / s[r] for r in u if s.get(r))
    ratio = mu / ms if ms else 0
    verdict = "met" if ratio >= 1.0 else "MISSED"
    if per and per[0] < 1.0 <= per[-1]: verdict += " (within noise)"
    cu, cs = col(l, "uring", 4), col(l, "std", 4)
    cr = st.median(cu.values()) / st.median(cs.values()) if cs and cu and st.median(cs.values()) else 0
    line = f"| {l} | {f(s)} | {f(u)} | **{ratio:.3f}** | {per[0]:.2f}–{per[-1]:.2f} | {verdict} | {g(cs)} / {g(cu)} | {cr:.3f} |"
    if base:
        line += f" {f(col(l, 'base', 3))} | {g(col(l, 'base', 4))} |"
    print(line)
for l in loads:
    u, s = col(l, "uring", 5), col(l, "std", 5)
    if u and s:
        per = sorted(u[r] / s[r] for r in u if s.get(r))
        ratio = st.median(u.values()) / st.median(s.values())
        verdict = "met" if ratio <= 1.0 else "MISSED"
        if per[0] <= 1.0 < per[-1]: verdict += " (within noise)"
        extra = f", base {f(col(l, 'base', 5))}" if base else ""
        print(f"\n{l} p50 latency µs: std {f(s)}, uring {f(u)}{extra}; ratio uring/std **{ratio:.3f}** (per-round {per[0]:.2f}–{per[-1]:.2f}); target ≤ 1.0×: {verdict}")
EOF

[ "$diag" = 1 ] || exit 0

echo
echo "## 3. Diagnostics (ab -n 20000 -c 50 -k, one run each)"
csw() { local t=0 v; for f in /proc/"$1"/task/*/status; do v=$(awk '/voluntary_ctxt_switches/ { s += $2 } END { print s + 0 }' "$f" 2>/dev/null || echo 0); t=$((t + v)); done; echo "$t"; }
ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat; }
hz=$(getconf CLK_TCK)
for m in uring std; do
    : > "$work/srv.log"  # emptied before the fork: the loop below could read the previous server's line before the child's redirection truncates it
    "$bin/httpserver" -net "$m" -addr 127.0.0.1:0 -max-requests 20000 >"$work/srv.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do grep -q '^listening on' "$work/srv.log" && break; sleep 0.02; done
    port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/srv.log")
    c0=$(csw "$pid"); t0=$(ticks "$pid"); th=$(ls /proc/"$pid"/task | wc -l)
    ab -q -n 20000 -c 50 -k "http://127.0.0.1:$port/" >/dev/null 2>&1
    c1=$(csw "$pid"); t1=$(ticks "$pid")
    wait "$pid" || true
    awk -v m="$m" -v c=$((c1 - c0)) -v t=$((t1 - t0)) -v hz="$hz" -v th="$th" 'BEGIN {
        printf "  %-5s CPU %.1f µs/request, %.2f voluntary context switches/request, %d threads\n", m, t * 1e6 / hz / 20000, c / 20000, th }'
    grep '^ring:' "$work/srv.log" | sed 's/^/        /' || true
done
if command -v strace >/dev/null; then
    for m in uring std; do
        echo "  -- strace -c -f, -net $m (strace slows everything: counts, not times; per request)"
        strace -f -c -o "$work/strace.$m" "$bin/httpserver" -net "$m" -addr 127.0.0.1:0 -max-requests 10000 >"$work/srv.log" 2>&1 &
        spid=$!
        for _ in $(seq 200); do grep -q '^listening on' "$work/srv.log" && break; sleep 0.05; done
        port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/srv.log")
        ab -q -n 10000 -c 50 -k "http://127.0.0.1:$port/" >/dev/null 2>&1
        wait "$spid" || true
        awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" { printf "     %-16s %6.3f\n", $NF, $4 / 10000 }' "$work/strace.$m" | sort -k2 -nr | head -8
    done
fi
echo "  -- CPU profile of -net uring under ab -n 50000 -c 50 -k (go tool pprof -top, first lines)"
"$bin/httpserver" -net uring -addr 127.0.0.1:0 -max-requests 50000 -cpuprofile "$work/cpu.prof" >"$work/srv.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^listening on' "$work/srv.log" && break; sleep 0.02; done
port=$(sed -n 's/^listening on [0-9.]*:\([0-9]*\) .*/\1/p' "$work/srv.log")
ab -q -n 50000 -c 50 -k "http://127.0.0.1:$port/" >/dev/null 2>&1
wait "$pid" || true
go tool pprof -top -nodecount 25 "$bin/httpserver" "$work/cpu.prof" 2>/dev/null | sed -n '1,32p' | sed 's/^/    /'
