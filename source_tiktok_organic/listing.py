"""One walk down the creator's video list per sync, shared by `videos` and `video_stats`.

The CDK's read loop fetches the pages; the listing decides what they mean. Every page a walk
fetches goes to a spool file, so whichever stream reads the list second replays it (and only
fetches what lies beyond) instead of asking TikTok for the same pages twice, whatever the order
the streams run in. The spool is on disk, so memory does not grow with the account. Without room
on disk the second stream walks the list again: more requests, the same records.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from source_tiktok_organic.pagination import VideoPage, VideoPager, create_time_of
from source_tiktok_organic.progress import Progress

LOGGER = logging.getLogger("airbyte")


@dataclass(frozen=True)
class ListedPage:
    """The videos of one page a consumer wants, and where the list continues after it."""

    videos: list[dict[str, Any]]
    resume_cursor: int | None


class VideoListing:
    """The list as walked so far this sync: the pager's position and, on disk, its pages."""

    def __init__(
        self, progress: Progress, *, start_cursor: int | None = None, spool: bool = True
    ) -> None:
        self._progress = progress
        self._start_cursor = start_cursor
        self._pager = VideoPager(start_cursor=start_cursor)
        self._keeps_pages = spool
        self._spool: IO[bytes] | None = None
        self._spool_lost: str | None = None  # why, once a page could not be kept

    def walk(self, floor: int | None, reader: str) -> ListingWalk:
        """A walk down to `floor` (exclusive) for the stream named `reader`."""
        return ListingWalk(self, floor, reader)

    @property
    def cursor(self) -> int | None:
        return self._pager.cursor

    @property
    def complete(self) -> bool:
        return self._pager.done

    def advance(self, page: VideoPage) -> ListedPage:
        """The videos of a fetched page not seen before, kept for the other stream."""
        videos = self._pager.accept(page)
        resume_cursor = None if self._pager.done else self._pager.cursor
        self._keep(videos, resume_cursor)
        self._progress.page(len(videos))
        return ListedPage(videos, resume_cursor)

    def replay(self, reader: str) -> Iterator[ListedPage]:
        """The pages walked before, in order; if some were not kept, none, and a fresh start."""
        if self._spool_lost is not None:
            if self._pager.cursor != self._start_cursor or self._pager.done:
                LOGGER.warning(
                    "The connector could not keep the video list in a temporary file (%s), so "
                    "%s lists the videos from TikTok again. Set TMPDIR to a writable folder "
                    "with free space to save those requests.",
                    self._spool_lost,
                    reader,
                )
            self._pager = VideoPager(start_cursor=self._start_cursor)
            return
        if self._spool is None:
            return
        self._spool.seek(0)
        for line in self._spool:
            videos, resume_cursor = orjson.loads(line)
            yield ListedPage(videos, resume_cursor)

    def _keep(self, videos: list[dict[str, Any]], resume_cursor: int | None) -> None:
        if not self._keeps_pages or self._spool_lost is not None:
            return
        try:
            if self._spool is None:
                # Lives as long as the listing (one sync); the OS removes it when it is closed.
                self._spool = tempfile.TemporaryFile()  # noqa: SIM115
            self._spool.seek(0, 2)
            self._spool.write(orjson.dumps([videos, resume_cursor]) + b"\n")
            self._spool.flush()  # a full disk is found out now, not when replaying
        except OSError as error:
            self._lose_spool(error)

    def _lose_spool(self, error: OSError) -> None:
        """A torn spool is never replayed: the next reader lists the videos again instead."""
        if self._spool is not None:
            self._spool.close()
        self._spool, self._spool_lost = None, str(error.strerror or error)


class ListingWalk:
    """One stream's way down the shared list: the pages on record first, then fetched ones."""

    def __init__(self, listing: VideoListing, floor: int | None, reader: str) -> None:
        self._listing = listing
        self._floor = floor
        self._reader = reader
        self._stopped = False

    @property
    def done(self) -> bool:
        return self._stopped or self._listing.complete

    @property
    def cursor(self) -> int | None:
        """Where the next page to fetch starts."""
        return self._listing.cursor

    def replayed(self) -> Iterator[ListedPage]:
        for page in self._listing.replay(self._reader):
            yield self._cut(page)
            if self._stopped:
                return

    def accept(self, page: VideoPage) -> ListedPage:
        return self._cut(self._listing.advance(page))

    def stop(self) -> None:
        """The reader has what it wants: no further page is fetched."""
        self._stopped = True

    def _cut(self, page: ListedPage) -> ListedPage:
        """Only videos after the floor; the first page reaching it ends the walk."""
        if self._floor is None:
            return page
        wanted = [video for video in page.videos if create_time_of(video) > self._floor]
        if len(wanted) < len(page.videos):
            self._stopped = True
        return ListedPage(wanted, page.resume_cursor)
