"""The credential-free demo: the real connector, end to end, against the bundled TikTok emulators.

    python -m integration_tests.demo [--videos N] [--output DIR] [--mode creator|business|both]

Creator mode (Display API): spec, check, discover, a full refresh and then an incremental sync
of every stream, the history streams (video_stats, user_stats) included. Business mode (API for Business): check, discover, a read of every stream and an incremental
one. Each step's raw Airbyte messages are saved, and the rotated refresh token is carried from
one step to the next as the Airbyte platform does with CONTROL messages.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airbyte_cdk.models import Status, Type

from integration_tests.cli import Run, catalog_for, run_connector
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

NEW_VIDEOS = 3
CREATOR_STREAMS = ("user_info", "videos", "video_stats", "user_stats")
HISTORY_STREAMS = ("video_stats", "user_stats")
BUSINESS_CATALOG = Path(__file__).resolve().parent / "configured_catalog_business.json"


class Demo:
    def __init__(self, config: dict[str, Any], output: Path) -> None:
        self.output = output
        self.output.mkdir(parents=True, exist_ok=True)
        self.config = config

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
    parser.add_argument("--mode", choices=("both", "creator", "business"), default="both")
    args = parser.parse_args()
    if args.mode in ("both", "creator"):
        creator(args.videos, args.output)
    if args.mode in ("both", "business"):
        business(args.videos, args.output / "business")
    print()
    print(
        "With real credentials: source-tiktok-organic read --config secrets/config.json "
        "--catalog integration_tests/configured_catalog.json (business mode: see the README)"
    )


def creator(videos: int, output: Path) -> None:
    dataset = generate_dataset(videos=videos, seed=7, now=int(time.time()) - 3600, mid_size=True)
    with TikTokEmulator(dataset=dataset) as emulator:
        print(f"Creator mode: TikTok emulator on {emulator.url} with {videos} videos.")
        demo = Demo(emulator.connector_config(), output)
        demo.step("spec", "spec")
        status = demo.step("check", "check").of_type(Type.CONNECTION_STATUS)[0]
        print(f"  check: {status.connectionStatus.status.value}")
        assert status.connectionStatus.status == Status.SUCCEEDED
        catalog = demo.step("discover", "discover").of_type(Type.CATALOG)[0].catalog
        print(f"  discover: streams {', '.join(s.name for s in catalog.streams)}")

        full = demo.step(
            "read-full-refresh",
            "read",
            catalog=catalog_for(dict.fromkeys(CREATOR_STREAMS, "full_refresh")),
        )
        emulator.add_videos(NEW_VIDEOS, newer=True)
        emulator.bump_counts(factor=1.5)
        incremental = demo.step(
            "read-incremental",
            "read",
            catalog=catalog_for(
                {"user_info": "full_refresh", **dict.fromkeys(CREATOR_STREAMS[1:], "incremental")}
            ),
            state=full.state_messages(),
        )
        summarize(full, incremental, output)


def business(posts: int, output: Path) -> None:
    dataset = generate_business_dataset(posts=posts, seed=7, now=int(time.time()))
    with BusinessEmulator(dataset=dataset) as emulator:
        print()
        print(f"Business mode: API for Business emulator on {emulator.url} with {posts} posts.")
        demo = Demo(emulator.connector_config(), output)
        status = demo.step("check", "check").of_type(Type.CONNECTION_STATUS)[0]
        print(f"  check: {status.connectionStatus.status.value}")
        assert status.connectionStatus.status == Status.SUCCEEDED
        catalog = demo.step("discover", "discover").of_type(Type.CATALOG)[0].catalog
        print(f"  discover: streams {', '.join(s.name for s in catalog.streams)}")
        every = json.loads(BUSINESS_CATALOG.read_text())
        full = demo.step("read", "read", catalog=every)
        again = demo.step("read-incremental", "read", catalog=every, state=full.state_messages())
        summarize_business(full, again, output)


def summarize_business(full: Run, again: Run, output: Path) -> None:
    [profile] = full.records("user_info")
    posts = full.records("videos")
    print(
        f"  profile: {profile.get('display_name')} (@{profile.get('username')}), "
        f"{profile.get('follower_count')} followers, business account: "
        f"{profile.get('is_business_account')}"
    )
    print("  top posts by reach (watch time, full-watch rate):")
    ranked = sorted(posts, key=lambda post: post.get("reach") or 0, reverse=True)
    for post in ranked[:5]:
        rate = post.get("full_video_watched_rate")
        print(
            f"    {post.get('reach') or 0:>9,} reached  {post.get('view_count') or 0:>9,} views  "
            f"{post.get('average_time_watched') or 0:5.1f} s avg  "
            f"{'-' if rate is None else f'{rate:.0%}':>4} full  {post['id']}"
        )
    days = full.records("daily_metrics")
    print(f"  daily_metrics: {len(days)} days, {days[0]['date']} to {days[-1]['date']}; last 3:")
    for day in days[-3:]:
        print(
            f"    {day['date']}  {day.get('video_views') or 0:>7,} views  "
            f"{day.get('followers_count') or 0:>9,} followers  "
            f"new followers: {day.get('daily_new_followers', 'not out yet')}"
        )
    countries = [row for row in full.records("audience_snapshots") if row["dimension"] == "country"]
    top = ", ".join(f"{row['value']} {row['percentage']:.0%}" for row in countries[:4])
    print(f"  audience by country: {top}")
    print(
        f"  incremental: {len(again.records('daily_metrics'))} days read again (TikTok fills "
        f"them in late), {len(again.records('videos'))} posts in the lookback window, "
        f"{len(again.records('video_stats'))} video_stats rows"
    )
    print(f"  raw Airbyte messages: {output.resolve()}/*.jsonl")


def summarize(full: Run, incremental: Run, output: Path) -> None:
    [profile] = full.records("user_info")
    videos = full.records("videos")
    print()
    print("Full refresh:")
    print(f"  records: {record_counts(full)}")
    print(
        f"  profile: {profile.get('display_name')} (@{profile.get('username')}), "
        f"{profile.get('follower_count'):,} followers, {profile.get('video_count')} videos"
    )
    print("  top videos by views:")
    ranked = sorted(videos, key=lambda video: video.get("view_count") or 0, reverse=True)
    for video in ranked[:5]:
        title = (video.get("title") or video.get("video_description") or "(untitled)")[:48]
        title = " ".join(title.split())
        print(f"    {video.get('view_count') or 0:>9,} views  {video['id']}  {title}")
    print_state(full)
    print()
    print(f"Incremental, after {NEW_VIDEOS} new videos were posted and counts grew:")
    print(f"  records: {record_counts(incremental)}")
    print("    videos: the new ones plus the lookback window's fresh counts;")
    print("    video_stats and user_stats: one more snapshot of every video and of the profile")
    print_state(incremental)
    print()
    print(f"Raw Airbyte messages of every step: {output.resolve()}/*.jsonl")


def record_counts(run: Run) -> str:
    return ", ".join(f"{stream} {len(run.records(stream))}" for stream in CREATOR_STREAMS)


def print_state(run: Run) -> None:
    """Where the next sync starts, per stream, as UTC dates rather than epoch seconds."""
    print("  state (where the next sync starts):")
    for message in run.state_messages():
        stream = message["stream"]
        described = describe_cursor(stream["stream_state"])
        if described:
            print(f"    {stream['stream_descriptor']['name']:<12} {described}")


def describe_cursor(state: dict[str, Any]) -> str | None:
    """A stream's saved cursor for a person: `create_time` is epoch seconds, `snapshot_at` ISO."""
    if "create_time" in state:
        moment = datetime.fromtimestamp(state["create_time"], UTC)
        return f"after the video posted {utc(moment)}"
    if "snapshot_at" in state:
        moment = datetime.fromisoformat(state["snapshot_at"])
        return f"after the snapshot of {utc(moment, milliseconds=True)}"
    return None


def utc(moment: datetime, milliseconds: bool = False) -> str:
    """`2026-12-07 04:48:01 UTC`; snapshots a second apart differ in their milliseconds."""
    text = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return f"{text[:-3] if milliseconds else text[:-7]} UTC"


if __name__ == "__main__":
    main()
