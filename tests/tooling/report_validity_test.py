#!/usr/bin/python3
"""The report's validity checks: bench/report.py must refuse a run whose numbers measured
something else than their names say, and accept one that did not.

    report_validity_test.py <source dir>

Each case writes a small benchmarks.json (a 2-core machine, the wall-clock method) into a
scratch folder, runs the report on it and checks its exit status and REPORT.md.
"""
import json
import os
import subprocess
import sys
import tempfile

SOURCE = sys.argv[1]
REPORT = os.path.join(SOURCE, "bench", "report.py")


def row(name, items_per_second, **counters):
    return dict({"name": name, "run_name": name, "run_type": "iteration", "iterations": 1,
                 "real_time": 1e7, "cpu_time": 1e7, "time_unit": "ns",
                 "items_per_second": items_per_second, "failures": 0.0}, **counters)


def run(benchmarks):
    """(exit status, REPORT.md) of the report on a run made of `benchmarks`."""
    with tempfile.TemporaryDirectory() as folder:
        data = {"context": {"num_cpus": 2, "enlist_method": "wall_clock_rounds"},
                "benchmarks": benchmarks}
        with open(os.path.join(folder, "benchmarks.json"), "w") as f:
            json.dump(data, f)
        status = subprocess.run([sys.executable, REPORT, folder],
                                stdout=subprocess.DEVNULL).returncode
        with open(os.path.join(folder, "REPORT.md")) as f:
            return status, f.read()


def calibration(at_two_threads=1.9e8):
    return [row("calibration/wall_clock/0/threads:1/manual_time", 1e8),
            row("calibration/wall_clock/0/threads:2/manual_time", at_two_threads)]


def churn(limit_failures_per_item, peer_failures=0.0):
    return [row("map_churn/enlist/10000/threads:1/manual_time", 2e7, failures_per_item=0.0),
            row("map_churn/cuckoo/10000/threads:1/manual_time", 1e7, failures=peer_failures,
                failures_per_item=peer_failures / 1e5),
            row("map_churn/limit/10000/threads:1/manual_time", 1e8,
                failures=limit_failures_per_item * 1e6,
                failures_per_item=limit_failures_per_item)]


def median_row(name, items_per_second, **counters):
    """A row of a repeated run: its median aggregate, as Google Benchmark writes it."""
    return dict(row(name, items_per_second, **counters), run_type="aggregate",
                aggregate_name="median")


def interconnect_rows(off, repeated):
    """Ten 2-thread rows, `off` of them measured while the cache-line round trip was 4x slower."""
    make = median_row if repeated else row
    out = [make("calibration/wall_clock/0/threads:1/manual_time", 1e8, interconnect_ns=100.0,
                memory_ns=200.0),
           make("calibration/wall_clock/0/threads:2/manual_time", 1.9e8, interconnect_ns=100.0,
                memory_ns=200.0)]
    for i in range(10):
        out.append(make(f"map_begin_end/{'enlist' if i % 2 == 0 else 'cuckoo'}/{1000 + i}/"
                        "threads:2/manual_time", 3e7, failures_per_item=0.0,
                        interconnect_ns=400.0 if i < off else 100.0, memory_ns=200.0))
    return out


failed = []


def expect(what, benchmarks, valid, text=None):
    status, md = run(benchmarks)
    ok = (status == 0) == valid and ("NOT VALID" in md) != valid and (text is None or text in md)
    print(f"{'ok' if ok else 'FAILED'}: {what} (exit {status})")
    if not ok:
        failed.append(what)


expect("the limit proxy failing on collisions only is a valid run",
       calibration() + churn(0.15), True, "failed no more than its collisions explain")
expect("the limit proxy failing nearly every call is not a valid run",
       calibration() + churn(1.9), False, "map_churn/limit/10000//1: 1900000 (1.900 per item)")
expect("the limit proxy whose release pool drew a quarter of colliding states is a valid run",
       calibration() + churn(0.15) + [
           row("release/limit/10000/threads:1/manual_time", 1e8, failures=5e5,
               failures_per_item=0.5002)], True, "failed no more than its collisions explain")
expect("a map whose calls failed is not a valid run",
       calibration() + churn(0.15, peer_failures=3), False, "map_churn/cuckoo/10000//1: 3")
expect("a calibration faster than the cores can run it is not a valid run",
       calibration(at_two_threads=3e8) + churn(0.15), False)
expect("a run older than the failures_per_item counter says the limit was not checked",
       calibration() + [row("map_churn/limit/10000/threads:1/manual_time", 1e8, failures=2e6)],
       True, "were not checked against its collisions")

expect("a repeated run whose interconnect stayed put is valid",
       interconnect_rows(off=0, repeated=True), True, "0 rows were measured while")
expect("a repeated run whose interconnect moved for 3 of 11 multi-threaded rows is not valid",
       interconnect_rows(off=3, repeated=True), False, "The cost of moving a cache line")
expect("a run of single repetitions reports the moves but is not judged on them",
       interconnect_rows(off=3, repeated=False), True, "3 rows were measured while")

print(f"report checks: {9 - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
