"""What an account mode is made of: its token flow, its requests, its streams.

Each API package builds one (creator/mode.py, business/mode.py); the source picks it once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.call_rate import APIBudget

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Api
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.counters import ProfileCounters
from source_tiktok_organic.core.list_streams import ListSource
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.streams import ApiStream, SyncContext
from source_tiktok_organic.core.waiting import WaitAllowance

ApiFactory = Callable[[Settings, Progress, WaitAllowance, APIBudget, TikTokAuthenticator], Api]


@dataclass(frozen=True)
class AccountMode:
    authenticator: type[TikTokAuthenticator]
    api: ApiFactory
    counters: type[ProfileCounters]
    user_info: type[ApiStream]
    video_list: Callable[[SyncContext], ListSource]
    own_streams: tuple[Callable[[SyncContext], Stream], ...] = ()  # streams only this mode has
