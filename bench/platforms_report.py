#!/usr/bin/python3
"""Writes results/README.md and results/platforms.png: enlist on every platform in results/,
side by side.

    bench/platforms_report.py results        (what `bench/compare.sh` with no arguments runs)

A platform is a folder results/<platform>/. One with benchmarks.json is a measured platform (a
run of bench/run.sh, with its own REPORT.md); one with TESTED.md and no benchmarks.json was
tested but not measured (emulation: qemu-user runs AArch64 code at a speed that says nothing
about AArch64 hardware), and is listed as such, never beside the measurements.

Throughput is not comparable across machines, so the tables put enlist's own rate beside its
ratio to the best peer measured in the same run on the same platform; the ratio is what carries
across. Platforms on the same machine (this machine with GCC, Clang, and Windows under Wine) are
also compared directly, as ratios to the first of them, for enlist and for the two backends every
platform has (the mutex map and the limit proxy), which separate the platform's effect on all
code from its effect on enlist.
"""
import os
import sys

from report import (PEERS, best_peer, calibration, cores, fmt_rate, interconnect, load, rate,
                    wall_clock_method)

LIVE = 10000
WORKLOADS = [("begin_end", "", "begin then end of a session (registry contract)"),
             ("lookup_hit", "uniform", "is_enlisted of a live session"),
             ("end_miss", "", "end of a session never begun (SYNC_E_INVALID_OPERATION)"),
             ("provider_mix", "uniform", "a provider's mix of begins, ends and lookups"),
             ("read_mostly", "", "lookups with a few begins and ends among them"),
             ("lifecycle", "", "sessions whose states are newed and deleted"),
             ("map_begin_end", "", "the map alone: insert then erase of a live key"),
             ("map_churn", "", "the map alone: insert then erase of always-new keys"),
             ("map_read_mostly", "", "the map alone: finds with a few fresh inserts and erases")]
# Backends every platform measures, so that a same-machine comparison has a control.
CONTROLS = ["mutex_map", "limit"]


def describe(context, folder):
    """One row of the platforms table: system, machine, compiler, method."""
    platform = context.get("platform", os.path.basename(folder))
    system = "Windows (MinGW-w64 build) under Wine" if "windows" in platform else "Linux"
    machine = f"{context.get('cpu_model', '?')}, {context.get('num_cpus', '?')} CPUs"
    compiler = context.get("compiler", "?")
    if "clang" in platform:
        compiler = f"Clang {platform.rsplit('-', 1)[-1]} (libstdc++)"
    elif "windows" in platform:
        compiler = "MinGW-w64 GCC 12 (posix threads, libstdc++)"
    method = ("wall-clock rounds" if wall_clock_method(context)
              else "Google Benchmark threads (rows up to the core count only)")
    return platform, system, machine, compiler, method


def measured_threads(rows, n):
    """Thread counts to show: 1, 2 and the core count, those measured."""
    wanted = sorted({1, 2, n})
    return [t for t in wanted if any(k[4] == t for k in rows)]


def cell(rows, workload, variant, threads):
    e = rate(rows, (workload, "enlist", LIVE, variant, threads))
    if e is None:
        return "-", None
    peer = best_peer(rows, workload, LIVE, variant, threads)
    if peer is None:
        return f"{fmt_rate(e)} (no peer)", None
    return f"{fmt_rate(e)} ({e / peer[1]:.2f}x {peer[0]})", e / peer[1]


def left_out(rows):
    present = {k[1] for k in rows}
    return [b for b in PEERS if b not in present]


def machine_costs(p):
    """The run's median cache-line round trip and memory load, and the interconnect verdict."""
    samples = [b for b in p["rows"].values() if b.get("interconnect_ns")]
    if not samples:
        return "not measured (older run)"
    ic = sorted(b["interconnect_ns"] for b in samples)
    mem = sorted(b["memory_ns"] for b in samples if b.get("memory_ns"))
    verdict = {True: "valid", False: "**NOT VALID**", None: "single repetitions"}[
        p["interconnect_valid"]]
    return (f"{ic[len(ic) // 2]:.0f} / {mem[len(mem) // 2]:.0f} ({verdict})" if mem
            else f"{ic[len(ic) // 2]:.0f} / - ({verdict})")


def same_machine_groups(platforms):
    groups = {}
    for p in platforms:
        # Windows reports the host name in capitals.
        key = (p["context"].get("cpu_model"), p["context"].get("num_cpus"),
               str(p["context"].get("host_name", "")).lower())
        groups.setdefault(key, []).append(p)
    return [g for g in groups.values() if len(g) > 1]


def plot(out_dir, platforms, threads=(1, 2)):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 3, figsize=(18, 13))
    width = 0.8 / len(platforms)
    for ax, (workload, variant, title) in zip(axes.flat, WORKLOADS):
        for i, p in enumerate(platforms):
            ratios = [cell(p["rows"], workload, variant, t)[1] or 0 for t in threads]
            partial = bool(left_out(p["rows"]))
            ax.bar([x + i * width for x in range(len(threads))], ratios, width,
                   label=p["name"] + (" (header-only peers only)" if partial else ""),
                   hatch="//" if partial else None)
        ax.axhline(1, color="black", linewidth=0.8)
        ax.set_xticks([x + width * (len(platforms) - 1) / 2 for x in range(len(threads))])
        ax.set_xticklabels([f"{t} thread{'s' if t > 1 else ''}" for t in threads])
        ax.set_title(f"{workload} {variant}".strip() + f" ({LIVE:,} live)")
        ax.set_yscale("log")
        ax.set_ylabel("enlist / best peer on that platform (log)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(os.path.join(out_dir, "platforms.png"), dpi=80)
    plt.close(fig)
    return "platforms.png"


def main(results):
    platforms, tested = [], []
    for name in sorted(os.listdir(results)):
        folder = os.path.join(results, name)
        if os.path.isfile(os.path.join(folder, "benchmarks.json")) and not name.endswith("-quick"):
            context, rows = load(folder)
            valid, _ = calibration(context, rows)
            _, _, interconnect_valid = interconnect(rows)
            platforms.append({"name": name, "folder": folder, "context": context, "rows": rows,
                              "valid": valid, "interconnect_valid": interconnect_valid})
        elif os.path.isfile(os.path.join(folder, "TESTED.md")):
            with open(os.path.join(folder, "TESTED.md")) as f:
                tested.append((name, f.read().strip()))
    def order(p):
        name = p["name"]
        return ("windows" in name, "clang" in name, name)
    platforms.sort(key=order)
    md = ["# enlist across platforms", "",
          "Generated by `bench/compare.sh` (bench/platforms_report.py) from every "
          "`results/<platform>/benchmarks.json`; each platform's own REPORT.md has the full "
          f"tables. Figures are medians of repetitions at {LIVE:,} live sessions; a cell shows "
          "enlist's items/s and, in brackets, enlist's rate over the best peer measured in the "
          "same run on the same platform (above 1x, enlist is faster). Throughput does not carry "
          "across machines; the ratio does.", "",
          "## Measured platforms", "",
          "| platform | system | machine | compiler | method | calibration | interconnect "
          "(line round trip / memory load, median ns) | enlist commit | peers left out |",
          "|---|---|---|---|---|---|---|---|---|"]
    for p in platforms:
        platform, system, machine, compiler, method = describe(p["context"], p["folder"])
        verdict = {True: "valid", False: "**NOT VALID**", None: "none (older run)"}[p["valid"]]
        out = ", ".join(left_out(p["rows"])) or "none"
        md.append(f"| [{platform}]({p['name']}/REPORT.md) | {system} | {machine} | {compiler} | "
                  f"{method} | {verdict} | {machine_costs(p)} | "
                  f"{p['context'].get('enlist_commit', '?')} | {out} |")
    md += ["", "A peer is left out where it has no build for that platform here: the Windows "
           "build has the header-only peers (libcuckoo, boost::concurrent_flat_map, phmap, "
           "xenium) besides enlist, the mutex map and the limit proxy, since oneTBB, libcds, "
           "liburcu and Abseil come from Debian as Linux libraries only.", "",
           "The interconnect column is what moving a cache line between two cores, and a load "
           "from memory, cost during each run (medians over its rows; `valid` when no more than "
           "10% of its multi-threaded rows were measured while either was 25% off): a 2-thread "
           "ratio carries from one platform to another only as far as those costs agree.", ""]

    for workload, variant, title in WORKLOADS:
        md += [f"## {workload} {variant}".rstrip() + f": {title}", ""]
        header = "| threads | " + " | ".join(p["name"] for p in platforms) + " |"
        md += [header, "|---:|" + "---:|" * len(platforms)]
        threads = sorted({t for p in platforms
                          for t in measured_threads(p["rows"], cores(p["context"]))})
        for t in threads:
            cells = []
            for p in platforms:
                n = cores(p["context"])
                shown = t in measured_threads(p["rows"], n)
                cells.append(cell(p["rows"], workload, variant, t)[0] if shown else "")
            md.append(f"| {t} | " + " | ".join(cells) + " |")
        md.append("")

    groups = same_machine_groups(platforms)
    for group in groups:
        base, others = group[0], group[1:]
        md += [f"## Same machine ({base['context'].get('cpu_model')}, "
               f"{base['context'].get('num_cpus')} CPUs): each build over {base['name']}", "",
               "Ratios of items/s (medians; same workload, threads and live count); above 1, "
               "the build ran faster than the reference. The mutex map and the limit proxy are "
               "controls: they run the same code in every build, so what moves them moved "
               "everything (the build's runtime, or the shared machine between runs), and only "
               "what enlist moves beyond them is enlist's.", ""]
        commits = {p["name"]: p["context"].get("enlist_commit", "?") for p in group}
        if len(set(commits.values())) > 1:
            md += ["enlist itself is not the same code in every build here ("
                   + ", ".join(f"{name} at {c}" for name, c in commits.items())
                   + "): its column compares the code as well as the build.", ""]
        columns = [(p, b) for p in others for b in ["enlist"] + CONTROLS]
        md += ["| workload | threads | " + " | ".join(f"{p['name']}: {b}" for p, b in columns) +
               " |", "|---|---:|" + "---:|" * len(columns)]
        spread = []
        for workload, variant, _ in WORKLOADS:
            for t in (1, 2):
                cells = []
                for p, backend in columns:
                    ref = rate(base["rows"], (workload, backend, LIVE, variant, t))
                    x = rate(p["rows"], (workload, backend, LIVE, variant, t))
                    cells.append(f"{x / ref:.2f}" if x and ref else "-")
                    if x and ref and backend in CONTROLS:
                        spread.append(x / ref)
                md.append(f"| {workload} {variant}".rstrip() + f" | {t} | " + " | ".join(cells) +
                          " |")
        if spread:
            md += ["", f"The controls moved between {min(spread):.2f}x and {max(spread):.2f}x "
                   "across these builds: the runs were taken one after another on a shared "
                   "virtual machine, and a difference of enlist's inside that band is not the "
                   "build's."]
        md.append("")

    md += ["## What differs between the ports", "",
           "| | Linux (GCC, Clang) | Windows under Wine (MinGW-w64) |", "|---|---|---|",
           "| heavy fence (table retirement, sweep start) | membarrier(PRIVATE_EXPEDITED) | "
           "FlushProcessWriteBuffers on Windows once a probe has shown it orders; under Wine a "
           "seq_cst fence, because Wine 8.0's FlushProcessWriteBuffers is a stub "
           "(`process_barrier_test` prints which) |",
           "| light fence (every guarded map operation) | a compiler barrier | a seq_cst fence "
           "(`mfence`) under Wine, since the heavy side cannot be trusted there |",
           "| thread-exit hook (reclamation record) | pthread key destructor | TLS callback with "
           "a native TLS slot |",
           "| thread-local storage | native TLS | emulated TLS (MinGW-w64 GCC 12): a call per "
           "thread-local access |",
           "| allocator | glibc malloc | Wine's heap (msvcrt malloc) |",
           "| benchmark threads' sleep | futex (std::atomic::wait) | WaitOnAddress |", ""]

    if tested:
        md += ["## Tested, not measured", "",
               "Emulated platforms run the test suite; their speed is the emulator's and is "
               "never compared with the measurements above.", ""]
        for name, text in tested:
            md += [f"### {name}", "", text, ""]

    if platforms:
        md += ["## Plot", "", f"![enlist over the best peer per platform]({plot(results, platforms)})",
               ""]
    with open(os.path.join(results, "README.md"), "w") as f:
        f.write("\n".join(md))
    return all(p["valid"] is not False and p["interconnect_valid"] is not False
               for p in platforms)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(0 if main(sys.argv[1]) else 1)
