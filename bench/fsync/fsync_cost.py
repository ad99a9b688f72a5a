#!/usr/bin/env python3
"""What one fsync costs on a directory's storage: 4 KiB written and fsync'd, N times.

The journal commits with synchronous=FULL, one fsync of the WAL per batch; this is the floor of
that cost, next to which docs/journal.md and docs/PERFORMANCE.md weigh the broker round trip.

    python3 bench/fsync/fsync_cost.py /tmp          # 500 samples
    python3 bench/fsync/fsync_cost.py /dev/shm 2000
    python3 bench/fsync/fsync_cost.py /tmp 400 --datasync

--datasync compares fsync with fdatasync on a 16 KiB region overwritten in place, as the WAL is
once SQLite reuses it: whether the inode's timestamp write (fsync only) adds to a commit's cost.
"""
import os
import sys
import tempfile
import time


def percentile(times: list, fraction: float) -> float:
    return times[min(len(times) - 1, int(len(times) * fraction))] * 1e6


def compare_datasync(directory: str, samples: int) -> None:
    """fsync and fdatasync in turn, each after overwriting 16 KiB in place; wall and CPU time."""
    region = 16384
    with tempfile.NamedTemporaryFile(dir=directory) as handle:
        fd = handle.fileno()
        os.pwrite(fd, b"x" * region * 4, 0)
        os.fsync(fd)
        results = {"fsync": ([], []), "fdatasync": ([], [])}
        for i in range(samples * 2):
            name, sync = ("fsync", os.fsync) if i % 2 == 0 else ("fdatasync", os.fdatasync)
            os.pwrite(fd, b"y" * region, (i % 4) * region)
            start, cpu = time.perf_counter(), time.thread_time()
            sync(fd)
            results[name][1].append(time.thread_time() - cpu)
            results[name][0].append(time.perf_counter() - start)
    for name, (wall, cpu) in results.items():
        wall.sort()
        cpu.sort()
        print(f"{name} after a 16 KiB overwrite under {directory}, {samples} samples: "
              f"p50 {percentile(wall, 0.50):.1f} us, p99 {percentile(wall, 0.99):.1f} us, "
              f"CPU p50 {percentile(cpu, 0.50):.1f} us")


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    if "--datasync" in sys.argv[3:]:
        compare_datasync(directory, samples)
        return 0

    block = b"x" * 4096
    with tempfile.NamedTemporaryFile(dir=directory) as handle:
        times = []
        for _ in range(samples):
            os.write(handle.fileno(), block)
            start = time.perf_counter()
            os.fsync(handle.fileno())
            times.append(time.perf_counter() - start)
    times.sort()

    print(f"fsync of 4 KiB under {directory}, {samples} samples: "
          f"p50 {percentile(times, 0.50):.1f} us, p99 {percentile(times, 0.99):.1f} us, "
          f"max {times[-1] * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
