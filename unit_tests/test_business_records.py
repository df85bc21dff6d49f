"""Business answers in the common columns, with TikTok's "unavailable" kept as null."""

from typing import Any

import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.business.records import MAX_ARRAY_ENTRIES, to_profile, to_video


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
        "is_aigc": None,  # the API for Business does not document the flag
    }
    assert isinstance(video["video_duration"], float)


@pytest.mark.parametrize("field", ["likes", "reach", "video_views", "total_time_watched"])
def test_given_minus_one_then_null_never_a_negative_count(field: str) -> None:
    video = to_video(post(**{field: -1}))
    column = {"likes": "like_count", "video_views": "view_count"}.get(field, field)
    assert video[column] is None


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


def test_given_an_insight_array_past_the_cap_then_its_first_entries_are_kept_and_the_cut_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    retention = [{"second": str(s), "percentage": 0.5} for s in range(MAX_ARRAY_ENTRIES + 2)]
    video = to_video(post(video_view_retention=retention))
    assert video["video_view_retention"] == retention[:MAX_ARRAY_ENTRIES]
    assert caplog.messages == [
        "Post 7301: TikTok sent 3,602 entries of video_view_retention; only the first 3,600 are "
        "kept, one a second of a 60-minute post, TikTok's longest."
    ]


def test_given_an_insight_array_of_the_cap_then_whole_and_unnamed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    likes = [{"second": str(s), "percentage": 0.01} for s in range(MAX_ARRAY_ENTRIES)]
    assert to_video(post(engagement_likes=likes))["engagement_likes"] == likes
    assert caplog.messages == []
