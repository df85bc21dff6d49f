"""Saved states as the streams read them: `videos`' cursor and the history streams' snapshot."""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from source_tiktok_organic.core.cursor import ISO_DATETIME
from source_tiktok_organic.core.errors import config_error
from source_tiktok_organic.core.numbers import whole_number

CURSOR_FIELD = "create_time"
SNAPSHOT_FIELD = "snapshot_at"


def saved_create_time(raw: Mapping[str, Any] | None) -> int | None:
    """The `videos` cursor; the previous version's resume fields are dropped: that walk is reread."""
    value = _saved(raw, "videos", CURSOR_FIELD)
    number = whole_number(value)
    if value is not None and (number is None or number < 0):
        raise invalid_state(
            "videos",
            f"'{CURSOR_FIELD}' must be a non-negative integer (epoch seconds), got {value!r}",
        )
    return number


def parse_snapshot_state(raw: Mapping[str, Any] | None, stream: str) -> datetime | None:
    """The `snapshot_at` a history stream last recorded; naive times are read as UTC."""
    value = _saved(raw, stream, SNAPSHOT_FIELD)
    moment = ISO_DATETIME.read(value)
    if value is not None and moment is None:
        raise invalid_state(
            stream, f"'{SNAPSHOT_FIELD}' must be an ISO 8601 date-time, got {value!r}"
        )
    return moment


def snapshot_taken(
    saved: datetime | None, snapshot_at: str, state: Mapping[str, Any]
) -> dict[str, Any]:
    """The state once this sync's snapshot is whole: its `snapshot_at`, never moving backwards."""
    if saved is None or saved < datetime.fromisoformat(snapshot_at):
        return {SNAPSHOT_FIELD: snapshot_at}
    return dict(state)


def _saved(raw: Mapping[str, Any] | None, stream: str, field: str) -> Any:
    if raw and not isinstance(raw, Mapping):
        raise invalid_state(stream, f"expected an object, got {type(raw).__name__}")
    return raw.get(field) if raw else None


def invalid_state(stream: str, reason: str) -> Exception:
    return config_error(
        f"The saved state of stream '{stream}' is invalid: {reason}. Fix the state in the "
        "connection's settings or reset the stream."
    )
