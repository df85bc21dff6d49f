"""The creator's videos (`videos`) and the history of their engagement counts (`video_stats`)."""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from types import MappingProxyType
from typing import Any
from weakref import WeakKeyDictionary

import requests
from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    EstimateType,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.answers import answer_data
from source_tiktok_organic.cursor import EPOCH_MILLISECONDS, EPOCH_SECONDS
from source_tiktok_organic.errors import naming_log_id, read_envelope
from source_tiktok_organic.fields import VIDEO_COUNT_FIELDS, VIDEO_FIELDS, VIDEO_LIST_SCOPE
from source_tiktok_organic.listing import ListedPage, ListingWalk, StretchWalk, VideoListing
from source_tiktok_organic.pagination import (
    VideoPage,
    describe_time,
    lookback_floor,
    to_video_page,
)
from source_tiktok_organic.records import conform
from source_tiktok_organic.slicing import PAGE_SIZE
from source_tiktok_organic.state import (
    CURSOR_FIELD,
    RESUME_BEFORE,
    RESUME_NEWEST,
    VideoState,
    parse_video_state,
)
from source_tiktok_organic.streams.base import (
    SNAPSHOT_FIELD,
    GuardedState,
    SnapshotStream,
    SyncContext,
    TikTokStream,
)

STRETCH = "stretch"


class VideoListStream(TikTokStream, ABC):
    """Reads POST /v2/video/list/ on the CDK's read loop, down the sync's shared listing.

    The listing's workers each drive the CDK's loop over one stretch of the list; the stretch's
    pager decides each next cursor while the page is parsed. The stream takes the pages back in
    list order, so its records and state are those of a plain walk.
    """

    http_method = "POST"

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        # the stretch each parsed answer belongs to, until next_page_token has asked it to go on
        self._stretch_of: WeakKeyDictionary[requests.Response, StretchWalk] = WeakKeyDictionary()
        self._stretch_lock = threading.Lock()

    def path(self, **_: Any) -> str:
        return "video/list/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(VIDEO_FIELDS)}

    def request_body_json(
        self, *_: Any, stream_slice: Mapping[str, Any] | None = None, **__: Any
    ) -> Mapping[str, Any] | None:
        """The stretch's cursor: where it starts, then where its last page led."""
        cursor = stretch_of(stream_slice).cursor
        body: dict[str, Any] = {"max_count": PAGE_SIZE}
        if cursor is not None:
            body["cursor"] = cursor
        return body

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_slice: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> Iterable[Mapping[str, Any]]:
        """Hands the page to the listing; the reader takes its records in list order."""
        stretch = stretch_of(stream_slice)
        page = self.read_page(response)
        with naming_log_id(page.log_id):
            stretch.accept(page)
        with self._stretch_lock:
            self._stretch_of[response] = stretch
        return ()

    def read_page(self, response: requests.Response) -> VideoPage:
        """The answer's videos, held to the schema, and where the list goes on."""
        envelope = read_envelope(response)
        with naming_log_id(envelope.log_id):
            page = to_video_page(answer_data(envelope, self.name), envelope.log_id)
            for video in page.videos:
                conform(video, "videos")
        return page

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """Whether the stretch goes on; the request body takes its cursor from the stretch."""
        with self._stretch_lock:
            stretch = self._stretch_of.pop(response)
        return {"cursor": stretch.cursor} if stretch.goes_on() else None

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """The list's pages in order: those on record, then those the workers fetch."""
        plan = self.begin(sync_mode)
        if plan is None:
            return
        listing, floor = plan
        count = self.video_count()
        expected = count if self.reads_whole_list() else None
        if expected is not None:
            yield estimate(self.name, expected)
        self.require_scope(VIDEO_LIST_SCOPE)
        walk = listing.walk(
            floor,
            self.name,
            self.walk_stretch,
            workers=self._settings.num_workers if self.walks_in_parallel() else 1,
            expected_videos=expected,
            video_count=count,
        )
        for page in walk.pages():
            taken = 0
            for record in self.take(page, walk):
                taken += 1
                yield record
            self._context.progress.took(self.name, taken)
        self._context.progress.log(f"Listing done for {self.name}")
        self.finish()

    def walk_stretch(self, stretch: StretchWalk) -> None:
        """One stretch of the list through HttpStream's own loop (run in a listing worker)."""
        on_loop = StreamSlice(partition={}, cursor_slice={}, extra_fields={STRETCH: stretch})
        for _ in super().read_records(SyncMode.full_refresh, stream_slice=on_loop):
            pass

    @abstractmethod
    def begin(self, sync_mode: SyncMode) -> tuple[VideoListing, int | None] | None:
        """The listing this read walks and its floor, or None when there is nothing to read."""

    @abstractmethod
    def reads_whole_list(self) -> bool:
        """Whether this read goes down to the first video, so the video count tells its size."""

    @abstractmethod
    def walks_in_parallel(self) -> bool:
        """Whether the floor is known before the walk, so idle workers may cut the list."""

    @abstractmethod
    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        """The records of one page; may stop the walk once it has what it wants."""

    @abstractmethod
    def finish(self) -> None:
        """Marks the read complete in the stream's state, once every record is out."""

    def video_count(self) -> int | None:
        """The account's video count, for progress, cutting the list and bounding it; None if
        unknown (without the scope user.info.stats)."""
        try:
            counters = self._context.counters.read()
        except AirbyteTracedException as error:
            self.logger.warning(
                "No progress estimate for %s, nor a check of the list against the profile's "
                "video count: %s",
                self.name,
                error.message,
            )
            return None
        count = counters.get("video_count") if counters else None
        if isinstance(count, int) and not isinstance(count, bool):
            return count
        return None

    def start_floor(self) -> int | None:
        start = self._settings.start_time
        if start is not None and start > self._context.guard.latest.timestamp():
            self.logger.warning(
                "Config field 'start_date' is %s, after now: no video is synced until then.",
                describe_time(start),
            )
        return None if start is None else start - 1


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


def stretch_of(stream_slice: Mapping[str, Any] | None) -> StretchWalk:
    """The stretch a listing worker put in the slice it hands to the CDK's loop."""
    assert isinstance(stream_slice, StreamSlice)
    return stream_slice.extra_fields[STRETCH]


class Videos(GuardedState, VideoListStream):
    """The creator's public videos, newest first (Display API "List Videos")."""

    primary_key = "id"
    state_checkpoint_interval = PAGE_SIZE
    state_cursors = MappingProxyType(
        {
            CURSOR_FIELD: EPOCH_SECONDS,
            RESUME_BEFORE: EPOCH_MILLISECONDS,
            RESUME_NEWEST: EPOCH_SECONDS,
        }
    )

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        self._saved = self._checkpoint = VideoState()
        self._newest: int | None = None

    @property
    def cursor_field(self) -> str:
        return CURSOR_FIELD

    def current_state(self) -> Mapping[str, Any]:
        """Only what whole pages already emitted: the CDK may checkpoint in the middle of a page."""
        return self._checkpoint.as_dict()

    def restore_state(self, saved: Any) -> None:
        self._saved = self._checkpoint = parse_video_state(saved)

    def begin(self, sync_mode: SyncMode) -> tuple[VideoListing, int | None]:
        if sync_mode != SyncMode.incremental:
            self._saved = self._checkpoint = VideoState()
        saved = self._saved
        floors = [self.start_floor()]
        if saved.create_time is not None:
            floors.append(lookback_floor(saved.create_time, self._settings.lookback_days))
        listing = self._context.listing
        if saved.resume_before_ms is not None:
            listing = VideoListing(self._context.progress, start_cursor=saved.resume_before_ms)
        self._newest = saved.resume_newest
        self._owner = self._auth.open_id()
        return listing, max((mark for mark in floors if mark is not None), default=None)

    def reads_whole_list(self) -> bool:
        return self._saved.create_time is None

    def walks_in_parallel(self) -> bool:
        return True

    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        for video in page.videos:
            video["open_id"] = self._owner
            created = video["create_time"]
            newer = self._newest is None or created > self._newest
            if newer and self.moves_cursor(created, EPOCH_SECONDS, f"Video {video['id']}"):
                self._newest = created
            yield video
        self._checkpoint = VideoState(
            create_time=self._saved.create_time,
            resume_before_ms=page.resume_cursor,
            resume_newest=self._newest,
        )

    def finish(self) -> None:
        self._checkpoint = VideoState(create_time=later(self._saved.create_time, self._newest))


class VideoStats(SnapshotStream, VideoListStream):
    """One row of engagement counts per video per sync: an append-only history."""

    @property
    def primary_key(self) -> list[str]:
        return ["video_id", SNAPSHOT_FIELD]

    def reads_whole_list(self) -> bool:
        return not self._window

    def walks_in_parallel(self) -> bool:
        """The lookback window's floor is known only from the newest video: one page at a time."""
        return not self._window

    def begin(self, sync_mode: SyncMode) -> tuple[VideoListing, int | None] | None:
        self._owner = self._auth.open_id()
        # all videos, or those within `lookback_days` of the newest (the `videos` window)
        self._window = self._settings.video_stats_scope == "lookback"
        self._oldest_wanted: int | None = None
        return self._context.listing, self.start_floor()

    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        snapshot_at = self._context.snapshot_at
        for video in page.videos:
            if self._window and self._oldest_wanted is None:
                # the newest real video: one dated past now must not pull the window after it
                newest = min(video["create_time"], int(self._context.guard.latest.timestamp()))
                self._oldest_wanted = lookback_floor(newest, self._settings.lookback_days)
            if self._oldest_wanted is not None and video["create_time"] <= self._oldest_wanted:
                walk.stop()
                return
            row = {"open_id": self._owner, "video_id": video["id"], SNAPSHOT_FIELD: snapshot_at}
            row.update(self.snapshot_of(video))
            yield row

    def snapshot_of(self, video: Mapping[str, Any]) -> dict[str, Any]:
        """The values this history keeps of a video at each sync."""
        return {field: video.get(field) for field in VIDEO_COUNT_FIELDS}

    def finish(self) -> None:
        self.taken()


def later(first: int | None, second: int | None) -> int | None:
    known = [mark for mark in (first, second) if mark is not None]
    return max(known) if known else None
