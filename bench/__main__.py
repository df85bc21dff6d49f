"""`python -m bench [--quick] [--output PATH]`: every scenario, then the report."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import report, scenarios
from bench.harness import ROOT
from bench.profiling import profile_connector


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(quick: bool, output: Path) -> report.Results:
    """Runs every scenario in a scratch folder and writes the report to `output`."""
    sizes = scenarios.QUICK if quick else scenarios.Sizes()
    started = time.perf_counter()
    started_utc = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tiktok-bench-") as folder:
        work = Path(folder)
        if quick:
            progress("warm-up: skipped in --quick mode (its numbers mean nothing anyway)")
        else:
            scenarios.warm_up(work, progress)
        throughput = scenarios.throughput(sizes, work, progress)
        memory = scenarios.memory(sizes, work, progress)
        startup = scenarios.startup(sizes, work, progress)
        economy = scenarios.economy(sizes, work, progress)
        conditions = scenarios.conditions(
            sizes.conditions_videos, sizes.conditions_latency_ms, work, progress, "tiktok"
        )
        binding = None
        if sizes.binding_videos is not None:
            binding = scenarios.conditions(
                sizes.binding_videos, 0, work, progress, "binding", programs=("connector",)
            )
        else:
            progress("rate-limit-binding run: not run in --quick mode (takes over a minute)")
        profile = profile_connector(sizes.profile_videos, work, progress)
    results = report.Results(
        command="uv run --frozen python -m bench" + (" --quick" if quick else ""),
        quick=quick,
        sizes=sizes,
        started_utc=started_utc,
        elapsed_s=time.perf_counter() - started,
        load_before=load_before,
        load_after=os.getloadavg(),
        throughput=throughput,
        memory=memory,
        startup=startup,
        economy=economy,
        conditions=conditions,
        binding=binding,
        profile=profile,
    )
    report.write(results, output)
    progress(f"wrote {output} in {results.elapsed_s:.0f} s")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args(argv)
    run(args.quick, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
