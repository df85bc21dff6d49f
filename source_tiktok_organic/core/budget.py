"""TikTok's per-endpoint rate window, kept on our side and said aloud: the CDK's budget would sleep
in silence for most of a minute, this one in steps each said in the log."""

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from airbyte_cdk.sources.streams.call_rate import (
    APIBudget,
    CallRateLimitHit,
    HttpRequestRegexMatcher,
    MovingWindowCallRatePolicy,
    Rate,
)

from source_tiktok_organic.core.config import BUSINESS, CREATOR, Settings

RATE_LIMITED_ENDPOINTS = {
    CREATOR: ("/v2/user/info/", "/v2/video/list/"),
    BUSINESS: (
        "/open_api/v1.3/business/get/",
        "/open_api/v1.3/business/video/list/",
        "/open_api/v1.3/business/comment/list/",
    ),
}
# One second longer than TikTok's minute, so our count can never run ahead of theirs when a
# request's time in flight straddles the edge of the window.
RATE_WINDOW = timedelta(seconds=61)
# The longest single sleep: shorter than the progress interval, so a wait is said while it lasts.
STEP_SECONDS = 20.0
OnWait = Callable[[float], None]


class SaidBudget(APIBudget):
    """An APIBudget whose waits go through `on_wait` (seconds), one step at a time."""

    def __init__(self, policies: list[Any], on_wait: OnWait, sleep: OnWait | None = None) -> None:
        super().__init__(policies=policies)
        self._on_wait = on_wait
        self._sleep = sleep

    def acquire_call(self, request: Any, block: bool = True, timeout: float | None = None) -> None:
        while True:
            try:
                return super().acquire_call(request, block=False)
            except CallRateLimitHit as hit:
                if not block:
                    raise
                step = min(max(hit.time_to_wait.total_seconds(), 0.0), STEP_SECONDS)
                self._on_wait(step)
                (self._sleep or time.sleep)(step)  # looked up late: tests stand in for it


def tiktok_api_budget(settings: Settings, on_wait: OnWait) -> APIBudget:
    """Stay under TikTok's per-endpoint window instead of provoking 429s (0 turns it off)."""
    if not settings.requests_per_minute:
        return APIBudget(policies=[])
    parts = urlsplit(settings.api_base_url)
    return SaidBudget(
        [
            MovingWindowCallRatePolicy(
                rates=[Rate(limit=settings.requests_per_minute, interval=RATE_WINDOW)],
                matchers=[
                    HttpRequestRegexMatcher(
                        url_base=f"{parts.scheme}://{parts.netloc}",
                        # the CDK strips the request path's trailing slash before matching
                        url_path_pattern=f"^{re.escape(parts.path + endpoint.rstrip('/'))}$",
                    )
                ],
            )
            for endpoint in RATE_LIMITED_ENDPOINTS[settings.account_mode]
        ],
        on_wait,
    )
