"""video/list paging over the posts' millisecond timestamps, newest first."""

from __future__ import annotations

import bisect
import random
import secrets
import threading

OPAQUE_FLOOR = 10**18  # far above any millisecond timestamp, so the two never mix up


class Pager:
    """Finds a page's posts from a cursor and hands out the cursor of the next page.

    A timestamp cursor is the exact creation time (ms) of the page's last post and the next page
    holds posts created strictly before it, so posts sharing a second are not lost across pages.
    """

    def __init__(self, times_ms: tuple[int, ...]):
        self._negated = [-t for t in times_ms]  # ascending, for bisect
        self._lock = threading.Lock()
        # opaque cursor handed out -> index of the next page's first post
        self._opaque: dict[int, int] = {}

    def page(
        self, cursor: int | None, max_count: int, opaque: bool, short: bool
    ) -> tuple[range, int, bool]:
        """(indices of the page's posts, next cursor, has_more)."""
        start = self._start(cursor)
        size = random.Random(f"{cursor}:{max_count}").randint(1, max_count) if short else max_count
        end = min(start + size, len(self._negated))
        has_more = end < len(self._negated)
        if opaque:
            next_cursor = OPAQUE_FLOOR + secrets.randbelow(OPAQUE_FLOOR)
            with self._lock:
                self._opaque[next_cursor] = end
        elif end > start:
            next_cursor = -self._negated[end - 1]
        else:
            next_cursor = cursor or 0
        return range(start, end), next_cursor, has_more

    def _start(self, cursor: int | None) -> int:
        if cursor is None:
            return 0
        with self._lock:
            if cursor in self._opaque:
                return self._opaque[cursor]
        return bisect.bisect_right(self._negated, -cursor)
