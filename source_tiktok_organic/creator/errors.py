"""The Display API's envelope: its errors mapped to what the connector does, its data read."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests

from source_tiktok_organic.core.errors import (
    RETRY,
    Answer,
    AnswerHandler,
    Policy,
    read_json,
    safe_text,
    traced_error,
)

# Fields the docs added lately (the Video Object's is_aigc on 2026-08-24), which a deployment may
# not serve yet. Whether TikTok refuses one it does not know is not documented; if it does, the
# call fails whole (invalid_params), so the list asks again without it (creator/streams.py).
LATE_FIELDS = ("is_aigc",)
REAUTHORIZE = "Re-authenticate the source (or paste a fresh refresh token) in its settings."


@dataclass(frozen=True)
class Envelope:
    """A parsed Display API body; `code` is None when it holds no `error` object."""

    data: dict[str, Any] | None  # None when the body is not the expected envelope
    code: str | None = None
    message: str = ""
    log_id: str = ""  # TikTok's id for the request: the error object's, else the header's
    bad_text_at: str | None = None  # where the body holds text UTF-8 cannot carry, if anywhere

    @property
    def ids(self) -> str:
        return f"log_id: {self.log_id or 'none'}"

    def describe(self) -> str:
        if self.code is None:
            return f"no TikTok error object in the body ({self.ids})"
        message = f": {self.message}" if self.message else ""
        return f"TikTok error '{self.code}'{message} ({self.ids})"


RATE_LIMITED = Policy.rate_limited(
    "TikTok's rate limit (600 requests per minute per endpoint) was exceeded, perhaps by another "
    "connection using the same TikTok app."
)
REFRESH = Policy.refresh(f"TikTok rejected the access token even after a refresh. {REAUTHORIZE}")
ERROR_POLICY: Mapping[str, Policy] = {
    "access_token_invalid": REFRESH,
    "scope_not_authorized": Policy.config(
        "The TikTok authorization lacks the scope {scope}. Add the scope to your TikTok app and "
        + REAUTHORIZE
    ),
    "scope_permission_missed": Policy.config(
        "Some requested fields need the scope {scope}, which was not granted. " + REAUTHORIZE
    ),
    "invalid_params": Policy(
        "TikTok refused the request as malformed: this is a bug in the connector, please report "
        "it with the log_id."
    ),
    "rate_limit_exceeded": RATE_LIMITED,
    "internal_error": RETRY,
}
STATUS_POLICY: Mapping[int, Policy] = {401: REFRESH, 429: RATE_LIMITED}


def read_envelope(response: requests.Response) -> Envelope:
    """The body as TikTok's envelope; text UTF-8 cannot carry is found, not silently replaced."""
    body, bad_text_at = read_json(response)
    log_id = response.headers.get("x-tt-logid", "")
    data, error = body.get("data"), body.get("error")
    if not isinstance(error, dict):
        error = None
    return Envelope(
        data=data if isinstance(data, dict) else None,
        code=None if error is None else safe_text(error.get("code")),
        message="" if error is None else safe_text(error.get("message")),
        log_id=log_id if error is None else safe_text(error.get("log_id") or log_id),
        bad_text_at=bad_text_at,
    )


def refused_field(response: requests.Response, answer: Answer) -> str | None:
    """The late field the request asked for and TikTok refused as malformed: TikTok's words for
    an unknown field vary, so an invalid_params whose message names it."""
    if answer.code != "invalid_params" or response.request is None:
        return None
    query = parse_qs(urlsplit(response.request.url or "").query)
    asked = {field for fields in query.get("fields", []) for field in fields.split(",")}
    return next(
        (field for field in LATE_FIELDS if field in asked and field in answer.message.lower()), None
    )


def answer_data(envelope: Envelope, reader: str) -> dict[str, Any]:
    """`data` of an envelope the error handler has already accepted."""
    if envelope.data is None:
        raise traced_error(f"TikTok's answer to {reader} had no data object ({envelope.ids}).")
    return envelope.data


class CreatorErrorHandler(AnswerHandler):
    """Decides from the envelope, not only the status: TikTok's 200s can carry errors."""

    credential_header = "Authorization"
    base_url_field = "api_base_url"
    endpoint_scopes: ClassVar[Mapping[str, str]] = {
        "/v2/video/list/": "video.list",
        "/v2/user/info/": "user.info.basic / user.info.profile / user.info.stats",
    }
    unknown_scope = "needed by {path}"
    ok_code = "ok"
    read = staticmethod(read_envelope)
    fresh_token_rejected = Policy.config(
        "TikTok rejected the access token it had just issued, so another refresh will not help. "
        "Check that the app still has Login Kit and its scopes in the TikTok developer portal, "
        f"then {REAUTHORIZE}"
    )

    def policy_for(self, response: requests.Response, answer: Answer) -> Policy | None:
        """A late field refused is taken: its reader asks again without the field."""
        if refused_field(response, answer) is not None:
            return None
        return super().policy_for(response, answer)

    def table_policy(self, status: int, code: str | None) -> Policy | None:
        return ERROR_POLICY.get(code or "") or STATUS_POLICY.get(status)
