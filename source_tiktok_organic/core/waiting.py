"""How long one sync may wait before retrying TikTok, summed over all its streams and endpoints:
each is bounded alone, but a TikTok failing on and off would make every request wait its fill."""

import threading

MOST_WAITING_SECONDS = 20 * 60


class WaitAllowance:
    """The sync's one allowance: error handlers reserve a wait before a retry, backoffs spend it."""

    def __init__(self, seconds: float = MOST_WAITING_SECONDS) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self._reserved = 0.0  # waits admitted and not yet taken
        self._lock = threading.Lock()  # the list's windows wait from several threads at once

    def reserve(self, wait: float) -> bool:
        """Checks and holds in one step: two windows must not both fit in the same last minutes."""
        with self._lock:
            if self.spent + self._reserved + wait > self.seconds:
                return False
            self._reserved += wait
            return True

    def spend(self, wait: float, reserved: float = 0.0) -> None:
        """A wait taken, in place of the `reserved` seconds held for it."""
        with self._lock:
            self.spent += wait
            self._reserved = max(0.0, self._reserved - reserved)

    def refusal(self) -> str:
        return (
            f"The sync stops: it has waited {self.spent / 60:.0f} minutes in all before retrying "
            f"TikTok, and one more wait would take it past the {self.seconds / 60:g} minutes a "
            "sync waits at most. Run it again later."
        )
