"""Videos gone from TikTok's list: the list never says a video went away, so `videos` keeps in its
state the roll of what the list held, and a walk that ends well marks as deleted each rolled
video it covered and did not see. Only what a walk covered is judged."""

import bisect
import logging
import threading
from array import array
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from source_tiktok_organic.core.roll import (
    Roll,
    as_number,
    decode,
    encode,
    merged,
    rolled,
    sorted_numbers,
)
from source_tiktok_organic.core.windows import PAGE_SIZE, Window

DELETED_AT = "_ab_cdc_deleted_at"  # what Airbyte's destinations delete a row by
ROLL_FIELD = "listed_videos"  # in `videos`' state: {"open_id": ..., "videos": <roll>}


class WalkLog:
    """One stream's walk this sync: the windows it finished and the videos it saw in them. The
    CDK's threads report to it; whichever completes a walk that ended well, the last window to
    close or the plan to finish, runs `ended_well`, once."""

    def __init__(self, whole: bool, ended_well: Callable[[], None] | None = None) -> None:
        self.whole = whole  # planned over the whole list (down to start_date, if set)
        self.covered: list[Window] = []
        self._ended_well = ended_well
        self._open = 0
        self._planned = False
        self._broken = False
        self._lock = threading.Lock()
        self._numbers = array("Q")  # 8 bytes a video with a TikTok-made id
        self._other: dict[str, int] = {}
        self._unsure: set[int] = set()  # seconds the list could not be walked through

    def opened(self) -> None:
        with self._lock:
            self._open += 1

    def saw(self, videos: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            for video in videos:
                video_id, created = str(video["id"]), video["create_time"]
                number = as_number(video_id, created)
                if number is None:
                    self._other[video_id] = created
                else:
                    self._numbers.append(number)

    def unsure(self, second: int) -> None:
        with self._lock:
            self._unsure.add(second)

    def closed(self, window: Window | None) -> None:
        """A window's walk ended: at its floor or the list's end, or (None) not."""
        with self._lock:
            self._open -= 1
            if window is None:
                self._broken = True
            else:
                self.covered.append(window)
            done = self.clean
        if done and self._ended_well:
            self._ended_well()

    def planned(self) -> None:
        """Every window is opened: the walk ends with the last to close, or has ended."""
        with self._lock:
            self._planned = True
            done = self.clean
        if done and self._ended_well:
            self._ended_well()

    @property
    def clean(self) -> bool:
        return self._planned and not self._open and not self._broken

    def seen(self) -> Roll:
        return merged([Roll(sorted_numbers(self._numbers), self._other)])

    def covers(self, created: int) -> bool:
        return created not in self._unsure and any(window.holds(created) for window in self.covered)


@dataclass
class Listing:
    """The walks of this sync's list streams, `video_stats`' read first so `videos` can use it."""

    logs: list[WalkLog] = field(default_factory=list)

    def log(self, whole: bool, ended_well: Callable[[], None] | None = None) -> WalkLog:
        log = WalkLog(whole, ended_well)
        self.logs.append(log)
        return log

    def clean(self) -> list[WalkLog]:
        return [log for log in self.logs if log.clean]

    def returning(self, previous: Roll, planned: list[Window], bottom: int) -> list[Window]:
        """Windows over the videos an earlier walk saw that the roll lacks (back after a
        deletion) outside the `planned` windows, so `videos` emits them live: returning videos
        less than a page of listed videos apart share one, so each costs a request at most."""
        seen = merged([log.seen() for log in self.clean()])
        listed = sorted(created for _, created in seen.items())
        back = sorted(
            {
                created
                for video_id, created in seen.items()
                if created >= bottom
                and video_id not in previous
                and not any(window.holds(created) for window in planned)
            },
            reverse=True,
        )
        groups: list[tuple[int, int]] = []  # (oldest, newest second), newest group first
        for second in back:
            if groups and _near(listed, second, groups[-1][0], planned):
                groups[-1] = (second, groups[-1][1])
            else:
                groups.append((second, second))
        return [Window(oldest - 1, newest, oldest, newest) for oldest, newest in groups]

    def gone(
        self, previous: Roll | None, roll: "SavedRoll", open_id: str | None, logger: logging.Logger
    ) -> list[tuple[str, int]]:
        """Once every walk of the sync ended well: what is gone, with the roll settled."""
        gone, kept = settle(previous, self.clean())
        roll.settled(open_id, kept)
        if gone:
            logger.info(
                "%d videos listed before are gone from TikTok's list: each is synced once as a "
                "deletion record.",
                len(gone),
            )
        return gone


def _near(listed: list[int], older: int, newer: int, planned: list[Window]) -> bool:
    """Whether one walk reaches `older` from `newer` within a page and crosses no planned window."""
    between = bisect.bisect_left(listed, newer) - bisect.bisect_right(listed, older)
    crosses = any(
        (window.ceiling is None or window.ceiling >= older)
        and (window.floor is None or window.floor < newer)
        for window in planned
    )
    return between < PAGE_SIZE and not crosses


def settle(previous: Roll | None, logs: list[WalkLog]) -> tuple[list[tuple[str, int]], Roll | None]:
    """What is gone (id, create_time) and the roll to keep, after walks that all ended well."""
    seen = merged([log.seen() for log in logs])
    if previous is None:  # a roll starts from a walk of the whole list
        return [], seen if any(log.whole for log in logs) else None
    gone: list[tuple[str, int]] = []
    kept: list[tuple[str, int]] = []
    for video_id, created in previous.items():
        if video_id not in seen:
            covered = any(log.covers(created) for log in logs)
            (gone if covered else kept).append((video_id, created))
    return gone, merged([rolled(kept), seen])


class SavedRoll:
    """`videos`' roll in its state: the saved one until this sync's walk settles a new one."""

    def __init__(self, saved: Any) -> None:
        self._value = saved if isinstance(saved, dict) else None

    def state(self) -> dict[str, Any]:
        return {} if self._value is None else {ROLL_FIELD: self._value}

    def read(self, open_id: str | None, logger: logging.Logger) -> Roll | None:
        """The saved roll of this account; None (with a warning) when it cannot be used."""
        if self._value is None:
            return None
        if self._value.get("open_id") != open_id:
            logger.warning(
                "The videos listed in the saved state of stream videos belong to another TikTok "
                "account: no video is marked deleted this sync, and the list is rolled anew."
            )
            return None
        try:
            return decode(str(self._value.get("videos")))
        except ValueError as error:
            logger.warning(
                "The videos listed in the saved state of stream videos cannot be read (%s): no "
                "video is marked deleted this sync, and the list is rolled anew.",
                error,
            )
            return None

    def settled(self, open_id: str | None, roll: Roll | None) -> None:
        if roll is not None:
            self._value = {"open_id": open_id, "videos": encode(roll)}
