"""The API for Business's streams: the common ones in the common columns (records.py), and
daily_metrics and audience_snapshots, which need the scope user.insights."""

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache, cached_property
from types import MappingProxyType
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.errors import business_data
from source_tiktok_organic.business.records import (
    AUDIENCES,
    VIDEO_COLUMNS,
    honest_row,
    insight_array,
    to_profile,
    to_video,
)
from source_tiktok_organic.core.auth import TikTokAuthenticator
from source_tiktok_organic.core.client import Reader
from source_tiktok_organic.core.counters import READER, ProfileCounters
from source_tiktok_organic.core.cursor import ISO_DATE
from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.core.fields import (
    BASIC_SCOPE,
    STATS_SCOPE,
    VIDEO_COUNT_FIELDS,
    VIDEO_LIST_SCOPE,
    granted_fields,
)
from source_tiktok_organic.core.list_streams import VIDEO_STATS, VIDEOS, ListSource
from source_tiktok_organic.core.pagination import VideoPage, to_video_page
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.core.state import SNAPSHOT_FIELD, invalid_state
from source_tiktok_organic.core.streams import ApiStream, GuardedState, SnapshotStream, SyncContext
from source_tiktok_organic.core.video_list import PageRequest
from source_tiktok_organic.core.windows import PAGE_SIZE

# On this API an unknown or ungranted field fails the whole call, so only granted ones are asked
# (reference, sections 3 and 4).
PROFILE_STATS_FIELDS = ("following_count", "followers_count", "total_likes", "videos_count")
PROFILE_FIELD_SCOPES: dict[str, str] = {
    "is_business_account": "user.account.type",
    **dict.fromkeys(("profile_image", "display_name"), BASIC_SCOPE),
    "username": "user.info.username",
    **dict.fromkeys(("profile_deep_link", "bio_description", "is_verified"), "user.info.profile"),
    **dict.fromkeys(PROFILE_STATS_FIELDS, STATS_SCOPE),
}
POST_FIELD_SCOPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "item_id",
            "create_time",
            "media_type",
            "is_ad",
            "thumbnail_url",
            "share_url",
            "embed_url",
            "caption",
            "video_duration",
            "likes",
            "comments",
            "shares",
            "favorites",
            "reach",
            "video_views",
        ),
        VIDEO_LIST_SCOPE,
    ),
    **dict.fromkeys(
        (
            "total_time_watched",
            "average_time_watched",
            "full_video_watched_rate",
            "new_followers",
            "profile_views",
            "website_clicks",
            "phone_number_clicks",
            "lead_submissions",
            "app_download_clicks",
            "email_clicks",
            "address_clicks",
            "video_view_retention",
            "engagement_likes",
            "impression_sources",
            "audience_genders",
            "audience_countries",
            "audience_cities",
            "audience_types",
        ),
        "video.insights",
    ),
}
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


def json_list(fields: Iterable[str]) -> str:
    """`fields` on this API is a JSON array literal in the query string, not a comma list."""
    return json.dumps(list(fields), separators=(",", ":"))


@contextmanager
def profile(
    reader: Reader, auth: TikTokAuthenticator, what: str, fields: Iterable[str], **dates: str
) -> Iterator[dict[str, Any]]:
    """`data` of business/get ("Get profile data"); what goes wrong reading it names the call."""
    params = {"business_id": business_id(auth), "fields": json_list(fields), **dates}
    with business_data(reader.send("GET", "business/get/", params), what) as (data, _):
        yield data


class UserInfo(ApiStream):
    """The account's profile: GET /open_api/v1.3/business/get/ ("Get profile data")."""

    name = "user_info"
    primary_key = "open_id"
    schema_name = "business/user_info"

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        self.require_scope(BASIC_SCOPE)
        fields = self.granted(PROFILE_FIELD_SCOPES, self.name)
        with profile(self.reader, self._auth, self.name, fields) as data:
            user = to_profile(data, business_id(self._auth))
        self.context.counters.offer(user)
        yield user


class BusinessCounters(ProfileCounters):
    """The profile's counters from business/get, for user_stats and the progress estimates."""

    def request(self, reader: Reader) -> dict[str, Any]:
        with profile(reader, self._auth, READER, PROFILE_STATS_FIELDS) as data:
            return to_profile(data, business_id(self._auth))


@dataclass
class BusinessVideoList:
    """GET /open_api/v1.3/business/video/list/ ("Get data of TikTok posts"), cursor in the query."""

    auth: TikTokAuthenticator
    logger: logging.Logger
    field_scopes: dict[str, str] = field(default_factory=lambda: POST_FIELD_SCOPES)

    @cached_property
    def fields(self) -> str:
        """Every field asked that the grant allows, worked out (and its gaps logged) once."""
        scopes = self.auth.granted_scopes()
        return json_list(granted_fields(self.field_scopes, scopes, "the video list", self.logger))

    def page_request(self, cursor: int | None) -> PageRequest:
        params = {
            "business_id": business_id(self.auth),
            "fields": self.fields,
            "max_count": PAGE_SIZE,
        }
        if cursor is not None:
            params["cursor"] = cursor
        return PageRequest("GET", "business/video/list/", params)

    def read_page(self, response: requests.Response) -> VideoPage:
        with business_data(response, "the video list") as (data, envelope):
            page = to_video_page(data, envelope.request_id)
            return replace(page, videos=[to_video(post) for post in page.videos])


def business_list(context: SyncContext) -> ListSource:
    @cache
    def asked() -> frozenset[str]:
        fields = granted_fields(POST_FIELD_SCOPES, context.auth.granted_scopes())
        return frozenset(VIDEO_COLUMNS.get(field, field) for field in fields)

    def history(video: Mapping[str, Any]) -> dict[str, Any]:
        # After 7 idle days TikTok may stop sending a post's reach, watch times and more: a null
        # named in `missing_fields` tells "not sent" from zero.
        row = {field: video.get(field) for field in (*HISTORY_FIELDS, "is_aigc")}
        row["missing_fields"] = [
            field for field in HISTORY_FIELDS if field in asked() and row[field] is None
        ]
        return row

    return ListSource(
        api=lambda logger: BusinessVideoList(context.auth, logger),
        schemas={VIDEOS: "business/videos", VIDEO_STATS: "business/video_stats"},
        snapshot_of=history,
        scope=VIDEO_LIST_SCOPE,
    )


INSIGHTS_SCOPE = "user.insights"
# business/get reaches at most 60 days back; TikTok fills a day in 24-48 h late, so each sync
# reads the last days it already has again.
LOOKBACK_LIMIT_DAYS = 60
REREAD_DAYS = 3
DATE_FIELD = "date"


def scopes_granted(stream: ApiStream | GuardedState, *scopes: str) -> bool:
    """Whether the grant holds `scopes`; without one the stream says which and writes no row."""
    missing = [scope for scope in scopes if scope not in stream.context.auth.granted_scopes()]
    if not missing:
        return True
    named = " and ".join(f"'{scope}'" for scope in missing)
    stream.logger.warning(
        f"Stream {stream.name} is unavailable: the scope {named} is not granted. Add it "
        "to your TikTok API for Business app and re-authorize the account to sync it; the other "
        "streams go on."
    )
    return False


class DailyMetrics(GuardedState):
    """The profile's metrics day by day (views, profile views, likes, followers, ...)."""

    name = "daily_metrics"
    cursor_field = DATE_FIELD
    state_cursors = MappingProxyType({DATE_FIELD: ISO_DATE})
    _newest: date | None = None  # the newest day read, by a past sync and then by this one

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", DATE_FIELD]

    def current_state(self) -> Mapping[str, Any]:
        return {DATE_FIELD: self._newest.isoformat()} if self._newest else {}

    def restore_state(self, saved: Any) -> None:
        raw = saved.get(DATE_FIELD) if saved else None
        try:
            self._newest = None if raw is None else date.fromisoformat(str(raw))
        except ValueError:
            raise invalid_state(
                self.name, f"'{DATE_FIELD}' must be YYYY-MM-DD, got {raw!r}"
            ) from None

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if sync_mode != SyncMode.incremental:
            self._newest = None
        window = self.window() if scopes_granted(self, INSIGHTS_SCOPE) else None
        if window is None:
            return
        reader = self.context.api.client(self.name, self.logger)
        owner = business_id(self.context.auth)
        with profile(reader, self.context.auth, self.name, ["metrics"], **window) as data:
            days = data.get("metrics") or []
            if not isinstance(days, list) or not all(isinstance(day, dict) for day in days):
                raise traced_error(f"TikTok's daily metrics are not a list of days: {days!r:.80}")
            for day in days:
                record = conform({**honest_row(day), "open_id": owner}, self.name)
                raw = record.get(DATE_FIELD)
                moment = ISO_DATE.read(raw)
                if moment is None:
                    raise traced_error(
                        f"TikTok sent a daily metrics row whose date is {raw!r:.40}."
                    )
                if self.moves_cursor(raw, ISO_DATE, f"Daily metrics row {moment.date()}"):
                    self._newest = max(moment.date(), self._newest or moment.date())
                yield record

    def window(self) -> dict[str, str] | None:
        """The last day read, less the days TikTok may still fill in, to yesterday; at most 60."""
        today = datetime.fromisoformat(self.context.snapshot_at).date()
        oldest, end = today - timedelta(days=LOOKBACK_LIMIT_DAYS), today - timedelta(days=1)
        start = oldest
        if self._newest is not None:
            start = self._newest - timedelta(days=REREAD_DAYS - 1)
            if start < oldest:
                self.logger.warning(
                    f"Stream daily_metrics was last synced up to {self._newest}, more than "
                    f"{LOOKBACK_LIMIT_DAYS} days ago: TikTok keeps only the last "
                    f"{LOOKBACK_LIMIT_DAYS} days, so the days from "
                    f"{self._newest + timedelta(days=1)} to {oldest - timedelta(days=1)} are lost."
                )
                start = oldest
        if self.context.settings.start_time is not None:
            start = max(start, datetime.fromtimestamp(self.context.settings.start_time, UTC).date())
        if start > end:  # only a start_date after yesterday does this
            self.logger.warning(
                f"Config field 'start_date' is {start}, after yesterday ({end}), TikTok's newest "
                "day: daily_metrics has no day to read until then."
            )
            return None
        return {"start_date": start.isoformat(), "end_date": end.isoformat()}


class AudienceSnapshots(SnapshotStream):
    """The profile's audience by age, gender, country and city: one row per value per sync."""

    name = "audience_snapshots"

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", SNAPSHOT_FIELD, "dimension", "value"]

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if not scopes_granted(self, INSIGHTS_SCOPE):
            return
        reader = self.context.api.client(self.name, self.logger)
        base = {"open_id": business_id(self.context.auth), SNAPSHOT_FIELD: self.context.snapshot_at}
        with profile(reader, self.context.auth, self.name, AUDIENCES) as data:
            for field, (dimension, key) in AUDIENCES.items():
                if not isinstance(data.get(field), list):
                    continue
                for item in insight_array(data[field], field, "The account's audience"):
                    if isinstance(item, dict) and item.get(key) is not None:
                        value, share = item[key], item.get("percentage")
                        row = {**base, "dimension": dimension, "value": value, "percentage": share}
                        yield conform(row, self.name)
        self.taken()
