"""HTTP request/response values and the TikTok body shapes, independent of the socket layer."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

JSON_TYPE = "application/json; charset=utf-8"

MESSAGES = {
    "ok": "",
    "access_token_invalid": "The access token is invalid or not found in the request.",
    "scope_not_authorized": "The user did not authorize the scope required for completing "
    "this request.",
    "invalid_params": "The request parameters are invalid.",
    "rate_limit_exceeded": "The API rate limit was exceeded. Please try again later.",
    "internal_error": "Something went wrong. Please try again later.",
}
STATUS = {
    "ok": 200,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "invalid_params": 400,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}

GATEWAY_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
    b"</h1></center><hr><center>gateway</center></body></html>"
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes
    log_id: str
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    drip_seconds: float = 0.0  # when set, the body goes out one byte at a time, this far apart
    drip_head: bool = False  # the status line and headers drip instead, the body comes at once


def new_log_id() -> str:
    """Shaped like TikTok's: UTC timestamp then uppercase hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(10).upper()


def to_json(payload: object) -> bytes:
    try:
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (a test's glitch) goes out escaped
        return json.dumps(payload, separators=(",", ":")).encode("ascii")


def json_response(status: int, payload: object, log_id: str) -> Response:
    return Response(status, to_json(payload), log_id)


def api_response(
    code: str, log_id: str, data: dict | None = None, message: str = "", status: int | None = None
) -> Response:
    """Display API envelope; the HTTP status follows the error code unless given."""
    error = {"code": code, "message": message or MESSAGES[code], "log_id": log_id}
    return json_response(status or STATUS[code], {"data": data or {}, "error": error}, log_id)


def token_error(error: str, description: str, log_id: str, status: int = 200) -> Response:
    """OAuth errors come back with HTTP 200, so clients must look for `access_token`."""
    body = {"error": error, "error_description": description, "log_id": log_id}
    return json_response(status, body, log_id)
