"""What both APIs' error handling shares: policies, retries, deadlines, the wording of failures,
and what went wrong on the wire (hosts nobody answers on, redirects), apart from TikTok's envelope.
"""

import json
import logging
from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol
from urllib.parse import urljoin, urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler, ErrorResolution
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.utils import AirbyteTracedException
from urllib3.exceptions import NameResolutionError, NewConnectionError

from source_tiktok_organic.core.backoff import TikTokBackoff
from source_tiktok_organic.core.deadlines import BodyCut

# A host that refuses or does not resolve will not start answering within a 10-minute budget:
# give up after this many attempts in a row (about 15 s of backoff).
UNREACHABLE_ATTEMPTS = 5
DEFAULT_API_HOST = "open.tiktokapis.com"
BUSINESS_API_HOST = "business-api.tiktok.com"


def traced_error(
    message: str, failure_type: FailureType = FailureType.system_error
) -> AirbyteTracedException:
    """The same text for users and logs, so the sync's failure summary says what went wrong."""
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=failure_type
    )


def config_error(message: str) -> AirbyteTracedException:
    return traced_error(message, FailureType.config_error)


def os_reason(error: OSError) -> str:
    """Why a file could not be read or written, in the system's words."""
    return error.strerror or type(error).__name__


@dataclass(frozen=True)
class Policy:
    """What to do about an answer, and the advice its failure message opens with."""

    advice: str
    failure_type: FailureType = FailureType.system_error
    action: ResponseAction = ResponseAction.FAIL

    @classmethod
    def config(cls, advice: str) -> "Policy":
        return cls(advice, FailureType.config_error)

    @classmethod
    def refresh(cls, advice: str) -> "Policy":
        return cls(advice, FailureType.config_error, ResponseAction.REFRESH_TOKEN_THEN_RETRY)

    @classmethod
    def rate_limited(cls, advice: str) -> "Policy":
        return cls(advice, FailureType.transient_error, ResponseAction.RATE_LIMITED)


RETRY = Policy("TikTok had a passing fault.", FailureType.transient_error, ResponseAction.RETRY)
MALFORMED = Policy(
    "TikTok answered with a body that is not its JSON envelope.",
    FailureType.transient_error,
    ResponseAction.RETRY,
)
UNKNOWN_CLIENT_ERROR = Policy("TikTok refused the request.")
INVALID_TEXT = Policy(
    "TikTok's answer holds text that is not valid Unicode (a lone surrogate) at {text_at}, which "
    "no destination can store; the sync stops rather than alter it. Please report it with the "
    "log_id."
)
REDIRECT = Policy.config(
    "TikTok's answer redirected to {location}, which the connector does not follow: the access "
    "token or the data would come from another host. Check '{field}'."
)
UNKNOWN_CODE = Policy(
    "TikTok answered with an error code this connector does not know, so it stops rather than "
    "guess; please report it with TikTok's ids for the call."
)
NETWORK = "The connection to TikTok failed."


def unreachable(
    error: BaseException, api_base_url: str, field: str
) -> tuple[str, FailureType] | None:
    """Why the host could not be connected to at all, naming the setting to check, and the failure
    type: a custom host nobody answers on is a setting to fix, TikTok's own an outage. None for any
    other network fault."""
    reason = _cannot_connect(error)
    if reason is None:
        return None
    host = urlsplit(api_base_url).hostname or api_base_url
    message = (
        f"Could not connect to {host}: {reason}. Check '{field}' ({api_base_url}) and "
        "this machine's network, DNS and proxy settings."
    )
    tiktoks = host in (DEFAULT_API_HOST, BUSINESS_API_HOST)
    return message, FailureType.transient_error if tiktoks else FailureType.config_error


def _cannot_connect(error: BaseException) -> str | None:
    cause: BaseException | None = error
    while cause is not None:
        for candidate in (cause, getattr(cause, "reason", None)):
            if isinstance(candidate, NameResolutionError):
                return "its name does not resolve"
            if isinstance(candidate, NewConnectionError):
                return "it refused the connection"
        cause = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
    return None


def redirect_target(response: requests.Response) -> str:
    """The host a redirect points at, or where it would stay when the Location is relative."""
    if not (location := response.headers.get("Location")):
        return "an unnamed place"
    return urlsplit(urljoin(response.url or "", location)).netloc or location


def safe_text(value: Any) -> str:
    """TikTok's words as they can go into a message (a lone surrogate would break its emission)."""
    return str(value or "").encode("utf-8", "backslashreplace").decode("utf-8")


def read_json(response: requests.Response) -> tuple[dict[str, Any], str | None]:
    """The body's JSON object (else {}) and where it holds text UTF-8 cannot carry, if anywhere."""
    try:
        body = json.loads(response.content)  # keeps a lone surrogate escape, unlike orjson
    except ValueError:
        return {}, None
    return (body, unencodable_text_at(body)) if isinstance(body, dict) else ({}, None)


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
            where = f"{path}.{safe_text(key)}" if path else safe_text(key)  # valid text itself
            if found := unencodable_text_at(key, where) or unencodable_text_at(item, where):
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            if found := unencodable_text_at(item, f"{path}[{index}]"):
                return found
    return None


@contextmanager
def naming(ids: str) -> Iterator[None]:
    """A failure reading one answer names TikTok's ids for the call, as TikTok support asks."""
    try:
        yield
    except AirbyteTracedException as error:
        if ids.split(":", 1)[0] not in (error.message or ""):
            error.message = f"{error.message} ({ids})"
            error.internal_message = f"{error.internal_message} ({ids})"
        raise


class Answer(Protocol):
    """What the shared handler reads of an API's envelope; `code` is None when it has none."""

    @property
    def code(self) -> Any: ...
    @property
    def data(self) -> dict[str, Any] | None: ...
    @property
    def message(self) -> str: ...
    @property
    def ids(self) -> str: ...
    @property
    def bad_text_at(self) -> str | None: ...
    def describe(self) -> str: ...


@dataclass(eq=False)
class AnswerHandler(ErrorHandler):
    """Retries, deadlines, the refresh-once rule and the wait allowance; each API its own codes."""

    credential_header: ClassVar[str]
    base_url_field: ClassVar[str]
    endpoint_scopes: ClassVar[Mapping[str, str]]
    unknown_scope: ClassVar[str]  # the scope advice for any other endpoint, with its {path}
    fresh_token_rejected: ClassVar[Policy]
    ok_code: ClassVar[object]
    max_retries = 8
    max_time = 600  # seconds

    logger: logging.Logger
    api_base_url: str = "https://" + DEFAULT_API_HOST
    on_rate_limit: Callable[[], None] = lambda: None
    request_timeout: float = 60.0
    backoff: TikTokBackoff | None = None  # draws on the sync's allowance of waiting, when given
    unreachable_in_a_row: int = field(default=0, init=False)
    rejected_token: object = field(default=None, init=False)  # until a request succeeds again

    @abstractmethod
    def read(self, response: requests.Response) -> Answer:
        """The answer's envelope; never raises, leaving what the body lacks for `policy_for`."""

    @abstractmethod
    def table_policy(self, status: int, code: Any) -> Policy | None:
        """The API's own codes and statuses, in its order; None leaves the shared rules to decide."""

    def policy_for(self, response: requests.Response, answer: Answer) -> Policy | None:
        """None for an answer to take: a 2xx with the API's ok code and a `data` object."""
        status, code = response.status_code, answer.code
        if 300 <= status < 400:
            return REDIRECT
        if answer.bad_text_at is not None:
            return INVALID_TEXT
        policy = self.table_policy(status, code)
        if policy is not None:
            return policy
        if status >= 500:
            return RETRY
        if status >= 400:
            return UNKNOWN_CLIENT_ERROR
        if code == self.ok_code and answer.data is not None:
            return None
        return MALFORMED if code in (None, "", self.ok_code) else UNKNOWN_CODE

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        fault = response_or_exception
        if isinstance(fault, requests.Response):
            self.unreachable_in_a_row = 0
            answer = self.read(fault)
            policy = self.policy_for(fault, answer)
            if policy is None:
                self.rejected_token = None
                return ErrorResolution(ResponseAction.SUCCESS)
            if policy.action is ResponseAction.REFRESH_TOKEN_THEN_RETRY:
                # A refresh once; a token that replaced a rejected one rejected too stops, as the
                # CDK would, but with TikTok's code and ids rather than a generic text.
                sent = fault.request.headers.get(self.credential_header) if fault.request else None
                if self.rejected_token is not None and self.rejected_token != sent:
                    policy = self.fresh_token_rejected
                self.rejected_token = sent
            path = urlsplit(fault.url or "").path
            advice = policy.advice.format(
                scope=self.endpoint_scopes.get(path) or self.unknown_scope.format(path=path),
                location=redirect_target(fault),
                text_at=answer.bad_text_at,
                field=self.base_url_field,
            )
            message = f"{advice} {path} answered HTTP {fault.status_code}; {answer.describe()}."
        elif isinstance(fault, requests.RequestException):
            policy = RETRY
            down = unreachable(fault, self.api_base_url, self.base_url_field)
            self.unreachable_in_a_row = 0 if down is None else self.unreachable_in_a_row + 1
            if down is not None:  # retried briefly, then a failure naming the setting to fix
                message, failure = down
                if self.unreachable_in_a_row >= UNREACHABLE_ATTEMPTS:
                    message += f" Gave up after {UNREACHABLE_ATTEMPTS} attempts in a row."
                    return ErrorResolution(ResponseAction.FAIL, failure, message)
            elif isinstance(fault, BodyCut):
                message = f"{NETWORK} Its answer {fault} ('request_timeout_seconds')."
            elif isinstance(fault, requests.ReadTimeout):
                message = (
                    f"{NETWORK} No complete answer within {self.request_timeout:g} s "
                    "('request_timeout_seconds')."
                )
            else:
                message = f"{NETWORK} ({type(fault).__name__})"
        else:
            raise traced_error(f"Unexpected error while calling TikTok: {fault!r}")
        if policy.action is ResponseAction.FAIL:
            return ErrorResolution(policy.action, policy.failure_type, message)
        # A retry that waits first must fit in the sync's allowance of waiting (waiting.py), or
        # the request fails: no fault, however often it comes back, holds a sync for hours.
        waits = policy.action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED)
        backoff = self.backoff
        if waits and backoff and not backoff.waiting.reserve(backoff.longest_wait(fault)):
            message = f"{backoff.waiting.refusal()} {message}"
            return ErrorResolution(ResponseAction.FAIL, FailureType.transient_error, message)
        if policy.action is ResponseAction.RATE_LIMITED:
            self.on_rate_limit()
        self.logger.info("Retrying: %s", message)  # a slow sync says what it waits for
        return ErrorResolution(policy.action, policy.failure_type, message)
