import bisect
import errno
import logging
import random
import threading
import time
from collections.abc import Callable

import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic import listing as listing_module
from source_tiktok_organic import page_store
from source_tiktok_organic.listing import ListedPage, StretchWalk, VideoListing
from source_tiktok_organic.pagination import EARLIEST_VIDEO, VideoPage
from source_tiktok_organic.progress import Progress
from unit_tests.conftest import video

T0 = 1_700_000_000


class ListServer:
    """TikTok's list, as far as the listing can tell: newest first, second-granular cursors."""

    def __init__(self, times: list[int], page_size: int = 20, delay: float = 0.0) -> None:
        self.videos = [video(f"v{index}", created) for index, created in enumerate(times)]
        self.videos.sort(key=lambda v: (-v["create_time"], v["id"]))
        self._keys = [-v["create_time"] * 1000 for v in self.videos]
        self.page_size = page_size
        self.delay = delay
        self.asked: list[int | None] = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def page(self, cursor: int | None) -> VideoPage:
        with self._lock:
            self.asked.append(cursor)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(self.delay)
        start = 0 if cursor is None else bisect.bisect_right(self._keys, -cursor)
        page = self.videos[start : start + self.page_size]
        with self._lock:
            self.in_flight -= 1
        return VideoPage(
            [dict(v) for v in page],
            page[-1]["create_time"] * 1000 if page else cursor,
            start + len(page) < len(self.videos),
        )

    def fetch(self, stretch: StretchWalk) -> None:
        """What the CDK's loop does with a stretch: ask, hand over the page, go on or stop."""
        while True:
            stretch.accept(self.page(stretch.cursor))
            if not stretch.goes_on():
                return


PAGES = {
    None: VideoPage([video(5, 500), video(4, 400)], 400_000, True),
    401_000: VideoPage([video(3, 300), video(2, 200)], 200_000, True),
    201_000: VideoPage([video(1, 100)], 100_000, False),
}


class SmallServer:
    def __init__(self) -> None:
        self.asked: list[int | None] = []

    def fetch(self, stretch: StretchWalk) -> None:
        while True:
            self.asked.append(stretch.cursor)
            stretch.accept(PAGES[stretch.cursor])
            if not stretch.goes_on():
                return


def listing(start_cursor: int | None = None) -> VideoListing:
    return VideoListing(Progress(logging.getLogger("test")), start_cursor=start_cursor)


def walked(
    shared: VideoListing,
    floor: int | None,
    fetch: Callable[[StretchWalk], None],
    reader: str = "videos",
    **options: int,
) -> list[ListedPage]:
    return list(shared.walk(floor, reader, fetch, **options).pages())


def ids(pages: list[ListedPage]) -> list[str]:
    return [v["id"] for page in pages for v in page.videos]


def test_given_floor_when_page_reaches_it_then_older_dropped_and_no_more_pages() -> None:
    server = SmallServer()
    assert ids(walked(listing(), 350, server.fetch)) == ["5", "4"]
    assert server.asked == [None, 401_000]


def test_given_spool_when_second_consumer_reads_then_it_replays_then_continues() -> None:
    server, shared = SmallServer(), listing()
    walked(shared, 350, server.fetch)
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000, 201_000]


def test_given_whole_list_read_when_second_consumer_reads_then_no_request_at_all() -> None:
    server, shared = SmallServer(), listing()
    walked(shared, None, server.fetch)
    assert ids(walked(shared, 250, server.fetch)) == ["5", "4", "3"]
    assert server.asked == [None, 401_000, 201_000]


def test_given_pages_then_resume_cursor_points_after_each_page_and_none_at_the_end() -> None:
    server, shared = SmallServer(), listing()
    assert [page.resume_cursor for page in walked(shared, None, server.fetch)] == [
        401_000,
        201_000,
        None,
    ]
    assert [page.resume_cursor for page in walked(shared, None, server.fetch)] == [
        401_000,
        201_000,
        None,
    ]


def test_given_a_resumed_listing_then_it_starts_at_its_cursor() -> None:
    server = SmallServer()
    assert ids(walked(listing(start_cursor=401_000), None, server.fetch)) == ["3", "2", "1"]
    assert server.asked == [401_000, 201_000]


def test_given_a_reader_that_stops_the_walk_then_no_further_page_is_fetched() -> None:
    server, shared = SmallServer(), listing()
    walk = shared.walk(None, "video_stats", server.fetch)
    for _page in walk.pages():
        walk.stop()
    assert server.asked == [None]
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000, 201_000]


def no_space(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("when_full", ["raises", "writes nothing"])
def test_given_no_room_on_disk_then_pages_stay_in_memory_and_nothing_is_asked_twice(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, when_full: str
) -> None:
    """The disk takes the first page, half of the second, then nothing."""
    calls = iter(["whole", "half"])

    def fills_up(fd: int, data: bytes, offset: int) -> int:
        step = next(calls, when_full)
        if step == "raises":
            raise OSError(errno.ENOSPC, "No space left on device")
        if step == "writes nothing":
            return 0
        return pwrite(fd, data if step == "whole" else data[: len(data) // 2], offset)

    pwrite = page_store.os.pwrite
    monkeypatch.setattr(page_store.os, "pwrite", fills_up)
    server, shared = SmallServer(), listing()
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert ids(walked(shared, None, server.fetch, "video_stats")) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000, 201_000]
    assert caplog.messages == [
        "The connector could not keep the video list in a temporary file (No space left on "
        "device), so it keeps it in memory. Set TMPDIR to a writable folder with free space to "
        "bound the memory a large account needs."
    ]


def test_given_no_temporary_folder_then_every_page_is_still_delivered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(page_store.tempfile, "TemporaryFile", no_space)
    server, shared = SmallServer(), listing()
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]


def account(videos: int, seed: int = 3, bursty: bool = False) -> list[int]:
    """Six years of create times with shared seconds everywhere; bursty: half in a few weeks."""
    rng = random.Random(seed)
    gap = 6 * 365 * 86_400 // videos
    times, current = [], T0
    while len(times) < videos:
        times.extend([current] * rng.choice([1, 1, 2, 3]))
        busy = bursty and videos // 4 < len(times) < videos * 3 // 4
        current -= rng.randint(1, 600) if busy else rng.randint(60, 3 * gap)
    return times[:videos]


def sequential(times: list[int], floor: int | None = None) -> tuple[list[str], list]:
    server = ListServer(times)
    return ids(walked(listing(), floor, server.fetch)), server.asked


def crowded(videos: int) -> list[int]:
    """Three videos in every second: wherever a cut falls, videos share its second."""
    return [T0 - index // 3 for index in range(videos)]


@pytest.mark.parametrize("shape", ["even", "bursty", "crowded"])
def test_given_a_large_account_and_workers_then_same_videos_in_same_order_as_one_walk(
    shape: str,
) -> None:
    times = crowded(2_000) if shape == "crowded" else account(2_000, bursty=shape == "bursty")
    alone, alone_asked = sequential(times)
    server = ListServer(times, delay=0.002)
    together = walked(listing(), None, server.fetch, workers=8, expected_videos=len(times))
    assert ids(together) == alone
    assert len(set(alone)) == len(times)
    assert server.most_in_flight > 1
    assert len(server.asked) <= len(alone_asked) * 1.25


@pytest.mark.parametrize("shape", ["even", "crowded"])
def test_given_workers_then_each_resume_cursor_is_where_the_emitted_videos_end(
    shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Resuming there loses nothing, and re-reads at most the second the page ended in."""
    times = crowded(1_500) if shape == "crowded" else account(1_000, seed=5)
    server = ListServer(times, delay=0.001)
    pages = walked(listing(), None, server.fetch, workers=6, expected_videos=len(times))
    assert server.most_in_flight > 1  # cut into stretches, each ending on a page of its own
    emitted: list[int] = []
    for page in pages[:-1]:
        emitted.extend(v["create_time"] for v in page.videos)
        assert page.resume_cursor is not None
        later = [t for t in times if t * 1000 >= page.resume_cursor]
        assert sorted(later) == sorted(t for t in emitted if t * 1000 >= page.resume_cursor)
        assert min(emitted) >= page.resume_cursor // 1000 - 1
    assert pages[-1].resume_cursor is None
    assert caplog.messages == []  # every page went to the temporary file


class PinnedServer(ListServer):
    """Serves the newest video on top of every page, whatever the cursor: TikTok's pinned
    videos could come back like this, newer than the cursor asked for."""

    def page(self, cursor: int | None) -> VideoPage:
        page = super().page(cursor)
        if cursor is None:
            return page
        return VideoPage([dict(self.videos[0]), *page.videos], page.cursor, page.has_more)


def test_given_videos_newer_than_the_cursor_then_no_stretch_emits_another_ones() -> None:
    times = account(1_000, seed=13)
    alone, _ = sequential(times)
    server = PinnedServer(times, delay=0.001)
    together = walked(listing(), None, server.fetch, workers=6, expected_videos=len(times))
    assert server.most_in_flight > 1
    assert ids(together) == alone


def test_given_a_floor_and_workers_then_nothing_older_is_read_beyond_the_floors_page() -> None:
    times = account(2_000, seed=9)
    floor = sorted(times)[len(times) // 2]
    alone, _ = sequential(times, floor)
    server = ListServer(times, delay=0.001)
    together = walked(listing(), floor, server.fetch, workers=8)
    assert ids(together) == alone
    assert all(cursor is None or cursor > floor * 1000 for cursor in server.asked)


def test_given_two_workers_then_two_requests_are_in_flight_at_once() -> None:
    times = account(2_000)
    alone, _ = sequential(times)
    server = ListServer(times, delay=0.002)
    assert ids(walked(listing(), None, server.fetch, workers=2, expected_videos=2_000)) == alone
    assert server.most_in_flight == 2


def test_given_a_small_account_then_workers_ask_exactly_what_one_walk_asks() -> None:
    times = account(100)
    _, alone_asked = sequential(times)
    server = ListServer(times)
    walked(listing(), None, server.fetch, workers=8, expected_videos=100)
    assert server.asked == alone_asked


def test_given_a_worker_fails_then_the_pages_before_it_come_first_and_then_its_error() -> None:
    times = account(600)
    server = ListServer(times, delay=0.002)

    def breaks(stretch: StretchWalk) -> None:
        if stretch.cursor is not None and stretch.cursor < times[300] * 1000:
            raise RuntimeError("boom")
        server.fetch(stretch)

    walk = listing().walk(None, "videos", breaks, workers=4, expected_videos=600)
    got: list[str] = []

    def read_all() -> None:
        for page in walk.pages():
            got.extend(v["id"] for v in page.videos)

    with pytest.raises(RuntimeError, match="boom"):
        read_all()
    assert got
    alone, _ = sequential(times)
    assert got == alone[: len(got)]


def test_given_a_disk_that_takes_pages_in_pieces_then_every_page_reads_back_whole(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pwrite = page_store.os.pwrite

    def in_pieces(fd: int, data: bytes, offset: int) -> int:
        return pwrite(fd, bytes(data[: max(1, len(data) // 3)]), offset)

    monkeypatch.setattr(page_store.os, "pwrite", in_pieces)
    server, shared = SmallServer(), listing()
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert ids(walked(shared, None, server.fetch)) == ["5", "4", "3", "2", "1"]
    assert caplog.messages == []


class GatedServer(ListServer):
    """Holds the first stretch's second page until another stretch has asked for its first, so
    the idle worker cuts the list knowing exactly one page: where it cuts is then fixed."""

    def __init__(self, times: list[int], page_size: int) -> None:
        super().__init__(times, page_size)
        self.second_stretch_started = threading.Event()
        self._first_page_end: int | None = None

    def page(self, cursor: int | None) -> VideoPage:
        if cursor is not None and cursor == self._first_page_end:
            assert self.second_stretch_started.wait(5), "no second stretch was started"
        elif cursor is not None:
            self.second_stretch_started.set()
        page = super().page(cursor)
        if cursor is None:
            self._first_page_end = (page.videos[-1]["create_time"] + 1) * 1000
        return page


@pytest.mark.parametrize(("expected_videos", "page_size"), [(1_000, 20), (2_000, 2), (None, 20)])
def test_given_one_page_known_then_the_first_cut_halves_what_the_unlisted_videos_span(
    expected_videos: int | None, page_size: int
) -> None:
    """One video every 100 s: after one page an idle worker expects the videos not yet listed
    to span 100 s each below it, and cuts at half that depth. Not told how many there are, it
    halves the way down to TikTok's first videos."""
    times = [T0 - 100 * index for index in range(1_000)]
    server = GatedServer(times, page_size)
    pages = walked(listing(), None, server.fetch, workers=2, expected_videos=expected_videos)
    newest = T0 - 100 * (page_size - 1)  # the first page's oldest second, re-read next
    if expected_videos is None:
        cut = (newest + EARLIEST_VIDEO - 1) // 2
    else:
        cut = newest - (expected_videos - page_size) * 100 // 2
    assert server.asked[:2] == [None, (cut + 1) * 1000]
    assert ids(pages) == [f"v{index}" for index in range(1_000)]


class SlowNewerHalf(ListServer):
    """The newer half of the account answers slowly, so whoever walks the older half is done
    long before, with pages of the newer half still to share."""

    def page(self, cursor: int | None) -> VideoPage:
        middle = self.videos[len(self.videos) // 2]["create_time"]
        self.delay = 0.005 if cursor is None or cursor > middle * 1000 else 0.0
        return super().page(cursor)


def test_given_a_worker_done_early_then_it_takes_more_of_the_list_in_the_same_thread() -> None:
    """No more threads than asked for, each a daemon (never holding the process at exit) named
    after its stream (so a thread dump tells whose it is)."""
    server = SlowNewerHalf([T0 - 100 * index for index in range(4_000)])
    walks: dict[threading.Thread, int] = {}

    def fetch(stretch: StretchWalk) -> None:
        thread = threading.current_thread()
        walks[thread] = walks.get(thread, 0) + 1
        server.fetch(stretch)

    pages = walked(listing(), None, fetch, reader="video_stats", workers=2, expected_videos=4_000)
    assert len(ids(pages)) == 4_000
    assert len(walks) == 2
    assert max(walks.values()) > 1
    assert all(thread.daemon for thread in walks)
    assert {thread.name for thread in walks} == {"video_stats-list-0", "video_stats-list-1"}


def test_given_stretches_that_ended_then_none_keeps_the_ids_it_dropped_duplicates_by() -> None:
    """Ids are kept to drop a re-read second's duplicates: a large account ends dozens of
    stretches, and ids kept past their end would grow memory with the account."""
    shared = listing()
    server = ListServer(account(4_000, seed=21), delay=0.0005)
    walked(shared, None, server.fetch, workers=4, expected_videos=4_000)
    ended = [stretch for stretch in shared._stretches if stretch.done]
    assert len(ended) > 1
    assert [len(stretch.pager._recent_ids) for stretch in ended] == [0] * len(ended)


class NewVideoEveryPage:
    """A list that brings one video never seen before on every page and says has_more forever,
    each a second older than the cursor it was asked for."""

    def __init__(self) -> None:
        self.asked: list[int | None] = []
        self._lock = threading.Lock()

    def fetch(self, stretch: StretchWalk) -> None:
        while True:
            cursor = stretch.cursor
            with self._lock:
                self.asked.append(cursor)
                number = len(self.asked)
            second = T0 if cursor is None else cursor // 1000 - 1
            stretch.accept(VideoPage([video(f"new{number}", second)], second * 1000, True))
            if not stretch.goes_on():
                return


@pytest.mark.parametrize(("floor", "workers"), [(None, 1), (T0 - 86_400, 1), (None, 4)])
def test_given_a_new_video_on_every_page_forever_then_the_walk_stops_naming_both_counts(
    floor: int | None, workers: int
) -> None:
    server = NewVideoEveryPage()
    with pytest.raises(AirbyteTracedException) as raised:
        walked(listing(), floor, server.fetch, workers=workers, video_count=45)
    assert "has brought 191 different videos so far" in str(raised.value.message)
    assert "the profile says the account has 45" in str(raised.value.message)
    assert len(server.asked) <= 191 + workers


@pytest.mark.parametrize(("listed", "stops"), [(120, False), (121, True)])
def test_a_list_may_bring_twice_the_profiles_count_plus_five_pages_and_no_more(
    listed: int, stops: bool
) -> None:
    server = ListServer([T0 - 60 * index for index in range(listed)])
    walk = listing().walk(None, "videos", server.fetch, video_count=10)
    if stops:
        with pytest.raises(AirbyteTracedException, match="brought 121 different videos"):
            list(walk.pages())
    else:
        assert len(ids(list(walk.pages()))) == listed


def test_given_no_count_then_the_list_is_followed_as_far_as_it_goes() -> None:
    server = ListServer([T0 - 60 * index for index in range(1_000)])
    assert len(ids(walked(listing(), None, server.fetch))) == 1_000


@pytest.mark.parametrize(("listed", "stops"), [(40, False), (41, True)])
def test_given_no_count_then_a_walk_still_ends_past_the_uncounted_bound(
    monkeypatch: pytest.MonkeyPatch, listed: int, stops: bool
) -> None:
    monkeypatch.setattr(listing_module, "MOST_VIDEOS_UNCOUNTED", 40)
    server = ListServer([T0 - 60 * index for index in range(listed)])
    walk = listing().walk(None, "videos", server.fetch)
    if stops:
        with pytest.raises(AirbyteTracedException, match="the profile's count is unknown"):
            list(walk.pages())
    else:
        assert len(ids(list(walk.pages()))) == listed


def test_given_a_second_reader_then_the_pages_on_record_are_not_counted_twice() -> None:
    server, shared = ListServer([T0 - 60 * index for index in range(100)]), listing()
    walked(shared, None, server.fetch, video_count=0)
    assert len(ids(walked(shared, None, server.fetch, reader="video_stats", video_count=0))) == 100
