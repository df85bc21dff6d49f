"""The same streams read from the API for Business: profile from business/get, posts from
business/video/list, in the common columns (records.py), on the shared read loop and listing."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping
from functools import cache
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.utils import casing
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_tiktok_organic.business.auth import BusinessAuthenticator, business_id
from source_tiktok_organic.business.backoff import BusinessBackoff
from source_tiktok_organic.business.envelope import business_data
from source_tiktok_organic.business.errors import BusinessErrorHandler
from source_tiktok_organic.business.fields import POST_FIELD_SCOPES, PROFILE_FIELD_SCOPES, json_list
from source_tiktok_organic.business.records import VIDEO_COLUMNS, to_profile, to_video
from source_tiktok_organic.core.errors import naming
from source_tiktok_organic.core.list_streams import VIDEO_STATS, VIDEOS, ListSource
from source_tiktok_organic.core.pagination import VideoPage, to_video_page
from source_tiktok_organic.core.streams import SyncContext, TikTokStream
from source_tiktok_organic.core.video_list import PageRequest
from source_tiktok_organic.core.windows import PAGE_SIZE
from source_tiktok_organic.creator.fields import (
    VIDEO_COUNT_FIELDS,
    VIDEO_LIST_SCOPE,
    granted_fields,
)
from source_tiktok_organic.creator.profile import UserInfo

API_PREFIX = "/open_api/v1.3/"
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


class BusinessStream(TikTokStream):
    """The shared stream base on the API for Business's host, codes, waits and account id."""

    schema_name: str | None = None  # a business-mode schema under schemas/business/, if any

    @property
    def name(self) -> str:
        """The creator-mode stream's name: both modes feed the same tables."""
        return casing.camel_to_snake(type(self).__name__.removeprefix("Business"))

    @property
    def url_base(self) -> str:
        return self._settings.api_base_url + API_PREFIX

    def get_error_handler(self) -> ErrorHandler:
        return BusinessErrorHandler(
            self.logger,
            api_base_url=self._settings.api_base_url,
            on_rate_limit=self._context.progress.rate_limited,
            request_timeout=self._settings.request_timeout,
            backoff=self.get_backoff_strategy(),
        )

    def get_backoff_strategy(self) -> BusinessBackoff:
        return BusinessBackoff(waiting=self._context.waiting)

    @cache  # noqa: B019  # as the CDK's own: the schema is read once per stream
    def get_json_schema(self) -> Mapping[str, Any]:
        if self.schema_name is None:
            return super().get_json_schema()
        return ResourceSchemaLoader("source_tiktok_organic").get_schema(self.schema_name)

    def business_id(self) -> str:
        return business_id(self._auth)


class BusinessUserInfo(BusinessStream, UserInfo):
    """The account's profile: GET /open_api/v1.3/business/get/ ("Get profile data")."""

    field_scopes = PROFILE_FIELD_SCOPES
    schema_name = "business/user_info"

    def path(self, **_: Any) -> str:
        return "business/get/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"business_id": self.business_id(), "fields": json_list(self._granted_fields())}

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        data, envelope = business_data(response, self.name)
        with naming(envelope.ids):
            user = to_profile(data, self.business_id())
        self._context.counters.offer(user)
        yield user


class BusinessVideoList:
    """GET /open_api/v1.3/business/video/list/ ("Get data of TikTok posts"), cursor in the query.

    Asks for every field the grant allows, worked out (and its gaps logged) once per stream.
    """

    def __init__(self, auth: BusinessAuthenticator, logger: logging.Logger) -> None:
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
        return PageRequest("GET", API_PREFIX + "business/video/list/", params)

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
    settings = context.settings
    auth = context.auth
    assert isinstance(auth, BusinessAuthenticator)
    asked: list[frozenset[str]] = []  # the columns video_stats asks for, once the grant is known

    def handler(logger: logging.Logger, backoff: Any) -> BusinessErrorHandler:
        return BusinessErrorHandler(
            logger,
            api_base_url=settings.api_base_url,
            on_rate_limit=context.progress.rate_limited,
            request_timeout=settings.request_timeout,
            backoff=backoff,
        )

    def history(video: Mapping[str, Any]) -> dict[str, Any]:
        if not asked:
            fields, _ = granted_fields(POST_FIELD_SCOPES, auth.granted_scopes())
            asked.append(frozenset(VIDEO_COLUMNS.get(field, field) for field in fields))
        return snapshot_of(video, asked[0])

    return ListSource(
        api=lambda logger: BusinessVideoList(auth, logger),
        base_url=settings.api_base_url,
        handler=handler,
        backoff=lambda: BusinessBackoff(waiting=context.waiting),
        schemas={VIDEOS: "business/videos", VIDEO_STATS: "business/video_stats"},
        snapshot_of=history,
        scope=VIDEO_LIST_SCOPE,
    )
