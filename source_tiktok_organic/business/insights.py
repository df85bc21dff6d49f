"""Business-mode streams of their own: the profile's daily metrics and its audience snapshots.

Both read GET /open_api/v1.3/business/get/ ("Get profile data of a TikTok account") and need
the scope user.insights; without it they write no rows and say why, and the other streams go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Any

import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.core import StreamData

from source_tiktok_organic.business.auth import business_id
from source_tiktok_organic.business.envelope import business_data
from source_tiktok_organic.business.fields import json_list
from source_tiktok_organic.business.records import insight_array
from source_tiktok_organic.business.streams import PROFILE_PATH
from source_tiktok_organic.business.unavailable import honest_row
from source_tiktok_organic.core.cursor import ISO_DATE
from source_tiktok_organic.core.errors import config_error, naming, traced_error
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.core.state import SNAPSHOT_FIELD
from source_tiktok_organic.core.streams import GuardedState, SnapshotStream

INSIGHTS_SCOPE = "user.insights"
# business/get reaches at most 60 days back; TikTok fills a day in 24-48 h late, so each sync
# reads the last days it already has again.
LOOKBACK_LIMIT_DAYS = 60
REREAD_DAYS = 3
DATE_FIELD = "date"
AUDIENCES = {  # field -> (dimension, the key of its value)
    "audience_ages": ("age", "age"),
    "audience_genders": ("gender", "gender"),
    "audience_countries": ("country", "country"),
    "audience_cities": ("city", "city_name"),
}
AUDIENCE_OWNER = "The account's audience"  # who the shares describe, in warnings


def insights_granted(stream: GuardedState) -> bool:
    """Whether the grant holds user.insights; without it the stream says so and writes no row."""
    if INSIGHTS_SCOPE in stream.context.auth.granted_scopes():
        return True
    stream.logger.warning(
        "Stream %s is unavailable: the scope '%s' is not granted. Add it to your TikTok API "
        "for Business app and re-authorize the account to sync it; the other streams go on.",
        stream.name,
        INSIGHTS_SCOPE,
    )
    return False


def profile_answer(stream: GuardedState, params: Mapping[str, Any]) -> requests.Response:
    """The stream's one business/get call."""
    reader = stream.context.api.client(stream.name, stream.logger)
    return reader.send("GET", PROFILE_PATH, params)


class DailyMetrics(GuardedState):
    """The profile's metrics day by day (views, profile views, likes, followers, ...)."""

    name = "daily_metrics"

    state_cursors = MappingProxyType({DATE_FIELD: ISO_DATE})

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", DATE_FIELD]

    _saved: date | None = None  # the newest day a past sync read
    _latest: date | None = None  # the newest day this sync read
    _window: tuple[date, date] | None = None  # the days this sync asks for

    @property
    def cursor_field(self) -> str:
        return DATE_FIELD

    def current_state(self) -> Mapping[str, Any]:
        latest = max((day for day in (self._saved, self._latest) if day), default=None)
        return {DATE_FIELD: latest.isoformat()} if latest else {}

    def restore_state(self, saved: Any) -> None:
        self._saved = parse_date_state(saved)

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if sync_mode != SyncMode.incremental:
            self._saved = None
        if not insights_granted(self):
            return
        self._window = self.window()
        if self._window is None:
            return
        yield from self.parse_response(profile_answer(self, self.request_params()))

    def window(self) -> tuple[date, date] | None:
        """From the day after the last one read, less the days TikTok may still fill in, to
        yesterday (today's numbers are not out), and never beyond TikTok's 60 days."""
        today = datetime.fromisoformat(self.context.snapshot_at).date()
        oldest, end = today - timedelta(days=LOOKBACK_LIMIT_DAYS), today - timedelta(days=1)
        start = oldest
        if self._saved is not None:
            start = self._saved - timedelta(days=REREAD_DAYS - 1)
            if start < oldest:
                self.logger.warning(
                    "Stream daily_metrics was last synced up to %s, more than %s days ago: TikTok "
                    "keeps only the last %s days, so the days from %s to %s are lost.",
                    self._saved.isoformat(),
                    LOOKBACK_LIMIT_DAYS,
                    LOOKBACK_LIMIT_DAYS,
                    (self._saved + timedelta(days=1)).isoformat(),
                    (oldest - timedelta(days=1)).isoformat(),
                )
                start = oldest
        if self.context.settings.start_time is not None:
            start = max(start, datetime.fromtimestamp(self.context.settings.start_time, UTC).date())
            if start > end:
                self.logger.warning(
                    "Config field 'start_date' is %s, after yesterday (%s), TikTok's newest day: "
                    "daily_metrics has no day to read until then.",
                    start.isoformat(),
                    end.isoformat(),
                )
        return (start, end) if start <= end else None

    def request_params(self) -> Mapping[str, Any]:
        assert self._window is not None
        start, end = self._window
        return {
            "business_id": business_id(self.context.auth),
            "fields": json_list(["metrics"]),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }

    def parse_response(self, response: requests.Response) -> Iterable[Mapping[str, Any]]:
        data, envelope = business_data(response, self.name)
        owner = business_id(self.context.auth)
        with naming(envelope.ids):
            days = data.get("metrics") or []
            if not isinstance(days, list) or not all(isinstance(day, dict) for day in days):
                raise traced_error(f"TikTok's daily metrics are not a list of days: {days!r:.80}")
            for day in days:
                record = honest_row(day)
                record["open_id"] = owner
                conform(record, self.name)
                day = parse_day(record.get(DATE_FIELD))
                newer = self._latest is None or day > self._latest
                if newer and self.moves_cursor(
                    day.isoformat(), ISO_DATE, f"Daily metrics row {day}"
                ):
                    self._latest = day
                yield record


class AudienceSnapshots(SnapshotStream):
    """The profile's audience by age, gender, country and city: one row per value per sync."""

    name = "audience_snapshots"

    @property
    def primary_key(self) -> list[str]:
        return ["open_id", SNAPSHOT_FIELD, "dimension", "value"]

    def read_records(self, sync_mode: SyncMode, *_: Any, **__: Any) -> Iterable[StreamData]:
        if not insights_granted(self):
            return
        yield from self.parse_response(profile_answer(self, self.request_params()))
        self.taken()

    def request_params(self) -> Mapping[str, Any]:
        return {"business_id": business_id(self.context.auth), "fields": json_list(AUDIENCES)}

    def parse_response(self, response: requests.Response) -> Iterable[Mapping[str, Any]]:
        data, _envelope = business_data(response, self.name)
        shares = {
            field: insight_array(data[field], field, AUDIENCE_OWNER)
            for field in AUDIENCES
            if isinstance(data.get(field), list)
        }
        base = {"open_id": business_id(self.context.auth), SNAPSHOT_FIELD: self.context.snapshot_at}
        for field, items in shares.items():
            dimension, key = AUDIENCES[field]
            for item in items:
                if isinstance(item, dict) and item.get(key) is not None:
                    share = item.get("percentage")
                    row = {**base, "dimension": dimension, "value": item[key], "percentage": share}
                    yield conform(row, self.name)


def parse_day(raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise traced_error(f"TikTok sent a daily metrics row whose date is {raw!r:.40}.") from None


def parse_date_state(raw: Mapping[str, Any] | None) -> date | None:
    if not raw or raw.get(DATE_FIELD) is None:
        return None
    try:
        return date.fromisoformat(str(raw[DATE_FIELD]))
    except ValueError:
        raise config_error(
            f"The saved state of stream 'daily_metrics' is invalid: '{DATE_FIELD}' must be "
            f"YYYY-MM-DD, got {raw[DATE_FIELD]!r}. Fix the state in the connection's settings or "
            "reset the stream."
        ) from None
