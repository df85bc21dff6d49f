"""The API for Business envelope: HTTP 200 with an integer `code`, a `request_id` and `data`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from source_tiktok_organic.core.errors import read_json, safe_text, traced_error
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


def business_data(
    response: requests.Response, reader: str
) -> tuple[dict[str, Any], BusinessEnvelope]:
    """`data` of an answer the error handler accepted, and the envelope that names the call."""
    envelope = read_business_envelope(response)
    if envelope.data is None:
        raise traced_error(f"TikTok's answer to {reader} had no data object ({envelope.ids}).")
    return envelope.data, envelope
