"""Saved states as the streams read them: `videos`' cursor and the history streams' snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from source_tiktok_organic.core.errors import config_error
from source_tiktok_organic.core.numbers import whole_number

CURSOR_FIELD = "create_time"
SNAPSHOT_FIELD = "snapshot_at"
RESUME_BEFORE = "resume_before_ms"
RESUME_NEWEST = "resume_newest_create_time"


def saved_create_time(raw: Mapping[str, Any] | None) -> int | None:
    """The `videos` cursor of a saved state; the previous version's resume fields, which only
    shortened an interrupted walk, are left out (the walk is read again)."""
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise _invalid("videos", f"expected an object, got {type(raw).__name__}")
    return _integer(raw, CURSOR_FIELD)


def _integer(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    number = whole_number(value)
    if number is None or number < 0:
        raise _invalid(
            "videos", f"'{key}' must be a non-negative integer (epoch seconds), got {value!r}"
        )
    return number


def parse_snapshot_state(raw: Mapping[str, Any] | None, stream: str) -> datetime | None:
    """The `snapshot_at` a history stream last recorded; naive times are read as UTC."""
    if not raw:
        return None
    if not isinstance(raw, Mapping):
        raise _invalid(stream, f"expected an object, got {type(raw).__name__}")
    value = raw.get(SNAPSHOT_FIELD)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _invalid(
            stream, f"'{SNAPSHOT_FIELD}' must be an ISO 8601 date-time, got {value!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _invalid(stream: str, reason: str) -> Exception:
    return config_error(
        f"The saved state of stream '{stream}' is invalid: {reason}. Fix the state in the "
        "connection's settings or reset the stream."
    )
