"""The API for Business's integer codes (on HTTP 200) mapped to what the connector does."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from source_tiktok_organic.business.envelope import (
    OK,
    PARTIAL_SUCCESS,
    BusinessEnvelope,
    read_business_envelope,
)
from source_tiktok_organic.core.errors import (
    INVALID_TEXT,
    MALFORMED,
    REDIRECT,
    RETRY,
    UNKNOWN_CLIENT_ERROR,
    AnswerHandler,
    Policy,
)
from source_tiktok_organic.core.transport import redirect_target

REAUTHORIZE = (
    "re-authorize the account in your TikTok API for Business app and paste the new refresh "
    "token into the source's settings."
)
REPORT = "this is a bug in the connector, please report it with the ids below."
ENDPOINT_SCOPES = {
    "/open_api/v1.3/business/get/": "user.info.basic / user.info.stats / user.insights",
    "/open_api/v1.3/business/video/list/": "video.list / video.insights",
}
# The per-minute window is 40 calls per account and endpoint; the docs ask to wait about five
# minutes after a 40100 ("Rate limit" page), which BusinessBackoff does.
RATE_LIMITED_CODES = frozenset({40100, 40132})
REFRESH = Policy(
    ResponseAction.REFRESH_TOKEN_THEN_RETRY,
    FailureType.config_error,
    f"TikTok rejected the access token even after a refresh: {REAUTHORIZE}",
)
SCOPE_MISSING = Policy(
    ResponseAction.FAIL,
    FailureType.config_error,
    "The TikTok authorization lacks a scope {scope} needs. Grant it in your TikTok API for "
    f"Business app, then {REAUTHORIZE}",
)
CODE_POLICY: Mapping[int, Policy] = {
    **dict.fromkeys(
        RATE_LIMITED_CODES,
        Policy(
            ResponseAction.RATE_LIMITED,
            FailureType.transient_error,
            "TikTok's API for Business rate limit (40 calls a minute per account and endpoint) "
            "was exceeded, perhaps by another connection to the same account.",
        ),
    ),
    **dict.fromkeys((40102, 40104, 40105), REFRESH),
    40001: Policy(
        ResponseAction.FAIL,
        FailureType.config_error,
        "TikTok says this app may not read this account (no permission). Check that the app has "
        f"the TikTok Accounts permission and that the account authorized it; {REAUTHORIZE}",
    ),
    **dict.fromkeys((40130, 40131), SCOPE_MISSING),
    **dict.fromkeys(
        (40000, 40002),
        Policy(
            ResponseAction.FAIL,
            FailureType.system_error,
            f"TikTok refused the request as malformed: {REPORT}",
        ),
    ),
    **dict.fromkeys(
        (41001, 41002),
        Policy(
            ResponseAction.FAIL,
            FailureType.system_error,
            "TikTok has taken this endpoint or one of its fields offline: the connector needs an "
            "update; please report it with the ids below.",
        ),
    ),
    **dict.fromkeys((50000, 50002), RETRY),
}
RATE_LIMITED = CODE_POLICY[40100]
NOT_FOUND = Policy(
    ResponseAction.FAIL,
    FailureType.config_error,
    "The API for Business has no such endpoint at this host. Check '{field}'.",
)
UNKNOWN_CODE = Policy(
    ResponseAction.FAIL,
    FailureType.system_error,
    "TikTok answered with a code this connector does not know, so it stops rather than guess; "
    "please report it with the ids below.",
)
FRESH_TOKEN_REJECTED = Policy(
    ResponseAction.FAIL,
    FailureType.config_error,
    "TikTok rejected the access token it had just issued, so another refresh will not help. "
    f"Check that the app still has the TikTok Accounts permission, then {REAUTHORIZE}",
)


def business_policy_for(response: requests.Response, envelope: BusinessEnvelope) -> Policy | None:
    """None means success: code 0 (or partial success) with a `data` object."""
    if 300 <= response.status_code < 400:
        return REDIRECT
    if envelope.bad_text_at is not None:
        return INVALID_TEXT
    code = envelope.code
    if code is not None and code in CODE_POLICY:
        return CODE_POLICY[code]
    if response.status_code == 429:
        return RATE_LIMITED
    if response.status_code >= 500 or (code is not None and 51000 <= code < 52000):
        return RETRY
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code >= 400:
        return UNKNOWN_CLIENT_ERROR
    if code in (OK, PARTIAL_SUCCESS) and envelope.data is not None:
        return None
    if code is not None and code != OK:
        return UNKNOWN_CODE
    return MALFORMED


def explain_business(response: requests.Response, policy: Policy, field: str) -> str:
    """Advice, then TikTok's code, message, request_id and X-Tt-Logid; never a secret."""
    path = urlsplit(response.url or "").path
    envelope = read_business_envelope(response)
    advice = policy.advice.format(
        scope=ENDPOINT_SCOPES.get(path, "the endpoint " + path),
        location=redirect_target(response),
        text_at=envelope.bad_text_at,
        field=field,
    )
    return f"{advice} {path} answered HTTP {response.status_code}; {envelope.describe()}."


def is_rate_limited(response: requests.Response) -> bool:
    return read_business_envelope(response).code in RATE_LIMITED_CODES


class BusinessErrorHandler(AnswerHandler):
    """The shared handler (retries, deadlines, refresh once) on the API for Business's codes."""

    credential_header = "Access-Token"
    base_url_field = "business_api_base_url"
    fresh_token_rejected = FRESH_TOKEN_REJECTED

    def policy_for(self, response: requests.Response) -> Policy | None:
        """The answer's policy, from its one reading; a partial success is taken and said so."""
        envelope = read_business_envelope(response)
        policy = business_policy_for(response, envelope)
        if policy is None and envelope.code == PARTIAL_SUCCESS:
            message = f": {envelope.message}" if envelope.message else ""
            self._logger.warning(
                "TikTok answered %s with a partial success (code %d%s). Its records are kept, "
                "but some of what was asked for may be missing (%s).",
                urlsplit(response.url or "").path,
                PARTIAL_SUCCESS,
                message,
                envelope.ids,
            )
        return policy

    def explain(self, response: requests.Response, policy: Policy) -> str:
        return explain_business(response, policy, self.base_url_field)
