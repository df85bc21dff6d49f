"""The one cursor guard: what a saved state may hold, and which records may move a cursor."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import NoopMessageRepository

from source_tiktok_organic import SourceTiktokOrganic
from source_tiktok_organic.core.cursor import (
    EPOCH_MILLISECONDS,
    EPOCH_SECONDS,
    EVER,
    ISO_DATE,
    ISO_DATETIME,
    CursorGuard,
    CursorKind,
)
from source_tiktok_organic.core.list_streams import ListStreams, SnapshotCursor, VideoCursor
from source_tiktok_organic.core.streams import GuardedState
from unit_tests.conftest import make_config

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
GUARD = CursorGuard(NOW)
LOGGER = logging.getLogger("test.cursor")


@pytest.mark.parametrize(
    ("kind", "raw", "wrong"),
    [
        (EPOCH_SECONDS, int(NOW.timestamp()) + 3600, None),  # within the clock skew
        (EPOCH_SECONDS, int(NOW.timestamp()) + 3601, "after now"),
        (EPOCH_SECONDS, "4102444800", "after now"),
        (EPOCH_SECONDS, 10**30, "after now"),
        (EPOCH_SECONDS, float("nan"), "before any TikTok data"),
        (EPOCH_SECONDS, 1_388_534_400, None),
        (EPOCH_SECONDS, 1_388_534_399, "before any TikTok data"),
        (EPOCH_MILLISECONDS, 9_999_999_999_000, "after now"),
        (EPOCH_MILLISECONDS, int(NOW.timestamp()) * 1000, None),
        (ISO_DATE, "2026-06-01", None),
        (ISO_DATE, "2026-06-06", "after now"),
        (ISO_DATE, "9999-12-31", "after now"),
        (ISO_DATE, "0001-01-01", "before any TikTok data"),
        (ISO_DATETIME, "2100-01-01T00:00:00", "after now"),
        (ISO_DATETIME, "2026-06-01T12:30:00+00:00", None),
        (ISO_DATETIME, "2026-06-01T14:00:00+01:00", None),  # 13:00 UTC
        (ISO_DATETIME, "last tuesday", None),  # for the stream's own parser to refuse by name
        (EPOCH_SECONDS, None, None),
    ],
    ids=repr,
)
def test_given_a_saved_cursor_then_only_an_impossible_one_is_named(
    kind: CursorKind, raw: Any, wrong: str | None
) -> None:
    said = GUARD.out_of_range({"cursor": raw}, {"cursor": kind})
    assert (said is None) == (wrong is None)
    if wrong:
        assert wrong in said  # type: ignore[operator]
        assert repr(raw)[:20] in said  # type: ignore[operator]


def test_given_an_impossible_saved_state_then_all_of_it_is_dropped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    saved = {"create_time": 4102444800, "resume_before_ms": 5}
    assert GUARD.saved_state("videos", saved, {"create_time": EPOCH_SECONDS}, LOGGER) == {}
    assert "The saved state of stream videos is ignored: its create_time 4102444800" in caplog.text


def test_given_a_possible_saved_state_then_it_is_kept_as_it_is() -> None:
    saved = {"date": "2026-05-30", "other": 1}
    assert GUARD.saved_state("daily_metrics", saved, {"date": ISO_DATE}, LOGGER) is saved


def test_given_the_past_only_then_an_ancient_cursor_is_no_fault() -> None:
    assert GUARD.out_of_range({"c": 5}, {"c": EPOCH_SECONDS}, EVER) is None


@pytest.mark.parametrize(
    ("moment", "moves"),
    [
        (NOW, True),
        (NOW + timedelta(hours=1), True),
        (NOW + timedelta(hours=1, seconds=1), False),
        (datetime.max.replace(tzinfo=UTC), False),
        (None, False),
    ],
)
def test_given_a_records_cursor_then_one_past_now_does_not_move_it(
    caplog: pytest.LogCaptureFixture, moment: datetime | None, moves: bool
) -> None:
    assert GUARD.moves_cursor(moment, "Video 7", LOGGER) is moves
    assert ("Video 7 is dated" in caplog.text) == (moment is not None and not moves)


@pytest.mark.parametrize("mode", ["creator", "business"])
def test_every_stream_with_a_cursor_passes_the_one_guard(mode: str) -> None:
    """A stream gets the guard by being a stateful stream: none may keep a cursor it skips."""
    config = make_config(account_mode=mode)
    source = SourceTiktokOrganic()
    stateful = [s for s in source.streams(config) if s.cursor_field]
    assert {s.name for s in stateful} >= {"user_stats"}
    for stream in stateful:
        assert isinstance(stream, GuardedState), stream.name
        assert stream.cursor_field in stream.state_cursors, stream.name
        assert type(stream).state is GuardedState.state, stream.name
    context, mode_parts = source._sync(config)
    builder = ListStreams(
        context,
        mode_parts.video_list(context),
        NoopMessageRepository(),
        ConnectorStateManager(),
        threading.Event(),
    )
    assert isinstance(builder.build("videos", SyncMode.incremental).cursor, VideoCursor)
    assert isinstance(builder.build("video_stats", SyncMode.incremental).cursor, SnapshotCursor)


def test_given_a_state_held_back_again_and_again_then_it_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    [stats] = [s for s in SourceTiktokOrganic().streams(make_config()) if s.name == "user_stats"]
    assert isinstance(stats, GuardedState)
    saved = {"snapshot_at": "2023-11-14T22:13:20+00:00"}
    stats.state = saved
    stats.current_state = lambda: {"snapshot_at": "2100-01-01T00:00:00+00:00"}  # type: ignore[method-assign]
    for _ in range(5):
        assert stats.state == saved
    assert caplog.text.count("keeps its saved state") == 1


def test_given_a_later_cursor_out_of_range_after_an_absent_one_then_it_is_named() -> None:
    cursors = {"create_time": EPOCH_SECONDS, "resume_before_ms": EPOCH_MILLISECONDS}
    wrong = GUARD.out_of_range({"resume_before_ms": 9_999_999_999_000}, cursors)
    assert wrong is not None
    assert "resume_before_ms" in wrong


@pytest.mark.parametrize("raw", ["9" * 30, 10**30, -(10**30)], ids=["30 digits", "1e30", "-1e30"])
def test_given_an_epoch_beyond_any_calendar_then_it_is_named_not_a_crash(raw: Any) -> None:
    assert GUARD.out_of_range({"c": raw}, {"c": EPOCH_SECONDS}) is not None
