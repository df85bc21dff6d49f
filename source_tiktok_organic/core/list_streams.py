"""`videos` and `video_stats` as the CDK's concurrent streams, for either API: each walks the list
itself in create_time windows; `videos` keeps the CDK's concurrent cursor on `create_time`,
`video_stats` one snapshot of every video it walks, both held to the sync's one cursor guard;
a worker's STATE travels behind the records it emitted first, so none claims a video not out."""

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from queue import Queue
from typing import Any, cast

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    EstimateType,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import (
    InMemoryMessageRepository,
    MessageRepository,
    NoopMessageRepository,
)
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import (
    ConcurrentCursor,
    Cursor,
    CursorField,
    FinalStateCursor,
)
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    EpochValueConcurrentStreamStateConverter,
)
from airbyte_cdk.sources.types import Record
from airbyte_cdk.sources.utils.record_helper import stream_data_to_airbyte_message
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.cursor import (
    EARLIEST_VIDEO,
    EPOCH_MILLISECONDS,
    EPOCH_SECONDS,
    ISO_DATETIME,
    CursorGuard,
)
from source_tiktok_organic.core.deletions import (
    DELETED_AT,
    ROLL_FIELD,
    Listing,
    SavedRoll,
)
from source_tiktok_organic.core.pagination import describe_time
from source_tiktok_organic.core.roll import Roll
from source_tiktok_organic.core.state import (
    CURSOR_FIELD,
    SNAPSHOT_FIELD,
    parse_snapshot_state,
    saved_create_time,
    snapshot_taken,
)
from source_tiktok_organic.core.streams import SyncContext, require_scope
from source_tiktok_organic.core.video_list import (
    ListApi,
    ListWalk,
    WalkBound,
    WindowGenerator,
    WindowPartition,
)
from source_tiktok_organic.core.windows import cut, needs_cut, one_window

VIDEOS = "videos"
VIDEO_STATS = "video_stats"
LIST_STREAMS = (VIDEOS, VIDEO_STATS)
DAY_SECONDS = 86_400
# What today's and the previous version's `videos` state may hold; the resume fields only
# shortened an interrupted walk, so dropping them re-reads at most that walk.
SAVED_VIDEO_CURSORS = {
    CURSOR_FIELD: EPOCH_SECONDS,
    "resume_before_ms": EPOCH_MILLISECONDS,
    "resume_newest_create_time": EPOCH_SECONDS,
}


class InOrderMessages(ConcurrentMessageRepository):
    """The CDK's in-order repository over its in-memory one: a worker's messages go behind the
    records it queued first; the reading thread never blocks on the queue only it empties."""

    def __init__(self, queue: Queue[QueueItem]) -> None:
        super().__init__(queue, InMemoryMessageRepository())


class VideoCursor(ConcurrentCursor):
    """`create_time` merged from finished windows, with the roll of listed videos; a video dated
    past now never moves it (deletion records never reach it)."""

    def __init__(
        self,
        stream: str,
        saved: Mapping[str, Any],
        start: int,
        guard: CursorGuard,
        messages: MessageRepository,
        states: ConnectorStateManager,
        logger: logging.Logger,
        roll: SavedRoll,
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
        self._roll = roll

    @property
    def state(self) -> MutableMapping[str, Any]:
        return {**super().state, **self._roll.state()}

    def observe(self, record: Record) -> None:
        created = EPOCH_SECONDS.read(record.data.get(CURSOR_FIELD))
        if self._guard.moves_cursor(created, f"Video {record.data.get('id')}", self._logger):
            super().observe(record)


class RolledFinalCursor(FinalStateCursor):
    """A full refresh of `videos`: no cursor, but the roll of listed videos."""

    def __init__(self, stream: str, messages: MessageRepository, roll: SavedRoll) -> None:
        super().__init__(stream, None, messages)
        self._roll = roll

    @property
    def state(self) -> MutableMapping[str, Any]:
        return {**super().state, **self._roll.state()}


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


@dataclass(frozen=True)
class ListSource:
    """What one API brings to the list streams."""

    api: Callable[[logging.Logger], ListApi]  # one per stream: it may log what it leaves out
    schemas: Mapping[str, str]  # stream name -> schema name under schemas/
    snapshot_of: Callable[[Mapping[str, Any]], dict[str, Any]]
    scope: str  # without it the list cannot be read


@dataclass(frozen=True)
class ListStreams:
    """Builds the sync's list streams; nothing here asks TikTok before the read starts."""

    context: SyncContext
    source: ListSource
    messages: MessageRepository = field(default_factory=NoopMessageRepository)  # discover's: none
    states: ConnectorStateManager = field(default_factory=ConnectorStateManager)
    stopped: threading.Event = field(default_factory=threading.Event)
    listing: Listing | None = None  # this sync's walks, when `videos` is read

    def cursor(
        self, name: str, sync_mode: SyncMode, roll: SavedRoll, logger: logging.Logger
    ) -> tuple[Cursor, int | None]:
        """The stream's cursor, with `videos`' saved create_time when it is read incrementally."""
        guard, saved = self.context.guard, self.states.get_stream_state(name, None)
        if name == VIDEO_STATS:
            kept = guard.saved_state(name, saved, {SNAPSHOT_FIELD: ISO_DATETIME}, logger)
            snapshot_at = self.context.snapshot_at
            return SnapshotCursor(name, kept, snapshot_at, self.messages, self.states), None
        if sync_mode != SyncMode.incremental:
            return RolledFinalCursor(name, self.messages, roll), None
        since = saved_create_time(guard.saved_state(name, saved, SAVED_VIDEO_CURSORS, logger))
        start = max(EARLIEST_VIDEO, self.context.settings.start_time or 0)
        resumed = {} if since is None else {CURSOR_FIELD: since}
        cursor = VideoCursor(name, resumed, start, guard, self.messages, self.states, logger, roll)
        return cursor, since

    def build(self, name: str, sync_mode: SyncMode = SyncMode.full_refresh) -> DefaultStream:
        context, settings, guard = self.context, self.context.settings, self.context.guard
        logger = logging.getLogger(f"airbyte.streams.{name}")
        saved_roll = (self.states.get_stream_state(name, None) or {}).get(ROLL_FIELD)
        roll = SavedRoll(saved_roll if name == VIDEOS and self.listing is not None else None)
        cursor, since = self.cursor(name, sync_mode, roll, logger)
        snapshot = cursor if isinstance(cursor, SnapshotCursor) else None
        start = settings.start_time
        if start is not None and start > guard.latest.timestamp():
            logger.warning(
                "Config field 'start_date' is %s, after now: no video is synced until then.",
                describe_time(start),
            )
        floor = None if start is None else start - 1
        lookback = settings.lookback_days * DAY_SECONDS
        if since is not None:
            floor = since - lookback if floor is None else max(floor, since - lookback)
        latest, snapshot_at = int(guard.latest.timestamp()), context.snapshot_at
        open_id: str | None = None  # the account's, read once the read starts

        def below_newest(newest: int) -> int:
            """video_stats' lookback floor: from the newest real video, not one dated past now."""
            wanted = min(newest, latest) - lookback
            return wanted if floor is None else max(wanted, floor)

        lookback_only = snapshot is not None and settings.video_stats_scope == "lookback"
        floor_below_newest = below_newest if lookback_only else None

        def to_record(video: dict[str, Any]) -> dict[str, Any]:
            if snapshot is None:
                return video | {"open_id": open_id}
            row = {"open_id": open_id, "video_id": video["id"], SNAPSHOT_FIELD: snapshot_at}
            return row | self.source.snapshot_of(video)

        def plan(walk: ListWalk) -> Iterator[Partition]:
            """One window, or for a large whole-list read a cut after one probe page for its pace;
            then for `videos` the seconds of returning videos and, once walked, what is gone."""
            nonlocal open_id
            open_id = context.auth.open_id()
            try:  # for progress, cutting and bounding the list; None without user.info.stats
                count = (context.counters.read() or {}).get("video_count")
            except AirbyteTracedException as error:
                logger.warning(
                    "No progress estimate for %s, nor a check of the list against the profile's "
                    "video count: %s",
                    name,
                    error.message,
                )
                count = None
            count = count if type(count) is int else None
            walk.bound = WalkBound(count)
            whole = since is None and floor_below_newest is None
            if whole and count is not None:  # lets the Airbyte UI show the read's progress
                estimate = AirbyteEstimateTraceMessage(
                    name=name, type=EstimateType.STREAM, row_estimate=count
                )
                trace = AirbyteTraceMessage(
                    type=TraceType.ESTIMATE, emitted_at=time.time() * 1000, estimate=estimate
                )
                self.messages.emit_message(AirbyteMessage(type=Type.TRACE, trace=trace))
            require_scope(context.auth, self.source.scope, name)
            lowest = EARLIEST_VIDEO if floor is None else max(EARLIEST_VIDEO, floor + 1)
            windows = one_window(floor, lowest, latest)
            if whole and count is not None and needs_cut(count, settings.num_workers):
                probe = walk.fetch(None).videos
                times = [
                    video["create_time"] for video in probe if type(video.get("create_time")) is int
                ]
                windows = cut(floor, lowest, latest, count, settings.num_workers, times)
            previous = roll.read(open_id, logger)
            if previous is not None and not whole and self.listing is not None:
                bottom = max(EARLIEST_VIDEO, settings.start_time or 0)
                windows += self.listing.returning(previous, windows, bottom)
            if self.listing:
                judge = partial(send_gone, self.listing, previous) if name == VIDEOS else None
                walk.log = self.listing.log(whole, judge)
            for window in windows:
                partition = WindowPartition(walk, window, floor_below_newest)
                if walk.log:
                    walk.log.opened()
                yield snapshot.expect(partition) if snapshot else partition
            if snapshot:
                snapshot.planned()
            if walk.log:
                walk.log.planned()

        def send_gone(listing: Listing, previous: Roll | None) -> None:
            """Once `videos`' walk ended well, on the CDK's thread that ended it: a deletion
            record for each video gone, ahead of the STATE that closes the walk."""
            for video_id, created in listing.gone(previous, roll, open_id, logger):
                tombstone = {
                    "id": video_id,
                    CURSOR_FIELD: created,
                    "open_id": open_id,
                    DELETED_AT: snapshot_at,
                }
                self.messages.emit_message(stream_data_to_airbyte_message(name, tombstone))

        api, client = self.source.api(logger), context.api.client(name, logger)
        walk = ListWalk(
            name, api, client, context.progress, WalkBound(None), to_record, self.stopped, logger
        )
        return DefaultStream(
            partition_generator=WindowGenerator(walk, plan),
            name=name,
            json_schema=ResourceSchemaLoader("source_tiktok_organic").get_schema(
                self.source.schemas[name]
            ),
            primary_key=["video_id", SNAPSHOT_FIELD] if snapshot else ["id"],
            cursor_field=CursorField(SNAPSHOT_FIELD if snapshot else CURSOR_FIELD),
            logger=logger,
            cursor=cursor,
        )
