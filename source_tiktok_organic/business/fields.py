"""The Accounts endpoints' fields and the scope each needs (reference, sections 3 and 4).

On this API an unknown or ungranted field fails the whole call, so only granted ones are asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

BASIC_SCOPE = "user.info.basic"
VIDEO_LIST_SCOPE = "video.list"
PROFILE_FIELD_SCOPES: dict[str, str] = {
    "is_business_account": "user.account.type",
    "profile_image": BASIC_SCOPE,
    "display_name": BASIC_SCOPE,
    "username": "user.info.username",
    "profile_deep_link": "user.info.profile",
    "bio_description": "user.info.profile",
    "is_verified": "user.info.profile",
    "following_count": "user.info.stats",
    "followers_count": "user.info.stats",
    "total_likes": "user.info.stats",
    "videos_count": "user.info.stats",
}
PROFILE_STATS_FIELDS = ("following_count", "followers_count", "total_likes", "videos_count")
# The profile's audience, each field with its dimension and the key of its value.
AUDIENCES = {
    "audience_ages": ("age", "age"),
    "audience_genders": ("gender", "gender"),
    "audience_countries": ("country", "country"),
    "audience_cities": ("city", "city_name"),
}
POST_FIELD_SCOPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "item_id",
            "create_time",
            "media_type",
            "is_ad",
            "thumbnail_url",
            "share_url",
            "embed_url",
            "caption",
            "video_duration",
            "likes",
            "comments",
            "shares",
            "favorites",
            "reach",
            "video_views",
        ),
        VIDEO_LIST_SCOPE,
    ),
    **dict.fromkeys(
        (
            "total_time_watched",
            "average_time_watched",
            "full_video_watched_rate",
            "new_followers",
            "profile_views",
            "website_clicks",
            "phone_number_clicks",
            "lead_submissions",
            "app_download_clicks",
            "email_clicks",
            "address_clicks",
            "video_view_retention",
            "engagement_likes",
            "impression_sources",
            "audience_genders",
            "audience_countries",
            "audience_cities",
            "audience_types",
        ),
        "video.insights",
    ),
}


def json_list(fields: Iterable[str]) -> str:
    """`fields` on this API is a JSON array literal in the query string, not a comma list."""
    return json.dumps(list(fields), separators=(",", ":"))
