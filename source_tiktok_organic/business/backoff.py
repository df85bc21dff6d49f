"""How long business mode waits: five minutes after TikTok's rate-limit code, as its docs ask."""

from __future__ import annotations

import requests

from source_tiktok_organic.business.errors import is_rate_limited
from source_tiktok_organic.core.backoff import TikTokBackoff

# "Rate limit" page of the API for Business docs: after code 40100 wait about 5 minutes.
RATE_LIMIT_WAIT_SECONDS = 300.0
RATE_LIMIT_JITTER = 0.1


class BusinessBackoff(TikTokBackoff):
    """A 40100 waits out TikTok's penalty, spread by ±10% so parallel syncs do not return at once."""

    def wait(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float:
        if is_rate_limited(response_or_exception):
            spread = self._rng.uniform(1 - RATE_LIMIT_JITTER, 1 + RATE_LIMIT_JITTER)
            return RATE_LIMIT_WAIT_SECONDS * spread
        return super().wait(response_or_exception, attempt_count)

    def longest_wait(self, answer: object) -> float:
        if is_rate_limited(answer):
            return RATE_LIMIT_WAIT_SECONDS * (1 + RATE_LIMIT_JITTER)
        return super().longest_wait(answer)
