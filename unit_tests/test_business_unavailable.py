"""TikTok's -1 as null where no real value is negative, and kept where it is a real net change."""

from typing import Any

import pytest

from source_tiktok_organic.business.records import honest, honest_row

NET_LOSS = {"daily_total_followers": -1, "daily_new_followers": 3, "daily_lost_followers": 4}


def test_honest_keeps_every_real_value() -> None:
    assert [honest(value) for value in (0, 1, -1.0, -1, -2, True, False, "-1", None)] == [
        0,
        1,
        None,
        None,
        -2,
        True,
        False,
        "-1",
        None,
    ]


def test_given_a_day_that_lost_one_follower_net_then_its_minus_one_is_kept() -> None:
    assert honest_row({"video_views": -1, **NET_LOSS}) == {"video_views": None, **NET_LOSS}


@pytest.mark.parametrize(
    "parts",
    [
        {"daily_new_followers": -1, "daily_lost_followers": -1},
        {"daily_new_followers": None, "daily_lost_followers": -1},
        {},
    ],
)
def test_given_the_net_and_what_it_is_the_net_of_unavailable_then_all_null(
    parts: dict[str, Any],
) -> None:
    row = honest_row({"daily_total_followers": -1, **parts})
    assert row["daily_total_followers"] is None
    assert all(row[part] is None for part in parts)


def test_given_one_part_of_the_net_known_then_the_minus_one_is_real() -> None:
    row = honest_row({"daily_total_followers": -1, "daily_new_followers": 0})
    assert row == {"daily_total_followers": -1, "daily_new_followers": 0}


def test_given_a_net_loss_beyond_minus_one_then_kept_whatever_its_parts() -> None:
    assert honest_row({"daily_total_followers": -5}) == {"daily_total_followers": -5}
