import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core import config as config_module
from source_tiktok_organic.core.config import (
    Settings,
    parse_api_base_url,
    parse_settings,
    parse_start_date,
)
from unit_tests.conftest import make_config


@pytest.mark.parametrize(
    "url",
    [
        "https://open.tiktokapis.com",
        "https://proxy.example.com/tiktok/",
        "http://127.0.0.1:8089",
        "http://localhost:9000",
        "http://[::1]:9000",
        "http://127.0.0.2",
        "https://eXample.com/TIKTOK-PROXY-X/",
    ],
)
def test_given_https_or_loopback_url_when_parsing_then_it_is_accepted(url: str) -> None:
    assert parse_api_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://open.tiktokapis.com", "must use https://"),
        ("http://10.0.0.1:8080", "must use https://"),
        ("ftp://open.tiktokapis.com", "absolute https:// URL"),
        ("open.tiktokapis.com", "absolute https:// URL"),
        ("https://open.tiktokapis.com/?x=1", "query or a fragment"),
        ("https://open.tiktokapis.com/#top", "query or a fragment"),
        ("https://", "absolute https:// URL"),
    ],
)
def test_given_unsafe_or_malformed_url_when_parsing_then_config_error_names_the_field(
    url: object, reason: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_api_base_url(url)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith("Config field 'api_base_url' must ")
    assert reason in raised.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-31", 1706659200),
        ("2024-01-31T00:00:00Z", 1706659200),
        ("2024-01-31T02:00:00+02:00", 1706659200),
        ("2024-01-31T00:00:00", 1706659200),
        ("2024-01-31t01:00:00z", 1706662800),
        ("2024-01-31 01:00", 1706662800),
        (None, None),
        ("", None),
    ],
)
def test_given_date_or_rfc3339_when_parsing_start_date_then_epoch_seconds(
    raw: str | None, expected: int | None
) -> None:
    assert parse_start_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/01/2024", "2024-13-01", "yesterday"])
def test_given_bad_start_date_when_parsing_then_config_error_names_the_field(raw: object) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_start_date(raw)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith("Config field 'start_date' must be YYYY-MM-DD or ")


def test_given_a_naive_start_time_then_it_is_utc_whatever_the_machines_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_start_date("2024-01-31T00:00:00") == 1706659200
    finally:
        monkeypatch.undo()
        time.tzset()


def test_given_minimal_config_when_parsing_then_the_spec_defaults_apply() -> None:
    settings = parse_settings(make_config())
    assert settings == Settings(
        account_mode="creator",
        api_base_url="https://open.tiktokapis.com",
        start_time=None,
        request_timeout=60.0,
        lookback_days=7,
        requests_per_minute=600,
        video_stats_scope="all",
        num_workers=8,
        comments_days=7,
    )
    assert parse_settings(make_config(api_base_url="", start_date="")) == settings


def test_given_every_option_when_parsing_then_each_is_kept_with_its_type() -> None:
    settings = parse_settings(
        make_config(
            api_base_url="http://127.0.0.1:8089/",
            start_date="2024-01-31",
            request_timeout_seconds=5,
            lookback_days=30.0,
            requests_per_minute=100,
            video_stats_scope="lookback",
            num_workers=3.0,
            comments_days=30.0,
        )
    )
    assert settings == Settings(
        account_mode="creator",
        api_base_url="http://127.0.0.1:8089",
        start_time=1706659200,
        request_timeout=5.0,
        lookback_days=30,
        requests_per_minute=100,
        video_stats_scope="lookback",
        num_workers=3,
        comments_days=30,
    )
    assert isinstance(settings.request_timeout, float)
    assert isinstance(settings.num_workers, int)
    assert isinstance(settings.lookback_days, int)
    assert isinstance(settings.comments_days, int)


def test_given_business_mode_then_its_own_host_is_read_and_the_creator_host_ignored() -> None:
    settings = parse_settings(
        make_config(account_mode="business", api_base_url="https://creator-only.example")
    )
    assert settings.account_mode == "business"
    assert settings.api_base_url == "https://business-api.tiktok.com"
    on_emulator = parse_settings(
        make_config(account_mode="business", business_api_base_url="http://127.0.0.1:8090/")
    )
    assert on_emulator.api_base_url == "http://127.0.0.1:8090"


def test_given_business_mode_then_at_most_40_calls_a_minute_and_one_list_worker() -> None:
    settings = parse_settings(
        make_config(account_mode="business", requests_per_minute=600, num_workers=8)
    )
    assert (settings.requests_per_minute, settings.num_workers) == (40, 1)
    lower = parse_settings(make_config(account_mode="business", requests_per_minute=12))
    assert lower.requests_per_minute == 12
    off = parse_settings(make_config(account_mode="business", requests_per_minute=0))
    assert off.requests_per_minute == 0
    creator = parse_settings(make_config(requests_per_minute=600, num_workers=8))
    assert (creator.requests_per_minute, creator.num_workers) == (600, 8)


def test_given_a_bad_business_host_then_the_error_names_the_business_field() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(
            make_config(account_mode="business", business_api_base_url="http://api.example")
        )
    assert "'business_api_base_url' must use https://" in str(raised.value.message)
    with pytest.raises(AirbyteTracedException) as unknown:
        parse_settings(make_config(account_mode="ads"))
    assert unknown.value.message == (
        "Config field 'account_mode' must be one of creator, business; got 'ads'."
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lookback_days", -1),
        ("lookback_days", 366),
        ("lookback_days", "7"),
        ("comments_days", -1),
        ("comments_days", 366),
        ("request_timeout_seconds", 0),
        ("request_timeout_seconds", True),
    ],
)
def test_given_out_of_bounds_number_when_parsing_then_config_error_names_the_field(
    field: str, value: object
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(make_config(**{field: value}))
    assert field in raised.value.message


@pytest.mark.parametrize("field", ["client_id", "client_secret", "refresh_token"])
def test_given_empty_credential_when_parsing_then_config_error_names_it(field: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(make_config(**{field: "  "}))
    assert field in raised.value.message


def test_given_requests_per_minute_when_parsing_then_kept_and_bounded() -> None:
    assert parse_settings(make_config()).requests_per_minute == 600
    assert parse_settings(make_config(requests_per_minute=100)).requests_per_minute == 100
    assert parse_settings(make_config(requests_per_minute=0)).requests_per_minute == 0
    with pytest.raises(AirbyteTracedException, match="requests_per_minute"):
        parse_settings(make_config(requests_per_minute=-1))


@pytest.mark.parametrize(
    ("overrides", "field", "expected"),
    [
        ({"start_date": "not-a-date"}, "start_date", "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"),
        ({"lookback_days": 400}, "lookback_days", "a whole number from 0 to 365"),
        ({"lookback_days": "7"}, "lookback_days", "a whole number from 0 to 365"),
        ({"comments_days": 400}, "comments_days", "a whole number from 0 to 365"),
        ({"request_timeout_seconds": 0}, "request_timeout_seconds", "a number from 1 to 600"),
        ({"video_stats_scope": "some"}, "video_stats_scope", "one of all, lookback"),
        ({"client_id": 12}, "client_id", "a string"),
        ({"requests_per_minute": 2e6}, "requests_per_minute", "a whole number from 0 to 1000000"),
        ({"oauth_session": "token"}, "oauth_session", "of type object"),
        ({"api_base_url": 42}, "api_base_url", "a string"),
        ({"start_date": 20240131}, "start_date", "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"),
    ],
)
def test_given_a_value_the_spec_refuses_when_parsing_then_the_error_names_field_and_format(
    overrides: dict, field: str, expected: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(make_config(**overrides))
    assert raised.value.failure_type == FailureType.config_error
    assert f"Config field '{field}' must be {expected}; got " in raised.value.message
    assert "does not match" not in raised.value.message


def test_given_a_required_field_missing_when_parsing_then_the_error_names_it() -> None:
    config = make_config()
    del config["refresh_token"]
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(config)
    assert raised.value.message == "Config field 'refresh_token' is required but missing."


def test_given_a_secret_of_the_wrong_type_when_parsing_then_its_value_is_not_repeated() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(make_config(client_secret=["s3cr3t-in-a-list"]))
    assert "'client_secret' must be a string; got a secret value." in raised.value.message
    assert "s3cr3t" not in raised.value.message


@pytest.mark.parametrize(
    "url",
    [
        "http://user:pw@127.0.0.1:8089",
        "https://open.tiktokapis.com@evil.example",
        "http://127.0.0.1:8089\\@evil.example",
        "https://evil.example\\.open.tiktokapis.com",
        "https://open.tiktokapis.com /x",
        "https://open.tiktokapis.com\t/v2",
        "https://open.tiktokapis.com\x00.evil.example",
    ],
    ids=["userinfo", "at", "backslash-at", "backslash", "space", "tab-inside", "nul"],
)
def test_given_a_url_two_parsers_could_read_differently_then_it_is_refused_naming_the_field(
    url: str,
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_api_base_url(url)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith(
        "Config field 'api_base_url' must be a plain URL such as https://open.tiktokapis.com: "
        "no user info (@), backslashes, spaces or control characters."
    )
    assert "pw" not in raised.value.message


@pytest.mark.parametrize("url", ["https://ex%61mple.com", "https://a.example:80:90"])
def test_given_a_url_the_http_client_reads_another_way_then_it_is_refused(url: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_api_base_url(url)
    assert "read as two different hosts by two URL parsers" in raised.value.message


def test_every_spec_field_has_a_type_and_both_bounds_or_none_as_the_error_wording_expects() -> None:
    def fields(schema: dict) -> Iterator[tuple[str, dict]]:
        for name, field in schema.get("properties", {}).items():
            yield name, field
            yield from fields(field)

    spec = json.loads((Path(config_module.__file__).parent.parent / "spec.json").read_text())
    for name, field in fields(spec["connectionSpecification"]):
        assert "type" in field, name
        assert ("minimum" in field) == ("maximum" in field), name


@pytest.mark.parametrize(
    ("config", "said"),
    [
        (
            {**make_config(), "oauth_session": {"expires_in": "soon"}},
            "Config field 'oauth_session.expires_in' must be a whole number; got 'soon'.",
        ),
    ],
)
def test_given_a_misshapen_config_then_the_error_names_the_path_and_what_was_given(
    config: object, said: str
) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(config)  # type: ignore[arg-type]
    assert said in raised.value.message


@pytest.mark.parametrize(
    ("overrides", "field", "got"),
    [
        ({"request_timeout_seconds": math.nan}, "request_timeout_seconds", "NaN"),
        ({"request_timeout_seconds": math.inf}, "request_timeout_seconds", "Infinity"),
        ({"lookback_days": -math.inf}, "lookback_days", "-Infinity"),
        ({"requests_per_minute": math.nan}, "requests_per_minute", "NaN"),
        ({"oauth_session": {"expires_in": math.inf}}, "oauth_session.expires_in", "Infinity"),
        ({"not_in_the_spec": [1.5, math.nan]}, "not_in_the_spec.1", "NaN"),
    ],
)
def test_given_a_non_finite_number_anywhere_when_parsing_then_a_config_error_names_its_field(
    overrides: dict, field: str, got: str
) -> None:
    """NaN is neither below a minimum nor above a maximum, so the spec's bounds let it through."""
    with pytest.raises(AirbyteTracedException) as raised:
        parse_settings(make_config(**overrides))
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == f"Config field '{field}' must be a finite number; got {got}."


def test_given_finite_floats_when_parsing_then_they_pass() -> None:
    settings = parse_settings(make_config(request_timeout_seconds=2.5, extra={"ratio": -0.0}))
    assert settings.request_timeout == 2.5


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("start_dat", "start_date"),
        ("acount_mode", "account_mode"),
        ("lookback", "lookback_days"),
        ("API_BASE_URL", "api_base_url"),
    ],
)
def test_given_a_misspelt_field_then_the_warning_names_it_and_the_closest_field(
    typo: str, meant: str
) -> None:
    config = make_config(**{typo: "2024-01-01"})
    assert config_module.unknown_fields(config) == [
        f"Config field '{typo}' is not one this connector knows; did you mean '{meant}'? "
        "It is ignored."
    ]
    assert parse_settings(config) == parse_settings(make_config()), "ignored, not read as it"


def test_given_a_key_like_no_field_then_the_warning_lists_the_fields_a_person_sets() -> None:
    [warning] = config_module.unknown_fields(make_config(shop_region="EU"))
    assert warning.startswith(
        "Config field 'shop_region' is not one this connector knows; it knows"
    )
    assert "start_date" in warning
    assert "oauth_session" not in warning, "the connector keeps that one itself"


def test_given_every_field_of_the_spec_then_no_warning() -> None:
    every = dict.fromkeys(config_module.connection_specification()["properties"], None)
    assert config_module.unknown_fields(every) == []


def test_given_an_older_versions_key_when_parsing_then_it_still_parses() -> None:
    """Never a failure: a config saved by an older version must keep syncing after an upgrade."""
    config = make_config(legacy_setting=True, oauth_session={"access_token": "a"})
    parse_settings(config)
    assert len(config_module.unknown_fields(config)) == 1  # oauth_session is the spec's own
