"""One HTTP client per reader, owned, so the whole-answer deadline is mounted through public API.

The CDK's `HttpClient` takes a session: this one keeps the rate budget (LimiterSession) and the
watchdog on status line and headers (deadlines.py), beside the reader's error policy and backoff.
"""

from __future__ import annotations

import logging

from airbyte_cdk.sources.streams.call_rate import APIBudget, LimiterSession
from airbyte_cdk.sources.streams.http import HttpClient
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from requests.auth import AuthBase

from source_tiktok_organic.core.deadlines import bound_answers


def owned_client(
    name: str,
    logger: logging.Logger,
    handler: ErrorHandler,
    backoff: BackoffStrategy,
    budget: APIBudget,
    auth: AuthBase,
) -> HttpClient:
    session = LimiterSession(api_budget=budget)
    bound_answers(session)
    return HttpClient(
        name=name,
        logger=logger,
        error_handler=handler,
        session=session,
        authenticator=auth,
        backoff_strategy=backoff,
    )
