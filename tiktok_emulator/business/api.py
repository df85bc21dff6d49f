"""Accounts endpoint semantics on parsed requests: tokens, auth, rate limit, profile, posts,
comments."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from collections.abc import Callable
from typing import Protocol

from tiktok_emulator.business.comments import CommentLists
from tiktok_emulator.business.dataset import BusinessDataset, long_retention
from tiktok_emulator.business.envelope import (
    OK,
    PARTIAL_SUCCESS,
    ApiError,
    failure,
    not_found,
    ok,
)
from tiktok_emulator.business.fields import (
    BUSINESS_DAY_FIELDS,
    BUSINESS_POST_FIELDS,
    DAY_FIELDS,
    DEFAULT_POST_FIELDS,
    DEFAULT_PROFILE_FIELDS,
    DELAYED_POST_FIELDS,
    IDLE_LOST_FIELDS,
    POST_FIELD_SCOPES,
    PROFILE_FIELD_SCOPES,
    REGISTERED_DAY_FIELDS,
    REGISTERED_POST_FIELDS,
)
from tiktok_emulator.business.knobs import Knobs
from tiktok_emulator.business.paging import Pager
from tiktok_emulator.business.params import business_id_param, date_param, fields_param, int_param
from tiktok_emulator.business.render import render
from tiktok_emulator.business.shares import odd_post, odd_profile
from tiktok_emulator.business.tokens import ACCESS_TOKEN_TTL, BusinessTokens, Grant
from tiktok_emulator.faults import Faults
from tiktok_emulator.messages import GATEWAY_PAGE, Request, Response, new_log_id
from tiktok_emulator.ratelimit import SlidingWindowLimiter

PREFIX = "/open_api/v1.3"
TOKEN_PATH = PREFIX + "/tt_user/oauth2/token/"
REFRESH_PATH = PREFIX + "/tt_user/oauth2/refresh_token/"
PROFILE_PATH = PREFIX + "/business/get/"
VIDEO_LIST_PATH = PREFIX + "/business/video/list/"
COMMENT_LIST_PATH = PREFIX + "/business/comment/list/"
LOOKBACK_DAYS = 60
DEFAULT_MAX_COUNT = 10
MAX_COUNT = 20
FRESH_SECONDS = 48 * 3600  # T+24-48 h: a post this young has no counts yet (worst case)
IDLE_SECONDS = 7 * 86400
DAY_ORDER = ("date", *DAY_FIELDS, *BUSINESS_DAY_FIELDS, *REGISTERED_DAY_FIELDS)
# A day that lost one follower net: daily_total_followers is a real -1, not "unavailable".
NET_LOSS = {"daily_total_followers": -1, "daily_new_followers": 3, "daily_lost_followers": 4}


class Backend(Protocol):
    """The state the API answers from and the counters it keeps: BusinessEmulator's."""

    dataset: BusinessDataset
    knobs: Knobs
    faults: Faults
    tokens: BusinessTokens
    limiter: SlidingWindowLimiter
    rate_limit_per_minute: int | None
    app_id: str
    app_secret: str
    redirect_uri: str
    removed_posts: set[str]  # item_ids video/list leaves out, as TikTok does a removed post

    def count(self, path: str, code: int) -> None: ...


class BusinessApi:
    """Answers one request at a time from many threads; shared state lives on the backend."""

    def __init__(self, emulator: Backend):
        self.emu = emulator
        self._pager = Pager(emulator.dataset.post_times_ms)
        self._new_posts = itertools.count()  # numbers the posts of `endless_new_posts`
        self._comments = CommentLists()
        self._routes: dict[tuple[str, str], Callable[[Request], dict]] = {
            ("POST", TOKEN_PATH): self._token,
            ("POST", REFRESH_PATH): self._refresh_token,
            ("GET", PROFILE_PATH): self._authorized(self._profile),
            ("GET", VIDEO_LIST_PATH): self._authorized(self._video_list),
            ("GET", COMMENT_LIST_PATH): self._authorized(self._comment_list),
        }

    def handle(self, request: Request) -> Response | None:
        log_id = new_log_id()
        route = self._routes.get((request.method, request.path))
        if route is None:
            self.emu.count(request.path, 404)
            return not_found(log_id)
        faults = self.emu.faults
        if faults.slow_ms:
            time.sleep(faults.slow_ms / 1000)
        if request.path in (TOKEN_PATH, REFRESH_PATH):
            if faults.take("token_endpoint_errors"):
                return self._failed(request, ApiError(50000), log_id)
        else:
            answered, fault = self._data_call_fault(request, log_id)
            if answered:
                return fault
        try:
            data = route(request)
        except ApiError as error:
            return self._failed(request, error, log_id)
        data_call = request.path not in (TOKEN_PATH, REFRESH_PATH)
        code: object = PARTIAL_SUCCESS if data_call and faults.take("partial_success") else OK
        if request.path == REFRESH_PATH:
            code = faults.token_code
        self.emu.count(request.path, PARTIAL_SUCCESS if code == PARTIAL_SUCCESS else OK)
        answer = ok(data, log_id, code)
        if data_call and faults.take("truncated_bodies"):
            return Response(200, answer.body[: len(answer.body) // 2], log_id)
        return answer

    def _failed(self, request: Request, error: ApiError, log_id: str) -> Response:
        self.emu.count(request.path, error.code)
        return failure(error, log_id)

    def _data_call_fault(self, request: Request, log_id: str) -> tuple[bool, Response | None]:
        """Whether a fault of the shared `Faults` answers this call (None: the connection drops),
        answered the way the API for Business answers."""
        faults = self.emu.faults
        if faults.take("drop_connections"):
            return True, None
        if faults.take("hang_requests"):
            time.sleep(faults.hang_seconds)
        if faults.take("non_json_bodies"):
            page = Response(200, GATEWAY_PAGE, log_id, content_type="text/html; charset=utf-8")
            return True, page
        if faults.take("rate_limit_burst"):
            return True, self._failed(request, ApiError(40100), log_id)
        if faults.take("server_error_burst"):
            return True, self._failed(request, ApiError(50000), log_id)
        if faults.tokens_due_to_die():
            self.emu.tokens.expire_access_tokens()
        faults.note_success()
        return False, None

    def _token(self, request: Request) -> dict:
        body = self._app_body(request, "authorization_code", "auth_code")
        if body.get("redirect_uri") != self.emu.redirect_uri:
            raise ApiError(40002, "redirect_uri does not match the registered redirect URL")
        return self._token_data(self.emu.tokens.exchange(body["auth_code"]))

    def _refresh_token(self, request: Request) -> dict:
        body = self._app_body(request, "refresh_token", "refresh_token")
        return self.emu.faults.token_answer(
            self._token_data(self.emu.tokens.refresh(body["refresh_token"]))
        )

    def _app_body(self, request: Request, grant_type: str, secret_field: str) -> dict:
        """The JSON body of a token call, with the app's credentials and grant checked."""
        try:
            body = json.loads(request.body or b"null")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(40002, "The body must be JSON") from exc
        if not isinstance(body, dict):
            raise ApiError(40002, "The body must be a JSON object")
        missing = [
            f
            for f in ("client_id", "client_secret", "grant_type", secret_field)
            if not isinstance(body.get(f), str) or not body[f]
        ]
        if missing:
            raise ApiError(40002, f"Missing parameters: {missing}")
        if (body["client_id"], body["client_secret"]) != (self.emu.app_id, self.emu.app_secret):
            raise ApiError(40001, "The app id or secret is incorrect.")
        if body["grant_type"] != grant_type:
            raise ApiError(40108)
        return body

    def _token_data(self, grant: Grant) -> dict:
        return {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL,
            "refresh_token": grant.refresh_token,
            "refresh_token_expires_in": grant.refresh_expires_in,
            "open_id": self.emu.dataset.profile["open_id"],
            "scope": grant.scope,
        }

    def _authorized(
        self, handler: Callable[[Request, frozenset[str]], dict]
    ) -> Callable[[Request], dict]:
        """Access-Token header first, then 40 calls a minute per account and endpoint."""

        def route(request: Request) -> dict:
            scopes = self.emu.tokens.scopes_of(request.headers.get("access-token", ""))
            key = f"{self.emu.dataset.profile['open_id']} {request.path}"
            if not self.emu.limiter.admit(key, self.emu.rate_limit_per_minute):
                raise ApiError(40100)
            business_id_param(request, self.emu.dataset.profile["open_id"])
            return handler(request, scopes)

        return route

    def _profile(self, request: Request, scopes: frozenset[str]) -> dict:
        fields = fields_param(request, PROFILE_FIELD_SCOPES, DEFAULT_PROFILE_FIELDS)
        self._check_scopes(fields, PROFILE_FIELD_SCOPES, scopes)
        dataset, knobs = self.emu.dataset, self.emu.knobs
        record = {**dataset.profile, "is_business_account": knobs.account_type != "personal"}
        record = odd_profile(record, knobs)
        if "metrics" in fields:
            start, end = self._dates(request, dataset.today)
            record["metrics"] = self._days(start, end)
        return render(record, fields, (), knobs)

    def _dates(self, request: Request, today: dt.date) -> tuple[dt.date, dt.date]:
        start = date_param(request, "start_date", today - dt.timedelta(days=7))
        end = date_param(request, "end_date", today - dt.timedelta(days=1))
        if start > end:
            raise ApiError(40002, "start_date is after end_date")
        oldest = today - dt.timedelta(days=LOOKBACK_DAYS)
        if start < oldest:
            if self.emu.knobs.old_start_date == "error":
                raise ApiError(40002, f"start_date can be at most {LOOKBACK_DAYS} days back")
            start = oldest
        return start, end

    def _days(self, start: dt.date, end: dt.date) -> list[dict]:
        """Days since the account's creation; today is not out yet and yesterday is partial."""
        dataset, knobs = self.emu.dataset, self.emu.knobs
        yesterday = dataset.today - dt.timedelta(days=1)
        day = max(start, dataset.created)
        days = []
        while day <= min(end, yesterday):
            gaps = {*BUSINESS_DAY_FIELDS, *REGISTERED_DAY_FIELDS} if day == yesterday else set()
            gaps.update(_not_for_account(knobs, BUSINESS_DAY_FIELDS, REGISTERED_DAY_FIELDS))
            record = dataset.day(day)
            if knobs.net_follower_loss and day.toordinal() % 2 == 0:
                record.update(NET_LOSS)
            days.append(render(record, DAY_ORDER, gaps, knobs))
            day += dt.timedelta(days=1)
        if knobs.future_daily_row:
            dated = {**dataset.day(yesterday), "date": knobs.future_daily_row}
            days.append(render(dated, DAY_ORDER, set(), knobs))
        return days

    def _video_list(self, request: Request, scopes: frozenset[str]) -> dict:
        fields = fields_param(request, POST_FIELD_SCOPES, DEFAULT_POST_FIELDS)
        if "item_id" not in fields:
            raise ApiError(40002, "fields must include item_id")
        self._check_scopes(fields, POST_FIELD_SCOPES, scopes)
        max_count = int_param(request, "max_count")
        max_count = DEFAULT_MAX_COUNT if max_count is None else max_count
        if not 1 <= max_count <= MAX_COUNT:
            raise ApiError(40002, f"max_count must be in 1..{MAX_COUNT}")
        if self.emu.faults.endless_new_posts:
            return self._new_post_page(int_param(request, "cursor"), fields)
        knobs = self.emu.knobs
        indices, cursor, has_more = self._pager.page(
            int_param(request, "cursor"),
            max_count,
            knobs.cursor_style == "opaque",
            knobs.short_pages,
        )
        posts = (self._post(index, fields) for index in indices)
        videos = [post for post in posts if post["item_id"] not in self.emu.removed_posts]
        return {"videos": videos, "cursor": cursor, "has_more": has_more}

    def _comment_list(self, request: Request, scopes: frozenset[str]) -> dict:
        return self._comments.page(request, scopes, self.emu.dataset, self.emu.knobs)

    def _new_post_page(self, cursor: int | None, fields: list[str]) -> dict:
        """One post never seen before, a second older than the cursor; has_more forever."""
        dataset = self.emu.dataset
        newest = dataset.post_times_ms[0] if dataset.post_times_ms else dataset.now * 1000
        second = newest // 1000 + 1 if cursor is None else cursor // 1000 - 1
        index = len(dataset.post_times_ms) + next(self._new_posts)
        post = self._post(index, fields, second * 1000)
        return {"videos": [post], "cursor": second * 1000, "has_more": True}

    def _post(self, index: int, fields: list[str], created_ms: int | None = None) -> dict:
        dataset, knobs = self.emu.dataset, self.emu.knobs
        created_ms = dataset.post_times_ms[index] if created_ms is None else created_ms
        age = dataset.now - created_ms // 1000
        gaps = set(_not_for_account(knobs, BUSINESS_POST_FIELDS, REGISTERED_POST_FIELDS))
        if age < FRESH_SECONDS:
            gaps.update(DELAYED_POST_FIELDS)
        if knobs.idle_posts_lose_insights and age > IDLE_SECONDS:
            gaps.update(IDLE_LOST_FIELDS)
        post = dataset.post(index, created_ms)
        if knobs.retention_entries is not None:
            post["video_view_retention"] = long_retention(knobs.retention_entries)
        return render(odd_post(post, knobs), fields, gaps, knobs)

    def _check_scopes(
        self, fields: list[str], needs: dict[str, str], granted: frozenset[str]
    ) -> None:
        for name in fields:
            if needs[name] not in granted:
                code = self.emu.knobs.unscoped_field_code
                raise ApiError(code, f"Scope {needs[name]} is not authorized for field {name}.")


def _not_for_account(
    knobs: Knobs, business_only: tuple[str, ...], registered_only: tuple[str, ...]
) -> tuple[str, ...]:
    """Fields this kind of account does not get: Business-only ones, registered-only ones."""
    if knobs.account_type == "registered":
        return ()
    if knobs.account_type == "business":
        return registered_only
    return (*business_only, *registered_only)
