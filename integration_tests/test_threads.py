"""What the streams share holds when several threads use it at once.

TikTok rotates the refresh token on every use, so two threads refreshing together would leave
one of them with a dead token; the profile counters are one request per sync however many ask.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any, TypeVar

from source_tiktok_organic.core.budget import tiktok_api_budget
from source_tiktok_organic.core.config import parse_settings
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.waiting import WaitAllowance
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from source_tiktok_organic.creator.streams import CreatorCounters, creator_api
from tiktok_emulator import TikTokEmulator

THREADS = 8
T = TypeVar("T")


def all_at_once(call: Callable[[], T]) -> list[T]:
    """`call` from THREADS threads released together."""
    start = Barrier(THREADS)

    def released() -> T:
        start.wait()
        return call()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda _: released(), range(THREADS)))


def test_given_threads_needing_a_token_at_once_then_one_refresh_serves_them_all(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    emulator.latency_ms = 200  # a slow token answer widens the race
    saved: list[dict[str, Any]] = []
    auth = CreatorAuthenticator(config, emulator.url, 5, save_config=saved.append)
    tokens = all_at_once(auth.get_access_token)
    assert len(set(tokens)) == 1
    assert emulator.counts["/v2/oauth/token/"] == 1
    assert len(saved) == 2  # the rotated token alone, then with its session


def test_given_threads_asking_for_the_counters_at_once_then_one_profile_call(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    settings = parse_settings(config)
    auth = CreatorAuthenticator(config, settings.api_base_url, settings.request_timeout)
    auth.get_access_token()
    emulator.latency_ms = 200
    logger = logging.getLogger("test")
    budget = tiktok_api_budget(settings, lambda _: None)
    api = creator_api(settings, Progress(logger), WaitAllowance(), budget, auth)
    counters = CreatorCounters(auth, api, logger)
    readings = all_at_once(counters.read)
    assert all(reading == readings[0] for reading in readings)
    assert readings[0] is not None
    assert readings[0]["video_count"] == emulator.dataset.profile["video_count"]
    assert emulator.counts["/v2/user/info/"] == 1
