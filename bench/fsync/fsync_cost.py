#!/usr/bin/env python3
"""What one fsync costs on a directory's storage: 4 KiB written and fsync'd, N times.

The journal commits with synchronous=FULL, one fsync of the WAL per batch; this is the floor of
that cost, next to which docs/journal.md and docs/PERFORMANCE.md weigh the broker round trip.

    python3 bench/fsync/fsync_cost.py /tmp          # 500 samples
    python3 bench/fsync/fsync_cost.py /dev/shm 2000
"""
import os
import sys
import tempfile
import time


def main() -> int:
    directory = sys.argv[1] if len(sys.argv) > 1 else "."
    samples = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    block = b"x" * 4096
    with tempfile.NamedTemporaryFile(dir=directory) as handle:
        times = []
        for _ in range(samples):
            os.write(handle.fileno(), block)
            start = time.perf_counter()
            os.fsync(handle.fileno())
            times.append(time.perf_counter() - start)
    times.sort()

    def at(fraction: float) -> float:
        return times[min(len(times) - 1, int(len(times) * fraction))] * 1e6

    print(f"fsync of 4 KiB under {directory}, {samples} samples: "
          f"p50 {at(0.50):.1f} us, p99 {at(0.99):.1f} us, max {times[-1] * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
