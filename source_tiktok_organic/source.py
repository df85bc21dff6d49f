"""The Airbyte source: spec (from spec.json), check, and the list of streams."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_tiktok_organic.backoff import reword_cdk_waits
from source_tiktok_organic.budget import tiktok_api_budget
from source_tiktok_organic.config import parse_settings, unknown_fields
from source_tiktok_organic.config_file import ConfigFile
from source_tiktok_organic.config_recovery import recover_config
from source_tiktok_organic.fields import BASIC_SCOPE, VIDEO_LIST_SCOPE
from source_tiktok_organic.inputs import check_catalog, read_input
from source_tiktok_organic.listing import VideoListing
from source_tiktok_organic.modes import MODES
from source_tiktok_organic.progress import Progress
from source_tiktok_organic.streams import UserInfo, UserStats
from source_tiktok_organic.streams.base import SyncContext
from source_tiktok_organic.waiting import WaitAllowance

REQUIRED_SCOPES = (BASIC_SCOPE, VIDEO_LIST_SCOPE)


class SourceTiktokOrganic(AbstractSource):
    # parse_settings checks the config against spec.json itself, naming the field at fault.
    check_config_against_spec = False

    def __init__(self) -> None:
        super().__init__()
        self._config_file: ConfigFile | None = None
        reword_cdk_waits(logging.getLogger("airbyte"))

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as it is: the CDK would copy it, secrets and all, into a temp folder that a
        killed run leaves behind, and nothing here reads that copy."""
        return config

    def read_config(self, config_path: str) -> MutableMapping[str, Any]:  # type: ignore[override]
        """Remembers where the config came from, to save the rotated refresh token there, after
        finishing the save a killed run may have left half done there."""
        logger = logging.getLogger("airbyte")
        self._config_file = ConfigFile(config_path, logger)
        live = recover_config(Path(config_path), logger)
        config = read_input("config", str(live), super().read_config)
        for warning in unknown_fields(config):  # once a command, however often streams are built
            logger.warning(warning)
        return config

    def read_catalog(self, catalog_path: str) -> ConfiguredAirbyteCatalog:  # type: ignore[override]
        return read_input("catalog", catalog_path, super().read_catalog)

    def read_state(self, state_path: str) -> list[AirbyteStateMessage]:  # type: ignore[override]
        return read_input("state", state_path, super().read_state)

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

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """Refuses a catalog that would sync nothing, reports the streams it lacks, then reads.

        The first config error ends the sync: the CDK would report it again for every stream
        (a dead refresh token fails them all), so it is raised once, as the sync's one error.
        """
        check_catalog(
            catalog, (stream.as_airbyte_stream() for stream in self.streams(config)), logger
        )
        for message in super().read(logger, config, catalog, state):
            failure = config_failure(message)
            if failure is not None:
                raise failure
            yield message

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        settings = parse_settings(config)
        mode = MODES[settings.account_mode]
        auth = mode.authenticator(
            _mutable(config),
            settings.api_base_url,
            settings.request_timeout,
            save_config=self._config_file.save if self._config_file else None,
        )
        progress = Progress(logging.getLogger("airbyte.streams.videos"))
        budget = tiktok_api_budget(settings, progress.waiting_for_budget)
        waiting = WaitAllowance()
        context = SyncContext(
            settings=settings,
            auth=auth,
            budget=budget,
            progress=progress,
            snapshot_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            listing=VideoListing(progress),
            counters=mode.counters(
                settings,
                auth,
                budget,
                progress,
                logging.getLogger("airbyte.streams.user_stats"),
                waiting,
            ),
            waiting=waiting,
        )
        return [
            mode.user_info(context),
            UserStats(context),
            mode.videos(context),
            mode.video_stats(context),
            *(stream(context) for stream in mode.own_streams),
        ]


def _mutable(config: Mapping[str, Any]) -> MutableMapping[str, Any]:
    """The authenticator writes the rotated token into the config it emits, so it needs a dict."""
    return config if isinstance(config, MutableMapping) else dict(config)


def config_failure(message: AirbyteMessage) -> AirbyteTracedException | None:
    """The config error a TRACE message reports, rebuilt so it can end the sync."""
    if message.type != Type.TRACE or message.trace is None or message.trace.type != TraceType.ERROR:
        return None
    error = message.trace.error
    if error is None or error.failure_type != FailureType.config_error:
        return None
    return AirbyteTracedException(
        message=error.message,
        internal_message=error.internal_message,
        failure_type=FailureType.config_error,
        stream_descriptor=error.stream_descriptor,
    )
