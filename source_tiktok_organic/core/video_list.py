"""The video list on the CDK's concurrent framework: create_time windows as partitions, each
walked one way: ask at the pager's cursor, let the pure pager read the page, yield, stop at the
end of the list or the window's floor."""

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import requests
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice

from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.deletions import WalkLog
from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.core.pagination import VideoPage, VideoPager, describe_time
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.windows import PAGE_SIZE, Window

# A list may bring more videos than the profile counted when the sync started (videos posted
# meanwhile, a count that lags), but not more than twice as many plus a few pages.
MOST_VIDEOS_PER_COUNTED = 2
VIDEOS_BEYOND_COUNT = 5 * PAGE_SIZE
# Without the profile's count: the most prolific accounts have posted tens of thousands.
MOST_VIDEOS_UNCOUNTED = 200_000
# A page asked again without a field the deployment refused, once per such field at most.
MOST_ASKS_A_PAGE = 3


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    params: Mapping[str, Any]
    json: Mapping[str, Any] | None = None


class ListApi(Protocol):
    """What the walk needs of one API's video list: the request for a cursor, and its answer."""

    def page_request(self, cursor: int | None) -> PageRequest: ...

    def read_page(self, response: requests.Response) -> VideoPage | None:
        """The page, or None when the API changed what it asks (a field the deployment
        refused): the same page is then asked again."""
        ...


class WalkBound:
    """Stops a list that has_more forever: far more videos than the profile (or any account) has."""

    def __init__(self, count: int | None) -> None:
        self._listed = 0
        self._lock = threading.Lock()
        if count is None:
            self._most = MOST_VIDEOS_UNCOUNTED
            self._said = f"the profile's count is unknown, and no account has posted {self._most}"
        else:
            self._most = MOST_VIDEOS_PER_COUNTED * count + VIDEOS_BEYOND_COUNT
            self._said = (
                f"the profile says the account has {count}: more than {MOST_VIDEOS_PER_COUNTED} "
                f"times as many plus {VIDEOS_BEYOND_COUNT} (room for videos posted during the sync)"
            )

    def add(self, videos: int) -> None:
        with self._lock:
            self._listed += videos
            listed = self._listed
        if listed > self._most:
            raise traced_error(
                f"TikTok's video list has brought {listed} different videos so far, but "
                f"{self._said}. The sync stops here instead of following the list on; run it "
                "again later, and if it persists report it to TikTok."
            )


@dataclass
class ListWalk:
    """One stream's walk of the list this sync: its client, API, bound and what a video gives."""

    stream: str
    api: ListApi
    reader: Reader
    progress: Progress
    bound: WalkBound
    to_record: Callable[[dict[str, Any]], Mapping[str, Any]]
    stopped: threading.Event
    logger: logging.Logger
    log: WalkLog | None = None  # what the walk covered and saw, when `videos` is read

    def fetch(self, cursor: int | None) -> VideoPage:
        for _ in range(MOST_ASKS_A_PAGE):
            wanted = self.api.page_request(cursor)
            response = self.reader.send(wanted.method, wanted.path, wanted.params, wanted.json)
            self.progress.page()
            page = self.api.read_page(response)
            if page is not None:
                return page
        raise traced_error(
            f"TikTok refused the video list's page {MOST_ASKS_A_PAGE} times over the fields "
            "asked for. Report it to TikTok, or to this connector's maintainers."
        )


class WindowPartition(Partition):
    """One window, walked newest first down to its floor, or `floor_below_newest` the first
    video met (video_stats' lookback, known only once the newest video is)."""

    def __init__(
        self, walk: ListWalk, window: Window, floor_below_newest: Callable[[int], int] | None = None
    ) -> None:
        self._walk = walk
        self._window = window
        self._floor_below_newest = floor_below_newest
        # what the CDK files the partition and its records under; fixed, as a set member must be
        self._slice = StreamSlice(
            partition={}, cursor_slice={"start": window.start, "end": window.end}
        )

    def read(self) -> Iterable[Record]:
        """The window's videos; its log learns whether the walk reached the window's end."""
        ended = False
        try:
            yield from self._walked()
            ended = not self._walk.stopped.is_set()
        finally:
            if self._walk.log:
                self._walk.log.closed(self._window if ended else None)

    def _walked(self) -> Iterable[Record]:
        walk = self._walk
        pager = VideoPager(start_cursor=self._window.first_cursor)
        while not walk.stopped.is_set():
            fresh = pager.accept(walk.fetch(pager.cursor))
            if fresh and self._floor_below_newest is not None:
                newest = fresh[0]["create_time"]
                self._window = replace(self._window, floor=self._floor_below_newest(newest))
                self._floor_below_newest = None
            # what lies below the floor is another window's: counted there, so each video once
            floor = self._window.floor
            walk.bound.add(sum(floor is None or video["create_time"] > floor for video in fresh))
            for second in pager.left_seconds():
                self._crowded(second)
            taken = [video for video in fresh if self._window.holds(video["create_time"])]
            if walk.log:
                walk.log.saw(taken)
            for video in taken:
                yield Record(walk.to_record(video), walk.stream, associated_slice=self._slice)
            walk.progress.took(walk.stream, len(taken))
            cursor = pager.cursor
            if pager.done or (
                floor is not None and cursor is not None and cursor <= (floor + 1) * 1000
            ):
                return  # done, or the next page could only hold videos at or before the floor

    def _crowded(self, second: int) -> None:
        walk = self._walk
        walk.logger.warning(
            "More videos share the second %s than a page of TikTok's list holds, and its cursor "
            "cannot stop within a second: %s may lack some of them, and no video of that second "
            "is marked deleted this sync.",
            describe_time(second),
            walk.stream,
        )
        if walk.log:
            walk.log.unsure(second)

    def to_slice(self) -> StreamSlice:
        return self._slice

    def stream_name(self) -> str:
        return self._walk.stream

    def __hash__(self) -> int:
        return hash((self._walk.stream, self._slice))


@dataclass
class WindowGenerator(PartitionGenerator):
    """The windows of one stream's walk, decided by `plan` once the read starts."""

    walk: ListWalk
    plan: Callable[[ListWalk], Iterable[Partition]]

    def generate(self) -> Iterable[Partition]:
        yield from self.plan(self.walk)
