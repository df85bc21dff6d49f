"""One walk down the creator's video list per sync, shared by `videos` and `video_stats`.

The first stream to read the list fetches pages; when the other stream is selected too, every
page also goes to a spool file, so the second stream replays it (and only fetches what lies
beyond) instead of asking TikTok for the same pages twice. The spool is on disk, so memory
does not grow with the account. Without room on disk the second stream walks the list again: more
requests, the same records.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from source_tiktok_organic.pagination import VideoPage, VideoPager, create_time_of
from source_tiktok_organic.progress import Progress

Fetch = Callable[[int | None], VideoPage]
LOGGER = logging.getLogger("airbyte")


@dataclass(frozen=True)
class ListedPage:
    """The videos of one page a consumer wants, and where the list continues after it."""

    videos: list[dict[str, Any]]
    resume_cursor: int | None


class VideoListing:
    def __init__(
        self, progress: Progress, *, start_cursor: int | None = None, spool: bool = False
    ) -> None:
        self._progress = progress
        self._start_cursor = start_cursor
        self._pager = VideoPager(start_cursor=start_cursor)
        self._spool: IO[bytes] | None = None
        self._spool_lost = False
        if spool:
            # Lives as long as the listing (one sync); the OS removes it when it is closed.
            try:
                self._spool = tempfile.TemporaryFile()  # noqa: SIM115
            except OSError as error:
                self._lose_spool(error)

    def pages(self, floor: int | None, fetch: Fetch) -> Iterator[ListedPage]:
        """Pages newest first, cut at `floor` (exclusive); stops at the first page reaching it."""
        if self._spool_lost:  # what was listed before is not all on disk: walk afresh
            self._pager = VideoPager(start_cursor=self._start_cursor)
        for videos, resume_cursor in self._replay():
            wanted, reached = _cut(videos, floor)
            yield ListedPage(wanted, resume_cursor)
            if reached:
                return
        while not self._pager.done:
            videos = self._pager.accept(fetch(self._pager.cursor))
            resume_cursor = None if self._pager.done else self._pager.cursor
            self._record(videos, resume_cursor)
            self._progress.page(len(videos))
            wanted, reached = _cut(videos, floor)
            yield ListedPage(wanted, resume_cursor)
            if reached:
                return

    def _record(self, videos: list[dict[str, Any]], resume_cursor: int | None) -> None:
        if self._spool is None:
            return
        self._spool.seek(0, 2)
        try:
            self._spool.write(orjson.dumps([videos, resume_cursor]) + b"\n")
            self._spool.flush()  # a full disk is found out now, not when replaying
        except OSError as error:
            self._lose_spool(error)

    def _lose_spool(self, error: OSError) -> None:
        """A torn spool is never replayed: the next consumer lists the videos again instead."""
        if self._spool is not None:
            self._spool.close()
        self._spool, self._spool_lost = None, True  # for the rest of the sync
        LOGGER.warning(
            "The connector could not write its temporary file of the video list (%s), so the "
            "second of videos and video_stats lists the videos from TikTok again. Set TMPDIR to "
            "a writable folder with free space to save those requests.",
            error.strerror or error,
        )

    def _replay(self) -> Iterator[tuple[list[dict[str, Any]], int | None]]:
        if self._spool is None:
            return
        self._spool.seek(0)
        for line in self._spool:
            videos, resume_cursor = orjson.loads(line)
            yield videos, resume_cursor


def _cut(videos: list[dict[str, Any]], floor: int | None) -> tuple[list[dict[str, Any]], bool]:
    if floor is None:
        return videos, False
    wanted = [video for video in videos if create_time_of(video) > floor]
    return wanted, len(wanted) < len(videos)
