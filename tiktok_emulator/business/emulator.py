"""BusinessEmulator: state, lifecycle and the knobs tests turn."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from tiktok_emulator.business.api import BusinessApi
from tiktok_emulator.business.dataset import BusinessDataset, generate_business_dataset
from tiktok_emulator.business.fields import SCOPES
from tiktok_emulator.business.knobs import Knobs
from tiktok_emulator.business.tokens import BusinessTokens
from tiktok_emulator.faults import Faults
from tiktok_emulator.ratelimit import SlidingWindowLimiter
from tiktok_emulator.server import LoopbackEmulator


class BusinessEmulator(LoopbackEmulator):
    """An offline TikTok API for Business (Accounts endpoints and their tokens) on 127.0.0.1."""

    APP_ID = "7000000000000000001"
    APP_SECRET = "emulator-business-secret"
    REDIRECT_URI = "https://emulator.example/callback/"

    def __init__(
        self,
        dataset: BusinessDataset | None = None,
        knobs: Knobs | None = None,
        rate_limit_per_minute: int | None = 40,
        clock: Callable[[], float] = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.dataset = (
            dataset if dataset is not None else generate_business_dataset(now=int(clock()))
        )
        self.knobs = knobs if knobs is not None else Knobs()
        self.faults = Faults()  # the Display emulator's switchable misbehaviour, this API's way
        self.rate_limit_per_minute = rate_limit_per_minute
        self.app_id = self.APP_ID
        self.app_secret = self.APP_SECRET
        self.redirect_uri = self.REDIRECT_URI
        self.tokens = BusinessTokens(self.knobs, clock)
        self.limiter = SlidingWindowLimiter()
        self.counts: Counter[str] = Counter()
        self.code_counts: Counter[tuple[str, int]] = Counter()
        self.refresh_token = self.tokens.issue_refresh_token(SCOPES)
        self.removed_posts: set[str] = set()  # item_ids video/list leaves out, as TikTok does
        self._counts_lock = threading.Lock()
        self._api = BusinessApi(self)
        super().__init__(self._api.handle, host, port, "tiktok-business-emulator")

    def connector_config(self, **overrides: Any) -> dict[str, Any]:
        """A source-tiktok-organic config in business mode that authenticates against this emulator."""
        config = {
            "account_mode": "business",
            "client_id": self.app_id,
            "client_secret": self.app_secret,
            "refresh_token": self.refresh_token,
            "business_api_base_url": self.url,
        }
        config.update(overrides)
        return config

    @property
    def business_id(self) -> str:
        return self.dataset.profile["open_id"]

    def issue_refresh_token(self, scopes: Iterable[str] = SCOPES, token: str | None = None) -> str:
        return self.tokens.issue_refresh_token(scopes, token)

    def issue_auth_code(self, scopes: Iterable[str] = SCOPES, code: str | None = None) -> str:
        return self.tokens.issue_auth_code(scopes, code)

    def expire_access_tokens(self) -> None:
        self.tokens.expire_access_tokens()

    def revoke_refresh_tokens(self) -> None:
        self.tokens.revoke_refresh_tokens()

    def count(self, path: str, code: int) -> None:
        """`code` is the body's code, or 404 for an unknown path."""
        with self._counts_lock:
            self.counts[path] += 1
            self.code_counts[path, code] += 1

    def reset_counts(self) -> None:
        with self._counts_lock:
            self.counts.clear()
            self.code_counts.clear()

    def stats(self) -> dict:
        with self._counts_lock:
            return {
                "counts": dict(self.counts),
                "code_counts": {f"{p} {c}": n for (p, c), n in self.code_counts.items()},
            }
