"""How long to wait before retrying TikTok: its Retry-After if it sends one, else jittered doubling."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

BASE_SECONDS = 1.0
CAP_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 300.0


class TikTokBackoff(BackoffStrategy):
    """Full-jitter exponential backoff so parallel syncs do not retry in lockstep."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response):
            retry_after = parse_retry_after(response_or_exception.headers.get("Retry-After"))
            if retry_after is not None:
                return min(retry_after, MAX_RETRY_AFTER_SECONDS)
        ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(attempt_count - 1, 0))
        return self._rng.uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds or an HTTP date (RFC 9110); anything unreadable is ignored, never trusted."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.001) if seconds == seconds else None
