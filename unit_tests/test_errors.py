import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from airbyte_cdk.models import AirbyteMessageSerializer, FailureType, SyncMode, Type
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.utils import AirbyteTracedException
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from source_tiktok_organic import SourceTiktokOrganic
from source_tiktok_organic.core.backoff import CAP_SECONDS, TikTokBackoff
from source_tiktok_organic.core.deadlines import BodyBrokeOff, BodyLate
from source_tiktok_organic.core.errors import (
    UNREACHABLE_ATTEMPTS,
    os_reason,
    traced_error,
    unencodable_text_at,
)
from source_tiktok_organic.core.waiting import MOST_WAITING_SECONDS, WaitAllowance
from source_tiktok_organic.creator.errors import CreatorErrorHandler, read_envelope
from unit_tests.conftest import (
    LIST_URL,
    SECRETS,
    TOKEN_URL,
    USER_URL,
    envelope,
    list_page,
    make_config,
    profile,
    token_body,
    video,
)

HANDLER = CreatorErrorHandler(logging.getLogger("test"))


def response(status: int, body: Any, url: str = LIST_URL, **headers: str) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made.url = url
    made._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    made.headers.update({"x-tt-logid": "hdr-log", **headers})
    return made


@pytest.mark.parametrize(
    ("status", "code", "action", "failure"),
    [
        (401, "access_token_invalid", ResponseAction.REFRESH_TOKEN_THEN_RETRY, "config_error"),
        (401, "scope_not_authorized", ResponseAction.FAIL, "config_error"),
        (400, "scope_permission_missed", ResponseAction.FAIL, "config_error"),
        (400, "invalid_params", ResponseAction.FAIL, "system_error"),
        (429, "rate_limit_exceeded", ResponseAction.RATE_LIMITED, "transient_error"),
        (500, "internal_error", ResponseAction.RETRY, "transient_error"),
        (200, "rate_limit_exceeded", ResponseAction.RATE_LIMITED, "transient_error"),
        (503, "something_new", ResponseAction.RETRY, "transient_error"),
        (418, "something_new", ResponseAction.FAIL, "system_error"),
    ],
)
def test_given_envelope_code_when_interpreting_then_policy_table_decides(
    status: int, code: str, action: ResponseAction, failure: str
) -> None:
    resolution = HANDLER.interpret_response(response(status, envelope(code=code)))
    assert resolution.response_action == action
    assert resolution.failure_type == FailureType(failure)
    assert code in resolution.error_message
    assert "log-42" in resolution.error_message


def test_given_scope_error_on_video_list_when_interpreting_then_message_names_scope() -> None:
    resolution = HANDLER.interpret_response(response(401, envelope(code="scope_not_authorized")))
    assert "video.list" in resolution.error_message


@pytest.mark.parametrize(
    "body",
    [
        b"<html>gateway</html>",
        b'{"data": {"videos": [',
        b"[]",
        b"\xff\xfe not UTF-8",
        json.dumps({"data": {}}).encode(),
        json.dumps({"data": [], "error": {"code": "ok"}}).encode(),
        json.dumps({"error": {"code": "ok", "log_id": "hdr-log"}}).encode(),
        json.dumps({"data": {}, "error": {"message": "no code"}}).encode(),
    ],
    ids=[
        "html",
        "cut",
        "list",
        "bytes",
        "no-error",
        "data-not-object",
        "ok-without-data",
        "error-without-code",
    ],
)
def test_given_200_without_a_valid_envelope_when_interpreting_then_retry(body: bytes) -> None:
    resolution = HANDLER.interpret_response(response(200, body))
    assert resolution.response_action == ResponseAction.RETRY
    assert "hdr-log" in resolution.error_message


def test_given_ok_envelope_when_interpreting_then_success() -> None:
    ok = response(200, list_page([], None, False))
    assert HANDLER.interpret_response(ok).response_action == ResponseAction.SUCCESS
    assert read_envelope(ok).data == {"videos": [], "cursor": None, "has_more": False}


@pytest.mark.parametrize("error", [requests.ConnectionError(), requests.ReadTimeout()])
def test_given_network_error_when_interpreting_then_retry(error: Exception) -> None:
    assert HANDLER.interpret_response(error).response_action == ResponseAction.RETRY


def list_calls(tiktok: Any) -> list[Any]:
    return [request for request in tiktok.request_history if request.url.startswith(LIST_URL)]


def read_videos(config: dict | None = None, fails: bool = False) -> Any:
    """A read of `videos`; a clean one (no error) unless the test says it `fails`."""
    catalog = CatalogBuilder().with_stream("videos", SyncMode.full_refresh).build()
    output = read(
        SourceTiktokOrganic(), config or make_config(), catalog, expecting_exception=fails
    )
    assert bool(output.errors) == fails, [e.trace.error.message for e in output.errors]
    return output


ONE_PAGE = {"json": list_page([video(1, 100)], 100_000, False)}


@pytest.mark.parametrize(
    "fault",
    [
        {"status_code": 429, "json": envelope(code="rate_limit_exceeded")},
        {"status_code": 500, "json": envelope(code="internal_error")},
        {"status_code": 502, "text": "<html>bad gateway</html>"},
        {"status_code": 200, "text": '{"data": {"vid'},
        {"exc": requests.ConnectionError},
        {"exc": requests.ReadTimeout},
    ],
)
def test_given_transient_fault_when_reading_then_retried_and_nothing_lost(
    tiktok: Any, fault: dict, no_retry_sleep: list[float]
) -> None:
    tiktok.post(LIST_URL, [fault, fault, ONE_PAGE])
    output = read_videos()
    assert [m.record.data["id"] for m in output.records] == ["1"]
    assert not output.errors
    assert len(no_retry_sleep) == 2


def test_given_429_with_retry_after_when_reading_then_waits_as_told(
    tiktok: Any, no_retry_sleep: list[float]
) -> None:
    limited = {"status_code": 429, "json": envelope(code="rate_limit_exceeded")}
    tiktok.post(LIST_URL, [{**limited, "headers": {"Retry-After": "7"}}, ONE_PAGE])
    read_videos()
    assert no_retry_sleep == [8]  # the CDK adds one second to the wait it is given


def test_given_persistent_5xx_when_reading_then_gives_up_as_transient_error(tiktok: Any) -> None:
    tiktok.post(LIST_URL, status_code=500, json=envelope(code="internal_error"))
    output = read_videos(fails=True)
    assert output.errors[0].trace.error.failure_type == FailureType.transient_error
    assert len(list_calls(tiktok)) == 9  # the first try and 8 retries


def test_given_access_token_dies_mid_sync_when_reading_then_refreshes_once_and_continues(
    tiktok: Any,
) -> None:
    tiktok.post(
        TOKEN_URL,
        [
            {"json": token_body()},
            {"json": token_body(access_token="second-access", refresh_token="third-refresh")},
        ],
    )
    tiktok.post(
        LIST_URL,
        [
            {"json": list_page([video(2, 200)], 200_000, True)},
            {"status_code": 401, "json": envelope(code="access_token_invalid")},
            {"json": list_page([video(1, 100)], 100_000, False)},
        ],
    )
    output = read_videos()
    assert [m.record.data["id"] for m in output.records] == ["2", "1"]
    assert list_calls(tiktok)[-1].headers["Authorization"] == "Bearer second-access"


def test_given_access_token_rejected_after_refresh_when_reading_then_config_error_with_log_id(
    tiktok: Any,
) -> None:
    tiktok.post(
        TOKEN_URL,
        [
            {"json": token_body()},
            {"json": token_body(access_token="second-access", refresh_token="third-refresh")},
        ],
    )
    tiktok.post(LIST_URL, status_code=401, json=envelope(code="access_token_invalid"))
    output = read_videos(fails=True)
    [error] = output.errors
    assert error.trace.error.failure_type == FailureType.config_error
    assert "just issued" in error.trace.error.message
    assert "access_token_invalid" in error.trace.error.message
    assert "log-42" in error.trace.error.message
    token_calls = [r for r in tiktok.request_history if r.url == TOKEN_URL]
    assert len(token_calls) == 2


def test_given_a_rejection_then_a_success_then_a_rejection_then_each_gets_a_refresh() -> None:
    handler = CreatorErrorHandler(logging.getLogger("test"))

    def answer(status: int, token: str, body: dict) -> ResponseAction:
        sent = response(status, body)
        sent.request = requests.Request(
            "POST", LIST_URL, headers={"Authorization": f"Bearer {token}"}
        ).prepare()
        return handler.interpret_response(sent).response_action

    rejected = envelope(code="access_token_invalid")
    assert answer(401, "first", rejected) == ResponseAction.REFRESH_TOKEN_THEN_RETRY
    assert answer(200, "second", list_page([], None, False)) == ResponseAction.SUCCESS
    assert answer(401, "second", rejected) == ResponseAction.REFRESH_TOKEN_THEN_RETRY
    assert answer(401, "second", rejected) == ResponseAction.REFRESH_TOKEN_THEN_RETRY
    assert answer(401, "third", rejected) == ResponseAction.FAIL


@pytest.mark.parametrize("status", [200, 400])
def test_given_an_error_code_tiktok_never_documented_then_fails_at_once_naming_it(
    tiktok: Any, status: int
) -> None:
    tiktok.post(LIST_URL, status_code=status, json=envelope(code="brand_new_code", message="?"))
    error = read_videos(fails=True).errors[0]
    assert error.trace.error.failure_type == FailureType.system_error
    assert "brand_new_code" in error.trace.error.message
    assert "log-42" in error.trace.error.message
    assert len(list_calls(tiktok)) == 1


def refused(host: str = "open.tiktokapis.com") -> requests.ConnectionError:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, f"https://{host}/", reason))  # type: ignore[arg-type]


def unresolved(host: str) -> requests.ConnectionError:
    reason = NameResolutionError(host, None, socket.gaierror("Name or service not known"))  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, f"https://{host}/", reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("api_base_url", "error", "failure", "reason"),
    [
        (
            "https://tiktok.example",
            unresolved("tiktok.example"),
            "config_error",
            "its name does not resolve",
        ),
        ("http://127.0.0.1:9", refused("127.0.0.1"), "config_error", "it refused the connection"),
        ("https://open.tiktokapis.com", refused(), "transient_error", "it refused the connection"),
    ],
)
def test_given_a_host_nobody_answers_on_then_gives_up_after_a_few_tries_naming_api_base_url(
    api_base_url: str,
    error: Exception,
    failure: str,
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = CreatorErrorHandler(logging.getLogger("test"), api_base_url=api_base_url)
    with caplog.at_level(logging.INFO):
        tries = [handler.interpret_response(error) for _ in range(UNREACHABLE_ATTEMPTS)]
    assert [t.response_action for t in tries[:-1]] == [ResponseAction.RETRY] * (
        UNREACHABLE_ATTEMPTS - 1
    )
    for retried in tries[:-1]:  # a passing fault while it lasts, worded as the last one
        assert retried.failure_type == FailureType.transient_error
        assert retried.error_message in tries[-1].error_message
    assert caplog.messages == [f"Retrying: {t.error_message}" for t in tries[:-1]]
    assert tries[-1].response_action == ResponseAction.FAIL
    assert tries[-1].failure_type == FailureType(failure)
    host = urlsplit(api_base_url).hostname
    said = f"Could not connect to {host}: {reason}. Check 'api_base_url' ({api_base_url})"
    assert said in tries[-1].error_message
    assert "rate limit" not in tries[-1].error_message.lower()


@pytest.mark.parametrize(
    "between",
    [response(500, envelope(code="internal_error")), requests.ReadTimeout()],
    ids=["an answer", "another network fault"],
)
def test_given_something_between_connection_failures_then_the_count_starts_again(
    between: object,
) -> None:
    handler = CreatorErrorHandler(logging.getLogger("test"))
    for _ in range(UNREACHABLE_ATTEMPTS - 1):
        handler.interpret_response(refused())
    handler.interpret_response(between)  # type: ignore[arg-type]
    again = [handler.interpret_response(refused()) for _ in range(UNREACHABLE_ATTEMPTS - 1)]
    assert {r.response_action for r in again} == {ResponseAction.RETRY}


def test_given_the_list_host_refuses_when_reading_then_the_sync_stops_after_a_few_tries(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, exc=refused())
    error = read_videos(fails=True).errors[0]
    assert "Could not connect to open.tiktokapis.com" in error.trace.error.message
    assert len(list_calls(tiktok)) == UNREACHABLE_ATTEMPTS


@pytest.mark.parametrize(
    ("code", "status", "needle"),
    [
        ("scope_not_authorized", 401, "video.list"),
        ("scope_permission_missed", 400, "video.list"),
        ("invalid_params", 400, "bug in the connector"),
    ],
)
def test_given_fatal_envelope_when_reading_then_fails_at_once_with_code_and_log_id(
    tiktok: Any, code: str, status: int, needle: str
) -> None:
    tiktok.post(LIST_URL, status_code=status, json=envelope(code=code, message="why"))
    output = read_videos(fails=True)
    message = output.errors[0].trace.error.message
    assert needle in message
    assert code in message
    assert "log-42" in message
    assert len(list_calls(tiktok)) == 1


def test_given_any_failure_when_reading_then_no_secret_in_any_output(tiktok: Any) -> None:
    tiktok.post(
        LIST_URL,
        status_code=400,
        json=envelope(code="invalid_params", message=f"echo {SECRETS[2]} {SECRETS[3]}"),
    )
    output = read_videos(fails=True)
    printed = "\n".join(
        json.dumps(AirbyteMessageSerializer.dump(message))
        for message in output.get_message_iterator()
        if message.type != Type.CONTROL
    )
    assert output.errors
    for secret in SECRETS:
        assert secret not in printed


def retry_lines(output: Any) -> list[str]:
    return [m.log.message for m in output.logs if "retrying" in m.log.message.lower()]


@pytest.mark.parametrize(
    "fault",
    [
        {"status_code": 500, "json": envelope(code="internal_error")},
        {"exc": requests.ConnectionError},
    ],
)
def test_given_a_retry_that_is_not_a_rate_limit_then_the_log_never_calls_it_one(
    tiktok: Any, fault: dict
) -> None:
    tiktok.post(LIST_URL, [fault, ONE_PAGE])
    lines = retry_lines(read_videos())
    assert any(line.startswith("Waiting ") for line in lines), lines
    assert not any("rate limit" in line.lower() for line in lines), lines


def test_given_a_429_then_the_log_says_rate_limit(tiktok: Any) -> None:
    tiktok.post(
        LIST_URL, [{"status_code": 429, "json": envelope(code="rate_limit_exceeded")}, ONE_PAGE]
    )
    lines = retry_lines(read_videos())
    assert any("Rate limit exceeded (HTTP 429)" in line for line in lines), lines


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_given_a_redirect_from_the_list_then_it_is_not_followed_and_names_the_target(
    tiktok: Any, status: int
) -> None:
    tiktok.post(LIST_URL, status_code=status, headers={"Location": "https://evil.example/steal"})
    tiktok.post("https://evil.example/steal", json=list_page([video(1, 100)], None, False))
    error = read_videos(fails=True).errors[0].trace.error
    assert error.failure_type == FailureType.config_error
    assert "redirected to evil.example" in error.message
    assert "Check 'api_base_url'" in error.message
    assert f"HTTP {status}" in error.message
    assert not any(r.url.startswith("https://evil.example") for r in tiktok.request_history)


@pytest.mark.parametrize(
    ("location", "named"),
    [
        ({}, "redirected to an unnamed place,"),
        ({"Location": "/v2/elsewhere/"}, "redirected to open.tiktokapis.com,"),
        ({"Location": "//other.example/x"}, "redirected to other.example,"),
    ],
    ids=["no Location", "a relative one", "another host, scheme-relative"],
)
def test_a_redirect_names_where_it_would_lead_whatever_its_location(
    location: dict[str, str], named: str
) -> None:
    resolution = HANDLER.interpret_response(response(302, b"", **location))
    assert resolution.response_action == ResponseAction.FAIL
    assert named in resolution.error_message


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (PermissionError(13, "Permission denied"), "Permission denied"),
        (FileNotFoundError(), "FileNotFoundError"),
    ],
)
def test_a_file_error_is_told_in_the_systems_words_else_by_its_kind(
    error: OSError, reason: str
) -> None:
    assert os_reason(error) == reason


def test_given_a_lone_surrogate_in_a_description_then_fails_at_once_naming_where(
    tiktok: Any,
) -> None:
    body = json.dumps(list_page([video(1, 100), video(2, 90, video_description="x")], None, False))
    body = body.replace('"x"', '"broken \\ud83d text"')
    tiktok.post(LIST_URL, text=body)
    error = read_videos(fails=True).errors[0].trace.error
    assert error.failure_type == FailureType.system_error
    assert (
        "not valid Unicode (a lone surrogate) at data.videos[1].video_description" in error.message
    )
    assert "log-42" in error.message
    assert len(list_calls(tiktok)) == 1


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": [1, {"b": "ok", "c": "\ud800"}]}, "a[1].c"),
        ({"\udfff": 1}, "\\udfff"),
        ("\ud800", "(the body)"),
        ({"a": ["fine", "also fine"]}, None),
    ],
)
def test_unencodable_text_is_found_wherever_it_is(value: Any, where: str | None) -> None:
    assert unencodable_text_at(value) == where


def test_given_a_lone_surrogate_in_an_error_message_then_ours_stays_valid_text() -> None:
    body = json.dumps(envelope(code="invalid_params", message="bad"))
    body = body.replace('"bad"', '"bad \\udc00 here"')
    message = HANDLER.interpret_response(response(400, body.encode())).error_message
    message.encode("utf-8")
    assert "invalid_params" in message


@pytest.mark.parametrize(
    ("headers", "log_id"), [({}, "hdr-log"), ({"x-tt-logid": ""}, "none")], ids=["header", "none"]
)
def test_given_a_body_without_tiktoks_error_object_then_the_headers_log_id_is_named(
    headers: dict[str, str], log_id: str
) -> None:
    page = response(502, b"<html>bad gateway</html>", USER_URL, **headers)
    message = HANDLER.interpret_response(page).error_message
    assert message.endswith(
        f"/v2/user/info/ answered HTTP 502; no TikTok error object in the body (log_id: {log_id})."
    )


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        (LIST_URL, "video.list"),
        (USER_URL, "user.info.basic / user.info.profile / user.info.stats"),
        ("https://open.tiktokapis.com/v2/research/video/", "needed by /v2/research/video/"),
    ],
)
def test_given_a_scope_refusal_then_the_scope_the_endpoint_needs_is_named(
    url: str, scope: str
) -> None:
    refusal = response(401, envelope(code="scope_not_authorized"), url)
    assert f"lacks the scope {scope}." in HANDLER.interpret_response(refusal).error_message


@pytest.mark.parametrize(
    ("error", "said"),
    [
        ({"code": "x_code", "message": "", "log_id": ""}, "TikTok error 'x_code' (log_id: none)"),
        (
            {"code": "x_code", "message": "Why.", "log_id": "L1"},
            "TikTok error 'x_code': Why. (log_id: L1)",
        ),
    ],
)
def test_tiktoks_error_object_is_told_with_its_code_message_and_log_id(
    error: dict, said: str
) -> None:
    answer = response(400, {"data": {}, "error": error}, **{"x-tt-logid": ""})
    assert HANDLER.interpret_response(answer).error_message.endswith(f" HTTP 400; {said}.")


def test_an_error_tells_the_sync_summary_what_it_tells_the_user() -> None:
    error = traced_error("Plain words.")
    assert (error.message, error.internal_message) == ("Plain words.", "Plain words.")
    assert error.failure_type == FailureType.system_error


@pytest.mark.parametrize(
    "cut",
    [BodyLate("did not arrive in full within 60 s"), BodyBrokeOff("broke off (ProtocolError)")],
)
def test_given_a_body_cut_then_it_is_retried_naming_the_setting(
    cut: Exception, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        resolution = CreatorErrorHandler(logging.getLogger("test")).interpret_response(cut)
    assert resolution.response_action == ResponseAction.RETRY
    assert resolution.failure_type == FailureType.transient_error
    assert resolution.error_message == (
        f"The connection to TikTok failed. Its answer {cut} ('request_timeout_seconds')."
    )
    assert caplog.messages == [f"Retrying: {resolution.error_message}"]


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (requests.ConnectionError(), "The connection to TikTok failed. (ConnectionError)"),
        (requests.ReadTimeout(), "No complete answer within 60 s ('request_timeout_seconds')."),
    ],
)
def test_given_a_network_fault_then_it_is_retried_and_named(fault: Exception, said: str) -> None:
    resolution = CreatorErrorHandler(logging.getLogger("test")).interpret_response(fault)
    assert resolution.response_action == ResponseAction.RETRY
    assert said in resolution.error_message


@pytest.mark.parametrize(
    ("answer", "limited"),
    [
        (response(429, envelope(code="rate_limit_exceeded")), True),
        (response(500, envelope(code="internal_error")), False),
    ],
)
def test_only_a_rate_limit_counts_as_one(answer: requests.Response, limited: bool) -> None:
    hits: list[None] = []
    CreatorErrorHandler(
        logging.getLogger("test"), on_rate_limit=lambda: hits.append(None)
    ).interpret_response(answer)
    assert len(hits) == int(limited)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (300, ResponseAction.FAIL),
        (399, ResponseAction.FAIL),
        (400, ResponseAction.FAIL),
        (499, ResponseAction.FAIL),
        (500, ResponseAction.RETRY),
        (599, ResponseAction.RETRY),
    ],
)
def test_the_edges_of_the_status_ranges_without_an_envelope(
    status: int, action: ResponseAction
) -> None:
    answer = response(status, b"<html>gateway</html>", Location="https://elsewhere.example/")
    assert HANDLER.interpret_response(answer).response_action == action


def error_body(log_id: str) -> dict[str, Any]:
    return {"data": {}, "error": {"code": "internal_error", "message": "", "log_id": log_id}}


@pytest.mark.parametrize(
    ("body", "headers", "log_id"),
    [
        (error_body("body-log"), {"x-tt-logid": "hdr-log"}, "body-log"),
        (error_body(""), {"x-tt-logid": "hdr-log"}, "hdr-log"),
        (b"<html>gateway</html>", {"x-tt-logid": "hdr-log"}, "hdr-log"),
        (b"<html>gateway</html>", {}, ""),
    ],
    ids=["body", "empty-in-body", "no-envelope", "none-at-all"],
)
def test_the_log_id_comes_from_tiktoks_error_object_else_from_the_header(
    body: Any, headers: dict[str, str], log_id: str
) -> None:
    answer = response(200, body)
    answer.headers.clear()
    answer.headers.update(headers)
    assert read_envelope(answer).log_id == log_id


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        (response(500, envelope(code="internal_error")), True),
        (response(429, envelope(code="rate_limit_exceeded")), True),
        (response(200, b"<html>gateway</html>"), True),
        (requests.ConnectionError(), True),
        (response(400, envelope(code="invalid_params")), False),
        (response(200, list_page([], None, False)), False),
    ],
    ids=["5xx", "429", "malformed", "network", "fatal", "success"],
)
def test_every_retry_and_only_a_retry_is_logged_with_its_reason(
    answer: Any, logged: bool, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        resolution = CreatorErrorHandler(logging.getLogger("test")).interpret_response(answer)
    assert caplog.messages == ([f"Retrying: {resolution.error_message}"] if logged else [])


def test_given_neither_an_answer_nor_a_request_error_then_the_failure_names_what_came() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        HANDLER.interpret_response(None)
    assert raised.value.message == "Unexpected error while calling TikTok: None"


def test_given_a_custom_list_host_that_refuses_then_the_error_names_that_setting(
    requests_mock: Any,
) -> None:
    custom = "https://tiktok-proxy.example"
    requests_mock.post(custom + "/v2/oauth/token/", json=token_body())
    requests_mock.get(custom + "/v2/user/info/", json=profile())
    requests_mock.post(custom + "/v2/video/list/", exc=refused("tiktok-proxy.example"))
    error = read_videos(make_config(api_base_url=custom), fails=True).errors[0]
    assert f"Check 'api_base_url' ({custom})" in error.trace.error.message
    assert error.trace.error.failure_type == FailureType.config_error


def test_given_a_429_on_the_list_then_the_listing_summary_counts_the_wait(tiktok: Any) -> None:
    tiktok.post(
        LIST_URL,
        [
            {"status_code": 429, "json": envelope(code="rate_limit_exceeded")},
            {"json": list_page([video(1, 100)], 100_000, False)},
        ],
    )
    output = read_videos()
    assert output.is_in_logs(
        "Listing done: 1 list pages; records emitted: videos 1; 1 rate-limit answers"
    )


def test_given_429s_forever_then_the_sync_stops_once_the_next_wait_would_pass_twenty_minutes(
    tiktok: Any, no_retry_sleep: list[float]
) -> None:
    limited = envelope(code="rate_limit_exceeded")
    tiktok.post(LIST_URL, status_code=429, json=limited, headers={"Retry-After": "300"})
    catalog = (
        CatalogBuilder()
        .with_stream("videos", SyncMode.full_refresh)
        .with_stream("video_stats", SyncMode.full_refresh)
        .build()
    )
    output = read(SourceTiktokOrganic(), make_config(), catalog, expecting_exception=True)
    assert no_retry_sleep == [301] * 4, "20 minutes in all; video_stats does not wait again"
    errors = [error.trace.error for error in output.errors]
    assert {error.stream_descriptor.name for error in errors[:2]} == {"videos", "video_stats"}
    for error in errors[:2]:
        assert error.failure_type == FailureType.transient_error
        assert "past the 20 minutes a sync waits at most" in error.message
        assert "600 requests per minute per endpoint" in error.message
        assert "log-42" in error.message


def test_given_a_429_without_retry_after_then_its_longest_doubling_wait_must_still_fit() -> None:
    waiting = WaitAllowance()
    handler = CreatorErrorHandler(logging.getLogger("test"), backoff=TikTokBackoff(waiting=waiting))
    limited = response(429, envelope(code="rate_limit_exceeded"))
    waiting.spend(MOST_WAITING_SECONDS - CAP_SECONDS)
    assert handler.interpret_response(limited).response_action == ResponseAction.RATE_LIMITED
    waiting.spend(0.001)
    assert handler.interpret_response(limited).response_action == ResponseAction.FAIL


@pytest.mark.parametrize(
    ("fields", "message", "action"),
    [
        ("id,is_aigc", "Unknown fields: is_aigc", ResponseAction.SUCCESS),
        ("id,is_aigc", "Fields [IS_AIGC] are not supported", ResponseAction.SUCCESS),
        ("id,is_aigc", "Unknown fields: likes", ResponseAction.FAIL),
        ("id", "Unknown fields: is_aigc", ResponseAction.FAIL),
    ],
    ids=["refused", "other-wording", "another-field", "not-asked"],
)
def test_given_invalid_params_then_only_a_refusal_of_an_asked_late_field_is_left_to_the_list(
    fields: str, message: str, action: ResponseAction
) -> None:
    refused = response(400, envelope(code="invalid_params", message=message))
    refused.request = requests.Request("POST", LIST_URL, params={"fields": fields}).prepare()
    assert HANDLER.interpret_response(refused).response_action == action
