"""What every TikTok stream shares: base URL, envelope, error policy, backoff, limits, snapshots."""

from __future__ import annotations

import re
from abc import ABC
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.call_rate import (
    APIBudget,
    HttpRequestRegexMatcher,
    MovingWindowCallRatePolicy,
    Rate,
)
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler

from source_tiktok_organic.auth import TikTokAuthenticator
from source_tiktok_organic.backoff import TikTokBackoff
from source_tiktok_organic.config import BUSINESS, CREATOR, Settings
from source_tiktok_organic.deadlines import bound_answers
from source_tiktok_organic.errors import TikTokErrorHandler, config_error
from source_tiktok_organic.fields import granted_fields
from source_tiktok_organic.listing import VideoListing
from source_tiktok_organic.pagination import CLOCK_SKEW_SECONDS
from source_tiktok_organic.profile_counters import ProfileCounters
from source_tiktok_organic.progress import Progress
from source_tiktok_organic.state import SNAPSHOT_FIELD, parse_snapshot_state
from source_tiktok_organic.transport import request_kwargs
from source_tiktok_organic.waiting import RateLimitWaiting

RATE_LIMITED_ENDPOINTS = {
    CREATOR: ("/v2/user/info/", "/v2/video/list/"),
    BUSINESS: ("/open_api/v1.3/business/get/", "/open_api/v1.3/business/video/list/"),
}
RATE_WINDOW = timedelta(seconds=61)


@dataclass(frozen=True)
class SyncContext:
    """What all streams of one sync share: settings, the token, the rate budget, the clock."""

    settings: Settings
    auth: TikTokAuthenticator
    budget: APIBudget
    progress: Progress
    snapshot_at: str
    listing: VideoListing  # the sync's one walk down the video list, for videos and video_stats
    counters: ProfileCounters  # the sync's one reading of the profile's counters
    waiting: RateLimitWaiting  # how long the sync may still wait out rate limits, in all

    @property
    def latest_possible(self) -> int:
        """Epoch seconds no real video can be newer than: the sync's start, plus clock skew."""
        return int(datetime.fromisoformat(self.snapshot_at).timestamp()) + CLOCK_SKEW_SECONDS


def tiktok_api_budget(settings: Settings) -> APIBudget:
    """Stay under TikTok's per-endpoint window instead of provoking 429s (0 turns it off).

    The window is one second longer than TikTok's minute, so our count can never run ahead of
    theirs when a request's time in flight straddles the edge of the window.
    """
    if not settings.requests_per_minute:
        return APIBudget(policies=[])
    parts = urlsplit(settings.api_base_url)
    return APIBudget(
        policies=[
            MovingWindowCallRatePolicy(
                rates=[Rate(limit=settings.requests_per_minute, interval=RATE_WINDOW)],
                matchers=[
                    HttpRequestRegexMatcher(
                        url_base=f"{parts.scheme}://{parts.netloc}",
                        # the CDK strips the request path's trailing slash before matching
                        url_path_pattern=f"^{re.escape(parts.path + endpoint.rstrip('/'))}$",
                    )
                ],
            )
            for endpoint in RATE_LIMITED_ENDPOINTS[settings.account_mode]
        ]
    )


class TikTokStream(HttpStream, ABC):
    """Owns the base URL, the envelope, the error policy, the backoff and the request timeout."""

    def __init__(self, context: SyncContext) -> None:
        self._context = context
        self._settings = context.settings
        self._auth = context.auth
        super().__init__(authenticator=context.auth, api_budget=context.budget)
        # HttpStream offers no public way to its session, and the whole-answer deadline needs
        # a transport adapter on it: the one private CDK member the package still touches.
        bound_answers(self._http_client._session)

    @property
    def url_base(self) -> str:
        return self._settings.api_base_url + "/v2/"

    def get_error_handler(self) -> ErrorHandler:
        return TikTokErrorHandler(
            self.logger,
            api_base_url=self._settings.api_base_url,
            on_rate_limit=self._context.progress.rate_limited,
            request_timeout=self._settings.request_timeout,
            backoff=self.get_backoff_strategy(),
        )

    def get_backoff_strategy(self) -> TikTokBackoff:
        return TikTokBackoff(waiting=self._context.waiting)

    def request_kwargs(self, *_: Any, **__: Any) -> Mapping[str, Any]:
        return request_kwargs(self._settings.request_timeout)

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        return None

    def granted_scopes(self) -> frozenset[str]:
        return self._auth.granted_scopes()

    def granted(self, field_scopes: dict[str, str], what: str) -> list[str]:
        """The fields the grant allows (see granted_fields), each scope held back named once."""
        fields, withheld = granted_fields(field_scopes, self.granted_scopes())
        for scope, names in withheld.items():
            self.logger.warning(
                "Scope '%s' is not granted, so %s leaves out: %s.", scope, what, ", ".join(names)
            )
        return fields

    def require_scope(self, scope: str) -> None:
        if scope not in self.granted_scopes():
            raise config_error(
                f"Stream '{self.name}' needs the TikTok scope '{scope}', which this authorization "
                "does not grant. Add it to your TikTok app, re-authenticate the source, or "
                f"deselect '{self.name}'."
            )


class SnapshotStream(Stream, ABC):
    """Append-only history: every record of a sync carries the sync's one `snapshot_at`.

    Put first among a stream's bases, so its cursor and state are the ones the CDK sees.
    """

    _context: SyncContext
    _snapshot_state: Mapping[str, Any] = MappingProxyType({})
    _saved: datetime | None = None

    @property
    def cursor_field(self) -> str:
        return SNAPSHOT_FIELD

    @property
    def state(self) -> MutableMapping[str, Any]:
        return dict(self._snapshot_state)

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._saved = parse_snapshot_state(value, self.name)
        self._snapshot_state = dict(value or {})

    def already_taken(self, sync_mode: SyncMode) -> bool:
        """A saved snapshot at or after this sync's (a restored state, a skewed clock): no rows."""
        if sync_mode != SyncMode.incremental or not self._saved_at_or_after_now():
            return False
        assert self._saved is not None
        self.logger.warning(
            "Stream %s writes no rows this sync: its saved %s (%s) is not before this sync's "
            "(%s). If the saved state is wrong, reset the stream.",
            self.name,
            SNAPSHOT_FIELD,
            self._saved.isoformat(),
            self._context.snapshot_at,
        )
        return True

    def taken(self) -> None:
        """Marks this sync's snapshot as delivered, once its records are out; never backwards."""
        if not self._saved_at_or_after_now():
            self._snapshot_state = {SNAPSHOT_FIELD: self._context.snapshot_at}

    def _saved_at_or_after_now(self) -> bool:
        now = datetime.fromisoformat(self._context.snapshot_at)
        return self._saved is not None and self._saved >= now
