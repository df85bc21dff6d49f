"""TikTok endpoint semantics and fault injection, on parsed requests (no sockets here)."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from typing import Protocol
from urllib.parse import parse_qs

from tiktok_emulator.catalog import Catalog, Snapshot
from tiktok_emulator.dataset import AIGC_FIELD, USER_FIELD_SCOPES, VIDEO_FIELDS, Dataset
from tiktok_emulator.faults import Faults
from tiktok_emulator.messages import (
    GATEWAY_PAGE,
    Request,
    Response,
    api_response,
    json_response,
    new_log_id,
    token_error,
)
from tiktok_emulator.ratelimit import SlidingWindowLimiter
from tiktok_emulator.tokens import TokenStore

TOKEN_PATH = "/v2/oauth/token/"
USER_INFO_PATH = "/v2/user/info/"
VIDEO_LIST_PATH = "/v2/video/list/"
ADMIN_PREFIX = "/_emulator/"
DEFAULT_MAX_COUNT = 10
MAX_COUNT = 20


class InvalidParamsError(Exception):
    """A malformed request: answered 400 invalid_params."""


class Backend(Protocol):
    """The state the API answers from and the counters it keeps: TikTokEmulator's."""

    dataset: Dataset
    catalog: Catalog
    faults: Faults
    tokens: TokenStore
    limiter: SlidingWindowLimiter
    latency_ms: int
    rate_limit_per_minute: int | None
    retry_after_header: float | None
    client_key: str
    client_secret: str

    def count_request(self, path: str) -> None: ...

    def in_flight(self, path: str) -> AbstractContextManager[None]: ...

    def count_status(self, path: str, status: int) -> None: ...

    def sleep(self, seconds: float) -> None: ...

    def reset_counts(self) -> None: ...

    def stats(self) -> dict: ...


class TikTokApi:
    """Answers one request at a time from many threads; shared state lives on the backend."""

    def __init__(self, emulator: Backend, seed: int):
        self.emu = emulator
        self._routes: dict[tuple[str, str], Callable[[Request, frozenset[str], str], Response]] = {
            ("GET", USER_INFO_PATH): self._user_info,
            ("POST", VIDEO_LIST_PATH): self._video_list,
        }
        self._rng = random.Random(seed)
        self._list_lock = threading.Lock()
        self._since_empty = 0
        self._last_empty_key: tuple | None = None
        self._last_page: dict | None = None

    def handle(self, request: Request) -> Response | None:
        """None means: drop the connection without answering."""
        if request.path.startswith(ADMIN_PREFIX):
            return self._admin(request)
        self.emu.count_request(request.path)
        with self.emu.in_flight(request.path):
            response = self._tiktok(request)
        if response is not None:
            self.emu.count_status(request.path, response.status)
        return response

    def _tiktok(self, request: Request) -> Response | None:
        log_id = new_log_id()
        faults = self.emu.faults
        delay_ms = self.emu.latency_ms + faults.slow_ms
        if delay_ms > 0:
            self.emu.sleep(delay_ms / 1000)
        if faults.take("redirects"):
            moved = Response(307, b"", log_id)
            moved.headers["Location"] = faults.redirect_to + request.path
            return moved
        if (request.method, request.path) == ("POST", TOKEN_PATH):
            if faults.take("token_endpoint_errors"):
                return token_error("server_error", "Internal server error.", log_id, status=500)
            answer = self._token(request, log_id)
            if faults.take("drip_token_bodies"):
                answer.drip_seconds = faults.drip_seconds
            if faults.take("drip_token_heads"):
                answer.drip_seconds, answer.drip_head = faults.drip_seconds, True
            return answer
        handler = self._routes.get((request.method, request.path))
        if handler is None:
            message = f"Unknown endpoint: {request.method} {request.path}"
            return api_response("invalid_params", log_id, message=message, status=404)

        if faults.take("drop_connections"):
            return None
        if faults.take("hang_requests"):
            self.emu.sleep(faults.hang_seconds)
        if faults.take("non_json_bodies"):
            return Response(200, GATEWAY_PAGE, log_id, content_type="text/html; charset=utf-8")
        if faults.take("rate_limit_burst") or not self.emu.limiter.admit(
            request.path, self.emu.rate_limit_per_minute
        ):
            return self._rate_limited(log_id)
        if faults.take("server_error_burst"):
            return api_response("internal_error", log_id)
        if request.path == VIDEO_LIST_PATH and faults.take("undocumented_codes"):
            return api_response("quota_reshuffled", log_id, message="New in 2027.", status=200)
        if faults.tokens_due_to_die():
            self.emu.tokens.expire_access_tokens()

        scopes = self.emu.tokens.scopes_of(_bearer(request))
        if scopes is None:
            response = api_response("access_token_invalid", log_id)
        else:
            try:
                response = handler(request, scopes, log_id)
            except InvalidParamsError as exc:
                response = api_response("invalid_params", log_id, message=str(exc))
        if response.status == 200:
            faults.note_success()
        if faults.take("truncated_bodies"):
            return Response(200, response.body[: len(response.body) // 2], log_id)
        if faults.take("drip_bodies"):
            response.drip_seconds = faults.drip_seconds
        if faults.take("drip_heads"):
            response.drip_seconds, response.drip_head = faults.drip_seconds, True
        return response

    def _rate_limited(self, log_id: str) -> Response:
        response = api_response("rate_limit_exceeded", log_id)
        if self.emu.retry_after_header is not None:
            response.headers["Retry-After"] = str(self.emu.retry_after_header)
        return response

    def _token(self, request: Request, log_id: str) -> Response:
        if "json" in request.headers.get("content-type", "") or request.body.lstrip()[:1] in (
            b"{",
            b"[",
        ):
            return token_error("invalid_request", "The body must be form-encoded.", log_id)
        form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
        missing = [f for f in ("client_key", "client_secret", "grant_type") if not form.get(f)]
        if missing:
            return token_error("invalid_request", f"Missing parameters: {missing}.", log_id)
        if (form["client_key"], form["client_secret"]) != (
            self.emu.client_key,
            self.emu.client_secret,
        ):
            return token_error("invalid_client", "Client key or secret is incorrect.", log_id)
        if form["grant_type"] != "refresh_token":
            return token_error(
                "unsupported_grant_type", f"Unsupported grant_type {form['grant_type']!r}.", log_id
            )
        if not form.get("refresh_token"):
            return token_error("invalid_request", "Missing parameters: ['refresh_token'].", log_id)
        pair = self.emu.tokens.refresh(form["refresh_token"])
        if pair is None:
            return token_error("invalid_grant", "Refresh token is invalid or expired.", log_id)
        body = {
            "access_token": pair.access_token,
            "expires_in": pair.expires_in,
            "open_id": self.emu.dataset.profile.get("open_id", ""),
            "refresh_token": pair.refresh_token,
            "refresh_expires_in": pair.refresh_expires_in,
            "scope": pair.scope,
            "token_type": "Bearer",
        }
        return json_response(200, self.emu.faults.token_answer(body), log_id)

    def _user_info(self, request: Request, scopes: frozenset[str], log_id: str) -> Response:
        fields = _fields(request, USER_FIELD_SCOPES)
        if any(USER_FIELD_SCOPES[f] not in scopes for f in fields):
            return api_response("scope_not_authorized", log_id)
        profile = self.emu.dataset.profile
        return api_response("ok", log_id, {"user": _project(profile, fields)})

    def _video_list(self, request: Request, scopes: frozenset[str], log_id: str) -> Response:
        if "video.list" not in scopes:
            return api_response("scope_not_authorized", log_id)
        fields = self._video_fields(request)
        body = _json_object(request.body)
        max_count = body.get("max_count")
        max_count = DEFAULT_MAX_COUNT if max_count is None else max_count
        if not _is_int(max_count) or not 1 <= max_count <= MAX_COUNT:
            raise InvalidParamsError(f"max_count must be an integer in 1..{MAX_COUNT}")
        cursor = body.get("cursor")
        if cursor is not None and not _is_int(cursor):
            raise InvalidParamsError("cursor must be an integer (UTC Unix time in milliseconds)")
        return api_response("ok", log_id, self._page(cursor, max_count, fields))

    def _video_fields(self, request: Request) -> tuple[str, ...]:
        """The fields asked for that the answer carries, as the deployment treats is_aigc."""
        variant = self.emu.faults.aigc
        others = tuple(field for field in VIDEO_FIELDS if field != AIGC_FIELD)
        fields = _fields(request, others if variant == "unknown" else VIDEO_FIELDS)
        return tuple(field for field in fields if field != AIGC_FIELD or variant == "served")

    def _page(self, cursor: int | None, max_count: int, fields: tuple[str, ...]) -> dict:
        """One video/list page, with the list faults applied in a fixed order.

        The returned cursor is the create_time (in ms) of the oldest video on the page, and the
        next page holds videos strictly older than it. This is the pessimistic reading of the
        docs: when several videos share a second and the page ends inside that second, a client
        that just follows the cursor never sees the rest of that second. Kept on purpose, the
        connector has to guard against it.
        """
        faults = self.emu.faults
        with self._list_lock:
            if faults.cursor_stuck() and self._last_page is not None:
                return {**self._last_page, "has_more": True}
            if faults.endless_empty_pages and cursor is not None:
                return {"videos": [], "cursor": cursor - 1000, "has_more": True}
            snapshot = self.emu.catalog.snapshot
            if faults.endless_new_posts:
                second = _top_cursor(snapshot) // 1000 if cursor is None else cursor // 1000 - 1
                new = self.emu.catalog.unlisted_video(second)
                return {
                    "videos": [_project(new, fields)],
                    "cursor": second * 1000,
                    "has_more": True,
                }
            key = (cursor, max_count, fields)
            if faults.empty_page_every:
                self._since_empty += 1
                if self._since_empty >= faults.empty_page_every and key != self._last_empty_key:
                    self._since_empty = 0
                    self._last_empty_key = key
                    echoed = _top_cursor(snapshot) if cursor is None else cursor
                    return {"videos": [], "cursor": echoed, "has_more": True}
            self._last_empty_key = None
            size = self._rng.randint(1, max_count) if faults.short_pages else max_count
            start = snapshot.start_before(cursor)
            duplicate = faults.duplicate_across_pages and cursor is not None and start > 0
            real = snapshot.videos[start : start + (max(1, size - 1) if duplicate else size)]
            page = [snapshot.videos[start - 1], *real] if duplicate and real else list(real)
            end = start + len(real)
            data = {
                "videos": [_project(v, fields) for v in page],
                "cursor": real[-1]["create_time"] * 1000 if real else (cursor or 0),
                "has_more": end < len(snapshot.videos),
            }
            self._last_page = data
            return data

    def _admin(self, request: Request) -> Response:
        """Not TikTok: lets out-of-process benchmarks read and zero the request counters."""
        log_id = new_log_id()
        if (request.method, request.path) == ("POST", ADMIN_PREFIX + "reset"):
            self.emu.reset_counts()
        elif (request.method, request.path) != ("GET", ADMIN_PREFIX + "stats"):
            return api_response(
                "invalid_params", log_id, message="Unknown admin endpoint", status=404
            )
        return json_response(200, self.emu.stats(), log_id)


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _fields(request: Request, known: Collection[str]) -> tuple[str, ...]:
    raw = request.query.get("fields", "")
    fields = tuple(dict.fromkeys(f.strip() for f in raw.split(",") if f.strip()))
    if not fields:
        raise InvalidParamsError("fields is required")
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise InvalidParamsError(f"Unknown fields: {','.join(unknown)}")
    return fields


def _json_object(body: bytes) -> dict:
    """An empty body counts as `{}`: every body parameter is optional somewhere."""
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidParamsError("The request body must be JSON") from exc
    if not isinstance(parsed, dict):
        raise InvalidParamsError("The request body must be a JSON object")
    return parsed


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _project(record: dict, fields: tuple[str, ...]) -> dict:
    """Only the requested fields; a field the record lacks stays absent, as TikTok does."""
    return {f: record[f] for f in fields if f in record}


def _top_cursor(snapshot: Snapshot) -> int:
    """A cursor that lists from the newest video: what an absent cursor means."""
    return (snapshot.videos[0]["create_time"] + 1) * 1000 if snapshot.videos else 0
