"""7. Peak memory of a business-mode read whose every post carries a giant retention curve.

The installed command reads `videos` and `video_stats` from the API for Business emulator, whose
`retention_entries` knob gives every post a curve of that many entries. `python -m bench` runs
the sizes of its `Sizes`; `python -m bench.giant_arrays [--posts 45] [--entries 100000]` one read,
summed up in a line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import SEED, count_records, run_measured
from bench.scenarios import Progress, Runs, Sizes, read_argv, read_files
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

STREAMS = {"videos": "full_refresh", "video_stats": "full_refresh"}


@dataclass
class GiantRead:
    """One read; it may end in the connector's error for an answer over its size limit."""

    posts: int
    entries: int | None  # None: the emulator's own curves
    runs: Runs
    errors: list[str] = field(default_factory=list)

    @property
    def read_whole(self) -> bool:
        return self.runs.measurements[-1].returncode == 0


def read(posts: int, entries: int | None, work: Path) -> GiantRead:
    dataset = generate_business_dataset(posts=posts, seed=SEED, now=int(time.time()))
    with BusinessEmulator(dataset=dataset, rate_limit_per_minute=None) as emulator:
        emulator.knobs.retention_entries = entries
        name = f"giant-{entries or 'own'}"
        files = read_files(work, name, emulator.connector_config(), STREAMS)
        out = work / f"{name}.jsonl"
        runs = Runs(name)
        runs.measurements.append(run_measured(read_argv("connector", *files), out))
    runs.records.append(count_records(out))
    errors = [
        message["trace"]["error"]["message"]
        for message in map(json.loads, out.read_text().splitlines())
        if message.get("type") == "TRACE" and message["trace"].get("type") == "ERROR"
    ]
    out.unlink()
    return GiantRead(posts, entries, runs, errors)


def giant(sizes: Sizes, work: Path, progress: Progress) -> list[GiantRead]:
    """Curves from the emulator's own to past the largest answer the connector reads."""
    found = []
    for entries in sizes.giant_entries:
        progress(f"insight arrays: {sizes.giant_posts} posts x {entries or 'own'} entries")
        found.append(read(sizes.giant_posts, entries, work))
    return found


def measure(posts: int, entries: int, work: Path) -> str:
    """One read, summed up in a line."""
    done = read(posts, entries, work)
    measured = done.runs.measurements[-1]
    return (
        f"{posts} posts x {entries} retention entries: peak RSS "
        f"{measured.max_rss_kib / 1024:.0f} MiB, {done.runs.records[-1]} records, exit "
        f"{measured.returncode}, {measured.wall_s:.1f} s"
        + "".join(f"\n  error: {e}" for e in done.errors)
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
