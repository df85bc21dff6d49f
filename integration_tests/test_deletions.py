"""Videos gone from TikTok's list reach the warehouse as deletion records, run after run of the
real CLI on the state each run hands to the next, in both modes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.conftest import config_for
from source_tiktok_organic.core.roll import decode, encode
from source_tiktok_organic.core.roll import rolled as roll_of
from tiktok_emulator import TikTokEmulator
from tiktok_emulator.business import BusinessEmulator
from tiktok_emulator.dataset import generate_dataset

DAY = 86_400
DELETED_AT = "_ab_cdc_deleted_at"


def gone(run: Run) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in run.records("videos") if r.get(DELETED_AT) is not None}


def live(run: Run) -> set[str]:
    return {r["id"] for r in run.records("videos") if r.get(DELETED_AT) is None}


def rolled(run: Run) -> dict[str, int]:
    return dict(decode(run.states()[-1]["listed_videos"]["videos"]).items())


class Syncs:
    """Runs one after another, each on the config and state the one before handed on."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.last: Run | None = None

    def read(self, catalog: dict[str, Any], fails: bool = False, **overrides: Any) -> Run:
        state = self.last.state_messages() if self.last else None
        config = self.config | overrides
        run = run_connector("read", config, catalog, state, fails=fails)
        self.config, self.last = run.latest_config(config), run
        return run


def oldest(emu: TikTokEmulator, n: int) -> list[dict]:
    return sorted(emu.dataset.videos, key=lambda video: video["create_time"])[:n]


def appended(streams: dict[str, str]) -> dict[str, Any]:
    """A catalog whose full refresh appends (the helper's default replaces the table)."""
    catalog = catalog_for(streams)
    for stream in catalog["streams"]:
        stream["destination_sync_mode"] = "append"
    return catalog


def test_given_a_whole_walk_when_videos_disappear_then_each_is_one_deletion_record(
    emulator: TikTokEmulator,
) -> None:
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    first = syncs.read(catalog)
    assert not gone(first)
    assert set(rolled(first)) == live(first)
    doomed = [oldest(emulator, 1)[0], emulator.dataset.videos[0]]
    emulator.delete_videos(video["id"] for video in doomed)
    second = syncs.read(catalog)
    open_id = emulator.dataset.profile["open_id"]
    assert gone(second) == {
        video["id"]: {
            "id": video["id"],
            "create_time": video["create_time"],
            "open_id": open_id,
            DELETED_AT: gone(second)[video["id"]][DELETED_AT],
        }
        for video in doomed
    }
    assert not live(second) & set(gone(second))
    assert "2 videos listed before are gone from TikTok's list" in second.logs()
    assert len(second.records("videos")) == len(emulator.dataset.videos) + 2
    assert set(rolled(second)) == {video["id"] for video in emulator.dataset.videos}
    assert not gone(syncs.read(catalog))  # emitted once


def test_given_deletion_records_then_their_time_is_the_syncs_and_the_cursor_is_the_live_rows(
    emulator: TikTokEmulator,
) -> None:
    syncs, catalog = (
        Syncs(config_for(emulator, lookback_days=7)),
        catalog_for({"videos": "incremental"}),
    )
    first = syncs.read(catalog)
    doomed = emulator.dataset.videos[0]  # the newest: the cursor is its create_time
    emulator.delete_videos([doomed["id"]])
    second = syncs.read(catalog)
    (record,) = gone(second).values()
    assert record["create_time"] == doomed["create_time"]
    assert datetime.fromisoformat(record[DELETED_AT]).utcoffset() == timedelta(0)
    assert second.states()[-1]["create_time"] == first.states()[-1]["create_time"]


def test_given_an_incremental_walk_then_only_what_it_covered_is_judged(
    emulator: TikTokEmulator,
) -> None:
    syncs, catalog = (
        Syncs(config_for(emulator, lookback_days=7)),
        catalog_for({"videos": "incremental"}),
    )
    syncs.read(catalog)
    old, recent = oldest(emulator, 1)[0], emulator.dataset.videos[0]
    emulator.delete_videos([old["id"], recent["id"]])
    second = syncs.read(catalog)
    assert set(gone(second)) == {recent["id"]}
    assert old["id"] in rolled(second), "not covered: neither deleted nor forgotten"
    with_stats = catalog_for({"videos": "incremental", "video_stats": "incremental"})
    third = syncs.read(with_stats, video_stats_scope="all")
    assert set(gone(third)) == {old["id"]}
    assert old["id"] not in rolled(third)


def test_given_start_date_then_a_video_before_it_is_never_judged(emulator: TikTokEmulator) -> None:
    videos = sorted(emulator.dataset.videos, key=lambda video: video["create_time"])
    middle = datetime.fromtimestamp(videos[len(videos) // 2]["create_time"], UTC).isoformat()
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    syncs.read(catalog)
    before, after = videos[0], videos[-3]
    emulator.delete_videos([before["id"], after["id"]])
    second = syncs.read(catalog, start_date=middle)
    assert set(gone(second)) == {after["id"]}
    assert before["id"] in rolled(second)


def test_given_a_walk_that_fails_then_nothing_is_deleted_and_the_roll_stays(
    emulator: TikTokEmulator,
) -> None:
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    first = syncs.read(catalog)
    emulator.delete_videos([emulator.dataset.videos[0]["id"]])
    emulator.faults.server_error_burst = 1_000
    second = syncs.read(catalog, fails=True)
    assert not gone(second)
    kept = first.states()[-1]["listed_videos"]
    assert all(state.get("listed_videos") in (None, kept) for state in second.states())


def test_given_a_video_back_after_its_deletion_then_it_is_synced_live_again(
    emulator: TikTokEmulator,
) -> None:
    syncs = Syncs(config_for(emulator, lookback_days=1, video_stats_scope="all"))
    catalog = catalog_for({"videos": "incremental", "video_stats": "incremental"})
    syncs.read(catalog)
    old = oldest(emulator, 1)[0]
    emulator.delete_videos([old["id"]])
    assert set(gone(syncs.read(catalog))) == {old["id"]}
    emulator.put_back([old])
    third = syncs.read(catalog)
    assert old["id"] in live(third)
    assert not gone(third)
    assert old["id"] in rolled(third)


def test_given_every_video_but_the_newest_back_then_each_is_live_once_at_a_walks_cost(
    emulator: TikTokEmulator,
) -> None:
    """Returning videos share windows: one each cost a request apiece and, counted with the
    videos their pages reach below them, ran past the list's bound, failing every later sync."""
    syncs = Syncs(config_for(emulator, video_stats_scope="all"))
    catalog = catalog_for({"videos": "incremental", "video_stats": "incremental"})
    syncs.read(catalog)
    newest, *back = sorted(emulator.dataset.videos, key=lambda v: v["create_time"], reverse=True)
    emulator.delete_videos(video["id"] for video in back)
    assert set(gone(syncs.read(catalog))) == {video["id"] for video in back}
    emulator.put_back(back)
    emulator.reset_counts()
    third = syncs.read(catalog)
    returned = [r["id"] for r in third.records("videos") if r["id"] != newest["id"]]
    assert sorted(returned) == sorted(video["id"] for video in back)  # each once, all live
    assert not gone(third)
    pages = -(-len(emulator.dataset.videos) // 20)
    # video_stats' whole walk, videos' own window, one window over the returning ones
    assert emulator.stats()["counts"]["/v2/video/list/"] <= 3 * (pages + 1)
    fourth = syncs.read(catalog)
    assert not gone(fourth)
    assert set(rolled(fourth)) == {video["id"] for video in emulator.dataset.videos}


def test_given_a_second_fuller_than_a_page_then_it_is_said_and_none_of_it_is_judged(
    emulator: TikTokEmulator,
) -> None:
    """25 videos in one second, 20 a page, and a cursor of whole seconds: five are out of any
    walk's reach, so that second is never judged (a video there is not deleted because no walk
    saw it); the other seconds are."""
    second = oldest(emulator, 10)[-1]["create_time"] - 10
    crowd = emulator.add_videos_at([second] * 25)
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    first = syncs.read(catalog)
    assert "More videos share the second" in first.logs()
    assert len(live(first) & {video["id"] for video in crowd}) == 20
    seen_in_crowd = next(v["id"] for v in crowd if v["id"] in live(first))
    ordinary = emulator.dataset.videos[0]["id"]
    emulator.delete_videos([seen_in_crowd, ordinary])
    assert set(gone(syncs.read(catalog))) == {ordinary}


def test_given_a_video_dated_past_now_deleted_then_its_deletion_record_warns_of_nothing(
    emulator: TikTokEmulator,
) -> None:
    """A gone video's time is only the live row's: it says nothing about the cursor."""
    [future] = emulator.add_videos_at([int(time.time()) + 2 * DAY])
    syncs, catalog = Syncs(config_for(emulator)), catalog_for({"videos": "incremental"})
    assert "after now" in syncs.read(catalog).logs()
    emulator.delete_videos([future["id"]])
    second = syncs.read(catalog)
    assert set(gone(second)) == {future["id"]}
    assert "after now" not in second.logs()


def test_given_a_full_refresh_declared_overwrite_then_the_deletion_record_all_the_same(
    emulator: TikTokEmulator,
) -> None:
    """A full refresh walks the whole list: handed the previous state, it reports what went
    away, whatever destination mode the catalog names (tools name `overwrite` by default)."""
    syncs = Syncs(config_for(emulator))
    catalog = catalog_for({"videos": "full_refresh"})  # destination_sync_mode: overwrite
    syncs.read(catalog)
    doomed = emulator.dataset.videos[0]["id"]
    emulator.delete_videos([doomed])
    second = syncs.read(catalog)
    assert set(gone(second)) == {doomed}
    assert doomed not in rolled(second)


@pytest.mark.parametrize(
    ("roll", "said"),
    [
        ({"open_id": "someone-else"}, "belong to another TikTok account"),
        ({"videos": "s1:%%%"}, "cannot be read (not base64 of zlib data)"),
    ],
)
def test_given_a_roll_of_another_account_or_unreadable_then_a_warning_and_no_deletion(
    emulator: TikTokEmulator, roll: dict[str, str], said: str
) -> None:
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    first = syncs.read(catalog)
    emulator.delete_videos([emulator.dataset.videos[0]["id"]])
    states = first.state_messages()
    states[-1]["stream"]["stream_state"]["listed_videos"] |= roll
    run = run_connector("read", syncs.config, catalog, states)
    assert run.returncode == 0, run.errors()
    assert not gone(run)
    assert said in run.logs()


@pytest.mark.parametrize("size", [5_000, 20_000])
def test_the_roll_costs_under_12_bytes_a_video(size: int) -> None:
    """Measured in BENCHMARKS.md too: the roll of an emulated account, as the state holds it."""
    videos = generate_dataset(videos=size, seed=7).videos
    roll = encode(roll_of((video["id"], video["create_time"]) for video in videos))
    assert len(json.dumps({"videos": roll})) / size < 12


def test_given_business_mode_then_removed_posts_are_deletion_records(
    business: BusinessEmulator,
) -> None:
    syncs, catalog = Syncs(config_for(business)), appended({"videos": "full_refresh"})
    ids = sorted(live(syncs.read(catalog)))
    business.removed_posts.update(ids[:2])
    second = syncs.read(catalog)
    assert set(gone(second)) == set(ids[:2])
    assert all(r["open_id"] == business.business_id for r in gone(second).values())


def test_given_an_id_that_does_not_carry_its_second_then_it_is_rolled_and_deleted_all_the_same(
    emulator: TikTokEmulator,
) -> None:
    """The references say only that an id is a string: one whose high bits are not its creation
    second (here a video TikTok redated) is kept beside the numbers, with its own time."""
    odd = oldest(emulator, 3)[1]
    emulator.redate(odd["id"], odd["create_time"] + 1)
    syncs, catalog = Syncs(config_for(emulator)), appended({"videos": "full_refresh"})
    first = syncs.read(catalog)
    assert rolled(first)[odd["id"]] == odd["create_time"] + 1
    emulator.delete_videos([odd["id"]])
    second = syncs.read(catalog)
    assert gone(second)[odd["id"]]["create_time"] == odd["create_time"] + 1
    assert odd["id"] not in rolled(second)
