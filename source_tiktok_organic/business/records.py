"""API for Business answers as records in the common columns (mapping in docs/tiktok-organic.md),
so one query serves both account modes: TikTok's -1 as null, shares on 0-1, arrays bounded."""

import logging
from collections.abc import Mapping
from typing import Any, TypeGuard

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
# The profile's audience, each field with its dimension and the key of its value.
AUDIENCES = {
    "audience_ages": ("age", "age"),
    "audience_genders": ("gender", "gender"),
    "audience_countries": ("country", "country"),
    "audience_cities": ("city", "city_name"),
}
CAPTION_COLUMNS = ("title", "video_description")  # a post has one caption, the Display API two
SHARE_FIELD = "full_video_watched_rate"  # a single share, on 0-1 by the reference
# The entries an insight array keeps: a retention curve has one a second, and TikTok's longest
# post is 60 minutes. Bounds each record (and the page of 20 the sync keeps) whatever TikTok sends.
MAX_ARRAY_ENTRIES = 3_600
# TikTok says neither whether shares (`percentage`) come on 0-1 or 0-100 nor that an answer keeps
# to one scale (reference, section 7), so each array is judged alone: on 0-100 when a share passes
# 1 by more than ROUNDING, or when it splits one whole (SPLITS) and its shares add up past 1 by
# more than ROUNDING each. On 0-1, a share past 1 by at most ROUNDING is the whole, rounded.
ROUNDING = 0.01
# Not audience_types, which holds two such pairs, nor the per-second curves.
SPLITS = frozenset({"impression_sources", *AUDIENCES})
SHOWN = 3  # odd shares named in one warning; the rest are counted
LOGGER = logging.getLogger("airbyte")
# TikTok's -1, seen in production for "unavailable", is null, except in the fields that may be
# negative, each with the fields it is the net of (reference, section 3: daily_total_followers is
# the day's net change, so 3 new and 4 lost followers make a real -1). Every other count, time and
# rate of the API for Business is never negative.
SIGNED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "daily_total_followers": ("daily_new_followers", "daily_lost_followers"),
}


def is_unavailable(value: Any) -> bool:
    return value == -1 and not isinstance(value, bool)


def honest(value: Any) -> Any:
    """-1 means TikTok has no value, which is not zero: it becomes null."""
    return None if is_unavailable(value) else value


def honest_row(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every -1 as null; a signed field's only when the fields it is the net of are unavailable."""
    row = {name: value if name in SIGNED_FIELDS else honest(value) for name, value in raw.items()}
    for name, parts in SIGNED_FIELDS.items():
        if is_unavailable(row.get(name)) and all(row.get(part) is None for part in parts):
            row[name] = None
    return row


def renamed(raw: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    return {columns.get(name, name): value for name, value in honest_row(raw).items()}


def to_profile(data: Mapping[str, Any], business_id: str) -> dict[str, Any]:
    """`data` of business/get as a user_info record, keyed by the business_id."""
    return conform({**renamed(data, PROFILE_COLUMNS), "open_id": business_id}, "business/user_info")


def to_video(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One post of business/video/list as a videos record (create_time arrives as a string)."""
    record = renamed(raw, VIDEO_COLUMNS)
    record.update(dict.fromkeys(CAPTION_COLUMNS, record.pop("caption", None)))
    owner = f"Post {record.get('id')}"
    for name, value in record.items():
        if isinstance(value, list):
            record[name] = insight_array(value, name, owner)
    if SHARE_FIELD in record:
        record[SHARE_FIELD] = checked_share(record[SHARE_FIELD], SHARE_FIELD, owner)
    record.setdefault("is_aigc", None)  # the API for Business does not document it
    return conform(record, "business/videos")


def insight_array(items: list[Any], field: str, owner: str) -> list[Any]:
    """Its first MAX_ARRAY_ENTRIES entries, each share on 0-1 or null; a cut or odd share named."""
    if len(items) > MAX_ARRAY_ENTRIES:
        LOGGER.warning(
            f"{owner}: TikTok sent {len(items):,} entries of {field}; only the first "
            f"{MAX_ARRAY_ENTRIES:,} are kept, one a second of a 60-minute post, TikTok's longest."
        )
        items = items[:MAX_ARRAY_ENTRIES]
    sent = [item.get("percentage") for item in items if isinstance(item, dict)]
    shares = [share for share in sent if _is_number(share) and not is_unavailable(share)]
    hundreds = any(share > 1 + ROUNDING for share in shares) or (
        field in SPLITS and sum(shares) > 1 + ROUNDING * len(shares)
    )
    scaled, odd = [], []
    for item in items:
        if isinstance(item, dict) and "percentage" in item:
            share, outcome = _checked(item["percentage"], hundreds)
            if outcome:
                label = ", ".join(
                    f"{key} {value}" for key, value in item.items() if key != "percentage"
                )
                odd.append(f"{item['percentage']!r} ({label}) {outcome}")
            item = {**item, "percentage": share}
        scaled.append(item)
    if odd:
        scale = " on a 0-100 scale" if hundreds else ""
        more = f"; and {len(odd) - SHOWN} more" if len(odd) > SHOWN else ""
        listed = "; ".join(odd[:SHOWN])
        LOGGER.warning(
            f"{owner}: TikTok sent {field}{scale} with shares outside 0 to 1: {listed}{more}."
        )
    return scaled


def checked_share(value: Any, field: str, owner: str) -> Any:
    """A single share on 0-1, kept, or null with a warning when it is none."""
    share, outcome = _checked(value)
    if outcome:
        LOGGER.warning(f"{owner}: TikTok sent {field} {value!r}, outside 0 to 1: {outcome}.")
    return share


def _checked(value: Any, hundreds: bool = False) -> tuple[Any, str]:
    """The share on 0-1 and what became of it ("" when nothing); TikTok's -1 is null."""
    if is_unavailable(value):
        return None, ""
    if not _is_number(value):
        return value, ""
    share = value / 100 if hundreds else value
    if 0 <= share <= 1:
        return share, ""
    if 1 < share <= 1 + ROUNDING:
        return share, f"kept as {share:g}, over 1 by rounding"
    return None, "set to null"


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
