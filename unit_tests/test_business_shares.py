"""Shares on 0 to 1 whatever scale each array came on, odd ones never kept without a word."""

from typing import Any

import pytest

from source_tiktok_organic.business.records import checked_share, insight_array, to_video

OWNER = "Post 7301"


def shares(items: list[Any]) -> list[Any]:
    return [item["percentage"] if isinstance(item, dict) else item for item in items]


def curve(*percentages: float) -> list[dict[str, Any]]:
    return [{"second": str(s), "percentage": p} for s, p in enumerate(percentages)]


def test_given_one_share_of_1_0004_on_a_0_1_array_then_it_stays_0_1_and_is_kept_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scaled = insight_array(curve(1.0004, 0.8, 0.5), "video_view_retention", OWNER)
    assert shares(scaled) == [1.0004, 0.8, 0.5]
    assert (
        "Post 7301: TikTok sent video_view_retention with shares outside 0 to 1: 1.0004 (second 0) "
        "kept as 1.0004, over 1 by rounding." in caplog.messages
    )


def test_given_each_array_on_its_own_scale_then_each_is_judged_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    video = to_video(
        {
            "item_id": "7301",
            "create_time": "1760000000",
            "video_view_retention": curve(100, 87.5, 40),
            "impression_sources": [
                {"impression_source": "For You", "percentage": 0.7724},
                {"impression_source": "Follow", "percentage": 0.2276},
            ],
        }
    )
    assert shares(video["video_view_retention"]) == [1, 0.875, 0.4]
    assert shares(video["impression_sources"]) == [0.7724, 0.2276]
    assert caplog.messages == []


@pytest.mark.parametrize(
    ("field", "sent", "expected"),
    [
        ("audience_genders", [60.0, 40], [0.6, 0.4]),
        ("audience_cities", [1.5], [0.015]),
        ("audience_cities", [0.9, 0.8, 0.7], [0.009, 0.008, 0.007]),  # a split adding up past 1
        ("engagement_likes", [0.9, 2.5, 0.7], [0.009, 0.025, 0.007]),
        ("audience_types", [0.6, 0.4, 0.3, 0.7], [0.6, 0.4, 0.3, 0.7]),  # two pairs on 0-1
        ("audience_countries", [0.5, 0.3, 0.2, 0.01], [0.5, 0.3, 0.2, 0.01]),
        ("audience_genders", [0.5004, 0.5004], [0.5004, 0.5004]),  # adding up past 1 by rounding
    ],
)
def test_given_an_array_then_its_scale_is_judged_from_its_own_shares(
    field: str, sent: list[float], expected: list[float]
) -> None:
    items = [{"label": str(index), "percentage": share} for index, share in enumerate(sent)]
    assert shares(insight_array(items, field, OWNER)) == pytest.approx(expected)


def test_given_a_rounding_overshoot_on_0_100_then_kept_on_0_1_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scaled = insight_array(curve(100.04, 90), "video_view_retention", OWNER)
    assert shares(scaled) == pytest.approx([1.0004, 0.9])
    [warning] = caplog.messages
    assert "video_view_retention on a 0-100 scale" in warning
    assert "100.04 (second 0) kept as 1.0004, over 1 by rounding" in warning


@pytest.mark.parametrize(
    ("sent", "field"), [(130, "video_view_retention"), (-0.3, "engagement_likes")]
)
def test_given_a_share_no_rounding_explains_then_null_and_named(
    sent: float, field: str, caplog: pytest.LogCaptureFixture
) -> None:
    scaled = insight_array(curve(100, sent, 50) if sent > 1 else curve(0.02, sent), field, OWNER)
    assert shares(scaled)[1] is None
    [warning] = caplog.messages
    assert warning.startswith(f"Post 7301: TikTok sent {field}")
    assert f"{sent!r} (second 1) set to null" in warning


def test_given_minus_one_then_null_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    scaled = insight_array(curve(100, -1, 50), "video_view_retention", OWNER)
    assert shares(scaled) == [1, None, 0.5]
    assert caplog.messages == []


def test_given_many_odd_shares_then_the_warning_names_three_and_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    insight_array(curve(-0.1, -0.2, -0.3, -0.4, -0.5), "engagement_likes", OWNER)
    [warning] = caplog.messages
    assert "-0.3 (second 2) set to null; and 2 more." in warning
    assert "-0.4" not in warning


def test_given_items_that_are_not_shares_then_they_are_left_alone() -> None:
    items = ["For You", {"percentage": 40}, {"percentage": "40%"}, {"percentage": True}]
    scaled = insight_array(items, "impression_sources", OWNER)
    assert scaled == ["For You", {"percentage": 0.4}, {"percentage": "40%"}, {"percentage": True}]


@pytest.mark.parametrize(
    ("sent", "kept", "warned"),
    [
        (0.25, 0.25, ""),
        (1, 1, ""),
        (1.004, 1.004, "kept as 1.004, over 1 by rounding"),
        (1.3, None, "set to null"),
        (-0.2, None, "set to null"),
        (-1, None, ""),
        ("soon", "soon", ""),
        (None, None, ""),
    ],
)
def test_given_a_single_share_then_kept_or_null_as_its_range_says(
    sent: Any, kept: Any, warned: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert checked_share(sent, "full_video_watched_rate", OWNER) == kept
    if warned:
        assert caplog.messages == [
            f"Post 7301: TikTok sent full_video_watched_rate {sent!r}, outside 0 to 1: {warned}."
        ]
    else:
        assert caplog.messages == []


def test_given_a_post_with_a_full_watch_rate_past_1_then_null_and_the_post_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    video = to_video({"item_id": "7301", "create_time": "1", "full_video_watched_rate": 1.3})
    assert video["full_video_watched_rate"] is None
    assert caplog.messages == [
        "Post 7301: TikTok sent full_video_watched_rate 1.3, outside 0 to 1: set to null."
    ]
