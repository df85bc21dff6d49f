"""The video list's paging brain: pure, so every guard is testable without HTTP.

TikTok lists videos newest first and pages with a millisecond cursor meaning "posted before".
Its documentation leaves open what happens at the edges, so the pager assumes the worst:
the returned cursor may have second granularity (videos sharing a second with the last one of a
page would be skipped), a page may be short or empty while `has_more` is true, a video may come
back on two pages, and the cursor may stop moving.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.cursor import CLOCK_SKEW_SECONDS, EARLIEST_VIDEO
from source_tiktok_organic.core.errors import naming, traced_error

MAX_STALLS = 3
# Ids kept to drop duplicates, per walk. In a walk a video comes back only in the second each
# page re-reads (at most a page's worth) or above the cursor, as a pinned video may on every
# page (kept fresh on each sight): ten pages' worth is ample. Every worker keeps its own.
RECENT_IDS = 200
# Pages in a row that bring no new video: TikTok's occasional empty page never comes in runs
# this long, while a list that keeps saying has_more with nothing in it would be walked forever.
MAX_BARREN_PAGES = 20
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class VideoPage:
    """One `data` object of POST /v2/video/list/."""

    videos: list[dict[str, Any]]
    cursor: int | None
    has_more: bool
    log_id: str = ""


class StuckCursorError(AirbyteTracedException):
    def __init__(self, cursor: int, log_id: str) -> None:
        message = (
            f"TikTok's video list stopped advancing: cursor {cursor} came back {MAX_STALLS + 1} "
            "times in a row. The sync stops here instead of looping; run it again later, and if it "
            f"persists report it to TikTok with the log_id of the last request: {log_id or 'none'}."
        )
        super().__init__(
            message=message, internal_message=message, failure_type=FailureType.transient_error
        )


def describe_time(seconds: float) -> str:
    """Epoch seconds as an ISO date, even for the absurd values a hostile answer can carry."""
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError, OSError):
        return f"epoch second {seconds:.0f}, beyond any calendar date"


def _endless(reason: str) -> AirbyteTracedException:
    return traced_error(
        f"TikTok's video list says more videos follow, but {reason}. The sync stops here instead "
        "of walking it forever; run it again later, and if it persists report it to TikTok.",
    )


def create_time_of(video: dict[str, Any]) -> int:
    value = video.get("create_time")
    if isinstance(value, bool) or not isinstance(value, int):
        raise traced_error(
            f"TikTok sent video {video.get('id')!r} without an integer create_time.",
        )
    return value


class VideoPager:
    """Feeds on pages, returns the videos not seen before and knows the next cursor.

    `done` turns true when TikTok says no more videos follow.
    """

    def __init__(
        self, *, start_cursor: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.cursor = start_cursor
        self.done = False
        self._clock = clock
        self._stalls = 0
        self._barren = 0
        self._recent_ids: OrderedDict[str, None] = OrderedDict()

    def accept(self, page: VideoPage) -> list[dict[str, Any]]:
        with naming(f"log_id: {page.log_id or 'none'}"):
            return self._accept(page)

    def _accept(self, page: VideoPage) -> list[dict[str, Any]]:
        fresh: list[dict[str, Any]] = []
        oldest: int | None = None
        for video in page.videos:
            created = create_time_of(video)
            oldest = created if oldest is None else min(oldest, created)
            if not self._seen(video.get("id")):
                fresh.append(video)
        self._barren = 0 if fresh else self._barren + 1
        if self._barren > MAX_BARREN_PAGES:
            raise _endless(f"{self._barren} pages in a row brought no new video")
        if page.has_more:
            self._advance(page.cursor, oldest, page.log_id)
            self._check_range(bool(page.videos))
        else:
            self.done = True
        return fresh

    def _check_range(self, had_videos: bool) -> None:
        """The cursor must stay where videos can be: before now, and (past empty pages) 2014."""
        assert self.cursor is not None
        latest = (self._clock() + CLOCK_SKEW_SECONDS) * 1000
        if self.cursor > latest or (not had_videos and self.cursor < EARLIEST_VIDEO * 1000):
            raise _endless(
                f"its cursor {self.cursor} points to {describe_time(self.cursor / 1000)}, outside "
                "the time TikTok videos can have been posted (2014 to now)"
            )

    def _seen(self, video_id: Any) -> bool:
        if not isinstance(video_id, str) or not video_id:
            raise traced_error(
                f"TikTok sent a video without a string id ({video_id!r}).",
            )
        if video_id in self._recent_ids:
            self._recent_ids.move_to_end(video_id)  # a pinned video keeps coming back
            return True
        self._recent_ids[video_id] = None
        if len(self._recent_ids) > RECENT_IDS:
            self._recent_ids.popitem(last=False)
        return False

    def _advance(self, api_cursor: int | None, oldest: int | None, log_id: str) -> None:
        # Asking for "before the end of the oldest video's second" re-reads that second, so a
        # second split across two pages is read whole; the duplicates are dropped by id.
        overlap = None if oldest is None else (oldest + 1) * 1000
        if overlap is not None and (self.cursor is None or overlap < self.cursor):
            proposed = overlap
        elif isinstance(api_cursor, int) and not isinstance(api_cursor, bool):
            proposed = api_cursor
        elif self.cursor is not None:
            proposed = self.cursor
        else:
            raise traced_error(
                "TikTok said more videos follow but sent no usable cursor.",
            )
        if self.cursor is not None and proposed >= self.cursor:
            self._stalls += 1
            if self._stalls > MAX_STALLS:
                raise StuckCursorError(self.cursor, log_id)
            proposed = self.cursor
        else:
            self._stalls = 0
        self.cursor = proposed


def to_video_page(data: Mapping[str, Any], log_id: str) -> VideoPage:
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


def lookback_floor(newest: int, lookback_days: int) -> int:
    """The create_time a lookback window reaches back to from `newest` (exclusive)."""
    return newest - lookback_days * DAY_SECONDS
