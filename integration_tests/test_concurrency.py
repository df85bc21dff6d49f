"""A large account read by several workers at once: the same records and state as one walk."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from airbyte_cdk.models import Type

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.conftest import DATASET_NOW, config_for
from tiktok_emulator import TikTokEmulator, generate_dataset

LIST = "/v2/video/list/"
VIDEOS = 1_500


@pytest.fixture
def large() -> Any:
    # a little latency, so that a worker really waits for its answer while the others ask; one
    # emulator per test, as TikTok's one-minute window is per test: a module's reads run back to
    # back (in one process, as mutmut runs them) ask far more than 600 times a minute
    dataset = generate_dataset(videos=VIDEOS, seed=31, now=DATASET_NOW)
    with TikTokEmulator(dataset=dataset, latency_ms=3) as emu:
        yield emu


CONFIGS: dict[int, dict[str, Any]] = {}  # each emulator's latest config: every run rotates it


def read(emu: TikTokEmulator, streams: dict[str, str], workers: int, state: Any = None) -> Run:
    emu.reset_counts()
    config = {**CONFIGS.get(id(emu), config_for(emu, lookback_days=7)), "num_workers": workers}
    run = run_connector("read", config, catalog_for(streams), state)
    assert run.returncode == 0, run.errors()
    CONFIGS[id(emu)] = run.latest_config(config)
    return run


def list_calls(emu: TikTokEmulator) -> int:
    return emu.stats()["counts"][LIST]


def test_given_workers_when_reading_a_large_account_then_records_and_state_match_one_walk(
    large: TikTokEmulator,
) -> None:
    alone = read(large, {"videos": "incremental"}, workers=1)
    alone_calls = list_calls(large)
    assert large.stats()["most_in_flight"][LIST] == 1
    together = read(large, {"videos": "incremental"}, workers=8)
    assert large.stats()["most_in_flight"][LIST] > 1
    ids = [r["id"] for r in together.records()]
    assert sorted(ids) == sorted(r["id"] for r in alone.records())
    assert len(ids) == len(set(ids)) == VIDEOS
    assert together.states()[-1] == alone.states()[-1]
    # each window costs about one request more (the page that crosses its floor), plus the probe
    assert alone_calls <= list_calls(large) <= alone_calls * 1.2
    assert not any(key.endswith(" 429") for key in large.stats()["status_counts"])


def test_given_both_list_streams_when_reading_with_workers_then_each_walks_the_list_once(
    large: TikTokEmulator,
) -> None:
    read(large, {"videos": "full_refresh"}, workers=8)
    videos_alone = list_calls(large)
    both = read(large, {"videos": "full_refresh", "video_stats": "incremental"}, workers=8)
    # no page is shared: each stream walks the list in the same windows, and no more
    assert list_calls(large) == 2 * videos_alone
    stats_ids = [r["video_id"] for r in both.records() if "video_id" in r]
    video_ids = [r["id"] for r in both.records() if "video_id" not in r]
    assert sorted(stats_ids) == sorted(video_ids)
    assert len(stats_ids) == len(set(video_ids)) == VIDEOS


def test_given_both_list_streams_and_one_worker_then_one_walk_at_a_time(
    large: TikTokEmulator,
) -> None:
    """Two walks at once would each hold a parsed answer: the list streams are read in turn,
    `videos` last, so a whole walk of video_stats' can tell it what is gone."""
    both = read(large, {"videos": "full_refresh", "video_stats": "incremental"}, workers=1)
    assert large.stats()["most_in_flight"][LIST] == 1
    streams = [m.record.stream for m in both.messages if m.type == Type.RECORD and m.record]
    assert streams == ["video_stats"] * VIDEOS + ["videos"] * VIDEOS


def test_given_the_previous_versions_resume_state_then_the_interrupted_walk_is_read_whole(
    large: TikTokEmulator,
) -> None:
    """The resume fields only shortened a walk: dropping them re-reads that walk, losing none."""
    newest = sorted((v["create_time"] for v in large.dataset.videos), reverse=True)
    resume_before = newest[VIDEOS // 3] * 1000
    resumed_state = {"resume_before_ms": resume_before, "resume_newest_create_time": newest[0]}
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "videos"}, "stream_state": resumed_state},
        }
    ]
    resumed = read(large, {"videos": "incremental"}, workers=8, state=state)
    ids = [r["id"] for r in resumed.records()]
    assert sorted(ids) == sorted(v["id"] for v in large.dataset.videos)
    assert resumed.states()[-1]["create_time"] == newest[0]


def test_given_windows_closing_while_records_wait_then_no_state_precedes_a_video_it_claims(
    large: TikTokEmulator,
) -> None:
    """A window's STATE is printed behind the window's records, never before the last of them."""
    run = read(large, {"videos": "incremental"}, workers=8)
    created = {v["id"]: v["create_time"] for v in large.dataset.videos}
    emitted: set[str] = set()
    states = 0
    for message in run.messages:
        if message.type == Type.RECORD:
            emitted.add(message.record.data["id"])
        elif message.type == Type.STATE:
            claimed = message.state.stream.stream_state.__dict__.get("create_time", 0)
            assert {i for i, moment in created.items() if moment <= claimed} <= emitted
            states += 1
    assert states > 2, "the windows each closed with a STATE of their own"


def test_given_a_saved_cursor_then_an_incremental_read_is_one_walk_with_no_estimate(
    large: TikTokEmulator,
) -> None:
    """However large the account, an incremental read walks down from the newest video to its
    lookback, one page after another: no probe, no cut, and no estimate of the whole list."""
    newest = max(v["create_time"] for v in large.dataset.videos)
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "videos"},
                "stream_state": {"create_time": newest},
            },
        }
    ]
    read(large, {"videos": "incremental"}, workers=1, state=state)
    sequential = list_calls(large)
    run = read(large, {"videos": "incremental"}, workers=8, state=state)
    recent = [v for v in large.dataset.videos if v["create_time"] > newest - 7 * 86_400]
    assert len(run.records()) == len(recent)
    assert list_calls(large) == sequential <= len(recent) // 20 + 1
    assert large.stats()["most_in_flight"][LIST] == 1
    assert not [m for m in run.messages if m.type == Type.TRACE and m.trace.estimate]


def test_given_start_date_when_workers_cut_a_large_account_then_none_before_it_is_read(
    large: TikTokEmulator,
) -> None:
    times = sorted(v["create_time"] for v in large.dataset.videos)
    cutoff = times[len(times) // 2]
    start_date = datetime.fromtimestamp(cutoff, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    large.reset_counts()
    config = {**config_for(large, start_date=start_date), "num_workers": 8}
    run = run_connector("read", config, catalog_for({"videos": "full_refresh"}))
    assert run.returncode == 0, run.errors()
    assert large.stats()["most_in_flight"][LIST] > 1, "the list was cut into windows"
    ids = [r["id"] for r in run.records()]
    assert sorted(ids) == sorted(
        v["id"] for v in large.dataset.videos if v["create_time"] >= cutoff
    )


def test_given_workers_and_a_deployment_refusing_is_aigc_then_every_video_once_and_one_warning(
    large: TikTokEmulator,
) -> None:
    large.faults.aigc = "unknown"
    run = read(large, {"videos": "full_refresh", "video_stats": "full_refresh"}, workers=4)
    for stream, key in (("videos", "id"), ("video_stats", "video_id")):
        ids = [record[key] for record in run.records(stream)]
        assert len(ids) == len(set(ids)) == VIDEOS
        assert not any("is_aigc" in record for record in run.records(stream))
    assert run.logs().count("refused the field 'is_aigc'") == 1
    assert large.stats()["status_counts"][f"{LIST} 400"] == 1
