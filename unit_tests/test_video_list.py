"""A window walked one way: the pager's cursor out, the window's videos back, its floor ends it."""

import logging
import threading
from typing import Any

import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.deletions import WalkLog
from source_tiktok_organic.core.pagination import VideoPage, describe_time
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.video_list import (
    MOST_VIDEOS_UNCOUNTED,
    ListWalk,
    PageRequest,
    WalkBound,
    WindowPartition,
)
from source_tiktok_organic.core.windows import Window

T0 = 1_700_000_000


class FakeList:
    """TikTok's list of `times` (newest first), 2 a page; remembers the cursors asked for."""

    def __init__(self, times: list[int], ids: list[str] | None = None) -> None:
        self.times = times
        self.ids = ids or [str(t) for t in times]
        self.cursors: list[int | None] = []

    def page_request(self, cursor: int | None) -> PageRequest:
        return PageRequest("POST", "video/list/", {}, {"cursor": cursor})

    def read_page(self, response: Any) -> VideoPage:
        cursor = response["cursor"]
        self.cursors.append(cursor)
        listed = [(i, t) for i, t in zip(self.ids, self.times, strict=True)]
        below = [(i, t) for i, t in listed if cursor is None or t * 1000 < cursor][:2]
        oldest = min((t for _, t in below), default=None)
        rest = oldest is not None and below[-1] != listed[-1]
        videos = [{"id": i, "create_time": t} for i, t in below]
        return VideoPage(videos, None if oldest is None else oldest * 1000, rest)


class Sender:
    def send(self, method: str, path: str, params: Any, json: Any) -> Any:
        return json


def walk_of(api: FakeList, bound: WalkBound | None = None, stopped: Any = None) -> ListWalk:
    return ListWalk(
        stream="videos",
        api=api,
        reader=Sender(),  # type: ignore[arg-type]
        progress=Progress(logging.getLogger("test")),
        bound=bound or WalkBound(None),
        to_record=lambda video: video,
        stopped=stopped or threading.Event(),
        logger=logging.getLogger("test"),
    )


def ids(partition: WindowPartition) -> list[str]:
    return [record.data["id"] for record in partition.read()]


def test_given_a_window_then_only_its_seconds_are_read_and_its_floor_ends_the_walk() -> None:
    api = FakeList([T0 + 50, T0 + 40, T0 + 30, T0 + 20, T0 + 10, T0])
    window = Window(T0 + 15, T0 + 40, T0 + 16, T0 + 40)
    assert ids(WindowPartition(walk_of(api), window)) == [str(T0 + 40), str(T0 + 30), str(T0 + 20)]
    # pages re-read their oldest second: the third is the first to reach below the floor
    assert api.cursors == [(T0 + 41) * 1000, (T0 + 31) * 1000, (T0 + 21) * 1000]


def test_given_a_page_ending_a_second_above_the_floor_then_the_second_above_it_is_still_read() -> (
    None
):
    api = FakeList([T0 + 3, T0 + 2, T0 + 1, T0 + 1, T0], ["a", "b", "c", "d", "e"])
    walk = walk_of(api)
    window = Window(T0, None, T0 + 1, T0 + 9)
    assert ids(WindowPartition(walk, window)) == ["a", "b", "c", "d"]
    assert walk.progress.emitted["videos"] == 4, "every record is counted for the progress log"


def test_given_the_open_top_window_then_the_walk_starts_at_tiktoks_newest() -> None:
    api = FakeList([T0 + 10, T0])
    assert ids(WindowPartition(walk_of(api), Window(None, None, T0, T0 + 99))) == [
        str(T0 + 10),
        str(T0),
    ]
    assert api.cursors == [None]


def test_given_a_floor_below_the_newest_then_it_is_placed_once_the_newest_is_seen() -> None:
    api = FakeList([T0 + 100, T0 + 90, T0 + 50, T0 + 40])
    window = Window(None, None, T0, T0 + 200)
    partition = WindowPartition(walk_of(api), window, lambda newest: newest - 20)
    assert ids(partition) == [str(T0 + 100), str(T0 + 90)]
    assert len(api.cursors) == 2
    assert partition.to_slice() == {"start": T0, "end": T0 + 200}, "its slice stays what it was"


def test_given_a_stopped_sync_then_the_walk_asks_for_nothing_more() -> None:
    api = FakeList([T0 + 10, T0])
    stopped = threading.Event()
    stopped.set()
    assert ids(WindowPartition(walk_of(api, stopped=stopped), Window(None, None, T0, T0))) == []
    assert api.cursors == []


def test_partitions_of_one_window_are_equal_in_the_cdks_sets_whatever_they_read() -> None:
    window = Window(None, None, T0, T0 + 9)
    first = WindowPartition(walk_of(FakeList([])), window, lambda newest: newest)
    assert hash(first) == hash(WindowPartition(walk_of(FakeList([])), window))
    assert first.stream_name() == "videos"


@pytest.mark.parametrize(("count", "allowed"), [(10, 120), (None, MOST_VIDEOS_UNCOUNTED)])
def test_given_a_list_bringing_more_than_the_count_allows_then_the_walk_stops(
    count: int | None, allowed: int
) -> None:
    bound = WalkBound(count)
    bound.add(allowed)
    with pytest.raises(AirbyteTracedException, match="different videos so far") as raised:
        bound.add(1)
    assert f"{allowed + 1} different videos" in raised.value.message
    said = "the profile says the account has 10" if count else "the profile's count is unknown"
    assert said in raised.value.message


class Refusing(FakeList):
    """Refuses the first `refusals` answers: the API changed what it asks, ask again."""

    def __init__(self, refusals: int) -> None:
        super().__init__([T0, T0 - 1])
        self.refusals = refusals

    def read_page(self, response: Any) -> VideoPage | None:
        if self.refusals:
            self.refusals -= 1
            self.cursors.append(response["cursor"])
            return None
        return super().read_page(response)


def test_given_a_page_refused_then_the_same_page_is_asked_again() -> None:
    api = Refusing(2)
    assert walk_of(api).fetch(T0 * 1000).videos == [{"id": str(T0 - 1), "create_time": T0 - 1}]
    assert api.cursors == [T0 * 1000] * 3


def test_given_a_page_refused_without_end_then_the_walk_stops_with_an_error() -> None:
    with pytest.raises(AirbyteTracedException, match="refused the video list's page 3 times"):
        walk_of(Refusing(3)).fetch(None)


class CountingBound(WalkBound):
    def __init__(self) -> None:
        super().__init__(None)
        self.added: list[int] = []

    def add(self, videos: int) -> None:
        self.added.append(videos)
        super().add(videos)


def test_the_bound_counts_only_what_lies_above_the_windows_floor() -> None:
    """A window's last page reaches into the next window's videos, counted by that window:
    counting them here too made one-second windows look like an endless list."""
    bound = CountingBound()
    api = FakeList([T0 + 10, T0 + 9, T0 + 8])
    window = Window(T0 + 9, T0 + 10, T0 + 10, T0 + 10)
    assert ids(WindowPartition(walk_of(api, bound), window)) == [str(T0 + 10)]
    assert bound.added == [1]


def test_given_a_second_fuller_than_a_page_then_it_is_said_and_not_judged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two videos a page and three in one second: a cursor of whole seconds cannot reach the
    third, so the walk says so and its log does not cover that second."""
    times = [T0 + 10, T0 + 5, T0 + 5, T0 + 5, T0]
    api = FakeList(times, ids=["a", "b", "c", "d", "e"])
    walk = walk_of(api)
    walk.log = WalkLog(whole=True)
    walk.log.opened()
    window = Window(None, None, T0, T0 + 10)
    with caplog.at_level(logging.WARNING):
        assert ids(WindowPartition(walk, window)) == ["a", "b", "c", "e"]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert describe_time(T0 + 5) in warning
    assert "videos may lack some of them" in warning
    assert "no video of that second" in warning
    assert walk.log.covers(T0)
    assert walk.log.covers(T0 + 10)
    assert not walk.log.covers(T0 + 5)
