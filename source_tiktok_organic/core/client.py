"""One HTTP client per reader, on a session of its own, through the CDK's public `HttpClient`:
the session keeps the rate budget (LimiterSession) and the whole-answer deadline (deadlines.py)."""

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


@dataclass(frozen=True)
class Reader:
    """A reader's client: sends one request to a path of its API, retried as the API says."""

    client: HttpClient
    base_url: str

    def send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any],
        json: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        # Never follow a redirect: the data (and, for some clients, the token) would go elsewhere.
        _, response = self.client.send_request(
            method, self.base_url + path, {"allow_redirects": False}, params=dict(params), json=json
        )
        return response


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
        client = HttpClient(
            name=name,
            logger=logger,
            error_handler=self.handler(logger, backoff),
            session=bound_answers(LimiterSession(api_budget=self.budget)),
            authenticator=self.auth,
            backoff_strategy=backoff,
            request_timeout=self.timeout,
        )
        return Reader(client, self.base_url)
