"""The creator's profile: `user_info`, and the counters `user_stats` and the estimates read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.counters import COUNTER_FIELDS, READER, ProfileCounters
from source_tiktok_organic.core.streams import ApiStream
from source_tiktok_organic.creator.answers import profile_user, read_answer
from source_tiktok_organic.creator.fields import BASIC_SCOPE, USER_FIELD_SCOPES

USER_INFO_PATH = "user/info/"


class UserInfo(ApiStream):
    """The authorizing creator's profile: GET /v2/user/info/ (Display API "Get User Info")."""

    name = "user_info"
    primary_key = "open_id"

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        self.require_scope(BASIC_SCOPE)
        fields = self.granted(USER_FIELD_SCOPES, self.name)
        response = self.fetch(USER_INFO_PATH, {"fields": ",".join(fields)})
        user = read_answer(response, self.name, profile_user)
        self.context.counters.offer(user)  # so user_stats and the estimates ask no more
        yield user


class CreatorCounters(ProfileCounters):
    def request(self, reader: Reader) -> dict[str, Any]:
        response = reader.send("GET", USER_INFO_PATH, {"fields": ",".join(COUNTER_FIELDS)})
        return read_answer(response, READER, profile_user)
