"""The one guard every cursor passes: never past now (that would silence its stream for good),
never before 2014. A saved state with either is read as absent; a record dated past now is synced
without moving the cursor."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from source_tiktok_organic.core.numbers import whole_number

# No video is older than TikTok's merger with musical.ly (2014) or newer than now, give or take
# the clock skew between TikTok's clock and this machine's.
EARLIEST_VIDEO = 1_388_534_400  # 2014-01-01T00:00:00Z
CLOCK_SKEW_SECONDS = 3600
EARLIEST = datetime.fromtimestamp(EARLIEST_VIDEO, UTC)
EVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CursorKind:
    """How a state field writes a moment; `read` gives None for what it cannot read."""

    name: str
    read: Callable[[Any], datetime | None] = field(repr=False)


def _from_epoch(raw: Any, per_second: int) -> datetime | None:
    if isinstance(raw, str):
        raw = whole_number(raw, max_digits=40)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        return datetime.fromtimestamp(raw / per_second, UTC)
    except (ValueError, OverflowError, OSError):  # NaN, or beyond any calendar
        return datetime.max.replace(tzinfo=UTC) if raw > 0 else EVER


def _from_date(raw: Any) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(str(raw)), time(), UTC)
    except ValueError:
        return None


def _from_datetime(raw: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


EPOCH_SECONDS = CursorKind("epoch seconds", lambda raw: _from_epoch(raw, 1))
EPOCH_MILLISECONDS = CursorKind("epoch milliseconds", lambda raw: _from_epoch(raw, 1000))
ISO_DATE = CursorKind("ISO date", _from_date)
ISO_DATETIME = CursorKind("ISO date-time", _from_datetime)
StateCursors = Mapping[str, CursorKind]


@dataclass(frozen=True)
class CursorGuard:
    """Judges moments against one sync's start."""

    now: datetime

    @property
    def latest(self) -> datetime:
        return self.now + timedelta(seconds=CLOCK_SKEW_SECONDS)

    def out_of_range(
        self, state: Mapping[str, Any], cursors: StateCursors, earliest: datetime = EARLIEST
    ) -> str | None:
        """What in the state lies past now or before `earliest`, if anything."""
        for name, kind in cursors.items():
            moment = kind.read(state.get(name))  # None: absent, or for the stream to refuse
            if moment is not None and moment > self.latest:
                return f"{name} {state[name]!r} is after now ({self.now:%Y-%m-%d %H:%M} UTC)"
            if moment is not None and moment < earliest:
                return f"{name} {state[name]!r} is before any TikTok data (2014)"
        return None

    def saved_state(
        self, stream: str, state: Mapping[str, Any], cursors: StateCursors, logger: logging.Logger
    ) -> Mapping[str, Any]:
        """The saved state, or an empty one (with a warning) when a cursor of it is impossible."""
        wrong = self.out_of_range(state, cursors)
        if wrong is None:
            return state
        logger.warning(
            "The saved state of stream %s is ignored: its %s. This sync reads the stream as if it "
            "had no state, so nothing is skipped.",
            stream,
            wrong,
        )
        return {}

    def moves_cursor(self, moment: datetime | None, what: str, logger: logging.Logger) -> bool:
        """Whether a record may move its stream's cursor; one dated past now is only synced."""
        if moment is None or moment <= self.latest:
            return moment is not None
        logger.warning(
            "%s is dated %s, after now: it is synced, but the cursor does not move to it, so "
            "nothing posted before then is skipped next time.",
            what,
            moment.isoformat(timespec="seconds"),
        )
        return False
