"""Business-mode streams against a mocked API for Business: what each asks for, and when."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from airbyte_cdk.models import SyncMode, TraceType, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder

from source_tiktok_organic import SourceTiktokOrganic
from unit_tests.test_business_auth import API, REFRESH_URL, business_config, grant

PROFILE_URL = API + "/open_api/v1.3/business/get/"
LIST_URL = API + "/open_api/v1.3/business/video/list/"
ALL_SCOPES = "user.info.basic,user.info.stats,user.insights,video.list,video.insights"


def answer(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


@pytest.fixture
def business(requests_mock: Any) -> Any:
    requests_mock.post(REFRESH_URL, json=grant(scope=ALL_SCOPES))
    requests_mock.get(PROFILE_URL, json=answer({"metrics": [], "videos_count": 2}))
    requests_mock.get(
        LIST_URL,
        json=answer(
            {
                "videos": [
                    {"item_id": "2", "create_time": "1760000100"},
                    {"item_id": "1", "create_time": "1760000000"},
                ],
                "cursor": 1759999999999,
                "has_more": False,
            }
        ),
    )
    return requests_mock


def query(request: Any) -> dict[str, Any]:
    return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}


def profile_calls(mock: Any) -> list[dict[str, Any]]:
    return [query(r) for r in mock.request_history if r.url.startswith(PROFILE_URL)]


def read_daily(state_date: str | None = None, **config: Any) -> Any:
    catalog = CatalogBuilder().with_stream("daily_metrics", SyncMode.incremental).build()
    state = None
    if state_date is not None:
        state = StateBuilder().with_stream_state("daily_metrics", {"date": state_date}).build()
    output = read(SourceTiktokOrganic(), business_config(**config), catalog, state)
    assert not output.errors, [e.trace.error.message for e in output.errors]
    return output


def days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


def test_given_no_state_then_the_60_days_to_yesterday_are_asked_for(business: Any) -> None:
    read_daily()
    [call] = profile_calls(business)
    assert (call["start_date"], call["end_date"]) == (days_ago(60), days_ago(1))
    assert json.loads(call["fields"]) == ["metrics"]


def test_given_a_saved_day_then_it_and_the_two_before_are_asked_for_again(business: Any) -> None:
    read_daily(days_ago(5))
    [call] = profile_calls(business)
    assert (call["start_date"], call["end_date"]) == (days_ago(7), days_ago(1))


def test_given_a_saved_day_whose_reread_starts_at_the_oldest_then_no_day_is_said_lost(
    business: Any,
) -> None:
    output = read_daily(days_ago(58))
    [call] = profile_calls(business)
    assert call["start_date"] == days_ago(60)
    assert not [log for log in output.logs if "are lost" in log.log.message]
    later = read_daily(days_ago(59))
    assert any("are lost" in log.log.message for log in later.logs)


def test_given_a_start_date_inside_the_60_days_then_the_window_starts_there(business: Any) -> None:
    read_daily(start_date=days_ago(10))
    [call] = profile_calls(business)
    assert call["start_date"] == days_ago(10)


@pytest.mark.parametrize(
    ("saved", "said"),
    [(days_ago(-5), "is after now"), ("9999-12-31", "is after now"), ("0001-01-01", "is before")],
)
def test_given_an_impossible_saved_day_then_it_is_named_and_read_as_absent(
    business: Any, saved: str, said: str
) -> None:
    output = read_daily(saved)
    [call] = profile_calls(business)
    assert (call["start_date"], call["end_date"]) == (days_ago(60), days_ago(1))
    [warning] = [m.log.message for m in output.logs if "is ignored" in m.log.message]
    assert f"daily_metrics is ignored: its date '{saved}' {said}" in warning


def test_given_a_row_dated_in_the_future_then_it_is_synced_but_the_state_stays(
    requests_mock: Any,
) -> None:
    requests_mock.post(REFRESH_URL, json=grant(scope=ALL_SCOPES))
    rows = [{"date": days_ago(2), "video_views": 5}, {"date": "2100-01-01", "video_views": 7}]
    requests_mock.get(PROFILE_URL, json=answer({"metrics": rows}))
    output = read_daily()
    assert [r.record.data["date"] for r in output.records] == [days_ago(2), "2100-01-01"]
    assert output.most_recent_state.stream_state.date == days_ago(2)
    assert any("is dated 2100-01-01" in m.log.message for m in output.logs)


def test_given_only_videos_then_the_profile_call_for_the_estimate_names_the_business_id(
    business: Any,
) -> None:
    catalog = CatalogBuilder().with_stream("videos", SyncMode.full_refresh).build()
    output = read(SourceTiktokOrganic(), business_config(), catalog)
    assert not output.errors
    [call] = profile_calls(business)
    assert call["business_id"] == "biz-open-id"
    assert json.loads(call["fields"]) == [
        "following_count",
        "followers_count",
        "total_likes",
        "videos_count",
    ]
    estimates = [
        m.trace.estimate.row_estimate
        for m in output._messages
        if m.type == Type.TRACE and m.trace.type == TraceType.ESTIMATE
    ]
    assert estimates == [2]
    [listed] = [query(r) for r in business.request_history if r.url.startswith(LIST_URL)]
    assert listed["business_id"] == "biz-open-id"
    assert listed["max_count"] == "20"
    assert "cursor" not in listed
    assert {"item_id", "create_time", "video_views", "reach", "video_view_retention"} <= set(
        json.loads(listed["fields"])
    )


def test_given_counters_tiktok_cannot_have_sent_then_the_warning_names_the_call(
    business: Any,
) -> None:
    business.get(PROFILE_URL, json=answer({"videos_count": "lots"}))
    catalog = CatalogBuilder().with_stream("videos", SyncMode.full_refresh).build()
    output = read(SourceTiktokOrganic(), business_config(), catalog)
    [warning] = [
        log.log.message for log in output.logs if "No progress estimate" in log.log.message
    ]
    assert "'video_count' is 'lots'" in warning
    assert "request_id: req-1" in warning


def read_stream(stream: str, mode: SyncMode = SyncMode.full_refresh, **kwargs: Any) -> Any:
    catalog = CatalogBuilder().with_stream(stream, mode).build()
    fails = kwargs.pop("fails", False)
    state = kwargs.pop("state", None)
    output = read(SourceTiktokOrganic(), business_config(**kwargs), catalog, state, fails)
    assert bool(output.errors) == fails, [e.trace.error.message for e in output.errors]
    return output


def error_of(output: Any) -> str:
    """The stream's error (the CDK adds one for the sync after it)."""
    return str(output.errors[0].trace.error.message)


def test_given_a_post_whose_create_time_is_not_digits_then_the_error_names_the_call(
    business: Any,
) -> None:
    page = {"videos": [{"item_id": "1", "create_time": "soon"}], "has_more": False}
    business.get(LIST_URL, json=answer(page), headers={"X-Tt-Logid": "logid-3"})
    message = error_of(read_stream("videos", fails=True))
    assert "'create_time' is 'soon'" in message
    assert "request_id: req-1, X-Tt-Logid: logid-3" in message


def test_given_a_profile_count_that_is_not_a_number_then_the_error_names_the_call(
    business: Any,
) -> None:
    business.get(PROFILE_URL, json=answer({"followers_count": "many"}))
    message = error_of(read_stream("user_info", fails=True))
    assert "'follower_count' is 'many'" in message
    assert "request_id: req-1" in message


def test_given_a_list_page_with_null_videos_then_no_record_and_no_crash(business: Any) -> None:
    business.get(LIST_URL, json=answer({"videos": None, "has_more": False, "cursor": 0}))
    assert read_stream("videos").records == []


def test_given_a_list_that_never_moves_then_the_stuck_cursor_error_names_the_request(
    business: Any,
) -> None:
    page = {"videos": [{"item_id": "1", "create_time": "1760000000"}], "has_more": True}
    business.get(LIST_URL, json=answer({**page, "cursor": 1760000001000}))
    message = error_of(read_stream("videos", fails=True))
    assert "stopped advancing" in message
    assert "req-1" in message


@pytest.mark.parametrize("days", [[1, 2], "every day"])
def test_given_daily_metrics_that_are_not_a_list_of_days_then_a_clear_error(
    business: Any, days: Any
) -> None:
    business.get(PROFILE_URL, json=answer({"metrics": days}))
    message = error_of(read_stream("daily_metrics", SyncMode.incremental, fails=True))
    assert "daily metrics are not a list of days" in message
    assert "request_id: req-1" in message


def test_given_days_newest_first_then_the_state_is_still_the_newest_day(business: Any) -> None:
    days = [{"date": days_ago(1), "likes": 3}, {"date": days_ago(3), "likes": -1}]
    business.get(PROFILE_URL, json=answer({"metrics": days}))
    output = read_stream("daily_metrics", SyncMode.incremental)
    assert [record.record.data.get("likes") for record in output.records] == [3, None]
    assert output.most_recent_state.stream_state.__dict__ == {"date": days_ago(1)}


def test_given_a_full_refresh_with_a_saved_day_then_the_whole_60_days_are_read(
    business: Any,
) -> None:
    state = StateBuilder().with_stream_state("daily_metrics", {"date": days_ago(2)}).build()
    read_stream("daily_metrics", state=state)
    [call] = profile_calls(business)
    assert call["start_date"] == days_ago(60)


def test_given_a_start_date_of_yesterday_then_that_one_day_is_asked_for(business: Any) -> None:
    read_daily(start_date=days_ago(1))
    [call] = profile_calls(business)
    assert call["start_date"] == call["end_date"] == days_ago(1)


def test_given_a_saved_audience_snapshot_from_the_future_then_a_warning_and_a_snapshot(
    business: Any,
) -> None:
    business.get(PROFILE_URL, json=answer({"audience_ages": [{"age": "18-24", "percentage": 1}]}))
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    state = StateBuilder().with_stream_state("audience_snapshots", {"snapshot_at": future}).build()
    output = read_stream("audience_snapshots", SyncMode.incremental, state=state)
    assert len(output.records) == 1
    assert any("audience_snapshots is ignored" in log.log.message for log in output.logs)


def test_the_fields_go_as_a_compact_json_array_literal(business: Any) -> None:
    read_stream("user_info")
    [call] = profile_calls(business)
    assert call["fields"].startswith('["')
    assert ", " not in call["fields"]


def test_given_audience_items_that_are_not_shares_then_only_the_shares_become_rows(
    business: Any,
) -> None:
    ages = ["18-24", {"age": "25-34", "percentage": 0.5}, {"percentage": 0.5}]
    business.get(PROFILE_URL, json=answer({"audience_ages": ages}))
    rows = [record.record.data for record in read_stream("audience_snapshots").records]
    assert [(row["open_id"], row["value"], row["percentage"]) for row in rows] == [
        ("biz-open-id", "25-34", 0.5)
    ]


def test_given_a_saved_daily_state_without_a_date_then_the_60_days_are_read(
    business: Any,
) -> None:
    state = StateBuilder().with_stream_state("daily_metrics", {"date": None}).build()
    read_stream("daily_metrics", SyncMode.incremental, state=state)
    [call] = profile_calls(business)
    assert call["start_date"] == days_ago(60)


def test_given_a_day_whose_date_is_not_a_date_then_the_error_quotes_it(business: Any) -> None:
    business.get(PROFILE_URL, json=answer({"metrics": [{"date": "yesterday"}]}))
    message = error_of(read_stream("daily_metrics", SyncMode.incremental, fails=True))
    assert "a daily metrics row whose date is 'yesterday'" in message


def test_given_a_start_date_then_its_day_is_read_in_utc_whatever_the_machines_zone(
    business: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        read_daily(start_date=days_ago(10))
    finally:
        monkeypatch.undo()
        time.tzset()
    [call] = profile_calls(business)
    assert call["start_date"] == days_ago(10)


def test_given_more_audience_cities_than_an_array_keeps_then_the_first_ones_and_a_warning(
    business: Any,
) -> None:
    cities = [{"city_name": f"City {n}", "percentage": 0.0002} for n in range(3_601)]
    business.get(PROFILE_URL, json=answer({"audience_cities": cities}))
    output = read_stream("audience_snapshots")
    assert len(output.records) == 3_600
    assert output.records[-1].record.data["value"] == "City 3599"
    assert any(
        "The account's audience: TikTok sent 3,601 entries of audience_cities" in log.log.message
        for log in output.logs
    )


def test_given_a_start_date_after_yesterday_then_no_day_is_asked_and_the_log_says_why(
    business: Any,
) -> None:
    output = read_daily(start_date=days_ago(-3))
    assert profile_calls(business) == []
    assert any("daily_metrics has no day to read" in m.log.message for m in output.logs)
