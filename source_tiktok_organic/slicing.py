"""Where to cut the video list so idle workers can walk part of it: pure, so the rule is testable.

TikTok's list cursor means "videos created before this millisecond", so any second can start a
walk of its own. How the creator's videos spread over time is unknown until pages come back, so
the list is not cut up front: a worker with nothing to do halves the running stretch that has the
most pages left, at the second half-way to its bottom. Empty years cost one request each to find
out; a busy month keeps being halved until every worker has a share.

A stretch estimated at fewer than `SEQUENTIAL_PAGES` pages is never cut, so a small account is
walked by one worker with exactly the requests of a plain walk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from source_tiktok_organic.cursor import EARLIEST_VIDEO

PAGE_SIZE = 20  # TikTok's maximum max_count for /v2/video/list/
# A cut costs about one request (the page that crosses into the other half): cutting only
# stretches of 20 pages or more keeps that under 10% while every worker still gets a share.
SEQUENTIAL_PAGES = 20
# Seconds per video never taken as less than this: many videos may share one second, but a
# stretch whose page sits in a single second must not look infinitely long.
DENSEST = 0.01


@dataclass(frozen=True)
class Stretch:
    """A running walk as the rule sees it, all times in epoch seconds.

    `newest` is the newest second its next page may hold and `bottom` the second it ends above
    (exclusive). `seconds_per_video` is the density seen so far.
    """

    newest: int
    bottom: int
    seconds_per_video: float

    @property
    def pages_left(self) -> float:
        return (self.newest - self.bottom) / max(self.seconds_per_video, DENSEST) / PAGE_SIZE


def pick_cut(stretches: Sequence[Stretch | None]) -> tuple[int, int] | None:
    """Which stretch to halve and the second to halve it at, or None when none is worth it.

    The first half keeps the videos after the cut second; the second half starts at the cut second
    and holds everything older. Stretches given as None are not running or have no density yet.
    """
    candidates = [
        (stretch.pages_left, index, stretch)
        for index, stretch in enumerate(stretches)
        if stretch is not None and stretch.pages_left >= SEQUENTIAL_PAGES
    ]
    if not candidates:
        return None
    _, index, stretch = max(candidates, key=lambda candidate: (candidate[0], -candidate[1]))
    cut = (stretch.newest + stretch.bottom) // 2
    if not stretch.bottom < cut < stretch.newest:
        return None
    return index, cut


def guess_bottom(
    newest: int, floor: int | None, unlisted: int | None, seconds_per_video: float
) -> int:
    """Where an open-ended walk probably ends: the floor, or as deep as the unlisted videos reach.

    Only a guess for choosing cuts: the last stretch never stops at it, so older videos than
    guessed are still read, just by fewer workers.
    """
    deepest = EARLIEST_VIDEO - 1 if floor is None else max(floor, EARLIEST_VIDEO - 1)
    if unlisted is None:
        return deepest
    return max(deepest, min(newest - 1, int(newest - unlisted * max(seconds_per_video, DENSEST))))


def density_moved(before: float | None, after: float | None) -> bool:
    """Whether a stretch's density changed enough (twofold, or newly known) to change the best cut."""
    if before is None or after is None:
        return before != after
    return not 0.5 <= max(after, DENSEST) / max(before, DENSEST) <= 2.0
