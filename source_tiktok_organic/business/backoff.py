"""How long business mode waits: five minutes after TikTok's rate-limit code, as its docs ask."""

from __future__ import annotations

import requests

from source_tiktok_organic.backoff import TikTokBackoff
from source_tiktok_organic.business.errors import is_rate_limited

# "Rate limit" page of the API for Business docs: after code 40100 wait about 5 minutes.
RATE_LIMIT_WAIT_SECONDS = 300.0


class BusinessBackoff(TikTokBackoff):
    """A 40100 waits out TikTok's penalty, spread by ±10% so parallel syncs do not return at once."""

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        if isinstance(response_or_exception, requests.Response) and is_rate_limited(
            response_or_exception
        ):
            return RATE_LIMIT_WAIT_SECONDS * self._rng.uniform(0.9, 1.1)
        return super().backoff_time(response_or_exception, attempt_count)
