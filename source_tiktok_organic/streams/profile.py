"""The creator's profile (`user_info`) and the history of its counters (`user_stats`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from functools import cached_property
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.errors import traced_error
from source_tiktok_organic.fields import BASIC_SCOPE, STATS_FIELDS, STATS_SCOPE, granted_user_fields
from source_tiktok_organic.records import conform
from source_tiktok_organic.streams.base import SNAPSHOT_FIELD, SnapshotStream, TikTokStream


def profile_user(data: Mapping[str, Any]) -> dict[str, Any]:
    user = data.get("user")
    if (
        not isinstance(user, dict)
        or not isinstance(user.get("open_id"), str)
        or not user["open_id"]
    ):
        raise traced_error("TikTok's profile answer had no user object with an open_id.")
    return conform(user, "user_info")


class UserInfo(TikTokStream):
    """The authorizing creator's profile: GET /v2/user/info/ (Display API "Get User Info")."""

    primary_key = "open_id"

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
        fields, withheld = granted_user_fields(self.granted_scopes())
        for scope, names in withheld.items():
            self.logger.warning(
                "Scope '%s' is not granted, so user_info leaves out: %s.", scope, ", ".join(names)
            )
        return fields

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        user = self.read_answer(response, profile_user)
        self._context.profile.update(user)
        yield user


class UserStats(SnapshotStream):
    """Follower, following, like and video counts once per sync: GET /v2/user/info/."""

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", SNAPSHOT_FIELD]

    def path(self, **_: Any) -> str:
        return "user/info/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(("open_id", *STATS_FIELDS))}

    @cached_property
    def counters(self) -> dict[str, Any] | None:
        """The sync's one reading of the counters (None without `user.info.stats`)."""
        if STATS_SCOPE not in self.granted_scopes():
            return None
        known = self._context.profile
        if all(name in known for name in ("open_id", *STATS_FIELDS)):
            return self.snapshot(known)
        _, response = self._fetch_next_page(None, None, None)
        return next(iter(self.parse_response(response)))

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if self.already_taken(sync_mode):
            return
        if self.counters is None:
            self.logger.warning(
                "Stream user_stats is unavailable: the scope '%s' is not granted. Add it to your "
                "TikTok app and re-authenticate to sync it; the other streams go on.",
                STATS_SCOPE,
            )
            return
        yield dict(self.counters)
        self.taken()

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[dict[str, Any]]:
        yield self.snapshot(self.read_answer(response, profile_user))

    def snapshot(self, user: Mapping[str, Any]) -> dict[str, Any]:
        snapshot = {"open_id": user["open_id"], SNAPSHOT_FIELD: self._context.snapshot_at}
        snapshot.update({field: user.get(field) for field in STATS_FIELDS})
        return snapshot
