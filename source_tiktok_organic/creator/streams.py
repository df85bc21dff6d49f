"""The Display API's streams: the creator's profile, its counters and video list; the mode."""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.counters import COUNTER_FIELDS, READER, ProfileCounters
from source_tiktok_organic.core.errors import naming, traced_error
from source_tiktok_organic.core.fields import (
    BASIC_SCOPE,
    STATS_FIELDS,
    STATS_SCOPE,
    VIDEO_COUNT_FIELDS,
    VIDEO_LIST_SCOPE,
)
from source_tiktok_organic.core.list_streams import VIDEO_STATS, VIDEOS, ListSource
from source_tiktok_organic.core.mode import AccountMode, api_factory
from source_tiktok_organic.core.pagination import VideoPage, to_video_page
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.core.streams import ApiStream, SyncContext
from source_tiktok_organic.core.video_list import PageRequest
from source_tiktok_organic.core.windows import PAGE_SIZE
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from source_tiktok_organic.creator.errors import (
    LATE_FIELDS,
    CreatorErrorHandler,
    answer_data,
    read_envelope,
    refused_field,
)

# Which fields the Display API serves, and which scope unlocks each (the reference's tables).
USER_FIELD_SCOPES: dict[str, str] = {
    **dict.fromkeys(
        ("open_id", "union_id", "avatar_url", "avatar_url_100", "avatar_large_url", "display_name"),
        BASIC_SCOPE,
    ),
    **dict.fromkeys(
        ("bio_description", "profile_deep_link", "is_verified", "username"), "user.info.profile"
    ),
    **dict.fromkeys(STATS_FIELDS, STATS_SCOPE),
}
# The `fields` of POST /v2/video/list/; a late field only while the deployment serves it.
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
    *LATE_FIELDS,
)
# What video_stats keeps of a video at each sync: its engagement counts, and its AI label, which
# a creator may change.
SNAPSHOT_FIELDS = (*VIDEO_COUNT_FIELDS, "is_aigc")
USER_INFO_PATH = "user/info/"


def profile_user(data: Mapping[str, Any]) -> dict[str, Any]:
    """The `user` of a GET /v2/user/info/ answer, held to the user_info schema."""
    user = data.get("user")
    if not isinstance(user, dict) or not (isinstance(user.get("open_id"), str) and user["open_id"]):
        raise traced_error("TikTok's profile answer had no user object with an open_id.")
    return conform(user, "user_info")


def read_user(response: requests.Response, reader: str) -> dict[str, Any]:
    """The answer's user (see profile_user); a refusal names the answer's log_id."""
    envelope = read_envelope(response)
    with naming(envelope.ids):
        return profile_user(answer_data(envelope, reader))


class UserInfo(ApiStream):
    """The authorizing creator's profile: GET /v2/user/info/ (Display API "Get User Info")."""

    name = "user_info"
    primary_key = "open_id"

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        self.require_scope(BASIC_SCOPE)
        fields = self.granted(USER_FIELD_SCOPES, self.name)
        response = self.fetch(USER_INFO_PATH, {"fields": ",".join(fields)})
        user = read_user(response, self.name)
        self.context.counters.offer(user)  # so user_stats and the estimates ask no more
        yield user


class CreatorCounters(ProfileCounters):
    def request(self, reader: Reader) -> dict[str, Any]:
        response = reader.send("GET", USER_INFO_PATH, {"fields": ",".join(COUNTER_FIELDS)})
        return read_user(response, READER)


class CreatorVideoList:
    """Display API "List Videos": the fields in the query, the page size and cursor in the body;
    a page refused for a late field (creator/errors.py) is asked again without it."""

    def __init__(self, context: SyncContext, logger: logging.Logger) -> None:
        self._context = context
        self._logger = logger

    def page_request(self, cursor: int | None) -> PageRequest:
        body: dict[str, Any] = {"max_count": PAGE_SIZE}
        if cursor is not None:
            body["cursor"] = cursor
        fields = ",".join(self._context.unserved.left(VIDEO_FIELDS))
        return PageRequest("POST", "video/list/", {"fields": fields}, body)

    def read_page(self, response: requests.Response) -> VideoPage | None:
        """The answer's videos, held to the schema, and where the list goes on; None when a
        late field was refused: the page is to be asked again, without it."""
        envelope = read_envelope(response)
        refused = refused_field(response, envelope)
        if refused is not None:
            self._context.unserved.refused(refused, envelope.describe(), self._logger)
            return None
        with naming(envelope.ids):
            page = to_video_page(answer_data(envelope, "the video list"), envelope.log_id)
            for video in page.videos:
                conform(video, VIDEOS)
        return page


def creator_list(context: SyncContext) -> ListSource:
    return ListSource(
        api=lambda logger: CreatorVideoList(context, logger),
        schemas={VIDEOS: VIDEOS, VIDEO_STATS: VIDEO_STATS},
        snapshot_of=lambda video: {field: video.get(field) for field in SNAPSHOT_FIELDS},
        scope=VIDEO_LIST_SCOPE,
    )


creator_api = api_factory("/v2/", CreatorErrorHandler, TikTokBackoff)
CREATOR_MODE = AccountMode(
    CreatorAuthenticator, creator_api, CreatorCounters, UserInfo, creator_list
)
