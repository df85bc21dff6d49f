"""A token answer read field by field: no odd value in it may cost the rotated refresh token.

TikTok rotates the refresh token when it answers, so by the time the answer is read the old token
is dead. Every reader here returns None (or a fallback) for a value it cannot use; none raises.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airbyte_cdk.utils.datetime_helpers import ab_datetime_now

from source_tiktok_organic.core.numbers import whole_number

# An expires_in outside this range is unusable (0, negative, 1e20, "abc"): the token is taken to
# live DEFAULT_TOKEN_LIFE, TikTok's newest documented access-token life, and a token TikTok
# rejects sooner is refreshed on its 401 anyway.
TOKEN_LIFE_RANGE = (60, 366 * 86400)
DEFAULT_TOKEN_LIFE = timedelta(hours=2)
# A refresh token lives 180 days (Display API) or a year (API for Business): ten years is absurd.
REFRESH_LIFE_RANGE = (0, 10 * 366 * 86400)
# A refresh token with this little life left is named in a warning on every refresh.
REFRESH_WARNING = timedelta(days=14)
LOGGER = logging.getLogger("airbyte")


def usable_refresh_token(raw: Any) -> str | None:
    """The rotated refresh token, if the answer carries one that can be sent back to TikTok."""
    if isinstance(raw, str) and raw.strip() and raw.isprintable():
        return raw
    return None


def seconds_within(raw: Any, bounds: tuple[int, int]) -> int | None:
    """Whole seconds from a JSON number or digit string, or None outside `bounds` or unreadable."""
    seconds = whole_number(raw)
    low, high = bounds
    return seconds if seconds is not None and low <= seconds <= high else None


def parse_token_life(raw: Any) -> timedelta | None:
    """The access token's life from `expires_in`, or None when the value is unusable."""
    seconds = seconds_within(raw, TOKEN_LIFE_RANGE)
    return None if seconds is None else timedelta(seconds=seconds)


def token_life(raw: Any) -> timedelta:
    """The access token's life, falling back (with a warning) when `expires_in` is unusable."""
    life = parse_token_life(raw)
    if life is None:
        LOGGER.warning(
            "TikTok's token answer has an unusable expires_in (%.40r): the access token is "
            "taken to live %s, and is refreshed sooner if TikTok rejects it.",
            raw,
            DEFAULT_TOKEN_LIFE,
        )
        return DEFAULT_TOKEN_LIFE
    return life


def warn_if_refresh_token_ends_soon(raw: Any) -> None:
    """Says so while there is time to re-authorize: a dead refresh token stops every sync.

    The API for Business counts a refresh token's year from the first authorization, so
    refreshing does not extend it; the Display API's may also run out. An unreadable or absurd
    value is no warning: the refresh itself worked.
    """
    if raw is None:
        return
    seconds = seconds_within(raw, REFRESH_LIFE_RANGE)
    if seconds is None:
        LOGGER.warning(
            "TikTok's token answer has an unusable refresh token lifetime (%.40r): the connector "
            "cannot say when the refresh token runs out, and goes on.",
            raw,
        )
        return
    left = timedelta(seconds=seconds)
    if timedelta(0) < left <= REFRESH_WARNING:
        LOGGER.warning(
            "TikTok's refresh token expires in %s days (around %s). Re-authorize the account "
            "before then and paste the new refresh token, or every sync will fail.",
            left.days,
            (ab_datetime_now() + left).date().isoformat(),
        )


def parse_scopes(raw: Any) -> frozenset[str]:
    """TikTok sends `scope` comma-separated; spaces are tolerated too."""
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(part for part in raw.replace(" ", ",").split(",") if part)


def account_id(raw: Any) -> str | None:
    """The open_id (business_id) the answer is for: a non-empty string, or a whole number."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if isinstance(raw, str) and raw.strip() and raw.isprintable():
        return raw
    return None


def access_token_of(raw: Any) -> str | None:
    """The access token, if it is text that can go into a header."""
    if isinstance(raw, str) and raw.strip() and raw.isprintable():
        return raw
    return None
