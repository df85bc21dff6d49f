"""API for Business answers in the common columns, so one query serves both account modes.

Where both APIs mean the same thing the record takes the Display API's column name (the mapping
table is in docs/tiktok-organic.md); every other field keeps TikTok's own name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from source_tiktok_organic.business.shares import SHARE_FIELDS, checked_share, on_one_scale
from source_tiktok_organic.business.unavailable import honest_row
from source_tiktok_organic.core.records import conform

PROFILE_COLUMNS = {
    "profile_image": "avatar_url",
    "followers_count": "follower_count",
    "total_likes": "likes_count",
    "videos_count": "video_count",
}
VIDEO_COLUMNS = {
    "item_id": "id",
    "thumbnail_url": "cover_image_url",
    "embed_url": "embed_link",
    "likes": "like_count",
    "comments": "comment_count",
    "shares": "share_count",
    "video_views": "view_count",
}
CAPTION_COLUMNS = ("title", "video_description")  # a post has one caption, the Display API two
# The entries an insight array keeps: a retention curve has one a second, and TikTok's longest
# post is 60 minutes. Bounds each record (and the page of 20 the sync keeps) whatever TikTok sends.
MAX_ARRAY_ENTRIES = 3_600
LOGGER = logging.getLogger("airbyte")


def renamed(raw: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    return {columns.get(name, name): value for name, value in honest_row(raw).items()}


def to_profile(data: Mapping[str, Any], business_id: str) -> dict[str, Any]:
    """`data` of business/get as a user_info record, keyed by the business_id."""
    record = renamed(data, PROFILE_COLUMNS)
    record["open_id"] = business_id
    return conform(record, "business/user_info")


def to_video(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One post of business/video/list as a videos record (create_time arrives as a string)."""
    record = renamed(raw, VIDEO_COLUMNS)
    caption = record.pop("caption", None)
    for column in CAPTION_COLUMNS:
        record[column] = caption
    owner = f"Post {record.get('id')}"
    for name, value in record.items():
        if isinstance(value, list):
            record[name] = insight_array(value, name, owner)
    for name in SHARE_FIELDS:
        if name in record:
            record[name] = checked_share(record[name], name, owner)
    return conform(record, "business/videos")


def insight_array(items: list[Any], field: str, owner: str) -> list[Any]:
    """Its first MAX_ARRAY_ENTRIES entries (a cut is named), each share on 0-1."""
    if len(items) > MAX_ARRAY_ENTRIES:
        LOGGER.warning(
            "%s: TikTok sent %s entries of %s; only the first %s are kept, one a second of a "
            "60-minute post, TikTok's longest.",
            owner,
            f"{len(items):,}",
            field,
            f"{MAX_ARRAY_ENTRIES:,}",
        )
        items = items[:MAX_ARRAY_ENTRIES]
    return on_one_scale(items, field, owner)
