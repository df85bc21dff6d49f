"""How the API shows shares (`percentage`): the scale of each array, and the odd shares it may send.

The reference leaves the scale open (0-1 or 0-100) and says nothing of one scale per response,
so the knobs play each: all on 0-1, all on 0-100, or some arrays on each.
"""

from __future__ import annotations

from tiktok_emulator.business.knobs import Knobs

# The arrays the "mixed" scale sends on 0-100 (the others stay on 0-1): per-second curves beside
# breakdowns, on the profile and on each post.
MIXED_HUNDREDS = frozenset(
    {"video_view_retention", "engagement_likes", "audience_ages", "audience_countries"}
)
ROUNDED_WHOLE = 1.0004  # the whole, rounded up the way TikTok was seen to
NEGATIVE_SHARE = -0.3
OUT_OF_RANGE_RATE = 1.3


def shown(name: str, value: object, knobs: Knobs) -> object:
    """An array's shares on the scale the knob gives that array; anything else as it is."""
    scale = knobs.percentage_scale
    if scale == "mixed":
        scale = 100 if name in MIXED_HUNDREDS else 1
    if scale == 1 or not isinstance(value, list):
        return value
    return [
        {**item, "percentage": round(item["percentage"] * scale, 2)}
        if isinstance(item, dict) and "percentage" in item
        else item
        for item in value
    ]


def odd_post(post: dict, knobs: Knobs) -> dict:
    """Retention at second 0 (all viewers) rounded past the whole, or a share below 0 at second
    1 and a full-watch rate past 1."""
    if knobs.share_anomaly == "none":
        return post
    retention = [dict(point) for point in post["video_view_retention"]]
    if knobs.share_anomaly == "rounding":
        retention[0]["percentage"] = ROUNDED_WHOLE
    else:
        retention[min(1, len(retention) - 1)]["percentage"] = NEGATIVE_SHARE
        post = {**post, "full_video_watched_rate": OUT_OF_RANGE_RATE}
    return {**post, "video_view_retention": retention}


def odd_profile(profile: dict, knobs: Knobs) -> dict:
    """An audience of one gender, its share rounded past the whole, or a gender share below 0."""
    if knobs.share_anomaly == "none":
        return profile
    genders = [dict(item) for item in profile["audience_genders"]]
    if knobs.share_anomaly == "rounding":
        for item in genders:
            item["percentage"] = 0.0
        genders[0]["percentage"] = ROUNDED_WHOLE
    else:
        genders[-1]["percentage"] = NEGATIVE_SHARE
    return {**profile, "audience_genders": genders}
