"""The creator's videos (`videos`) and the history of their engagement counts (`video_stats`)."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
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
from source_tiktok_organic.errors import naming_log_id, read_envelope
from source_tiktok_organic.fields import VIDEO_COUNT_FIELDS, VIDEO_FIELDS, VIDEO_LIST_SCOPE
from source_tiktok_organic.listing import ListedPage, ListingWalk, VideoListing
from source_tiktok_organic.pagination import describe_time, lookback_floor, to_video_page
from source_tiktok_organic.records import conform
from source_tiktok_organic.state import CURSOR_FIELD, VideoState, parse_video_state
from source_tiktok_organic.streams.base import (
    SNAPSHOT_FIELD,
    SnapshotStream,
    SyncContext,
    TikTokStream,
)

PAGE_SIZE = 20  # TikTok's maximum max_count for /v2/video/list/
WALK = "walk"


class VideoListStream(TikTokStream, ABC):
    """Reads POST /v2/video/list/ on the CDK's read loop, down the sync's shared listing.

    Pages already listed this sync are replayed first; the CDK's loop fetches the rest, and the
    listing's pager decides each next cursor while the page is parsed.
    """

    http_method = "POST"

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        # the walk each parsed answer belongs to, until next_page_token has read its cursor
        self._walk_of: WeakKeyDictionary[requests.Response, ListingWalk] = WeakKeyDictionary()

    def path(self, **_: Any) -> str:
        return "video/list/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(VIDEO_FIELDS)}

    def request_body_json(
        self, *_: Any, stream_slice: Mapping[str, Any] | None = None, **__: Any
    ) -> Mapping[str, Any]:
        """The walk's cursor: where the pages on record ended, then where the last page led."""
        cursor = walk_of(stream_slice).cursor
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
        walk = walk_of(stream_slice)
        envelope = read_envelope(response)
        with naming_log_id(envelope.log_id):
            page = to_video_page(answer_data(envelope, self.name), envelope.log_id)
            for video in page.videos:
                conform(video, "videos")
            listed = walk.accept(page)
        self._walk_of[response] = walk
        yield from self.take(listed, walk)

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """Whether the walk goes on; the request body takes its cursor from the walk itself."""
        walk = self._walk_of.pop(response)
        return None if walk.done else {"cursor": walk.cursor}

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """The pages on record, then the CDK's loop for the rest, with this walk in the slice."""
        walk = self.begin(sync_mode)
        if walk is None:
            return
        if self.reads_whole_list():
            yield from self.estimate()
        self.require_scope(VIDEO_LIST_SCOPE)
        for page in walk.replayed():
            yield from self.take(page, walk)
        if not walk.done:
            walking = StreamSlice(partition={}, cursor_slice={}, extra_fields={WALK: walk})
            yield from super().read_records(sync_mode, stream_slice=walking)
        self._context.progress.log(f"Listing done for {self.name}")
        self.finish()

    @abstractmethod
    def begin(self, sync_mode: SyncMode) -> ListingWalk | None:
        """This read's walk down the list, or None when the stream has nothing to read."""

    @abstractmethod
    def reads_whole_list(self) -> bool:
        """Whether this read goes down to the first video, so the video count tells its size."""

    @abstractmethod
    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        """The records of one page; may stop the walk once it has what it wants."""

    @abstractmethod
    def finish(self) -> None:
        """Marks the read complete in the stream's state, once every record is out."""

    def estimate(self) -> Iterator[AirbyteMessage]:
        """Lets the Airbyte UI show progress of a whole-account read, when the count is known."""
        try:
            counters = self._context.counters.read()
        except AirbyteTracedException as error:
            self.logger.warning("No progress estimate for %s: %s", self.name, error.message)
            return
        count = counters.get("video_count") if counters else None
        if isinstance(count, int) and not isinstance(count, bool):
            yield AirbyteMessage(
                type=Type.TRACE,
                trace=AirbyteTraceMessage(
                    type=TraceType.ESTIMATE,
                    emitted_at=time.time() * 1000,
                    estimate=AirbyteEstimateTraceMessage(
                        name=self.name, type=EstimateType.STREAM, row_estimate=count
                    ),
                ),
            )

    def start_floor(self) -> int | None:
        start = self._settings.start_time
        self.warn_if_future(start, "Config field 'start_date' is", "no video is synced until then")
        return None if start is None else start - 1

    def warn_if_future(self, moment: int | None, what: str, consequence: str) -> None:
        if moment is not None and moment > self._context.latest_possible:
            self.logger.warning("%s %s, after now: %s.", what, describe_time(moment), consequence)


def walk_of(stream_slice: Mapping[str, Any] | None) -> ListingWalk:
    """The walk read_records put in the slice it hands to the CDK's loop."""
    assert isinstance(stream_slice, StreamSlice)
    return stream_slice.extra_fields[WALK]


class Videos(VideoListStream):
    """The creator's public videos, newest first (Display API "List Videos")."""

    primary_key = "id"
    state_checkpoint_interval = PAGE_SIZE

    def __init__(self, context: SyncContext) -> None:
        super().__init__(context)
        self._saved = self._checkpoint = VideoState()
        self._newest: int | None = None

    @property
    def cursor_field(self) -> str:
        return CURSOR_FIELD

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Only what whole pages already emitted: the CDK may checkpoint in the middle of a page."""
        return self._checkpoint.as_dict()

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._saved = self._checkpoint = parse_video_state(value)

    def begin(self, sync_mode: SyncMode) -> ListingWalk:
        if sync_mode != SyncMode.incremental:
            self._saved = self._checkpoint = VideoState()
        saved = self._saved
        self.warn_if_future(
            saved.create_time,
            "The saved state of stream 'videos' (create_time) is",
            "videos posted before then are skipped; if the state is wrong, reset the stream",
        )
        floors = [self.start_floor()]
        if saved.create_time is not None:
            floors.append(lookback_floor(saved.create_time, self._settings.lookback_days))
        listing = self._context.listing
        if saved.resume_before_ms is not None:
            listing = VideoListing(
                self._context.progress, start_cursor=saved.resume_before_ms, spool=False
            )
        self._newest = saved.resume_newest
        self._owner = self._auth.open_id()
        floor = max((mark for mark in floors if mark is not None), default=None)
        return listing.walk(floor, self.name)

    def reads_whole_list(self) -> bool:
        return self._saved.create_time is None

    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        latest = self._context.latest_possible
        for video in page.videos:
            video["open_id"] = self._owner
            created = video["create_time"]
            if created > latest:
                self.warn_if_future(
                    created,
                    f"Video {video['id']} is dated",
                    "it is synced, but the cursor does not move to it, so videos posted "
                    "before then are not skipped",
                )
            elif self._newest is None or created > self._newest:
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

    def begin(self, sync_mode: SyncMode) -> ListingWalk | None:
        if self.already_taken(sync_mode):
            return None
        self._owner = self._auth.open_id()
        # all videos, or those within `lookback_days` of the newest (the `videos` window)
        self._window = self._settings.video_stats_scope == "lookback"
        self._oldest_wanted: int | None = None
        return self._context.listing.walk(self.start_floor(), self.name)

    def take(self, page: ListedPage, walk: ListingWalk) -> Iterator[Mapping[str, Any]]:
        snapshot_at = self._context.snapshot_at
        for video in page.videos:
            if self._window and self._oldest_wanted is None:
                self._oldest_wanted = lookback_floor(
                    video["create_time"], self._settings.lookback_days
                )
            if self._oldest_wanted is not None and video["create_time"] <= self._oldest_wanted:
                walk.stop()
                return
            row = {"open_id": self._owner, "video_id": video["id"], SNAPSHOT_FIELD: snapshot_at}
            row.update({field: video.get(field) for field in VIDEO_COUNT_FIELDS})
            yield row

    def finish(self) -> None:
        self.taken()


def later(first: int | None, second: int | None) -> int | None:
    known = [mark for mark in (first, second) if mark is not None]
    return max(known) if known else None
