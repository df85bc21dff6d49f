"""Business mode end to end: the CLI against the API for Business emulator, run after run.

The emulator plays each answer the reference leaves open (its knobs), and every test asserts
what an analyst would check in the warehouse: every post once, the common columns filled, and
TikTok's "unavailable" kept as null.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from airbyte_cdk.models import FailureType, Status, Type

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.test_faults import assert_no_secret_printed
from source_tiktok_organic.core import deadlines
from tiktok_emulator.business import BusinessEmulator
from tiktok_emulator.business.api import FRESH_SECONDS

DATASET_NOW = 1_760_000_000
ROOT = Path(__file__).resolve().parent.parent
EVERY_STREAM = {
    "user_info": "full_refresh",
    "user_stats": "incremental",
    "videos": "incremental",
    "video_stats": "incremental",
}
OWN = {"daily_metrics": "incremental", "audience_snapshots": "incremental"}
INSIGHTS = ("reach", "total_time_watched", "video_view_retention", "impression_sources")
SHARE_ARRAYS = (
    "video_view_retention",
    "engagement_likes",
    "impression_sources",
    "audience_genders",
    "audience_countries",
    "audience_cities",
    "audience_types",
)


def config_of(emu: BusinessEmulator, **overrides: Any) -> dict[str, Any]:
    return emu.connector_config(**{"request_timeout_seconds": 2, "lookback_days": 0, **overrides})


def read_all(
    config: dict[str, Any], state: list[dict[str, Any]] | None = None, **options: Any
) -> Run:
    return run_connector("read", config, catalog_for(EVERY_STREAM), state, **options)


def post_ids(emu: BusinessEmulator) -> list[str]:
    return [emu.dataset.post(index)["item_id"] for index in range(len(emu.dataset.post_times_ms))]


def fresh_ids(emu: BusinessEmulator) -> set[str]:
    """Posts younger than TikTok's 24-48 h delay: their counts are not out yet."""
    return {
        emu.dataset.post(index)["item_id"]
        for index, ms in enumerate(emu.dataset.post_times_ms)
        if DATASET_NOW - ms // 1000 < FRESH_SECONDS
    }


def test_given_business_credentials_when_checking_then_succeeded(
    business: BusinessEmulator,
) -> None:
    run = run_connector("check", config_of(business))
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED


@pytest.mark.parametrize(
    ("breakage", "needle"),
    [
        ("revoked", "last CONTROL message"),
        ("wrong_secret", "'client_id'"),
        ("no_video_scope", "video.list"),
        ("plain_http", "'business_api_base_url' must use https://"),
        ("wrong_path", "business_api_base_url"),
        ("dead_host", "it refused the connection. Check 'business_api_base_url'"),
    ],
)
def test_given_broken_business_setup_when_checking_then_failed_with_the_cause(
    business: BusinessEmulator, breakage: str, needle: str
) -> None:
    config = config_of(business)
    if breakage == "revoked":
        business.revoke_refresh_tokens()
    elif breakage == "wrong_secret":
        config["client_secret"] = "not-the-secret"
    elif breakage == "no_video_scope":
        config["refresh_token"] = business.issue_refresh_token(["user.info.basic"])
    elif breakage == "plain_http":
        config["business_api_base_url"] = "http://business-api.tiktok.com"
    elif breakage == "wrong_path":
        config["business_api_base_url"] = business.url + "/elsewhere"
    else:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            config["business_api_base_url"] = f"http://127.0.0.1:{closed.getsockname()[1]}"
    run = run_connector("check", config)
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert needle in str(status.connectionStatus.message)


def test_when_discovering_then_the_same_streams_and_keys_with_the_insight_columns(
    business: BusinessEmulator,
) -> None:
    run = run_connector("discover", config_of(business))
    [catalog] = run.of_type(Type.CATALOG)
    streams = {stream.name: stream for stream in catalog.catalog.streams}
    assert set(streams) == set(EVERY_STREAM) | set(OWN) | {"comments"}
    assert streams["videos"].source_defined_primary_key == [["id"]]
    assert streams["comments"].source_defined_primary_key == [["comment_id"]]
    videos = streams["videos"].json_schema["properties"]
    assert {"id", "create_time", "view_count", "like_count", "title"} <= set(videos)
    assert videos["full_video_watched_rate"]["type"] == ["null", "number"]
    assert videos["video_view_retention"]["type"] == ["null", "array"]
    assert business.counts == {}, "discover must not call TikTok"


def test_when_reading_every_stream_then_each_post_once_in_the_common_columns(
    business: BusinessEmulator,
) -> None:
    config = config_of(business)
    run = read_all(config)
    videos = run.records("videos")
    assert [video["id"] for video in videos] == post_ids(business)
    schemas = {
        stream.name: stream.json_schema
        for stream in run_connector("discover", config).of_type(Type.CATALOG)[0].catalog.streams
    }
    for stream in EVERY_STREAM:
        for record in run.records(stream):
            jsonschema.validate(record, schemas[stream])
    assert all(video["open_id"] == business.business_id for video in videos)
    assert all(isinstance(video["create_time"], int) for video in videos)
    settled = [video for video in videos if video["id"] not in fresh_ids(business)]
    assert settled
    assert all(isinstance(video["view_count"], int) for video in settled)
    assert all(video["title"] == video["video_description"] for video in videos)
    for stream in ("videos", "video_stats"):  # a column, null: the API does not document it
        assert "is_aigc" in schemas[stream]["properties"]
        assert all(row.get("is_aigc") is None for row in run.records(stream))
    [user] = run.records("user_info")
    assert user["open_id"] == business.business_id
    assert user["video_count"] == len(videos)
    [stats] = run.records("user_stats")
    assert stats["follower_count"] == business.dataset.profile["followers_count"]
    assert len(run.records("video_stats")) == len(videos)
    assert business.counts["/open_api/v1.3/tt_user/oauth2/refresh_token/"] == 1
    assert business.counts["/open_api/v1.3/business/get/"] == 1, (
        "user_info's answer feeds user_stats"
    )
    assert_no_secret_printed(config, run)


@pytest.mark.parametrize("rotation", ["strict", "lenient", "off"])
def test_given_each_rotation_when_reading_run_after_run_then_every_run_works(
    business: BusinessEmulator, rotation: str
) -> None:
    business.knobs.rotation = rotation
    config = config_of(business)
    first = read_all(config)
    config = first.latest_config(config)
    business.expire_access_tokens()  # the next run must refresh with what the first one saved
    second = read_all(config, first.state_messages())
    config = second.latest_config(config)
    third = read_all(config, second.state_messages())
    assert len(first.records("videos")) == len(post_ids(business))
    assert second.records("videos") == third.records("videos") == []
    assert len(second.records("video_stats")) == len(post_ids(business))
    assert business.counts["/open_api/v1.3/tt_user/oauth2/refresh_token/"] == 2, (
        "the third run reuses the second's access token"
    )


@pytest.mark.parametrize("future", ["2100-01-01", "9999-12-31"])
def test_given_a_daily_row_dated_in_the_future_then_it_is_synced_and_the_next_sync_still_reads(
    business_now: BusinessEmulator, future: str
) -> None:
    """One such row once became the state, and every later sync asked for no days at all."""
    business_now.knobs.future_daily_row = future
    first = read_own(config_of(business_now))
    business_now.knobs.future_daily_row = ""
    second = read_own(first.latest_config(config_of(business_now)), first.state_messages())

    assert first.records("daily_metrics")[-1]["date"] == future
    assert first.states("daily_metrics")[-1] == {"date": days_back(business_now, 1)}
    assert f"Daily metrics row {future} is dated {future}" in first.logs()
    assert [day["date"] for day in second.records("daily_metrics")] == [
        days_back(business_now, n) for n in (3, 2, 1)
    ]


@pytest.mark.parametrize(
    ("saved", "said"),
    [("in 5 days", "is after now"), ("9999-12-31", "is after now"), ("0001-01-01", "is before")],
)
def test_given_an_impossible_saved_day_then_it_is_named_and_the_60_days_are_read(
    business_now: BusinessEmulator, saved: str, said: str
) -> None:
    if saved == "in 5 days":
        saved = days_back(business_now, -5)
    run = read_own(config_of(business_now), daily_state(saved))
    assert run.returncode == 0, run.errors()
    assert len(run.records("daily_metrics")) == 60
    assert f"daily_metrics is ignored: its date '{saved}' {said}" in run.logs()


@pytest.mark.parametrize("style", ["missing", "null", "minus_one"])
def test_given_each_way_of_saying_unavailable_then_null_never_zero_or_minus_one(
    business: BusinessEmulator, style: str
) -> None:
    business.knobs.unavailable = style
    business.knobs.idle_posts_lose_insights = True
    business.knobs.account_type = "personal"
    run = read_all(config_of(business))
    videos = {video["id"]: video for video in run.records("videos")}
    assert len(videos) == len(post_ids(business))
    for video_id in fresh_ids(business):
        assert videos[video_id].get("view_count") is None
        assert videos[video_id].get("like_count") is None
    for video in videos.values():
        assert video.get("profile_views") is None, "Business-only, this is a personal account"
        for column in ("reach", "total_time_watched", "view_count", "favorites"):
            assert video.get(column) != -1
    [user] = run.records("user_info")
    assert user["is_business_account"] is False


@pytest.mark.parametrize("scale", [100, "mixed"])
def test_given_percentages_on_a_0_100_or_mixed_scale_then_the_same_shares_as_on_0_1(
    business: BusinessEmulator, scale: int | str
) -> None:
    on_one = read_all(config_of(business)).records("videos")
    business.knobs.percentage_scale = scale
    other = read_all(config_of(business, refresh_token=business.issue_refresh_token()))
    assert "outside 0 to 1" not in other.logs()
    for one, scaled in zip(on_one, other.records("videos"), strict=True):
        for column in SHARE_ARRAYS:
            if one.get(column) is None:
                continue
            for a, b in zip(one[column], scaled[column], strict=True):
                assert b["percentage"] == pytest.approx(a["percentage"], abs=0.0001)


@pytest.mark.parametrize("scale", [1, 100, "mixed"])
def test_given_the_whole_rounded_past_1_then_kept_and_each_post_named(
    business: BusinessEmulator, scale: int | str
) -> None:
    business.knobs.percentage_scale = scale
    business.knobs.share_anomaly = "rounding"
    run = read_all(config_of(business))
    logs = run.logs()
    for video in run.records("videos"):
        assert video["video_view_retention"][0]["percentage"] == pytest.approx(1.0004)
        assert all(0 <= point["percentage"] <= 1 for point in video["video_view_retention"][1:])
        assert (
            f"Post {video['id']}: TikTok sent video_view_retention"
            f"{' on a 0-100 scale' if scale != 1 else ''} with shares outside 0 to 1: "
            f"{1.0004 * (1 if scale == 1 else 100):g} (second 0) kept as 1.0004, over 1 by rounding."
        ) in logs
        assert video.get("impression_sources") is None or all(
            0 <= source["percentage"] <= 1 for source in video["impression_sources"]
        )


def test_given_shares_no_scale_explains_then_null_named_and_in_missing_fields(
    business: BusinessEmulator,
) -> None:
    business.knobs.share_anomaly = "out_of_range"
    run = read_all(config_of(business))
    logs = run.logs()
    fresh = fresh_ids(business)
    stats = {row["video_id"]: row for row in run.records("video_stats")}
    for video in run.records("videos"):
        assert video["video_view_retention"][1]["percentage"] is None
        assert f"Post {video['id']}: TikTok sent video_view_retention with shares" in logs
        if video["id"] in fresh:
            continue  # no watch rate yet
        assert video.get("full_video_watched_rate") is None
        assert stats[video["id"]].get("full_video_watched_rate") is None
        assert "full_video_watched_rate" in stats[video["id"]]["missing_fields"]
        assert (
            f"Post {video['id']}: TikTok sent full_video_watched_rate 1.3, outside 0 to 1: set to "
            "null." in logs
        )


def test_given_retention_curves_past_an_hour_then_each_keeps_its_first_hour_and_says_so(
    business: BusinessEmulator,
) -> None:
    business.knobs.retention_entries = 5_000
    # ~4 MB of answers: a busy machine's emulator may need more than the suite's usual 2 s.
    run = read_all(config_of(business, request_timeout_seconds=30))
    videos = run.records("videos")
    assert len(videos) == len(post_ids(business))
    for video in videos:
        curve = video["video_view_retention"]
        assert [point["second"] for point in curve] == [str(s) for s in range(3_600)]
        assert (
            f"Post {video['id']}: TikTok sent 5,000 entries of video_view_retention; only the "
            "first 3,600 are kept" in run.logs()
        )


def test_given_an_answer_past_the_size_limit_then_the_read_stops_with_the_size_and_the_limit(
    business: BusinessEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deadlines, "MAX_BODY_BYTES", deadlines.MIB)  # 20 posts of 3,000: ~2.2 MiB
    business.knobs.retention_entries = 3_000
    run = read_all(config_of(business), fails=True)
    assert run.records("user_info"), "the profile's answer is small"
    assert run.records("videos") == []
    [trace, *_] = [m.trace.error for m in run.of_type(Type.TRACE) if m.trace.error]
    assert trace.failure_type == FailureType.system_error
    assert re.fullmatch(
        r"TikTok's answer to /open_api/v1.3/business/video/list/ is larger than the 1 MiB the "
        r"connector reads of one answer \(it announced [\d,]+ bytes\), so the sync stops rather "
        r"than run out of memory. Please report it with TikTok's id for the call "
        r"\(X-Tt-Logid: \w+\).",
        trace.message,
    )


@pytest.mark.parametrize(("cursor_style", "short_pages"), [("opaque", False), ("timestamp", True)])
def test_given_each_cursor_style_and_short_pages_then_every_post_once(
    business: BusinessEmulator, cursor_style: str, short_pages: bool
) -> None:
    business.knobs.cursor_style = cursor_style
    business.knobs.short_pages = short_pages
    videos = read_all(config_of(business)).records("videos")
    assert [video["id"] for video in videos] == post_ids(business)


def test_given_no_insight_scopes_then_the_basic_columns_still_sync_and_the_gap_is_named(
    business: BusinessEmulator,
) -> None:
    business.knobs.unscoped_field_code = 40002  # the worst: an ungranted field fails the call
    scopes = ["user.info.basic", "user.info.stats", "video.list"]
    run = read_all(config_of(business, refresh_token=business.issue_refresh_token(scopes)))
    videos = run.records("videos")
    assert len(videos) == len(post_ids(business))
    assert not any(column in video for video in videos for column in INSIGHTS[1:])
    assert (
        "Scope 'video.insights' is not granted, so the video list leaves out: total_time_watched, "
        "average_time_watched, full_video_watched_rate, new_followers" in run.logs()
    )
    assert "Scope 'user.account.type' is not granted, so user_info leaves out" in run.logs()


def test_given_the_access_token_dies_mid_sync_then_refreshed_once_and_nothing_lost(
    business: BusinessEmulator,
) -> None:
    config = config_of(business)
    first = run_connector("check", config)
    business.expire_access_tokens()  # the saved session's token now answers 40102
    run = read_all(first.latest_config(config))
    assert [video["id"] for video in run.records("videos")] == post_ids(business)
    assert business.code_counts["/open_api/v1.3/business/get/", 40102] == 1
    assert business.counts["/open_api/v1.3/tt_user/oauth2/refresh_token/"] == 2


@pytest.fixture
def business_now() -> Iterator[BusinessEmulator]:
    """An account on today's calendar: the daily metrics are dated from the real clock."""
    with BusinessEmulator() as emu:
        yield emu


def read_own(
    config: dict[str, Any], state: list[dict[str, Any]] | None = None, **options: Any
) -> Run:
    return run_connector("read", config, catalog_for(OWN), state, **options)


def daily_state(date: str) -> list[dict[str, Any]]:
    """A saved daily_metrics state, as Airbyte passes it back."""
    descriptor = {"name": "daily_metrics"}
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": descriptor, "stream_state": {"date": date}},
        }
    ]


def days_back(emu: BusinessEmulator, days: int) -> str:
    return (emu.dataset.today - timedelta(days=days)).isoformat()


def test_given_a_first_sync_then_60_days_up_to_yesterday_and_the_state_says_yesterday(
    business_now: BusinessEmulator,
) -> None:
    run = read_own(config_of(business_now))
    days = run.records("daily_metrics")
    assert [day["date"] for day in days] == [days_back(business_now, n) for n in range(60, 0, -1)]
    assert all(day["open_id"] == business_now.business_id for day in days)
    assert run.states("daily_metrics")[-1] == {"date": days_back(business_now, 1)}


def test_given_a_saved_date_then_the_last_three_days_are_read_again_and_nothing_older(
    business_now: BusinessEmulator,
) -> None:
    state = daily_state(days_back(business_now, 2))
    run = read_own(config_of(business_now), state)
    assert [day["date"] for day in run.records("daily_metrics")] == [
        days_back(business_now, n) for n in (4, 3, 2, 1)
    ]


def test_given_a_saved_date_beyond_60_days_then_the_gap_is_named_and_the_call_stays_allowed(
    business_now: BusinessEmulator,
) -> None:
    business_now.knobs.old_start_date = "error"  # TikTok refusing a start_date over 60 days back
    state = daily_state(days_back(business_now, 90))
    run = read_own(config_of(business_now), state)
    assert len(run.records("daily_metrics")) == 60
    assert (
        f"last synced up to {days_back(business_now, 90)}, more than 60 days ago: TikTok keeps "
        f"only the last 60 days, so the days from {days_back(business_now, 89)} to "
        f"{days_back(business_now, 61)} are lost" in run.logs()
    )


@pytest.mark.parametrize("style", ["missing", "null", "minus_one"])
def test_given_a_personal_account_then_business_only_day_metrics_are_null(
    business_now: BusinessEmulator, style: str
) -> None:
    business_now.knobs.account_type = "personal"
    business_now.knobs.unavailable = style
    days = read_own(config_of(business_now)).records("daily_metrics")
    assert days
    for day in days:
        assert isinstance(day["video_views"], int)
        assert day.get("daily_new_followers") is None
        assert day.get("daily_total_followers") is None, "unavailable with what it is the net of"
        assert day.get("unique_video_views") is None


def test_given_days_that_lost_one_follower_net_then_their_minus_one_is_kept_beside_null_gaps(
    business_now: BusinessEmulator,
) -> None:
    business_now.knobs.net_follower_loss = True
    business_now.knobs.unavailable = "minus_one"  # yesterday, not complete yet, is all -1
    *complete, yesterday = read_own(config_of(business_now)).records("daily_metrics")
    losing = [day for day in complete if date.fromisoformat(day["date"]).toordinal() % 2 == 0]
    assert len(losing) >= 29
    for day in losing:
        assert (day["daily_total_followers"], day["daily_new_followers"]) == (-1, 3)
        assert day["daily_lost_followers"] == 4
    assert all(day["daily_total_followers"] != -1 for day in complete if day not in losing)
    assert yesterday.get("daily_total_followers") is None
    assert yesterday.get("daily_new_followers") is None


def test_given_no_insights_scope_then_no_daily_or_audience_rows_and_each_says_why(
    business_now: BusinessEmulator,
) -> None:
    token = business_now.issue_refresh_token(["user.info.basic", "video.list"])
    run = read_own(config_of(business_now, refresh_token=token))
    assert run.records() == []
    for stream in OWN:
        assert f"Stream {stream} is unavailable: the scope 'user.insights'" in run.logs()


@pytest.mark.parametrize("scale", [1, 100, "mixed"])
def test_given_each_percentage_scale_then_each_audience_dimension_adds_up_to_one(
    business_now: BusinessEmulator, scale: int | str
) -> None:
    business_now.knobs.percentage_scale = scale
    run = read_own(config_of(business_now))
    rows = run.records("audience_snapshots")
    dimensions = {row["dimension"] for row in rows}
    assert {"age", "gender"} <= dimensions <= {"age", "gender", "country", "city"}
    for dimension in ("age", "gender"):
        total = sum(row["percentage"] for row in rows if row["dimension"] == dimension)
        assert total == pytest.approx(1, abs=0.01)
    assert len({row["snapshot_at"] for row in rows}) == 1
    later = read_own(run.latest_config(config_of(business_now)), run.state_messages())
    assert len(later.records("audience_snapshots")) == len(rows), "a new snapshot each sync"


@pytest.mark.parametrize(
    ("anomaly", "warned"),
    [
        ("rounding", "100.04 (gender Female) kept as 1.0004, over 1 by rounding."),
        ("out_of_range", "-30.0 (gender Other) set to null."),
    ],
)
def test_given_odd_audience_shares_then_kept_or_null_as_their_range_says_and_named(
    business_now: BusinessEmulator, anomaly: str, warned: str
) -> None:
    business_now.knobs.percentage_scale = 100
    business_now.knobs.share_anomaly = anomaly
    run = read_own(config_of(business_now))
    genders = {
        row["value"]: row.get("percentage")
        for row in run.records("audience_snapshots")
        if row["dimension"] == "gender"
    }
    if anomaly == "rounding":
        assert genders == {"Female": pytest.approx(1.0004), "Male": 0, "Other": 0}
    else:
        assert genders["Other"] is None
        assert all(0 < genders[gender] < 1 for gender in ("Female", "Male"))
    assert (
        "The account's audience: TikTok sent audience_genders on a 0-100 scale with shares "
        f"outside 0 to 1: {warned}" in run.logs()
    )


def test_given_a_saved_daily_state_that_is_not_a_date_then_a_config_error_names_it(
    business_now: BusinessEmulator,
) -> None:
    state = daily_state("last tuesday")
    run = read_own(config_of(business_now), state, fails=True)
    assert any("'date' must be YYYY-MM-DD, got 'last tuesday'" in error for error in run.errors())


def test_given_creator_mode_then_the_business_only_streams_are_not_offered(
    business_now: BusinessEmulator,
) -> None:
    config = config_of(business_now, account_mode="creator", api_base_url=business_now.url)
    [catalog] = run_connector("discover", config).of_type(Type.CATALOG)
    assert {stream.name for stream in catalog.catalog.streams} == set(EVERY_STREAM)


def test_given_idle_posts_losing_insights_then_the_history_names_what_tiktok_stopped_sending(
    business: BusinessEmulator,
) -> None:
    config = config_of(business)
    first = read_all(config)
    business.knobs.idle_posts_lose_insights = True
    second = read_all(first.latest_config(config), first.state_messages())
    before = {row["video_id"]: row for row in first.records("video_stats")}
    after = {row["video_id"]: row for row in second.records("video_stats")}
    assert set(before) == set(after) == set(post_ids(business))
    fresh = fresh_ids(business)
    idle = [
        video_id
        for video_id, row in after.items()
        if "reach" in row["missing_fields"] and video_id not in fresh
    ]
    assert idle, "the emulator's older posts are idle"
    for video_id in idle:
        assert before[video_id]["reach"] is not None
        assert before[video_id]["missing_fields"] == []
        assert after[video_id].get("reach") is None
        assert {"reach", "total_time_watched", "full_video_watched_rate"} <= set(
            after[video_id]["missing_fields"]
        )
        assert after[video_id]["view_count"] == before[video_id]["view_count"]
    assert fresh
    for video_id in fresh:
        assert "view_count" in after[video_id]["missing_fields"]


def test_the_business_catalog_file_matches_what_business_mode_discovers(
    business: BusinessEmulator,
) -> None:
    catalog = json.loads(
        (ROOT / "integration_tests" / "configured_catalog_business.json").read_text()
    )
    [discovered] = run_connector("discover", config_of(business)).of_type(Type.CATALOG)
    streams = {stream.name: stream for stream in discovered.catalog.streams}
    assert {entry["stream"]["name"] for entry in catalog["streams"]} == set(streams)
    for entry in catalog["streams"]:
        stream = streams[entry["stream"]["name"]]
        assert entry["primary_key"] == stream.source_defined_primary_key
        if entry["sync_mode"] == "incremental":
            assert entry["cursor_field"] == stream.default_cursor_field
