"""Creator mode: the Display API's token flow, requests and streams."""

from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.mode import AccountMode, api_factory
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from source_tiktok_organic.creator.errors import CreatorErrorHandler
from source_tiktok_organic.creator.profile import CreatorCounters, UserInfo
from source_tiktok_organic.creator.videos import creator_list

creator_api = api_factory("/v2/", CreatorErrorHandler, TikTokBackoff)
CREATOR_MODE = AccountMode(
    CreatorAuthenticator, creator_api, CreatorCounters, UserInfo, creator_list
)
