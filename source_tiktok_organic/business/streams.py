"""The same streams read from the API for Business: profile from business/get, posts from
business/video/list, in the common columns (records.py), on the core's stream bases."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.envelope import business_data
from source_tiktok_organic.business.fields import (
    BASIC_SCOPE,
    POST_FIELD_SCOPES,
    PROFILE_FIELD_SCOPES,
    PROFILE_STATS_FIELDS,
    VIDEO_LIST_SCOPE,
    json_list,
)
from source_tiktok_organic.business.records import VIDEO_COLUMNS, to_profile, to_video
from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.counters import READER, ProfileCounters
from source_tiktok_organic.core.errors import naming
from source_tiktok_organic.core.fields import VIDEO_COUNT_FIELDS, granted_fields
from source_tiktok_organic.core.list_streams import VIDEO_STATS, VIDEOS, ListSource
from source_tiktok_organic.core.pagination import VideoPage, to_video_page
from source_tiktok_organic.core.streams import ApiStream, SyncContext
from source_tiktok_organic.core.video_list import PageRequest
from source_tiktok_organic.core.windows import PAGE_SIZE

PROFILE_PATH = "business/get/"
# What a post's history keeps: the common counts, then the insights that change over time.
HISTORY_FIELDS = (
    *VIDEO_COUNT_FIELDS,
    "favorites",
    "reach",
    "total_time_watched",
    "average_time_watched",
    "full_video_watched_rate",
    "new_followers",
    "profile_views",
)


class UserInfo(ApiStream):
    """The account's profile: GET /open_api/v1.3/business/get/ ("Get profile data")."""

    name = "user_info"
    primary_key = "open_id"
    schema_name = "business/user_info"

    @property
    def is_resumable(self) -> bool:
        """One request per sync leaves nothing to resume (see the creator's user_info)."""
        return False

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        self.require_scope(BASIC_SCOPE)
        owner = business_id(self._auth)
        fields = self.granted(PROFILE_FIELD_SCOPES, self.name)
        response = self.fetch(PROFILE_PATH, {"business_id": owner, "fields": json_list(fields)})
        data, envelope = business_data(response, self.name)
        with naming(envelope.ids):
            user = to_profile(data, owner)
        self.context.counters.offer(user)
        yield user


class BusinessCounters(ProfileCounters):
    """The profile's counters from business/get, for user_stats and the progress estimates."""

    def request(self, reader: Reader) -> dict[str, Any]:
        owner = business_id(self._auth)
        params = {"business_id": owner, "fields": json_list(PROFILE_STATS_FIELDS)}
        data, envelope = business_data(reader.send("GET", PROFILE_PATH, params), READER)
        with naming(envelope.ids):
            return to_profile(data, owner)


class BusinessVideoList:
    """GET /open_api/v1.3/business/video/list/ ("Get data of TikTok posts"), cursor in the query.

    Asks for every field the grant allows, worked out (and its gaps logged) once per stream.
    """

    def __init__(self, auth: TikTokAuthenticator, logger: logging.Logger) -> None:
        self._auth = auth
        self._logger = logger
        self._fields: list[str] | None = None

    def post_fields(self) -> list[str]:
        if self._fields is None:
            fields, withheld = granted_fields(POST_FIELD_SCOPES, self._auth.granted_scopes())
            for scope, names in withheld.items():
                self._logger.warning(
                    "Scope '%s' is not granted, so the video list leaves out: %s.",
                    scope,
                    ", ".join(names),
                )
            self._fields = fields
        return self._fields

    def page_request(self, cursor: int | None) -> PageRequest:
        params: dict[str, Any] = {
            "business_id": business_id(self._auth),
            "fields": json_list(self.post_fields()),
            "max_count": PAGE_SIZE,
        }
        if cursor is not None:
            params["cursor"] = cursor
        return PageRequest("GET", "business/video/list/", params)

    def read_page(self, response: requests.Response) -> VideoPage:
        data, envelope = business_data(response, "the video list")
        with naming(envelope.ids):
            posts = data.get("videos")
            if isinstance(posts, list) and all(isinstance(post, dict) for post in posts):
                data = {**data, "videos": [to_video(post) for post in posts]}
            return to_video_page(data, envelope.request_id)


def snapshot_of(video: Mapping[str, Any], asked: frozenset[str]) -> dict[str, Any]:
    """One post's history row: the four common counts, then the insights that change.

    After 7 idle days TikTok may stop sending a post's reach, watch times and more; a row then
    holds null for them and names them in `missing_fields`, so "not sent" is told from zero.
    """
    values = {field: video.get(field) for field in HISTORY_FIELDS}
    values["missing_fields"] = [
        field for field in HISTORY_FIELDS if field in asked and values[field] is None
    ]
    return values


def business_list(context: SyncContext) -> ListSource:
    auth = context.auth
    asked: list[frozenset[str]] = []  # the columns video_stats asks for, once the grant is known

    def history(video: Mapping[str, Any]) -> dict[str, Any]:
        if not asked:
            fields, _ = granted_fields(POST_FIELD_SCOPES, auth.granted_scopes())
            asked.append(frozenset(VIDEO_COLUMNS.get(field, field) for field in fields))
        return snapshot_of(video, asked[0])

    return ListSource(
        api=lambda logger: BusinessVideoList(auth, logger),
        schemas={VIDEOS: "business/videos", VIDEO_STATS: "business/video_stats"},
        snapshot_of=history,
        scope=VIDEO_LIST_SCOPE,
    )
