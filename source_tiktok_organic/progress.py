"""Progress of a long video listing, logged at a steady, low rate."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

LOG_EVERY_SECONDS = 30.0


class Progress:
    """Counts pages, videos and rate-limit waits; says so at most every 30 seconds.

    The listing's workers report from several threads at once.
    """

    def __init__(self, logger: logging.Logger, clock: Callable[[], float] = time.monotonic) -> None:
        self._logger = logger
        self._clock = clock
        self._started = clock()
        self._last_log = self._started
        self.pages = 0
        self.videos = 0
        self.rate_limit_waits = 0
        self._lock = threading.RLock()

    def rate_limited(self) -> None:
        with self._lock:
            self.rate_limit_waits += 1

    def page(self, videos: int) -> None:
        with self._lock:
            self.pages += 1
            self.videos += videos
            if self._clock() - self._last_log >= LOG_EVERY_SECONDS:
                self.log("Still listing videos")

    def log(self, prefix: str) -> None:
        with self._lock:
            self._log(prefix)

    def _log(self, prefix: str) -> None:
        self._last_log = self._clock()
        self._logger.info(
            "%s: %d pages, %d videos, %d rate-limit waits in %.0f s.",
            prefix,
            self.pages,
            self.videos,
            self.rate_limit_waits,
            self._last_log - self._started,
        )
