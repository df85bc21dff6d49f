"""The list streams' state: STATE behind its records, snapshots only when whole, the guard."""

import logging
import threading
from datetime import UTC, datetime
from queue import Queue
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteMessage, AirbyteStateMessage, Level, Type
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.types import Record, StreamSlice

from source_tiktok_organic.core.cursor import CursorGuard
from source_tiktok_organic.core.deletions import SavedRoll
from source_tiktok_organic.core.list_streams import InOrderMessages, SnapshotCursor, VideoCursor

NOW = datetime(2026, 12, 7, tzinfo=UTC)
SNAPSHOT = NOW.isoformat()


def state_message() -> AirbyteMessage:
    return AirbyteMessage(type=Type.STATE, state=AirbyteStateMessage())


def test_given_a_worker_message_then_it_goes_behind_the_records_it_put_first() -> None:
    queue: Queue[Any] = Queue()
    messages = InOrderMessages(queue)
    message = state_message()
    worker = threading.Thread(target=lambda: (queue.put("record"), messages.emit_message(message)))
    worker.start()
    worker.join()
    assert [queue.get(), queue.get()] == ["record", message]
    assert list(messages.consume_queue()) == []


def test_given_the_reading_threads_message_then_it_is_kept_for_it_not_queued() -> None:
    queue: Queue[Any] = Queue(maxsize=1)
    queue.put("full")  # the reader would wait forever on a full queue only it empties
    messages = InOrderMessages(queue)
    messages.emit_message(state_message())
    messages.log_message(Level.DEBUG, lambda: {"said": "quietly"})
    messages.log_message(Level.INFO, lambda: {"said": "aloud"})
    kept = list(messages.consume_queue())
    assert [m.type for m in kept] == [Type.STATE, Type.LOG]
    assert "aloud" in kept[1].log.message
    assert kept[1].log.level == Level.INFO
    assert list(messages.consume_queue()) == []


def snapshot_cursor(saved: dict[str, Any] | None = None) -> tuple[SnapshotCursor, Any]:
    repository = InMemoryMessageRepository()
    cursor = SnapshotCursor(
        "video_stats", saved or {}, SNAPSHOT, repository, ConnectorStateManager()
    )
    return cursor, repository


class Window:
    """A stand-in partition: only its identity matters to the snapshot cursor."""


def test_given_every_window_closed_then_the_snapshot_is_taken() -> None:
    cursor, repository = snapshot_cursor()
    windows = [cursor.expect(Window()), cursor.expect(Window())]  # type: ignore[arg-type]
    cursor.planned()
    for window in windows:
        cursor.close_partition(window)  # type: ignore[arg-type]
    cursor.ensure_at_least_one_state_emitted()
    assert cursor.state == {"snapshot_at": SNAPSHOT}
    [message] = list(repository.consume_queue())
    assert message.state.stream.stream_state.__dict__ == {"snapshot_at": SNAPSHOT}


@pytest.mark.parametrize("closed", [0, 1], ids=["none closed", "one of two failed"])
def test_given_a_window_not_closed_then_the_saved_snapshot_stays(closed: int) -> None:
    saved = {"snapshot_at": "2026-12-01T00:00:00+00:00"}
    cursor, _ = snapshot_cursor(saved)
    windows = [cursor.expect(Window()), cursor.expect(Window())]  # type: ignore[arg-type]
    cursor.planned()
    for window in windows[:closed]:
        cursor.close_partition(window)  # type: ignore[arg-type]
    cursor.ensure_at_least_one_state_emitted()
    assert cursor.state == saved


def test_given_windows_not_all_planned_then_the_snapshot_waits() -> None:
    cursor, _ = snapshot_cursor()
    cursor.ensure_at_least_one_state_emitted()  # the plan failed before any window
    assert cursor.state == {}


def test_given_a_later_saved_snapshot_then_it_never_moves_back() -> None:
    later = {"snapshot_at": "2026-12-08T00:00:00+00:00"}
    cursor, _ = snapshot_cursor(later)
    cursor.planned()
    cursor.ensure_at_least_one_state_emitted()
    assert cursor.state == later


def video_cursor(saved: dict, start: int, roll: SavedRoll | None = None) -> VideoCursor:
    return VideoCursor(
        "videos",
        saved,
        start,
        CursorGuard(NOW),
        InMemoryMessageRepository(),
        ConnectorStateManager(),
        logging.getLogger("test"),
        roll or SavedRoll(None),
    )


def window_of(start: int, end: int) -> Any:
    window = StreamSlice(partition={}, cursor_slice={"start": start, "end": end})

    class Closed:
        def to_slice(self) -> StreamSlice:
            return window

    return window, Closed()


def test_given_the_newer_window_closing_first_then_the_state_waits_for_the_older_one() -> None:
    earliest = 1_388_534_400
    cursor = video_cursor({}, earliest)
    older, older_partition = window_of(earliest, 1_600_000_000)
    newer, newer_partition = window_of(1_600_000_001, int(NOW.timestamp()))
    cursor.observe(Record({"id": "old", "create_time": 1_500_000_000}, "videos", older))
    cursor.observe(Record({"id": "new", "create_time": 1_700_000_000}, "videos", newer))
    cursor.close_partition(newer_partition)
    assert cursor.state == {"create_time": earliest}, "no claim over the older window yet"
    cursor.close_partition(older_partition)
    assert cursor.state == {"create_time": 1_700_000_000}


def test_given_a_video_dated_past_now_then_it_never_moves_the_videos_cursor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cursor = video_cursor({}, 1_388_534_400)
    window = StreamSlice(partition={}, cursor_slice={"start": 1_388_534_400, "end": 1_796_601_600})
    now_s = int(NOW.timestamp())
    for created, video in ((now_s - 60, "1"), (4_102_444_800, "2")):
        cursor.observe(Record({"id": video, "create_time": created}, "videos", window))

    class Closed:
        def to_slice(self) -> StreamSlice:
            return window

    cursor.close_partition(Closed())  # type: ignore[arg-type]
    assert cursor.state == {"create_time": now_s - 60}
    assert "Video 2 is dated" in caplog.text


def test_the_state_carries_the_roll_beside_the_cursor() -> None:
    roll = SavedRoll({"open_id": "me", "videos": "s1:kept as saved"})
    cursor = video_cursor({"create_time": 1_600_000_000}, 1_388_534_400, roll=roll)
    assert cursor.state == {
        "create_time": 1_600_000_000,
        "listed_videos": {"open_id": "me", "videos": "s1:kept as saved"},
    }
