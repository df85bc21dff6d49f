"""Business answers in the common columns, with TikTok's "unavailable" kept as null."""

from typing import Any

import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.business.records import normalise_percentages, to_profile, to_video


def post(**overrides: Any) -> dict[str, Any]:
    raw = {
        "item_id": "7301",
        "create_time": "1760000000",
        "caption": "hello #fyp",
        "thumbnail_url": "https://cdn.example/t.jpg",
        "embed_url": "https://www.tiktok.com/player/v1/7301",
        "share_url": "https://www.tiktok.com/@a/video/7301",
        "likes": 5,
        "comments": 1,
        "shares": 2,
        "video_views": 90,
        "video_duration": 15,
        "reach": 80,
        "full_video_watched_rate": 0.25,
        "impression_sources": [{"impression_source": "For You", "percentage": 0.75}],
    }
    raw.update(overrides)
    return raw


def test_given_a_post_then_it_takes_the_display_api_columns_and_keeps_tiktoks_other_names() -> None:
    video = to_video(post())
    assert video == {
        "id": "7301",
        "create_time": 1760000000,
        "title": "hello #fyp",
        "video_description": "hello #fyp",
        "cover_image_url": "https://cdn.example/t.jpg",
        "embed_link": "https://www.tiktok.com/player/v1/7301",
        "share_url": "https://www.tiktok.com/@a/video/7301",
        "like_count": 5,
        "comment_count": 1,
        "share_count": 2,
        "view_count": 90,
        "video_duration": 15.0,
        "reach": 80,
        "full_video_watched_rate": 0.25,
        "impression_sources": [{"impression_source": "For You", "percentage": 0.75}],
    }
    assert isinstance(video["video_duration"], float)


@pytest.mark.parametrize("field", ["likes", "reach", "video_views", "total_time_watched"])
def test_given_minus_one_then_null_never_a_negative_count(field: str) -> None:
    video = to_video(post(**{field: -1}))
    column = {"likes": "like_count", "video_views": "view_count"}.get(field, field)
    assert video[column] is None


def test_given_percentages_on_a_0_100_scale_then_every_share_of_the_record_is_0_1() -> None:
    record: dict[str, Any] = {
        "audience_genders": [
            {"gender": "Female", "percentage": 60.0},
            {"gender": "Male", "percentage": 40},
        ],
        "audience_cities": [{"city_name": "Lyon", "percentage": 0.5}],
    }
    normalise_percentages(record)
    assert [item["percentage"] for item in record["audience_genders"]] == [0.6, 0.4]
    assert record["audience_cities"][0]["percentage"] == 0.005


def test_given_percentages_already_0_1_then_untouched() -> None:
    record: dict[str, Any] = {
        "video_view_retention": [
            {"second": "0", "percentage": 1.0},
            {"second": "1", "percentage": 0.5},
        ]
    }
    normalise_percentages(record)
    assert [item["percentage"] for item in record["video_view_retention"]] == [1.0, 0.5]


def test_given_a_create_time_that_is_not_digits_then_a_clear_error() -> None:
    with pytest.raises(AirbyteTracedException, match="'create_time' is 'yesterday'"):
        to_video(post(create_time="yesterday"))


def test_given_business_get_data_then_a_user_info_record_keyed_by_the_business_id() -> None:
    user = to_profile(
        {
            "display_name": "Shop",
            "followers_count": 10,
            "total_likes": -1,
            "videos_count": 3,
            "profile_image": "https://cdn.example/a.jpg",
            "is_business_account": True,
        },
        "biz-1",
    )
    assert user == {
        "open_id": "biz-1",
        "display_name": "Shop",
        "follower_count": 10,
        "likes_count": None,
        "video_count": 3,
        "avatar_url": "https://cdn.example/a.jpg",
        "is_business_account": True,
    }


def test_given_a_post_without_a_caption_then_both_title_columns_are_null() -> None:
    video = to_video({"item_id": "9", "create_time": "1760000000"})
    assert video["title"] is None
    assert video["video_description"] is None


def test_given_a_0_100_scale_whose_largest_share_is_small_then_it_is_still_scaled() -> None:
    record: dict[str, Any] = {"audience_cities": [{"city_name": "Lyon", "percentage": 1.5}]}
    normalise_percentages(record)
    assert record["audience_cities"][0]["percentage"] == 0.015


def test_given_items_that_are_not_shares_then_they_are_left_alone() -> None:
    record: dict[str, Any] = {"impression_sources": ["For You", {"percentage": 40}], "tags": [1]}
    normalise_percentages(record)
    assert record == {"impression_sources": ["For You", {"percentage": 0.4}], "tags": [1]}
