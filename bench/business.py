"""6. Business mode: a whole-account read under the API for Business's 40 calls a minute.

The API for Business allows 40 calls a minute per account and endpoint and answers code 40100
(on HTTP 200) past it, after which TikTok asks for a five-minute wait. What a user waits for is
that window, so the run counts the 40100s (the target is none) and sets the wall time against
the two floors: the window's (one wait per full window of list calls) and one call at a time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from bench.harness import SEED
from bench.scenarios import Progress, Runs, Sizes, measure, read_argv, read_files
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset
from tiktok_emulator.business.api import PROFILE_PATH, VIDEO_LIST_PATH

WINDOW = 40  # calls per minute per account and endpoint
RATE_LIMITED = 40100
STREAMS = {"user_info": "full_refresh", "videos": "full_refresh"}


@dataclass
class BusinessRun:
    posts: int
    latency_ms: int
    runs: Runs
    throttled: int  # code-40100 answers the emulator gave

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
        runs.requests.append(dict(emulator.counts))
        runs.statuses.append({f"{p} {c}": n for (p, c), n in emulator.code_counts.items()})
        throttled = sum(n for (_, code), n in emulator.code_counts.items() if code == RATE_LIMITED)
    return BusinessRun(posts, latency_ms, runs, throttled)
