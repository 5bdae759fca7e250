#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR: turns what bench/run left in RESULTS_DIR
(meta.env, samples.tsv, raw/notes.txt, and haskell/ from bench/haskell/run)
into RESULTS_DIR/report.md and PNG plots. Medians [min-max] over rounds;
ratios are ratios of medians, with the range of the per-round ratios beside
them (each round ran A and B back to back, so a per-round range that
straddles the target means the verdict is within the machine's noise).
Plots need matplotlib; without it the report says so and keeps the tables."""

import collections
import os
import statistics
import sys

res_dir = sys.argv[1]


def read_meta(path):
    m = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    m[k] = v
    return m


# data[(group, case, side)] = {round: value}; the Haskell suite's groups get
# an "hs:" prefix, so one set of helpers serves every runtime.
data = collections.defaultdict(dict)


def read_samples(path, prefix=""):
    if not os.path.exists(path):
        return False
    with open(path) as f:
        next(f, None)
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5 or parts[4] == "":
                continue
            g, c, s, r, v = parts
            try:
                data[(prefix + g, c, s)][int(r)] = float(v)
            except ValueError:
                pass
    return True


meta = read_meta(os.path.join(res_dir, "meta.env"))
read_samples(os.path.join(res_dir, "samples.tsv"))
hs_dir = os.path.join(res_dir, "haskell")
hs_meta = read_meta(os.path.join(hs_dir, "meta.env"))
have_hs = read_samples(os.path.join(hs_dir, "samples.tsv"), "hs:") and any(k[0] == "hs:http" for k in data)

notes_path = os.path.join(res_dir, "raw", "notes.txt")
notes = [l.rstrip("\n") for l in open(notes_path)] if os.path.exists(notes_path) else []


def vals(g, c, s):
    return list(data.get((g, c, s), {}).values())


def med(g, c, s):
    v = vals(g, c, s)
    return statistics.median(v) if v else None


def fmt_num(x, digits=None):
    if x is None:
        return "—"
    if digits is not None:
        return f"{x:,.{digits}f}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(g, c, s, digits=None):
    v = vals(g, c, s)
    if not v:
        return "—"
    return f"{fmt_num(statistics.median(v), digits)} [{fmt_num(min(v), digits)}–{fmt_num(max(v), digits)}]"


def ratio(g, c, a, b, ca=None):
    """(ratio of medians, per-round ratios) of side a (case ca or c) over b."""
    ra, rb = data.get((g, ca or c, a), {}), data.get((g, c, b), {})
    if not ra or not rb:
        return None, []
    per = [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]
    return statistics.median(ra.values()) / statistics.median(rb.values()), per


def ratio_cell(rat, per):
    if rat is None:
        return "—"
    if not per:
        return f"**{rat:.3f}**"
    return f"**{rat:.3f}** ({min(per):.2f}–{max(per):.2f})"


def verdict(rat, per, op, target):
    if target is None:
        return "info"
    if rat is None:
        return "not measured"
    ok = rat <= target if op == "<=" else rat >= target
    word = "met" if ok else "**MISSED**"
    if per and min(per) <= target <= max(per):
        word += " (within noise)"
    return word


def target_txt(op, target):
    return "—" if target is None else f"{'≤' if op == '<=' else '≥'} {target:.2f}×"


# Every row with a target also goes to the summary at the top (and the
# README): (runtime, pair, anchor cell, ours cell, ratio cell, target, verdict, area).
summary = []


def judged(runtime, label, g, c, a, b, op, target, anchor_name, area, ca=None, headline=True):
    rat, per = ratio(g, c, a, b, ca)
    v = verdict(rat, per, op, target)
    if target is not None and headline:
        summary.append((runtime, label, f"{anchor_name}: {cell(g, c, b)}", cell(g, ca or c, a), ratio_cell(rat, per),
                        target_txt(op, target), v, area))
    return rat, per, v


out = []
w = out.append
quick = meta.get("mode") == "--quick"

# ================================================================ C: per-request
sec = []
w = sec.append
w("## C: per-request cost (in-process, ns per request unless stated)")
w("")
w("| measure | anchor | anchor | uringbridge | ratio | target | verdict |")
w("|---|---|---|---|---|---|---|")
rows = [
    ("blocking face: `urb_nop()` round trip", "blocking:io_uring", "nop", "urb", "liburing",
     "liburing nop, default flags", "<=", 1.10, "c_nop"),
    ("blocking face: `urb_read()` 4 KiB page-cached", "blocking:io_uring", "read4k", "urb", "liburing",
     "liburing read, default flags", "<=", None, None),
    ("async ring: one NOP at a time, `urb_ring_submit` + `urb_ring_wait`", "async", "qd1_nop", "urb_ring",
     "urb_blocking", "blocking face `urb_nop()`", "<=", 2.0, "c_qd1"),
    ("async ring: one poll of a ready eventfd at a time (served by the owner thread: the hand-over and "
     "wake-up back)", "async", "qd1_owner", "urb_ring", "urb_blocking", "the same poll, blocking face", "<=", None,
     None),
    ("async ring made `URB_RING_SINGLE_THREAD`: the same poll, one at a time (its thread submits and waits in the "
     "kernel: no hand-over)", "async", "qd1_single", "urb_ring", "urb_blocking", "the same poll, blocking face", "<=",
     None, None),
    ("async ring: 32 NOPs via `urb_ring_submit_batch` + `urb_ring_wait` (wall clock; at load it is mostly "
     "scheduling, the CPU row below is the target's)", "async", "batch32", "urb_batch",
     "liburing", "liburing 32 × prep_nop + submit_and_wait(32)", "<=", None, None),
    ("async ring: 32 NOPs via `urb_ring_submit_batch` + `urb_ring_wait`, CPU time of the process per NOP (owner "
     "thread included)", "async", "batch32_cpu", "urb_batch", "liburing", "liburing, CPU time per NOP", "<=", 1.50,
     "c_batch"),
    ("async ring: 32 × `urb_ring_submit` + `urb_ring_wait`", "async", "batch32", "urb_x32", "liburing",
     "liburing 32 × prep_nop + submit_and_wait(32)", "<=", None, None),
    ("async ring: 8 threads submitting NOPs, M requests/s (higher is better)", "async", "threads8", "urb",
     "liburing_mutex", "8 threads, one liburing ring behind a mutex, a submit per request", ">=", None, None),
    ("*with `URB_SPIN_US=30` (information):* 32 NOPs via `urb_ring_submit_batch` + `urb_ring_wait`", "async_spin30",
     "batch32", "urb_batch", "liburing", "liburing 32 × prep_nop + submit_and_wait(32)", "<=", None, None),
    ("*with `URB_SPIN_US=30` (information):* 8 threads, M requests/s", "async_spin30", "threads8", "urb",
     "liburing_mutex", "8 threads, one liburing ring behind a mutex", ">=", None, None),
]
short = {"c_nop": "`urb_nop()` vs liburing NOP round trip (ns)",
         "c_qd1": "async ring, one NOP round trip vs the blocking `urb_nop()` (ns)",
         "c_batch": "batches of 32 async NOPs vs liburing batches (CPU ns per NOP)"}
for label, g, c, a, b, anchor_name, op, target, key in rows:
    anchor_short = "blocking urb_nop" if key == "c_qd1" else "liburing"
    rat, per, v = judged("C", short.get(key, label), g, c, a, b, op, target, anchor_short, key)
    w(f"| {label} | {anchor_name} | {cell(g, c, b)} | {cell(g, c, a)} | {ratio_cell(rat, per)} | "
      f"{target_txt(op, target)} | {v} |")
extra = []
if vals("blocking:io_uring", "read4k", "pread"):
    rat, per = ratio("blocking:io_uring", "read4k", "pread", "liburing")
    extra.append(f"plain `pread` 4 KiB: {cell('blocking:io_uring', 'read4k', 'pread')} ns ({rat:.2f}× liburing)")
if vals("blocking:io_uring", "nop", "liburing_flags"):
    extra.append("liburing with the library's setup flags (SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL): nop "
                 f"{cell('blocking:io_uring', 'nop', 'liburing_flags')} ns, read "
                 f"{cell('blocking:io_uring', 'read4k', 'liburing_flags')} ns")
if vals("async", "batch32_req_per_enter", "urb_batch"):
    extra.append("requests per `io_uring_enter` on the async ring (default, no spinning): submit_batch "
                 f"{cell('async', 'batch32_req_per_enter', 'urb_batch')}, 32 × submit "
                 f"{cell('async', 'batch32_req_per_enter', 'urb_x32')}, 8 threads "
                 f"{cell('async', 'threads8_req_per_enter', 'urb')}; owner wake-ups per 1000 requests with 8 "
                 f"threads {cell('async', 'threads8_wakeups_per_kreq', 'urb')}")
if vals("blocking:fallback", "nop", "urb"):
    rat, _ = ratio("blocking:fallback", "read4k", "urb", "liburing")
    extra.append("fallback engine (URB_BACKEND=fallback, information): `urb_nop` "
                 f"{cell('blocking:fallback', 'nop', 'urb')} ns (no round trip), `urb_read` 4 KiB "
                 f"{cell('blocking:fallback', 'read4k', 'urb')} ns ({rat:.2f}× liburing)")
if extra:
    w("")
    for e in extra:
        w(f"- {e}")
w("")
c_cost = sec

# ================================================================ network, shared
# The targets name c=50; the summary carries the two keep-alive loads at c=50
# (ab as the seeds ran it, and wrk), the group tables every load.
C50 = ("ab_k_c50", "ab_c50", "wrk_c50")
HEADLINE = ("ab_k_c50", "wrk_c50")
loads = [("ab_k_c5", "ab -n 10000 -c 5 -k"), ("ab_k_c50", "ab -n 10000 -c 50 -k"),
         ("ab_k_c500", "ab -n 10000 -c 500 -k"), ("ab_c50", "ab -n 10000 -c 50 (no keep-alive)"),
         ("wrk_c50", "wrk -t 1 -c 50 -d 3s")]
names = {"epoll": "C epoll (anchor)", "liburing": "C liburing (anchor)", "liburing_dt": "C liburing DEFER_TASKRUN (info)",
         "urb_ring": "C uringbridge ring", "urb_ring_owner": "C uringbridge ring, owner thread (info)",
         "urb_vtable": "C uringbridge vtable",
         "go_std": "Go net.Listen (anchor)", "go_uring": "Go uringbridge.Listen",
         "ghc_N1": "Haskell --io ghc -N1 (anchor)", "uring_N1": "Haskell --io uring -N1",
         "ghc_N2": "Haskell --io ghc -N2 (anchor)", "uring_N2": "Haskell --io uring -N2"}
servers = [s for s in ("epoll", "liburing", "liburing_dt", "urb_ring", "urb_ring_owner", "urb_vtable", "go_std",
                        "go_uring")
           if any(k[2] == s and k[0] == "http" for k in data)]
c_servers = [s for s in servers if not s.startswith("go_")]
hs_configs = [s for s in ("ghc_N1", "uring_N1", "ghc_N2", "uring_N2") if vals("hs:http", "ab_k_c50", s)]

# ================================================================ C: network
sec = []
w = sec.append
faces = [(s, {"urb_ring": "`http_server --face ring` (async completion face)",
              "urb_vtable": "`http_server --face vtable` (readiness vtable)"}[s])
         for s in ("urb_ring", "urb_vtable") if s in servers]
w("## C: HTTP requests/s on 127.0.0.1 (higher is better)")
w("")
w("`examples-c/http_server` against `bench/epoll_http_server` (plain single-threaded epoll, the target's anchor) and "
  "`bench/liburing_http_server` (the same program straight on one liburing ring, no setup flags, one thread)"
  + (", and for information the same liburing server with `--defer-taskrun` (the flags the library's own rings "
     "use): the gap between it and uringbridge is the library's hand-over to its owner thread" if "liburing_dt" in servers
     else "") + ". All send the same bytes.")
w("")
for face, face_name in faces:
    w(f"### {face_name}")
    w("")
    dt = "liburing_dt" in servers
    w("| load | epoll (anchor) | liburing (anchor) | " + ("liburing DEFER_TASKRUN (info) | " if dt else "")
      + "uringbridge | ratio vs epoll | ratio vs liburing | " + ("ratio vs DEFER_TASKRUN | " if dt else "")
      + "target | verdict |")
    w("|---|---|---|" + ("---|" if dt else "") + "---|---|---|" + ("---|" if dt else "") + "---|---|")
    for c, name in loads:
        rat, per, v = judged("C", f"HTTP `--face {face[4:]}` vs epoll, {name} (req/s)", "http", c, face, "epoll",
                             ">=", 1.0, "epoll", "c_http", headline=c in HEADLINE)
        ratl, perl = ratio("http", c, face, "liburing")
        ratd, perd = ratio("http", c, face, "liburing_dt")
        w(f"| {name} | {cell('http', c, 'epoll')} | {cell('http', c, 'liburing')} | "
          + (f"{cell('http', c, 'liburing_dt')} | " if dt else "")
          + f"{cell('http', c, face)} | {ratio_cell(rat, per)} | {ratio_cell(ratl, perl)} | "
          + (f"{ratio_cell(ratd, perd)} | " if dt else "") + f"≥ 1.00× epoll | {v} |")
    w("")
if "urb_ring_owner" in servers:
    w("### `http_server --face ring --owner-thread` (information: the ring face on a ring served by its owner "
      "thread, as before `URB_RING_SINGLE_THREAD`)")
    w("")
    w("| load | epoll | `--face ring` (single-thread ring) | `--face ring --owner-thread` | owner thread vs epoll | "
      "single-thread vs owner thread |")
    w("|---|---|---|---|---|---|")
    for c, name in loads:
        rate, pere = ratio("http", c, "urb_ring_owner", "epoll")
        rats, pers = ratio("http", c, "urb_ring", "urb_ring_owner")
        w(f"| {name} | {cell('http', c, 'epoll')} | {cell('http', c, 'urb_ring')} | "
          f"{cell('http', c, 'urb_ring_owner')} | {ratio_cell(rate, pere)} | {ratio_cell(rats, pers)} |")
    w("")
if "urb_vtable" not in servers:
    w("- `--face vtable`: not measured (see Notes).")
    w("")
c_net = sec

# ================================================================ latency (all runtimes)
pcts = [p for p in ("p50", "p75", "p90", "p99")
        if any(k[0] in ("http_lat", "hs:http_lat") and k[1] == p for k in data)]
anchor_of = {"urb_ring": "epoll", "urb_ring_owner": "epoll", "urb_vtable": "epoll", "liburing": "epoll", "liburing_dt": "epoll",
             "go_uring": "go_std", "uring_N1": "ghc_N1", "uring_N2": "ghc_N2"}
sec = []
w = sec.append
w("## Latency at c=50 (wrk -t 1 -c 50 -d 3s --latency), µs (lower is better)")
w("")
w("| server | " + " | ".join(pcts) + " | p99 ratio vs its anchor |")
w("|---|" + "---|" * (len(pcts) + 1))
for s, g in [(s, "http_lat") for s in servers] + [(s, "hs:http_lat") for s in hs_configs]:
    a = anchor_of.get(s)
    rat, per = ratio(g, "p99", s, a) if a else (None, [])
    w(f"| {names[s]} | " + " | ".join(cell(g, p, s) for p in pcts) + f" | {ratio_cell(rat, per)} |")
w("")
w("![latency CDF at c=50](latency_c50.png)")
w("")
lat = sec

# ================================================================ C: file I/O
file_cases = [c for c in ("cached_qd1", "cached_qd32", "direct_qd1", "direct_qd32")
              if vals("file", c, "fio_io_uring") or vals("file", c, "urb_ring")]
case_names = {"cached_qd1": "page-cached, QD1", "cached_qd32": "page-cached, QD32", "direct_qd1": "O_DIRECT, QD1",
              "direct_qd32": "O_DIRECT, QD32"}
sec = []
w = sec.append
w("## C: file I/O, 4 KiB random reads, IOPS (higher is better)")
w("")
w("One 256 MiB file on the repository's filesystem; fio runs `--rw=randread --bs=4k --invalidate=0 "
  "--norandommap`, `--direct=1` for O_DIRECT; uringbridge is `bench/file_reads` (one async ring, "
  "`urb_ring_submit_batch` refilling what each `urb_ring_wait` returned, QD reads in flight). psync keeps one "
  "read in flight whatever the depth, so it appears at QD1 only.")
w("")
w("| case | fio io_uring (anchor) | fio psync | uringbridge ring | ratio vs fio io_uring | target | verdict | "
  "ring: enters / wake-ups per read | `urb_read` (blocking face) | single-thread ring (info) | its ratio |")
w("|---|---|---|---|---|---|---|---|---|---|---|")
for c in file_cases:
    target = {"cached_qd1": 0.80, "direct_qd32": 0.95}.get(c)
    rat, per, v = judged("C", f"file reads {case_names[c]} (IOPS)", "file", c, "urb_ring", "fio_io_uring", ">=",
                         target, "fio io_uring", "c_file")
    e, wk = med("file_stats", f"{c}_enters_per_read", "urb_ring"), med("file_stats", f"{c}_wakeups_per_read", "urb_ring")
    stats_txt = "—" if e is None else f"{e:.3f} / {wk:.3f}"
    w(f"| {case_names[c]} | {cell('file', c, 'fio_io_uring')} | {cell('file', c, 'fio_psync')} | "
      f"{cell('file', c, 'urb_ring')} | {ratio_cell(rat, per)} | {target_txt('>=', target)} | {v} | {stats_txt} | "
      f"{cell('file', c, 'urb_blocking')} | {cell('file', c, 'urb_single')} | "
      f"{ratio_cell(*ratio('file', c, 'urb_single', 'fio_io_uring'))} |")
w("")
w("![file reads](file_reads.png)")
w("")
c_file = sec

# ================================================================ Go
sec = []
w = sec.append
go_status = meta.get("go_status", "not run")
w("## Go")
w("")
w(f"Status: {go_status}. Per-request cost: `bench/go/nop` (a loop of `uringbridge.Nop()`, the blocking face) "
  "against `urb_nop()` timed in C by `bench/blocking_cost`, alternating processes round by round. File: "
  "`bench/go/fileread`, `File.ReadAt` on a file opened on the shared ring with QD goroutines, against "
  "`os.File.ReadAt` with as many goroutines (the Go anchor), in the same rounds as the C file pairs. HTTP: "
  "`bindings/go/examples/httpserver -net uring` (uringbridge.Listen) against `-net std` (net.Listen), the same "
  "program, as two more servers of the network rounds above.")
w("")
have_go_cost = bool(vals("go_cost", "Nop", "go_nop"))
have_go_file = any(vals("file", c, "go_ring") for c in file_cases)
have_go_http = "go_uring" in servers
if have_go_cost:
    w("| per-request cost, ns | C `urb_nop()` (anchor) | Go | ratio | target | verdict |")
    w("|---|---|---|---|---|---|")
    rat, per, v = judged("Go", "blocking `Nop()` vs C `urb_nop()` (ns)", "go_cost", "Nop", "go_nop", "c_urb", "<=",
                         1.30, "C urb_nop", "go_nop")
    w(f"| `uringbridge.Nop()` (blocking face) | {cell('go_cost', 'Nop', 'c_urb')} | {cell('go_cost', 'Nop', 'go_nop')} | "
      f"{ratio_cell(rat, per)} | ≤ 1.30× | {v} |")
    # --- Go: Do(Nop) against an absolute target, ping-pong against net, CPU per round trip
    rat, per = ratio("go_cost", "Nop", "go_ring", "c_urb")
    ring_ns = vals("go_cost", "Nop", "go_ring")
    v = "not measured"
    if ring_ns:
        v = "met" if statistics.median(ring_ns) <= 3000 else "**MISSED**"
        if min(ring_ns) <= 3000 <= max(ring_ns):
            v += " (within noise)"
        summary.append(("Go", "`SharedRing().Do(PrepNop())`, one goroutine (ns)", "absolute target",
                        cell("go_cost", "Nop", "go_ring"), "—", "≤ 3,000 ns", v, "go_nop"))
    w(f"| `SharedRing().Do(PrepNop())`, one goroutine | {cell('go_cost', 'Nop', 'c_urb')} | "
      f"{cell('go_cost', 'Nop', 'go_ring')} | {ratio_cell(rat, per)} | ≤ 3,000 ns | {v} |")
    w("")
    if vals("go_cost", "PingPong", "go_uring"):
        w("| 64-byte ping-pong over loopback TCP, ns per round trip | package net (anchor) | uringbridge Listen/Dial "
          "| ratio | target | verdict | CPU ns per round trip, net / uringbridge |")
        w("|---|---|---|---|---|---|---|")
        rat, per, v = judged("Go", "64-byte ping-pong Listen/Dial vs net (ns per round trip)", "go_cost", "PingPong",
                             "go_uring", "go_net", "<=", 1.20, "net", "go_http")
        w(f"| `bench/go/nop -side pingpong_*` | {cell('go_cost', 'PingPong', 'go_net')} | "
          f"{cell('go_cost', 'PingPong', 'go_uring')} | {ratio_cell(rat, per)} | ≤ 1.20× | {v} | "
          f"{cell('go_cpu', 'PingPong', 'go_net')} / {cell('go_cpu', 'PingPong', 'go_uring')} |")
        w("")
    # --- end Go
if have_go_file:
    w("| file reads, IOPS (os.File at QD32 only: at QD1 it is the C table's psync) | os.File (anchor) | fio io_uring | "
      "Go File on the shared ring | ratio vs os.File | "
      "ratio vs fio io_uring | target | verdict |")
    w("|---|---|---|---|---|---|---|---|")
    for c in [c for c in file_cases if vals("file", c, "go_ring")]:
        target = 1.0 if c.endswith("qd32") else None
        rat, per, v = judged("Go", f"`File.ReadAt` vs `os.File.ReadAt`, {case_names[c]} (IOPS)", "file", c, "go_ring",
                             "go_os", ">=", target, "os.File", "go_file")
        ratf, perf = ratio("file", c, "go_ring", "fio_io_uring")
        w(f"| {case_names[c]} | {cell('file', c, 'go_os')} | {cell('file', c, 'fio_io_uring')} | "
          f"{cell('file', c, 'go_ring')} | {ratio_cell(rat, per)} | {ratio_cell(ratf, perf)} | "
          f"{target_txt('>=', target)} | {v} |")
    w("")
if have_go_http:
    # --- Go: >= 1.0x net at every load (issue 10), server CPU µs per request beside
    w("| HTTP load, req/s | net.Listen (anchor) | uringbridge.Listen | ratio | target | verdict | "
      "server CPU µs/request, net / uringbridge |")
    w("|---|---|---|---|---|---|---|")
    for c, name in loads:
        target = 1.0
        rat, per, v = judged("Go", f"HTTP Listen vs net.Listen, {name} (req/s)", "http", c, "go_uring", "go_std", ">=",
                             target, "net", "go_http", headline=c in HEADLINE)
        w(f"| {name} | {cell('http', c, 'go_std')} | {cell('http', c, 'go_uring')} | {ratio_cell(rat, per)} | "
          f"{target_txt('>=', target)} | {v} | {cell('http_cpu', c, 'go_std', 1)} / {cell('http_cpu', c, 'go_uring', 1)} |")
    if vals("http_lat", "p50", "go_uring"):
        rat, per, v = judged("Go", "HTTP wrk c=50 p50 latency, Listen vs net.Listen (µs)", "http_lat", "p50",
                             "go_uring", "go_std", "<=", 1.0, "net", "go_http")
        w(f"| wrk -c 50 p50 latency, µs | {cell('http_lat', 'p50', 'go_std')} | {cell('http_lat', 'p50', 'go_uring')} | "
          f"{ratio_cell(rat, per)} | ≤ 1.00× | {v} | |")
    w("")
    # --- end Go
if not (have_go_cost or have_go_file or have_go_http):
    w("No Go figures this run.")
    w("")
go_sec = sec

# ================================================================ Haskell
sec = []
w = sec.append
w("## Haskell")
w("")
hs_status = meta.get("haskell_status", "not run")
if not have_hs:
    w(f"Not measured: {hs_status}.")
    w("")
else:
    w(f"`bench/haskell/run {meta.get('mode', '')}` (GHC {hs_meta.get('ghc', '?')}, engine "
      f"{hs_meta.get('engine', '?')}; rounds: {hs_meta.get('rounds', '?')}), run by bench/run after the C and Go "
      "parts; its full report, with the 1,000-green-thread figures, perf and strace counts: "
      "[haskell/report.md](haskell/report.md). `examples-haskell/HttpServer.hs` with `--io uring` against "
      "`--io ghc` (GHC's own I/O manager), the four configurations interleaved round by round.")
    w("")
    w("| pair | anchor | uringbridge | ratio | target | verdict |")
    w("|---|---|---|---|---|---|")
    rat, per, v = judged("Haskell", "`submitBlocking` NOP, one green thread, vs C `urb_nop()` (ns)", "hs:nop1",
                         "rt_ns", "hs_submitBlocking", "c_urb_nop", "<=", 2.0, "C urb_nop", "hs_nop")
    w(f"| `submitBlocking` NOP round trip, one green thread, -N1 (ns) | C `urb_nop()` {cell('hs:nop1', 'rt_ns', 'c_urb_nop')} "
      f"| {cell('hs:nop1', 'rt_ns', 'hs_submitBlocking')} | {ratio_cell(rat, per)} | ≤ 2.00× | {v} |")
    rat, per = ratio("hs:nop1", "rt_ns", "hs_submitBlockingOS", "c_urb_nop")
    w(f"| `submitBlockingOS` (info, the calling OS thread's ring) | C `urb_nop()` | "
      f"{cell('hs:nop1', 'rt_ns', 'hs_submitBlockingOS')} | {ratio_cell(rat, per)} | — | info |")
    if vals("hs:nopmany", "ops_per_s", "async"):
        rat, per, v = judged("Haskell", "1,000 green threads, NOPs/s, vs one enter per request", "hs:nopmany",
                             "ops_per_s", "async", "os", ">=", 3.0, "submitBlockingOS", "hs_many")
        w(f"| 1,000 green threads, NOPs/s, -N2 | `submitBlockingOS` {cell('hs:nopmany', 'ops_per_s', 'os')} | "
          f"{cell('hs:nopmany', 'ops_per_s', 'async')} | {ratio_cell(rat, per)} | ≥ 3.00× | {v} |")
    for n in ("N1", "N2"):
        for c, name in loads:
            target = 1.10 if c in C50 else None
            rat, per, v = judged("Haskell", f"HTTP uring vs ghc -{n}, {name} (req/s)", "hs:http", c, f"uring_{n}",
                                 f"ghc_{n}", ">=", target, "ghc", "hs_http", headline=c in HEADLINE)
            w(f"| HTTP -{n}, {name} (req/s) | `--io ghc` {cell('hs:http', c, f'ghc_{n}')} | "
              f"{cell('hs:http', c, f'uring_{n}')} | {ratio_cell(rat, per)} | {target_txt('>=', target)} | {v} |")
    for c, name in loads:
        if c not in C50:
            continue
        rat, per, v = judged("Haskell", f"HTTP uring -N2 vs -N1, {name} (req/s)", "hs:http", c, "uring_N2", "uring_N1",
                             ">=", 1.0, "uring -N1", "hs_scale", headline=c in HEADLINE)
        w(f"| `--io uring` -N2 vs -N1, {name} (req/s) | -N1 {cell('hs:http', c, 'uring_N1')} | "
          f"{cell('hs:http', c, 'uring_N2')} | {ratio_cell(rat, per)} | ≥ 1.00× | {v} |")
    for n in ("N1", "N2"):
        if not vals("hs:rts", "max_residency_bytes", f"uring_{n}"):
            continue
        rat, per, v = judged("Haskell", f"maximum residency at c=500, -{n} (bytes, +RTS -s)", "hs:rts",
                             "max_residency_bytes", f"uring_{n}", f"ghc_{n}", "<=", 1.0, "ghc", "hs_res")
        w(f"| maximum residency under ab -c 500 -k, -{n} (bytes, `+RTS -s`) | `--io ghc` "
          f"{cell('hs:rts', 'max_residency_bytes', f'ghc_{n}')} | {cell('hs:rts', 'max_residency_bytes', f'uring_{n}')} "
          f"| {ratio_cell(rat, per)} | ≤ 1.00× | {v} |")
    w("")
# The Warp pair writes a report of its own (bindings/haskell-warp/bench.sh);
# its table is repeated here so one page carries every pair.
warp_report = os.path.join(res_dir, "warp", "report.md")
if os.path.exists(warp_report):
    w("### Warp on uringbridge against stock Warp")
    w("")
    w("`bindings/haskell-warp/bench.sh` (full report: [warp/report.md](warp/report.md)):")
    w("")
    with open(warp_report) as f:
        for line in f:
            if line.startswith("|") or line.startswith("Machine load"):
                w(line.rstrip("\n"))
    w("")
hs_sec = sec

# ================================================================ diagnostics
sec = []
w = sec.append
w("## Diagnostics: system calls per HTTP request (ab -n 10000 -c 50 -k, one run each)")
w("")
w("| server | io_uring_enter per request (own count) | owner wake-ups per request | syscalls per request "
  "(strace -c -f) | top syscalls per request |")
w("|---|---|---|---|---|")


def top_syscalls(g, case_prefix, s, n=4):
    return sorted(((v[0], k[1].split(":", 1)[1]) for k, v in data.items()
                   if k[0] == g and k[1].startswith(case_prefix) and k[2] == s), reverse=True)[:n]


for s in servers:
    top = top_syscalls("diag", "syscalls_per_request:", s)
    e, wk, t = med("diag", "enters_per_request", s), med("diag", "wakeups_per_request", s), \
        med("diag", "syscalls_per_request", s)
    w(f"| {names[s]} | {'—' if e is None else f'{e:.3f}'} | {'—' if wk is None else f'{wk:.3f}'} | "
      f"{'—' if t is None else f'{t:.2f}'} | " + ", ".join(f"{n} {v:.2f}" for v, n in top) + " |")
for cfg in ("uring_N1/k", "ghc_N1/k", "uring_N1/close", "ghc_N1/close"):
    t = med("hs:strace_http", "total", cfg)
    if t is None:
        continue
    top = sorted(((v[0], k[1]) for k, v in data.items()
                  if k[0] == "hs:strace_http" and k[2] == cfg and k[1] != "total"), reverse=True)[:4]
    io, mode_ = cfg.split("/")
    w(f"| Haskell --io {io.split('_')[0]} -N1, ab -n 5000 -c 50{' -k' if mode_ == 'k' else ''} | — | — | {t:.2f} | "
      + ", ".join(f"{n} {v:.2f}" for v, n in top) + " |")
w("")
w("Full `strace -c -f` tables, including one of the async batches: `diagnostics.txt` (Haskell: "
  "`haskell/diagnostics.txt`). Program outputs: `blocking_cost.txt`, `async_cost.txt`; every sample: `samples.tsv`.")
w("")
diag = sec


# ================================================================ what the profile shows for misses
def fmt(x, d=2):
    return "—" if x is None else f"{x:.{d}f}"


def profile(area):
    """One line per missed area, from the counters this run collected."""
    if area == "c_nop":
        return ("the library's rings use SINGLE_ISSUER|DEFER_TASKRUN|SUBMIT_ALL; liburing with those flags costs "
                f"{cell('blocking:io_uring', 'nop', 'liburing_flags')} ns per NOP against "
                f"{cell('blocking:io_uring', 'nop', 'liburing')} without: the rest is the library's own path "
                "(one io_uring_enter per call either way).")
    if area == "c_batch":
        return ("requests per io_uring_enter on the async ring: submit_batch "
                f"{fmt(med('async', 'batch32_req_per_enter', 'urb_batch'), 1)} (no owner enter at all: a batch of "
                "NOPs runs on the calling thread's own ring, one submission per batch); the kernel's share is "
                "liburing's, and the rest is the library's per-request work — validation, encoding straight into "
                "the SQ, mapping CQEs back, queueing completions (`submit_batch` and `finish_small` in perf; "
                "docs/design-notes.md has the breakdown).")
    if area == "c_file":
        return ("the ring made " + ", ".join(
            f"{case_names[c]} {fmt(med('file_stats', f'{c}_enters_per_read', 'urb_ring'), 3)} enters and "
            f"{fmt(med('file_stats', f'{c}_wakeups_per_read', 'urb_ring'), 3)} owner wake-ups per read"
            for c in file_cases if c.endswith("qd32"))
                + "; the single-thread ring, which submits and reaps on the reading thread as fio does, "
                + (f"made {ratio_cell(*ratio('file', 'direct_qd32', 'urb_single', 'fio_io_uring'))} of fio's O_DIRECT "
                   "QD32 IOPS in the same rounds, so the hop is not the gap; " if vals('file', 'direct_qd32', 'urb_single')
                   else "was not measured; ")
                + "fio submits each read in its own `io_uring_enter` as one completes and never waits in the kernel "
                "(min_complete 0 under strace; about half a core), a steadier feed for the virtio disk than "
                "waiting for completions (docs/design-notes.md: a reap loop that never sleeps matched fio at a "
                "full core).")
    if area == "c_http":
        def one(s):
            e = med("diag", "enters_per_request", s)
            return (f"{names[s]}: " + (f"{e:.3f} io_uring_enter and " if e is not None else "")
                    + f"{fmt(med('diag', 'syscalls_per_request', s))} system calls per request under strace")
        return "; ".join(one(s) for s in ("epoll", "liburing", "urb_ring", "urb_vtable") if s in servers) + "."
    if area == "go_nop":
        return ("`Nop()` is one cgo call into `urb_nop`; the difference from C is cgo's entry and exit "
                f"(the C figure in the same rounds: {cell('go_cost', 'Nop', 'c_urb')} ns).")
    # --- Go: profile notes
    if area == "go_file":
        return ("a page-cached `File.ReadAt` finishes on the calling goroutine's thread: one preadv2(RWF_NOWAIT) "
                "made from Go (no cgo; the File learns O_DIRECT and its file type once, at its first read), "
                "the same system call count as `os.File.ReadAt`'s pread; only what must wait reaches the ring, "
                "and O_DIRECT reads go to the ring's owner thread.")
    if area == "go_http":
        return (f"Go uringbridge.Listen: {fmt(med('diag', 'enters_per_request', 'go_uring'), 3)} io_uring_enter and "
                f"{fmt(med('diag', 'wakeups_per_request', 'go_uring'), 3)} owner wake-ups per request (ring stats: "
                "transfers are tried on the caller and wait in Go's netpoller), "
                f"{fmt(med('diag', 'syscalls_per_request', 'go_uring'))} system calls per request under strace, "
                f"against {fmt(med('diag', 'syscalls_per_request', 'go_std'))} for net.Listen; each try is now "
                "the plain recv/send with MSG_DONTWAIT made from Go without cgo (bindings/go "
                "BenchmarkTryRecvEmpty), so both servers make the same system calls; what is left is scheduling.")
    # --- end Go
    if area == "hs_nop":
        return ("a green thread's request goes to the capability's ring owner and back: C's eventfd ping-pong between "
                f"two threads alone costs {cell('hs:nop1', 'rt_ns', 'c_eventfd_pingpong')} ns here.")
    if area == "hs_many":
        e = med("hs:perf_nop", "io_uring_enter", "async")
        return (f"NOPs per io_uring_enter with 1,000 threads (perf stat): {fmt(1 / e, 1) if e else '—'}; context "
                f"switches per NOP {cell('hs:nopmany', 'ctxsw_per_op', 'async', 4)} against "
                f"{cell('hs:nopmany', 'ctxsw_per_op', 'os', 4)}, CPU ns per NOP "
                f"{cell('hs:nopmany', 'cpu_ns_per_op', 'async')} against {cell('hs:nopmany', 'cpu_ns_per_op', 'os')} "
                "(haskell/report.md has the perf profile). Each NOP is tried on the calling capability's thread and "
                "completes inside its own io_uring_enter, so there is no wait to batch away: batching 1,000 threads' "
                "NOPs into one enter needs a hand-over per request, and a hand-over costs more than the enter it saves "
                "(the owner-thread path this replaced).")
    if area == "hs_scale":
        return ("the load generator (ab, wrk) shares the same 2 cores, so a second capability competes with it "
                "rather than adding a free CPU; the system-call counts are under Haskell HTTP.")
    if area == "hs_http":
        parts = []
        for cfg in ("uring_N1/k", "ghc_N1/k", "uring_N1/close", "ghc_N1/close"):
            t = med("hs:strace_http", "total", cfg)
            if t is not None:
                parts.append(f"{cfg.replace('_N1', ' -N1').replace('/k', ' keep-alive').replace('/close', ' no keep-alive')}"
                             f" {t:.2f} system calls per request (io_uring_enter "
                             f"{fmt(med('hs:strace_http', 'io_uring_enter', cfg))})")
        cause = (" Both servers make about the same system calls; in the interleaved Warp A/B at -N2 the kernel is "
                 "62% of the CPU on each side and the binding's own code 1.5–2% (docs/design-notes.md, 'Where it "
                 "stands on a calm machine'), the most that work on the binding could win.")
        return ("strace -c -f: " + "; ".join(parts) + "." if parts else "no strace counts this run.") + cause
    if area == "hs_res":
        return "peak RSS (KiB) uring -N1 " + cell("hs:rts", "peak_rss_kib", "uring_N1") + ", ghc -N1 " + \
            cell("hs:rts", "peak_rss_kib", "ghc_N1") + "."
    return ""


# ================================================================ assemble
w = out.append
w(f"# uringbridge benchmarks, {meta.get('date', '?')}")
w("")
w(f"- Command: `{meta.get('command', 'bench/run')}` (from the repository root), commit {meta.get('commit', '?')}")
w(f"- Machine: {meta.get('cores', '?')} cores ({meta.get('cpu', '?')}), {meta.get('memory', '?')}, "
  f"kernel {meta.get('kernel', '?')}, {meta.get('os', '?')}; load average before {meta.get('load_before', '?')}, "
  f"after {meta.get('load_after', '?')}")
w(f"- Tools: {meta.get('tools', '?')}. Loads and servers share the machine's cores (nothing pinned); "
  "every load goes to 127.0.0.1.")
w(f"- Rounds: {meta.get('rounds', '?')}; Haskell: {hs_meta.get('rounds', '—')}.")
if quick:
    w("- **Quick mode**: fewer rounds than `--full`, 1 s file runs, and it leaves out the liburing DEFER_TASKRUN "
      "server (information only). For a look, not for publishing: `bench/run --full`.")
w("- Every cell: median [min–max] over rounds; A and B interleaved round by round, order rotating. "
  "Ratio = uringbridge / anchor, ratio of medians in bold, the range of per-round ratios in brackets; "
  "\"within noise\" = the per-round ratios straddle the target.")
w(f"- Groups: C measured; Go {go_status}; Haskell {hs_status}.")
w("")
w("## Targets")
w("")
w("| runtime | pair | anchor | uringbridge | ratio | target | verdict |")
w("|---|---|---|---|---|---|---|")
for rt, label, anc, ours, rc, tt, v, _ in summary:
    w(f"| {rt} | {label} | {anc} | {ours} | {rc} | {tt} | {v} |")
w("")
w("![requests/s vs concurrency](rps_vs_concurrency.png)")
w("![per-request cost](per_request_cost.png)")
w("")
missed_areas = []
for *_, v, area in summary:
    if "MISSED" in v and area not in missed_areas:
        missed_areas.append(area)
if missed_areas:
    w("### What the profile shows where a target is missed")
    w("")
    titles = {"c_nop": "C `urb_nop`", "c_batch": "C async batches", "c_file": "C file reads", "c_http": "C HTTP",
              "go_nop": "Go `Nop`", "go_file": "Go `File`", "go_http": "Go HTTP", "hs_nop": "Haskell `submitBlocking`",
              "hs_many": "Haskell 1,000 green threads", "hs_http": "Haskell HTTP", "hs_scale": "Haskell -N2 vs -N1",
              "hs_res": "Haskell residency"}
    for a in missed_areas:
        w(f"- {titles.get(a, a)}: {profile(a)}")
    w("")
for part in (c_cost, c_net, lat, c_file, go_sec, hs_sec, diag):
    out.extend(part)

w("## Noise and notes")
w("")
spreads = []
for (g, c, s), d in data.items():
    if g in ("http", "file", "hs:http") and s in ("epoll", "fio_io_uring", "go_std", "ghc_N1", "ghc_N2") and len(d) > 1:
        m = statistics.median(d.values())
        spreads.append(((max(d.values()) - min(d.values())) / m, f"{g} {c} {s}"))
for (g, c, s), d in data.items():
    if g.startswith("blocking:io_uring") and s == "liburing" and len(d) > 1:
        m = statistics.median(d.values())
        spreads.append(((max(d.values()) - min(d.values())) / m, f"{c} liburing"))
loads_by_phase = collections.defaultdict(list)
for (g, c, s_), d in data.items():
    if g in ("load", "hs:load"):
        loads_by_phase[s_].extend(d.values())
if loads_by_phase:
    w("- 1-minute load average at the start of each round (2 cores; the benchmark itself accounts for about 1 in the "
      "in-process and file phases and about 2 in the network phase, so more than that is other jobs): "
      + ", ".join(f"{ph} {min(v):.2f}–{max(v):.2f}" for ph, v in loads_by_phase.items()) + ".")
if spreads:
    spreads.sort(reverse=True)
    w(f"- Anchor spread (max−min)/median across rounds: largest {spreads[0][0] * 100:.0f}% ({spreads[0][1]}), "
      f"median {statistics.median(x for x, _ in spreads) * 100:.0f}%.")
for n in notes:
    w(f"- {n}")
w("")

with open(os.path.join(res_dir, "report.md"), "w") as f:
    f.write("\n".join(out))

# ================================================================ plots
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
except ImportError:
    with open(os.path.join(res_dir, "report.md"), "a") as f:
        f.write("\n(matplotlib unavailable: no plots this run)\n")
    sys.exit(0)

colors = {"epoll": "#4c72b0", "liburing": "#55a868", "liburing_dt": "#8172b3", "urb_ring": "#c44e52",
          "urb_vtable": "#dd8452", "go_std": "#4c72b0", "go_uring": "#c44e52",
          "ghc_N1": "#4c72b0", "uring_N1": "#c44e52", "ghc_N2": "#64b5cd", "uring_N2": "#dd8452",
          "fio_io_uring": "#55a868", "fio_psync": "#4c72b0", "urb_blocking": "#dd8452", "go_ring": "#937860",
          "go_os": "#8c8c8c", "urb_ring_owner": "#da8bc3", "urb_single": "#c44e52"}
stamp = (f"{meta.get('date', '?')[:10]}, {meta.get('cores', '?')} cores ({meta.get('cpu', '?')}), "
         f"kernel {meta.get('kernel', '?')}, bench/run {meta.get('mode', '')}")


def errbar(g, c, s):
    v = vals(g, c, s)
    if not v:
        return None, (0, 0)
    m = statistics.median(v)
    return m, (m - min(v), max(v) - m)


# requests/s vs concurrency, one panel per runtime
panels = [("C", "http", c_servers), ("Go", "http", [s for s in servers if s.startswith("go_")]),
          ("Haskell", "hs:http", hs_configs)]
panels = [p for p in panels if p[2]]
fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.8), squeeze=False)
for ax, (title, g, srv) in zip(axes[0], panels):
    for s in srv:
        xs, ys, lo, hi = [], [], [], []
        for conc in (5, 50, 500):
            m, (l, h) = errbar(g, f"ab_k_c{conc}", s)
            if m is not None:
                xs.append(conc), ys.append(m / 1000), lo.append(l / 1000), hi.append(h / 1000)
        ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=4, label=names[s], color=colors[s],
                    linestyle="--" if "anchor" in names[s] else "-")
    ax.set_xscale("log")
    ax.set_xticks([5, 50, 500], ["5", "50", "500"])
    ax.set_xlabel("concurrency (ab -n 10000 -k)")
    ax.set_ylabel("thousand requests/s (median, min–max)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title)
fig.suptitle(f"HTTP requests/s vs concurrency on 127.0.0.1 (dashed: anchors)\n{stamp}", fontsize=10)
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "rps_vs_concurrency.png"), dpi=100)
plt.close(fig)

# latency CDF at c=50, from wrk's percentiles
panels = [("C", "http_lat", c_servers), ("Go", "http_lat", [s for s in servers if s.startswith("go_")]),
          ("Haskell", "hs:http_lat", hs_configs)]
panels = [p for p in panels if p[2]]
fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.8), squeeze=False)
for ax, (title, g, srv) in zip(axes[0], panels):
    for s in srv:
        pts = [(med(g, p, s), int(p[1:])) for p in pcts if med(g, p, s) is not None]
        if not pts:
            continue
        ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=names[s], color=colors[s],
                linestyle="--" if "anchor" in names[s] else "-")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("latency, µs (median over rounds)")
    ax.set_ylabel("percentile of requests")
    ax.set_ylim(40, 100)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    ax.set_title(title)
fig.suptitle(f"Latency CDF at 50 connections (wrk -t 1 -c 50 -d 3s --latency: p50, p75, p90, p99)\n{stamp}",
             fontsize=10)
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "latency_c50.png"), dpi=100)
plt.close(fig)

# per-request cost bars
fig, axes = plt.subplots(1, 4, figsize=(19, 5), gridspec_kw={"width_ratios": [3, 2.4, 1.6, 3]})
panels = [
    (axes[0], "C blocking face, ns per request", False, [
        ("urb_nop", "blocking:io_uring", "nop", "urb", "#c44e52"),
        ("liburing nop", "blocking:io_uring", "nop", "liburing", "#55a868"),
        ("urb_read 4K", "blocking:io_uring", "read4k", "urb", "#c44e52"),
        ("liburing read 4K", "blocking:io_uring", "read4k", "liburing", "#55a868"),
        ("pread 4K", "blocking:io_uring", "read4k", "pread", "#4c72b0")]),
    (axes[1], "C batches of 32 NOPs, ns per request", False, [
        ("urb submit_batch", "async", "batch32", "urb_batch", "#c44e52"),
        ("urb submit ×32", "async", "batch32", "urb_x32", "#dd8452"),
        ("urb submit_batch\nURB_SPIN_US=30", "async_spin30", "batch32", "urb_batch", "#e8a0a0"),
        ("liburing", "async", "batch32", "liburing", "#55a868")]),
    (axes[2], "C 8 threads, M requests/s", False, [
        ("urb", "async", "threads8", "urb", "#c44e52"),
        ("urb\nURB_SPIN_US=30", "async_spin30", "threads8", "urb", "#e8a0a0"),
        ("liburing\n+ mutex", "async", "threads8", "liburing_mutex", "#55a868")]),
    (axes[3], "NOP round trip across runtimes, ns (log scale)", True, [
        ("C urb_nop\n(Go's rounds)", "go_cost", "Nop", "c_urb", "#55a868"),
        ("Go Nop()", "go_cost", "Nop", "go_nop", "#c44e52"),
        ("Go ring Do\n(info)", "go_cost", "Nop", "go_ring", "#e8a0a0"),
        ("C urb_nop\n(Haskell's rounds)", "hs:nop1", "rt_ns", "c_urb_nop", "#55a868"),
        ("Haskell\nsubmitBlocking", "hs:nop1", "rt_ns", "hs_submitBlocking", "#c44e52"),
        ("Haskell\nsubmitBlockingOS", "hs:nop1", "rt_ns", "hs_submitBlockingOS", "#e8a0a0")]),
]
for ax, title, log, bars in panels:
    labels, ms, lo, hi, cs = [], [], [], [], []
    for label, g, c, s, col in bars:
        m, (l, h) = errbar(g, c, s)
        if m is None:
            continue
        labels.append(label), ms.append(m), lo.append(l), hi.append(h), cs.append(col)
    ax.bar(range(len(ms)), ms, yerr=[lo, hi], capsize=4, color=cs)
    for i, m in enumerate(ms):
        ax.text(i, m + hi[i], f"{m:.0f}" if m >= 10 else f"{m:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(ms)), labels, rotation=20, ha="right", fontsize=8)
    if log and ms:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="y")
fig.suptitle(f"Per-request cost, in-process (median over rounds, min–max; red = uringbridge, green = anchor)\n{stamp}",
             fontsize=10)
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "per_request_cost.png"), dpi=100)
plt.close(fig)

# file reads
kinds = [k for k in ("cached", "direct") if any(c.startswith(k) for c in file_cases)]
if kinds:
    fig, axes = plt.subplots(1, len(kinds), figsize=(7 * len(kinds), 4.8), squeeze=False)
    sides = [("urb_ring", "C uringbridge ring"), ("urb_single", "C single-thread ring"),
             ("fio_io_uring", "fio io_uring"), ("fio_psync", "fio psync"),
             ("urb_blocking", "C urb_read (blocking)"), ("go_ring", "Go File (shared ring)"),
             ("go_os", "Go os.File")]
    for ax, kind in zip(axes[0], kinds):
        cases = [c for c in file_cases if c.startswith(kind)]
        width = 0.14
        present = {c: [s for s, _ in sides if vals("file", c, s)] for c in cases}
        labelled = set()
        for j, c in enumerate(cases):
            for i, s in enumerate(present[c]):
                m, (l, h) = errbar("file", c, s)
                x = j + (i - (len(present[c]) - 1) / 2) * width
                label = dict(sides)[s] if s not in labelled else None
                labelled.add(s)
                ax.bar([x], [m / 1000], width, yerr=[[l / 1000], [h / 1000]], capsize=3, label=label, color=colors[s])
                ax.text(x, (m + h) / 1000, f"{m / 1000:.0f}k" if m >= 10000 else f"{m / 1000:.1f}k", ha="center",
                        va="bottom", fontsize=7)
        ax.set_xticks(range(len(cases)), [c.split("_")[1].upper() for c in cases])
        ax.set_ylabel("thousand IOPS (median, min–max)")
        ax.set_title({"cached": "page-cached", "direct": "O_DIRECT"}[kind] + ", 4 KiB random reads")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=8)
    fig.suptitle(stamp, fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(res_dir, "file_reads.png"), dpi=100)
    plt.close(fig)
