"""The window rule: one window where cutting costs more than it saves, else contiguous cuts."""

import itertools

import pytest

from source_tiktok_organic.core.windows import (
    PAGE_SIZE,
    SEQUENTIAL_VIDEOS,
    Window,
    cut,
    needs_cut,
    one_window,
)

START, END = 1_400_000_000, 1_800_000_000
NEWEST = [1_700_000_000 - 3_600 * i for i in range(PAGE_SIZE)]  # a video an hour


@pytest.mark.parametrize(
    ("count", "workers", "cuts"),
    [
        (None, 8, False),
        (SEQUENTIAL_VIDEOS, 8, False),
        (SEQUENTIAL_VIDEOS + 1, 8, True),
        (20_000, 1, False),
        (SEQUENTIAL_VIDEOS + 1, 2, True),
    ],
)
def test_given_a_count_and_workers_then_only_a_large_counted_list_is_cut(
    count: int | None, workers: int, cuts: bool
) -> None:
    assert needs_cut(count, workers) is cuts


def test_one_window_is_the_whole_list_above_the_floor_from_tiktoks_newest() -> None:
    [window] = one_window(5, START, END)
    assert window == Window(5, None, START, END)
    assert window.first_cursor is None
    assert window.holds(6)
    assert window.holds(4_000_000_000)
    assert not window.holds(5)


def assert_tiled(windows: list[Window], floor: int | None, start: int, end: int) -> None:
    """Every second from `start` to `end` in exactly one window, whole seconds only."""
    assert windows[0].floor == floor, "the oldest window runs down to the read's floor"
    assert windows[-1].ceiling is None, "the newest is open above: posts during the sync"
    for older, newer in itertools.pairwise(windows):
        assert newer.floor == older.ceiling
        assert newer.start == older.end + 1
    assert (windows[0].start, windows[-1].end) == (start, end)
    for window in windows:
        assert window.start <= window.end
        assert all(isinstance(edge, int) for edge in (window.start, window.end))


@pytest.mark.parametrize(
    ("count", "workers", "parts"), [(2_000, 8, 10), (20_000, 8, 32), (300, 8, 1)]
)
def test_given_a_large_list_then_windows_tile_the_time_without_gap_or_overlap(
    count: int, workers: int, parts: int
) -> None:
    windows = cut(None, START, END, count, workers, NEWEST)
    assert_tiled(windows, None, START, END)
    assert len(windows) == parts + 1  # plus the open window below the counted span


def test_the_counted_span_follows_the_newest_pages_pace() -> None:
    count = 2_000
    windows = cut(None, START, END, count, 8, NEWEST)
    reach = max(NEWEST) - count * 3_600
    assert windows[0] == Window(None, reach - 1, START, reach - 1)
    assert windows[1].floor == reach - 1


def test_a_window_starts_its_walk_just_above_its_ceiling() -> None:
    window = Window(10, 20, 11, 20)
    assert window.first_cursor == 21_000
    assert window.holds(11)
    assert window.holds(20)
    assert not window.holds(21)
    assert not window.holds(10)


@pytest.mark.parametrize(
    "newest",
    [[1_700_000_000] * PAGE_SIZE, [1_700_000_000], [START - 10, START - 20]],
    ids=["one second", "one video", "all below the floor"],
)
def test_given_no_pace_or_nothing_above_the_floor_then_one_window(newest: list[int]) -> None:
    assert cut(START - 1, START, END, 5_000, 8, newest) == one_window(START - 1, START, END)


def test_given_a_video_dated_past_now_then_it_does_not_stretch_the_windows() -> None:
    future = [4_000_000_000, *NEWEST[1:]]
    windows = cut(None, START, END, 2_000, 8, future)
    assert all(window.end <= END for window in windows)
    assert windows[-2].ceiling is not None
    assert windows[-2].ceiling < END


def test_given_a_floor_inside_the_counted_span_then_the_cut_stops_at_it() -> None:
    floor = 1_699_000_000
    windows = cut(floor, floor + 1, END, 20_000, 8, NEWEST)
    assert_tiled(windows, floor, floor + 1, END)
    assert len(windows) == 32, "no open window below a floor the counted videos reach past"


def test_given_a_floor_below_the_counted_span_then_the_open_window_keeps_it() -> None:
    floor = START - 1
    windows = cut(floor, START, END, 2_000, 8, NEWEST)
    assert_tiled(windows, floor, START, END)


def test_given_two_videos_then_their_pace_is_enough_to_cut() -> None:
    windows = cut(None, START, END, 2_000, 8, NEWEST[:2])
    assert len(windows) == 11
