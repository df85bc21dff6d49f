"""How long to wait before retrying TikTok: its Retry-After if it sends one, else jittered doubling."""

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
Answer = requests.Response | requests.RequestException | None


class TikTokBackoff(BackoffStrategy):
    """Full-jitter doubling, so parallel syncs do not retry in lockstep; waits spend `waiting`."""

    def __init__(
        self, rng: random.Random | None = None, waiting: WaitAllowance | None = None
    ) -> None:
        self._rng = rng or random.Random()
        self.waiting = waiting or WaitAllowance()

    def backoff_time(self, response_or_exception: Answer, attempt_count: int) -> float | None:
        wait = self.wait(response_or_exception, attempt_count)
        self.waiting.spend(wait, reserved=self.longest_wait(response_or_exception))
        return wait

    def wait(self, response_or_exception: Answer, attempt_count: int) -> float:
        return told_wait(response_or_exception) or doubling_wait(attempt_count, self._rng)

    def longest_wait(self, answer: object) -> float:
        """The most `wait` asks for after this answer (or failure), whichever attempt it is."""
        return told_wait(answer) or CAP_SECONDS


def told_wait(answer: object) -> float | None:
    """Retry-After's wait (seconds or an HTTP date), capped, never 0; unreadable, it is ignored."""
    text = answer.headers.get("Retry-After", "") if isinstance(answer, requests.Response) else ""
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        seconds = (moment.replace(tzinfo=moment.tzinfo or UTC) - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.001), MAX_RETRY_AFTER_SECONDS) if seconds == seconds else None


def doubling_wait(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt`: half to all of a ceiling that doubles, up to a cap."""
    ceiling = min(CAP_SECONDS, BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(ceiling / 2, ceiling)


def reword_wait(record: logging.LogRecord) -> bool:
    """Keeps "rate limit" for 429s; any other wait, its reason logged a line before, is plain."""
    match = CDK_WAIT_LINE.match(str(record.msg))
    if match and match["status"] != "429":
        record.msg, record.args = f"Waiting {match['seconds']} seconds before retrying.", ()
    return True
