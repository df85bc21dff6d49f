"""`python -m bench.waits`: the "What users wait for" runs alone, the window peer among them.

    python -m bench.waits --videos 2000 --latency-ms 150

Prints that section of the report and its targets, as `python -m bench` would write them, and
leaves BENCHMARKS.md alone: the section can be re-run while the read path changes without the
whole benchmark's hour.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

from bench import report, scenarios


def progress(message: str) -> None:
    print(f"[bench.waits {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    full = scenarios.Sizes()
    parser = argparse.ArgumentParser(prog="python -m bench.waits", description=__doc__)
    parser.add_argument("--videos", type=int, nargs="+", default=list(full.wait_videos))
    parser.add_argument("--latency-ms", type=int, nargs="+", default=list(full.wait_latencies_ms))
    parser.add_argument(
        "--one-worker-max",
        type=int,
        default=full.wait_one_worker_max,
        help="also read with one worker, up to this many videos",
    )
    args = parser.parse_args(argv)
    sizes = dataclasses.replace(
        full,
        wait_videos=tuple(args.videos),
        wait_latencies_ms=tuple(args.latency_ms),
        wait_one_worker_max=args.one_worker_max,
    )
    with tempfile.TemporaryDirectory(prefix="tiktok-bench-waits-") as folder:
        rows = scenarios.waits(sizes, Path(folder), progress)
    goals = report.wait_targets(rows)
    print(report.waits_section(rows).strip())
    print("\n### Targets\n")
    print(
        report.table(
            ["Target", "Measured", "Verdict"],
            [[t.goal, t.measured, report.verdict(t.met)] for t in goals],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
