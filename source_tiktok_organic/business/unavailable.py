"""TikTok's -1, seen in production for "unavailable": null, except where -1 is a real value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields that may be negative, each with the fields it is the net of (reference, section 3:
# daily_total_followers is the day's net change, so 3 new and 4 lost followers make a real -1).
# Every other count, time and rate of the API for Business is never negative.
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
