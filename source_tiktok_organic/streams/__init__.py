"""The streams: a base that knows TikTok's envelope, errors and limits, and thin streams on it."""

from source_tiktok_organic.streams.base import TikTokStream
from source_tiktok_organic.streams.profile import UserInfo, UserStats

__all__ = ["TikTokStream", "UserInfo", "UserStats"]
