"""Shares (TikTok's `percentage`) on one scale, 0 to 1, whatever scale each array came on.

TikTok does not say whether shares come on 0-1 or 0-100 (reference, section 7), nor that one
answer keeps to one scale, so each array is judged alone, never by its neighbours. An array is on
0-100 when one of its shares is above 1 by more than ROUNDING, or when it splits one whole
(SPLITS) and its shares add up to more than 1 by more than ROUNDING each; otherwise it is on 0-1.
On 0-1 no share passes 1, and no split adds up past 1, but by rounding (a retention of 1.0004 at
second 0 is the whole, rounded); on 0-100 a retention curve starts near 100 and a split adds up
to about 100, or a top 10 to its part of it. An array on 0-100 whose shares are all at most 1 (a
split: adding up to at most 1) cannot be told from one on 0-1, and is read as 0-1.

Once on 0-1, a share above 1 by at most ROUNDING is a rounding overshoot: kept, with a warning.
One further out, or below 0, is no share at all: null, with a warning naming it. TikTok's -1 is
"unavailable": null.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from source_tiktok_organic.business.unavailable import is_unavailable

LOGGER = logging.getLogger("airbyte")
ROUNDING = 0.01  # how far past the whole a share on 0-1 may be and still be the whole, rounded
# Breakdowns of one whole: their shares add up to 1 (or 100). Not audience_types, which holds
# two such pairs, nor the per-second curves.
SPLITS = frozenset(
    {
        "impression_sources",
        "audience_ages",
        "audience_genders",
        "audience_countries",
        "audience_cities",
    }
)
SHARE_FIELDS = ("full_video_watched_rate",)  # single shares, on 0-1 by the reference
SHOWN = 3  # odd shares named in one warning; the rest are counted


def on_one_scale(items: list[Any], field: str, owner: str) -> list[Any]:
    """The array with each share on 0-1 (or null), its odd shares named in a warning."""
    hundreds = _on_hundreds([item["percentage"] for item in items if _has_share(item)], field)
    scaled, odd = [], []
    for item in items:
        if isinstance(item, dict) and is_unavailable(item.get("percentage")):
            item = {**item, "percentage": None}
        elif _has_share(item):
            sent = item["percentage"]
            share, outcome = _checked(sent / 100 if hundreds else sent)
            if outcome:
                odd.append(f"{sent!r} ({_label(item)}) {outcome}")
            item = {**item, "percentage": share}
        scaled.append(item)
    if odd:
        scale = " on a 0-100 scale" if hundreds else ""
        LOGGER.warning(
            "%s: TikTok sent %s%s with shares outside 0 to 1: %s.",
            owner,
            field,
            scale,
            _listed(odd),
        )
    return scaled


def checked_share(value: Any, field: str, owner: str) -> Any:
    """A single share on 0-1, kept, or null with a warning when it is none."""
    if is_unavailable(value):
        return None
    if not _is_number(value):
        return value
    checked, outcome = _checked(value)
    if outcome:
        LOGGER.warning("%s: TikTok sent %s %r, outside 0 to 1: %s.", owner, field, value, outcome)
    return checked


def _on_hundreds(shares: list[float], field: str) -> bool:
    if any(share > 1 + ROUNDING for share in shares):
        return True
    return field in SPLITS and sum(shares) > 1 + ROUNDING * len(shares)


def _checked(share: float) -> tuple[float | None, str]:
    """The share and what became of it: "" when it is within 0 to 1."""
    if 0 <= share <= 1:
        return share, ""
    if 1 < share <= 1 + ROUNDING:
        return share, f"kept as {share:g}, over 1 by rounding"
    return None, "set to null"


def _has_share(item: Any) -> bool:
    """A dict with a number for share, TikTok's -1 ("unavailable") aside."""
    if not isinstance(item, dict):
        return False
    share = item.get("percentage")
    return _is_number(share) and not is_unavailable(share)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _label(item: Mapping[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in item.items() if key != "percentage")


def _listed(odd: list[str]) -> str:
    more = len(odd) - SHOWN
    return "; ".join(odd[:SHOWN]) + (f"; and {more} more" if more > 0 else "")
