"""Business mode's token flow: JSON refresh, the code-0 envelope, Access-Token, rotation kept."""

import json
from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.business.auth import (
    REFRESH_PATH,
    BusinessAuthenticator,
    business_id,
)
from unit_tests.conftest import CLIENT_SECRET, REFRESH_TOKEN, ROTATED_REFRESH_TOKEN, credentials

API = "https://business-api.tiktok.com"
REFRESH_URL = API + REFRESH_PATH
ACCESS_TOKEN = "act.business-5e8b03"


def business_config(**overrides: Any) -> dict[str, Any]:
    config = {
        "account_mode": "business",
        "client_id": "7000000000000000001",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    config.update(overrides)
    return config


def grant(**overrides: Any) -> dict[str, Any]:
    data = {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 86400,
        "refresh_token": ROTATED_REFRESH_TOKEN,
        "refresh_token_expires_in": 31535000,
        "open_id": "biz-open-id",
        "scope": "user.info.basic,video.list,video.insights",
    }
    data.update(overrides)
    return {"code": 0, "message": "OK", "request_id": "req-1", "data": data}


@pytest.fixture
def business(requests_mock: Any) -> Any:
    requests_mock.post(REFRESH_URL, json=grant())
    return requests_mock


def test_when_refreshing_then_a_json_body_with_the_app_id_as_client_id(business: Any) -> None:
    BusinessAuthenticator(business_config(), API, 5).get_access_token()
    request = business.last_request
    assert request.url == REFRESH_URL
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.text) == {
        "grant_type": "refresh_token",
        "client_id": "7000000000000000001",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }


def test_given_a_grant_then_the_session_keeps_token_scopes_business_id_and_rotation(
    business: Any,
) -> None:
    config = business_config()
    auth = BusinessAuthenticator(config, API, 5)
    assert auth.get_auth_header() == {"Access-Token": ACCESS_TOKEN}
    assert auth.open_id() == "biz-open-id"
    assert auth.granted_scopes() == {"user.info.basic", "video.list", "video.insights"}
    assert config["refresh_token"] == ROTATED_REFRESH_TOKEN
    assert config["oauth_session"]["credentials_sha256"] == credentials(config, REFRESH_URL)
    assert business.call_count == 1


def test_given_the_same_refresh_token_back_then_it_is_kept_and_fingerprinted(
    requests_mock: Any,
) -> None:
    requests_mock.post(REFRESH_URL, json=grant(refresh_token=REFRESH_TOKEN))
    config = business_config()
    BusinessAuthenticator(config, API, 5).get_access_token()
    assert config["refresh_token"] == REFRESH_TOKEN
    assert config["oauth_session"]["credentials_sha256"] == credentials(config, REFRESH_URL)


@pytest.mark.parametrize(
    ("code", "failure", "needle"),
    [
        (40103, FailureType.config_error, "last CONTROL message"),
        (40107, FailureType.config_error, "last CONTROL message"),
        (40001, FailureType.config_error, "app id"),
        (40108, FailureType.config_error, "bug in the connector"),
        (40100, FailureType.transient_error, "busy or failing"),
        (50000, FailureType.transient_error, "busy or failing"),
        (51234, FailureType.transient_error, "busy or failing"),
        (49999, FailureType.config_error, "refused to refresh"),
        (52000, FailureType.config_error, "refused to refresh"),
    ],
)
def test_given_a_refused_refresh_then_the_code_decides_the_error(
    requests_mock: Any, code: int, failure: FailureType, needle: str
) -> None:
    requests_mock.post(REFRESH_URL, json={"code": code, "message": "no", "request_id": "req-9"})
    with pytest.raises(AirbyteTracedException) as raised:
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
    assert raised.value.failure_type == failure
    assert needle in str(raised.value.message)
    assert f"code {code}: no, request_id: req-9" in str(raised.value.message)
    assert CLIENT_SECRET not in str(raised.value.message)
    assert REFRESH_TOKEN not in str(raised.value.message)


@pytest.mark.parametrize(
    "body", [None, [], {"code": 0, "data": {}}, {"code": 0, "data": {"access_token": ""}}]
)
def test_given_a_grant_without_an_access_token_then_a_transient_error(
    requests_mock: Any, body: Any
) -> None:
    requests_mock.post(REFRESH_URL, json=body)
    with pytest.raises(AirbyteTracedException) as raised:
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.transient_error


@pytest.mark.parametrize("code", [40100, 40132, 50000, 50002, 51000, 51999])
def test_given_a_passing_fault_code_then_the_refresh_is_asked_again_and_the_grant_kept(
    requests_mock: Any, code: int
) -> None:
    requests_mock.post(
        REFRESH_URL, [{"json": {"code": code, "message": "busy"}}, {"json": grant()}]
    )
    assert BusinessAuthenticator(business_config(), API, 5).get_access_token() == ACCESS_TOKEN
    assert requests_mock.call_count == 2


def test_given_a_refused_refresh_then_it_is_not_asked_again(requests_mock: Any) -> None:
    requests_mock.post(REFRESH_URL, json={"code": 40107, "message": "invalid"})
    with pytest.raises(AirbyteTracedException):
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
    assert requests_mock.call_count == 1


def test_given_a_business_refresh_token_near_its_year_then_the_warning_names_the_days(
    requests_mock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    requests_mock.post(REFRESH_URL, json=grant(refresh_token_expires_in=3 * 86400 + 60))
    BusinessAuthenticator(business_config(), API, 5).get_access_token()
    assert "TikTok's refresh token expires in 3 days" in caplog.text


@pytest.mark.parametrize("body", [[], "OK", {"code": 0, "data": "token"}, {"code": 0}])
def test_given_a_token_answer_of_the_wrong_shape_then_a_transient_error_not_a_crash(
    requests_mock: Any, body: Any
) -> None:
    requests_mock.post(REFRESH_URL, json=body)
    with pytest.raises(AirbyteTracedException) as raised:
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.transient_error


def test_given_an_ok_answer_without_an_access_token_then_the_error_says_so(
    requests_mock: Any,
) -> None:
    requests_mock.post(REFRESH_URL, json={"code": 0, "data": {}})
    with pytest.raises(AirbyteTracedException) as raised:
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
    error = raised.value
    assert "said OK but held no access token" in str(error.message)
    assert "request_id: none" in str(error.message)


def test_given_a_grant_without_an_open_id_then_no_account_can_be_read(requests_mock: Any) -> None:
    requests_mock.post(REFRESH_URL, json=grant(open_id=""))
    auth = BusinessAuthenticator(business_config(), API, 5)
    with pytest.raises(AirbyteTracedException, match="carried no open_id") as raised:
        business_id(auth)
    assert raised.value.failure_type == FailureType.config_error


@pytest.mark.parametrize("code", ["0", 0, 0.0], ids=repr)
def test_given_a_grant_whose_code_is_zero_in_any_spelling_then_the_rotation_is_kept(
    requests_mock: Any, code: Any
) -> None:
    body = grant()
    body["code"] = code
    requests_mock.post(REFRESH_URL, json=body)
    config = business_config()
    assert BusinessAuthenticator(config, API, 5).get_access_token() == ACCESS_TOKEN
    assert config["refresh_token"] == ROTATED_REFRESH_TOKEN


def test_given_a_session_of_the_creator_api_then_business_mode_does_not_reuse_it() -> None:
    """The fingerprint covers the token endpoint, so a mode switch asks TikTok again."""
    creator_session = {
        "access_token": "creator-token",
        "expires_at": "2999-01-01T00:00:00Z",
        "scope": "user.info.basic",
        "credentials_sha256": credentials(business_config()),  # the Display API's endpoint
    }
    auth = BusinessAuthenticator(business_config(oauth_session=creator_session), API, 5)
    assert auth.token_has_expired()


@pytest.mark.parametrize("left", [10**30, "1" * 30, 1e308], ids=repr)
def test_given_an_absurd_refresh_token_life_then_no_crash_and_the_rotation_is_kept(
    requests_mock: Any, left: Any
) -> None:
    requests_mock.post(REFRESH_URL, json=grant(refresh_token_expires_in=left))
    config = business_config()
    BusinessAuthenticator(config, API, 5).get_access_token()
    assert config["refresh_token"] == ROTATED_REFRESH_TOKEN


@pytest.mark.parametrize("access_token", ["", None, 7], ids=["empty", "missing", "number"])
def test_given_a_grant_with_a_rotated_token_but_no_access_token_then_the_rotation_is_kept(
    requests_mock: Any, access_token: Any
) -> None:
    requests_mock.post(REFRESH_URL, json=grant(access_token=access_token))
    config = business_config()
    with pytest.raises(AirbyteTracedException) as raised:
        BusinessAuthenticator(config, API, 5).get_access_token()
    assert raised.value.failure_type == FailureType.transient_error
    assert config["refresh_token"] == ROTATED_REFRESH_TOKEN


@pytest.mark.parametrize(
    "code", ["²", "0x0", "-0", True], ids=["superscript", "hex", "minus", "boolean"]
)
def test_given_a_code_no_reader_can_take_then_an_error_not_a_crash(
    requests_mock: Any, code: Any
) -> None:
    body = grant()
    body["code"] = code
    requests_mock.post(REFRESH_URL, json=body)
    with pytest.raises(AirbyteTracedException):
        BusinessAuthenticator(business_config(), API, 5).get_access_token()
