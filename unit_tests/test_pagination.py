from dataclasses import replace

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.pagination import (
    CLOCK_SKEW_SECONDS,
    EARLIEST_VIDEO,
    MAX_BARREN_PAGES,
    MAX_STALLS,
    VideoPage,
    VideoPager,
    describe_time,
    to_video_page,
)
from unit_tests.conftest import video

T0 = 1_700_000_000  # November 2023: list tests with empty pages need times videos can have


def page(*videos: dict, cursor: int | None = None, has_more: bool = True) -> VideoPage:
    return VideoPage(videos=list(videos), cursor=cursor, has_more=has_more)


def ids(videos: list[dict]) -> list[str]:
    return [v["id"] for v in videos]


def test_given_full_page_when_accepted_then_next_cursor_rereads_the_oldest_second() -> None:
    pager = VideoPager()
    emitted = pager.accept(page(video(1, 300), video(2, 200), cursor=200_000))
    assert ids(emitted) == ["1", "2"]
    assert pager.cursor == 201_000
    assert not pager.done


def test_given_second_split_across_pages_when_paging_then_every_video_is_emitted_once() -> None:
    pager = VideoPager()
    first = pager.accept(page(video(1, 300), video(2, 200), cursor=200_000))
    # TikTok's cursor alone (200_000) would skip video 3, posted in the same second as video 2.
    second = pager.accept(page(video(2, 200), video(3, 200), video(4, 100), has_more=False))
    assert ids(first + second) == ["1", "2", "3", "4"]
    assert pager.done


def test_given_has_more_false_when_accepted_then_done_even_if_page_is_short() -> None:
    pager = VideoPager()
    assert ids(pager.accept(page(video(1, 300), has_more=False))) == ["1"]
    assert pager.done


def test_given_short_page_with_has_more_when_accepted_then_paging_continues() -> None:
    pager = VideoPager()
    pager.accept(page(video(1, 300), cursor=300_000))
    assert not pager.done
    assert pager.cursor == 301_000


def test_given_empty_page_with_has_more_when_accepted_then_same_cursor_is_retried() -> None:
    pager = VideoPager(start_cursor=T0 * 1000)
    assert pager.accept(page(cursor=T0 * 1000)) == []
    assert pager.cursor == T0 * 1000
    assert ids(pager.accept(page(video(1, T0 - 100), cursor=None, has_more=False))) == ["1"]


def test_given_empty_pages_without_a_cursor_then_the_same_cursor_is_asked_until_it_stalls() -> None:
    pager = VideoPager(start_cursor=T0 * 1000)
    for _ in range(MAX_STALLS):
        assert pager.accept(page(cursor=None)) == []
        assert pager.cursor == T0 * 1000
    with pytest.raises(AirbyteTracedException, match="stopped advancing"):
        pager.accept(page(cursor=None))


def test_given_cursor_that_never_moves_when_paging_then_stuck_error_not_a_loop() -> None:
    pager = VideoPager()
    stuck = page(video(1, 300), video(2, 200), cursor=200_000)
    for _ in range(MAX_STALLS + 2):  # the first repeat still moves, to TikTok's own cursor
        pager.accept(stuck)
    with pytest.raises(AirbyteTracedException) as raised:
        pager.accept(replace(stuck, log_id="log-last-page"))
    assert f"cursor 200000 came back {MAX_STALLS + 1} times in a row" in raised.value.message
    assert "log_id of the last request: log-last-page" in raised.value.message
    assert raised.value.internal_message == raised.value.message  # the sync's failure summary
    assert raised.value.failure_type == FailureType.transient_error


def test_given_cursor_moving_forward_in_time_when_paging_then_counted_as_stall() -> None:
    pager = VideoPager(start_cursor=T0 * 1000)
    for _ in range(MAX_STALLS):
        pager.accept(page(cursor=(T0 + 800) * 1000))
    with pytest.raises(AirbyteTracedException, match="video list stopped advancing"):
        pager.accept(page(cursor=(T0 + 800) * 1000))


def test_given_same_video_on_two_pages_when_paging_then_emitted_once() -> None:
    pager = VideoPager()
    first = pager.accept(page(video(1, 300), video(2, 250), cursor=250_000))
    second = pager.accept(page(video(2, 250), video(3, 100), has_more=False))
    assert ids(first + second) == ["1", "2", "3"]


def test_given_whole_page_in_one_second_when_overlap_cannot_move_then_api_cursor_is_used() -> None:
    pager = VideoPager(start_cursor=301_000)
    pager.accept(page(*(video(i, 300) for i in range(20)), cursor=300_000))
    assert pager.cursor == 300_000


def test_given_no_usable_cursor_when_more_pages_announced_then_clear_error() -> None:
    pager = VideoPager()
    with pytest.raises(AirbyteTracedException, match="no usable cursor"):
        pager.accept(page(cursor=None))


@pytest.mark.parametrize("bad", [{"id": 5, "create_time": 1}, {"id": "5", "create_time": "1"}])
def test_given_video_without_string_id_or_int_time_when_paging_then_clear_error(bad: dict) -> None:
    with pytest.raises(AirbyteTracedException):
        VideoPager().accept(page(bad, cursor=1))


def test_given_has_more_with_empty_pages_and_a_creeping_cursor_then_the_walk_is_bounded() -> None:
    pager = VideoPager()
    pager.accept(page(video(1, T0), cursor=T0 * 1000))

    def walk() -> int:
        for step in range(1, 10_000):
            pager.accept(page(cursor=(T0 - step) * 1000))
        return step

    with pytest.raises(AirbyteTracedException) as raised:
        walk()
    assert pager.cursor == (T0 - MAX_BARREN_PAGES) * 1000
    assert f"{MAX_BARREN_PAGES + 1} pages in a row brought no new video" in raised.value.message
    assert raised.value.failure_type == FailureType.system_error  # TikTok's, not a setting


def test_given_an_empty_page_now_and_then_for_a_long_list_then_it_is_walked_to_the_end() -> None:
    pager = VideoPager()
    for step in range(1, 200):
        if step % 2:
            pager.accept(page(cursor=pager.cursor or T0 * 1000))
        else:
            pager.accept(page(video(step, T0 - step), cursor=(T0 - step) * 1000))
    assert not pager.done


def test_given_an_empty_page_whose_cursor_is_before_2014_then_the_walk_stops_naming_it() -> None:
    pager = VideoPager(start_cursor=EARLIEST_VIDEO * 1000 + 5)
    with pytest.raises(AirbyteTracedException) as raised:
        pager.accept(page(cursor=EARLIEST_VIDEO * 1000 - 1000))
    assert "points to 2013-12-31T23:59:59+00:00" in raised.value.message


def test_given_a_cursor_after_now_then_the_walk_stops_naming_it() -> None:
    pager = VideoPager(clock=lambda: T0)
    later = (T0 + CLOCK_SKEW_SECONDS + 60) * 1000
    with pytest.raises(AirbyteTracedException) as raised:
        pager.accept(page(cursor=later))
    assert f"cursor {later} points to " in raised.value.message
    allowed = VideoPager(clock=lambda: T0)
    allowed.accept(page(cursor=(T0 + CLOCK_SKEW_SECONDS - 60) * 1000))


@pytest.mark.parametrize("seconds", [253_402_300_800, 2**62, -(2**62)])
def test_a_time_beyond_any_calendar_is_described_not_crashed_on(seconds: int) -> None:
    assert describe_time(seconds) == f"epoch second {seconds}, beyond any calendar date"


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        ({"id": 5, "create_time": T0}, "TikTok sent a video without a string id (5)."),
        (
            {"id": "v9", "create_time": "soon"},
            "TikTok sent video 'v9' without an integer create_time.",
        ),
    ],
)
def test_given_a_video_the_pager_cannot_place_then_the_error_names_it(bad: dict, said: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        VideoPager().accept(page(bad, cursor=T0 * 1000))
    assert raised.value.message == f"{said} (log_id: none)"
    assert raised.value.failure_type == FailureType.system_error


def test_given_more_promised_but_no_cursor_at_all_then_the_error_says_so() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        VideoPager().accept(page(cursor=None))
    assert raised.value.message.startswith("TikTok said more videos follow but sent no usable")


def test_the_edges_of_where_videos_can_be_are_still_walked() -> None:
    at_the_latest = (T0 + CLOCK_SKEW_SECONDS) * 1000
    VideoPager(clock=lambda: T0).accept(page(cursor=at_the_latest))
    at_the_earliest = VideoPager(start_cursor=EARLIEST_VIDEO * 1000 + 5)
    at_the_earliest.accept(page(cursor=EARLIEST_VIDEO * 1000))
    assert at_the_earliest.cursor == EARLIEST_VIDEO * 1000


def test_given_a_last_page_without_a_videos_field_then_it_is_an_empty_page() -> None:
    page_read = to_video_page({"has_more": False, "cursor": None}, "log-9")
    assert page_read == VideoPage(videos=[], cursor=None, has_more=False, log_id="log-9")


def test_given_a_page_all_of_one_second_and_a_cursor_of_whole_seconds_then_the_second_is_left() -> (
    None
):
    """The re-read of second 200 brings a page of it alone: only TikTok's cursor moves on, past
    the rest of that second, and the pager says which second it left unfinished, once."""
    pager = VideoPager()
    pager.accept(page(video(1, 300), video(2, 200), cursor=200_000))
    assert pager.left_seconds() == []
    pager.accept(page(video(2, 200), video(3, 200), cursor=200_000))
    assert pager.cursor == 200_000
    assert pager.left_seconds() == [200]
    assert pager.left_seconds() == []


def test_given_a_cursor_within_the_second_then_nothing_is_left() -> None:
    """A cursor of milliseconds pages within the crowded second: nothing is skipped."""
    pager = VideoPager()
    pager.accept(page(video(1, 300), video(2, 200), cursor=200_000))
    pager.accept(page(video(2, 200), video(3, 200), cursor=200_500))
    assert pager.cursor == 200_500
    assert pager.left_seconds() == []
