"""The streams: a base that knows TikTok's envelope, errors and limits, and two thin streams."""

from __future__ import annotations

from abc import ABC
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import timedelta
from typing import Any

import requests
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.streams.call_rate import (
    APIBudget,
    HttpRequestRegexMatcher,
    MovingWindowCallRatePolicy,
    Rate,
)
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.auth import TikTokAuthenticator
from source_tiktok_organic.backoff import TikTokBackoff
from source_tiktok_organic.config import Settings
from source_tiktok_organic.errors import (
    TikTokErrorHandler,
    config_error,
    read_envelope,
    traced_error,
)
from source_tiktok_organic.fields import (
    BASIC_SCOPE,
    VIDEO_FIELDS,
    VIDEO_LIST_SCOPE,
    granted_user_fields,
)
from source_tiktok_organic.pagination import VideoPage, VideoPager
from source_tiktok_organic.state import CURSOR_FIELD, VideoState, parse_video_state

PAGE_SIZE = 20  # TikTok's maximum max_count for /v2/video/list/


def tiktok_api_budget(settings: Settings) -> APIBudget:
    """Stay under TikTok's per-endpoint window instead of provoking 429s."""
    api_base_url = settings.api_base_url
    return APIBudget(
        policies=[
            MovingWindowCallRatePolicy(
                rates=[Rate(limit=settings.requests_per_minute, interval=timedelta(minutes=1))],
                matchers=[HttpRequestRegexMatcher(url_base=api_base_url, url_path_pattern=path)],
            )
            for path in ("/v2/user/info/", "/v2/video/list/", "/v2/video/query/")
        ]
    )


class TikTokStream(HttpStream, ABC):
    """Owns the base URL, the envelope, the error policy, the backoff and the request timeout."""

    def __init__(
        self, settings: Settings, authenticator: TikTokAuthenticator, api_budget: APIBudget
    ) -> None:
        self._settings = settings
        self._auth = authenticator
        super().__init__(authenticator=authenticator, api_budget=api_budget)

    @property
    def url_base(self) -> str:
        return self._settings.api_base_url + "/v2/"

    def get_error_handler(self) -> ErrorHandler:
        return TikTokErrorHandler(self.logger)

    def get_backoff_strategy(self) -> BackoffStrategy:
        return TikTokBackoff()

    def request_kwargs(self, *_: Any, **__: Any) -> Mapping[str, Any]:
        return {"timeout": self._settings.request_timeout}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        return None

    def response_data(self, response: requests.Response) -> dict[str, Any]:
        """`data` of an envelope the error handler has already accepted."""
        data = read_envelope(response).data
        if data is None:
            raise traced_error(
                f"TikTok's answer to {self.name} had no data object.",
                FailureType.system_error,
            )
        return data

    def granted_scopes(self) -> frozenset[str]:
        return self._auth.granted_scopes()

    def require_scope(self, scope: str) -> None:
        if scope not in self.granted_scopes():
            raise config_error(
                f"Stream '{self.name}' needs the TikTok scope '{scope}', which this authorization "
                "does not grant. Add it to your TikTok app, re-authenticate the source, or "
                f"deselect '{self.name}'."
            )


class UserInfo(TikTokStream):
    """The authorizing creator's profile: GET /v2/user/info/ (Display API "Get User Info")."""

    primary_key = "open_id"

    def path(self, **_: Any) -> str:
        return "user/info/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(self._granted_fields())}

    def _granted_fields(self) -> list[str]:
        self.require_scope(BASIC_SCOPE)
        fields, withheld = granted_user_fields(self._auth.granted_scopes())
        for scope, names in withheld.items():
            self.logger.warning(
                "Scope '%s' is not granted, so user_info leaves out: %s.", scope, ", ".join(names)
            )
        return fields

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        user = self.response_data(response).get("user")
        if not isinstance(user, dict) or not user.get("open_id"):
            raise traced_error(
                "TikTok's profile answer had no user object with an open_id.",
                FailureType.system_error,
            )
        yield user


class Videos(TikTokStream):
    """The creator's public videos, newest first: POST /v2/video/list/ (Display API "List Videos")."""

    primary_key = "id"
    http_method = "POST"
    state_checkpoint_interval = PAGE_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved = VideoState()
        self._checkpoint = VideoState()
        self._pager = VideoPager()
        self._owner: str | None = None

    @property
    def cursor_field(self) -> str:
        return CURSOR_FIELD

    @property
    def state(self) -> MutableMapping[str, Any]:
        """Only what whole pages already emitted: the CDK may checkpoint in the middle of a page."""
        return self._checkpoint.as_dict()

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._saved = self._checkpoint = parse_video_state(value)

    def path(self, **_: Any) -> str:
        return "video/list/"

    def request_params(self, *_: Any, **__: Any) -> MutableMapping[str, Any]:
        return {"fields": ",".join(VIDEO_FIELDS)}

    def request_body_json(self, *_: Any, **__: Any) -> Mapping[str, Any]:
        body: dict[str, Any] = {"max_count": PAGE_SIZE}
        if self._pager.cursor is not None:
            body["cursor"] = self._pager.cursor
        return body

    def read_records(self, sync_mode: SyncMode, *args: Any, **kwargs: Any) -> Iterable[StreamData]:
        self.require_scope(VIDEO_LIST_SCOPE)
        self._owner = self._auth.open_id()
        self._pager = self._new_pager(sync_mode)
        yield from super().read_records(sync_mode, *args, **kwargs)

    def _new_pager(self, sync_mode: SyncMode) -> VideoPager:
        start = self._settings.start_time
        floors = [] if start is None else [start - 1]
        if sync_mode != SyncMode.incremental:
            self._saved = self._checkpoint = VideoState()
            return VideoPager(floor=max(floors, default=None))
        if self._saved.create_time is not None:
            lookback = self._settings.lookback_days * 86_400
            floors.append(self._saved.create_time - lookback)
        return VideoPager(
            floor=max(floors, default=None), start_cursor=self._saved.resume_before_ms
        )

    def parse_response(self, response: requests.Response, **_: Any) -> Iterable[Mapping[str, Any]]:
        page = to_video_page(self.response_data(response))
        for video in self._pager.accept(page):
            video["open_id"] = self._owner
            yield video

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """Called once the page's records are out, so this is where the checkpoint may move."""
        saved, pager = self._saved, self._pager
        if pager.done:
            self._checkpoint = VideoState(create_time=newest(saved.high_water(), pager.newest))
            return None
        self._checkpoint = VideoState(
            create_time=saved.create_time,
            resume_before_ms=pager.cursor,
            resume_newest=newest(saved.resume_newest, pager.newest),
        )
        return {"cursor": pager.cursor}


def newest(*marks: int | None) -> int | None:
    known = [mark for mark in marks if mark is not None]
    return max(known) if known else None


def to_video_page(data: Mapping[str, Any]) -> VideoPage:
    """Strict about shape: a wrong `has_more` or `videos` must stop the sync, not end it quietly."""
    videos = data.get("videos")
    has_more = data.get("has_more")
    cursor = data.get("cursor")
    if videos is None:
        videos = []
    if not isinstance(videos, list) or not all(isinstance(video, dict) for video in videos):
        raise _malformed("'videos' is not a list of objects")
    if not isinstance(has_more, bool):
        raise _malformed(f"'has_more' is {has_more!r}, not a boolean")
    if cursor is not None and (isinstance(cursor, bool) or not isinstance(cursor, int)):
        raise _malformed(f"'cursor' is {cursor!r}, not an integer")
    return VideoPage(videos=videos, cursor=cursor, has_more=has_more)


def _malformed(reason: str) -> AirbyteTracedException:
    return traced_error(
        f"TikTok's video list answer is malformed: {reason}.",
        FailureType.system_error,
    )
