"""The Airbyte source: spec (from spec.json), check, and the list of streams."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import AirbyteConnectionStatus, Status, SyncMode
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_tiktok_organic.auth import TikTokAuthenticator
from source_tiktok_organic.config import parse_settings
from source_tiktok_organic.fields import BASIC_SCOPE, VIDEO_LIST_SCOPE
from source_tiktok_organic.streams import UserInfo, Videos, tiktok_api_budget

REQUIRED_SCOPES = (BASIC_SCOPE, VIDEO_LIST_SCOPE)


class SourceTiktokOrganic(AbstractSource):
    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        """Refreshes the token, checks the scopes and reads the profile once."""
        streams = self.streams(config)
        user_info = next(stream for stream in streams if isinstance(stream, UserInfo))
        granted = user_info.granted_scopes()
        missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
        if missing:
            return False, (
                f"The TikTok authorization lacks the scope(s) {', '.join(missing)} "
                f"(granted: {', '.join(sorted(granted)) or 'none'}). Add them to your TikTok app "
                "and re-authenticate the source."
            )
        next(iter(user_info.read_records(sync_mode=SyncMode.full_refresh)))
        return True, None

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Always answers with a status, never a crash, and never with a secret in it."""
        try:
            succeeded, reason = self.check_connection(logger, config)
        except AirbyteTracedException as error:
            succeeded, reason = False, error.message or error.internal_message
        except Exception as error:  # the status must carry any failure, not a traceback
            logger.exception("Check failed unexpectedly")
            succeeded, reason = False, f"Unexpected error: {type(error).__name__}: {error}"
        if succeeded:
            return AirbyteConnectionStatus(status=Status.SUCCEEDED)
        return AirbyteConnectionStatus(status=Status.FAILED, message=filter_secrets(str(reason)))

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        settings = parse_settings(config)
        authenticator = TikTokAuthenticator(_mutable(config), settings.api_base_url)
        budget = tiktok_api_budget(settings)
        return [
            UserInfo(settings, authenticator, budget),
            Videos(settings, authenticator, budget),
        ]


def _mutable(config: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """The authenticator writes the rotated token into the config it emits, so it needs a dict."""
    return config if isinstance(config, MutableMapping) else dict(config)
