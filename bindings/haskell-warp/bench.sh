#!/usr/bin/env bash
# Benchmark, never a test: Warp on uringbridge against stock Warp, the same
# WAI application (urb-warp-hello's GET /) in the same binary.
#   bindings/haskell-warp/bench.sh [--quick|--full] [--results DIR]
#
# Loads: wrk -t1 -c 5/50/500 for 2 s (HTTP/1.1 keep-alive) and ab -n 5000
# -c 5/50/500 (ab speaks HTTP/1.0, which Warp never keeps alive: a
# connection per request); at +RTS -N1 and -N2. Each round starts a fresh
# server per side (the order of the sides alternates round by round), warms
# it up with 1 s of wrk, then runs every load against it. Per load: req/s,
# and the server's CPU time (user+system, every thread, /proc/PID/stat)
# per request. Medians over rounds, the ratio of medians uring/warp with the
# range of the per-round ratios. Target: >= 1.0x stock Warp at every load,
# >= 1.10x at c=50. Writes DIR/report.md and DIR/samples.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
rounds=${URB_WARP_BENCH_ROUNDS:-3}
results=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) rounds=3 ;;
        --full) rounds=7 ;;
        --results) results=${2:?}; shift ;;
        *) echo "usage: bench.sh [--quick|--full] [--results DIR]" >&2; exit 2 ;;
    esac
    shift
done
results=${results:-$repo/bench/results/$(date +%Y-%m-%d)/warp}
mkdir -p "$results"
started=$(date +%s)
step() { printf 'bench/warp [%4ss]: %s\n' "$(( $(date +%s) - started ))" "$*"; }
"$here/install-deps"

out="$repo/build/bench-warp"
step "building urb-warp-hello into $out (bindings/haskell/build.sh, a private copy of the library)"
"$repo/bindings/haskell/build.sh" "$out" warp > "$out.build.log" 2>&1 || { cat "$out.build.log"; exit 1; }
hello="$out/bin/urb-warp-hello"

samples="$results/samples.tsv"
printf 'rts\tload\tside\tround\treq_per_s\tcpu_us_per_req\n' > "$samples"
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
tick=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

measure() {  # measure RTS SIDE ROUND: one server, every load
    local rts=$1 side=$2 round=$3 port load c before after rps n
    : > "$work/server.log"  # emptied before the fork: the loop below could read the previous server's line before the child's redirection truncates it
    "$hello" --io "$side" --port 0 +RTS "$rts" -RTS > "$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 400); do grep -q "listening on" "$work/server.log" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on \([0-9]*\).*/\1/p' "$work/server.log")
    # Under heavy load a server can be slow to start or a client can fail:
    # the round's samples for that side are skipped and said so, the run goes on.
    if [ -z "$port" ]; then
        echo "   note: $side $rts round $round: no server after 20 s ($(tr '\n' ' ' < "$work/server.log" | cut -c1-200)); skipped"
        kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""
        return 0
    fi
    timeout 30 wrk -t1 -c50 -d1s "http://127.0.0.1:$port/" > /dev/null || true
    for load in wrk ab; do
        for c in 5 50 500; do
            before=$(cpu_ticks "$server")
            if [ $load = wrk ]; then
                timeout 60 wrk -t1 -c$c -d2s "http://127.0.0.1:$port/" > "$work/load.out" 2>&1 || true
                rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/load.out")
                n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/load.out")
                grep -q "Non-2xx\|Socket errors" "$work/load.out" && echo "   note: $side $rts wrk c=$c: $(grep 'Non-2xx\|Socket errors' "$work/load.out")"
            else
                timeout 60 ab -q -n 5000 -c $c "http://127.0.0.1:$port/" > "$work/load.out" 2>&1 || true
                rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$work/load.out")
                n=$(sed -n 's/^Complete requests: *\([0-9]*\)/\1/p' "$work/load.out")
                grep -q "^Failed requests: *0$" "$work/load.out" || echo "   note: $side $rts ab c=$c: $(grep '^Failed' "$work/load.out")"
            fi
            if [ -z "$rps" ] || [ -z "$n" ] || [ "$n" = 0 ] || ! kill -0 "$server" 2>/dev/null; then
                echo "   note: $side $rts $load c=$c round $round: no result ($(tail -1 "$work/load.out")); skipped"
                kill -0 "$server" 2>/dev/null || break 2
                continue
            fi
            after=$(cpu_ticks "$server")
            printf '%s\t%s_c%s\t%s\t%s\t%s\t%s\n' "$rts" "$load" "$c" "$side" "$round" "$rps" \
                "$(awk -v t=$((after - before)) -v k="$tick" -v n="$n" 'BEGIN {printf "%.2f", t / k * 1e6 / n}')" >> "$samples"
        done
    done
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" || true
    server=""
}

echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)" > "$results/meta.env"
for round in $(seq 1 "$rounds"); do
    for rts in -N1 -N2; do
        if [ $((round % 2)) = 1 ]; then sides="uring warp"; else sides="warp uring"; fi
        for side in $sides; do
            step "round $round/$rounds, +RTS $rts, $side"
            measure "$rts" "$side" "$round"
        done
    done
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$results/meta.env"

python3 - "$samples" "$results/report.md" "$results/meta.env" <<'EOF'
import csv, statistics, sys
samples, report, meta = sys.argv[1:]
rows = list(csv.DictReader(open(samples), delimiter="\t"))
def med(xs): return statistics.median(xs)
out = ["# Warp on uringbridge against stock Warp", "",
       "Same binary and WAI application (`urb-warp-hello`, GET / -> 13-byte text); "
       "`wrk -t1 -d2s` keeps HTTP/1.1 connections alive, `ab -n 5000` opens one per "
       "request (Warp never keeps HTTP/1.0 alive). Medians over rounds [min-max]; "
       "ratio = median uring / median warp [range of per-round ratios]; CPU = the "
       "server's user+system time per request (all threads).", "",
       "| RTS | load | stock Warp req/s | uring req/s | ratio | target | verdict | CPU µs/req warp | CPU µs/req uring |",
       "|---|---|---|---|---|---|---|---|---|"]
loads = ["wrk_c5", "wrk_c50", "wrk_c500", "ab_c5", "ab_c50", "ab_c500"]
for rts in ["-N1", "-N2"]:
    for load in loads:
        side = {s: [r for r in rows if r["rts"] == rts and r["load"] == load and r["side"] == s] for s in ("warp", "uring")}
        if not side["warp"] or not side["uring"]:
            continue
        rps = {s: [float(r["req_per_s"]) for r in side[s]] for s in side}
        cpu = {s: [float(r["cpu_us_per_req"]) for r in side[s]] for s in side}
        by_round = {s: {r["round"]: float(r["req_per_s"]) for r in side[s]} for s in side}
        paired = [by_round["uring"][k] / by_round["warp"][k] for k in by_round["uring"] if k in by_round["warp"]]
        ratio = med(rps["uring"]) / med(rps["warp"])
        target = 1.10 if load.endswith("_c50") else 1.0
        verdict = "met" if ratio >= target else "**missed**"
        if (ratio >= target) != (min(paired) >= target) or (ratio >= target) != (max(paired) >= target):
            verdict += " (rounds on both sides)"
        f = lambda xs: "%s [%s-%s]" % (format(round(med(xs)), ","), format(round(min(xs)), ","), format(round(max(xs)), ","))
        out.append("| %s | %s | %s | %s | %.2fx [%.2f-%.2f] | >= %.2fx | %s | %.1f | %.1f |" % (
            rts, load.replace("_", " "), f(rps["warp"]), f(rps["uring"]), ratio, min(paired), max(paired),
            target, verdict, med(cpu["warp"]), med(cpu["uring"])))
out += ["", "Machine load (1/5/15 min) before and after: " + " / ".join(l.strip().split("=", 1)[1] for l in open(meta)), ""]
open(report, "w").write("\n".join(out))
print("\n".join(out))
EOF
step "done; report: $results/report.md"
