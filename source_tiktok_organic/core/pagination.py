"""The video list's paging brain, pure so every guard is testable: TikTok's docs leave the edges
open, so it assumes a cursor of second granularity, short or empty pages while `has_more`, a video
on two pages and a cursor that stalls."""

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
# Ids kept to drop duplicates, per walk: a video comes back only in the second a page re-reads,
# or above the cursor, as a pinned video may on every page (kept fresh on each sight).
RECENT_IDS = 200
# Pages in a row with no new video: TikTok's occasional empty page never comes in runs this long.
MAX_BARREN_PAGES = 20


@dataclass(frozen=True)
class VideoPage:
    """One `data` object of POST /v2/video/list/."""

    videos: list[dict[str, Any]]
    cursor: int | None
    has_more: bool
    log_id: str = ""


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


class VideoPager:
    """Feeds on pages, returns the videos not seen before and knows the next cursor."""

    def __init__(
        self, *, start_cursor: int | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.cursor = start_cursor
        self.done = False  # TikTok said no more videos follow
        self._clock = clock
        self._stalls = 0
        self._barren = 0
        self._recent_ids: OrderedDict[str, None] = OrderedDict()
        self._crowded: list[int] = []

    def left_seconds(self) -> list[int]:
        """The seconds walked past since last asked whose videos a page could not hold, with
        a cursor that cannot stop within a second: some of their videos may never be listed."""
        seconds, self._crowded = self._crowded, []
        return seconds

    def accept(self, page: VideoPage) -> list[dict[str, Any]]:
        with naming(f"log_id: {page.log_id or 'none'}"):
            fresh = [video for video in page.videos if self._is_new(video)]
            self._barren = 0 if fresh else self._barren + 1
            if self._barren > MAX_BARREN_PAGES:
                raise _endless(f"{self._barren} pages in a row brought no new video")
            if not page.has_more:
                self.done = True
                return fresh
            oldest = min((video["create_time"] for video in page.videos), default=None)
            self.cursor = cursor = self._next_cursor(page.cursor, oldest, page.log_id)
            # the cursor must stay where videos can be: before now and, past empty pages, after 2014
            latest = (self._clock() + CLOCK_SKEW_SECONDS) * 1000
            if cursor > latest or (not page.videos and cursor < EARLIEST_VIDEO * 1000):
                raise _endless(
                    f"its cursor {cursor} points to {describe_time(cursor / 1000)}, outside "
                    "the time TikTok videos can have been posted (2014 to now)"
                )
        return fresh

    def _is_new(self, video: dict[str, Any]) -> bool:
        created, video_id = video.get("create_time"), video.get("id")
        if isinstance(created, bool) or not isinstance(created, int):
            raise traced_error(f"TikTok sent video {video_id!r} without an integer create_time.")
        if not isinstance(video_id, str) or not video_id:
            raise traced_error(f"TikTok sent a video without a string id ({video_id!r}).")
        if video_id in self._recent_ids:
            self._recent_ids.move_to_end(video_id)  # a pinned video keeps coming back
            return False
        self._recent_ids[video_id] = None
        if len(self._recent_ids) > RECENT_IDS:
            self._recent_ids.popitem(last=False)
        return True

    def _next_cursor(self, api_cursor: int | None, oldest: int | None, log_id: str) -> int:
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
            raise traced_error("TikTok said more videos follow but sent no usable cursor.")
        if self.cursor is None or proposed < self.cursor:
            self._stalls = 0
            if oldest is not None and proposed <= oldest * 1000:
                self._crowded.append(oldest)  # the page was all that second's, and more may be
            return proposed
        self._stalls += 1
        if self._stalls > MAX_STALLS:
            raise traced_error(
                f"TikTok's video list stopped advancing: cursor {self.cursor} came back "
                f"{MAX_STALLS + 1} times in a row. The sync stops here instead of looping; run it "
                "again later, and if it persists report it to TikTok with the log_id of the last "
                f"request: {log_id or 'none'}.",
                FailureType.transient_error,
            )
        return self.cursor


def to_video_page(data: Mapping[str, Any], log_id: str) -> VideoPage:
    """Strict about shape: a wrong `has_more` or `videos` must stop the sync, not end it quietly."""
    videos = [] if data.get("videos") is None else data["videos"]
    has_more, cursor = data.get("has_more"), data.get("cursor")
    if not isinstance(videos, list) or not all(isinstance(video, dict) for video in videos):
        raise _malformed("'videos' is not a list of objects")
    if not isinstance(has_more, bool):
        raise _malformed(f"'has_more' is {has_more!r}, not a boolean")
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
        raise _malformed(f"'cursor' is {cursor!r}, not an integer")
    return VideoPage(videos=videos, cursor=cursor, has_more=has_more, log_id=log_id)


def _malformed(reason: str) -> Exception:
    return traced_error(f"TikTok's video list answer is malformed: {reason}.")
