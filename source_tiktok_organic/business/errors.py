"""The API for Business's integer codes (on HTTP 200) mapped to what the connector does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from source_tiktok_organic.business.envelope import OK, PARTIAL_SUCCESS, read_business_envelope
from source_tiktok_organic.core.errors import RETRY, UNKNOWN_CODE, Answer, AnswerHandler, Policy

REAUTHORIZE = (
    "re-authorize the account in your TikTok API for Business app and paste the new refresh "
    "token into the source's settings."
)
# The per-minute window is 40 calls per account and endpoint; the docs ask to wait about five
# minutes after a 40100 ("Rate limit" page), which BusinessBackoff does.
RATE_LIMITED_CODES = frozenset({40100, 40132})
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
        """A partial success, a code the shared rules do not know, is taken and said so."""
        policy = super().policy_for(response, answer)
        if policy is not UNKNOWN_CODE or answer.code != PARTIAL_SUCCESS or answer.data is None:
            return policy
        message = f": {answer.message}" if answer.message else ""
        self.logger.warning(
            "TikTok answered %s with a partial success (code %d%s). Its records are kept, but "
            "some of what was asked for may be missing (%s).",
            urlsplit(response.url or "").path,
            PARTIAL_SUCCESS,
            message,
            answer.ids,
        )
        return None
