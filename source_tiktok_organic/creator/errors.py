"""The Display API's error envelope mapped to what the connector does: one table, one reader."""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from source_tiktok_organic.core.errors import (
    INVALID_TEXT,
    MALFORMED,
    REDIRECT,
    RETRY,
    UNKNOWN_CLIENT_ERROR,
    AnswerHandler,
    Policy,
    naming,
    safe_text,
    unencodable_text_at,
)
from source_tiktok_organic.core.transport import redirect_target

REAUTHORIZE = "Re-authenticate the source (or paste a fresh refresh token) in its settings."
ENDPOINT_SCOPES = {
    "/v2/video/list/": "video.list",
    "/v2/user/info/": "user.info.basic / user.info.profile / user.info.stats",
}


@dataclass(frozen=True)
class TikTokError:
    """The `error` object TikTok puts in every Display API response."""

    code: str
    message: str
    log_id: str

    def describe(self) -> str:
        message = f": {self.message}" if self.message else ""
        return f"TikTok error '{self.code}'{message} (log_id: {self.log_id or 'none'})"


@dataclass(frozen=True)
class Envelope:
    """A parsed Display API body: `data` is None when the body is not the expected envelope."""

    data: dict[str, Any] | None
    error: TikTokError | None
    # TikTok's id for the request: the error object's, else the `x-tt-logid` header's
    log_id: str = ""
    # where the body holds text UTF-8 cannot carry (a lone surrogate escape), if anywhere
    bad_text_at: str | None = None


RATE_LIMITED = Policy(
    ResponseAction.RATE_LIMITED,
    FailureType.transient_error,
    "TikTok's rate limit (600 requests per minute per endpoint) was exceeded, perhaps by another "
    "connection using the same TikTok app.",
)
ERROR_POLICY: Mapping[str, Policy] = {
    "access_token_invalid": Policy(
        ResponseAction.REFRESH_TOKEN_THEN_RETRY,
        FailureType.config_error,
        f"TikTok rejected the access token even after a refresh. {REAUTHORIZE}",
    ),
    "scope_not_authorized": Policy(
        ResponseAction.FAIL,
        FailureType.config_error,
        "The TikTok authorization lacks the scope {scope}. Add the scope to your TikTok app and "
        + REAUTHORIZE,
    ),
    "scope_permission_missed": Policy(
        ResponseAction.FAIL,
        FailureType.config_error,
        "Some requested fields need the scope {scope}, which was not granted. " + REAUTHORIZE,
    ),
    "invalid_params": Policy(
        ResponseAction.FAIL,
        FailureType.system_error,
        "TikTok refused the request as malformed: this is a bug in the connector, please report "
        "it with the log_id.",
    ),
    "rate_limit_exceeded": RATE_LIMITED,
    "internal_error": RETRY,
}
STATUS_POLICY: Mapping[int, Policy] = {
    401: ERROR_POLICY["access_token_invalid"],
    429: RATE_LIMITED,
}
UNKNOWN_CODE = Policy(
    ResponseAction.FAIL,
    FailureType.system_error,
    "TikTok answered with an error code this connector does not know, so it stops rather than "
    "guess; please report it with the log_id.",
)
FRESH_TOKEN_REJECTED = Policy(
    ResponseAction.FAIL,
    FailureType.config_error,
    "TikTok rejected the access token it had just issued, so another refresh will not help. "
    "Check that the app still has Login Kit and its scopes in the TikTok developer portal, then "
    + REAUTHORIZE,
)


def read_envelope(response: requests.Response) -> Envelope:
    """The body as TikTok's envelope; text UTF-8 cannot carry is found, not silently replaced."""
    header_log_id = response.headers.get("x-tt-logid", "")
    try:
        body = json.loads(response.content)  # keeps a lone surrogate escape, unlike orjson
    except ValueError:
        return Envelope(data=None, error=None, log_id=header_log_id)
    bad_text_at = unencodable_text_at(body)
    if not isinstance(body, dict):
        return Envelope(data=None, error=None, log_id=header_log_id)
    raw_error = body.get("error")
    error = None
    if isinstance(raw_error, dict):
        error = TikTokError(
            code=safe_text(raw_error.get("code")),
            message=safe_text(raw_error.get("message")),
            log_id=safe_text(raw_error.get("log_id") or header_log_id),
        )
    data = body.get("data")
    return Envelope(
        data=data if isinstance(data, dict) else None,
        error=error,
        log_id=error.log_id if error else header_log_id,
        bad_text_at=bad_text_at,
    )


def naming_log_id(log_id: str) -> AbstractContextManager[None]:
    return naming(f"log_id: {log_id or 'none'}")


def policy_for(response: requests.Response) -> Policy | None:
    """None means success: HTTP 2xx, error code `ok` and a `data` object."""
    if 300 <= response.status_code < 400:
        return REDIRECT
    envelope = read_envelope(response)
    if envelope.bad_text_at is not None:
        return INVALID_TEXT
    code = envelope.error.code if envelope.error else ""
    if code in ERROR_POLICY:
        return ERROR_POLICY[code]
    if response.status_code in STATUS_POLICY:
        return STATUS_POLICY[response.status_code]
    if response.status_code >= 500:
        return RETRY
    if response.status_code >= 400:
        return UNKNOWN_CLIENT_ERROR
    if code == "ok" and envelope.data is not None:
        return None
    if code and code != "ok":
        return UNKNOWN_CODE
    return MALFORMED


def explain(response: requests.Response, policy: Policy, field: str) -> str:
    """A message a person can act on, always with TikTok's code and log_id, never with a secret."""
    path = urlsplit(response.url or "").path
    envelope = read_envelope(response)
    advice = policy.advice.format(
        scope=ENDPOINT_SCOPES.get(path, "needed by " + path),
        location=redirect_target(response),
        text_at=envelope.bad_text_at,
        field=field,
    )
    if envelope.error is not None:
        detail = envelope.error.describe()
    else:
        detail = f"no TikTok error object in the body (log_id: {envelope.log_id or 'none'})"
    return f"{advice} {path} answered HTTP {response.status_code}; {detail}."


class CreatorErrorHandler(AnswerHandler):
    """Decides from the envelope, not only the status: TikTok's 200s can carry errors."""

    credential_header = "Authorization"
    base_url_field = "api_base_url"
    fresh_token_rejected = FRESH_TOKEN_REJECTED

    def policy_for(self, response: requests.Response) -> Policy | None:
        return policy_for(response)

    def explain(self, response: requests.Response, policy: Policy) -> str:
        return explain(response, policy, self.base_url_field)
