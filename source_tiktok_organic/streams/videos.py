"""The creator's videos (`videos`) and the history of their engagement counts (`video_stats`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

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
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.errors import naming_log_id, traced_error
from source_tiktok_organic.fields import VIDEO_COUNT_FIELDS, VIDEO_FIELDS, VIDEO_LIST_SCOPE
from source_tiktok_organic.listing import ListedPage, VideoListing
from source_tiktok_organic.pagination import VideoPage, describe_time
from source_tiktok_organic.records import conform
from source_tiktok_organic.state import CURSOR_FIELD, VideoState, parse_video_state
from source_tiktok_organic.streams.base import (
    SNAPSHOT_FIELD,
    SnapshotStream,
    SyncContext,
    TikTokStream,
)
from source_tiktok_organic.streams.profile import UserStats

PAGE_SIZE = 20  # TikTok's maximum max_count for /v2/video/list/
DAY = 86_400


class VideoListStream(TikTokStream):
    """Reads POST /v2/video/list/ through the sync's shared listing, one page at a time."""

    http_method = "POST"

    def __init__(self, context: SyncContext, listing: VideoListing, profile: UserStats) -> None:
        super().__init__(context)
        self._listing = listing
        self._profile = profile

    def path(self, **_: Any) -> str:
        return "video/list/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(VIDEO_FIELDS)}

    def request_body_json(
        self, *_: Any, next_page_token: Mapping[str, Any] | None = None, **__: Any
    ) -> Mapping[str, Any]:
        body: dict[str, Any] = {"max_count": PAGE_SIZE}
        if next_page_token:
            body["cursor"] = next_page_token["cursor"]
        return body

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        return self.read_answer(response, to_video_page).videos

    def fetch_page(self, cursor: int | None) -> VideoPage:
        data, log_id = self.fetch(None if cursor is None else {"cursor": cursor})
        with naming_log_id(log_id):
            page = to_video_page(data, log_id)
            for video in page.videos:
                conform(video, "videos")
        return page

    def list_pages(self, listing: VideoListing, floor: int | None) -> Iterator[ListedPage]:
        self.require_scope(VIDEO_LIST_SCOPE)
        yield from listing.pages(floor, self.fetch_page)
        self._context.progress.log(f"Listing done for {self.name}")

    def estimate(self) -> Iterator[AirbyteMessage]:
        """Lets the Airbyte UI show progress of a whole-account read, when the count is known."""
        try:
            counters = self._profile.counters
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


class Videos(VideoListStream):
    """The creator's public videos, newest first (Display API "List Videos")."""

    primary_key = "id"
    state_checkpoint_interval = PAGE_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved = self._checkpoint = VideoState()

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

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
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
            floors.append(saved.create_time - self._settings.lookback_days * DAY)
        else:
            yield from self.estimate()
        listing = self._listing
        if saved.resume_before_ms is not None:
            listing = VideoListing(self._context.progress, start_cursor=saved.resume_before_ms)
        owner = self._auth.open_id()
        newest = saved.resume_newest
        floor = max((mark for mark in floors if mark is not None), default=None)
        latest = self._context.latest_possible
        for page in self.list_pages(listing, floor):
            for video in page.videos:
                video["open_id"] = owner
                created = video["create_time"]
                if created > latest:
                    self.warn_if_future(
                        created,
                        f"Video {video['id']} is dated",
                        "it is synced, but the cursor does not move to it, so videos posted "
                        "before then are not skipped",
                    )
                elif newest is None or created > newest:
                    newest = created
                yield video
            self._checkpoint = VideoState(
                create_time=saved.create_time,
                resume_before_ms=page.resume_cursor,
                resume_newest=newest,
            )
        self._checkpoint = VideoState(create_time=later(saved.create_time, newest))


class VideoStats(VideoListStream, SnapshotStream):
    """One row of engagement counts per video per sync: an append-only history."""

    @property
    def primary_key(self) -> list[str]:
        return ["video_id", SNAPSHOT_FIELD]

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if self.already_taken(sync_mode):
            return
        window = self._settings.video_stats_scope == "lookback"
        if not window:
            yield from self.estimate()
        owner = self._auth.open_id()
        snapshot_at = self._context.snapshot_at
        for video in self._videos_in_scope(window):
            row = {"open_id": owner, "video_id": video["id"], SNAPSHOT_FIELD: snapshot_at}
            row.update({field: video.get(field) for field in VIDEO_COUNT_FIELDS})
            yield row
        self.taken()

    def _videos_in_scope(self, window: bool) -> Iterator[dict[str, Any]]:
        """All videos, or those within `lookback_days` of the newest (the `videos` window)."""
        oldest_wanted: int | None = None
        for page in self.list_pages(self._listing, self.start_floor()):
            for video in page.videos:
                if window and oldest_wanted is None:
                    oldest_wanted = video["create_time"] - self._settings.lookback_days * DAY
                if oldest_wanted is not None and video["create_time"] <= oldest_wanted:
                    return
                yield video


def later(first: int | None, second: int | None) -> int | None:
    known = [mark for mark in (first, second) if mark is not None]
    return max(known) if known else None


def to_video_page(data: Mapping[str, Any], log_id: str = "") -> VideoPage:
    """Strict about shape: a wrong `has_more` or `videos` must stop the sync, not end it quietly."""
    videos = data.get("videos")
    has_more = data.get("has_more")
    cursor = data.get("cursor")
    if videos is None:
        videos = []
    if not isinstance(videos, list) or not all(isinstance(video, dict) for video in videos):
        raise _malformed("'videos' is not a list of objects")
    if not isinstance(has_more, bool):
        raise _malformed(f"'has_more' is {has_more!r}, not a boolean")
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
        raise _malformed(f"'cursor' is {cursor!r}, not an integer")
    return VideoPage(videos=videos, cursor=cursor, has_more=has_more, log_id=log_id)


def _malformed(reason: str) -> Exception:
    return traced_error(f"TikTok's video list answer is malformed: {reason}.")
