"""Airbyte source for a TikTok creator's organic data over the TikTok Open API v2."""

from source_tiktok_organic.source import SourceTiktokOrganic

__all__ = ["SourceTiktokOrganic"]
