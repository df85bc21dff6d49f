"""The sync's one reading of the profile's counters, for `user_stats` and progress estimates:
`user_info`'s answer when it holds them all, else one request (each API says which) of their own.
"""

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Api, Reader
from source_tiktok_organic.core.fields import STATS_FIELDS, STATS_SCOPE

COUNTER_FIELDS = ("open_id", *STATS_FIELDS)
READER = "user_stats"  # the stream its logs and errors are about


class ProfileCounters(ABC):
    def __init__(self, auth: TikTokAuthenticator, api: Api, logger: logging.Logger) -> None:
        self._auth = auth
        self._api = api
        self._logger = logger
        self._lock = threading.Lock()
        self._counters: dict[str, Any] | None = None

    def offer(self, user: Mapping[str, Any]) -> None:
        """A profile read for another purpose, kept if it holds every counter."""
        if all(name in user for name in COUNTER_FIELDS):
            with self._lock:
                self._counters = {name: user[name] for name in COUNTER_FIELDS}

    def read(self) -> dict[str, Any] | None:
        """open_id and the counters (None without `user.info.stats`), read at most once."""
        if STATS_SCOPE not in self._auth.granted_scopes():
            return None
        with self._lock:
            if self._counters is None:
                user = self.request(self._api.client(READER, self._logger))
                self._counters = {name: user.get(name) for name in COUNTER_FIELDS}
            return dict(self._counters)

    @abstractmethod
    def request(self, reader: Reader) -> dict[str, Any]:
        """The profile, with its counters in the common columns, from one request."""
