"""The Airbyte source: spec (from spec.json), check, and the list of streams."""

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import UTC, datetime
from queue import Queue
from typing import Any

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    FailureType,
    Status,
    SyncMode,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_tiktok_organic.business.mode import BUSINESS_MODE
from source_tiktok_organic.core.backoff import reword_wait
from source_tiktok_organic.core.budget import tiktok_api_budget
from source_tiktok_organic.core.config import BUSINESS, CREATOR, parse_settings, unknown_fields
from source_tiktok_organic.core.config_file import ConfigFile
from source_tiktok_organic.core.deletions import Listing
from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.core.fields import BASIC_SCOPE, VIDEO_LIST_SCOPE
from source_tiktok_organic.core.inputs import check_catalog, read_input
from source_tiktok_organic.core.list_streams import (
    LIST_STREAMS,
    VIDEOS,
    InOrderMessages,
    ListStreams,
)
from source_tiktok_organic.core.mode import AccountMode
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.streams import SyncContext, UserStats
from source_tiktok_organic.core.waiting import WaitAllowance
from source_tiktok_organic.creator.streams import CREATOR_MODE

REQUIRED_SCOPES = (BASIC_SCOPE, VIDEO_LIST_SCOPE)
MODES = {CREATOR: CREATOR_MODE, BUSINESS: BUSINESS_MODE}  # the one place a mode is chosen


class SourceTiktokOrganic(AbstractSource):
    # parse_settings checks the config against spec.json itself, naming the field at fault.
    check_config_against_spec = False

    def __init__(self) -> None:
        super().__init__()
        self._config_file: ConfigFile | None = None
        self._this_read: tuple[SyncContext, AccountMode] | None = None
        logging.getLogger("airbyte").addFilter(reword_wait)  # the CDK's retry loop logs there

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as it is: the CDK would copy it, secrets and all, into a temp folder that a
        killed run leaves behind, and nothing here reads that copy."""
        return config

    def read_config(self, config_path: str) -> MutableMapping[str, Any]:  # type: ignore[override]
        """Remembers where the config came from, to save the rotated refresh token there, after
        finishing the save a killed run may have left half done there."""
        logger = logging.getLogger("airbyte")
        self._config_file = ConfigFile(config_path, logger)
        live = self._config_file.recover()
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
        context, mode = self._sync(config)
        granted = context.auth.granted_scopes()
        if missing := [scope for scope in REQUIRED_SCOPES if scope not in granted]:
            return False, (
                f"The TikTok authorization lacks the scope(s) {', '.join(missing)} "
                f"(granted: {', '.join(sorted(granted)) or 'none'}). Add them to your TikTok app "
                "and re-authenticate the source."
            )
        next(iter(mode.user_info(context).read_records(sync_mode=SyncMode.full_refresh)))
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
        """The streams one after another, then each list stream's windows at once; a failed
        stream is reported once the others are read, but a config error (a dead token) ends it."""
        self._this_read = None
        check_catalog(catalog, self.discover(logger, config).streams, logger)
        self._this_read = self._sync(config)  # one context for every stream this read builds
        # `videos` last: a whole walk of video_stats' tells it what is gone from the list
        listed = sorted(
            (stream for stream in catalog.streams if stream.stream.name in LIST_STREAMS),
            key=lambda stream: stream.stream.name == VIDEOS,
        )
        rest = [stream for stream in catalog.streams if stream.stream.name not in LIST_STREAMS]
        listing = Listing() if any(stream.stream.name == VIDEOS for stream in listed) else None
        parts: list[Iterator[AirbyteMessage]] = []
        if rest:
            others = super().read(logger, config, ConfiguredAirbyteCatalog(streams=rest), state)
            parts.append(map(sanitized, others))
        # One list stream at a time: each walk holds its own parsed answers, and two at once
        # doubled the memory a business page of long insight curves takes.
        parts.extend(self._read_list(logger, config, stream, state, listing) for stream in listed)
        failures: list[AirbyteTracedException] = []
        try:
            for messages in parts:
                try:
                    yield from messages
                except StreamConfigError:
                    raise
                except AirbyteTracedException as error:
                    failures.append(error)
        finally:
            if listed:
                self._sync(config)[0].progress.log("Listing done")
            self._this_read = None
        if len(failures) == 1:
            raise failures[0]
        if failures:
            said = " ".join(str(error.message) for error in failures)
            raise traced_error(said, failures[-1].failure_type)

    def _read_list(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        listed: ConfiguredAirbyteStream,
        state: list[AirbyteStateMessage] | None,
        listing: Listing | None,
    ) -> Iterator[AirbyteMessage]:
        """A list stream on the CDK's concurrent framework, its windows on its thread pool."""
        context, mode = self._sync(config)
        # 1,000 records wait at most (50 pages): a full queue of 10,000 added 40 MiB to a read
        queue: Queue[QueueItem] = Queue(maxsize=1_000)
        messages = InOrderMessages(queue)
        states = ConnectorStateManager(state)
        builder = ListStreams(context, mode.video_list(context), messages, states, listing=listing)
        stream = builder.build(listed.stream.name, listed.sync_mode)
        # one more thread than workers: it plans a stream's windows while the workers walk them
        concurrent = ConcurrentSource.create(
            context.settings.num_workers + 1, 1, logger, DebugSliceLogger(), messages, queue
        )
        try:
            yield from map(sanitized, concurrent.read([stream]))
        finally:  # a sync that ends early, or on a config error, starts no further page
            builder.stopped.set()

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """Every stream of the mode, in the order the docs list them."""
        context, mode = self._sync(config)
        list_streams = ListStreams(context, mode.video_list(context))
        profile, stats, *own = (stream.as_airbyte_stream() for stream in self.streams(config))
        listed = (list_streams.build(name).as_airbyte_stream() for name in LIST_STREAMS)
        return AirbyteCatalog(streams=[profile, stats, *listed, *own])

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """The streams read one after the other: the profile, its history and the insights."""
        context, mode = self._sync(config)
        own = (stream(context) for stream in mode.own_streams)
        return [mode.user_info(context), UserStats(context), *own]

    def _sync(self, config: Mapping[str, Any]) -> tuple[SyncContext, AccountMode]:
        """What the streams of one command share; a read builds it once, so its streams share
        one token, one rate budget and one reading of the profile's counters."""
        if self._this_read is not None:  # the CDK passes the read a copy of its config
            return self._this_read
        settings = parse_settings(config)
        mode = MODES[settings.account_mode]
        auth = mode.authenticator(
            # it writes the rotated token into the config it emits, so it needs a dict
            config if isinstance(config, MutableMapping) else dict(config),
            settings.api_base_url,
            settings.request_timeout,
            save_config=self._config_file.save if self._config_file else None,
        )
        progress = Progress(logging.getLogger("airbyte.streams.videos"))
        budget = tiktok_api_budget(settings, progress.waiting_for_budget)
        api = mode.api(settings, progress, WaitAllowance(), budget, auth)
        snapshot_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        counters = mode.counters(auth, api, logging.getLogger("airbyte.streams.user_stats"))
        return SyncContext(settings, auth, api, progress, snapshot_at, counters), mode


class StreamConfigError(AirbyteTracedException):
    """A config error a stream reported, raised again to end the sync."""


def sanitized(message: AirbyteMessage) -> AirbyteMessage:
    """The message without a secret in an error's words (the concurrent framework reports them
    as raised); a config error it reports ends the sync."""
    error = message.trace.error if message.type == Type.TRACE and message.trace else None
    if error is None:
        return message
    for field in ("message", "internal_message", "stack_trace"):
        if (said := getattr(error, field)) is not None:
            setattr(error, field, filter_secrets(said))
    if error.failure_type == FailureType.config_error:  # only an ERROR trace carries an error
        raise StreamConfigError(
            message=error.message,
            internal_message=error.internal_message,
            failure_type=FailureType.config_error,
            stream_descriptor=error.stream_descriptor,
        )
    return message
