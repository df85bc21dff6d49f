"""What an answer the error handler accepted holds: its `data`, read under its log_id."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests

from source_tiktok_organic.core.errors import traced_error
from source_tiktok_organic.core.records import conform
from source_tiktok_organic.creator.errors import Envelope, naming_log_id, read_envelope

T = TypeVar("T")


def answer_data(envelope: Envelope, reader: str) -> dict[str, Any]:
    """`data` of an envelope the error handler has already accepted."""
    if envelope.data is None:
        raise traced_error(
            f"TikTok's answer to {reader} had no data object (log_id: {envelope.log_id or 'none'})."
        )
    return envelope.data


def read_answer(
    response: requests.Response, reader: str, parse: Callable[[dict[str, Any]], T]
) -> T:
    """`parse` of the answer's data: whatever it refuses names the answer's log_id."""
    envelope = read_envelope(response)
    with naming_log_id(envelope.log_id):
        return parse(answer_data(envelope, reader))


def profile_user(data: Mapping[str, Any]) -> dict[str, Any]:
    """The `user` of a GET /v2/user/info/ answer, held to the user_info schema."""
    user = data.get("user")
    if not isinstance(user, dict) or not (isinstance(user.get("open_id"), str) and user["open_id"]):
        raise traced_error("TikTok's profile answer had no user object with an open_id.")
    return conform(user, "user_info")
