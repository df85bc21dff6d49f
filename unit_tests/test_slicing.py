import pytest

from source_tiktok_organic.cursor import EARLIEST_VIDEO
from source_tiktok_organic.slicing import (
    DENSEST,
    PAGE_SIZE,
    SEQUENTIAL_PAGES,
    Stretch,
    density_moved,
    guess_bottom,
    pick_cut,
)

T0 = 1_700_000_000


def stretch(pages: float, density: float = 100.0, newest: int = T0) -> Stretch:
    return Stretch(
        newest=newest, bottom=newest - int(pages * PAGE_SIZE * density), seconds_per_video=density
    )


def test_given_stretches_then_the_one_with_most_pages_left_is_halved_at_its_middle() -> None:
    small, big = stretch(10), stretch(40, newest=T0 - 10**6)
    assert pick_cut([small, None, big]) == (2, (big.newest + big.bottom) // 2)


def test_given_equal_stretches_then_the_newer_one_is_cut_first() -> None:
    assert pick_cut([stretch(20), stretch(20, newest=T0 - 10**6)]) == (0, T0 - 20_000)


def test_given_too_few_pages_left_anywhere_then_no_cut() -> None:
    assert pick_cut([stretch(SEQUENTIAL_PAGES - 0.05), None]) is None
    assert pick_cut([]) is None
    assert pick_cut([stretch(SEQUENTIAL_PAGES)]) is not None


def test_given_videos_crowding_each_second_then_pages_left_count_them_all() -> None:
    crowded = Stretch(newest=T0, bottom=T0 - 4, seconds_per_video=DENSEST)
    assert crowded.pages_left == 20
    assert pick_cut([crowded]) == (0, T0 - 2)
    one_second = Stretch(newest=T0, bottom=T0 - 1, seconds_per_video=0.0)
    assert one_second.pages_left == 5  # never infinite


def test_given_a_density_under_the_densest_then_the_densest_counts() -> None:
    assert Stretch(newest=T0, bottom=T0 - 4, seconds_per_video=0.0001).pages_left == 20


def test_given_no_second_strictly_between_then_no_cut() -> None:
    assert pick_cut([Stretch(newest=T0, bottom=T0 - 1, seconds_per_video=0.0001)]) is None


@pytest.mark.parametrize(
    ("floor", "unlisted", "expected"),
    [
        (None, None, EARLIEST_VIDEO - 1),
        (T0 - 10**9, None, EARLIEST_VIDEO - 1),  # nothing is older than TikTok
        (T0 - 5_000, None, T0 - 5_000),
        (None, 30, T0 - 3_000),  # 30 videos at 100 s each
        (T0 - 2_000, 30, T0 - 2_000),  # never below the floor
        (None, 0, T0 - 1),  # nothing left: the bottom is right below
        (None, 10**9, EARLIEST_VIDEO - 1),
    ],
)
def test_given_an_open_stretch_then_its_bottom_is_guessed_from_floor_and_unlisted_videos(
    floor: int | None, unlisted: int | None, expected: int
) -> None:
    assert guess_bottom(T0, floor, unlisted, 100.0) == expected


def test_given_a_crowded_stretch_then_the_guess_reaches_as_deep_as_its_density() -> None:
    assert guess_bottom(T0, None, 300, 0.1) == T0 - 30
    assert guess_bottom(T0, None, 300, 0.0) == T0 - 3


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        (None, None, False),
        (None, 50.0, True),
        (50.0, None, True),
        (50.0, 100.0, False),
        (50.0, 25.0, False),
        (50.0, 100.1, True),
        (50.0, 24.9, True),
        (0.0, 0.015, False),  # under the densest counts as the densest
        (0.001, 0.005, False),
        (0.5, 2.5, True),
    ],
)
def test_given_a_new_density_then_it_counts_as_moved_only_when_twofold_or_newly_known(
    before: float | None, after: float | None, moved: bool
) -> None:
    assert density_moved(before, after) is moved
