"""Business mode's error policy: TikTok's integer codes on HTTP 200 decide, not the status."""

import json
import logging
import random
from typing import Any

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from source_tiktok_organic.business.errors import (
    RATE_LIMIT_WAIT_SECONDS,
    BusinessBackoff,
    BusinessErrorHandler,
)
from source_tiktok_organic.core.waiting import MOST_WAITING_SECONDS, WaitAllowance

LIST_URL = "https://business-api.tiktok.com/open_api/v1.3/business/video/list/"
HANDLER = BusinessErrorHandler(logging.getLogger("test"))


def answer(
    code: Any, data: Any = None, status: int = 200, url: str = LIST_URL
) -> requests.Response:
    body: dict[str, Any] = {"code": code, "message": f"message {code}", "request_id": "req-7"}
    if data is not None:
        body["data"] = data
    made = requests.Response()
    made.status_code = status
    made.url = url
    made._content = json.dumps(body).encode()
    made.headers["X-Tt-Logid"] = "logid-9"
    return made


@pytest.mark.parametrize(
    ("code", "action", "failure"),
    [
        (40100, ResponseAction.RATE_LIMITED, FailureType.transient_error),
        (40132, ResponseAction.RATE_LIMITED, FailureType.transient_error),
        (40102, ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error),
        (40104, ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error),
        (40105, ResponseAction.REFRESH_TOKEN_THEN_RETRY, FailureType.config_error),
        (40001, ResponseAction.FAIL, FailureType.config_error),
        (40130, ResponseAction.FAIL, FailureType.config_error),
        (40131, ResponseAction.FAIL, FailureType.config_error),
        (40000, ResponseAction.FAIL, FailureType.system_error),
        (40002, ResponseAction.FAIL, FailureType.system_error),
        (41001, ResponseAction.FAIL, FailureType.system_error),
        (41002, ResponseAction.FAIL, FailureType.system_error),
        (50000, ResponseAction.RETRY, FailureType.transient_error),
        (50002, ResponseAction.RETRY, FailureType.transient_error),
        (51000, ResponseAction.RETRY, FailureType.transient_error),
        (51999, ResponseAction.RETRY, FailureType.transient_error),
        (52000, ResponseAction.FAIL, FailureType.system_error),
        (47777, ResponseAction.FAIL, FailureType.system_error),
    ],
)
def test_given_a_code_on_http_200_then_the_policy_table_decides(
    code: int, action: ResponseAction, failure: FailureType
) -> None:
    resolution = BusinessErrorHandler(logging.getLogger("test")).interpret_response(answer(code))
    assert (resolution.response_action, resolution.failure_type) == (action, failure)
    assert f"code {code}: message {code}" in str(resolution.error_message)
    assert "request_id: req-7, X-Tt-Logid: logid-9" in str(resolution.error_message)


@pytest.mark.parametrize("code", [0, 20001])
def test_given_ok_or_partial_success_with_data_then_success(code: int) -> None:
    resolution = HANDLER.interpret_response(answer(code, {"videos": []}))
    assert resolution.response_action == ResponseAction.SUCCESS


@pytest.mark.parametrize("code", [b'"0"', b'" 0"', b"0"])
def test_given_code_zero_as_a_number_or_a_digit_string_then_success(code: bytes) -> None:
    made = answer(0)
    made._content = b'{"code": ' + code + b', "data": {}}'
    assert HANDLER.interpret_response(made).response_action == ResponseAction.SUCCESS


@pytest.mark.parametrize(
    "body",
    [
        b"Not Found",
        b"[]",
        b'{"code": "zero", "data": {}}',
        b'{"code": 0}',
        b'{"code": 0, "data": []}',
    ],
)
def test_given_200_without_the_envelope_then_retried_as_malformed(body: bytes) -> None:
    made = answer(0)
    made._content = body
    assert HANDLER.interpret_response(made).response_action == ResponseAction.RETRY


def test_given_a_plain_text_404_then_the_business_host_setting_is_named() -> None:
    made = answer(0, status=404)
    made._content = b"Not Found"
    resolution = HANDLER.interpret_response(made)
    assert resolution.response_action == ResponseAction.FAIL
    assert resolution.failure_type == FailureType.config_error
    assert "Check 'business_api_base_url'" in str(resolution.error_message)


def test_given_a_scope_error_on_the_list_then_the_list_scopes_are_named() -> None:
    message = str(HANDLER.interpret_response(answer(40130)).error_message)
    assert "video.list / video.insights" in message


def test_given_a_rejected_token_then_refreshed_once_and_a_fresh_one_rejected_stops() -> None:
    handler = BusinessErrorHandler(logging.getLogger("test"))
    first, second = answer(40105), answer(40105)
    for made, token in ((first, "act.old"), (second, "act.new")):
        made.request = requests.Request("GET", LIST_URL, headers={"Access-Token": token}).prepare()
    assert handler.interpret_response(first).response_action == (
        ResponseAction.REFRESH_TOKEN_THEN_RETRY
    )
    stopped = handler.interpret_response(second)
    assert stopped.response_action == ResponseAction.FAIL
    assert "TikTok Accounts permission" in str(stopped.error_message)


def test_given_40100_then_the_wait_is_about_five_minutes_and_other_faults_double() -> None:
    backoff = BusinessBackoff(random.Random(3))
    waits = [backoff.backoff_time(answer(40100), attempt) for attempt in (1, 2, 3)]
    assert all(
        0.9 * RATE_LIMIT_WAIT_SECONDS <= wait <= 1.1 * RATE_LIMIT_WAIT_SECONDS for wait in waits
    )
    assert RATE_LIMIT_WAIT_SECONDS == 300
    assert backoff.backoff_time(answer(50000), 1) <= 1.0
    assert backoff.backoff_time(requests.ConnectionError(), 2) <= 2.0


def test_given_a_redirect_then_it_is_not_followed_and_the_target_and_host_field_are_named() -> None:
    made = answer(0, status=307)
    made.headers["Location"] = "https://elsewhere.example/steal/"
    resolution = HANDLER.interpret_response(made)
    assert resolution.response_action == ResponseAction.FAIL
    message = str(resolution.error_message)
    assert "redirected to elsewhere.example" in message
    assert "Check 'business_api_base_url'" in message


def test_given_text_utf8_cannot_carry_then_the_sync_stops_naming_where() -> None:
    made = answer(0, {"videos": [{"caption": "x"}]})
    made._content = b'{"code": 0, "request_id": "r", "data": {"videos": [{"caption": "\\ud800"}]}}'
    resolution = HANDLER.interpret_response(made)
    assert resolution.response_action == ResponseAction.FAIL
    assert "data.videos[0].caption" in str(resolution.error_message)


def test_given_a_scope_error_on_an_endpoint_without_a_known_scope_then_the_path_is_named() -> None:
    url = "https://business-api.tiktok.com/open_api/v1.3/business/comment/reply/list/"
    message = str(HANDLER.interpret_response(answer(40130, url=url)).error_message)
    assert "a scope the endpoint /open_api/v1.3/business/comment/reply/list/ needs" in message


COMMENT_LIST_URL = "https://business-api.tiktok.com/open_api/v1.3/business/comment/list/"


@pytest.mark.parametrize("code", [40000, 40001, 40002, 40130, 40131])
def test_given_a_posts_comments_refused_then_the_answer_is_taken_for_the_stream_to_judge(
    code: int,
) -> None:
    taken = HANDLER.interpret_response(answer(code, url=COMMENT_LIST_URL))
    assert taken.response_action == ResponseAction.SUCCESS
    elsewhere = HANDLER.interpret_response(answer(code))
    assert elsewhere.response_action == ResponseAction.FAIL


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (40100, ResponseAction.RATE_LIMITED),
        (40105, ResponseAction.REFRESH_TOKEN_THEN_RETRY),
        (50000, ResponseAction.RETRY),
        (47777, ResponseAction.FAIL),
    ],
)
def test_given_any_other_code_on_the_comment_list_then_its_policy_holds(
    code: int, action: ResponseAction
) -> None:
    handler = BusinessErrorHandler(logging.getLogger("test"))
    assert handler.interpret_response(answer(code, url=COMMENT_LIST_URL)).response_action == action


@pytest.mark.parametrize(
    ("message", "described"),
    [
        ("Too many requests.", "TikTok API for Business code 40100: Too many requests. ("),
        ("", "TikTok API for Business code 40100 (request_id"),
    ],
)
def test_the_description_of_a_code_holds_tiktoks_message_only_when_it_sent_one(
    message: str, described: str
) -> None:
    made = answer(40100)
    made._content = json.dumps({"code": 40100, "message": message, "request_id": "q"}).encode()
    assert described in str(HANDLER.interpret_response(made).error_message)


class FixedJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def test_given_40100_then_the_wait_is_five_minutes_times_the_jitter() -> None:
    assert BusinessBackoff(FixedJitter()).backoff_time(answer(40100), 1) == pytest.approx(330)


def test_given_an_http_429_with_retry_after_then_tiktoks_wait_is_kept() -> None:
    made = answer(0, status=429)
    made.headers["Retry-After"] = "7"
    assert BusinessBackoff(FixedJitter()).backoff_time(made, 1) == 7


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (299, ResponseAction.SUCCESS),
        (300, ResponseAction.FAIL),
        (399, ResponseAction.FAIL),
        (400, ResponseAction.FAIL),
        (401, ResponseAction.FAIL),
        (429, ResponseAction.RATE_LIMITED),
        (499, ResponseAction.FAIL),
        (500, ResponseAction.RETRY),
        (503, ResponseAction.RETRY),
    ],
)
def test_given_each_http_status_then_its_place_in_the_policy(
    status: int, action: ResponseAction
) -> None:
    made = answer(0, {"videos": []}, status=status)
    assert HANDLER.interpret_response(made).response_action == action


def test_given_no_logid_header_then_the_message_says_none() -> None:
    made = answer(40001)
    del made.headers["X-Tt-Logid"]
    assert "X-Tt-Logid: none" in str(HANDLER.interpret_response(made).error_message)


class LowJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def waited_until_refused(
    handler: BusinessErrorHandler, backoff: BusinessBackoff
) -> tuple[list[float], Any]:
    """What the CDK does with a request TikTok answers 40100 forever: wait, ask again, ..."""
    waits: list[float] = []
    for attempt in range(1, 20):
        resolution = handler.interpret_response(answer(40100))
        if resolution.response_action != ResponseAction.RATE_LIMITED:
            break
        wait = backoff.backoff_time(answer(40100), attempt)
        assert wait is not None
        waits.append(wait)
    return waits, resolution


def sharing(waiting: WaitAllowance, rng: random.Random) -> tuple[BusinessErrorHandler, Any]:
    backoff = BusinessBackoff(rng, waiting=waiting)
    return BusinessErrorHandler(logging.getLogger("test"), backoff=backoff), backoff


@pytest.mark.parametrize(("jitter", "waits"), [(FixedJitter, 3), (LowJitter, 4)])
def test_given_40100_forever_then_it_waits_until_the_next_wait_would_pass_twenty_minutes(
    jitter: type[random.Random], waits: int
) -> None:
    waited, resolution = waited_until_refused(*sharing(WaitAllowance(), jitter()))
    assert len(waited) == waits
    assert sum(waited) <= MOST_WAITING_SECONDS
    assert sum(waited) + 1.1 * RATE_LIMIT_WAIT_SECONDS > MOST_WAITING_SECONDS
    assert resolution.response_action == ResponseAction.FAIL
    assert resolution.failure_type == FailureType.transient_error
    message = str(resolution.error_message)
    assert "past the 20 minutes a sync waits at most" in message
    assert "40 calls a minute per account and endpoint" in message
    assert "another connection to the same account" in message
    assert "code 40100" in message
    assert "request_id: req-7, X-Tt-Logid: logid-9" in message


def test_given_one_stream_used_up_the_sync_allowance_then_another_fails_at_its_first_40100() -> (
    None
):
    waiting = WaitAllowance()
    waited_until_refused(*sharing(waiting, random.Random(1)))
    spent = waiting.spent
    waited, resolution = waited_until_refused(*sharing(waiting, random.Random(2)))
    assert waited == []
    assert resolution.response_action == ResponseAction.FAIL
    assert waiting.spent == spent


def test_given_passing_faults_then_their_waits_come_out_of_the_same_allowance() -> None:
    """A TikTok failing on and off must not hold a sync for hours either."""
    waiting = WaitAllowance()
    handler, backoff = sharing(waiting, random.Random(3))
    waited = 0.0
    for fault in (answer(50000), requests.ConnectionError(), answer(0, {"videos": []}, 503)):
        if isinstance(fault, requests.Response):
            assert handler.interpret_response(fault).response_action == ResponseAction.RETRY
        waited += backoff.backoff_time(fault, 1) or 0
    assert waiting.spent == waited > 0


def test_given_the_allowance_spent_then_a_passing_fault_fails_instead_of_waiting() -> None:
    waiting = WaitAllowance()
    waiting.spend(MOST_WAITING_SECONDS - 30)  # less than the longest doubling wait is left
    handler, _ = sharing(waiting, random.Random(3))
    resolution = handler.interpret_response(answer(50000))
    assert resolution.response_action == ResponseAction.FAIL
    assert resolution.failure_type == FailureType.transient_error
    assert "before retrying TikTok" in str(resolution.error_message)


def test_given_an_http_429_then_its_wait_counts_against_the_allowance_too() -> None:
    waiting = WaitAllowance()
    made = answer(0, status=429)
    made.headers["Retry-After"] = "7"
    assert BusinessBackoff(waiting=waiting).backoff_time(made, 1) == 7
    assert waiting.spent == 7


def test_given_a_partial_success_then_it_is_taken_and_a_warning_names_what_and_the_ids(
    caplog: pytest.LogCaptureFixture,
) -> None:
    resolution = HANDLER.interpret_response(answer(20001, {"videos": []}))
    assert resolution.response_action == ResponseAction.SUCCESS
    [warning] = [record for record in caplog.records if record.levelno == logging.WARNING]
    text = warning.getMessage()
    assert "/open_api/v1.3/business/video/list/ with a partial success" in text
    assert "(code 20001: message 20001)" in text
    assert "request_id: req-7, X-Tt-Logid: logid-9" in text


def test_given_a_partial_success_without_data_then_it_fails_as_an_unknown_answer() -> None:
    resolution = HANDLER.interpret_response(answer(20001))
    assert resolution.response_action == ResponseAction.FAIL
    assert "code 20001" in str(resolution.error_message)


def test_given_a_partial_success_without_a_message_then_the_warning_has_no_empty_colon(
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = answer(20001, {"videos": []})
    made._content = b'{"code": 20001, "request_id": "r", "data": {"videos": []}}'
    HANDLER.interpret_response(made)
    [warning] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert "(code 20001)" in warning.getMessage()


@pytest.mark.parametrize("code", [0, 40100, 50000])
def test_given_anything_but_a_partial_success_then_no_such_warning(
    code: int, caplog: pytest.LogCaptureFixture
) -> None:
    HANDLER.interpret_response(answer(code, {"videos": []}))
    assert not [record for record in caplog.records if "partial" in record.getMessage()]
