import json
import re
import time
import types
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from airbyte_cdk.models import SyncMode, TraceType
from airbyte_cdk.sources.streams.call_rate import LimiterSession
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.state_builder import StateBuilder

from source_tiktok_organic import SourceTiktokOrganic
from source_tiktok_organic import source as source_module
from source_tiktok_organic.core import budget as budget_module
from source_tiktok_organic.core.budget import STEP_SECONDS
from source_tiktok_organic.core.windows import PAGE_SIZE
from unit_tests.conftest import (
    LIST_URL,
    USER_URL,
    envelope,
    list_page,
    make_config,
    profile,
    token_body,
    video,
)

T0 = 1_700_000_000  # November 2023: list tests with empty pages need times videos can have


def run_read(
    stream: str,
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: dict | None = None,
    config: dict | None = None,
    fails: bool = False,
) -> EntrypointOutput:
    """One stream's read; a clean one (no error) unless the test says it `fails`."""
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    states = StateBuilder().with_stream_state(stream, state).build() if state else None
    output = read(SourceTiktokOrganic(), config or make_config(), catalog, states, fails)
    assert bool(output.errors) == fails, [e.trace.error.message for e in output.errors]
    return output


def record_ids(output: EntrypointOutput) -> list[str]:
    return [message.record.data["id"] for message in output.records]


def last_state(output: EntrypointOutput) -> dict[str, Any]:
    return output.most_recent_state.stream_state.__dict__


def list_bodies(tiktok: Any) -> list[dict]:
    return [json.loads(r.body) for r in tiktok.request_history if r.url.startswith(LIST_URL)]


def test_given_granted_scopes_when_reading_user_info_then_only_granted_fields_requested(
    tiktok: Any,
) -> None:
    tiktok.post(
        "https://open.tiktokapis.com/v2/oauth/token/",
        json=token_body(scope="user.info.basic,video.list"),
    )
    tiktok.get(USER_URL, json=profile())
    output = run_read("user_info")
    fields = tiktok.last_request.qs["fields"][0].split(",")
    assert "open_id" in fields
    assert "display_name" in fields
    assert "follower_count" not in fields
    assert "bio_description" not in fields
    assert [r.record.data["open_id"] for r in output.records] == ["open-id-creator"]
    assert output.is_in_logs("user.info.stats")
    assert output.is_in_logs("follower_count")


def test_given_all_scopes_when_reading_user_info_then_all_fourteen_fields_requested(
    tiktok: Any,
) -> None:
    tiktok.get(USER_URL, json=profile())
    run_read("user_info")
    assert len(tiktok.last_request.qs["fields"][0].split(",")) == 14


def test_given_videos_when_full_refresh_then_each_record_carries_owner_open_id(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, 300), video(2, 200)], 200_000, False))
    output = run_read("videos")
    assert record_ids(output) == ["1", "2"]
    assert {r.record.data["open_id"] for r in output.records} == {"open-id-creator"}
    assert tiktok.last_request.qs["fields"][0].split(",")[0] == "id"
    assert list_bodies(tiktok) == [{"max_count": PAGE_SIZE}]


def test_given_many_pages_when_full_refresh_then_loops_on_has_more_not_page_size(
    tiktok: Any,
) -> None:
    tiktok.post(
        LIST_URL,
        [
            {"json": list_page([video(1, T0 + 900)], (T0 + 900) * 1000, True)},
            {"json": list_page([], (T0 + 901) * 1000, True)},
            {"json": list_page([video(2, T0 + 800), video(3, T0 + 700)], (T0 + 700) * 1000, True)},
            {"json": list_page([video(3, T0 + 700), video(4, T0 + 600)], (T0 + 600) * 1000, False)},
        ],
    )
    output = run_read("videos")
    assert record_ids(output) == ["1", "2", "3", "4"]
    assert [body.get("cursor") for body in list_bodies(tiktok)] == [
        None,
        (T0 + 901) * 1000,
        (T0 + 901) * 1000,
        (T0 + 701) * 1000,
    ]


def test_given_saved_cursor_when_incremental_then_stops_at_first_page_reaching_it(
    tiktok: Any,
) -> None:
    tiktok.post(
        LIST_URL,
        [
            {"json": list_page([video(5, T0 + 500), video(4, T0 + 400)], (T0 + 400) * 1000, True)},
            {"json": list_page([video(3, T0 + 300), video(2, T0 + 200)], (T0 + 200) * 1000, True)},
            {"json": list_page([video(1, T0 + 100)], (T0 + 100) * 1000, False)},
        ],
    )
    output = run_read(
        "videos", SyncMode.incremental, {"create_time": T0 + 300}, make_config(lookback_days=0)
    )
    assert record_ids(output) == ["5", "4"]
    assert len(list_bodies(tiktok)) == 2
    assert last_state(output) == {"create_time": T0 + 500}


def test_given_lookback_when_incremental_then_recent_old_videos_are_reemitted(
    tiktok: Any,
) -> None:
    def day(n: int) -> int:
        return T0 + n * 86_400

    tiktok.post(
        LIST_URL,
        [
            {"json": list_page([video(3, day(30)), video(2, day(25))], day(25) * 1000, True)},
            {"json": list_page([video(1, day(10))], day(10) * 1000, False)},
        ],
    )
    output = run_read(
        "videos", SyncMode.incremental, {"create_time": day(25)}, make_config(lookback_days=7)
    )
    assert record_ids(output) == ["3", "2"]
    assert last_state(output) == {"create_time": day(30)}


def test_given_start_date_when_full_refresh_then_older_videos_not_synced_nor_paged(
    tiktok: Any,
) -> None:
    tiktok.post(
        LIST_URL,
        [
            {
                "json": list_page(
                    [video(3, 1_706_659_300), video(2, 1_706_659_260), video(1, 1_706_659_259)],
                    1,
                    True,
                )
            },
            {"json": list_page([video(0, 1_000)], 1_000_000, False)},
        ],
    )
    output = run_read("videos", config=make_config(start_date="2024-01-31T00:01:00Z"))
    assert record_ids(output) == ["3", "2"]  # 1_706_659_260 is the start_date itself: it counts
    assert len(list_bodies(tiktok)) == 1


@pytest.mark.parametrize(
    "saved",
    [
        {"create_time": 9_999_999_999},
        {"create_time": 1_000},
        {"create_time": T0, "resume_before_ms": 9_999_999_999_000},
    ],
    ids=["future", "before 2014", "future resume cursor"],
)
def test_given_an_impossible_saved_state_then_it_is_named_and_the_whole_list_is_read(
    tiktok: Any, saved: dict[str, Any]
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(2, T0 + 60), video(1, T0)], T0 * 1000, False))
    output = run_read("videos", SyncMode.incremental, saved)
    assert record_ids(output) == ["2", "1"]
    assert last_state(output)["create_time"] == T0 + 60
    assert any("videos is ignored" in m.log.message for m in output.logs)


def test_given_nothing_newer_than_the_state_then_the_state_stays_where_it_was(
    tiktok: Any,
) -> None:
    tiktok.post(
        LIST_URL, json=list_page([video(2, T0 + 300), video(1, T0 + 200)], (T0 + 200) * 1000, False)
    )
    output = run_read(
        "videos", SyncMode.incremental, {"create_time": T0 + 300}, make_config(lookback_days=0)
    )
    assert output.records == []
    assert last_state(output) == {"create_time": T0 + 300}


def test_given_failure_mid_sync_when_resuming_from_last_state_then_nothing_is_lost(
    tiktok: Any,
) -> None:
    pages = [
        list_page([video(40 - i, T0 + 4000 - 100 * i)], (T0 + 4000 - 100 * i) * 1000, True)
        for i in range(30)
    ]
    pages[-1]["data"]["has_more"] = False
    tiktok.post(
        LIST_URL,
        [{"json": body} for body in pages[:25]]
        + [{"json": envelope(code="invalid_params"), "status_code": 400}],
    )
    first = run_read(
        "videos",
        SyncMode.incremental,
        {"create_time": T0 + 1000},
        make_config(lookback_days=0),
        fails=True,
    )
    assert first.errors
    resume = last_state(first)
    assert resume == {"create_time": T0 + 1000}, "the failed window claims nothing"
    emitted_first = record_ids(first)

    tiktok.reset_mock()
    tiktok.post("https://open.tiktokapis.com/v2/oauth/token/", json=token_body())
    tiktok.post(LIST_URL, [{"json": body} for body in pages])
    second = run_read("videos", SyncMode.incremental, resume, make_config(lookback_days=0))
    assert set(emitted_first) | set(record_ids(second)) == {str(40 - i) for i in range(30)}
    assert "cursor" not in list_bodies(tiktok)[0]
    assert last_state(second) == {"create_time": T0 + 4000}


def test_given_checkpoint_mid_sync_then_state_never_claims_unemitted_videos(tiktok: Any) -> None:
    # short pages of 7, as TikTok may send, so that the CDK's checkpoint every 20 records
    # falls in the middle of a page
    pages = [
        list_page([video(100 - j, 10_000 - 10 * j) for j in range(i * 7, i * 7 + 7)], None, i < 8)
        for i in range(9)
    ]
    tiktok.post(LIST_URL, [{"json": body} for body in pages])
    output = run_read("videos", SyncMode.incremental, {"create_time": 1})
    emitted: set[int] = set()
    for message in output.records_and_state_messages:
        if message.record:
            emitted.add(message.record.data["create_time"])
        else:
            state = message.state.stream.stream_state.__dict__
            before = state.get("resume_before_ms")
            if before is not None:
                # everything newer than the resume cursor must already be downstream
                expected = {t for t in range(9_370, 10_001, 10) if t * 1000 >= before}
                assert expected <= emitted
    assert len(emitted) == 63


@pytest.mark.parametrize(
    ("bad_data", "why"),
    [
        ({"videos": "nope", "has_more": False}, "'videos' is not a list of objects"),
        ({"videos": [], "has_more": "false"}, "'has_more' is 'false', not a boolean"),
        ({"videos": [], "has_more": True, "cursor": "123"}, "'cursor' is '123', not an integer"),
    ],
)
def test_given_malformed_page_when_reading_then_clear_error_not_silent_end(
    tiktok: Any, bad_data: dict, why: str
) -> None:
    tiktok.post(LIST_URL, json=envelope(bad_data))
    output = run_read("videos", fails=True)
    assert output.records == []
    assert "malformed" in output.errors[0].trace.error.message
    assert why in output.errors[0].trace.error.message
    assert "log_id: log-42" in output.errors[0].trace.error.message


def test_given_invalid_state_when_reading_then_config_error_names_the_state(tiktok: Any) -> None:
    tiktok.post(LIST_URL, json=list_page([], None, False))
    output = run_read("videos", SyncMode.incremental, {"create_time": "yesterday"}, fails=True)
    assert "state of stream 'videos' is invalid" in output.errors[0].trace.error.message


@pytest.mark.parametrize(
    "state",
    [{"__ab_full_refresh_sync_complete": True}, {"__ab_no_cursor_state_message": True}],
)
def test_given_a_passed_back_marker_state_when_reading_user_info_then_the_profile_is_read_again(
    tiktok: Any, state: dict
) -> None:
    """PyAirbyte and users by hand pass back whatever state the last read emitted."""
    output = run_read("user_info", state=state)
    assert [r.record.data["open_id"] for r in output.records] == ["open-id-creator"]
    assert len([r for r in tiktok.request_history if r.url.startswith(USER_URL)]) == 1
    assert not output.errors


FUTURE_SNAPSHOT = "2100-01-01T00:00:00.000+00:00"


@pytest.mark.parametrize("stream", ["video_stats", "user_stats"])
@pytest.mark.parametrize("saved", [FUTURE_SNAPSHOT, "2100-01-01T00:00:00", "0001-01-01T00:00:00"])
def test_given_an_impossible_saved_snapshot_then_it_is_named_and_a_snapshot_is_taken(
    tiktok: Any, stream: str, saved: str
) -> None:
    """A snapshot state past now once silenced its stream for good; it is now read as absent."""
    tiktok.post(LIST_URL, json=list_page([video(1, T0)], T0 * 1000, False))
    output = run_read(stream, SyncMode.incremental, {"snapshot_at": saved})
    [record] = output.records
    assert last_state(output) == {"snapshot_at": record.record.data["snapshot_at"]}
    assert output.is_in_logs(f"The saved state of stream {stream} is ignored: its snapshot_at")


@pytest.mark.parametrize("stream", ["video_stats", "user_stats"])
def test_given_an_older_saved_snapshot_then_rows_and_the_state_moves_forward(
    tiktok: Any, stream: str
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, 100)], 100_000, False))
    output = run_read(stream, SyncMode.incremental, {"snapshot_at": "2020-01-01T00:00:00+00:00"})
    [record] = output.records
    assert last_state(output) == {"snapshot_at": record.record.data["snapshot_at"]}
    assert record.record.data["snapshot_at"] > "2020-01-01"


class SyncStartsAt2030(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> "SyncStartsAt2030":
        return cls(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("stream", ["video_stats", "user_stats"])
@pytest.mark.parametrize(
    ("saved", "kept"),
    [
        ("2030-01-01T00:59:59.000+00:00", True),  # ahead, within the clock skew: never backwards
        ("2029-12-31T23:59:59.999+00:00", False),
    ],
)
def test_given_a_saved_snapshot_at_about_this_syncs_then_rows_and_the_state_never_goes_back(
    tiktok: Any, monkeypatch: pytest.MonkeyPatch, stream: str, saved: str, kept: bool
) -> None:
    monkeypatch.setattr(source_module, "datetime", SyncStartsAt2030)
    tiktok.post(LIST_URL, json=list_page([video(1, T0)], T0 * 1000, False))
    output = run_read(stream, SyncMode.incremental, {"snapshot_at": saved})
    [record] = output.records
    expected = saved if kept else record.record.data["snapshot_at"]
    assert last_state(output) == {"snapshot_at": expected}


@pytest.mark.parametrize("stream", ["video_stats", "user_stats"])
def test_given_an_unreadable_saved_snapshot_then_config_error_names_stream_and_field(
    tiktok: Any, stream: str
) -> None:
    output = run_read(stream, SyncMode.incremental, {"snapshot_at": "last tuesday"}, fails=True)
    message = output.errors[0].trace.error.message
    assert f"state of stream '{stream}' is invalid" in message
    assert "'snapshot_at' must be an ISO 8601 date-time" in message


@pytest.mark.parametrize(
    ("stream", "body"),
    [
        ("videos", list_page([{"id": "1", "title": "no create_time"}], None, False)),
        ("videos", list_page([video(1, 100, id=7)], None, False)),
        ("videos", list_page([video(1, 100, view_count="many")], None, False)),
        ("videos", list_page([], None, True)),
        ("user_info", envelope({"user": {"display_name": "no open_id"}})),
        ("user_info", profile(follower_count="lots")),
    ],
    ids=["no create_time", "id not a string", "count", "no cursor", "no open_id", "profile count"],
)
def test_given_an_answer_the_connector_refuses_then_the_error_names_its_log_id(
    tiktok: Any, stream: str, body: dict
) -> None:
    tiktok.post(LIST_URL, json=body)
    tiktok.get(USER_URL, json=body)
    message = run_read(stream, fails=True).errors[0].trace.error.message
    assert message.count("log_id") == 1, message
    assert "log_id: log-42" in message


YEAR_2100 = 4_102_444_800


def test_given_a_video_dated_in_2100_then_it_is_synced_but_the_cursor_stays_at_the_real_newest(
    tiktok: Any,
) -> None:
    tiktok.post(
        LIST_URL,
        json=list_page([video(9, YEAR_2100), video(2, T0 + 200), video(1, T0 + 100)], None, False),
    )
    output = run_read("videos", SyncMode.incremental)
    assert record_ids(output) == ["9", "2", "1"]
    assert last_state(output)["create_time"] == T0 + 200
    assert output.is_in_logs(re.escape("Video 9 is dated 2100-01-01T00:00:00+00:00, after now"))


@pytest.mark.parametrize("stream", ["videos", "video_stats"])
def test_given_a_start_date_in_the_future_then_a_warning_names_it(tiktok: Any, stream: str) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, T0)], None, False))
    output = run_read(stream, config=make_config(start_date="2100-01-01"))
    assert output.records == []
    assert output.is_in_logs(
        re.escape(
            "Config field 'start_date' is 2100-01-01T00:00:00+00:00, after now: "
            "no video is synced until then."
        )
    )


def estimates(output: EntrypointOutput) -> list[Any]:
    return [m.trace for m in output.trace_messages if m.trace.type == TraceType.ESTIMATE]


def test_given_a_whole_list_read_then_the_estimate_is_the_profiles_count_stamped_now(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, 100)], 100_000, False))
    output = run_read("video_stats")
    [estimate] = estimates(output)
    assert estimate.estimate.row_estimate == 3  # the profile's video_count
    assert abs(estimate.emitted_at - time.time() * 1000) < 60_000  # milliseconds, as Airbyte's
    assert {row.record.data["open_id"] for row in output.records} == {"open-id-creator"}


@pytest.mark.parametrize("count", [True, None])
def test_given_no_usable_video_count_then_no_estimate(tiktok: Any, count: object) -> None:
    tiktok.get(USER_URL, json=profile(video_count=count))
    tiktok.post(LIST_URL, json=list_page([video(1, 100)], 100_000, False))
    assert estimates(run_read("videos")) == []


def test_given_the_profile_cannot_be_read_then_the_log_says_why_there_is_no_estimate(
    tiktok: Any,
) -> None:
    tiktok.get(USER_URL, status_code=401, json=envelope(code="scope_not_authorized"))
    tiktok.post(LIST_URL, json=list_page([video(1, 100)], 100_000, False))
    output = run_read("videos")
    assert estimates(output) == []
    assert output.is_in_logs(
        "No progress estimate for videos, nor a check of the list against the profile.s video "
        "count: .*scope_not_authorized"
    )


class HeldByTheBudgetError(Exception):
    """Raised in place of the budget's sleep, to see that it would wait, and how long."""


def test_given_a_request_budget_then_a_call_past_it_waits_for_the_window(
    tiktok: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    def held(seconds: float) -> None:
        waits.append(seconds)
        raise HeldByTheBudgetError

    monkeypatch.setattr(budget_module, "time", types.SimpleNamespace(sleep=held))
    tiktok.post(
        LIST_URL,
        [
            {"json": list_page([video(2, 200)], 200_000, True)},
            {"json": list_page([video(1, 100)], 100_000, False)},
        ],
    )
    output = run_read("videos", config=make_config(requests_per_minute=1), fails=True)
    assert record_ids(output) == ["2"]  # the first page went out; the second had to wait
    assert waits == [STEP_SECONDS]  # the first step of the rest of the one-minute window


def user_info_calls(tiktok: Any) -> list[Any]:
    return [r for r in tiktok.request_history if r.url.startswith(USER_URL)]


def test_given_user_stats_and_a_whole_list_read_then_one_profile_call_serves_both(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, 100)], 100_000, False))
    catalog = (
        CatalogBuilder()
        .with_stream("user_stats", SyncMode.incremental)
        .with_stream("video_stats", SyncMode.incremental)
        .build()
    )
    output = read(SourceTiktokOrganic(), make_config(), catalog)
    assert output.errors == []
    [row] = [m.record.data for m in output.records if m.record.stream == "user_stats"]
    [estimate] = estimates(output)
    assert row["video_count"] == estimate.estimate.row_estimate == 3
    [call] = user_info_calls(tiktok)
    assert call.qs["fields"] == ["open_id,follower_count,following_count,likes_count,video_count"]


def test_given_the_profile_call_fails_once_then_it_is_retried_like_any_stream_request(
    tiktok: Any,
) -> None:
    tiktok.get(
        USER_URL,
        [
            {"status_code": 500, "json": envelope(code="internal_error")},
            {"json": profile(video_count=7)},
        ],
    )
    output = run_read("user_stats", SyncMode.incremental)
    assert [m.record.data["video_count"] for m in output.records] == [7]
    assert len(user_info_calls(tiktok)) == 2
    assert output.is_in_logs("Retrying: TikTok had a passing fault")


def test_given_a_saved_cursor_later_than_every_reread_video_then_the_state_never_moves_back(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page([video(2, T0 - 100), video(1, T0 - 200)], None, False))
    output = run_read("videos", SyncMode.incremental, {"create_time": T0})
    assert record_ids(output) == ["2", "1"]  # within the 7-day lookback
    assert last_state(output) == {"create_time": T0}


def test_given_video_stats_in_lookback_scope_then_a_video_exactly_the_window_old_is_left_out(
    tiktok: Any,
) -> None:
    week = 7 * 86_400
    tiktok.post(
        LIST_URL,
        json=list_page(
            [video(3, T0), video(2, T0 - week + 1), video(1, T0 - week)], T0 - week, True
        ),
    )
    output = run_read(
        "video_stats", SyncMode.incremental, config=make_config(video_stats_scope="lookback")
    )
    assert [m.record.data["video_id"] for m in output.records] == ["3", "2"]
    assert len(list_bodies(tiktok)) == 1


def test_given_a_video_dated_2100_then_the_lookback_window_still_counts_from_now(
    tiktok: Any,
) -> None:
    """A future video once set the window's floor past every real video: no rows, every sync."""
    now, day = int(time.time()), 86_400
    tiktok.post(
        LIST_URL,
        json=list_page(
            [
                video(9, YEAR_2100),
                video(3, now - day),
                video(2, now - 6 * day),
                video(1, now - 9 * day),
            ],
            None,
            False,
        ),
    )
    output = run_read(
        "video_stats", SyncMode.incremental, config=make_config(video_stats_scope="lookback")
    )
    assert [m.record.data["video_id"] for m in output.records] == ["9", "3", "2"]


def test_given_both_list_streams_then_each_walks_and_the_lookback_window_ends_video_stats(
    tiktok: Any,
) -> None:
    week = 7 * 86_400
    first = list_page([video(4, T0), video(3, T0 - 100)], (T0 - 100) * 1000, True)
    second = list_page([video(2, T0 - week - 1), video(1, T0 - 2 * week)], None, False)
    tiktok.post(LIST_URL, json=lambda request, _: second if "cursor" in request.json() else first)
    catalog = (
        CatalogBuilder()
        .with_stream("videos", SyncMode.full_refresh)
        .with_stream("video_stats", SyncMode.incremental)
        .build()
    )
    output = read(SourceTiktokOrganic(), make_config(video_stats_scope="lookback"), catalog)
    assert output.errors == []
    rows = [m.record.data["video_id"] for m in output.records if m.record.stream == "video_stats"]
    assert rows == ["4", "3"]
    assert len(list_bodies(tiktok)) == 4  # two pages each: no page is shared between streams


def list_of(times: list[int]) -> Any:
    """TikTok's list of videos created at `times` (newest first), 20 a page, as a callback."""

    def answer(request: Any, _: Any) -> dict[str, Any]:
        cursor = request.json().get("cursor")
        below = [t for t in times if cursor is None or t * 1000 < cursor][:PAGE_SIZE]
        if not below:
            return list_page([], None, False)
        videos = [video(t, t) for t in below]
        return list_page(videos, min(below) * 1000, min(below) > min(times))

    return answer


def test_given_a_large_account_and_workers_then_one_probe_then_windows_read_each_video_once(
    tiktok: Any,
) -> None:
    times = [T0 - 600 * i for i in range(1_000)]
    tiktok.get(USER_URL, json=profile(video_count=1_000))
    tiktok.post(LIST_URL, json=list_of(times))
    output = run_read("videos", SyncMode.incremental, config=make_config(num_workers=4))
    ids = record_ids(output)
    assert sorted(ids) == sorted(str(t) for t in times)
    bodies = list_bodies(tiktok)
    assert "cursor" not in bodies[0], "the probe page: TikTok's newest"
    windows = 5 + 1  # min(4 x 4 workers, 1,000 / 200) counted windows, and the open one below
    # a plain walk's 53 pages (19 new a page), one more per window, and the probe
    assert len(bodies) <= 53 + windows + 1
    starts = {body.get("cursor") for body in bodies[1:]}
    assert len(starts) == len(bodies) - 1, "no page asked for twice"
    [estimate] = estimates(output)
    assert estimate.estimate.row_estimate == 1_000
    assert last_state(output)["create_time"] == T0


def test_given_a_stream_when_it_sends_several_requests_then_one_client_and_session_send_them(
    tiktok: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions: list[requests.Session] = []
    send = LimiterSession.send  # the client's session; requests_mock patches requests.Session's

    def recording(session: requests.Session, request: Any, **kwargs: Any) -> Any:
        if request.url.startswith(USER_URL):
            sessions.append(session)  # kept alive, so no two sessions share an id
        return send(session, request, **kwargs)

    monkeypatch.setattr(LimiterSession, "send", recording)
    user_info = SourceTiktokOrganic().streams(make_config())[0]
    for _ in range(3):
        user_info.fetch("user/info/", {"fields": "open_id"})  # type: ignore[attr-defined]
    assert len(sessions) == 3
    assert len({id(session) for session in sessions}) == 1


AIGC_PAGE = [video(3, T0, is_aigc=True), video(2, T0 - 60, is_aigc=False), video(1, T0 - 120)]


def test_given_videos_then_is_aigc_is_asked_for_and_kept_as_sent_or_null_where_missing(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page(AIGC_PAGE, None, False))
    output = run_read("videos")
    assert "is_aigc" in tiktok.last_request.qs["fields"][0].split(",")
    assert [m.record.data.get("is_aigc") for m in output.records] == [True, False, None]


def test_given_video_stats_then_each_row_keeps_the_videos_ai_label_or_null_where_missing(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, json=list_page(AIGC_PAGE, None, False))
    output = run_read("video_stats")
    assert [m.record.data.get("is_aigc") for m in output.records] == [True, False, None]


def test_given_an_is_aigc_that_is_not_a_boolean_then_the_error_names_the_field(tiktok: Any) -> None:
    tiktok.post(LIST_URL, json=list_page([video(1, T0, is_aigc="yes")], None, False))
    output = run_read("videos", fails=True)
    assert "'is_aigc' is 'yes'" in output.errors[0].trace.error.message


def refusing(message: str, pages: list[dict[str, Any]]) -> Any:
    """A list that refuses any request asking for is_aigc, and serves `pages` in turn otherwise."""
    served = iter(pages)

    def answer(request: Any, context: Any) -> dict[str, Any]:
        if "is_aigc" in request.qs["fields"][0]:
            context.status_code = 400
            return envelope(code="invalid_params", message=message)
        return next(served)

    return answer


def list_fields(tiktok: Any) -> list[list[str]]:
    return [
        r.qs["fields"][0].split(",") for r in tiktok.request_history if r.url.startswith(LIST_URL)
    ]


def warnings_naming(output: EntrypointOutput, needle: str) -> list[str]:
    return [
        m.log.message
        for m in output.logs
        if m.log.level.value == "WARN" and needle in m.log.message
    ]


@pytest.mark.parametrize(
    "message",
    ["Unknown fields: is_aigc", "Invalid field(s): [IS_AIGC]", "field is_aigc is not supported"],
)
def test_given_a_deployment_refusing_is_aigc_then_the_page_is_asked_again_and_every_later_one_without_it(
    tiktok: Any, message: str
) -> None:
    pages = [
        list_page([video(3, T0), video(2, T0 - 60)], (T0 - 60) * 1000, True),
        list_page([video(1, T0 - 120)], None, False),
    ]
    tiktok.post(LIST_URL, json=refusing(message, pages))
    output = run_read("videos")
    assert record_ids(output) == ["3", "2", "1"]
    assert not any("is_aigc" in m.record.data for m in output.records)
    asked = list_fields(tiktok)
    assert ["is_aigc" in fields for fields in asked] == [True, False, False]
    assert list_bodies(tiktok)[:2] == [{"max_count": PAGE_SIZE}] * 2  # the same page again
    [warning] = warnings_naming(output, "is_aigc")
    assert "stays null" in warning
    assert "log-42" in warning


def test_given_both_lists_and_a_deployment_refusing_is_aigc_then_one_refusal_and_one_warning(
    tiktok: Any,
) -> None:
    page = list_page([video(1, T0)], None, False)
    tiktok.post(LIST_URL, json=refusing("Unknown fields: is_aigc", [page, page]))
    catalog = (
        CatalogBuilder()
        .with_stream("videos", SyncMode.full_refresh)
        .with_stream("video_stats", SyncMode.full_refresh)
        .build()
    )
    output = read(SourceTiktokOrganic(), make_config(), catalog)
    assert output.errors == []
    assert ["is_aigc" in fields for fields in list_fields(tiktok)] == [True, False, False]
    assert len(warnings_naming(output, "is_aigc")) == 1
    [row] = [m.record.data for m in output.records if m.record.stream == "video_stats"]
    assert row.get("is_aigc") is None


@pytest.mark.parametrize(
    "message", ["max_count must be an integer in 1..20", "Unknown fields: is_aigc"]
)
def test_given_invalid_params_not_about_an_asked_late_field_then_the_sync_fails_as_a_connector_bug(
    tiktok: Any, message: str
) -> None:
    """A refusal naming is_aigc once it is no longer asked for is not taken twice."""
    refusal = envelope(code="invalid_params", message=message)
    tiktok.post(LIST_URL, json=refusal, status_code=400)
    output = run_read("videos", fails=True)
    assert "bug in the connector" in output.errors[0].trace.error.message
    asked = list_fields(tiktok)
    assert len(asked) == (2 if "is_aigc" in message else 1)
