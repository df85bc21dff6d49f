"""One walk down the creator's video list per sync, cut into stretches that workers walk at once.

The list starts as one stretch from the newest video down. Idle workers halve the running stretch
with the most pages left (see slicing.py); each stretch keeps its own pager, so every guard of a
plain walk holds inside it, and a stretch cut off another holds exactly the seconds the other no
longer does, so no video is lost or doubled at an edge. Readers take the pages in list order,
whatever order the workers fetched them in, so a stream's records and state are those of a plain
walk. The pages are kept (see page_store.py): whichever stream reads the list second replays them
and only fetches what lies beyond.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from source_tiktok_organic.errors import traced_error
from source_tiktok_organic.page_store import Entry, PageStore
from source_tiktok_organic.pagination import VideoPage, VideoPager, create_time_of
from source_tiktok_organic.progress import Progress
from source_tiktok_organic.slicing import (
    PAGE_SIZE,
    Stretch,
    density_moved,
    guess_bottom,
    pick_cut,
)

# A list may bring more videos than the profile counted when the sync started (videos posted
# meanwhile, a count that lags), but not more than twice as many plus a few pages: a list that
# brings a new video on every page, has_more forever, is not followed past that.
MOST_VIDEOS_PER_COUNTED = 2
VIDEOS_BEYOND_COUNT = 5 * PAGE_SIZE
# Without the profile's count: the most prolific accounts have posted tens of thousands.
MOST_VIDEOS_UNCOUNTED = 200_000


@dataclass(frozen=True)
class ListedPage:
    """The videos of one page a consumer wants, and where the list continues after it."""

    videos: list[dict[str, Any]]
    resume_cursor: int | None


class _Stretch:
    """Part of the list: videos before `top` ms, after `floor` and up to `ceiling` (seconds)."""

    def __init__(self, top: int | None, ceiling: int | None, floor: int | None) -> None:
        self.pager = VideoPager(start_cursor=top)
        self.ceiling = ceiling  # set on the older half of a cut: newer videos are the other's
        self.floor = floor  # None: open-ended, down to the first video
        self.entries: list[Entry] = []
        self.done = False  # nothing of it is left to fetch
        self.paused = False  # reached the reader's floor: only a deeper reader needs more
        self.taken = False  # a worker walks it now
        self.videos = 0
        # seconds per video on its latest page: where a walk is now says most about what follows
        self.recent_density: float | None = None

    @property
    def idle(self) -> bool:
        return not (self.done or self.paused or self.taken)

    def count(self, videos: list[dict[str, Any]]) -> None:
        times = [create_time_of(video) for video in videos]
        if len(times) > 1:
            self.recent_density = (max(times) - min(times)) / (len(times) - 1)
        self.videos += len(times)


# Drives the CDK's read loop over one stretch, in a worker thread, until `goes_on` says stop.
Fetch = Callable[["StretchWalk"], None]


class VideoListing:
    """The list as walked so far this sync; safe to share between the workers of one reader."""

    def __init__(self, progress: Progress, *, start_cursor: int | None = None) -> None:
        self._progress = progress
        self._store = PageStore()
        self._stretches = [_Stretch(start_cursor, None, None)]
        self._listed = 0  # different videos fetched so far, in all stretches
        lock = threading.Lock()
        self._for_reader = threading.Condition(lock)  # a page came, or a worker failed
        self._for_workers = threading.Condition(lock)  # work to claim, demand, or a halt
        self._begin(None)

    def walk(
        self,
        floor: int | None,
        reader: str,
        fetch: Fetch,
        *,
        workers: int = 1,
        expected_videos: int | None = None,
        video_count: int | None = None,
    ) -> ListingWalk:
        """A walk down to `floor` (exclusive) for the stream named `reader`.

        With one worker each page is fetched only once the reader has taken the one before, so
        a reader that stops early costs no request beyond its last page. `expected_videos` is
        what this walk expects to list (for cutting it); `video_count`, the profile's count of
        the whole account, bounds what any walk may bring (see `_check_count`).
        """
        return ListingWalk(self, floor, reader, fetch, workers, expected_videos, video_count)

    def _start(self, reader: ListingWalk) -> None:
        with self._for_reader:
            self._begin(reader)
            for stretch in self._stretches:
                stretch.paused = False

    def _begin(self, reader: ListingWalk | None) -> None:
        """What one reader's walk starts from: no failure, no halt, no page awaited yet."""
        self._reader = reader
        self._failure: BaseException | None = None
        self._halted = False
        self._awaited = False  # the reader waits for a page nobody has fetched yet

    def _pages(self) -> Iterator[ListedPage]:
        """Every page in list order: those on record, then the workers' as they come."""
        index = position = 0
        while True:
            with self._for_reader:
                entry = self._next_entry(index, position)
                if entry is None:
                    return
                index, position, stored = entry
            videos, resume_cursor = self._store.read(stored)
            yield ListedPage(videos, resume_cursor)

    def _next_entry(self, index: int, position: int) -> tuple[int, int, Entry] | None:
        assert self._reader is not None
        while True:
            stretch = self._stretches[index]
            if position < len(stretch.entries):
                self._awaited = False
                return index, position + 1, stretch.entries[position]
            if stretch.done and index + 1 < len(self._stretches):
                index, position = index + 1, 0
            elif stretch.done or stretch.paused:
                return None
            elif self._failure is not None:
                raise self._failure
            else:
                self._awaited = True
                self._for_workers.notify_all()
                self._reader.ensure_workers()
                self._for_reader.wait()

    def _claim(self, parallel: bool) -> _Stretch | None:
        """The next stretch for a worker: the first nobody walks, else the older half of a cut."""
        with self._for_workers:
            while not self._halted and self._failure is None:
                for stretch in self._stretches:
                    if stretch.idle:
                        stretch.taken = True
                        return stretch
                if parallel and (cut := self._cut()) is not None:
                    cut.taken = True
                    return cut
                if not any(stretch.taken for stretch in self._stretches):
                    return None
                self._for_workers.wait()
            return None

    def _cut(self) -> _Stretch | None:
        views = [self._view(stretch) for stretch in self._stretches]
        choice = pick_cut(views)
        if choice is None:
            return None
        index, second = choice
        first = self._stretches[index]
        older = _Stretch((second + 1) * 1000, second, first.floor)
        first.floor = second
        self._stretches.insert(index + 1, older)
        return older

    def _view(self, stretch: _Stretch) -> Stretch | None:
        """How the slicing rule sees a stretch a worker walks now, if it has a density yet."""
        cursor = stretch.pager.cursor
        if not stretch.taken or stretch.done or stretch.paused or cursor is None:
            return None
        density = stretch.recent_density
        if density is None:  # not one page of its own yet: nothing to judge it by
            return None
        newest = cursor // 1000 - 1
        bottom = stretch.floor
        if bottom is None:
            assert self._reader is not None
            bottom = guess_bottom(newest, self._reader.floor, self._unlisted(), density)
        return Stretch(newest=newest, bottom=bottom, seconds_per_video=density)

    def _unlisted(self) -> int | None:
        assert self._reader is not None
        expected = self._reader.expected_videos
        if expected is None:
            return None
        return max(0, expected - sum(stretch.videos for stretch in self._stretches))

    def _accept(self, stretch: _Stretch, page: VideoPage) -> None:
        """Keeps the stretch's share of a fetched page, in its place in the list."""
        with self._for_reader:
            density = stretch.recent_density
            fresh = stretch.pager.accept(page)
            stretch.count(fresh)
            kept = [video for video in fresh if self._holds(stretch, create_time_of(video))]
            self._listed += len(kept)
            self._check_count()
            self._settle(stretch)
            if stretch.done:
                resume = None if stretch.floor is None else (stretch.floor + 1) * 1000
            else:
                resume = stretch.pager.cursor
            stretch.entries.append(self._store.add([kept, resume]))
            self._awaited = False
            self._progress.page()
            self._for_reader.notify_all()
            # a cut may be worth it now (a stretch that ended wakes them on its release)
            if density_moved(density, stretch.recent_density):
                self._for_workers.notify_all()

    def _check_count(self) -> None:
        """Stops a list that has brought far more videos than the profile says there are.

        Without the profile's count (scope user.info.stats not granted) the bound is a count no
        TikTok account comes near, so such a list still ends, at a known cost.
        """
        assert self._reader is not None
        count = self._reader.video_count
        if count is None:
            if self._listed <= MOST_VIDEOS_UNCOUNTED:
                return
            said = (
                f"the profile's count is unknown, and no account has posted {MOST_VIDEOS_UNCOUNTED}"
            )
        elif self._listed <= MOST_VIDEOS_PER_COUNTED * count + VIDEOS_BEYOND_COUNT:
            return
        else:
            said = (
                f"the profile says the account has {count}: more than {MOST_VIDEOS_PER_COUNTED} "
                f"times as many plus {VIDEOS_BEYOND_COUNT} (room for videos posted during the sync)"
            )
        raise traced_error(
            f"TikTok's video list has brought {self._listed} different videos so far, but "
            f"{said}. The sync stops here instead of following the list on; run it again later, "
            "and if it persists report it to TikTok."
        )

    @staticmethod
    def _holds(stretch: _Stretch, created: int) -> bool:
        above_floor = stretch.floor is None or created > stretch.floor
        return above_floor and (stretch.ceiling is None or created <= stretch.ceiling)

    def _settle(self, stretch: _Stretch) -> None:
        """Whether the stretch is done, or paused at the reader's floor, after a page.

        A page holding a video at or before a floor moves the cursor to that video's second, so
        the cursor alone tells; it also tells when TikTok's cursor jumps past the floor.
        """
        if stretch.pager.done:
            stretch.done = True
        elif stretch.floor is not None:
            stretch.done = _reached(stretch.floor, stretch.pager.cursor)
        else:
            assert self._reader is not None
            floor = self._reader.floor
            stretch.paused = floor is not None and _reached(floor, stretch.pager.cursor)
        if stretch.done:  # many stretches end in a large account: none keeps its ids
            stretch.pager.forget_seen()

    def _goes_on(self, stretch: _Stretch, lockstep: bool) -> bool:
        """Whether the worker fetches the stretch's next page; in lockstep, once it is wanted."""
        with self._for_workers:
            while lockstep and not (self._halted or self._awaited):
                self._for_workers.wait()
            return not (stretch.done or stretch.paused or self._halted)

    def _release(self, stretch: _Stretch, failure: BaseException | None) -> None:
        with self._for_reader:
            stretch.taken = False
            if failure is not None and self._failure is None:
                self._failure = failure
            self._for_reader.notify_all()
            self._for_workers.notify_all()

    def _halt(self) -> None:
        with self._for_reader:
            self._halted = True
            self._for_workers.notify_all()


def _reached(floor: int, cursor: int | None) -> bool:
    """Whether the next page could only hold videos at or before `floor`."""
    return cursor is not None and cursor <= (floor + 1) * 1000


class StretchWalk:
    """What the CDK's read loop needs of one stretch: where to ask, what to keep, whether to go on."""

    def __init__(self, listing: VideoListing, stretch: _Stretch, lockstep: bool) -> None:
        self._listing = listing
        self._stretch = stretch
        self._lockstep = lockstep

    @property
    def cursor(self) -> int | None:
        return self._stretch.pager.cursor

    def accept(self, page: VideoPage) -> None:
        self._listing._accept(self._stretch, page)

    def goes_on(self) -> bool:
        return self._listing._goes_on(self._stretch, self._lockstep)


class ListingWalk:
    """One stream's way down the shared list, with the workers that fetch what is not on record."""

    def __init__(
        self,
        listing: VideoListing,
        floor: int | None,
        reader: str,
        fetch: Fetch,
        workers: int,
        expected_videos: int | None,
        video_count: int | None,
    ) -> None:
        self.floor = floor
        self.reader = reader
        self.expected_videos = expected_videos
        self.video_count = video_count
        self._listing = listing
        self._fetch = fetch
        self._workers = max(1, workers)
        self._threads: list[threading.Thread] = []
        self._stopped = False

    def pages(self) -> Iterator[ListedPage]:
        """The pages after the floor, in list order; the first reaching it ends the walk."""
        self._listing._start(self)
        try:
            for page in self._listing._pages():
                yield self._cut(page)
                if self._stopped:
                    return
        finally:
            self._listing._halt()
            for thread in self._threads:
                thread.join()

    def stop(self) -> None:
        """The reader has what it wants: no further page is fetched."""
        self._stopped = True

    def ensure_workers(self) -> None:
        """Starts workers when the reader wants a page that is not on record and none is left."""
        if any(thread.is_alive() for thread in self._threads):
            return
        for number in range(self._workers):
            thread = threading.Thread(
                target=self._work, name=f"{self.reader}-list-{number}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _work(self) -> None:
        parallel = self._workers > 1
        while (stretch := self._listing._claim(parallel)) is not None:
            failure = None
            try:
                self._fetch(StretchWalk(self._listing, stretch, lockstep=not parallel))
            except BaseException as error:  # handed to the reader, which raises it in order
                failure = error
            self._listing._release(stretch, failure)
            if failure is not None:
                return

    def _cut(self, page: ListedPage) -> ListedPage:
        if self.floor is None:
            return page
        wanted = [video for video in page.videos if create_time_of(video) > self.floor]
        if len(wanted) < len(page.videos):
            self._stopped = True
        return ListedPage(wanted, page.resume_cursor)
