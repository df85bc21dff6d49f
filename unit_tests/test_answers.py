import json
from typing import Any

import pytest
import requests
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.creator.errors import answer_data, read_envelope
from source_tiktok_organic.creator.streams import read_user
from unit_tests.conftest import LIST_URL


def answer(body: dict[str, Any], **headers: str) -> requests.Response:
    made = requests.Response()
    made.status_code, made.url = 200, LIST_URL
    made._content = json.dumps(body).encode()
    made.headers.update(headers)
    return made


@pytest.mark.parametrize(
    ("headers", "named"), [({"x-tt-logid": "hdr-log"}, "hdr-log"), ({}, "none")]
)
def test_given_an_answer_without_data_then_the_error_names_the_reader_and_log_id(
    headers: dict[str, str], named: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        answer_data(read_envelope(answer({"error": {"code": "ok"}}, **headers)), "videos")
    assert (
        raised.value.message == f"TikTok's answer to videos had no data object (log_id: {named})."
    )


def test_given_a_parser_that_refuses_then_the_error_carries_the_answers_log_id() -> None:
    refused = answer({"data": {"user": {}}, "error": {"code": "ok", "log_id": "body-log"}})
    with pytest.raises(AirbyteTracedException) as raised:
        read_user(refused, "user_info")
    assert raised.value.message == (
        "TikTok's profile answer had no user object with an open_id. (log_id: body-log)"
    )


def test_given_a_readable_answer_then_the_parser_gets_its_data() -> None:
    ok = answer({"data": {"user": {"open_id": "o-1"}}, "error": {"code": "ok"}})
    assert read_user(ok, "user_info")["open_id"] == "o-1"
