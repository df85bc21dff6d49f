"""`videos` and `video_stats` as the CDK's concurrent streams, for either API.

Both walk the video list in create_time windows (windows.py, video_list.py); each walks it
itself, so neither waits on the other. `videos` keeps the CDK's concurrent cursor on
`create_time`; `video_stats` takes one snapshot of every video it walks.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField, FinalStateCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.cursor import (
    EARLIEST_VIDEO,
    EPOCH_MILLISECONDS,
    EPOCH_SECONDS,
    ISO_DATETIME,
)
from source_tiktok_organic.core.errors import config_error
from source_tiktok_organic.core.list_state import SnapshotCursor, VideoCursor
from source_tiktok_organic.core.pagination import describe_time, lookback_floor
from source_tiktok_organic.core.state import (
    CURSOR_FIELD,
    RESUME_BEFORE,
    RESUME_NEWEST,
    SNAPSHOT_FIELD,
    saved_create_time,
)
from source_tiktok_organic.core.streams import SyncContext
from source_tiktok_organic.core.video_list import (
    ListApi,
    ListWalk,
    WalkBound,
    WindowGenerator,
    WindowPartition,
)
from source_tiktok_organic.core.windows import Window, cut, needs_cut, one_window

VIDEOS = "videos"
VIDEO_STATS = "video_stats"
LIST_STREAMS = (VIDEOS, VIDEO_STATS)
# What today's and the previous version's `videos` state may hold; the resume fields only
# shortened an interrupted walk, so dropping them re-reads at most that walk.
SAVED_VIDEO_CURSORS = {
    CURSOR_FIELD: EPOCH_SECONDS,
    RESUME_BEFORE: EPOCH_MILLISECONDS,
    RESUME_NEWEST: EPOCH_SECONDS,
}


@dataclass(frozen=True)
class ListSource:
    """What one API brings to the list streams."""

    api: Callable[[logging.Logger], ListApi]  # one per stream: it may log what it leaves out
    schemas: Mapping[str, str]  # stream name -> schema name under schemas/
    snapshot_of: Callable[[Mapping[str, Any]], dict[str, Any]]
    scope: str  # without it the list cannot be read


class ListStreams:
    """Builds the sync's list streams; nothing here asks TikTok before the read starts."""

    def __init__(
        self,
        context: SyncContext,
        source: ListSource,
        messages: MessageRepository,
        states: ConnectorStateManager,
        stopped: threading.Event,
    ) -> None:
        self.context = context
        self._settings = context.settings
        self._source = source
        self._messages = messages
        self._states = states
        self._stopped = stopped

    def build(self, name: str, sync_mode: SyncMode = SyncMode.full_refresh) -> DefaultStream:
        logger = logging.getLogger(f"airbyte.streams.{name}")
        incremental = sync_mode == SyncMode.incremental
        if name == VIDEOS:
            cursor, plan, to_record = self._videos(logger, incremental)
            keys, cursor_field = ["id"], CURSOR_FIELD
        else:
            cursor, plan, to_record = self._video_stats(logger)
            keys, cursor_field = ["video_id", SNAPSHOT_FIELD], SNAPSHOT_FIELD
        walk = self._walk(name, logger, to_record)
        return DefaultStream(
            partition_generator=WindowGenerator(walk, plan),
            name=name,
            json_schema=ResourceSchemaLoader("source_tiktok_organic").get_schema(
                self._source.schemas[name]
            ),
            primary_key=keys,
            cursor_field=CursorField(cursor_field),
            logger=logger,
            cursor=cursor,
        )

    def _walk(
        self, name: str, logger: logging.Logger, to_record: Callable[[dict[str, Any]], Any]
    ) -> ListWalk:
        return ListWalk(
            stream=name,
            api=self._source.api(logger),
            reader=self.context.api.client(name, logger),
            progress=self.context.progress,
            bound=WalkBound(None),
            to_record=to_record,
            stopped=self._stopped,
        )

    def _videos(
        self, logger: logging.Logger, incremental: bool
    ) -> tuple[Cursor, Callable[[ListWalk], Iterator[WindowPartition]], Any]:
        saved = self._saved_create_time(logger) if incremental else None
        start = max(EARLIEST_VIDEO, self._settings.start_time or 0)
        cursor: Cursor
        if incremental:
            cursor = VideoCursor(
                VIDEOS,
                {} if saved is None else {CURSOR_FIELD: saved},
                start,
                self.context.guard,
                self._messages,
                self._states,
                logger,
            )
        else:
            cursor = FinalStateCursor(VIDEOS, None, self._messages)
        floors = [self._start_floor(logger)]
        if saved is not None:
            floors.append(lookback_floor(saved, self._settings.lookback_days))
        floor = max((mark for mark in floors if mark is not None), default=None)
        owner: list[str | None] = []

        def plan(walk: ListWalk) -> Iterator[WindowPartition]:
            owner.append(self.context.auth.open_id())
            windows = self._windows(walk, logger, floor, cuttable=saved is None)
            for window in windows:
                yield WindowPartition(walk, window)

        def to_record(video: dict[str, Any]) -> dict[str, Any]:
            video["open_id"] = owner[0]
            return video

        return cursor, plan, to_record

    def _video_stats(
        self, logger: logging.Logger
    ) -> tuple[Cursor, Callable[[ListWalk], Iterator[WindowPartition]], Any]:
        saved = self._states.get_stream_state(VIDEO_STATS, None)
        guarded = (
            self.context.guard.saved_state(
                VIDEO_STATS, saved, {SNAPSHOT_FIELD: ISO_DATETIME}, logger
            )
            if isinstance(saved, Mapping)
            else saved
        )
        snapshot = SnapshotCursor(
            VIDEO_STATS, guarded or {}, self.context.snapshot_at, self._messages, self._states
        )
        lookback = self._settings.video_stats_scope == "lookback"
        floor = self._start_floor(logger)
        owner: list[str | None] = []
        snapshot_of = self._source.snapshot_of
        latest = int(self.context.guard.latest.timestamp())
        days = self._settings.lookback_days

        def below_newest(newest: int) -> int:
            # the newest real video: one dated past now must not pull the window after it
            wanted = lookback_floor(min(newest, latest), days)
            return wanted if floor is None else max(wanted, floor)

        def plan(walk: ListWalk) -> Iterator[WindowPartition]:
            owner.append(self.context.auth.open_id())
            if lookback:
                walk.bound = WalkBound(self._video_count(walk.stream, logger))
                self._ready(walk.stream)
                window = one_window(floor, EARLIEST_VIDEO, latest)[0]
                yield snapshot.expect(WindowPartition(walk, window, below_newest))
            else:
                for window in self._windows(walk, logger, floor, cuttable=True):
                    yield snapshot.expect(WindowPartition(walk, window))
            snapshot.planned()

        def to_record(video: dict[str, Any]) -> dict[str, Any]:
            row = {"open_id": owner[0], "video_id": video["id"]}
            row[SNAPSHOT_FIELD] = self.context.snapshot_at
            row.update(snapshot_of(video))
            return row

        return snapshot, plan, to_record

    def _windows(
        self, walk: ListWalk, logger: logging.Logger, floor: int | None, *, cuttable: bool
    ) -> list[Window]:
        """One window, or a cut of a large list after one probe page for its pace.

        Only a whole-list read (`cuttable`) is cut, and only it has a size to estimate.
        """
        count = self._video_count(walk.stream, logger)
        walk.bound = WalkBound(count)
        if cuttable and count is not None:
            self._messages.emit_message(estimate(walk.stream, count))
        self._ready(walk.stream)
        start = max(EARLIEST_VIDEO, floor + 1) if floor is not None else EARLIEST_VIDEO
        end = int(self.context.guard.latest.timestamp())
        workers = self._settings.num_workers
        if not (cuttable and count is not None and needs_cut(count, workers)):
            return one_window(floor, start, end)
        probe = walk.fetch(None)
        return cut(floor, start, end, count, workers, list(_create_times(probe.videos)))

    def _ready(self, stream: str) -> None:
        scope = self._source.scope
        if scope not in self.context.auth.granted_scopes():
            raise config_error(
                f"Stream '{stream}' needs the TikTok scope '{scope}', which this authorization "
                f"does not grant. Add it to your TikTok app, re-authenticate the source, or "
                f"deselect '{stream}'."
            )

    def _video_count(self, stream: str, logger: logging.Logger) -> int | None:
        """The account's video count, for progress, cutting the list and bounding it; None if
        unknown (without the scope user.info.stats)."""
        try:
            counters = self.context.counters.read()
        except AirbyteTracedException as error:
            logger.warning(
                "No progress estimate for %s, nor a check of the list against the profile's "
                "video count: %s",
                stream,
                error.message,
            )
            return None
        count = counters.get("video_count") if counters else None
        if isinstance(count, int) and not isinstance(count, bool):
            return count
        return None

    def _start_floor(self, logger: logging.Logger) -> int | None:
        start = self._settings.start_time
        if start is not None and start > self.context.guard.latest.timestamp():
            logger.warning(
                "Config field 'start_date' is %s, after now: no video is synced until then.",
                describe_time(start),
            )
        return None if start is None else start - 1

    def _saved_create_time(self, logger: logging.Logger) -> int | None:
        """The saved `videos` cursor, held to the guard; today's resume fields are dropped."""
        saved: Mapping[str, Any] = self._states.get_stream_state(VIDEOS, None)
        if isinstance(saved, Mapping):
            saved = self.context.guard.saved_state(VIDEOS, saved, SAVED_VIDEO_CURSORS, logger)
        return saved_create_time(saved)


def _create_times(videos: list[dict[str, Any]]) -> Iterator[int]:
    for video in videos:
        created = video.get("create_time")
        if isinstance(created, int) and not isinstance(created, bool):
            yield created


def estimate(stream: str, count: int) -> AirbyteMessage:
    """Lets the Airbyte UI show progress of a whole-account read."""
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ESTIMATE,
            emitted_at=time.time() * 1000,
            estimate=AirbyteEstimateTraceMessage(
                name=stream, type=EstimateType.STREAM, row_estimate=count
            ),
        ),
    )
