"""One walk down the creator's video list per sync, shared by `videos` and `video_stats`.

The first stream to read the list fetches pages; when the other stream is selected too, every
page also goes to a spool file, so the second stream replays it (and only fetches what lies
beyond) instead of asking TikTok for the same pages twice. The spool is on disk, so memory
does not grow with the account.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

import orjson

from source_tiktok_organic.errors import traced_error
from source_tiktok_organic.pagination import VideoPage, VideoPager, create_time_of
from source_tiktok_organic.progress import Progress

Fetch = Callable[[int | None], VideoPage]


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
        self._pager = VideoPager(start_cursor=start_cursor)
        # Lives as long as the listing (one sync); the OS removes it when it is closed.
        with temp_space():
            self._spool: IO[bytes] | None = tempfile.TemporaryFile() if spool else None  # noqa: SIM115

    def pages(self, floor: int | None, fetch: Fetch) -> Iterator[ListedPage]:
        """Pages newest first, cut at `floor` (exclusive); stops at the first page reaching it."""
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
        if self._spool is not None:
            self._spool.seek(0, 2)
            with temp_space():
                self._spool.write(orjson.dumps([videos, resume_cursor]) + b"\n")

    def _replay(self) -> Iterator[tuple[list[dict[str, Any]], int | None]]:
        if self._spool is None:
            return
        self._spool.seek(0)
        for line in self._spool:
            videos, resume_cursor = orjson.loads(line)
            yield videos, resume_cursor


@contextmanager
def temp_space() -> Iterator[None]:
    """No temporary folder, or a full one, is the machine's to fix: say so, not "went wrong"."""
    try:
        yield
    except OSError as error:
        raise traced_error(
            "The connector could not write its temporary file of the video list "
            f"({error.strerror or error}). Give it a writable temporary folder with free space "
            "(set TMPDIR), or select only one of videos and video_stats."
        ) from error


def _cut(videos: list[dict[str, Any]], floor: int | None) -> tuple[list[dict[str, Any]], bool]:
    if floor is None:
        return videos, False
    wanted = [video for video in videos if create_time_of(video) > floor]
    return wanted, len(wanted) < len(videos)
