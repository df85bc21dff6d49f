"""The credential-free demo: the real connector, end to end, against the bundled TikTok emulator.

    python -m integration_tests.demo [--videos N] [--output DIR]

It runs spec, check, discover, a full refresh and then an incremental sync, saving each step's
raw Airbyte messages, and carries the rotated refresh token from one step to the next as the
Airbyte platform does with CONTROL messages.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from airbyte_cdk.models import Status, Type

from integration_tests.cli import Run, catalog_for, run_connector
from tiktok_emulator import TikTokEmulator, generate_dataset

NEW_VIDEOS = 3


class Demo:
    def __init__(self, emulator: TikTokEmulator, output: Path) -> None:
        self.output = output
        self.config: dict[str, Any] = emulator.connector_config()

    def step(self, name: str, command: str, **files: Any) -> Run:
        run = run_connector(command, None if command == "spec" else self.config, **files)
        (self.output / f"{name}.jsonl").write_text(run.stdout, encoding="utf-8")
        if run.returncode != 0:
            raise SystemExit(f"{name} failed:\n" + "\n".join(run.errors() or [run.stderr[-3000:]]))
        rotated = run.latest_config(self.config)
        if rotated is not self.config:
            print(f"  {name}: TikTok rotated the refresh token; config updated from CONTROL")
            self.config = rotated
            (self.output / "config.json").write_text(json.dumps(self.config, indent=2))
        return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=120)
    parser.add_argument("--output", type=Path, default=Path("output/demo"))
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)

    dataset = generate_dataset(videos=args.videos, seed=7, now=int(time.time()) - 3600)
    with TikTokEmulator(dataset=dataset) as emulator:
        print(f"TikTok emulator on {emulator.url} with {args.videos} videos; no account needed.")
        demo = Demo(emulator, args.output)
        demo.step("spec", "spec")
        status = demo.step("check", "check").of_type(Type.CONNECTION_STATUS)[0]
        print(f"  check: {status.connectionStatus.status.value}")
        assert status.connectionStatus.status == Status.SUCCEEDED
        catalog = demo.step("discover", "discover").of_type(Type.CATALOG)[0].catalog
        print(f"  discover: streams {', '.join(s.name for s in catalog.streams)}")

        full = demo.step(
            "read-full-refresh",
            "read",
            catalog=catalog_for({"user_info": "full_refresh", "videos": "full_refresh"}),
        )
        emulator.add_videos(NEW_VIDEOS, newer=True)
        emulator.bump_counts(factor=1.5)
        incremental = demo.step(
            "read-incremental",
            "read",
            catalog=catalog_for({"videos": "incremental"}),
            state=full.state_messages(),
        )
        summarize(full, incremental, args.output)


def summarize(full: Run, incremental: Run, output: Path) -> None:
    [profile] = full.records("user_info")
    videos = full.records("videos")
    print()
    print("Full refresh:")
    print(f"  user_info: {len(full.records('user_info'))} record; videos: {len(videos)} records")
    print(
        f"  profile: {profile.get('display_name')} (@{profile.get('username')}), "
        f"{profile.get('follower_count')} followers, {profile.get('video_count')} videos"
    )
    print("  top videos by views:")
    ranked = sorted(videos, key=lambda video: video.get("view_count") or 0, reverse=True)
    for video in ranked[:5]:
        title = (video.get("title") or video.get("video_description") or "(untitled)")[:48]
        title = " ".join(title.split())
        print(f"    {video.get('view_count') or 0:>13,} views  {video['id']}  {title}")
    print(f"  state: {json.dumps(full.states()[-1])}")
    print()
    fresh = incremental.records("videos")
    print(f"Incremental, after {NEW_VIDEOS} new videos were posted and counts grew:")
    print(f"  videos: {len(fresh)} records (new ones plus the lookback window's fresh counts)")
    print(f"  state: {json.dumps(incremental.states()[-1])}")
    print()
    print(f"Raw Airbyte messages of every step: {output.resolve()}/*.jsonl")
    print(
        "With real credentials: source-tiktok-organic read --config secrets/config.json "
        "--catalog integration_tests/configured_catalog.json"
    )


if __name__ == "__main__":
    main()
