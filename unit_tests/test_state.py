"""Saved states: read as they were written, refused with the field named when they cannot be."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.state import parse_snapshot_state, saved_create_time


@pytest.mark.parametrize(
    ("raw", "create_time"),
    [({"create_time": 0}, 0), ({"create_time": "17"}, 17), ({"create_time": 17.0}, 17), ({}, None)],
)
def test_given_a_saved_create_time_then_it_is_read_as_epoch_seconds(
    raw: dict, create_time: int | None
) -> None:
    assert saved_create_time(raw) == create_time


@pytest.mark.parametrize("value", [-1, True, "soon", [1]])
def test_given_a_create_time_that_is_no_epoch_second_then_config_error_names_it(
    value: object,
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        saved_create_time({"create_time": value})
    assert raised.value.failure_type == FailureType.config_error
    assert "'create_time' must be a non-negative integer (epoch seconds)" in raised.value.message
    assert repr(value) in raised.value.message


@pytest.mark.parametrize(
    ("saved", "moment"),
    [
        ("2100-01-01T05:00:00+05:00", datetime(2100, 1, 1, tzinfo=UTC)),
        ("2100-01-01T00:00:00", datetime(2100, 1, 1, tzinfo=UTC)),  # naive: read as UTC
    ],
)
def test_given_a_saved_snapshot_then_it_is_the_same_instant_in_utc(
    saved: str, moment: datetime
) -> None:
    assert parse_snapshot_state({"snapshot_at": saved}, "video_stats") == moment


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2100-01-01", "expected an object, got str"),
        ({"snapshot_at": "soon"}, "'snapshot_at' must be an ISO 8601 date-time, got 'soon'"),
    ],
)
def test_given_an_unreadable_snapshot_state_then_config_error_names_stream_and_why(
    raw: object, reason: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_snapshot_state(raw, "user_stats")  # type: ignore[arg-type]
    assert raised.value.failure_type == FailureType.config_error
    assert f"The saved state of stream 'user_stats' is invalid: {reason}." in raised.value.message


def test_given_a_video_state_that_is_no_object_then_config_error_names_the_stream() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        saved_create_time("2100")  # type: ignore[arg-type]
    assert (
        "The saved state of stream 'videos' is invalid: expected an object, got str."
        in raised.value.message
    )


def test_the_previous_versions_resume_fields_leave_only_the_cursor() -> None:
    """They shortened an interrupted walk; without them that walk is read again, nothing lost."""
    saved = {"create_time": 7, "resume_before_ms": 9000, "resume_newest_create_time": 5}
    assert saved_create_time(saved) == 7
    assert saved_create_time({"resume_before_ms": 9000}) is None
