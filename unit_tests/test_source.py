import json
import logging
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import discover, read

from source_tiktok_organic import SourceTiktokOrganic
from unit_tests.conftest import (
    LIST_URL,
    ROTATED_REFRESH_TOKEN,
    SECRETS,
    TOKEN_URL,
    USER_URL,
    envelope,
    make_config,
    profile,
    token_body,
)

LOGGER = logging.getLogger("test")


def spec_properties() -> dict[str, Any]:
    spec = SourceTiktokOrganic().spec(LOGGER)
    return spec.connectionSpecification["properties"]


def test_spec_declares_credentials_required_and_secrets_masked() -> None:
    spec = SourceTiktokOrganic().spec(LOGGER).connectionSpecification
    assert spec["required"] == ["client_id", "client_secret", "refresh_token"]
    assert "client key" in spec["properties"]["client_id"]["description"]
    assert spec["properties"]["client_secret"]["airbyte_secret"] is True
    assert spec["properties"]["refresh_token"]["airbyte_secret"] is True
    assert spec["properties"]["oauth_session"]["properties"]["access_token"]["airbyte_secret"]


def test_spec_gives_every_visible_field_a_title_and_description() -> None:
    for name, field in spec_properties().items():
        if field.get("airbyte_hidden"):
            continue
        assert field.get("title"), name
        assert len(field.get("description", "")) > 30, name


def test_given_valid_credentials_when_checking_then_succeeds(tiktok: Any) -> None:
    tiktok.get(USER_URL, json=profile())
    status = SourceTiktokOrganic().check(LOGGER, make_config())
    assert status.status == Status.SUCCEEDED


def test_given_rotation_during_check_then_control_message_keeps_next_run_working(
    tiktok: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tiktok.get(USER_URL, json=profile())
    SourceTiktokOrganic().check(LOGGER, make_config())
    controls = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"CONTROL"' in line
    ]
    assert controls[0]["control"]["connectorConfig"]["config"]["refresh_token"] == (
        ROTATED_REFRESH_TOKEN
    )


@pytest.mark.parametrize(
    ("scope", "missing"),
    [("user.info.basic", "video.list"), ("video.list", "user.info.basic"), ("", "user.info.basic")],
)
def test_given_missing_scope_when_checking_then_failed_status_names_it(
    tiktok: Any, scope: str, missing: str
) -> None:
    tiktok.post(TOKEN_URL, json=token_body(scope=scope))
    status = SourceTiktokOrganic().check(LOGGER, make_config())
    assert status.status == Status.FAILED
    assert missing in status.message


def test_given_revoked_refresh_token_when_checking_then_failed_status_says_reauthenticate(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json={"error": "invalid_grant", "log_id": "log-rv"})
    status = SourceTiktokOrganic().check(LOGGER, make_config())
    assert status.status == Status.FAILED
    assert "re-authenticate the source" in status.message
    assert "last CONTROL message" in status.message
    assert "log-rv" in status.message


def test_given_profile_call_fails_when_checking_then_failed_status_not_a_crash(
    tiktok: Any,
) -> None:
    tiktok.get(USER_URL, status_code=401, json=envelope(code="scope_not_authorized"))
    status = SourceTiktokOrganic().check(LOGGER, make_config())
    assert status.status == Status.FAILED
    assert "scope_not_authorized" in status.message


def test_given_unreachable_host_when_checking_then_failed_status(requests_mock: Any) -> None:
    requests_mock.post(TOKEN_URL, exc=ConnectionError("refused"))
    status = SourceTiktokOrganic().check(LOGGER, make_config())
    assert status.status == Status.FAILED
    for secret in SECRETS:
        assert secret not in (status.message or "")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"api_base_url": "http://example.com"}, "api_base_url"),
        ({"start_date": "01/02/2024"}, "start_date"),
        ({"lookback_days": 9999}, "lookback_days"),
    ],
)
def test_given_bad_config_when_checking_then_failed_status_names_the_field(
    requests_mock: Any, override: dict, field: str
) -> None:
    status = SourceTiktokOrganic().check(LOGGER, make_config(**override))
    assert status.status == Status.FAILED
    assert field in status.message
    assert not requests_mock.called


def test_when_discovering_then_streams_keys_and_cursor_without_any_request(
    requests_mock: Any,
) -> None:
    output = discover(SourceTiktokOrganic(), make_config())
    streams = {stream.name: stream for stream in output.catalog.catalog.streams}
    assert streams["user_info"].source_defined_primary_key == [["open_id"]]
    assert streams["videos"].source_defined_primary_key == [["id"]]
    assert streams["videos"].default_cursor_field == ["create_time"]
    assert streams["videos"].source_defined_cursor
    assert not requests_mock.called


@pytest.mark.parametrize("mode", ["creator", "business"])
def test_when_discovering_then_user_info_is_not_resumable(mode: str) -> None:
    """One request per sync leaves nothing to resume: as a resumable full refresh, the CDK's
    completion marker, passed back as state, would silence every later read."""
    output = discover(SourceTiktokOrganic(), make_config(account_mode=mode))
    [user_info] = [s for s in output.catalog.catalog.streams if s.name == "user_info"]
    assert user_info.is_resumable is False


def test_schemas_make_every_field_nullable_but_the_primary_key() -> None:
    catalog = SourceTiktokOrganic().discover(logging.getLogger("airbyte"), make_config())
    for stream in catalog.streams:
        keys = [key for path in stream.source_defined_primary_key or [] for key in path]
        for name, field in stream.json_schema["properties"].items():
            nullable = "null" in field["type"]
            assert nullable != (name in keys), (stream.name, name)
    [videos] = [stream.json_schema for stream in catalog.streams if stream.name == "videos"]
    assert videos["properties"]["create_time"]["type"] == ["null", "integer"]


def every_stream() -> Any:
    builder = CatalogBuilder()
    for name in ("user_info", "user_stats", "videos", "video_stats"):
        builder = builder.with_stream(name, SyncMode.full_refresh)
    return builder.build()


def test_given_a_dead_refresh_token_when_reading_every_stream_then_one_error_ends_the_sync(
    requests_mock: Any,
) -> None:
    requests_mock.post(TOKEN_URL, json={"error": "invalid_grant", "log_id": "log-dead"})
    output = read(SourceTiktokOrganic(), make_config(), every_stream())
    [error] = output.errors
    assert error.trace.error.failure_type == FailureType.config_error
    assert "invalid_grant" in error.trace.error.message
    assert "log-dead" in error.trace.error.message
    assert "Traceback" not in error.trace.error.message
    assert requests_mock.call_count == 1
    assert output.records == []


def test_given_a_transient_failure_in_one_stream_then_the_other_streams_still_sync(
    tiktok: Any,
) -> None:
    tiktok.post(LIST_URL, status_code=500, json=envelope(code="internal_error"))
    output = read(SourceTiktokOrganic(), make_config(), every_stream())
    synced = {message.record.stream for message in output.records}
    assert synced == {"user_info", "user_stats"}
    assert output.errors[0].trace.error.failure_type == FailureType.transient_error


def test_when_configuring_then_no_copy_of_the_config_is_written(tmp_path: Any) -> None:
    config = make_config()
    assert SourceTiktokOrganic().configure(config, str(tmp_path)) is config
    assert list(tmp_path.iterdir()) == []
