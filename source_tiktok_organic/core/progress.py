"""Progress of a long read, logged at a steady, low rate: list pages of every walk, records per
stream, and the waits."""

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

LOG_EVERY_SECONDS = 30.0
# While the rate budget waits (in steps of budget.STEP_SECONDS) each step may say so sooner.
WAIT_LOG_EVERY_SECONDS = 20.0


class Progress:
    """Counts pages, records per stream and every kind of wait, from the workers' threads."""

    def __init__(self, logger: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._clock = clock
        self._started = self._last_log = clock()
        self.pages = 0
        self.emitted: Counter[str] = Counter()
        self.rate_limit_waits = 0  # TikTok's own rate-limit answers
        self.budget_seconds = 0.0  # the client-side rate budget's waits
        self._lock = threading.RLock()

    def rate_limited(self) -> None:
        with self._lock:
            self.rate_limit_waits += 1

    def page(self) -> None:
        with self._lock:
            self.pages += 1
            self._now_and_then("Still listing videos")

    def took(self, stream: str, records: int) -> None:
        with self._lock:
            self.emitted[stream] += records
            self._now_and_then("Still listing videos")

    def waiting_for_budget(self, seconds: float) -> None:
        with self._lock:
            self.budget_seconds += seconds
            self._now_and_then(
                f"Waiting {seconds:.0f} s for the client-side rate budget (TikTok's per-endpoint "
                "window, 'requests_per_minute')",
                WAIT_LOG_EVERY_SECONDS,
            )

    def log(self, prefix: str) -> None:
        with self._lock:
            self._log(prefix)

    def _now_and_then(self, prefix: str, every: float = LOG_EVERY_SECONDS) -> None:
        if self._clock() - self._last_log >= every:
            self._log(prefix)

    def _log(self, prefix: str) -> None:
        self._last_log = self._clock()
        streams = ", ".join(f"{name} {count}" for name, count in sorted(self.emitted.items()))
        self._logger.info(
            "%s: %d list pages; records emitted: %s; %d rate-limit answers; %.0f s waited for "
            "the rate budget; %.0f s in.",
            prefix,
            self.pages,
            streams or "none yet",
            self.rate_limit_waits,
            self.budget_seconds,
            self._last_log - self._started,
        )
