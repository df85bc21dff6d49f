"""The API for Business's envelope (HTTP 200 with an integer `code`, a `request_id` and `data`),
its codes mapped to what the connector does, and how long it waits after a rate limit."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from source_tiktok_organic.core.backoff import Answer as Attempt
from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.errors import (
    RETRY,
    UNKNOWN_CODE,
    Answer,
    AnswerHandler,
    Policy,
    naming,
    read_json,
    safe_text,
    traced_error,
)
from source_tiktok_organic.core.numbers import whole_number

LOG_ID_HEADER = "X-Tt-Logid"
OK = 0
PARTIAL_SUCCESS = 20001
read_code = whole_number  # TikTok's integer `code`, also when it comes as a digit string or 0.0


@dataclass(frozen=True)
class BusinessEnvelope:
    """A parsed answer; `code` is None when the body is not the envelope at all."""

    code: int | None
    message: str
    request_id: str
    logid: str  # the X-Tt-Logid header, TikTok's other id for the same call
    data: dict[str, Any] | None
    bad_text_at: str | None = None

    @property
    def ids(self) -> str:
        """Both of TikTok's ids for the call, as TikTok support asks for them."""
        return f"request_id: {self.request_id or 'none'}, {LOG_ID_HEADER}: {self.logid or 'none'}"

    def describe(self) -> str:
        if self.code is None:
            return f"no API for Business envelope in the body ({self.ids})"
        message = f": {self.message}" if self.message else ""
        return f"TikTok API for Business code {self.code}{message} ({self.ids})"


def read_business_envelope(response: requests.Response) -> BusinessEnvelope:
    """Never raises: what the body lacks is left None, for the error policy to judge."""
    body, bad_text_at = read_json(response)
    data = body.get("data")
    return BusinessEnvelope(
        code=read_code(body.get("code")),
        message=safe_text(body.get("message")),
        request_id=safe_text(body.get("request_id")),
        logid=response.headers.get(LOG_ID_HEADER, ""),
        data=data if isinstance(data, dict) else None,
        bad_text_at=bad_text_at,
    )


@contextmanager
def business_data(
    response: requests.Response, reader: str
) -> Iterator[tuple[dict[str, Any], BusinessEnvelope]]:
    """`data` of an answer the error handler accepted; what goes wrong reading it names the call."""
    envelope = read_business_envelope(response)
    if envelope.data is None:
        raise traced_error(f"TikTok's answer to {reader} had no data object ({envelope.ids}).")
    with naming(envelope.ids):
        yield envelope.data, envelope


REAUTHORIZE = (
    "re-authorize the account in your TikTok API for Business app and paste the new refresh "
    "token into the source's settings."
)
# The per-minute window is 40 calls per account and endpoint; the docs ask to wait about five
# minutes after a 40100 ("Rate limit" page), which BusinessBackoff does.
RATE_LIMITED_CODES = frozenset({40100, 40132})
RATE_LIMIT_WAIT_SECONDS = 300.0
RATE_LIMIT_JITTER = 0.1
RATE_LIMITED = Policy.rate_limited(
    "TikTok's API for Business rate limit (40 calls a minute per account and endpoint) was "
    "exceeded, perhaps by another connection to the same account."
)
REFRESH = Policy.refresh(f"TikTok rejected the access token even after a refresh: {REAUTHORIZE}")
SCOPE_MISSING = Policy.config(
    "The TikTok authorization lacks a scope {scope} needs. Grant it in your TikTok API for "
    f"Business app, then {REAUTHORIZE}"
)
MALFORMED_REQUEST = Policy(
    "TikTok refused the request as malformed: this is a bug in the connector, please report it "
    "with the ids below."
)
OFFLINE = Policy(
    "TikTok has taken this endpoint or one of its fields offline: the connector needs an update; "
    "please report it with the ids below."
)
CODE_POLICY: Mapping[int, Policy] = {
    **dict.fromkeys(RATE_LIMITED_CODES, RATE_LIMITED),
    **dict.fromkeys((40102, 40104, 40105), REFRESH),
    40001: Policy.config(
        "TikTok says this app may not read this account (no permission). Check that the app has "
        f"the TikTok Accounts permission and that the account authorized it; {REAUTHORIZE}"
    ),
    **dict.fromkeys((40130, 40131), SCOPE_MISSING),
    **dict.fromkeys((40000, 40002), MALFORMED_REQUEST),
    **dict.fromkeys((41001, 41002), OFFLINE),
    **dict.fromkeys((50000, 50002), RETRY),
}
NOT_FOUND = Policy.config("This host has no such API for Business endpoint. Check '{field}'.")
COMMENT_LIST_PATH = "/open_api/v1.3/business/comment/list/"
# What TikTok may answer for one post's comments (turned off, a post the endpoint may not read:
# undocumented): taken, for the comments stream to skip that post rather than fail the sync.
POST_REFUSALS = frozenset({40000, 40001, 40002, 40130, 40131})


def is_rate_limited(answer: object) -> bool:
    return (
        isinstance(answer, requests.Response)
        and read_business_envelope(answer).code in RATE_LIMITED_CODES
    )


class BusinessErrorHandler(AnswerHandler):
    """The shared handler (retries, deadlines, refresh once) on the API for Business's codes."""

    credential_header = "Access-Token"
    base_url_field = "business_api_base_url"
    endpoint_scopes: ClassVar[Mapping[str, str]] = {
        "/open_api/v1.3/business/get/": "user.info.basic / user.info.stats / user.insights",
        "/open_api/v1.3/business/video/list/": "video.list / video.insights",
    }
    unknown_scope = "the endpoint {path}"
    ok_code = OK
    read = staticmethod(read_business_envelope)
    fresh_token_rejected = Policy.config(
        "TikTok rejected the access token it had just issued, so another refresh will not help. "
        f"Check that the app still has the TikTok Accounts permission, then {REAUTHORIZE}"
    )

    def table_policy(self, status: int, code: Any) -> Policy | None:
        if code in CODE_POLICY:
            return CODE_POLICY[code]
        if status == 429:
            return RATE_LIMITED
        if code is not None and 51000 <= code < 52000:
            return RETRY
        return NOT_FOUND if status == 404 else None

    def policy_for(self, response: requests.Response, answer: Answer) -> Policy | None:
        """A partial success, a code the shared rules do not know, is taken and said so; a
        post's comments refused is taken for the stream to judge."""
        policy = super().policy_for(response, answer)
        path = urlsplit(response.url or "").path
        if policy is not None and path == COMMENT_LIST_PATH and answer.code in POST_REFUSALS:
            return None
        if policy is not UNKNOWN_CODE or answer.code != PARTIAL_SUCCESS or answer.data is None:
            return policy
        message = f": {answer.message}" if answer.message else ""
        self.logger.warning(
            "TikTok answered %s with a partial success (code %d%s). Its records are kept, but "
            "some of what was asked for may be missing (%s).",
            path,
            PARTIAL_SUCCESS,
            message,
            answer.ids,
        )
        return None


class BusinessBackoff(TikTokBackoff):
    """A 40100 waits out TikTok's penalty, spread by ±10% so parallel syncs do not return at once."""

    def wait(self, response_or_exception: Attempt, attempt_count: int) -> float:
        if is_rate_limited(response_or_exception):
            spread = self._rng.uniform(1 - RATE_LIMIT_JITTER, 1 + RATE_LIMIT_JITTER)
            return RATE_LIMIT_WAIT_SECONDS * spread
        return super().wait(response_or_exception, attempt_count)

    def longest_wait(self, answer: object) -> float:
        if is_rate_limited(answer):
            return RATE_LIMIT_WAIT_SECONDS * (1 + RATE_LIMIT_JITTER)
        return super().longest_wait(answer)
