"""The `videos` stream state: what a finished sync claims, and where an unfinished one stopped.

Videos arrive newest first, so the high-water mark may only move once a pass has reached the
previous one; until then the state records the pass in progress (the next list cursor and the
newest video it emitted), which lets an interrupted sync resume without losing anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from source_tiktok_organic.core.errors import config_error
from source_tiktok_organic.core.numbers import whole_number

CURSOR_FIELD = "create_time"
SNAPSHOT_FIELD = "snapshot_at"
RESUME_BEFORE = "resume_before_ms"
RESUME_NEWEST = "resume_newest_create_time"


@dataclass(frozen=True)
class VideoState:
    create_time: int | None = None
    resume_before_ms: int | None = None
    resume_newest: int | None = None

    def as_dict(self) -> dict[str, int]:
        pairs = (
            (CURSOR_FIELD, self.create_time),
            (RESUME_BEFORE, self.resume_before_ms),
            (RESUME_NEWEST, self.resume_newest),
        )
        return {key: value for key, value in pairs if value is not None}


def parse_video_state(raw: Mapping[str, Any] | None) -> VideoState:
    if not raw:
        return VideoState()
    if not isinstance(raw, Mapping):
        raise _invalid("videos", f"expected an object, got {type(raw).__name__}")
    before = _integer(raw, RESUME_BEFORE)
    return VideoState(
        create_time=_integer(raw, CURSOR_FIELD),
        resume_before_ms=before,
        resume_newest=_integer(raw, RESUME_NEWEST) if before is not None else None,
    )


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
