#!/usr/bin/env python3
"""bench/report.py RESULTS_DIR: turns what bench/run left in RESULTS_DIR
(meta.env, samples.tsv, raw/notes.txt) into RESULTS_DIR/report.md and PNG
plots. Medians [min-max] over rounds; ratios are ratios of medians, with the
range of the per-round ratios beside them (each round ran A and B back to
back, so a per-round range that straddles the target means the verdict is
within the machine's noise). Plots need matplotlib; without it the report
says so and keeps the tables."""

import collections
import os
import statistics
import sys

res_dir = sys.argv[1]
meta = {}
with open(os.path.join(res_dir, "meta.env")) as f:
    for line in f:
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            meta[k] = v

# data[(group, case, side)] = {round: value}
data = collections.defaultdict(dict)
with open(os.path.join(res_dir, "samples.tsv")) as f:
    next(f)
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5 or parts[4] == "":
            continue
        g, c, s, r, v = parts
        try:
            data[(g, c, s)][int(r)] = float(v)
        except ValueError:
            pass

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


def ratio(g, c, a, b, ga=None):
    """(ratio of medians, per-round ratios) of side a (group ga or g) over b."""
    ra, rb = data.get((ga or g, c, a), {}), data.get((g, c, b), {})
    if not ra or not rb:
        return None, []
    per = [ra[r] / rb[r] for r in ra if r in rb and rb[r] > 0]
    return statistics.median(ra.values()) / statistics.median(rb.values()), per


def ratio_cell(rat, per):
    if rat is None:
        return "—"
    if not per:
        return f"{rat:.3f}"
    return f"**{rat:.3f}** ({min(per):.2f}–{max(per):.2f})"


def verdict(rat, per, op, target):
    if rat is None:
        return "not measured"
    if target is None:
        return "info"
    ok = rat <= target if op == "<=" else rat >= target
    word = "met" if ok else "**MISSED**"
    if per and min(per) <= target <= max(per):
        word += " (within noise)"
    return word


def target_txt(op, target):
    return "—" if target is None else f"{'≤' if op == '<=' else '≥'} {target:.2f}×"


out = []
w = out.append
missed = []

engine_rows = [k for k in data if k[0].startswith("blocking:")]
engine = "io_uring" if any(k[0] == "blocking:io_uring" for k in engine_rows) else "?"
w(f"# uringbridge benchmarks, {meta.get('date', '?')}")
w("")
w(f"- Command: `{meta.get('command', 'bench/run')}` (from the repository root), commit {meta.get('commit', '?')}")
w(f"- Machine: {meta.get('cores', '?')} cores ({meta.get('cpu', '?')}), {meta.get('memory', '?')}, "
  f"kernel {meta.get('kernel', '?')}, {meta.get('os', '?')}; load average before {meta.get('load_before', '?')}, "
  f"after {meta.get('load_after', '?')}")
w(f"- Tools: {meta.get('tools', '?')}. Loads and servers share the machine's cores (nothing pinned); "
  "every load goes to 127.0.0.1.")
w("- Every cell: median [min–max] over rounds; A and B interleaved round by round, order rotating. "
  "Ratio = uringbridge / anchor, ratio of medians in bold, the range of per-round ratios in brackets; "
  "\"within noise\" = the per-round ratios straddle the target.")
w("")

# ---------------------------------------------------------------- per-request
w("## Per-request cost (in-process, ns per request unless stated)")
w("")
w("| measure | anchor | anchor | uringbridge | ratio | target | verdict |")
w("|---|---|---|---|---|---|---|")
rows = [
    ("blocking face: `urb_nop()` round trip", "blocking:io_uring", "nop", "urb", "liburing",
     "liburing nop, default flags", "<=", 1.10),
    ("blocking face: `urb_read()` 4 KiB page-cached", "blocking:io_uring", "read4k", "urb", "liburing",
     "liburing read, default flags", "<=", None),
    ("async ring: 32 NOPs via `urb_ring_submit_batch` + `urb_ring_wait`", "async", "batch32", "urb_batch",
     "liburing", "liburing 32 × prep_nop + submit_and_wait(32)", "<=", 1.10),
    ("async ring: 32 × `urb_ring_submit` + `urb_ring_wait`", "async", "batch32", "urb_x32", "liburing",
     "liburing 32 × prep_nop + submit_and_wait(32)", "<=", None),
    ("async ring: 8 threads submitting NOPs, M requests/s (higher is better)", "async", "threads8", "urb",
     "liburing_mutex", "8 threads, one liburing ring behind a mutex, a submit per request", ">=", None),
    ("*with `URB_SPIN_US=30` (information):* 32 NOPs via `urb_ring_submit_batch` + `urb_ring_wait`", "async_spin30",
     "batch32", "urb_batch", "liburing", "liburing 32 × prep_nop + submit_and_wait(32)", "<=", None),
    ("*with `URB_SPIN_US=30` (information):* 8 threads, M requests/s", "async_spin30", "threads8", "urb",
     "liburing_mutex", "8 threads, one liburing ring behind a mutex", ">=", None),
]
for label, g, c, a, b, anchor_name, op, target in rows:
    rat, per = ratio(g, c, a, b)
    v = verdict(rat, per, op, target)
    if "MISSED" in v:
        missed.append((label, rat, target, op))
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
w("![per-request cost](per_request_cost.png)")
w("")

# ---------------------------------------------------------------- network
servers = [s for s in ("epoll", "liburing", "liburing_dt", "urb_ring", "urb_vtable") if any(k[2] == s and k[0] == "http" for k in data)]
loads = [("ab_k_c5", "ab -n 10000 -c 5 -k"), ("ab_k_c50", "ab -n 10000 -c 50 -k"),
         ("ab_k_c500", "ab -n 10000 -c 500 -k"), ("ab_c50", "ab -n 10000 -c 50 (no keep-alive)"),
         ("wrk_c50", "wrk -t 1 -c 50 -d 3s")]
faces = [(s, {"urb_ring": "`http_server --face ring` (async completion face)",
              "urb_vtable": "`http_server --face vtable` (readiness vtable)"}[s])
         for s in ("urb_ring", "urb_vtable") if s in servers]
w("## Network: HTTP requests/s on 127.0.0.1 (higher is better)")
w("")
w("Anchors: `bench/epoll_http_server` (plain single-threaded epoll, the target's anchor) and "
  "`bench/liburing_http_server` (the same program as the example, straight on one liburing ring with no setup "
  "flags, one thread); for information the same liburing server with `--defer-taskrun` "
  "(SINGLE_ISSUER|DEFER_TASKRUN, the flags the library's own rings use): the gap between it and uringbridge is "
  "the library's hand-over to its owner thread. All send the same bytes.")
w("")
for face, face_name in faces:
    w(f"### {face_name}")
    w("")
    w("| load | epoll (anchor) | liburing (anchor) | liburing DEFER_TASKRUN (info) | uringbridge | ratio vs epoll "
      "| ratio vs liburing | ratio vs liburing DEFER_TASKRUN | target | verdict |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for c, name in loads:
        rat, per = ratio("http", c, face, "epoll")
        ratl, perl = ratio("http", c, face, "liburing")
        ratd, perd = ratio("http", c, face, "liburing_dt")
        v = verdict(rat, per, ">=", 1.0)
        if "MISSED" in v:
            missed.append((f"{face} {name}", rat, 1.0, ">="))
        w(f"| {name} | {cell('http', c, 'epoll')} | {cell('http', c, 'liburing')} | {cell('http', c, 'liburing_dt')} | "
          f"{cell('http', c, face)} | {ratio_cell(rat, per)} | {ratio_cell(ratl, perl)} | {ratio_cell(ratd, perd)} | "
          f"≥ 1.00× epoll | {v} |")
    w("")
if not any(s == "urb_vtable" for s in servers):
    w("- `--face vtable`: not measured (see Notes).")
    w("")
w("### Latency at c=50 (wrk -t 1 -c 50 -d 3s --latency), µs (lower is better)")
w("")
pcts = [p for p in ("p50", "p75", "p90", "p99") if any(k[0] == "http_lat" and k[1] == p for k in data)]
w("| server | " + " | ".join(pcts) + " | p99 ratio vs epoll |")
w("|---|" + "---|" * (len(pcts) + 1))
names = {"epoll": "epoll (anchor)", "liburing": "liburing (anchor)", "liburing_dt": "liburing DEFER_TASKRUN (info)",
         "urb_ring": "uringbridge ring",
         "urb_vtable": "uringbridge vtable"}
for s in servers:
    rat, per = ratio("http_lat", "p99", s, "epoll")
    w(f"| {names[s]} | " + " | ".join(cell("http_lat", p, s) for p in pcts) + f" | {ratio_cell(rat, per)} |")
w("")
w("![requests/s vs concurrency](rps_vs_concurrency.png)")
w("![latency percentiles at c=50](latency_c50.png)")
w("")

# ---------------------------------------------------------------- file I/O
file_cases = [c for c in ("cached_qd1", "cached_qd32", "direct_qd1", "direct_qd32") if vals("file", c, "fio_io_uring") or vals("file", c, "urb_ring")]
case_names = {"cached_qd1": "page-cached, QD1", "cached_qd32": "page-cached, QD32", "direct_qd1": "O_DIRECT, QD1",
              "direct_qd32": "O_DIRECT, QD32"}
w("## File I/O: 4 KiB random reads, IOPS (higher is better)")
w("")
w("One 256 MiB file on the repository's filesystem; fio runs `--rw=randread --bs=4k --invalidate=0 "
  "--norandommap`, `--direct=1` for O_DIRECT; uringbridge is `bench/file_reads` (one async ring, "
  "`urb_ring_submit_batch` refilling what each `urb_ring_wait` returned, QD reads in flight). psync keeps one "
  "read in flight whatever the depth, so it appears at QD1 only.")
w("")
w("| case | fio io_uring (anchor) | fio psync | uringbridge ring | ratio vs fio io_uring | target | verdict | "
  "ring: enters / wake-ups per read | `urb_read` (blocking face) |")
w("|---|---|---|---|---|---|---|---|---|")
for c in file_cases:
    rat, per = ratio("file", c, "urb_ring", "fio_io_uring")
    target = 0.90 if c.endswith("qd32") else None
    v = verdict(rat, per, ">=", target)
    if "MISSED" in v:
        missed.append((f"file reads {case_names[c]}", rat, target, ">="))
    e, wk = med("file_stats", f"{c}_enters_per_read", "urb_ring"), med("file_stats", f"{c}_wakeups_per_read", "urb_ring")
    stats_txt = "—" if e is None else f"{e:.3f} / {wk:.3f}"
    w(f"| {case_names[c]} | {cell('file', c, 'fio_io_uring')} | {cell('file', c, 'fio_psync')} | "
      f"{cell('file', c, 'urb_ring')} | {ratio_cell(rat, per)} | {target_txt('>=', target)} | {v} | {stats_txt} | "
      f"{cell('file', c, 'urb_blocking')} |")
w("")
w("![file reads](file_reads.png)")
w("")

# ---------------------------------------------------------------- diagnostics
w("## Diagnostics: system calls per HTTP request (ab -n 10000 -c 50 -k, one run each)")
w("")
w("| server | io_uring_enter per request (own count) | syscalls per request (strace -c -f) | top syscalls per request |")
w("|---|---|---|---|")
for s in servers:
    top = sorted(((v[0], k[1].split(":", 1)[1]) for k, v in data.items()
                  if k[0] == "diag" and k[1].startswith("syscalls_per_request:") and k[2] == s), reverse=True)[:4]
    e = med("diag", "enters_per_request", s)
    t = med("diag", "syscalls_per_request", s)
    w(f"| {names[s]} | {'—' if e is None else f'{e:.3f}'} | {'—' if t is None else f'{t:.2f}'} | "
      + ", ".join(f"{n} {v:.2f}" for v, n in top) + " |")
w("")
w("Full `strace -c -f` tables, including one of the async batches: `diagnostics.txt`. Program outputs: "
  "`blocking_cost.txt`, `async_cost.txt`; every sample: `samples.tsv`.")
w("")

# ---------------------------------------------------------------- noise & notes
w("## Noise and notes")
w("")
spreads = []
for (g, c, s), d in data.items():
    if g in ("http", "file") and s in ("epoll", "fio_io_uring") and len(d) > 1:
        m = statistics.median(d.values())
        spreads.append(((max(d.values()) - min(d.values())) / m, f"{g} {c} {s}"))
for (g, c, s), d in data.items():
    if g.startswith("blocking:io_uring") and s == "liburing" and len(d) > 1:
        m = statistics.median(d.values())
        spreads.append(((max(d.values()) - min(d.values())) / m, f"{c} liburing"))
loads_by_phase = collections.defaultdict(list)
for (g, c, s_), d in data.items():
    if g == "load":
        loads_by_phase[s_].extend(d.values())
if loads_by_phase:
    w("- 1-minute load average at the start of each round (2 cores; the benchmark itself accounts for about 1 in the "
      "in-process and file phases and about 2 in the network phase, so more than that is other jobs): "
      + ", ".join(f"{ph} {min(v):.2f}–{max(v):.2f}" for ph, v in loads_by_phase.items()) + ".")
if spreads:
    spreads.sort(reverse=True)
    w(f"- Anchor spread (max−min)/median across rounds: largest {spreads[0][0] * 100:.0f}% ({spreads[0][1]}), "
      f"median {statistics.median(x for x, _ in spreads) * 100:.0f}%. Load average before {meta.get('load_before', '?')}, "
      f"after {meta.get('load_after', '?')} (other jobs share this 2-core machine).")
if missed:
    w("- Targets missed: " + "; ".join(f"{l} ({r:.2f}× vs {'≤' if o == '<=' else '≥'} {t:.2f}×)" for l, r, t, o in missed)
      + ". README.md's Performance section says what was seen and which code is suspected.")
for n in notes:
    w(f"- {n}")
w("")

with open(os.path.join(res_dir, "report.md"), "w") as f:
    f.write("\n".join(out))

# ---------------------------------------------------------------- plots
try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    with open(os.path.join(res_dir, "report.md"), "a") as f:
        f.write("\n(matplotlib unavailable: no plots this run)\n")
    sys.exit(0)

colors = {"epoll": "#4c72b0", "liburing": "#55a868", "liburing_dt": "#8172b3", "urb_ring": "#c44e52", "urb_vtable": "#dd8452",
          "fio_io_uring": "#55a868", "fio_psync": "#4c72b0", "urb_blocking": "#dd8452"}


def errbar(g, c, s):
    v = vals(g, c, s)
    if not v:
        return None, (0, 0)
    m = statistics.median(v)
    return m, (m - min(v), max(v) - m)


# requests/s vs concurrency
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3, 2]})
for s in servers:
    xs, ys, lo, hi = [], [], [], []
    for conc in (5, 50, 500):
        m, (l, h) = errbar("http", f"ab_k_c{conc}", s)
        if m is not None:
            xs.append(conc), ys.append(m / 1000), lo.append(l / 1000), hi.append(h / 1000)
    ax1.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=4, label=names[s], color=colors[s])
ax1.set_xscale("log")
ax1.set_xticks([5, 50, 500], ["5", "50", "500"])
ax1.set_xlabel("concurrency (ab -n 10000 -k)")
ax1.set_ylabel("thousand requests/s (median, min–max)")
ax1.set_ylim(bottom=0)
ax1.grid(alpha=0.3)
ax1.legend()
ax1.set_title("keep-alive: requests/s vs concurrency")
width = 0.8 / max(1, len(servers))
for i, s in enumerate(servers):
    ms, errs = [], [[], []]
    for c in ("ab_c50", "wrk_c50"):
        m, (l, h) = errbar("http", c, s)
        ms.append((m or 0) / 1000), errs[0].append(l / 1000), errs[1].append(h / 1000)
    ax2.bar([j + i * width for j in range(2)], ms, width, yerr=errs, capsize=3, label=names[s], color=colors[s])
ax2.set_xticks([j + width * (len(servers) - 1) / 2 for j in range(2)], ["ab -c 50\nno keep-alive", "wrk -t1 -c 50\n3 s"])
ax2.set_ylabel("thousand requests/s")
ax2.grid(alpha=0.3, axis="y")
ax2.set_title("c = 50")
fig.suptitle(f"HTTP on 127.0.0.1, {meta.get('cores', '?')} cores, kernel {meta.get('kernel', '?')}, {meta.get('mode', '')}")
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "rps_vs_concurrency.png"), dpi=110)
plt.close(fig)

# latency percentiles at c=50
fig, ax = plt.subplots(figsize=(7, 4.8))
for s in servers:
    xs, ys, lo, hi = [], [], [], []
    for p in pcts:
        m, (l, h) = errbar("http_lat", p, s)
        if m is not None:
            xs.append(int(p[1:])), ys.append(m), lo.append(l), hi.append(h)
    ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=4, label=names[s], color=colors[s])
ax.set_xticks([int(p[1:]) for p in pcts], [f"p{p[1:]}" for p in pcts])
ax.set_xlabel("percentile (wrk --latency)")
ax.set_ylabel("latency, µs (median over rounds, min–max)")
ax.set_ylim(bottom=0)
ax.grid(alpha=0.3)
ax.legend()
ax.set_title("HTTP latency at 50 connections (wrk -t 1 -c 50 -d 3s)")
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "latency_c50.png"), dpi=110)
plt.close(fig)

# per-request cost bars
fig, axes = plt.subplots(1, 3, figsize=(15, 5), gridspec_kw={"width_ratios": [3, 2.4, 1.6]})
panels = [
    (axes[0], "blocking face, ns per request", [
        ("urb_nop", "blocking:io_uring", "nop", "urb", "#c44e52"),
        ("liburing nop", "blocking:io_uring", "nop", "liburing", "#55a868"),
        ("urb_read 4K", "blocking:io_uring", "read4k", "urb", "#c44e52"),
        ("liburing read 4K", "blocking:io_uring", "read4k", "liburing", "#55a868"),
        ("pread 4K", "blocking:io_uring", "read4k", "pread", "#4c72b0")]),
    (axes[1], "batches of 32 NOPs, ns per request", [
        ("urb submit_batch", "async", "batch32", "urb_batch", "#c44e52"),
        ("urb submit ×32", "async", "batch32", "urb_x32", "#dd8452"),
        ("urb submit_batch\nURB_SPIN_US=30", "async_spin30", "batch32", "urb_batch", "#e8a0a0"),
        ("liburing", "async", "batch32", "liburing", "#55a868")]),
    (axes[2], "8 threads, M requests/s", [
        ("urb", "async", "threads8", "urb", "#c44e52"),
        ("urb\nURB_SPIN_US=30", "async_spin30", "threads8", "urb", "#e8a0a0"),
        ("liburing\n+ mutex", "async", "threads8", "liburing_mutex", "#55a868")]),
]
for ax, title, bars in panels:
    labels, ms, lo, hi, cs = [], [], [], [], []
    for label, g, c, s, col in bars:
        m, (l, h) = errbar(g, c, s)
        if m is None:
            continue
        labels.append(label), ms.append(m), lo.append(l), hi.append(h), cs.append(col)
    ax.bar(range(len(ms)), ms, yerr=[lo, hi], capsize=4, color=cs)
    for i, m in enumerate(ms):
        ax.text(i, m + hi[i], f"{m:.0f}" if m >= 10 else f"{m:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(ms)), labels, rotation=20, ha="right", fontsize=9)
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
fig.suptitle("Per-request cost, in-process (median over rounds, min–max); red = uringbridge, green = liburing anchor")
fig.tight_layout()
fig.savefig(os.path.join(res_dir, "per_request_cost.png"), dpi=110)
plt.close(fig)

# file reads
kinds = [k for k in ("cached", "direct") if any(c.startswith(k) for c in file_cases)]
if kinds:
    fig, axes = plt.subplots(1, len(kinds), figsize=(6.5 * len(kinds), 4.8), squeeze=False)
    sides = [("urb_ring", "uringbridge ring"), ("fio_io_uring", "fio io_uring"), ("fio_psync", "fio psync"),
             ("urb_blocking", "urb_read (blocking)")]
    for ax, kind in zip(axes[0], kinds):
        cases = [c for c in file_cases if c.startswith(kind)]
        width = 0.2
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
    fig.tight_layout()
    fig.savefig(os.path.join(res_dir, "file_reads.png"), dpi=110)
    plt.close(fig)
