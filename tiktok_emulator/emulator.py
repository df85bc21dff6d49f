"""TikTokEmulator: state, lifecycle and the knobs tests turn."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from tiktok_emulator.api import TikTokApi
from tiktok_emulator.catalog import Catalog
from tiktok_emulator.dataset import SCOPES, Dataset, generate_dataset
from tiktok_emulator.faults import Faults
from tiktok_emulator.ratelimit import SlidingWindowLimiter
from tiktok_emulator.server import LoopbackEmulator
from tiktok_emulator.tokens import TokenStore


class TikTokEmulator(LoopbackEmulator):
    """An offline TikTok Open API v2 (token + Display API) on 127.0.0.1."""

    CLIENT_KEY = "emulator-client-key"
    CLIENT_SECRET = "emulator-client-secret"

    def __init__(
        self,
        dataset: Dataset | None = None,
        rate_limit_per_minute: int | None = 600,
        rotation: str = "strict",
        access_token_ttl: float = 86400,
        refresh_token_ttl: float = 15552000,
        latency_ms: int = 0,
        retry_after_header: float | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 7,
    ):
        self.dataset = dataset if dataset is not None else generate_dataset()
        self.rate_limit_per_minute = rate_limit_per_minute
        self.latency_ms = latency_ms
        self.retry_after_header = retry_after_header
        self.client_key = self.CLIENT_KEY
        self.client_secret = self.CLIENT_SECRET
        self.faults = Faults()
        self.tokens = TokenStore(rotation, access_token_ttl, refresh_token_ttl)
        self.catalog = Catalog(self.dataset, seed)
        self.limiter = SlidingWindowLimiter()
        self.counts: Counter[str] = Counter()
        self.status_counts: Counter[tuple[str, int]] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self._in_flight: Counter[str] = Counter()
        self.refresh_token = self.tokens.issue_refresh_token(SCOPES)
        self._counts_lock = threading.Lock()
        self._api = TikTokApi(self, seed)
        super().__init__(self._api.handle, host, port, "tiktok-emulator")

    def connector_config(self, **overrides: Any) -> dict[str, Any]:
        """A source-tiktok-organic config that authenticates against this emulator."""
        config = {
            "client_id": self.CLIENT_KEY,
            "client_secret": self.CLIENT_SECRET,
            "refresh_token": self.refresh_token,
            "api_base_url": self.url,
        }
        config.update(overrides)
        return config

    def issue_refresh_token(self, scopes: Iterable[str] = SCOPES) -> str:
        return self.tokens.issue_refresh_token(scopes)

    def revoke_refresh_tokens(self) -> None:
        self.tokens.revoke_refresh_tokens()

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access_tokens()

    def add_videos(self, n: int, newer: bool = True) -> list[dict]:
        return self.catalog.add_videos(n, newer)

    def add_videos_at(self, times: Iterable[int]) -> list[dict]:
        return self.catalog.add_videos_at(times)

    def redate(self, video_id: str, create_time: int) -> None:
        self.catalog.redate(video_id, create_time)

    def delete_videos(self, ids: Iterable[str]) -> None:
        self.catalog.delete_videos(ids)

    def put_back(self, videos: Iterable[dict]) -> None:
        self.catalog.put_back(videos)

    def bump_counts(self, ids: Iterable[str] | None = None, factor: float = 1.5) -> list[dict]:
        return self.catalog.bump_counts(ids, factor)

    def reset_counts(self) -> None:
        with self._counts_lock:
            self.counts.clear()
            self.status_counts.clear()
            self.most_in_flight.clear()

    def stats(self) -> dict:
        with self._counts_lock:
            return {
                "counts": dict(self.counts),
                "status_counts": {f"{p} {s}": n for (p, s), n in self.status_counts.items()},
                "most_in_flight": dict(self.most_in_flight),
            }

    @contextmanager
    def in_flight(self, path: str) -> Iterator[None]:
        """Counts the requests to `path` being answered at once, to show a client's concurrency."""
        with self._counts_lock:
            self._in_flight[path] += 1
            self.most_in_flight[path] = max(self.most_in_flight[path], self._in_flight[path])
        try:
            yield
        finally:
            with self._counts_lock:
                self._in_flight[path] -= 1

    def count_request(self, path: str) -> None:
        with self._counts_lock:
            self.counts[path] += 1

    def count_status(self, path: str, status: int) -> None:
        with self._counts_lock:
            self.status_counts[path, status] += 1
