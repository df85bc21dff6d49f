"""The list streams' state on the CDK's concurrent cursor, held to the sync's one cursor guard;
a worker's STATE travels behind the records it emitted first, so none claims a video not out."""

import logging
import threading
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from queue import Queue
from typing import Any, cast

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import (
    ConcurrentCursor,
    CursorField,
    FinalStateCursor,
)
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    EpochValueConcurrentStreamStateConverter,
)
from airbyte_cdk.sources.types import Record

from source_tiktok_organic.core.cursor import EPOCH_SECONDS, CursorGuard
from source_tiktok_organic.core.state import CURSOR_FIELD, parse_snapshot_state, snapshot_taken


class InOrderMessages(ConcurrentMessageRepository):
    """The CDK's in-order repository over its in-memory one: a worker's messages go behind the
    records it queued first; the reading thread never blocks on the queue only it empties."""

    def __init__(self, queue: Queue[QueueItem]) -> None:
        super().__init__(queue, InMemoryMessageRepository())


class VideoCursor(ConcurrentCursor):
    """`create_time` merged from finished windows; a video dated past now never moves it."""

    def __init__(
        self,
        stream: str,
        saved: Mapping[str, Any],
        start: int,
        guard: CursorGuard,
        messages: MessageRepository,
        states: ConnectorStateManager,
        logger: logging.Logger,
    ) -> None:
        super().__init__(
            stream_name=stream,
            stream_namespace=None,
            stream_state=dict(saved),
            message_repository=messages,
            connector_state_manager=states,
            connector_state_converter=EpochValueConcurrentStreamStateConverter(),
            cursor_field=CursorField(CURSOR_FIELD),
            slice_boundary_fields=("start", "end"),
            # the CDK's own epoch converter works in datetimes, which its protocol type misses
            start=cast(Any, datetime.fromtimestamp(start, UTC)),
            end_provider=lambda: cast(Any, guard.latest),
        )
        self._guard = guard
        self._logger = logger

    def observe(self, record: Record) -> None:
        created = EPOCH_SECONDS.read(record.data.get(CURSOR_FIELD))
        if self._guard.moves_cursor(created, f"Video {record.data.get('id')}", self._logger):
            super().observe(record)


class SnapshotCursor(FinalStateCursor):
    """A history stream's `snapshot_at`: this sync's, once every row is out; never backwards."""

    def __init__(
        self,
        stream: str,
        saved: Mapping[str, Any],
        snapshot_at: str,
        messages: MessageRepository,
        states: ConnectorStateManager,
    ) -> None:
        super().__init__(stream, None, messages)
        self._stream = stream
        self._state: MutableMapping[str, Any] = dict(saved)
        self._saved = parse_snapshot_state(saved, stream)
        self._snapshot_at = snapshot_at
        self._messages = messages
        self._states = states
        self._open: set[Partition] = set()
        self._planned = False
        self._lock = threading.Lock()

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._state

    def expect(self, partition: Partition) -> Partition:
        with self._lock:
            self._open.add(partition)
        return partition

    def planned(self) -> None:
        """Every window is known: once all are closed, the snapshot is whole."""
        with self._lock:
            self._planned = True

    def close_partition(self, partition: Partition) -> None:
        with self._lock:
            self._open.discard(partition)

    def ensure_at_least_one_state_emitted(self) -> None:
        """Called once the stream is done: the snapshot is taken if no window failed."""
        with self._lock:
            whole = self._planned and not self._open
        if whole:
            self._state = snapshot_taken(self._saved, self._snapshot_at, self._state)
        self._states.update_state_for_stream(self._stream, None, self._state)
        self._messages.emit_message(self._states.create_state_message(self._stream, None))
