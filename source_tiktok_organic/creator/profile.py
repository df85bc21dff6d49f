"""The creator's profile (`user_info`) and the history of its counters (`user_stats`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.core.streams import (
    SNAPSHOT_FIELD,
    SnapshotStream,
    SyncContext,
    TikTokStream,
)
from source_tiktok_organic.creator.answers import profile_user, read_answer
from source_tiktok_organic.creator.fields import (
    BASIC_SCOPE,
    STATS_FIELDS,
    STATS_SCOPE,
    USER_FIELD_SCOPES,
)


class UserInfo(TikTokStream):
    """The authorizing creator's profile: GET /v2/user/info/ (Display API "Get User Info")."""

    primary_key = "open_id"
    field_scopes = USER_FIELD_SCOPES

    @property
    def is_resumable(self) -> bool:
        """One request per sync leaves nothing to resume.

        As a resumable full refresh, the CDK's completion marker, passed back as state by
        PyAirbyte or by hand, would silence every later read.
        """
        return False

    def path(self, **_: Any) -> str:
        return "user/info/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(self._granted_fields())}

    def _granted_fields(self) -> list[str]:
        self.require_scope(BASIC_SCOPE)
        return self.granted(self.field_scopes, "user_info")

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        user = read_answer(response, self.name, profile_user)
        self._context.counters.offer(user)  # so user_stats and the estimates ask no more
        yield user


class UserStats(SnapshotStream, Stream):
    """Follower, following, like and video counts once per sync, from the sync's one reading."""

    def __init__(self, context: SyncContext) -> None:
        super().__init__()
        self._context = context

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", SNAPSHOT_FIELD]

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        counters = self._context.counters.read()
        if counters is None:
            self.logger.warning(
                "Stream user_stats is unavailable: the scope '%s' is not granted. Add it to your "
                "TikTok app and re-authenticate to sync it; the other streams go on.",
                STATS_SCOPE,
            )
            return
        snapshot = {"open_id": counters["open_id"], SNAPSHOT_FIELD: self._context.snapshot_at}
        snapshot.update({field: counters[field] for field in STATS_FIELDS})
        yield snapshot
        self.taken()
