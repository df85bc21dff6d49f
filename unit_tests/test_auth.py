import hashlib
import json
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now
from urllib3.exceptions import MaxRetryError, NewConnectionError

from source_tiktok_organic.core import auth as auth_module
from source_tiktok_organic.core.auth import (
    DEFAULT_TOKEN_LIFE,
    TOKEN_ANSWER_SECONDS,
    TOKEN_ATTEMPTS,
    TOKEN_LIFE_RANGE,
    account_id,
    parse_scopes,
    seconds_within,
    token_life,
    warn_if_refresh_token_ends_soon,
)
from source_tiktok_organic.core.deadlines import BodyBrokeOff, BodyLate
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from unit_tests.conftest import (
    ACCESS_TOKEN,
    API,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ROTATED_REFRESH_TOKEN,
    TOKEN_URL,
    credentials,
    make_config,
    token_body,
)


def control_configs(captured: str) -> list[dict[str, Any]]:
    messages = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [
        m["control"]["connectorConfig"]["config"] for m in messages if m.get("type") == "CONTROL"
    ]


def test_when_refreshing_then_form_body_uses_client_key_and_refresh_grant(tiktok: Any) -> None:
    CreatorAuthenticator(make_config(), API, 5).get_access_token()
    request = tiktok.last_request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.text) == {
        "grant_type": ["refresh_token"],
        "client_key": ["client-key-1"],
        "client_secret": [CLIENT_SECRET],
        "refresh_token": [REFRESH_TOKEN],
    }


def test_given_rotated_refresh_token_when_refreshing_then_control_message_carries_it(
    tiktok: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    config = make_config()
    CreatorAuthenticator(config, API, 5).get_access_token()
    rotated, complete = control_configs(capsys.readouterr().out)
    assert rotated["refresh_token"] == complete["refresh_token"] == ROTATED_REFRESH_TOKEN
    assert "access_token" not in rotated["oauth_session"]  # sent before the rest is read
    assert complete["oauth_session"]["access_token"] == ACCESS_TOKEN
    assert config["refresh_token"] == ROTATED_REFRESH_TOKEN


def test_given_still_valid_token_in_config_when_starting_then_no_refresh_and_no_rotation(
    tiktok: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    session = {
        "access_token": "still-valid",
        "expires_at": str(ab_datetime_now().replace(year=ab_datetime_now().year + 1)),
        "scope": "user.info.basic,video.list",
        "open_id": "open-id-creator",
        "credentials_sha256": credentials(make_config()),
    }
    auth = CreatorAuthenticator(make_config(oauth_session=session), API, 5)
    assert auth.get_access_token() == "still-valid"
    assert auth.granted_scopes() == {"user.info.basic", "video.list"}
    assert not tiktok.called
    assert control_configs(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    "fingerprinted_token", ["a-refresh-token-the-user-replaced", None], ids=["other", "none"]
)
def test_given_valid_session_of_another_refresh_token_when_starting_then_the_entered_one_is_tried(
    tiktok: Any, fingerprinted_token: str | None
) -> None:
    """The Airbyte UI's "edit the source, paste a new token, Test": the new token must be used."""
    session = {
        "access_token": "still-valid",
        "expires_at": str(ab_datetime_now().replace(year=ab_datetime_now().year + 1)),
        "scope": "user.info.basic,video.list",
    }
    if fingerprinted_token:
        session["credentials_sha256"] = credentials(make_config(refresh_token=fingerprinted_token))
    config = make_config(oauth_session=session)
    auth = CreatorAuthenticator(config, API, 5)
    assert auth.get_access_token() == ACCESS_TOKEN
    assert parse_qs(tiktok.request_history[0].text)["refresh_token"] == [REFRESH_TOKEN]
    assert config["oauth_session"]["credentials_sha256"] == credentials(config)
    assert REFRESH_TOKEN not in json.dumps(config["oauth_session"])
    assert ROTATED_REFRESH_TOKEN not in json.dumps(config["oauth_session"])


def test_given_a_wrong_refresh_token_and_a_valid_session_when_checking_then_invalid_grant(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json={"error": "invalid_grant", "log_id": "log-typo"})
    session = {
        "access_token": "still-valid",
        "expires_at": str(ab_datetime_now().replace(year=ab_datetime_now().year + 1)),
        "scope": "user.info.basic,video.list",
        "credentials_sha256": credentials(make_config(refresh_token="the-token-before-the-edit")),
    }
    auth = CreatorAuthenticator(make_config(oauth_session=session, refresh_token="typo"), API, 5)
    with pytest.raises(AirbyteTracedException) as raised:
        auth.get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert "log-typo" in raised.value.message


def test_given_tiktok_keeps_the_refresh_token_then_the_session_is_tied_to_the_same_one(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(refresh_token=""))
    config = make_config()
    auth = CreatorAuthenticator(config, API, 5)
    auth.get_access_token()
    assert config["refresh_token"] == REFRESH_TOKEN
    assert config["oauth_session"]["credentials_sha256"] == credentials(make_config())
    assert not auth.token_has_expired()


@pytest.mark.parametrize(
    "session",
    [
        {"access_token": "soon-dead", "expires_at": "2000-01-01T00:00:00Z", "scope": "video.list"},
        {"access_token": "no-scope-known", "expires_at": "2999-01-01T00:00:00Z"},
        {"access_token": "garbled", "expires_at": "next tuesday", "scope": "video.list"},
    ],
)
def test_given_expired_unknown_or_garbled_session_when_starting_then_refreshes(
    tiktok: Any, session: dict
) -> None:
    auth = CreatorAuthenticator(make_config(oauth_session=session), API, 5)
    assert auth.get_access_token() == ACCESS_TOKEN
    assert tiktok.call_count == 1


@pytest.mark.parametrize(
    ("category", "needle"),
    [
        ("invalid_grant", "use the config that run saved"),
        ("invalid_client", "'client_id' (TikTok calls it client key) and 'client_secret'"),
        ("invalid_scope", "scopes"),
        ("unsupported_grant_type", "refused to refresh"),
    ],
)
def test_given_token_error_with_http_200_when_refreshing_then_config_error_with_log_id(
    requests_mock: Any, category: str, needle: str
) -> None:
    requests_mock.post(
        TOKEN_URL,
        json={"error": category, "error_description": "nope", "log_id": "log-token-7"},
    )
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert needle in raised.value.message
    assert "log-token-7" in raised.value.message
    assert category in raised.value.message


def test_given_token_error_with_http_400_when_refreshing_then_same_config_error(
    requests_mock: Any,
) -> None:
    requests_mock.post(
        TOKEN_URL, status_code=400, json={"error": "invalid_grant", "log_id": "log-9"}
    )
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert "log-9" in raised.value.message


@pytest.mark.parametrize(
    "response",
    [
        {"text": "<html>bad gateway</html>"},
        {"json": {"error": "temporarily_unavailable", "log_id": "l"}},
        {"json": ["not", "an", "object"]},
    ],
)
def test_given_unreadable_or_transient_token_answer_when_refreshing_then_transient_error(
    requests_mock: Any, response: dict
) -> None:
    requests_mock.post(TOKEN_URL, **response)
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.transient_error


def test_given_token_endpoint_5xx_then_recovers_when_refreshing_then_retried(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, [{"status_code": 503}, {"json": token_body()}])
    assert CreatorAuthenticator(make_config(), API, 5).get_access_token() == ACCESS_TOKEN


def test_given_rotation_when_logging_then_new_refresh_token_is_masked(tiktok: Any) -> None:
    CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert ROTATED_REFRESH_TOKEN not in filter_secrets(f"leak {ROTATED_REFRESH_TOKEN}")
    assert ACCESS_TOKEN not in filter_secrets(f"leak {ACCESS_TOKEN}")


def test_given_token_response_then_scopes_and_open_id_are_kept(tiktok: Any) -> None:
    tiktok.post(TOKEN_URL, json=token_body(scope="video.list, user.info.basic"))
    auth = CreatorAuthenticator(make_config(), API, 5)
    assert auth.granted_scopes() == {"video.list", "user.info.basic"}
    assert auth.open_id() == "open-id-creator"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a,b", {"a", "b"}), ("a b", {"a", "b"}), ("", set()), (None, set()), ("a,,b,", {"a", "b"})],
)
def test_given_scope_strings_when_parsing_then_set_of_scopes(raw: Any, expected: set) -> None:
    assert parse_scopes(raw) == expected


@pytest.mark.parametrize(
    "failure",
    [{"exc": requests.ConnectTimeout}, {"exc": requests.ConnectionError}, {"status_code": 503}],
)
def test_given_token_endpoint_down_when_refreshing_then_gives_up_soon_as_transient(
    requests_mock: Any, failure: dict, no_retry_sleep: list[float]
) -> None:
    requests_mock.post(TOKEN_URL, **failure)
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.transient_error
    assert "api_base_url" in raised.value.message
    assert requests_mock.call_count == TOKEN_ATTEMPTS
    assert sum(no_retry_sleep) < 10


def test_when_refreshing_then_the_token_request_has_a_timeout(requests_mock: Any) -> None:
    requests_mock.post(TOKEN_URL, json=token_body())
    CreatorAuthenticator(make_config(), API, 7).get_access_token()
    assert requests_mock.last_request.timeout == (7, TOKEN_ANSWER_SECONDS)


def test_given_a_token_answer_that_times_out_then_it_is_not_asked_again(
    requests_mock: Any,
) -> None:
    """The call reached TikTok, which may have rotated the token: a retry would be refused."""
    requests_mock.post(TOKEN_URL, [{"exc": requests.ReadTimeout}, {"json": token_body()}])
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 7).get_access_token()
    assert "did not arrive within 120 s" in raised.value.message
    assert "may have rotated the refresh token" in raised.value.message
    assert raised.value.failure_type == FailureType.transient_error
    assert requests_mock.call_count == 1


@pytest.mark.parametrize(
    "cut",
    [BodyLate("did not arrive in full within 120 s"), BodyBrokeOff("broke off (ProtocolError)")],
)
def test_given_a_token_answer_cut_in_its_body_then_it_is_not_asked_again(
    requests_mock: Any, cut: Exception
) -> None:
    requests_mock.post(TOKEN_URL, [{"exc": cut}, {"json": token_body()}])
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 7).get_access_token()
    assert f"TikTok's token endpoint's answer {cut}." in raised.value.message
    assert raised.value.failure_type == FailureType.transient_error
    assert requests_mock.call_count == 1


@pytest.mark.parametrize(
    ("api_base_url", "failure"),
    [("https://tiktok-proxy.example", "config_error"), (API, "transient_error")],
)
def test_given_a_token_host_that_refuses_then_the_error_names_it_and_a_custom_one_is_config(
    requests_mock: Any, api_base_url: str, failure: str
) -> None:
    refused = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    requests_mock.post(
        api_base_url + "/v2/oauth/token/",
        exc=requests.ConnectionError(MaxRetryError(None, api_base_url, refused)),  # type: ignore[arg-type]
    )
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), api_base_url, 5).get_access_token()
    assert raised.value.failure_type == FailureType(failure)
    host = api_base_url.removeprefix("https://")
    assert f"Could not connect to {host}: it refused the connection" in raised.value.message
    assert f"'api_base_url' ({api_base_url})" in raised.value.message


def test_given_a_rotation_then_the_rotated_config_is_handed_to_the_saver(tiktok: Any) -> None:
    saved: list[dict[str, Any]] = []
    config = make_config()
    CreatorAuthenticator(
        config, API, 5, save_config=lambda c: saved.append(dict(c))
    ).get_access_token()
    assert [c["refresh_token"] for c in saved] == [ROTATED_REFRESH_TOKEN] * 2
    assert saved[-1]["oauth_session"]["access_token"] == ACCESS_TOKEN


@pytest.mark.parametrize("status", [302, 307, 308])
def test_given_the_token_endpoint_redirects_then_the_secret_is_not_sent_there(
    requests_mock: Any, status: int
) -> None:
    requests_mock.post(
        TOKEN_URL, status_code=status, headers={"Location": "https://evil.example/t"}
    )
    requests_mock.post("https://evil.example/t", json=token_body())
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert f"HTTP {status}, a redirect to evil.example" in raised.value.message
    assert [r.url for r in requests_mock.request_history] == [TOKEN_URL]


@pytest.mark.parametrize("expires_in", [0, -5, 30, "abc", 1e20, None, [], True, 10**12], ids=repr)
def test_given_an_unusable_expires_in_then_the_rotated_token_is_still_emitted_with_a_default_life(
    requests_mock: Any,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    expires_in: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(expires_in=expires_in))
    auth = CreatorAuthenticator(make_config(), API, 5)
    assert auth.get_access_token() == ACCESS_TOKEN
    emitted = control_configs(capsys.readouterr().out)[-1]
    assert emitted["refresh_token"] == ROTATED_REFRESH_TOKEN
    assert emitted["oauth_session"]["expires_in"] == 7200
    left = auth.get_token_expiry_date() - ab_datetime_now()
    assert timedelta(hours=1, minutes=59) < left <= timedelta(hours=2)
    assert "unusable expires_in" in caplog.text


@pytest.mark.parametrize(("expires_in", "seconds"), [("3600", 3600), (86400.0, 86400), (60, 60)])
def test_given_a_usable_expires_in_then_it_is_the_tokens_life(
    requests_mock: Any, expires_in: Any, seconds: int
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(expires_in=expires_in))
    config = make_config()
    CreatorAuthenticator(config, API, 5).get_access_token()
    assert config["oauth_session"]["expires_in"] == seconds


def test_given_a_short_lived_token_then_it_is_used_for_half_its_life_not_refreshed_each_request(
    requests_mock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(expires_in=120))
    auth = CreatorAuthenticator(make_config(), API, 5)
    issued = ab_datetime_now()
    for _ in range(20):
        auth.get_access_token()
    assert requests_mock.call_count == 1
    monkeypatch.setattr(auth_module, "ab_datetime_now", lambda: issued + timedelta(seconds=61))
    auth.get_access_token()
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    ("body", "failure", "said"),
    [
        ({}, "config_error", "TikTok refused to refresh the access token. "),
        ({}, "config_error", "(TikTok error 'unknown_error', log_id: none)"),
        (
            {"error": "server_error", "log_id": "log-7"},
            "transient_error",
            "TikTok's token endpoint is temporarily unavailable (TikTok error 'server_error', "
            "log_id: log-7).",
        ),
        (["not", "an", "object"], "transient_error", "something other than a JSON object"),
    ],
)
def test_given_a_token_answer_without_a_token_then_the_error_says_what_tiktok_said(
    requests_mock: Any, body: Any, failure: str, said: str
) -> None:
    requests_mock.post(TOKEN_URL, json=body)
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    error = raised.value
    assert error.failure_type == FailureType(failure)
    assert said in error.message
    assert error.internal_message == error.message


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ({"status_code": 503}, "TikTok's token endpoint answered HTTP 503."),
        ({"exc": requests.ConnectionError}, "could not be reached (ConnectionError)."),
    ],
)
def test_given_a_token_endpoint_that_keeps_failing_then_the_error_says_how_and_how_often(
    requests_mock: Any, fault: dict, said: str
) -> None:
    requests_mock.post(TOKEN_URL, **fault)
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 7).get_access_token()
    assert said in raised.value.message
    assert f"Gave up after {TOKEN_ATTEMPTS} attempts." in raised.value.message
    assert raised.value.failure_type == FailureType.transient_error


@pytest.mark.parametrize("category", ["server_error", "temporarily_unavailable"])
def test_given_a_token_answer_naming_a_passing_fault_then_asked_again_and_the_grant_kept(
    requests_mock: Any, category: str
) -> None:
    requests_mock.post(
        TOKEN_URL, [{"json": {"error": category, "log_id": "l"}}, {"json": token_body()}]
    )
    assert CreatorAuthenticator(make_config(), API, 5).get_access_token() == ACCESS_TOKEN
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    ("left", "warned"),
    [
        (13 * 86400, True),
        (14 * 86400, True),
        (14 * 86400 + 1, False),
        ("86400", True),
        (0, False),
        (-5, False),
        (None, False),
        (True, False),
        ("soon", False),
    ],
)
def test_given_the_refresh_tokens_life_left_then_a_warning_only_within_14_days(
    requests_mock: Any, caplog: pytest.LogCaptureFixture, left: Any, warned: bool
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(refresh_expires_in=left))
    CreatorAuthenticator(make_config(), API, 5).get_access_token()
    said = [r.getMessage() for r in caplog.records if "refresh token expires in" in r.getMessage()]
    assert bool(said) == warned
    if warned:
        assert "Re-authorize the account" in said[0]
        days = int(left)
        when = (ab_datetime_now() + timedelta(seconds=days)).date().isoformat()
        assert f"expires in {days // 86400} days (around {when})" in said[0]


def test_given_every_token_answer_naming_a_passing_fault_then_the_last_one_is_reported(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json={"error": "server_error", "log_id": "log-5"})
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert requests_mock.call_count == TOKEN_ATTEMPTS
    assert "(TikTok error 'server_error', log_id: log-5)" in str(raised.value.message)


@pytest.mark.parametrize("status", [400, 404])
def test_given_a_4xx_without_json_from_the_token_endpoint_then_the_host_field_is_named(
    requests_mock: Any, status: int
) -> None:
    requests_mock.post(TOKEN_URL, status_code=status, text="Not Found")
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(make_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert f"answered HTTP {status} without a JSON body" in str(raised.value.message)
    assert "Check 'api_base_url'" in str(raised.value.message)


def valid_session(config: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    session = {
        "access_token": "still-valid",
        "expires_at": str(ab_datetime_now() + timedelta(days=1)),
        "scope": "user.info.basic,video.list",
        "open_id": "open-id-creator",
        "credentials_sha256": credentials(config),
    }
    session.update(overrides)
    return session


@pytest.mark.parametrize(
    "edit",
    [
        {"client_secret": "a-rotated-app-secret"},
        {"client_id": "another-client-key"},
        {"refresh_token": "a-pasted-refresh-token"},
    ],
    ids=["secret", "app id", "refresh token"],
)
def test_given_a_saved_session_when_a_credential_is_edited_then_check_asks_tiktok(
    tiktok: Any, edit: dict[str, str]
) -> None:
    """The Airbyte UI's "rotate the app secret, paste it, Test": a typo must fail the Test."""
    config = make_config(oauth_session=valid_session(make_config()))
    config.update(edit)
    assert CreatorAuthenticator(config, API, 5).get_access_token() == ACCESS_TOKEN
    assert tiktok.call_count == 1


@pytest.mark.parametrize(
    "host", ["https://tiktok-proxy.example", "http://127.0.0.1:9"], ids=["proxy", "emulator"]
)
def test_given_a_saved_session_when_the_api_host_changes_then_it_is_not_reused(
    requests_mock: Any, host: str
) -> None:
    requests_mock.post(host + "/v2/oauth/token/", json=token_body())
    config = make_config(oauth_session=valid_session(make_config()))
    assert CreatorAuthenticator(config, host, 5).get_access_token() == ACCESS_TOKEN


def test_given_a_session_saved_by_the_previous_version_then_it_reads_and_is_renewed_once(
    tiktok: Any,
) -> None:
    """Sessions fingerprinted by the refresh token alone cannot vouch for the app secret."""
    legacy = valid_session(make_config())
    del legacy["credentials_sha256"]
    legacy["refresh_token_sha256"] = hashlib.sha256(REFRESH_TOKEN.encode()).hexdigest()
    config = make_config(oauth_session=legacy)
    auth = CreatorAuthenticator(config, API, 5)
    assert auth.get_access_token() == ACCESS_TOKEN
    assert auth.open_id() == "open-id-creator"
    assert config["oauth_session"]["credentials_sha256"] == credentials(config)
    assert "refresh_token_sha256" not in config["oauth_session"]


def test_given_the_same_credentials_then_the_fingerprint_holds_no_secret(tiktok: Any) -> None:
    config = make_config()
    CreatorAuthenticator(config, API, 5).get_access_token()
    session_text = json.dumps(config["oauth_session"])
    assert CLIENT_SECRET not in session_text
    assert ROTATED_REFRESH_TOKEN not in session_text


@pytest.mark.parametrize("life", [10**30, 1e300, "9" * 40, -(10**30)], ids=repr)
@pytest.mark.parametrize("field", ["refresh_expires_in", "expires_in"])
def test_given_an_absurd_lifetime_then_the_rotated_token_is_kept_and_the_sync_goes_on(
    requests_mock: Any, capsys: pytest.CaptureFixture[str], field: str, life: Any
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(**{field: life}))
    config = make_config()
    assert CreatorAuthenticator(config, API, 5).get_access_token() == ACCESS_TOKEN
    assert control_configs(capsys.readouterr().out)[-1]["refresh_token"] == ROTATED_REFRESH_TOKEN


@pytest.mark.parametrize(
    ("rotated", "warned"),
    [
        (12345, True),
        ({"token": "x"}, True),
        (["x"], True),
        ("", False),
        ("   ", True),
        (None, False),
    ],
    ids=repr,
)
def test_given_an_unusable_rotated_refresh_token_then_the_current_one_is_kept(
    requests_mock: Any, caplog: pytest.LogCaptureFixture, rotated: Any, warned: bool
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(refresh_token=rotated))
    config = make_config()
    auth = CreatorAuthenticator(config, API, 5)
    assert auth.get_access_token() == ACCESS_TOKEN
    assert config["refresh_token"] == REFRESH_TOKEN
    assert not auth.token_has_expired()  # the session belongs to the token kept
    assert ("refresh_token the connector cannot use" in caplog.text) == warned


@pytest.mark.parametrize(
    "access_token",
    [{"t": 1}, 42, "", None, "bad\nheader"],
    ids=["object", "number", "empty", "missing", "newline"],
)
def test_given_an_unusable_access_token_then_the_rotated_refresh_token_was_saved_first(
    requests_mock: Any, access_token: Any
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(access_token=access_token))
    saved: list[dict[str, Any]] = []
    auth = CreatorAuthenticator(
        make_config(), API, 5, save_config=lambda c: saved.append(json.loads(json.dumps(c)))
    )
    with pytest.raises(AirbyteTracedException) as raised:
        auth.get_access_token()
    assert raised.value.failure_type == FailureType.transient_error
    assert "no usable access token" in raised.value.message
    assert [c["refresh_token"] for c in saved] == [ROTATED_REFRESH_TOKEN]


def test_given_a_saved_account_when_tiktok_issues_a_token_for_another_then_a_config_error(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(open_id="open-id-other"))
    config = make_config()
    config["oauth_session"] = valid_session(config, expires_at="2000-01-01T00:00:00Z")
    saved: list[dict[str, Any]] = []
    auth = CreatorAuthenticator(
        config, API, 5, save_config=lambda c: saved.append(json.loads(json.dumps(c)))
    )
    with pytest.raises(AirbyteTracedException) as raised:
        auth.get_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert "open-id-other" in raised.value.message
    assert "open-id-creator" in raised.value.message
    assert saved[-1]["refresh_token"] == ROTATED_REFRESH_TOKEN
    assert saved[-1]["oauth_session"]["open_id"] == "open-id-creator"
    assert "access_token" not in config["oauth_session"]  # the other account's token is not kept


def test_given_a_mid_sync_refresh_for_another_account_then_the_sync_stops(
    requests_mock: Any,
) -> None:
    requests_mock.post(
        TOKEN_URL,
        [
            {"json": token_body()},
            {"json": token_body(open_id="open-id-other", refresh_token="third-token")},
        ],
    )
    config = make_config()
    auth = CreatorAuthenticator(config, API, 5)
    assert auth.open_id() == "open-id-creator"
    with pytest.raises(AirbyteTracedException) as raised:
        auth.refresh_and_set_access_token()
    assert raised.value.failure_type == FailureType.config_error
    assert "open-id-other" in raised.value.message
    assert config["oauth_session"] == {
        "credentials_sha256": credentials(config),
        "open_id": "open-id-creator",
    }


def test_given_an_answer_naming_no_account_then_the_known_account_stays(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, [{"json": token_body()}, {"json": token_body(open_id=None)}])
    auth = CreatorAuthenticator(make_config(), API, 5)
    auth.get_access_token()
    auth.refresh_and_set_access_token()
    assert auth.open_id() == "open-id-creator"


@pytest.mark.parametrize(
    "edit",
    [
        {"refresh_token": "the-other-accounts-token"},
        {"client_secret": "a-new-app-secret"},
        {"oauth_session": {"refresh_token_sha256": "a-legacy-session", "open_id": "open-id-a"}},
    ],
    ids=["pasted token", "edited secret", "legacy session"],
)
def test_given_a_session_of_one_account_when_a_token_for_another_comes_then_it_is_refused(
    requests_mock: Any, edit: dict[str, Any]
) -> None:
    """Edits unbind the saved token, never the account: its rows would mix with the other's."""
    requests_mock.post(TOKEN_URL, json=token_body(open_id="open-id-b"))
    config = make_config(oauth_session=valid_session(make_config(), open_id="open-id-a"))
    config.update(edit)
    with pytest.raises(AirbyteTracedException) as raised:
        CreatorAuthenticator(config, API, 5).get_access_token()
    assert "open-id-b" in raised.value.message
    assert "open-id-a" in raised.value.message
    assert "remove 'oauth_session'" in raised.value.message


def test_given_no_session_then_any_account_is_taken(requests_mock: Any) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(open_id="open-id-b"))
    assert CreatorAuthenticator(make_config(), API, 5).open_id() == "open-id-b"


@pytest.mark.parametrize("saved", ["", 12345, None], ids=["empty", "number", "none"])
def test_given_a_session_without_a_readable_account_then_any_account_is_taken(
    requests_mock: Any, saved: Any
) -> None:
    requests_mock.post(TOKEN_URL, json=token_body(open_id="open-id-b"))
    config = make_config(oauth_session={"open_id": saved})
    assert CreatorAuthenticator(config, API, 5).open_id() == "open-id-b"


def test_given_the_bounds_themselves_then_they_are_within() -> None:
    low, high = TOKEN_LIFE_RANGE
    assert seconds_within(low, TOKEN_LIFE_RANGE) == low
    assert seconds_within(high, TOKEN_LIFE_RANGE) == high
    assert seconds_within(high + 1, TOKEN_LIFE_RANGE) is None


def test_given_an_unusable_life_then_the_warning_quotes_it_and_names_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert token_life("abc") == DEFAULT_TOKEN_LIFE
    assert "unusable expires_in ('abc')" in caplog.text
    assert "taken to live 2:00:00" in caplog.text


def test_given_an_unusable_refresh_life_then_the_warning_quotes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warn_if_refresh_token_ends_soon("soon")
    assert "unusable refresh token lifetime ('soon')" in caplog.text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12345, "12345"), ("open-1", "open-1"), (True, None), ("", None), (" ", None), ({}, None)],
    ids=repr,
)
def test_given_an_account_id_then_text_or_a_whole_number_only(
    raw: Any, expected: str | None
) -> None:
    assert account_id(raw) == expected
