"""Business mode: the API for Business's token flow, requests and streams."""

from source_tiktok_organic.business.auth import BusinessAuthenticator
from source_tiktok_organic.business.comments import Comments
from source_tiktok_organic.business.errors import BusinessBackoff, BusinessErrorHandler
from source_tiktok_organic.business.streams import (
    AudienceSnapshots,
    BusinessCounters,
    DailyMetrics,
    UserInfo,
    business_list,
)
from source_tiktok_organic.core.mode import AccountMode, api_factory

business_api = api_factory("/open_api/v1.3/", BusinessErrorHandler, BusinessBackoff)
BUSINESS_MODE = AccountMode(
    BusinessAuthenticator,
    business_api,
    BusinessCounters,
    UserInfo,
    business_list,
    (DailyMetrics, AudienceSnapshots, Comments),
)
