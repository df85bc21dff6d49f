"""6. Business mode: a whole-account read under the API for Business's 40 calls a minute.

The API for Business allows 40 calls a minute per account and endpoint and answers code 40100
(on HTTP 200) past it, after which TikTok asks for a five-minute wait. What a user waits for is
that window, so the run counts the 40100s (the target is none) and sets the wall time against
the two floors: the window's (one wait per full window of list calls) and one call at a time.
Then the comments stream alone, at its default window of 7 days, on an account posting daily:
its requests (the video list's and the comment list's) and its wall time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import SEED
from bench.scenarios import Progress, Runs, Sizes, measure, read_argv, read_files
from source_tiktok_organic.business.comment_pages import COMMENTS_PER_PAGE
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset
from tiktok_emulator.business.api import COMMENT_LIST_PATH, PROFILE_PATH, VIDEO_LIST_PATH
from tiktok_emulator.business.comments import post_comments

WINDOW = 40  # calls per minute per account and endpoint
RATE_LIMITED = 40100
STREAMS = {"user_info": "full_refresh", "videos": "full_refresh"}
DAY = 86_400
COMMENTS_DAYS = 7  # the stream's default window
DAILY_POSTS = 30  # a month of daily posts: the window holds the newest seven


@dataclass
class CommentsRun:
    posts: int  # posts in the window
    comments: int  # their comments, as the emulator holds them
    pages: int  # the fewest comment requests: a page of 30 a post, one at least
    runs: Runs
    throttled: int

    @property
    def list_calls(self) -> int:
        return self.runs.requests_to(VIDEO_LIST_PATH)

    @property
    def comment_calls(self) -> int:
        return self.runs.requests_to(COMMENT_LIST_PATH)


@dataclass
class BusinessRun:
    posts: int
    latency_ms: int
    runs: Runs
    throttled: int  # code-40100 answers the emulator gave
    comments: CommentsRun

    @property
    def list_calls(self) -> int:
        return self.runs.requests_to(VIDEO_LIST_PATH)

    @property
    def profile_calls(self) -> int:
        return self.runs.requests_to(PROFILE_PATH)

    @property
    def window_floor_s(self) -> float:
        return (math.ceil(self.list_calls / WINDOW) - 1) * 60

    @property
    def latency_floor_s(self) -> float:
        return sum(self.runs.requests[-1].values()) * self.latency_ms / 1000


def business(sizes: Sizes, work: Path, progress: Progress) -> BusinessRun:
    """The installed command at its defaults against a 40/minute API for Business emulator."""
    posts, latency_ms = sizes.business_posts, sizes.business_latency_ms
    progress(f"business: {posts} posts, {latency_ms} ms latency, {WINDOW}/min window")
    dataset = generate_business_dataset(posts=posts, seed=SEED, now=int(time.time()))
    with BusinessEmulator(dataset=dataset, rate_limit_per_minute=WINDOW) as emulator:
        emulator.faults.slow_ms = latency_ms
        files = read_files(work, "business", emulator.connector_config(), STREAMS)
        runs = Runs("connector")
        measure(runs, read_argv("connector", *files), work)
        throttled = counted(runs, emulator)
    return BusinessRun(posts, latency_ms, runs, throttled, comments(latency_ms, work))


def comments(latency_ms: int, work: Path) -> CommentsRun:
    """The comments stream alone, its default 7 days, on an account that posts once a day."""
    dataset = generate_business_dataset(
        posts=DAILY_POSTS, seed=SEED, now=int(time.time()), post_every=DAY
    )
    with BusinessEmulator(dataset=dataset, rate_limit_per_minute=WINDOW) as emulator:
        emulator.faults.slow_ms = latency_ms
        config = emulator.connector_config(comments_days=COMMENTS_DAYS)
        files = read_files(work, "comments", config, {"comments": "full_refresh"})
        runs = Runs("connector")
        measure(runs, read_argv("connector", *files), work)
        throttled = counted(runs, emulator)
        ids = [dataset.post(index)["item_id"] for index in range(COMMENTS_DAYS)]
        held = [len(post_comments(dataset, post, emulator.knobs)) for post in ids]
    pages = sum(max(1, math.ceil(count / COMMENTS_PER_PAGE)) for count in held)
    return CommentsRun(COMMENTS_DAYS, sum(held), pages, runs, throttled)


def counted(runs: Runs, emulator: BusinessEmulator) -> int:
    """Files the emulator's counts with the run; the code-40100 answers it gave."""
    runs.requests.append(dict(emulator.counts))
    runs.statuses.append({f"{p} {c}": n for (p, c), n in emulator.code_counts.items()})
    return sum(n for (_, code), n in emulator.code_counts.items() if code == RATE_LIMITED)
