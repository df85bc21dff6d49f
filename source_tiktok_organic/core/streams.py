"""What every stream shares, of either API: the sync's context, one-request streams, the guarded
state, snapshots, and the history of the profile's counters."""

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Api, Reader
from source_tiktok_organic.core.config import Settings
from source_tiktok_organic.core.counters import ProfileCounters
from source_tiktok_organic.core.cursor import (
    EVER,
    ISO_DATETIME,
    CursorGuard,
    CursorKind,
    StateCursors,
)
from source_tiktok_organic.core.errors import config_error
from source_tiktok_organic.core.fields import (
    STATS_FIELDS,
    STATS_SCOPE,
    UnservedFields,
    granted_fields,
)
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.state import SNAPSHOT_FIELD, parse_snapshot_state, snapshot_taken


@dataclass(frozen=True)
class SyncContext:
    """What all streams of one sync share: one token, one API client maker, one clock."""

    settings: Settings
    auth: TikTokAuthenticator
    api: Api  # the mode's API: where its requests go, and how they are judged and retried
    progress: Progress
    snapshot_at: str
    counters: ProfileCounters  # the sync's one reading of the profile's counters

    @cached_property
    def guard(self) -> CursorGuard:
        """What every cursor of this sync is held to: nothing past the sync's start."""
        return CursorGuard(datetime.fromisoformat(self.snapshot_at))

    @cached_property
    def unserved(self) -> UnservedFields:
        """The fields this sync learnt the deployment does not serve, for all its streams."""
        return UnservedFields()


class ApiStream(Stream, ABC):
    """A stream read in sequence through one client (a profile, business mode's comments); the
    API's client brings the error policy, backoff, rate budget and deadlines (client.py)."""

    schema_name: str | None = None  # the schema under schemas/, when not the stream's name

    def __init__(self, context: SyncContext) -> None:
        super().__init__()
        self.context = context
        self._auth = context.auth

    @cached_property
    def reader(self) -> Reader:
        """The stream's one client: its requests share a session, and so its connections."""
        return self.context.api.client(self.name, self.logger)

    def fetch(self, path: str, params: Mapping[str, Any]) -> requests.Response:
        return self.reader.send("GET", path, params)

    @cache  # noqa: B019  # as the CDK's own: the schema is read once per stream
    def get_json_schema(self) -> Mapping[str, Any]:
        return ResourceSchemaLoader("source_tiktok_organic").get_schema(
            self.schema_name or self.name
        )

    def granted(self, field_scopes: dict[str, str], what: str) -> list[str]:
        """The fields the grant allows, each scope held back named once (see granted_fields)."""
        return granted_fields(field_scopes, self._auth.granted_scopes(), what, self.logger)

    def require_scope(self, scope: str) -> None:
        require_scope(self._auth, scope, self.name)


def require_scope(auth: TikTokAuthenticator, scope: str, stream: str) -> None:
    if scope not in auth.granted_scopes():
        raise config_error(
            f"Stream '{stream}' needs the TikTok scope '{scope}', which this authorization does "
            "not grant. Add it to your TikTok app, re-authenticate the source, or deselect "
            f"'{stream}'."
        )


class GuardedState(Stream, ABC):
    """Every stream's state passes here, both ways, so none keeps or saves a cursor past now.

    A saved state with a cursor out of range is read as absent (cursor.py says why), a new one
    held back. Declare `state_cursors`, move them via `moves_cursor`; put this first in the bases.
    """

    state_cursors: StateCursors = MappingProxyType({})
    _restored: Mapping[str, Any] = MappingProxyType({})
    _held_back: str | None = None  # the last state held back, said once

    def __init__(self, context: SyncContext) -> None:
        super().__init__()
        self.context = context

    @property
    def state(self) -> MutableMapping[str, Any]:
        current = self.current_state()
        # only the future is refused here: a past cursor only makes a later sync read more
        wrong = self.context.guard.out_of_range(current, self.state_cursors, EVER)
        if wrong is None:
            return dict(current)
        if wrong != self._held_back:
            self._held_back = wrong
            self.logger.warning("Stream %s keeps its saved state: its new %s.", self.name, wrong)
        return dict(self._restored)

    @state.setter
    def state(self, value: Any) -> None:
        if isinstance(value, Mapping):
            value = self.context.guard.saved_state(
                self.name, value, self.state_cursors, self.logger
            )
            self._restored = value
        self.restore_state(value)

    @abstractmethod
    def current_state(self) -> Mapping[str, Any]:
        """The state as the stream would save it now."""

    @abstractmethod
    def restore_state(self, saved: Any) -> None:
        """Takes up a saved state the guard let through; refuses one it cannot read by name."""

    def moves_cursor(self, value: Any, kind: CursorKind, what: str) -> bool:
        """Whether a record's cursor `value` may move the state (one past now is only synced)."""
        return self.context.guard.moves_cursor(kind.read(value), what, self.logger)


class SnapshotStream(GuardedState, ABC):
    """Append-only history: every record of a sync carries the sync's one `snapshot_at`."""

    state_cursors = MappingProxyType({SNAPSHOT_FIELD: ISO_DATETIME})
    cursor_field = SNAPSHOT_FIELD
    _snapshot_state: Mapping[str, Any] = MappingProxyType({})
    _saved: datetime | None = None

    def current_state(self) -> Mapping[str, Any]:
        return self._snapshot_state

    def restore_state(self, saved: Any) -> None:
        self._saved = parse_snapshot_state(saved, self.name)
        self._snapshot_state = dict(saved or {})

    def taken(self) -> None:
        """Marks this sync's snapshot as delivered, once its records are out."""
        self._snapshot_state = snapshot_taken(
            self._saved, self.context.snapshot_at, self._snapshot_state
        )


class UserStats(SnapshotStream):
    """Follower, following, like and video counts once per sync, from the sync's one reading."""

    name = "user_stats"

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", SNAPSHOT_FIELD]

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        counters = self.context.counters.read()
        if counters is None:
            self.logger.warning(
                "Stream user_stats is unavailable: the scope '%s' is not granted. Add it to your "
                "TikTok app and re-authenticate to sync it; the other streams go on.",
                STATS_SCOPE,
            )
            return
        snapshot = {"open_id": counters["open_id"], SNAPSHOT_FIELD: self.context.snapshot_at}
        snapshot.update({field: counters[field] for field in STATS_FIELDS})
        yield snapshot
        self.taken()
