#!/usr/bin/python3
"""Writes REPORT.md and plots from a results folder's benchmarks.json (Google Benchmark JSON).

    bench/report.py results/<platform>              REPORT.md + *.png in that folder
    bench/report.py --compare results/A results/B   Markdown table of ratios B/A on stdout

Numbers are medians over repetitions where there are repetitions (the `median` aggregate),
the single run otherwise. Names are <workload>/<backend>/<live>[/<variant>]/threads:N/manual_time
(this suite's wall-clock rounds) or .../real_time/threads:N (Google Benchmark's own threads: the
calibration's second variant, and results taken before the suite measured wall-clock rounds).

Exit status 1 when the run's numbers are not valid: its calibration failed, or calls of a
backend failed beyond what the backend is built to fail (a defect in the backend or its adapter:
the benchmark then measured something else than it says); else 0.
"""
import json
import os
import re
import sys
from collections import defaultdict

BACKENDS = ["enlist", "enlist_tagged", "tbb_hash_map", "tbb_unordered_map", "cuckoo", "cds_michael",
            "cds_feldman", "urcu_lfht", "boost_cfm", "phmap", "phmap_shared", "xenium_vyukov",
            "xenium_harris", "mutex_map", "sharded_map", "limit"]
# enlist_tagged is enlist's next map (tagged_map), measured at map level beside the current one:
# a candidate, not a peer.
PEERS = [b for b in BACKENDS if b not in ("enlist", "enlist_tagged", "limit")]
# The limit proxy fails on collisions by design: with at least 8 words per live key, about 1 in 8
# of its inserts finds its word taken, and the later calls on that key fail with it. Where the
# workload cycles through few states that rate is a draw, not a mean: release's pair of threads
# shares 16, and a quarter or more of them collide in about 13% of runs (binomial, 16 draws at
# 1/8). A proxy that measured failing calls fails every call; collisions fail half of the calls
# in fewer than 3 runs in 10,000 (8 of those 16 states). So the bound is half the calls.
LIMIT_FAILURES_PER_CALL = 0.5
# Calls per item of the workloads whose item is a pair of calls (begin and end, insert and
# erase); every other workload's item is one call.
CALLS_PER_ITEM = {"begin_end": 2, "release": 2, "lifecycle": 2, "map_begin_end": 2,
                  "map_churn": 2}
LOCK_BASED = ["tbb_hash_map", "cuckoo", "boost_cfm", "phmap", "phmap_shared", "xenium_vyukov",
              "mutex_map", "sharded_map"]
# The interconnect calibration (support/interconnect.hpp): a row is marked when the cache-line
# round trip measured before it, or the memory latency, was off the run's median by more than
# this share, and the run is not valid when more than INTERCONNECT_INVALID_SHARE of its
# multi-threaded rows are marked (their ratios compare different machines).
INTERCONNECT_BOUND = 0.25
INTERCONNECT_INVALID_SHARE = 0.10
NAME = re.compile(r"^(?P<workload>[a-z_]+)/(?P<backend>[a-z_]+)/(?P<live>\d+)"
                  r"(?:/(?P<variant>(?!real_time|manual_time|threads)[a-z_]+))?"
                  r"(?:/iterations:\d+)?(?:/repeats:\d+)?(?:/threads:(?P<threads>\d+))?"
                  r"(?:/(?:real_time|manual_time))?(?:/threads:(?P<gb_threads>\d+))?$")
# Oversubscription legitimately raises these workloads' throughput above what the cores reach
# with one thread each; the plausibility check explains instead of flagging them.
OVERSUBSCRIPTION_GAINS = {
    ("release", None): "the two threads of a pair (2k, 2k+1) begin and end the same 16 states; "
                       "with more threads than cores the two of a pair rarely run at the same "
                       "time, so a state's reference count and the pair's map cells stop moving "
                       "between cores while the other thread touches them: less contention, not "
                       "more work per core.",
    ("erases", "urcu_lfht"): "every erase hands its node to liburcu's call_rcu thread, which "
                             "competes with the benchmark threads for the cores; with many more "
                             "benchmark threads than cores the scheduler gives it a smaller share "
                             "of them, so the benchmark threads get more (and the frees fall "
                             "behind).",
}
# The workloads that erase (and so, for urcu_lfht, defer frees to call_rcu).
ERASING = {"begin_end", "release", "provider_mix", "latency", "map_begin_end", "map_churn",
           "read_mostly", "map_read_mostly", "lifecycle"}


def gain_explanation(workload, backend):
    return (OVERSUBSCRIPTION_GAINS.get((workload, None)) or
            (OVERSUBSCRIPTION_GAINS.get(("erases", backend)) if workload in ERASING else None))
PLAUSIBLE_FACTOR = 1.10  # a row at T > cores may exceed the best row at T <= cores by this much

WORKLOAD_TEXT = {
    "begin_end": "begin(role, s) then end(s) of a state of the thread's own while N sessions are "
                 "live; one item = one begin + end pair.",
    "lookup_hit": "is_enlisted(s) of a live session: the lookup half of a successful end.",
    "end_miss": "end(s) of a state never begun: the SYNC_E_INVALID_OPERATION error path.",
    "release": "begin + end on 16 states that two providers (two registries, threads 2k and "
               "2k+1) begin and end at once: the reference release with the state shared by "
               "another holder.",
    "provider_mix": "blocks of 16 calls: begin, 13 lookups of live sessions, one end miss, end; "
                    "one item = one call.",
    "map_begin_end": "bare maps: insert then erase of a key of the thread's own.",
    "map_find_hit": "bare maps: find of a live key.",
    "map_find_miss": "bare maps: find of a key never inserted.",
    "map_churn": "bare maps: insert then erase of an always-new key (never an address seen "
                 "before), N others live: the churn of a registry whose states are new "
                 "allocations; tables that keep tombstones must clean up as they go. "
                 "tbb_unordered_map is left out: its emulated erase keeps every node, so it "
                 "would grow without bound.",
    "map_read_mostly": "bare maps, writes hidden among reads: per block of 20 operations in random "
                       "order, 16 finds of live keys, 2 of absent ones, 1 insert of a key never "
                       "seen before and 1 erase of the key the thread inserted 64 inserts "
                       "earlier; one item = one operation. tbb_unordered_map is left out, as in "
                       "map_churn.",
    "read_mostly": "the same mix at registry level: 16 lookups of live sessions, 2 of sessions "
                   "never begun, 1 begin of one of the thread's own states (its 4,096 come back "
                   "in turn) and 1 end of the state it began 64 begins earlier; one item = one "
                   "call.",
    "lifecycle": "sessions as a provider makes them: each thread keeps 256 sessions of its own "
                 "(N others live) and ends one at random, which deletes its state (the registry "
                 "held the only reference), then news a state and begins it; one item = one end "
                 "+ begin pair. The allocator decides how fresh the new state's address is: "
                 "`same address` is the share of begins that got the address just freed.",
}


# Workloads renamed for what they measure; results recorded under the old names still load.
RENAMED = {"end_hit": "lookup_hit", "map_end_hit": "map_find_hit", "map_end_miss": "map_find_miss"}


def load(folder):
    """(context, rows) where rows maps (workload, backend, live, variant, threads) to the median
    row (or the single run), with "best_items_per_second": the best repetition's rate."""
    with open(os.path.join(folder, "benchmarks.json")) as f:
        data = json.load(f)
    rows = {}
    best = defaultdict(float)
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") == "iteration" and "items_per_second" in b:
            run = b.get("run_name", b["name"])
            best[run] = max(best[run], b["items_per_second"])
    has_median = set()
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            has_median.add(b["run_name"])
    for b in data["benchmarks"]:
        run = b.get("run_name", b["name"])
        if run in has_median:
            if not (b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"):
                continue
        elif b.get("run_type") == "aggregate":
            continue
        m = NAME.match(run)
        if not m:
            continue
        workload = RENAMED.get(m["workload"], m["workload"])
        key = (workload, m["backend"], int(m["live"]), m["variant"] or "",
               int(m["threads"] or m["gb_threads"] or 1))
        rows[key] = dict(b, best_items_per_second=best.get(run, b.get("items_per_second")))
    return data.get("context", {}), rows


def wall_clock_method(context):
    """Whether the run measured multi-threaded throughput as wall-clock rounds."""
    return context.get("enlist_method") == "wall_clock_rounds"


def cores(context):
    return int(context.get("num_cpus", 1))


def best_rate(rows, key):
    b = rows.get(key)
    return None if b is None else b.get("best_items_per_second")


def calibration(context, rows):
    """(valid, Markdown) for the calibration workload in both methods: the median at n threads
    against min(n, cores) times the best 1-thread repetition, +10%."""
    n = cores(context)
    out = ["| method | threads | items/s | / 1 thread | bound: min(threads, cores) x best 1 thread "
           "+10% | verdict |", "|---|---:|---:|---:|---:|---|"]
    valid = None
    for variant, label in (("wall_clock", "wall-clock rounds (this suite)"),
                           ("gbench_threads", "Google Benchmark threads (per-thread time)")):
        base = best_rate(rows, ("calibration", variant, 0, "", 1))
        if base is None:
            continue
        ok_all = True
        for t in sorted(k[4] for k in rows if k[0] == "calibration" and k[1] == variant):
            r = rate(rows, ("calibration", variant, 0, "", t))
            bound = min(t, n) * base * PLAUSIBLE_FACTOR
            ok = r <= bound
            ok_all &= ok
            out.append(f"| {label} | {t} | {fmt_rate(r)} | {r / base:.2f}x | {fmt_rate(bound)} | "
                       f"{'within' if ok else '**ABOVE: impossible**'} |")
        if variant == "wall_clock":
            valid = ok_all
    return valid, "\n".join(out) if len(out) > 2 else ""


def capacity_gain(context, rows, threads):
    """How much more of the machine the calibration got at `threads` than at the core count in
    this run (medians; 1 when it got less or is missing)."""
    n = cores(context)
    at_cores = rate(rows, ("calibration", "wall_clock", 0, "", n))
    at_t = rate(rows, ("calibration", "wall_clock", 0, "", threads))
    return max(1.0, at_t / at_cores) if at_cores and at_t else 1.0


def implausible(context, rows):
    """Rows at T > cores whose median is above PLAUSIBLE_FACTOR x the best throughput measured at
    T <= cores (the best repetition of any such thread count): {key: (rate, best, best_threads)}
    for the unexplained ones, and the explained ones apart."""
    n = cores(context)
    flagged, explained = {}, {}
    for k in rows:
        workload, backend, live, variant, t = k
        if t <= n or workload in ("calibration", "memory"):
            continue
        r = rate(rows, k)
        within = [(best_rate(rows, (workload, backend, live, variant, u)), u)
                  for u in range(1, n + 1) if (workload, backend, live, variant, u) in rows]
        within = [(x, u) for x, u in within if x]
        if r is None or not within:
            continue
        best, best_t = max(within)
        if r > PLAUSIBLE_FACTOR * best:
            known = gain_explanation(workload, backend) or (
                r <= PLAUSIBLE_FACTOR * best * capacity_gain(context, rows, t) and
                capacity_text(context, rows, t))
            (explained if known else flagged)[k] = (r, best, best_t)
    return flagged, explained


def capacity_text(context, rows, threads):
    n = cores(context)
    gain = capacity_gain(context, rows, threads)
    return (f"this run's calibration (pure computation, nothing shared) itself ran {gain:.2f}x "
            f"faster at {threads} threads than at {n}: with exactly one thread per core there was "
            f"no core left for the rest of the machine (kernel threads, other tenants of the "
            f"host), "
            f"so the {n}-thread rows got less of it; each of these rows exceeds its best row at "
            f"up to {n} threads by less than {PLAUSIBLE_FACTOR:.2f}x that factor.")


def fmt_rate(x):
    if x is None:
        return "-"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if x >= div:
            return f"{x / div:.3g}{unit}"
    return f"{x:.3g}"


def fmt_ratio(r):
    return "-" if r is None else f"{r:.2f}x"


def rate(rows, key):
    b = rows.get(key)
    return None if b is None else b.get("items_per_second")


def counter(rows, key, name):
    b = rows.get(key)
    return None if b is None else b.get(name)


def series_keys(rows, workload):
    """(live, variant, threads) combinations present for a workload, sorted."""
    return sorted({(k[2], k[3], k[4]) for k in rows if k[0] == workload})


def best_peer(rows, workload, live, variant, threads, peers=PEERS):
    best = None
    for p in peers:
        r = rate(rows, (workload, p, live, variant, threads))
        if r is not None and (best is None or r > best[1]):
            best = (p, r)
    return best


THROUGHPUT_WORKLOADS = ("begin_end", "lookup_hit", "end_miss", "release", "provider_mix",
                        "read_mostly", "lifecycle", "map_begin_end", "map_find_hit",
                        "map_find_miss", "map_churn", "map_read_mostly")


def throughput_table(rows, workload, flagged=(), inflated=lambda threads: False, marked=()):
    backends = [b for b in BACKENDS if any(k[0] == workload and k[1] == b for k in rows)]
    out = ["| live | access | threads | " + " | ".join(backends) +
           " | best peer | enlist / best peer |",
           "|---:|---|---:|" + "---:|" * len(backends) + "---|---:|"]
    for live, variant, threads in series_keys(rows, workload):
        e = rate(rows, (workload, "enlist", live, variant, threads))
        cells = []
        for b in backends:
            r = rate(rows, (workload, b, live, variant, threads))
            cell = fmt_rate(r)
            if b != "enlist" and r is not None and e is not None:
                cell += f" ({e / r:.2f}x)"
            if (workload, b, live, variant, threads) in flagged:
                cell = f"🔴 **{cell}**"
            if (workload, b, live, variant, threads) in marked:
                cell += " ‡"
            cells.append(cell)
        bp = best_peer(rows, workload, live, variant, threads)
        mark = " (old method: inflated)" if inflated(threads) else ""
        out.append(f"| {live:,} | {variant or '-'} | {threads}{mark} | " + " | ".join(cells) +
                   f" | {bp[0] if bp else '-'} | "
                   f"{fmt_ratio(e / bp[1]) if bp and e else '-'} |")
    return "\n".join(out)


def latency_table(rows):
    out = ["| mix | threads | backend | p50 ns | p99 ns | p99.9 ns | begin p99 / p99.9 ns "
           "| end p99 / p99.9 ns | items/s |",
           "|---|---:|---|---:|---:|---:|---:|---:|---:|"]

    def pair(c, call):
        p99, p999 = c.get(f"{call}_p99_ns"), c.get(f"{call}_p999_ns")
        return "-" if p99 is None or p999 is None else f"{p99:.0f} / {p999:.0f}"

    for live, variant, threads in series_keys(rows, "latency"):
        for b in BACKENDS:
            k = ("latency", b, live, variant, threads)
            if k not in rows:
                continue
            c = rows[k]
            out.append(f"| {variant} | {threads} | {b} | {c.get('p50_ns', 0):.0f} | "
                       f"{c.get('p99_ns', 0):.0f} | {c.get('p999_ns', 0):.0f} | "
                       f"{pair(c, 'begin')} | {pair(c, 'end')} | "
                       f"{fmt_rate(c.get('items_per_second'))} |")
    return "\n".join(out)


def memory_table(rows):
    sizes = sorted({k[2] for k in rows if k[0] == "memory"})
    out = ["| backend | " + " | ".join(f"{n:,} live" for n in sizes) + " |",
           "|---|" + "---:|" * len(sizes)]
    for b in BACKENDS:
        cells = []
        for n in sizes:
            v = counter(rows, ("memory", b, n, "", 1), "bytes_per_session")
            # 0 bytes for N sessions is no measurement: the heap has no mallinfo2 there.
            cells.append("-" if not v else f"{v:.1f}")
        if any(c != "-" for c in cells):
            out.append(f"| {b} | " + " | ".join(cells) + " |")
    if len(out) == 2:
        return "No backend's heap could be read in this run."
    return "\n".join(out)


def check(ok):
    return "met" if ok else "**MISSED**"


# The workloads whose target is 1.5x the best peer at 1 and 2 threads (the write paths and the
# mixes that hide writes among reads), and those whose target is 2x (lookups and the error path).
WRITE_TARGETS = [("begin_end", "", 10000), ("map_begin_end", "", 10000), ("map_churn", "", 10000),
                 ("read_mostly", "", 10000), ("read_mostly", "", 1000000),
                 ("map_read_mostly", "", 10000), ("map_read_mostly", "", 1000000),
                 ("lifecycle", "", 10000)]
LOOKUP_TARGETS = [("lookup_hit", "uniform", 10000), ("end_miss", "", 10000),
                  ("map_find_hit", "uniform", 10000), ("map_find_miss", "", 10000)]


def targets(context, rows, base=10000):
    n = cores(context)
    wall = wall_clock_method(context)
    lines = ["| target | measured | verdict |", "|---|---|---|"]
    # enlist against the best peer of the run (every peer it measured), at 1 and 2 threads.
    for group, want in ((WRITE_TARGETS, 1.5), (LOOKUP_TARGETS, 2.0)):
        for w, variant, live in group:
            for t in (1, 2):
                e = rate(rows, (w, "enlist", live, variant, t))
                bp = best_peer(rows, w, live, variant, t)
                if e is None or bp is None:
                    continue
                r = e / bp[1]
                lines.append(f"| {w} at {t} thread(s), {live:,} live: enlist >= {want}x best peer "
                             f"| {r:.2f}x ({bp[0]}) | {check(r >= want)} |")
    thread_counts = sorted({k[4] for k in rows if k[0] == "begin_end" and k[2] == base})
    # Oversubscription: a lock-free registry keeps its throughput when threads are preempted.
    for w, variant in (("begin_end", ""), ("lookup_hit", "uniform"), ("end_miss", ""),
                       ("map_begin_end", ""), ("map_find_hit", "uniform"), ("map_find_miss", "")):
        within = [rate(rows, (w, "enlist", base, variant, t)) for t in range(1, n + 1)]
        within = [x for x in within if x]
        for t in thread_counts:
            e = rate(rows, (w, "enlist", base, variant, t))
            if t <= n or not e or not within or not wall:
                continue
            r = e / max(within)
            lines.append(f"| {w}: enlist at {t} threads keeps >= 70% of its best at <= {n} "
                         f"threads | {r:.0%} | {check(r >= 0.7)} |")
    for w, variant in (("lookup_hit", "uniform"), ("end_miss", "")):
        for t in sorted({k[4] for k in rows if k[0] == w and k[2] == base and k[3] == variant}):
            e = rate(rows, (w, "enlist", base, variant, t))
            lim = rate(rows, (w, "limit", base, variant, t))
            if e is None or lim is None or (t > n and not wall):
                continue
            r = lim / e
            lines.append(f"| {w} at {t} thread(s): limit / enlist <= 3 | {r:.2f} | "
                         f"{check(r <= 3)} |")
    for live, variant, t in series_keys(rows, "latency"):
        if t != 64:
            continue
        # Every call, and the contract's hot call on its own: an end must stay fast under
        # contention whatever work begins carry.
        for name, what in (("p999_ns", "p99.9 below every lock-based peer"),
                           ("end_p999_ns", "end p99.9 below every lock-based peer's")):
            e = counter(rows, ("latency", "enlist", live, variant, t), name)
            peers = [(v, p) for p in LOCK_BASED
                     if (v := counter(rows, ("latency", p, live, variant, t), name)) is not None]
            if e is None or not peers:
                continue
            lowest = min(peers)
            lines.append(f"| latency {variant}, 64 threads: enlist {what} | {e:.0f} ns vs "
                         f"{lowest[0]:.0f} ns ({lowest[1]}, the lowest) | {check(e < lowest[0])} |")
    for live, bound in ((10000, 24), (1000000, 24)):
        mem = counter(rows, ("memory", "enlist", live, "", 1), "bytes_per_session")
        if mem:  # 0 is no reading (no mallinfo2), not an empty map
            lines.append(f"| memory at {live:,} live: <= {bound} bytes per session | {mem:.1f} B | "
                         f"{check(mem <= bound)} |")
    return "\n".join(lines)


def peers_ahead(rows):
    """Plain sentences for every row where a peer is faster than enlist."""
    out = []
    for w in THROUGHPUT_WORKLOADS:
        for live, variant, t in series_keys(rows, w):
            e = rate(rows, (w, "enlist", live, variant, t))
            if e is None:
                continue
            ahead = sorted(((rate(rows, (w, p, live, variant, t)), p) for p in PEERS
                            if (rate(rows, (w, p, live, variant, t)) or 0) > e), reverse=True)
            if ahead:
                who = ", ".join(f"{p} ({r / e:.2f}x)" for r, p in ahead)
                where = f"{w}{' ' + variant if variant else ''}, {live:,} live, {t} thread(s)"
                out.append(f"- {where}: {who} faster than enlist ({fmt_rate(e)}).")
    return out


def interconnect(rows):
    """(marked keys, Markdown, valid) for the interconnect calibration: every row's cache-line
    round trip and memory latency, measured before it, against the run's medians."""
    samples = [(k, b["interconnect_ns"], b.get("memory_ns")) for k, b in rows.items()
               if b.get("interconnect_ns")]
    if not samples:
        return set(), "", None

    def quantile(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    ic = [x for _, x, _ in samples]
    mem = [m for _, _, m in samples if m]
    med_ic, med_mem = quantile(ic, 0.5), quantile(mem, 0.5) if mem else None
    marked = {k for k, x, m in samples
              if abs(x / med_ic - 1) > INTERCONNECT_BOUND or
              (med_mem and m and abs(m / med_mem - 1) > INTERCONNECT_BOUND)}
    multi = [k for k, _, _ in samples if k[4] >= 2]
    share = sum(k in marked for k in multi) / len(multi) if multi else 0.0
    off_ic = sum(abs(x / med_ic - 1) > INTERCONNECT_BOUND for _, x, _ in samples)
    off_mem = sum(bool(med_mem and m and abs(m / med_mem - 1) > INTERCONNECT_BOUND)
                  for _, _, m in samples)
    md = ["| measure | median | p10 | p90 | min | max | rows off the median by more than "
          f"{INTERCONNECT_BOUND:.0%} |", "|---|---:|---:|---:|---:|---:|---:|",
          f"| cache-line round trip between two pinned threads (ns) | {med_ic:.0f} | "
          f"{quantile(ic, 0.1):.0f} | {quantile(ic, 0.9):.0f} | {min(ic):.0f} | {max(ic):.0f} | "
          f"{off_ic} of {len(samples)} |"]
    if mem:
        md.append(f"| dependent load from memory (ns) | {med_mem:.0f} | {quantile(mem, 0.1):.0f} | "
                  f"{quantile(mem, 0.9):.0f} | {min(mem):.0f} | {max(mem):.0f} | {off_mem} of "
                  f"{len(samples)} |")
    md += ["", f"{len(marked)} rows were measured while one of the two was off its median by more "
           f"than {INTERCONNECT_BOUND:.0%} (marked ‡ in the tables); {share:.0%} of the "
           f"multi-threaded rows (a run of repeated rows is valid up to "
           f"{INTERCONNECT_INVALID_SHARE:.0%}; a run of single repetitions is not judged on it)."]
    return marked, "\n".join(md), share <= INTERCONNECT_INVALID_SHARE


def plots(folder, rows, base=10000):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    made = []
    colors = dict(zip(BACKENDS, plt.cm.tab20.colors))
    workloads = [("begin_end", ""), ("lookup_hit", "uniform"), ("end_miss", ""), ("release", ""),
                 ("provider_mix", "uniform"), ("provider_mix", "zipf"), ("lookup_hit", "zipf")]
    fig, axes = plt.subplots(2, 4, figsize=(20, 9))
    for ax, (w, variant) in zip(axes.flat, workloads):
        for b in BACKENDS:
            pts = sorted((k[4], rate(rows, k)) for k in rows
                         if k[0] == w and k[1] == b and k[2] == base and k[3] == variant)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=b,
                        color=colors[b], linestyle="--" if b == "limit" else "-")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(f"{w} {variant} ({base:,} live)")
        ax.set_xlabel("threads")
        ax.set_ylabel("items/s")
    axes.flat[-1].axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    axes.flat[-1].legend(handles, labels, loc="center")
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "throughput_vs_threads.png"), dpi=80)
    plt.close(fig)
    made.append("throughput_vs_threads.png")

    sweep_threads = sorted({k[4] for k in rows if k[0] == "begin_end" and k[2] != base})
    if sweep_threads:
        t = sweep_threads[0]
        fig, axes = plt.subplots(1, 3, figsize=(18, 5))
        for ax, (w, variant) in zip(axes, (("begin_end", ""), ("lookup_hit", "uniform"),
                                           ("end_miss", ""))):
            for b in BACKENDS:
                pts = sorted((k[2], rate(rows, k)) for k in rows
                             if k[0] == w and k[1] == b and k[3] == variant and k[4] == t)
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=b,
                            color=colors[b], linestyle="--" if b == "limit" else "-")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(f"{w} ({t} threads)")
            ax.set_xlabel("live sessions")
            ax.set_ylabel("items/s")
        axes[0].legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "throughput_vs_live.png"), dpi=80)
        plt.close(fig)
        made.append("throughput_vs_live.png")

    lat = [k for k in rows if k[0] == "latency" and k[4] == 64]
    if lat:
        variants = sorted({k[3] for k in lat})
        fig, axes = plt.subplots(1, len(variants), figsize=(9 * len(variants), 5), squeeze=False)
        for ax, v in zip(axes[0], variants):
            present = [b for b in BACKENDS if ("latency", b, base, v, 64) in rows]
            xs = range(len(present))
            for i, (q, name) in enumerate((("p50_ns", "p50"), ("p99_ns", "p99"),
                                           ("p999_ns", "p99.9"))):
                ax.bar([x + (i - 1) * 0.27 for x in xs],
                       [rows[("latency", b, base, v, 64)].get(q, 0) for b in present],
                       width=0.27, label=name)
            ax.set_xticks(list(xs))
            ax.set_xticklabels(present, rotation=30, ha="right")
            ax.set_yscale("log")
            ax.set_ylabel("ns per call")
            ax.set_title(f"latency per call, {v}, 64 threads, {base:,} live")
            ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(folder, "latency_64_threads.png"), dpi=80)
        plt.close(fig)
        made.append("latency_64_threads.png")
    return made


METHOD_TEXT = (
    "Multi-threaded throughput is wall-clock throughput (bench/support/thread_group.hpp). One "
    "benchmark drives a group of n threads in rounds: all n are released together with one store, "
    "each runs its operation loop until a stop flag raised at the end of the round's duration, "
    "then reads the clock and reports its operation count. A round's time, given to Google "
    "Benchmark as manual time, is the wall span from the release to the last thread's stop; "
    "throughput is all threads' operations over that span, so no operation and no second is "
    "counted twice, whatever the scheduler does. A round lasts the profile's share (5, 10 or 25 "
    "ms) times n / cores, so that every thread gets several scheduler slices in every round. "
    "thread_ops_min and thread_ops_max are the fewest and most operations one thread completed in "
    "a round, over the mean (worst round): a starved thread shows there. Google Benchmark's own "
    "->Threads(n)->UseRealTime() averages each thread's own span instead, which with more "
    "threads than cores counts a thread that ran its batch in one quantum as if it had had a "
    "core to itself: the calibration below shows both.")


def defect_failures(rows):
    """(key, row) of the rows whose failed calls are defects: every failure of a map, and the
    limit proxy's beyond its collisions (runs that predate failures_per_item are not checked)."""
    return [(k, b) for k, b in rows.items() if b.get("failures") and not (
        k[1] == "limit" and b.get("failures_per_item", 0)
        <= LIMIT_FAILURES_PER_CALL * CALLS_PER_ITEM.get(k[0], 1))]


def report(folder):
    context, rows = load(folder)
    made = plots(folder, rows)
    wall = wall_clock_method(context)
    n = cores(context)
    ctx = [f"- {k}: {context[k]}" for k in (
        "platform", "cpu_model", "num_cpus", "mhz_per_cpu", "compiler", "cxx_flags", "build_type",
        "packages", "enlist_profile", "enlist_method", "enlist_round_ms_per_core_share", "source",
        "enlist_commit", "date") if k in context]
    caches = ", ".join(f"L{c['level']} {c['type']} {c['size'] // 1024} KiB x{c['num_sharing']}"
                       for c in context.get("caches", []))
    reps = "medians of the repetitions" if any(
        b.get("aggregate_name") == "median" for b in rows.values()) else "single runs"
    valid, calibration_table = calibration(context, rows)
    marked, interconnect_table, interconnect_valid = interconnect(rows)
    failures = defect_failures(rows)
    repeated = any(b.get("aggregate_name") == "median" for b in rows.values())
    if not repeated and interconnect_valid is False:
        # A smoke run of single repetitions (CI's quick profile) reports the changes, as it
        # leaves plausibility unevaluated, without staking its validity on them.
        interconnect_valid = None
    flagged, explained = implausible(context, rows) if wall and repeated else ({}, {})
    inflated = (lambda t: False) if wall else (lambda t: t > n)
    md = [f"# enlist benchmark report: {context.get('platform', os.path.basename(folder))}", ""]
    if valid is False:
        md += ["> **THE NUMBERS OF THIS RUN ARE NOT VALID.** Its calibration workload (pure "
               "computation, nothing shared) ran faster on more threads than the cores can run "
               "it: something else than the workloads shared the time (another process, a "
               "throttled or migrated core). Run it again on a quiet machine.", ""]
    if failures:
        md += ["> **THE NUMBERS OF THIS RUN ARE NOT VALID.** Calls of a backend failed (see "
               "Failures): its rows measured failing calls, not the work their names say.", ""]
    if interconnect_valid is False:
        md += ["> **THE NUMBERS OF THIS RUN ARE NOT VALID.** The cost of moving a cache line "
               "between cores, or of a load from memory, changed during the run for more than "
               f"{INTERCONNECT_INVALID_SHARE:.0%} of its multi-threaded rows (see Interconnect): "
               "their ratios compare different machines. Run it again.", ""]
    provenance = os.path.join(folder, "PROVENANCE.md")
    if os.path.exists(provenance):
        with open(provenance) as f:
            md += ["## Provenance", "", f.read().strip(), ""]
    md += ["Generated by `bench/report.py` from `benchmarks.json` in this folder "
           f"({reps}). Every backend runs in the same process, the same run, through the same "
           "session contract (begin takes one reference, end releases it, an unmatched end returns "
           "SYNC_E_INVALID_OPERATION): enlist is `enlist::registry`, each peer is "
           "`session_contract<its map>` (bench/backends/). Keys are session-state addresses "
           "hashed with `enlist::address_hash` for all. In the tables a peer's cell shows its "
           "items/s and (in brackets) enlist's items/s divided by it: above 1x, enlist is faster.",
           "", "## Method", ""]
    if wall:
        md += [METHOD_TEXT, ""]
    else:
        md += ["These results were taken with Google Benchmark's own threads "
               "(`->Threads(n)->UseRealTime()`: the mean of each thread's own span), before the "
               f"suite measured wall-clock rounds. Rows at more threads than the {n} cores are "
               "inflated by that method (a thread that ran its batch within one quantum is counted "
               "as if it had had a core to itself); they are marked and left out of the targets. "
               "Rows at up to the core count are sound.", ""]
    md += ["## Calibration", "",
           "100 dependent multiply-adds per operation, nothing shared: n threads can do at most "
           "min(n, cores) times what one does. The wall-clock row decides whether this run's "
           "numbers are valid; the Google Benchmark row is what the check would catch in the "
           "method the suite replaced.", "", calibration_table or "(not in this run)", "",
           "Verdict: " + ("**valid**: no thread count ran the calibration faster than its cores "
                          "can." if valid else
                          "**not valid** (see above)." if valid is False else
                          "no wall-clock calibration in this run."), ""]
    if wall and not repeated:
        md += ["## Plausibility", "",
               "Not evaluated: with one repetition per row the machine's drift (tens of percent "
               "over seconds for memory-bound loops on a shared machine) cannot be told apart "
               "from an implausible figure. The default and full profiles repeat every row and "
               "check it; this run's validity rests on its calibration.", ""]
    elif wall:
        md += ["## Plausibility", "",
               f"A row at more threads than the {n} cores (its median) may not exceed "
               f"{PLAUSIBLE_FACTOR:.2f}x the best throughput of the same benchmark measured at up "
               "to the core count (its best repetition at any such thread count): more threads "
               "than cores add no compute."]
        if flagged:
            md += ["", "🔴 Implausible rows (each is a defect of the measurement or of the "
                   "machine's quiet, not a result):", ""]
            for k, (r, best, bt) in sorted(flagged.items()):
                md.append(f"- 🔴 {'/'.join(str(x) for x in k[:4] if x != '')}, {k[4]} threads: "
                          f"{fmt_rate(r)} against {fmt_rate(best)} at {bt} thread(s) "
                          f"({r / best:.2f}x)")
        else:
            md += ["", "No row exceeds it without an explanation."]
        if explained:
            md += ["", "Rows above it for a reason a reviewer can check:", ""]
            groups = defaultdict(list)
            for k in sorted(explained):
                groups[gain_explanation(k[0], k[1]) or capacity_text(context, rows, k[4])].append(k)
            for text, ks in groups.items():
                figures = "; ".join(f"{'/'.join(str(x) for x in k[:4] if x != '')} at {k[4]} "
                                    f"threads {fmt_rate(explained[k][0])} vs "
                                    f"{fmt_rate(explained[k][1])} at {explained[k][2]}"
                                    for k in ks)
                md.append(f"- {text} ({figures})")
        md.append("")
    md += ["## Interconnect", "",
           "Before every benchmark the suite measures the round trip of one cache line between "
           "threads 0 and 1 of its thread group, pinned to different CPUs, and the latency of a "
           "dependent load from a 64 MiB ring (bench/support/interconnect.hpp): the compute "
           "calibration cannot see either change, and on a shared machine the first moves "
           "between modes about three times apart within minutes, which moves every 2-thread "
           "row that shares a line. A row measured while either was off the run's median by "
           f"more than {INTERCONNECT_BOUND:.0%} is marked ‡ and compares with the others only "
           "with that caveat.", "", interconnect_table or "(not in this run)", ""]
    measured = [b for b in BACKENDS if any(k[1] == b for k in rows)]
    left_out = [b for b in BACKENDS if b not in measured]
    md += ["## Machine and build", "", *ctx, f"- caches: {caches}",
           f"- backends measured: {', '.join(measured)}"]
    if left_out:
        md.append(f"- backends this build has not: {', '.join(left_out)} (a cross build has only "
                  "the peers that need no library built for its target)")
    ahead = peers_ahead(rows)
    md += ["", "## Targets", "",
           "enlist against the best peer of this run (every peer it measured) at 1 and 2 threads: "
           "1.5x on the write paths and the mixes that hide writes among reads, 2x on lookups "
           "and the error path.", "", targets(context, rows), "",
           "## Where a peer beats enlist", ""]
    md += ahead or ["Nowhere in this run: enlist is ahead of every peer on every row."]
    md.append("")
    md += ["## Backends and what they are", "",
           "- **enlist**: `enlist::registry` (registry level) and `enlist::concurrent_map` (map "
           "level): lock-free open addressing, epoch-reclaimed tables.",
           "- **enlist_tagged**: `enlist::tagged_map`, enlist's next map (map level only): "
           "lock-free groups of 7 slots behind a word of tags, slots reused at once, finds that "
           "write nothing; a table of fixed capacity so far. A candidate, never a peer: the "
           "targets compare `enlist` with the peers.",
           "- **tbb_hash_map**: `tbb::concurrent_hash_map`, per-bucket reader-writer locks.",
           "- **tbb_unordered_map**: `tbb::concurrent_unordered_map`. It has no concurrent-safe "
           "erase, so erase is **emulated by a tombstone**: the value is an atomic word set to 0 "
           "on erase and revived by insert; nodes are never freed, so its memory grows with every "
           "distinct state ever begun. Its begin_end/release/mix numbers are those of that "
           "emulation, not of a map that really removes.",
           "- **cuckoo**: libcuckoo `cuckoohash_map`, striped spin locks, two buckets per key.",
           "- **cds_michael**: libcds `MichaelHashMap` over `MichaelKVList`, hazard pointers; "
           "fixed bucket array sized for the expected sessions (load factor 1), it does not grow.",
           "- **cds_feldman**: libcds `FeldmanHashMap`, hazard pointers; a multi-level array of "
           "hash bits (fmix64 is a bijection, so the perfect hash it needs).",
           "- **urcu_lfht**: liburcu `cds_lfht` with the urcu-memb flavour, auto-resize; every "
           "insert allocates a node, every erase frees it through call_rcu.",
           "- **boost_cfm**: `boost::concurrent_flat_map` (Boost 1.88, from Debian 13's "
           "libboost1.88-dev, unpacked for the build): groups of 15 slots behind a 16-byte "
           "metadata word (a reduced hash byte per slot, an overflow byte), a read-write "
           "spinlock per group that lookups take too, an insert counter per group; erased slots "
           "are reused at once. `enlist::address_hash` is declared avalanching, so Boost uses it "
           "as it is.",
           "- **phmap** / **phmap_shared**: `phmap::parallel_flat_hash_map` (parallel-hashmap "
           "1.4.1, Debian 13): 16 SwissTables, each under a `std::mutex` / `std::shared_mutex` "
           "(lookups shared); lookups through `if_contains`.",
           "- **xenium_vyukov**: xenium's `vyukov_hash_map` (Debian 12's libxenium-dev): "
           "lock-free lookups, a lock per bucket for inserts and erases, epoch-based reclamation.",
           "- **xenium_harris**: xenium's `harris_michael_hash_map`: lock-free lists in a fixed "
           "array of 2^16 buckets (a compile-time size: it does not grow, so its rows at "
           "1,000,000 live measure lists of about 15), a node allocated per insert and retired "
           "per erase, epoch-based reclamation.",
           "- **mutex_map**: `std::unordered_map` under one `std::mutex`.",
           "- **sharded_map**: 64 `absl::flat_hash_map` shards, each under its own `std::mutex`.",
           "- **limit**: a physical-limit proxy, not a map: a direct-mapped array of words (8 per "
           "expected key), one CAS per insert and erase, one load per find, no probing. Keys "
           "that collide fail (its `failures` counter counts them, at most 1 in 8 inserts; the cost "
           "is the same).",
           "", "All peers allocate through glibc malloc (TBB containers are given "
           "`std::allocator`). Threads beyond the cores are deliberate: preemption of a "
           "lock holder is what users of lock-based maps hit.", ""]
    md += ["## Throughput", ""]
    for w in THROUGHPUT_WORKLOADS:
        if any(k[0] == w for k in rows):
            md += [f"### {w}", "", WORKLOAD_TEXT.get(w, ""), "",
                   throughput_table(rows, w, flagged, inflated, marked), ""]
            if w == "lifecycle":
                shares = [f"{b} {counter(rows, k, 'same_address_share'):.0%} at {k[4]}"
                          for k in sorted(rows) for b in ("enlist",)
                          if k[0] == w and k[1] == b and
                          counter(rows, k, "same_address_share") is not None]
                if shares:
                    md += ["Same address (begins whose new state got the address just freed): "
                           + ", ".join(shares) + " thread(s).", ""]
    spread = spread_table(rows) if wall else ""
    if spread:
        md += ["## Operations per thread", "",
               "The fewest (min) and most (max) operations one thread completed in a round, over "
               "the mean of the round (worst round), at the base size and the largest thread "
               "count: close to 1 means every thread progressed; near 0 means some threads were "
               "starved (typically waiting for a preempted lock holder).", "", spread, ""]
    md += ["## Latency per call", "",
           "Each call timed on its own with rdtsc (calibrated against the steady clock), inside "
           "the same wall-clock rounds as the throughput: a sample is one call's own duration, "
           "including the timer (a few ns) and any preemption of its thread during the call. "
           "These are real latencies whatever the thread count, not derived from throughput. "
           "Begins and successful ends are also counted apart, because a map may put work on "
           "one of the two: enlist's begins carry the steps of its incremental migrations "
           "(a chunk of a table frozen and copied, or zeroed), its ends never do.", "",
           latency_table(rows), ""]
    md += ["## Memory per live session", "",
           "Heap bytes in use (mallinfo2: uordblks + hblkhd) after constructing the backend for "
           "N sessions and beginning them, minus before, divided by N. States are not counted "
           "(they are the provider's). Where the C library has no mallinfo2 (Windows) the "
           "heap cannot be read: no figure is shown and no memory target is judged.", "",
           memory_table(rows), ""]
    md += ["## Failures", ""]
    if failures:
        md += ["Operations whose result was not the expected one (a defect in a backend or "
               "adapter), with the failures per item:", ""] + [
                   f"- {'/'.join(map(str, k))}: {b['failures']:.0f} "
                   f"({b.get('failures_per_item', float('nan')):.3f} per item)"
                   for k, b in failures]
    elif any("failures_per_item" in b for k, b in rows.items() if k[1] == "limit"):
        md += ["Every operation of every backend but `limit` returned the expected result, "
               f"and `limit` failed no more than its collisions explain (at most "
               f"{LIMIT_FAILURES_PER_CALL:g} failures per call)."]
    else:
        md += ["Every operation of every backend but `limit` returned the expected result "
               "(this run predates the failures_per_item counter, so `limit`'s failures were not "
               "checked against its collisions)."]
    md += ["", "## Plots", ""] + [f"![{m}]({m})" for m in made] + [""]
    with open(os.path.join(folder, "REPORT.md"), "w") as f:
        f.write("\n".join(md))
    return valid is not False and not failures and interconnect_valid is not False


def spread_table(rows, base=10000):
    """thread_ops_min / thread_ops_max per backend and workload at the largest thread count."""
    top = max((k[4] for k in rows if k[0] == "begin_end" and k[2] == base), default=None)
    if top is None:
        return ""
    workloads = [("begin_end", ""), ("lookup_hit", "uniform"), ("end_miss", ""),
                 ("provider_mix", "uniform"), ("map_churn", "")]
    out = [f"| backend | " + " | ".join(f"{w} ({top} threads)" for w, _ in workloads) + " |",
           "|---|" + "---:|" * len(workloads)]
    for b in BACKENDS:
        cells = []
        for w, v in workloads:
            lo = counter(rows, (w, b, base, v, top), "thread_ops_min")
            hi = counter(rows, (w, b, base, v, top), "thread_ops_max")
            cells.append("-" if lo is None else f"{lo:.2f} / {hi:.2f}")
        if any(c != "-" for c in cells):
            out.append(f"| {b} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def compare(a, b):
    ca, ra = load(a)
    cb, rb = load(b)
    print(f"# {cb.get('platform', b)} vs {ca.get('platform', a)}\n")
    print("Ratio B/A of items/s (medians): above 1, B is faster.\n")
    print("| benchmark | A items/s | B items/s | B/A |")
    print("|---|---:|---:|---:|")
    for k in sorted(set(ra) & set(rb)):
        x, y = rate(ra, k), rate(rb, k)
        if x and y:
            name = "/".join(str(p) for p in k[:4] if p != "") + f"/threads:{k[4]}"
            print(f"| {name} | {fmt_rate(x)} | {fmt_rate(y)} | {y / x:.2f} |")
    print("\n## enlist vs best peer on each side\n")
    print("| workload | threads | A: enlist / best peer | B: enlist / best peer |")
    print("|---|---:|---:|---:|")
    for w, v in (("begin_end", ""), ("lookup_hit", "uniform"), ("end_miss", "")):
        for t in (1, 2, 16, 64):
            cells = []
            for rows in (ra, rb):
                e = rate(rows, (w, "enlist", 10000, v, t))
                bp = best_peer(rows, w, 10000, v, t)
                cells.append(f"{e / bp[1]:.2f}x ({bp[0]})" if e and bp else "-")
            print(f"| {w} | {t} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--compare":
        compare(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        sys.exit(0 if report(sys.argv[1]) else 1)
    else:
        sys.exit(__doc__)
