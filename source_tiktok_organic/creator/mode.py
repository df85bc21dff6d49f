"""Creator mode: the Display API's token flow, requests and streams."""

from __future__ import annotations

import logging

from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.client import Api
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.mode import AccountMode
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.waiting import WaitAllowance
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from source_tiktok_organic.creator.errors import CreatorErrorHandler
from source_tiktok_organic.creator.profile import CreatorCounters, UserInfo
from source_tiktok_organic.creator.videos import creator_list


def creator_api(
    settings: Settings,
    progress: Progress,
    waiting: WaitAllowance,
    budget: APIBudget,
    auth: TikTokAuthenticator,
) -> Api:
    def handler(logger: logging.Logger, backoff: TikTokBackoff) -> CreatorErrorHandler:
        return CreatorErrorHandler(
            logger,
            api_base_url=settings.api_base_url,
            on_rate_limit=progress.rate_limited,
            request_timeout=settings.request_timeout,
            backoff=backoff,
        )

    return Api(
        base_url=settings.api_base_url + "/v2/",
        handler=handler,
        backoff=lambda: TikTokBackoff(waiting=waiting),
        timeout=settings.request_timeout,
        budget=budget,
        auth=auth,
    )


CREATOR_MODE = AccountMode(
    CreatorAuthenticator, creator_api, CreatorCounters, UserInfo, creator_list
)
