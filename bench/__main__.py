"""`python -m bench [--quick] [--output PATH]`: every scenario, then the report."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import business, giant_arrays, report, roll_size, scenarios
from bench.harness import ROOT
from bench.profiling import profile_connector


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(quick: bool, output: Path) -> report.Results:
    """Runs every scenario in a scratch folder and writes the report to `output`."""
    sizes = scenarios.QUICK if quick else scenarios.Sizes()
    started = time.perf_counter()
    started_utc = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    measured = report.git_description()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tiktok-bench-") as folder:
        work = Path(folder)
        if quick:
            progress("warm-up: skipped in --quick mode (its numbers mean nothing anyway)")
        else:
            scenarios.warm_up(work, progress)
        sections: dict[str, Callable[[Path], Any]] = {
            "throughput": lambda at: scenarios.throughput(sizes, at, progress),
            "memory": lambda at: scenarios.memory(sizes, at, progress),
            "startup": lambda at: scenarios.startup(sizes, at, progress),
            "economy": lambda at: scenarios.economy(sizes, at, progress),
            "conditions": lambda at: scenarios.conditions(
                sizes.conditions_videos, sizes.conditions_latency_ms, at, progress, "tiktok"
            ),
            "binding": lambda at: binding_run(sizes, at),
            "profile": lambda at: profile_connector(sizes.profile_videos, at, progress),
            "waits": lambda at: scenarios.waits(sizes, at, progress),
            "business": lambda at: business.business(sizes, at, progress),
            "giant": lambda at: giant_arrays.giant(sizes, at, progress),
            "roll": lambda at: roll_size.roll_size(sizes, at, progress),
        }
        done = run_sections(sections, work, side_by_side=quick)
    results = report.Results(
        command="uv run --frozen python -m bench" + (" --quick" if quick else ""),
        quick=quick,
        sizes=sizes,
        measured=measured,
        started_utc=started_utc,
        elapsed_s=time.perf_counter() - started,
        load_before=load_before,
        load_after=os.getloadavg(),
        throughput=done["throughput"],
        memory=done["memory"],
        startup=done["startup"],
        economy=done["economy"],
        conditions=done["conditions"],
        binding=done["binding"],
        profile=done["profile"],
        waits=done["waits"],
        business=done["business"],
        giant=done["giant"],
        roll=done["roll"],
    )
    drawn = report.write(results, output)
    progress(f"wrote {output} and {len(drawn)} charts beside it in {results.elapsed_s:.0f} s")
    return results


def binding_run(sizes: scenarios.Sizes, work: Path) -> scenarios.Conditions | None:
    if sizes.binding_videos is None:
        progress("rate-limit-binding run: not run in --quick mode (takes over a minute)")
        return None
    return scenarios.conditions(
        sizes.binding_videos, 0, work, progress, "binding", programs=("connector",)
    )


def run_sections(
    sections: dict[str, Callable[[Path], Any]], work: Path, side_by_side: bool
) -> dict[str, Any]:
    """Each section in a folder of its own; in --quick mode all at once, since its numbers mean
    nothing and the smoke test only needs each section produced from real runs."""
    folders = {name: work / name for name in sections}
    for folder in folders.values():
        folder.mkdir()
    if not side_by_side:
        return {name: section(folders[name]) for name, section in sections.items()}
    with ThreadPoolExecutor(len(sections)) as pool:
        futures = {name: pool.submit(section, folders[name]) for name, section in sections.items()}
        return {name: future.result() for name, future in futures.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run each")
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "BENCHMARKS.md",
        help="the report; its charts go to bench/charts/ beside it",
    )
    args = parser.parse_args(argv)
    run(args.quick, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
