"""Business mode: the API for Business's token flow, requests and streams."""

from __future__ import annotations

from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_organic.business.auth import BusinessAuthenticator
from source_tiktok_organic.business.backoff import BusinessBackoff
from source_tiktok_organic.business.errors import BusinessErrorHandler
from source_tiktok_organic.business.streams import (
    AudienceSnapshots,
    BusinessCounters,
    DailyMetrics,
    UserInfo,
    business_list,
)
from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Api
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.mode import AccountMode
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.waiting import WaitAllowance


def business_api(
    settings: Settings,
    progress: Progress,
    waiting: WaitAllowance,
    budget: APIBudget,
    auth: TikTokAuthenticator,
) -> Api:
    return Api(
        base_url=settings.api_base_url + "/open_api/v1.3/",
        handler=lambda logger, backoff: BusinessErrorHandler(
            logger,
            api_base_url=settings.api_base_url,
            on_rate_limit=progress.rate_limited,
            request_timeout=settings.request_timeout,
            backoff=backoff,
        ),
        backoff=lambda: BusinessBackoff(waiting=waiting),
        timeout=settings.request_timeout,
        budget=budget,
        auth=auth,
    )


BUSINESS_MODE = AccountMode(
    BusinessAuthenticator,
    business_api,
    BusinessCounters,
    UserInfo,
    business_list,
    (DailyMetrics, AudienceSnapshots),
)
