"""Peak memory of a business-mode read whose every post carries a giant retention curve.

`python -m bench.giant_arrays [--posts 45] [--entries 100000]`: the installed command reads
`videos` and `video_stats` from the API for Business emulator (its `retention_entries` knob),
and this prints the read's peak RSS, its records and the error it ended with, if any.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import count_records, run_measured
from bench.scenarios import read_argv, read_files
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

STREAMS = {"videos": "full_refresh", "video_stats": "full_refresh"}


def measure(posts: int, entries: int, work: Path) -> str:
    """One read, summed up in a line."""
    dataset = generate_business_dataset(posts=posts, seed=7, now=int(time.time()))
    with BusinessEmulator(dataset=dataset, rate_limit_per_minute=None) as emulator:
        emulator.knobs.retention_entries = entries
        files = read_files(work, "giant", emulator.connector_config(), STREAMS)
        out = work / "giant.jsonl"
        measured = run_measured(read_argv("connector", *files), out)
    errors = [
        message["trace"]["error"]["message"]
        for message in map(json.loads, out.read_text().splitlines())
        if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR"
    ]
    return (
        f"{posts} posts x {entries} retention entries: peak RSS "
        f"{measured.max_rss_kib / 1024:.0f} MiB, {count_records(out)} records, exit "
        f"{measured.returncode}, {measured.wall_s:.1f} s"
        + "".join(f"\n  error: {e}" for e in errors)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.giant_arrays", description=__doc__)
    parser.add_argument("--posts", type=int, default=45)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tiktok-giant-") as folder:
        print(measure(args.posts, args.entries, Path(folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
