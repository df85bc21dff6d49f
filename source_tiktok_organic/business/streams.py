"""The same streams read from the API for Business: profile from business/get, posts from
business/video/list, in the common columns (records.py), on the shared read loop and listing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from functools import cache
from typing import Any

import requests
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.utils import casing
from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.backoff import BusinessBackoff
from source_tiktok_organic.business.envelope import business_data
from source_tiktok_organic.business.errors import BusinessErrorHandler
from source_tiktok_organic.business.fields import POST_FIELD_SCOPES, PROFILE_FIELD_SCOPES, json_list
from source_tiktok_organic.business.records import VIDEO_COLUMNS, to_profile, to_video
from source_tiktok_organic.errors import naming
from source_tiktok_organic.fields import VIDEO_COUNT_FIELDS
from source_tiktok_organic.pagination import VideoPage, to_video_page
from source_tiktok_organic.slicing import PAGE_SIZE
from source_tiktok_organic.streams.base import TikTokStream
from source_tiktok_organic.streams.profile import UserInfo
from source_tiktok_organic.streams.videos import VideoListStream, Videos, VideoStats, stretch_of

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


class BusinessVideoList(BusinessStream, VideoListStream):
    """GET /open_api/v1.3/business/video/list/ ("Get data of TikTok posts"), cursor in the query.

    Both list streams share one walk, so both ask for the same fields: all the grant allows.
    """

    http_method = "GET"
    _post_fields: list[str] | None = None

    def path(self, **_: Any) -> str:
        return "business/video/list/"

    def request_params(
        self, *_: Any, stream_slice: Mapping[str, Any] | None = None, **__: Any
    ) -> MutableMapping[str, Any]:
        params: dict[str, Any] = {
            "business_id": self.business_id(),
            "fields": json_list(self.post_fields()),
            "max_count": PAGE_SIZE,
        }
        cursor = stretch_of(stream_slice).cursor
        if cursor is not None:
            params["cursor"] = cursor
        return params

    def post_fields(self) -> list[str]:
        """What the list asks for, worked out (and its gaps logged) once per stream."""
        if self._post_fields is None:
            self._post_fields = self.granted(POST_FIELD_SCOPES, "the video list")
        return self._post_fields

    def request_body_json(
        self, *_: Any, stream_slice: Mapping[str, Any] | None = None, **__: Any
    ) -> Mapping[str, Any] | None:
        """A GET: the cursor goes in the query string."""
        return None

    def read_page(self, response: requests.Response) -> VideoPage:
        data, envelope = business_data(response, self.name)
        with naming(envelope.ids):
            posts = data.get("videos")
            if isinstance(posts, list) and all(isinstance(post, dict) for post in posts):
                data = {**data, "videos": [to_video(post) for post in posts]}
            return to_video_page(data, envelope.request_id)


class BusinessVideos(BusinessVideoList, Videos):
    """The account's posts in the common columns plus TikTok's insight columns."""

    schema_name = "business/videos"


class BusinessVideoStats(BusinessVideoList, VideoStats):
    """One row per post per sync: the four common counts, then the insights that change.

    After 7 idle days TikTok may stop sending a post's reach, watch times and more; a row then
    holds null for them and names them in `missing_fields`, so "not sent" is told from zero.
    """

    schema_name = "business/video_stats"

    def snapshot_of(self, video: Mapping[str, Any]) -> dict[str, Any]:
        values = {field: video.get(field) for field in HISTORY_FIELDS}
        asked = {VIDEO_COLUMNS.get(field, field) for field in self.post_fields()}
        values["missing_fields"] = [
            field for field in HISTORY_FIELDS if field in asked and values[field] is None
        ]
        return values
