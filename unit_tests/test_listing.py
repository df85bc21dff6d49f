import errno
import io
import logging

import pytest

from source_tiktok_organic import listing as listing_module
from source_tiktok_organic.listing import ListedPage, VideoListing
from source_tiktok_organic.pagination import VideoPage
from source_tiktok_organic.progress import Progress
from unit_tests.conftest import video

PAGES = {
    None: VideoPage([video(5, 500), video(4, 400)], 400_000, True),
    401_000: VideoPage([video(3, 300), video(2, 200)], 200_000, True),
    201_000: VideoPage([video(1, 100)], 100_000, False),
}


class Server:
    def __init__(self) -> None:
        self.asked: list[int | None] = []

    def fetch(self, cursor: int | None) -> VideoPage:
        self.asked.append(cursor)
        return PAGES[cursor]


def listing(spool: bool = True) -> VideoListing:
    return VideoListing(Progress(logging.getLogger("test")), spool=spool)


def walked(
    shared: VideoListing, floor: int | None, server: Server, reader: str = "videos"
) -> list[ListedPage]:
    """What a stream gets: the pages on record, then fetched ones, as the CDK's loop asks."""
    walk = shared.walk(floor, reader)
    pages = list(walk.replayed())
    while not walk.done:
        pages.append(walk.accept(server.fetch(walk.cursor)))
    return pages


def ids(pages: list) -> list[str]:
    return [v["id"] for page in pages for v in page.videos]


def test_given_floor_when_page_reaches_it_then_older_dropped_and_no_more_pages() -> None:
    server = Server()
    pages = list(walked(listing(), 350, server))
    assert ids(pages) == ["5", "4"]
    assert server.asked == [None, 401_000]


def test_given_spool_when_second_consumer_reads_then_it_replays_then_continues() -> None:
    server, shared = Server(), listing()
    list(walked(shared, 350, server))
    second = list(walked(shared, None, server))
    assert ids(second) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000, 201_000]


def test_given_whole_list_read_when_second_consumer_reads_then_no_request_at_all() -> None:
    server, shared = Server(), listing()
    list(walked(shared, None, server))
    asked = len(server.asked)
    assert ids(list(walked(shared, 250, server))) == ["5", "4", "3"]
    assert len(server.asked) == asked


def test_given_pages_then_resume_cursor_points_after_each_page_and_none_at_the_end() -> None:
    pages = list(walked(listing(spool=False), None, Server()))
    assert [page.resume_cursor for page in pages] == [401_000, 201_000, None]


def no_space(*_: object, **__: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


class FullDisk(io.BytesIO):
    """Takes the first page, then is full."""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if self.tell():
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


@pytest.mark.parametrize("spool_file", [no_space, FullDisk], ids=["no-folder", "fills-up"])
def test_given_no_room_for_the_spool_then_the_second_consumer_walks_again_and_misses_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, spool_file: object
) -> None:
    monkeypatch.setattr(listing_module.tempfile, "TemporaryFile", spool_file)
    server, shared = Server(), listing()
    assert ids(list(walked(shared, 350, server))) == ["5", "4"]
    assert caplog.messages == []  # a lone reader loses nothing by it
    assert ids(list(walked(shared, None, server, "video_stats"))) == ["5", "4", "3", "2", "1"]
    assert caplog.messages == [
        "The connector could not keep the video list in a temporary file (No space left on "
        "device), so video_stats lists the videos from TikTok again. Set TMPDIR to a writable "
        "folder with free space to save those requests."
    ]
    assert ids(list(walked(shared, None, server))) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000] + [None, 401_000, 201_000] * 2


def test_given_a_reader_that_stops_the_walk_then_no_further_page_is_fetched() -> None:
    server, shared = Server(), listing()
    walk = shared.walk(None, "video_stats")
    walk.accept(server.fetch(walk.cursor))
    walk.stop()
    assert walk.done
    assert server.asked == [None]
    assert ids(walked(shared, None, server)) == ["5", "4", "3", "2", "1"]
    assert server.asked == [None, 401_000, 201_000]


def test_given_a_replay_then_each_page_still_says_where_the_list_continues() -> None:
    server, shared = Server(), listing()
    walked(shared, None, server)
    assert [page.resume_cursor for page in walked(shared, None, server)] == [401_000, 201_000, None]


def test_given_a_listing_that_keeps_no_pages_then_it_never_makes_a_temporary_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(listing_module.tempfile, "TemporaryFile", no_space)
    shared = listing(spool=False)
    walked(shared, None, Server())
    assert list(shared.walk(None, "video_stats").replayed()) == []


def test_given_a_resumed_listing_that_lost_its_pages_then_the_next_walk_starts_where_it_resumed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(listing_module.tempfile, "TemporaryFile", no_space)
    server = Server()
    resumed = VideoListing(Progress(logging.getLogger("test")), start_cursor=401_000)
    walked(resumed, None, server)
    walked(resumed, None, server)
    assert server.asked == [401_000, 201_000] * 2
