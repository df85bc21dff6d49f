"""How long one sync may wait before retrying TikTok, summed over all its streams and endpoints.

Each wait is bounded on its own (TikTok's five minutes after a rate limit, the CDK's retries per
request), but an account whose limit another connection keeps using up, or a TikTok failing on
and off, would have every request of every stream wait its fill. The error handler asks this
allowance before a retry waits, and fails the request once the next wait would take the sync past
it.
"""

from __future__ import annotations

import threading

MOST_WAITING_SECONDS = 20 * 60


class WaitAllowance:
    """The sync's one allowance of waiting: every stream's error handler and backoff share it."""

    def __init__(self, seconds: float = MOST_WAITING_SECONDS) -> None:
        self.seconds = seconds
        self._spent = 0.0
        self._reserved = 0.0  # waits admitted and not yet taken
        self._lock = threading.Lock()  # the list's windows wait from several threads at once

    @property
    def spent(self) -> float:
        with self._lock:
            return self._spent

    def reserve(self, wait: float) -> bool:
        """Holds a wait this long if it still fits in what the sync may wait in all.

        Checking and holding are one step: two windows admitted at once must not both fit in
        the same last minutes.
        """
        with self._lock:
            if self._spent + self._reserved + wait > self.seconds:
                return False
            self._reserved += wait
            return True

    def spend(self, wait: float, reserved: float = 0.0) -> None:
        """A wait taken, in place of the `reserved` seconds held for it."""
        with self._lock:
            self._spent += wait
            self._reserved = max(0.0, self._reserved - reserved)

    def refusal(self) -> str:
        """Why a request fails instead of waiting, for the sync's error."""
        return (
            f"The sync stops: it has waited {self.spent / 60:.0f} minutes in all before retrying "
            f"TikTok, and one more wait would take it past the {self.seconds / 60:g} minutes a "
            "sync waits at most. Run it again later."
        )
