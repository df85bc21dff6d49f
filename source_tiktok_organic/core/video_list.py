"""The video list on the CDK's concurrent framework: create_time windows as partitions.

Each window is walked one way, as a plain client would: ask for the page at the pager's cursor,
let the pure pager (pagination.py) read it, yield the window's records, stop when the pager says
the list ends or the window's floor is reached. The CDK's thread pool runs the windows, and its
concurrent cursor merges the finished ones into the stream's state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol

import requests
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice

from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.core.pagination import VideoPage, VideoPager, create_time_of
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.windows import PAGE_SIZE, Window

# A list may bring more videos than the profile counted when the sync started (videos posted
# meanwhile, a count that lags), but not more than twice as many plus a few pages: a list that
# brings a new video on every page, has_more forever, is not followed past that.
MOST_VIDEOS_PER_COUNTED = 2
VIDEOS_BEYOND_COUNT = 5 * PAGE_SIZE
# Without the profile's count: the most prolific accounts have posted tens of thousands.
MOST_VIDEOS_UNCOUNTED = 200_000


@dataclass(frozen=True)
class PageRequest:
    method: str
    path: str
    params: Mapping[str, Any]
    json: Mapping[str, Any] | None = None


class ListApi(Protocol):
    """What the walk needs of one API's video list: the request for a cursor, and its answer."""

    def page_request(self, cursor: int | None) -> PageRequest: ...

    def read_page(self, response: requests.Response) -> VideoPage: ...


class WalkBound:
    """Stops a list that brings far more videos than the profile says there are.

    Without the profile's count (scope user.info.stats not granted) the bound is a count no
    TikTok account comes near, so such a list still ends, at a known cost.
    """

    def __init__(self, count: int | None) -> None:
        self._count = count
        self._listed = 0
        self._lock = threading.Lock()

    def add(self, videos: int) -> None:
        with self._lock:
            self._listed += videos
            listed = self._listed
        count = self._count
        if count is None:
            if listed <= MOST_VIDEOS_UNCOUNTED:
                return
            said = (
                f"the profile's count is unknown, and no account has posted {MOST_VIDEOS_UNCOUNTED}"
            )
        elif listed <= MOST_VIDEOS_PER_COUNTED * count + VIDEOS_BEYOND_COUNT:
            return
        else:
            said = (
                f"the profile says the account has {count}: more than {MOST_VIDEOS_PER_COUNTED} "
                f"times as many plus {VIDEOS_BEYOND_COUNT} (room for videos posted during the sync)"
            )
        raise traced_error(
            f"TikTok's video list has brought {listed} different videos so far, but {said}. The "
            "sync stops here instead of following the list on; run it again later, and if it "
            "persists report it to TikTok."
        )


@dataclass
class ListWalk:
    """One stream's walk of the list this sync: its client, API, bound and what each video gives.

    `to_record` turns a listed video into the stream's record, or None to leave it out.
    """

    stream: str
    api: ListApi
    reader: Reader
    progress: Progress
    bound: WalkBound
    to_record: Callable[[dict[str, Any]], Mapping[str, Any] | None]
    stopped: threading.Event

    def fetch(self, cursor: int | None) -> VideoPage:
        wanted = self.api.page_request(cursor)
        response = self.reader.send(wanted.method, wanted.path, wanted.params, wanted.json)
        page = self.api.read_page(response)
        self.progress.page()
        return page


class WindowPartition(Partition):
    """One create_time window of the list, walked newest first down to its floor.

    `floor_below_newest`, when given, places the floor that many seconds below the first video
    the walk meets (video_stats' lookback window, known only once the newest video is).
    """

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
        walk, window = self._walk, self._window
        pager = VideoPager(start_cursor=window.first_cursor)
        while not walk.stopped.is_set():
            page = walk.fetch(pager.cursor)
            fresh = pager.accept(page)
            walk.bound.add(len(fresh))
            if fresh and self._floor_below_newest is not None:
                window = self._with_floor(create_time_of(fresh[0]))
            taken = 0
            for video in fresh:
                if window.holds(video["create_time"]):
                    record = walk.to_record(video)
                    if record is not None:
                        taken += 1
                        yield Record(record, walk.stream, associated_slice=self._slice)
            walk.progress.took(walk.stream, taken)
            if pager.done or _reached(window.floor, pager.cursor):
                return

    def _with_floor(self, newest: int) -> Window:
        assert self._floor_below_newest is not None
        floor = self._floor_below_newest(newest)
        self._floor_below_newest = None
        self._window = replace(self._window, floor=floor)
        return self._window

    def to_slice(self) -> StreamSlice:
        return self._slice

    def stream_name(self) -> str:
        return self._walk.stream

    def __hash__(self) -> int:
        return hash((self._walk.stream, self._slice))

    def __repr__(self) -> str:
        return f"WindowPartition({self._walk.stream}, {self._window})"


def _reached(floor: int | None, cursor: int | None) -> bool:
    """Whether the next page could only hold videos at or before `floor`."""
    return floor is not None and cursor is not None and cursor <= (floor + 1) * 1000


class WindowGenerator(PartitionGenerator):
    """The windows of one stream's walk, decided by `plan` once the read starts."""

    def __init__(self, walk: ListWalk, plan: Callable[[ListWalk], Iterable[WindowPartition]]):
        self._walk = walk
        self._plan = plan

    def generate(self) -> Iterable[Partition]:
        yield from self._plan(self._walk)
