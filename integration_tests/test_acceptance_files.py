"""The acceptance-test files say what they claim: records, states, catalogs, configs and keys.

The CDK's standard tests no longer compare records with `expected_records.jsonl` nor run the
incremental section, so these tests do, against the same emulator and the same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from airbyte_cdk.test.models.scenario import SCENARIO_SECTIONS, entry_key_problems

from integration_tests.acceptance import (
    ACCEPTANCE_URL,
    REFRESH_TOKEN,
    acceptance_emulator,
    pointed_at,
)
from integration_tests.cli import run_connector
from integration_tests.expected_records import EXPECTED_RECORDS, read_records
from source_tiktok_organic.source import SourceTiktokOrganic
from tiktok_emulator import TikTokEmulator

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "integration_tests"
ACCEPTANCE_CONFIG = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())
# The keys each section's entries may set in Airbyte's legacy connector-acceptance-test, whose
# pydantic models forbid any other key. Transcribed from airbytehq/airbyte,
# airbyte-integrations/bases/connector-acceptance-test/connector_acceptance_test/config.py
# (connector-acceptance-test 2.0.1). That package is not on PyPI, so there is none to import;
# the CDK's own model (ConnectorTestScenario) is checked from the package in the next test.
CAT_ENTRY_KEYS = {
    "spec": {
        "spec_path",
        "config_path",
        "timeout_seconds",
        "deployment_mode",
        "backward_compatibility_tests_config",
        "auth_default_method",
    },
    "connection": {"config_path", "status", "timeout_seconds", "deployment_mode"},
    "discovery": {
        "config_path",
        "timeout_seconds",
        "deployment_mode",
        "backward_compatibility_tests_config",
        "validate_primary_keys_data_type",
    },
    "basic_read": {
        "config_path",
        "deployment_mode",
        "configured_catalog_path",
        "empty_streams",
        "expect_records",
        "validate_schema",
        "validate_stream_statuses",
        "validate_state_messages",
        "validate_primary_keys_data_type",
        "fail_on_extra_columns",
        "validate_data_points",
        "expect_trace_message_on_failure",
        "timeout_seconds",
        "file_types",
        "client_container_config",
    },
    "full_refresh": {
        "config_path",
        "configured_catalog_path",
        "timeout_seconds",
        "deployment_mode",
        "ignored_fields",
        "client_container_config",
    },
    "incremental": {
        "config_path",
        "configured_catalog_path",
        "future_state",
        "timeout_seconds",
        "deployment_mode",
        "skip_comprehensive_incremental_tests",
        "client_container_config",
    },
}
CAT_TOP_LEVEL_KEYS = {
    "connector_image",
    "acceptance_tests",
    "base_path",
    "test_strictness_level",
    "custom_environment_variables",
}


def load(name: str) -> Any:
    return json.loads((HERE / name).read_text())


def entries() -> list[tuple[str, dict[str, Any]]]:
    return [
        (section, entry)
        for section, tests in ACCEPTANCE_CONFIG["acceptance_tests"].items()
        for entry in tests["tests"]
    ]


@pytest.fixture
def tiktok() -> Any:
    with acceptance_emulator(port=0) as emulator:
        yield emulator


def test_every_entry_uses_only_keys_the_legacy_suite_accepts() -> None:
    assert set(ACCEPTANCE_CONFIG) <= CAT_TOP_LEVEL_KEYS
    for section, entry in entries():
        assert set(entry) <= CAT_ENTRY_KEYS[section], (
            section,
            set(entry) - CAT_ENTRY_KEYS[section],
        )


def test_every_entry_uses_only_keys_the_cdks_standard_tests_accept() -> None:
    problems = [
        problem
        for section, entry in entries()
        if section in SCENARIO_SECTIONS
        for problem in entry_key_problems(entry, (section,))
    ]
    assert not problems, "\n".join(problems)


def test_every_path_the_acceptance_config_names_exists() -> None:
    for _, entry in entries():
        paths = [entry.get(key) for key in ("config_path", "configured_catalog_path", "spec_path")]
        paths.append(entry.get("future_state", {}).get("future_state_path"))
        for path in filter(None, paths):
            assert (ROOT / path).is_file(), path


@pytest.mark.parametrize("name", ["config.json", "invalid_config.json", "sample_config.json"])
def test_every_config_file_matches_the_spec(name: str) -> None:
    spec = SourceTiktokOrganic().spec(None)  # type: ignore[arg-type]
    jsonschema.validate(load(name), spec.connectionSpecification)


def test_the_acceptance_configs_point_at_the_emulator_and_the_sample_at_tiktok() -> None:
    valid, invalid, sample = (
        load(n) for n in ("config.json", "invalid_config.json", "sample_config.json")
    )
    assert valid["api_base_url"] == invalid["api_base_url"] == ACCEPTANCE_URL
    assert valid["refresh_token"] == REFRESH_TOKEN != invalid["refresh_token"]
    assert valid["client_id"] == TikTokEmulator.CLIENT_KEY
    assert "api_base_url" not in sample
    assert all(
        sample[key].startswith("<") for key in ("client_id", "client_secret", "refresh_token")
    )


def test_pointed_at_moves_only_configs_that_name_the_acceptance_emulator() -> None:
    moved = pointed_at({"api_base_url": ACCEPTANCE_URL + "/", "x": 1}, "http://127.0.0.1:1234")
    assert moved == {"api_base_url": "http://127.0.0.1:1234", "x": 1}
    elsewhere = {"api_base_url": "https://open.tiktokapis.com"}
    assert pointed_at(elsewhere, "http://127.0.0.1:1234") == elsewhere


def test_a_read_of_the_configured_catalog_returns_exactly_the_expected_records(
    tiktok: TikTokEmulator,
) -> None:
    expected = [json.loads(line) for line in EXPECTED_RECORDS.read_text().splitlines()]
    actual = read_records(tiktok.url)
    key = {"user_info": "open_id", "videos": "id"}

    def by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["stream"], r["data"][key[r["stream"]]]): r["data"] for r in records}

    assert by_key(actual) == by_key(expected), (
        "Regenerate with `python -m integration_tests.expected_records` if the change is intended."
    )
    assert len(actual) == len(expected)


def test_given_the_abnormal_state_when_reading_incrementally_then_it_is_named_and_read_as_absent(
    tiktok: TikTokEmulator,
) -> None:
    """Why CAT's test_state_with_abnormally_large_values is bypassed (acceptance-test-config.yml).

    CAT wants no rows from a state dated 2100; a cursor past now would silence its stream for
    good, so the connector names it and reads the stream as if it had no state instead.
    """
    state = load("abnormal_state.json")
    catalog = load("configured_catalog.json")
    incremental = {
        s["stream"]["name"] for s in catalog["streams"] if s["sync_mode"] == "incremental"
    }
    saved = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in state}
    assert set(saved) == incremental == {"videos", "video_stats", "user_stats"}
    config = pointed_at(load("config.json"), tiktok.url)

    run = run_connector("read", config, catalog, state)
    fresh = run_connector("read", config, catalog)

    assert run.returncode == 0, run.errors()
    for stream in incremental:
        assert len(run.records(stream)) == len(fresh.records(stream)) > 0, stream
        assert f"The saved state of stream {stream} is ignored" in run.logs(), stream
        assert all(later != saved[stream] for later in run.states(stream)), stream
    assert "bypass_reason" in (ROOT / "acceptance-test-config.yml").read_text()


def test_the_acceptance_emulator_hands_the_config_files_token_back_unchanged(
    tiktok: TikTokEmulator,
) -> None:
    """So the files need no saving, and a read from a read-only mount warns of nothing."""
    config = pointed_at(load("config.json"), tiktok.url)
    for _ in range(2):
        check = run_connector("check", config)
        assert check.returncode == 0, check.errors()
        assert check.latest_config(config)["refresh_token"] == REFRESH_TOKEN


def test_given_the_full_refresh_catalog_when_read_twice_then_the_records_repeat(
    tiktok: TikTokEmulator,
) -> None:
    config = pointed_at(load("config.json"), tiktok.url)
    catalog = load("configured_catalog_full_refresh.json")
    first, second = (run_connector("read", config, catalog) for _ in range(2))
    assert first.returncode == second.returncode == 0
    assert first.records() == second.records()
    assert {m.record.stream for m in first.messages if m.record} == {"user_info", "videos"}


def test_the_configured_catalogs_match_what_the_source_discovers(tiktok: TikTokEmulator) -> None:
    run = run_connector("discover", pointed_at(load("config.json"), tiktok.url))
    [catalog] = [m.catalog for m in run.messages if m.catalog]
    discovered = {stream.name: stream for stream in catalog.streams}
    for name in ("configured_catalog.json", "configured_catalog_full_refresh.json"):
        for configured in load(name)["streams"]:
            stream = discovered[configured["stream"]["name"]]
            assert configured["sync_mode"] in {mode.value for mode in stream.supported_sync_modes}
            assert configured["primary_key"] == stream.source_defined_primary_key
            if configured["sync_mode"] == "incremental":
                assert configured["cursor_field"] == stream.default_cursor_field
    assert {s["stream"]["name"] for s in load("configured_catalog.json")["streams"]} == set(
        discovered
    )
