"""How long to wait before retrying TikTok: its Retry-After if it sends one, else jittered doubling."""

from __future__ import annotations

import logging
import random
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

from source_tiktok_organic.core.waiting import WaitAllowance

BASE_SECONDS = 1.0
CAP_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 300.0
# The CDK words every wait its backoff strategy asks for as a rate limit, even a refused
# connection's; this is its line, from airbyte_cdk/sources/streams/http/rate_limiting.py.
CDK_WAIT_LINE = re.compile(
    r"^UserDefinedBackoffException: Rate limit exceeded(?: \(HTTP (?P<status>\d+)\))?\. "
    r"Retrying in (?P<seconds>\S+) seconds\.$"
)


class TikTokBackoff(BackoffStrategy):
    """Full-jitter exponential backoff so parallel syncs do not retry in lockstep.

    Every wait it asks for comes out of the sync's `waiting` allowance.
    """

    def __init__(
        self, rng: random.Random | None = None, waiting: WaitAllowance | None = None
    ) -> None:
        self._rng = rng or random.Random()
        self.waiting = waiting or WaitAllowance()

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        wait = self.wait(response_or_exception, attempt_count)
        self.waiting.spend(wait, reserved=self.longest_wait(response_or_exception))
        return wait

    def wait(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float:
        told = told_wait(response_or_exception)
        return doubling_wait(attempt_count, self._rng) if told is None else told

    def longest_wait(self, answer: object) -> float:
        """The most `wait` asks for after this answer (or failure), whichever attempt it is."""
        told = told_wait(answer)
        return CAP_SECONDS if told is None else told


def told_wait(answer: object) -> float | None:
    """The wait an answer's Retry-After asks for, at most MAX_RETRY_AFTER_SECONDS."""
    if not isinstance(answer, requests.Response):
        return None
    retry_after = parse_retry_after(answer.headers.get("Retry-After"))
    return None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS)


def doubling_wait(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt`: half to all of a ceiling that doubles, up to a cap."""
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)


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


class WaitWording(logging.Filter):
    """Keeps "rate limit" for 429s: any other wait is logged as the plain wait it is.

    The reason for the retry has already been logged by the error handler, one line before.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        match = CDK_WAIT_LINE.match(str(record.msg))
        if match and match["status"] != "429":
            record.msg, record.args = f"Waiting {match['seconds']} seconds before retrying.", ()
        return True


def reword_cdk_waits(logger: logging.Logger) -> None:
    """Installs the filter once on the logger the CDK's retry loop writes to."""
    if not any(isinstance(existing, WaitWording) for existing in logger.filters):
        logger.addFilter(WaitWording())
