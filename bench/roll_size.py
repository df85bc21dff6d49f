"""8. State size: the roll of listed videos that `videos` keeps to find deleted ones.

A real first sync of an emulated account (ids made like TikTok's), then 1 % of its videos go
away and a second sync, whose `video_stats` walks the whole list, must send exactly those as
deletion records. The figure is the roll's bytes per video in the state the platform stores.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import SEED, require_success, run_measured, write_json
from bench.scenarios import (
    ECONOMY_NOW,
    UNLIMITED,
    Progress,
    Sizes,
    SyncOutput,
    parse_output,
    read_argv,
    read_files,
)
from tiktok_emulator import TikTokEmulator, generate_dataset

STREAMS = {"videos": "incremental", "video_stats": "incremental"}
DELETED_AT = '"_ab_cdc_deleted_at"'


@dataclass
class RollSize:
    videos: int
    roll_bytes: int  # `listed_videos` in the `videos` state, as JSON
    state_bytes: int  # the whole `videos` state, as JSON
    deleted: int
    deletion_records: int

    @property
    def per_video(self) -> float:
        return self.roll_bytes / self.videos


def roll_size(sizes: Sizes, work: Path, progress: Progress) -> list[RollSize]:
    rows = []
    for videos in sizes.roll_videos:
        progress(f"state size: {videos} videos, then 1 % deleted")
        dataset = generate_dataset(videos=videos, seed=SEED, now=ECONOMY_NOW)
        with TikTokEmulator(dataset=dataset, rate_limit_per_minute=None) as emulator:
            config = emulator.connector_config(requests_per_minute=UNLIMITED)
            _, first = sync(work, f"roll-{videos}-first", config, None)
            state = [first.states["videos"]]
            doomed = [video["id"] for video in emulator.dataset.videos[::100]]
            emulator.delete_videos(doomed)
            second, _ = sync(work, f"roll-{videos}-second", first.config or config, state)
        saved = state[0]["stream"]["stream_state"]
        size = len(json.dumps(saved["listed_videos"]))
        rows.append(RollSize(videos, size, len(json.dumps(saved)), len(doomed), deletions(second)))
    return rows


def sync(
    work: Path, name: str, config: dict[str, Any], state: list[Any] | None
) -> tuple[Path, SyncOutput]:
    files = read_files(work, name, config, STREAMS)
    argv = read_argv("connector", *files)
    if state:
        argv += ["--state", str(write_json(work / f"{name}-state.json", state))]
    out = work / f"{name}.jsonl"
    require_success(f"state size sync '{name}'", run_measured(argv, out), out)
    return out, parse_output(out)


def deletions(out: Path) -> int:
    with out.open() as lines:
        return sum(1 for line in lines if '"RECORD"' in line and DELETED_AT in line)
