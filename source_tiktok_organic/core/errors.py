"""What both APIs' error handling shares: policies, retries, deadlines, the wording of failures."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.deadlines import BodyCut
from source_tiktok_organic.core.transport import (
    DEFAULT_API_HOST,
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
class Policy:
    action: ResponseAction
    failure_type: FailureType
    advice: str


RETRY = Policy(ResponseAction.RETRY, FailureType.transient_error, "TikTok had a passing fault.")
MALFORMED = Policy(
    ResponseAction.RETRY,
    FailureType.transient_error,
    "TikTok answered with a body that is not its JSON envelope.",
)
UNKNOWN_CLIENT_ERROR = Policy(
    ResponseAction.FAIL, FailureType.system_error, "TikTok refused the request."
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


def sent_credential(response: requests.Response, header: str) -> object:
    """The credential header a request carried: only ever compared with another, never shown."""
    return response.request.headers.get(header) if response.request else None


class AnswerHandler(ErrorHandler, ABC):
    """Retries, deadlines, the refresh-once rule and the wait allowance, for either API.

    Each API says what its answers mean (`policy_for`, `explain`) and names its credential
    header, its base-URL setting and its words for a fresh token rejected.
    """

    credential_header: str
    base_url_field: str
    fresh_token_rejected: Policy

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
            if isinstance(response_or_exception, BodyCut):
                message = (
                    f"{NETWORK.advice} Its answer {response_or_exception} "
                    "('request_timeout_seconds')."
                )
            elif isinstance(response_or_exception, requests.ReadTimeout):
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

    @abstractmethod
    def policy_for(self, response: requests.Response) -> Policy | None:
        """None for an answer to take; else what to do about it."""

    @abstractmethod
    def explain(self, response: requests.Response, policy: Policy) -> str:
        """A message a person can act on, with the API's ids for the call, never a secret."""

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
            and not backoff.waiting.reserve(backoff.longest_wait(answer))
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
