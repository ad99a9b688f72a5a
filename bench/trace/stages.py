#!/usr/bin/env python3
"""Splits the end-to-end bench's latency samples at the wake-ups a scheduler trace recorded.

usage: stages.py SAMPLES_FILE PERF_DATA [--slow-us N]

SAMPLES_FILE is the bench's --samples-file output, PERF_DATA a `perf sched record -a -k
CLOCK_MONOTONIC` of the same run (bench/trace/README.md). Each sample is split where
  1. a thread of the bench's process wakes Mosquitto (the PUBLISH has been written),
  2. Mosquitto wakes a thread of the subscriber's process (the message has been forwarded),
  3. the sample ends (the subscriber's process stamped it),
and for each row the script prints the median of each stage over the samples under the slow
threshold, each stage's share of samples over 300 µs, and how long Mosquitto took to run once woken.
"""
import argparse
import bisect
import re
import statistics
import subprocess
import sys

PIDS = re.compile(r"pids: bench (\d+) subscriber (\d+) broker (\d+)")
# "  comm  PID/TID [CPU] SECONDS.NANOS: sched:EVENT: fields"; comm may contain spaces.
EVENT = re.compile(r"^\s*.*?\s+(\d+)/(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d+):\s+sched:(sched_\w+):\s(.*)$")
WAKING = re.compile(r"comm=.*? pid=(\d+) prio=\d+ target_cpu=(\d+)")
SWITCH_IN = re.compile(r"==> next_comm=.*? next_pid=(\d+)")


def read_samples(path):
    pids, samples = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                pids = pids or PIDS.search(line)
                continue
            row, start, latency = line.split()
            samples.append((row, int(start), int(latency)))
    if pids is None:
        sys.exit(f"{path}: no 'pids:' header line; is it a --samples-file of the bench?")
    return tuple(pids.groups()), samples


def read_trace(path):
    """Wakings (time, waker pid, waker tid, wakee tid), broker switch-ins, and tid → pid."""
    try:
        script = subprocess.run(
            ["perf", "script", "--ns", "-i", path, "-F", "time,cpu,pid,tid,comm,event,trace"],
            check=True, capture_output=True, text=True, errors="replace").stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", None) or str(e)
        sys.exit(f"perf script could not read {path}: {detail.strip()}")
    wakings, switch_ins, pid_of = [], [], {}
    for line in script.splitlines():
        m = EVENT.match(line)
        if not m:
            continue
        pid, tid, _, sec, ns, event, fields = m.groups()
        t = int(sec) * 1_000_000_000 + int(ns)
        pid_of[tid] = pid
        if event == "sched_waking":
            w = WAKING.search(fields)
            if w:
                wakings.append((t, pid, tid, w.group(1)))
        elif event == "sched_switch":
            s = SWITCH_IN.search(fields)
            if s:
                switch_ins.append((t, s.group(1)))
    return wakings, switch_ins, pid_of


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("samples")
    parser.add_argument("perf_data")
    parser.add_argument("--slow-us", type=int, default=600,
                        help="slow sample threshold in µs (default 600)")
    args = parser.parse_args()
    (bench, subscriber, broker), samples = read_samples(args.samples)
    wakings, switch_ins, pid_of = read_trace(args.perf_data)
    times = [w[0] for w in wakings]
    broker_in = sorted(t for t, tid in switch_ins if tid == broker)
    slow_ns = args.slow_us * 1000

    rows = {}
    for row, start, latency in samples:
        end = start + latency
        published = forwarded = None
        window = wakings[bisect.bisect_left(times, start):bisect.bisect_right(times, end)]
        for t, pid, _, wakee in window:
            if published is None and pid == bench and wakee == broker:
                published = t
            elif published is not None and pid == broker and pid_of.get(wakee) == subscriber:
                forwarded = t
                break
        r = rows.setdefault(row, {"n": 0, "slow": 0, "split": [], "broker_wait": []})
        r["n"] += 1
        r["slow"] += latency > slow_ns
        if forwarded is None:
            continue
        r["split"].append(
            (published - start, forwarded - published, end - forwarded, latency > slow_ns))
        i = bisect.bisect_left(broker_in, published)
        if i < len(broker_in):
            r["broker_wait"].append(broker_in[i] - published)

    names = ("start → PUBLISH written", "→ broker forwards", "→ stamped by the subscriber")
    print(f"| row | samples | over {args.slow_us} µs | split | "
          + " | ".join(f"{n}: median, over 300 µs" for n in names)
          + " | broker woken → running, median |")
    print("| --- " * (5 + len(names)) + "|")
    for row, r in rows.items():
        split = r["split"]
        cells = []
        for k in range(len(names)):
            fast = [s[k] for s in split if not s[3]]
            over = 100 * sum(s[k] > 300_000 for s in split) / max(len(split), 1)
            median = f"{statistics.median(fast) / 1000:.0f} µs" if fast else "n/a"
            cells.append(f"{median}, {over:.2f} %")
        wait = f"{statistics.median(r['broker_wait']) / 1000:.0f} µs" if r["broker_wait"] else "n/a"
        slow = 100 * r["slow"] / r["n"]
        print(f"| {row} | {r['n']} | {slow:.2f} % | {len(split)} | "
              + " | ".join(cells) + f" | {wait} |")


if __name__ == "__main__":
    main()
