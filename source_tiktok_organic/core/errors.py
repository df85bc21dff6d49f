"""TikTok's error envelope mapped to what the connector does: one policy table, one translator."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.deadlines import read_body
from source_tiktok_organic.core.transport import (
    DEFAULT_API_HOST,
    redirect_target,
    unreachable_failure_type,
    unreachable_message,
    unreachable_reason,
)

if TYPE_CHECKING:  # the backoff reads this module's policies: no import at run time
    from source_tiktok_organic.core.backoff import TikTokBackoff

MAX_RETRIES = 8
WAITED = frozenset({ResponseAction.RETRY, ResponseAction.RATE_LIMITED})  # backoff comes first
MAX_RETRY_TIME = timedelta(minutes=10)
# A host that refuses or does not resolve will not start answering within a 10-minute budget:
# give up after this many attempts in a row (about 15 s of backoff).
UNREACHABLE_ATTEMPTS = 5
REAUTHORIZE = "Re-authenticate the source (or paste a fresh refresh token) in its settings."
ENDPOINT_SCOPES = {
    "/v2/video/list/": "video.list",
    "/v2/user/info/": "user.info.basic / user.info.profile / user.info.stats",
}


def traced_error(
    message: str, failure_type: FailureType = FailureType.system_error
) -> AirbyteTracedException:
    """The same text for users and logs, so the sync's failure summary says what went wrong."""
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=failure_type
    )


def config_error(message: str) -> AirbyteTracedException:
    return traced_error(message, FailureType.config_error)


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


@dataclass(frozen=True)
class Policy:
    action: ResponseAction
    failure_type: FailureType
    advice: str


RETRY = Policy(ResponseAction.RETRY, FailureType.transient_error, "TikTok had a passing fault.")
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
MALFORMED = Policy(
    ResponseAction.RETRY,
    FailureType.transient_error,
    "TikTok answered with a body that is not its JSON envelope.",
)
UNKNOWN_CLIENT_ERROR = Policy(
    ResponseAction.FAIL, FailureType.system_error, "TikTok refused the request."
)
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
INVALID_TEXT = Policy(
    ResponseAction.FAIL,
    FailureType.system_error,
    "TikTok's answer holds text that is not valid Unicode (a lone surrogate) at {text_at}, which "
    "no destination can store; the sync stops rather than alter it. Please report it with the "
    "log_id.",
)
REDIRECT = Policy(
    ResponseAction.FAIL,
    FailureType.config_error,
    "TikTok's answer redirected to {location}, which the connector does not follow: the access "
    "token or the data would come from another host. Check '{field}'.",
)
NETWORK = Policy(
    ResponseAction.RETRY, FailureType.transient_error, "The connection to TikTok failed."
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


def safe_text(value: Any) -> str:
    """TikTok's words as they can go into a message (a lone surrogate would break its emission)."""
    return str(value or "").encode("utf-8", "backslashreplace").decode("utf-8")


def unencodable_text_at(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) that UTF-8 cannot encode, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "(the body)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            # the path goes into a message, which must itself be valid text
            name = safe_text(key)
            where = f"{path}.{name}" if path else name
            found = unencodable_text_at(key, where) or unencodable_text_at(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = unencodable_text_at(item, f"{path}[{index}]")
            if found:
                return found
    return None


@contextmanager
def naming(ids: str) -> Iterator[None]:
    """What goes wrong while reading one TikTok answer names TikTok's ids for the call, as TikTok
    support asks: "log_id: ..." (Display API) or "request_id: ..., X-Tt-Logid: ..." (Business)."""
    try:
        yield
    except AirbyteTracedException as error:
        if ids.split(":", 1)[0] not in (error.message or ""):
            error.message = f"{error.message} ({ids})"
            error.internal_message = f"{error.internal_message} ({ids})"
        raise


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


def sent_credential(response: requests.Response, header: str) -> object:
    """The credential header a request carried: only ever compared with another, never shown."""
    return response.request.headers.get(header) if response.request else None


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


class TikTokErrorHandler(ErrorHandler):
    """Decides from the envelope, not only the status: TikTok's 200s can carry errors.

    The Display API's envelope and policy by default; business mode swaps in its own.
    """

    credential_header = "Authorization"
    base_url_field = "api_base_url"
    fresh_token_rejected = FRESH_TOKEN_REJECTED

    def __init__(
        self,
        logger: logging.Logger,
        api_base_url: str = "https://" + DEFAULT_API_HOST,
        on_rate_limit: Callable[[], None] = lambda: None,
        request_timeout: float = 60.0,
        backoff: TikTokBackoff | None = None,
    ) -> None:
        self._logger = logger
        self._backoff = backoff  # draws on the sync's allowance of waiting, when given
        self._request_timeout = request_timeout
        self._api_base_url = api_base_url
        self._on_rate_limit = on_rate_limit
        self._unreachable_in_a_row = 0
        # The access token TikTok last rejected, until a request succeeds again.
        self._rejected_token: object = None

    @property
    def max_retries(self) -> int:
        return MAX_RETRIES

    @property
    def max_time(self) -> int:
        return int(MAX_RETRY_TIME.total_seconds())

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response):
            self._unreachable_in_a_row = 0
            waited = response_or_exception.elapsed.total_seconds()  # for the headers
            cut = read_body(response_or_exception, max(self._request_timeout - waited, 0.0))
            if cut is not None:
                message = f"{NETWORK.advice} Its answer {cut} ('request_timeout_seconds')."
                return self._retrying(message)
            policy = self.policy_for(response_or_exception)
            if policy is None:
                self._rejected_token = None
                return ErrorResolution(ResponseAction.SUCCESS)
            if policy.action is ResponseAction.REFRESH_TOKEN_THEN_RETRY:
                sent = sent_credential(response_or_exception, self.credential_header)
                policy = self._after_rejection(sent, policy)
            message = self.explain(response_or_exception, policy)
        elif isinstance(response_or_exception, requests.RequestException):
            reason = unreachable_reason(response_or_exception)
            if reason is not None:
                return self._unreachable(reason)
            self._unreachable_in_a_row = 0
            policy = NETWORK
            if isinstance(response_or_exception, requests.ReadTimeout):
                message = (
                    f"{NETWORK.advice} No complete answer within {self._request_timeout:g} s "
                    "('request_timeout_seconds')."
                )
            else:
                message = f"{NETWORK.advice} ({type(response_or_exception).__name__})"
        else:
            raise traced_error(f"Unexpected error while calling TikTok: {response_or_exception!r}")
        if policy.action is ResponseAction.FAIL:
            return ErrorResolution(policy.action, policy.failure_type, message)
        return self._retrying(message, policy, response_or_exception)

    def policy_for(self, response: requests.Response) -> Policy | None:
        return policy_for(response)

    def explain(self, response: requests.Response, policy: Policy) -> str:
        return explain(response, policy, self.base_url_field)

    def _retrying(
        self, message: str, policy: Policy = NETWORK, answer: object = None
    ) -> ErrorResolution:
        """Every retry is logged with its reason: a slow sync should say what it waits for.

        A retry that waits first must fit in the sync's allowance of waiting (waiting.py), or
        the request fails: no fault, however often it comes back, holds a sync for hours.
        """
        backoff = self._backoff
        if (
            policy.action in WAITED
            and backoff is not None
            and not backoff.waiting.admits(backoff.longest_wait(answer))
        ):
            message = f"{backoff.waiting.refusal()} {message}"
            return ErrorResolution(ResponseAction.FAIL, FailureType.transient_error, message)
        if policy.action is ResponseAction.RATE_LIMITED:
            self._on_rate_limit()
        self._logger.info("Retrying: %s", message)
        return ErrorResolution(policy.action, policy.failure_type, message)

    def _after_rejection(self, token: object, policy: Policy) -> Policy:
        """A refresh once; if the token that replaced a rejected one is rejected too, stop.

        The CDK stops then as well, but with a generic text: this keeps TikTok's code and log_id.
        """
        replaced = self._rejected_token is not None and self._rejected_token != token
        self._rejected_token = token
        return self.fresh_token_rejected if replaced else policy

    def _unreachable(self, reason: str) -> ErrorResolution:
        """Retried briefly, then a failure that names the setting to fix."""
        self._unreachable_in_a_row += 1
        message = unreachable_message(self._api_base_url, reason, self.base_url_field)
        if self._unreachable_in_a_row < UNREACHABLE_ATTEMPTS:
            return self._retrying(message)
        return ErrorResolution(
            ResponseAction.FAIL,
            unreachable_failure_type(self._api_base_url),
            f"{message} Gave up after {UNREACHABLE_ATTEMPTS} attempts in a row.",
        )
