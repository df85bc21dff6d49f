"""What each account mode is made of: its authenticator, its counters and its streams.

The streams keep their names in both modes, so a connection's tables stay the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from source_tiktok_organic.business.auth import BusinessAuthenticator
from source_tiktok_organic.business.counters import BusinessProfileCounters
from source_tiktok_organic.business.insights import AudienceSnapshots, DailyMetrics
from source_tiktok_organic.business.streams import BusinessStream, BusinessUserInfo, business_list
from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.config import BUSINESS, CREATOR
from source_tiktok_organic.core.counters import ProfileCounters
from source_tiktok_organic.core.list_streams import ListSource
from source_tiktok_organic.core.streams import SyncContext
from source_tiktok_organic.creator.profile import UserInfo
from source_tiktok_organic.creator.videos import creator_list


@dataclass(frozen=True)
class AccountMode:
    authenticator: type[TikTokAuthenticator]
    counters: type[ProfileCounters]
    user_info: type[UserInfo]
    video_list: Callable[[SyncContext], ListSource]
    own_streams: tuple[type[BusinessStream], ...] = ()  # streams only this mode has


MODES = {
    CREATOR: AccountMode(TikTokAuthenticator, ProfileCounters, UserInfo, creator_list),
    BUSINESS: AccountMode(
        BusinessAuthenticator,
        BusinessProfileCounters,
        BusinessUserInfo,
        business_list,
        (DailyMetrics, AudienceSnapshots),
    ),
}
