"""What an account mode is made of: each API package builds one, the source picks it once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.client import Api
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.counters import ProfileCounters
from source_tiktok_organic.core.errors import AnswerHandler
from source_tiktok_organic.core.list_streams import ListSource
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.streams import ApiStream, SyncContext
from source_tiktok_organic.core.waiting import WaitAllowance

ApiFactory = Callable[[Settings, Progress, WaitAllowance, APIBudget, TikTokAuthenticator], Api]


def api_factory(
    version_path: str, handler: type[AnswerHandler], backoff: type[TikTokBackoff]
) -> ApiFactory:
    """An API's requests: under `version_path`, judged by `handler`, waited out by `backoff`."""

    def api(
        settings: Settings,
        progress: Progress,
        waiting: WaitAllowance,
        budget: APIBudget,
        auth: TikTokAuthenticator,
    ) -> Api:
        return Api(
            base_url=settings.api_base_url + version_path,
            handler=lambda logger, retries: handler(
                logger,
                api_base_url=settings.api_base_url,
                on_rate_limit=progress.rate_limited,
                request_timeout=settings.request_timeout,
                backoff=retries,
            ),
            backoff=lambda: backoff(waiting=waiting),
            timeout=settings.request_timeout,
            budget=budget,
            auth=auth,
        )

    return api


@dataclass(frozen=True)
class AccountMode:
    authenticator: type[TikTokAuthenticator]
    api: ApiFactory
    counters: type[ProfileCounters]
    user_info: type[ApiStream]
    video_list: Callable[[SyncContext], ListSource]
    own_streams: tuple[Callable[[SyncContext], Stream], ...] = ()  # streams only this mode has
