"""One HTTP client per reader, owned, so the whole-answer deadline is mounted through public API.

The CDK's `HttpClient` takes a session: this one keeps the rate budget (LimiterSession) and the
watchdog on status line and headers (deadlines.py), beside the reader's error policy and backoff.
Each API says how its answers are judged and waited for (`Api`); every reader of the sync, of
either API, gets its client from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from airbyte_cdk.sources.streams.call_rate import APIBudget, LimiterSession
from airbyte_cdk.sources.streams.http import HttpClient
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from requests.auth import AuthBase

from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.deadlines import bound_answers
from source_tiktok_organic.core.transport import request_kwargs


@dataclass(frozen=True)
class Api:
    """What one API brings to every request: where it lives, its error policy and its waits."""

    base_url: str  # up to the API's version prefix, ending in "/"
    handler: Callable[[logging.Logger, TikTokBackoff], ErrorHandler]
    backoff: Callable[[], TikTokBackoff]
    timeout: float
    budget: APIBudget
    auth: AuthBase

    def client(self, name: str, logger: logging.Logger) -> Reader:
        backoff = self.backoff()
        session = LimiterSession(api_budget=self.budget)
        bound_answers(session)
        client = HttpClient(
            name=name,
            logger=logger,
            error_handler=self.handler(logger, backoff),
            session=session,
            authenticator=self.auth,
            backoff_strategy=backoff,
        )
        return Reader(client, self.base_url, self.timeout)


@dataclass(frozen=True)
class Reader:
    """A reader's client: sends one request to a path of its API, retried as the API says."""

    client: HttpClient
    base_url: str
    timeout: float

    def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any],
        json: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        _, response = self.client.send_request(
            http_method=method,
            url=self.base_url + path,
            request_kwargs=request_kwargs(self.timeout),
            params=dict(params),
            json=json,
        )
        return response
