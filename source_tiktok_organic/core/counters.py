"""The sync's one reading of the profile's counters, for `user_stats` and progress estimates.

`user_info` offers its answer when it holds every counter; otherwise the first to ask makes one
GET /v2/user/info/ through the CDK's HTTP client, with the streams' retries, budget and deadlines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

import requests
from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.client import owned_client
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.errors import TikTokErrorHandler
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.transport import request_kwargs
from source_tiktok_organic.core.waiting import WaitAllowance
from source_tiktok_organic.creator.answers import profile_user, read_answer
from source_tiktok_organic.creator.fields import STATS_FIELDS, STATS_SCOPE

COUNTER_FIELDS = ("open_id", *STATS_FIELDS)
READER = "user_stats"  # the stream its logs and errors are about


class ProfileCounters:
    def __init__(
        self,
        settings: Settings,
        auth: TikTokAuthenticator,
        budget: APIBudget,
        progress: Progress,
        logger: logging.Logger,
        waiting: WaitAllowance | None = None,
    ) -> None:
        self._settings = settings
        self._auth = auth
        self._budget = budget
        self._progress = progress
        self._logger = logger
        self.waiting = waiting or WaitAllowance()
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
                user = self._request()
                self._counters = {name: user.get(name) for name in COUNTER_FIELDS}
            return dict(self._counters)

    def _request(self) -> dict[str, Any]:
        """The profile's counters from GET /v2/user/info/ (business mode: from business/get)."""
        response = self._send(
            TikTokErrorHandler,
            TikTokBackoff(waiting=self.waiting),
            self._settings.api_base_url + "/v2/user/info/",
            {"fields": ",".join(COUNTER_FIELDS)},
        )
        return read_answer(response, READER, profile_user)

    def _send(
        self,
        handler: type[TikTokErrorHandler],
        backoff: TikTokBackoff,
        url: str,
        params: Mapping[str, Any],
    ) -> requests.Response:
        """One GET through the CDK's HTTP client, with the streams' retries, budget and deadlines."""
        error_handler = handler(
            self._logger,
            api_base_url=self._settings.api_base_url,
            on_rate_limit=self._progress.rate_limited,
            request_timeout=self._settings.request_timeout,
            backoff=backoff,
        )
        client = owned_client(
            READER, self._logger, error_handler, backoff, self._budget, self._auth
        )
        _, response = client.send_request(
            http_method="GET",
            url=url,
            request_kwargs=request_kwargs(self._settings.request_timeout),
            params=dict(params),
        )
        return response
