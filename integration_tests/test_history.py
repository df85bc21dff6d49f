"""Fresh engagement metrics and their history: lookback window, snapshot streams, estimates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from airbyte_cdk.models import TraceType, Type

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.conftest import config_for
from tiktok_emulator import TikTokEmulator

DAY = 86_400
LIST = "/v2/video/list/"


def estimates(run: Run) -> dict[str, int]:
    return {
        m.trace.estimate.name: m.trace.estimate.row_estimate
        for m in run.of_type(Type.TRACE)
        if m.trace.type == TraceType.ESTIMATE
    }


def incremental_pair(emu: TikTokEmulator, lookback_days: int) -> tuple[Run, Run, list[dict]]:
    """A first sync, then counts grow and videos are posted, then an incremental sync."""
    config = config_for(emu, lookback_days=lookback_days)
    catalog = catalog_for({"videos": "incremental"})
    first = run_connector("read", config, catalog)
    bumped = emu.bump_counts()
    added = emu.add_videos(2, newer=True)
    emu.reset_counts()
    second = run_connector("read", first.latest_config(config), catalog, first.state_messages())
    assert second.returncode == 0, second.errors()
    return first, second, bumped + added


def test_given_lookback_when_counts_change_then_exactly_the_window_is_reemitted_with_new_counts(
    emulator: TikTokEmulator,
) -> None:
    first, second, _ = incremental_pair(emulator, lookback_days=7)
    cursor = first.states()[-1]["create_time"]
    window = {
        video["id"]: video
        for video in emulator.dataset.videos
        if video["create_time"] > cursor - 7 * DAY
    }
    seen = {record["id"]: record for record in second.records()}
    assert set(seen) == set(window)
    assert len(second.records()) == len(seen)
    for video_id, record in seen.items():
        assert record["view_count"] == window[video_id]["view_count"]
    newest = max(video["create_time"] for video in emulator.dataset.videos)
    assert second.states()[-1]["create_time"] == newest


def test_given_no_lookback_when_counts_change_then_only_new_videos(
    emulator: TikTokEmulator,
) -> None:
    _, second, changed = incremental_pair(emulator, lookback_days=0)
    assert {record["id"] for record in second.records()} == {v["id"] for v in changed[-2:]}
    assert emulator.counts[LIST] == 1


def test_given_video_stats_when_syncing_twice_then_one_row_per_video_per_sync_appended(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    catalog = catalog_for({"video_stats": "incremental"})
    first = run_connector("read", config, catalog)
    emulator.bump_counts()
    second = run_connector("read", first.latest_config(config), catalog, first.state_messages())
    ids = {video["id"] for video in emulator.dataset.videos}
    for run in (first, second):
        rows = run.records("video_stats")
        assert {row["video_id"] for row in rows} == ids
        assert len(rows) == len(ids)
        assert len({row["snapshot_at"] for row in rows}) == 1
    before = {r["video_id"]: r for r in first.records()}
    after = {r["video_id"]: r for r in second.records()}
    assert first.records()[0]["snapshot_at"] < second.records()[0]["snapshot_at"]
    grown = [
        vid for vid in ids if (after[vid]["view_count"] or 0) > (before[vid]["view_count"] or 0)
    ]
    assert grown, "the second snapshot must carry the new counts"
    assert second.states("video_stats")[-1] == {"snapshot_at": second.records()[0]["snapshot_at"]}


def test_given_videos_and_video_stats_selected_then_each_walks_the_list_once(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    alone = run_connector("read", config, catalog_for({"videos": "full_refresh"}))
    alone_requests = emulator.counts[LIST]
    emulator.reset_counts()
    both = run_connector(
        "read",
        alone.latest_config(config),
        catalog_for({"videos": "full_refresh", "video_stats": "full_refresh"}),
    )
    assert both.returncode == 0, both.errors()
    assert emulator.counts[LIST] == 2 * alone_requests  # no page is shared between the two
    assert len(both.records("videos")) == len(both.records("video_stats")) == 45


@pytest.mark.parametrize(("days", "pages"), [(7, 1), (30, 2)])
def test_given_stats_scope_lookback_then_only_recent_videos_and_no_extra_pages(
    emulator: TikTokEmulator, days: int, pages: int
) -> None:
    """20 videos a page: a page past the window's edge is never asked for."""
    config = config_for(emulator, video_stats_scope="lookback", lookback_days=days)
    run = run_connector("read", config, catalog_for({"video_stats": "full_refresh"}))
    newest = max(video["create_time"] for video in emulator.dataset.videos)
    expected = {v["id"] for v in emulator.dataset.videos if v["create_time"] > newest - days * DAY}
    assert 0 < len(expected) < 45
    assert {row["video_id"] for row in run.records()} == expected
    assert emulator.counts[LIST] == pages


def test_given_stats_scope_lookback_and_a_later_start_date_then_start_date_bounds_it(
    emulator: TikTokEmulator,
) -> None:
    """A year of lookback reaches past start_date: no video before start_date gets a snapshot."""
    times = sorted(video["create_time"] for video in emulator.dataset.videos)
    cutoff = times[len(times) // 2]
    assert times[-1] - 365 * DAY < cutoff, "the year of lookback must reach past the cutoff"
    start_date = datetime.fromtimestamp(cutoff, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = config_for(
        emulator, video_stats_scope="lookback", lookback_days=365, start_date=start_date
    )
    run = run_connector("read", config, catalog_for({"video_stats": "full_refresh"}))
    assert run.returncode == 0, run.errors()
    expected = {v["id"] for v in emulator.dataset.videos if v["create_time"] >= cutoff}
    assert {row["video_id"] for row in run.records()} == expected


def test_given_a_walk_that_fails_then_video_stats_keeps_its_last_whole_snapshot(
    emulator: TikTokEmulator,
) -> None:
    """A snapshot cut short is not whole: snapshot_at stays the last sync's that was."""
    emulator.faults.stuck_cursor_after_pages = 1
    saved = {"snapshot_at": "2026-01-01T00:00:00.000+00:00"}
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "video_stats"}, "stream_state": saved},
        }
    ]
    run = run_connector(
        "read",
        config_for(emulator),
        catalog_for({"video_stats": "full_refresh"}),
        state,
        fails=True,
    )
    assert any("stopped advancing" in error for error in run.errors()), run.errors()
    assert 0 < len(run.records()) < len(emulator.dataset.videos)
    assert run.states("video_stats")[-1] == saved


def test_given_stats_scope_when_syncing_user_stats_then_one_snapshot_per_sync(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    run = run_connector("read", config, catalog_for({"user_stats": "incremental"}))
    [row] = run.records("user_stats")
    assert row["video_count"] == len(emulator.dataset.videos)
    assert set(row) == {
        "open_id",
        "snapshot_at",
        "follower_count",
        "following_count",
        "likes_count",
        "video_count",
    }


def test_given_no_stats_scope_then_user_stats_unavailable_and_the_rest_goes_on(
    emulator: TikTokEmulator,
) -> None:
    token = emulator.issue_refresh_token(["user.info.basic", "video.list"])
    config = config_for(emulator, refresh_token=token)
    run = run_connector(
        "read", config, catalog_for({"user_stats": "incremental", "videos": "full_refresh"})
    )
    assert run.returncode == 0, run.errors()
    assert run.records("user_stats") == []
    assert len(run.records("videos")) == 45
    assert "user.info.stats" in run.stdout
    assert "unavailable" in run.stdout


def test_given_whole_account_reads_then_estimates_are_emitted_for_progress(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    run = run_connector(
        "read", config, catalog_for({"videos": "full_refresh", "video_stats": "full_refresh"})
    )
    assert estimates(run) == {"videos": 45, "video_stats": 45}


def test_given_videos_incremental_and_stats_in_its_window_then_each_reads_only_its_window(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator, lookback_days=7, video_stats_scope="lookback")
    first = run_connector("read", config, catalog_for({"videos": "incremental"}))
    emulator.add_videos(2, newer=True)
    state = first.state_messages()
    config = first.latest_config(config)
    emulator.reset_counts()
    alone = run_connector("read", config, catalog_for({"videos": "incremental"}), state)
    alone_requests = emulator.counts[LIST]
    config = alone.latest_config(config)
    emulator.reset_counts()
    stats = run_connector("read", config, catalog_for({"video_stats": "full_refresh"}))
    stats_requests = emulator.counts[LIST]
    emulator.reset_counts()
    both = run_connector(
        "read",
        stats.latest_config(config),
        catalog_for({"video_stats": "full_refresh", "videos": "incremental"}),
        state,
    )
    assert both.returncode == 0, both.errors()
    assert emulator.counts[LIST] == alone_requests + stats_requests <= 4
    assert both.records("video_stats")


def test_given_user_info_read_first_then_estimate_and_user_stats_need_no_second_profile_call(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    run = run_connector(
        "read",
        config,
        catalog_for(
            {"user_info": "full_refresh", "user_stats": "incremental", "videos": "full_refresh"}
        ),
    )
    assert run.returncode == 0, run.errors()
    assert estimates(run) == {"videos": 45}
    assert run.records("user_stats")[0]["video_count"] == 45
    assert emulator.counts["/v2/user/info/"] == 1
