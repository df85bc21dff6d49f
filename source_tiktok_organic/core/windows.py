"""Where to cut the video list into create_time windows that workers walk at once, pure: TikTok's
cursor means "created before this millisecond", so any second can start a walk; a cut costs about
a request a window, so only a large, counted list is cut."""

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

PAGE_SIZE = 20  # TikTok's largest max_count for the video list, in both APIs
SEQUENTIAL_VIDEOS = 400  # up to 20 pages: cutting would cost more than it saves
PAGES_PER_WINDOW = 10  # a window costs about one request more than a plain walk
WINDOWS_PER_WORKER = 4  # so a worker that drew a dense window is not what everyone waits for


@dataclass(frozen=True)
class Window:
    """create_time seconds after `floor`, up to `ceiling` (None: open); `start`-`end` in state."""

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
    return [Window(floor, None, start, end)]


def needs_cut(count: int | None, workers: int) -> bool:
    return workers > 1 and count is not None and count > SEQUENTIAL_VIDEOS


def cut(
    floor: int | None, start: int, end: int, count: int, workers: int, newest: Sequence[int]
) -> list[Window]:
    """Windows, oldest first, over the span `count` videos take at the newest page's pace.

    The top window is open above (posts during the sync, or dated past now), the bottom below.
    """
    times = [min(created, end) for created in newest]  # one dated past now says no pace
    if len(set(times)) < 2 or max(times) < start:
        return one_window(floor, start, end)
    top = max(times)
    pace = (top - min(times)) / (len(times) - 1)
    reach = max(start, top - math.ceil(count * pace))
    parts = max(1, min(WINDOWS_PER_WORKER * workers, count // (PAGE_SIZE * PAGES_PER_WINDOW)))
    edges = {start} | {reach + (top + 1 - reach) * part // parts for part in range(parts + 1)}
    windows = [
        Window(bottom - 1, above - 1, bottom, above - 1)
        for bottom, above in itertools.pairwise(sorted(edges))
    ]
    windows[0] = replace(windows[0], floor=floor)
    windows[-1] = replace(windows[-1], ceiling=None, end=end)
    return windows
