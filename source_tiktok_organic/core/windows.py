"""Where to cut the video list into create_time windows that workers walk at once: pure.

TikTok's list cursor means "created before this millisecond", so any second can start a walk of
its own, and adjacent windows hold each second exactly once. How the videos spread over time is
unknown before the walk, so the rule reads the pace of the newest page and cuts the span the
counted videos probably cover into equal windows, plus one open window for anything older.

A small account, one of unknown size and every incremental read is one window: exactly the
requests of a plain walk. A cut costs about one request per window (the page that crosses its
bottom edge) and one probe page, so windows hold at least `PAGES_PER_WINDOW` pages.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

PAGE_SIZE = 20  # TikTok's largest max_count for the video list, in both APIs
SEQUENTIAL_VIDEOS = 400  # up to 20 pages: cutting would cost more than it saves
PAGES_PER_WINDOW = 10
WINDOWS_PER_WORKER = 4  # so a worker that drew a dense window is not what everyone waits for


@dataclass(frozen=True)
class Window:
    """create_time seconds after `floor` and up to `ceiling`; None is open (no cut there).

    `start` and `end` are the seconds the window accounts for in the stream's state.
    """

    floor: int | None
    ceiling: int | None
    start: int
    end: int

    def holds(self, created: int) -> bool:
        return (self.floor is None or created > self.floor) and (
            self.ceiling is None or created <= self.ceiling
        )

    @property
    def first_cursor(self) -> int | None:
        """Where its walk starts: TikTok's newest (no cursor) for the open top window."""
        return None if self.ceiling is None else (self.ceiling + 1) * 1000


def one_window(floor: int | None, start: int, end: int) -> list[Window]:
    """The whole list above `floor`, walked as TikTok serves it."""
    return [Window(floor, None, start, end)]


def needs_cut(count: int | None, workers: int) -> bool:
    """Whether a whole-list read is worth cutting: several workers and a counted, large list."""
    return workers > 1 and count is not None and count > SEQUENTIAL_VIDEOS


def cut(
    floor: int | None, start: int, end: int, count: int, workers: int, newest: Sequence[int]
) -> list[Window]:
    """Windows, oldest first, for `count` videos whose newest page was posted at `newest`.

    The windows split the span the counted videos take at the newest page's pace; the top one is
    open above (videos posted during the sync, or dated past now) and the bottom one below.
    """
    times = [min(created, end) for created in newest]  # one dated past now says no pace
    pace = _seconds_per_video(times)
    if pace is None or max(times) < start:
        return one_window(floor, start, end)
    top = max(times)
    reach = max(start, top - math.ceil(count * pace))
    parts = max(1, min(WINDOWS_PER_WORKER * workers, count // (PAGE_SIZE * PAGES_PER_WINDOW)))
    edges = sorted({reach + (top + 1 - reach) * part // parts for part in range(parts + 1)})
    windows = []
    for bottom, above in itertools.pairwise(edges):
        windows.append(Window(bottom - 1, above - 1, bottom, above - 1))
    if reach > start:
        windows.insert(0, Window(floor, reach - 1, start, reach - 1))
    else:
        windows[0] = Window(floor, windows[0].ceiling, start, windows[0].end)
    windows[-1] = Window(windows[-1].floor, None, windows[-1].start, end)
    return windows


def _seconds_per_video(times: Sequence[int]) -> float | None:
    if len(times) < 2 or max(times) == min(times):
        return None
    return (max(times) - min(times)) / (len(times) - 1)
