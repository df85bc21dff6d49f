"""The acceptance-test files say what they claim: records, states, catalogs, configs and keys.

The CDK's standard tests no longer compare records with `expected_records.jsonl` nor run the
incremental section, so these tests do, against the same emulators and the same files: every
entry of acceptance-test-config.yml, in both account modes.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from airbyte_cdk.test.models.scenario import SCENARIO_SECTIONS, entry_key_problems

from integration_tests.acceptance import (
    ACCEPTANCE_HOST,
    ACCEPTANCE_PORT,
    ACCEPTANCE_URL,
    BUSINESS_REFRESH_TOKEN,
    BUSINESS_URL,
    REFRESH_TOKEN,
    PortTakenError,
    Served,
    pointed_at,
    serving,
)
from integration_tests.cli import run_connector
from integration_tests.expected_records import EXPECTED_RECORDS, read_records
from source_tiktok_organic.source import SourceTiktokOrganic
from tiktok_emulator import TikTokEmulator
from tiktok_emulator.business import BusinessEmulator

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


def entries(only: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    return [
        (section, entry)
        for section, tests in ACCEPTANCE_CONFIG["acceptance_tests"].items()
        if only in (None, section)
        for entry in tests["tests"]
    ]


def file_name(path: str) -> str:
    """An entry's path as a file of integration_tests/, for `load` and test ids."""
    assert path.startswith("integration_tests/"), path
    return path.removeprefix("integration_tests/")


CONFIG_FILES = sorted({file_name(entry["config_path"]) for _, entry in entries()})
BUSINESS_CONFIG = "business_config.json"
READ_ENTRIES = [
    (file_name(entry["config_path"]), file_name(entry["configured_catalog_path"]))
    for section in ("basic_read", "full_refresh", "incremental")
    for _, entry in entries(section)
]


@pytest.fixture
def tiktok() -> Any:
    """Both acceptance emulators, on free ports."""
    with serving(port=0, business_port=0) as served:
        yield served


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


def test_every_section_has_entries_for_both_account_modes() -> None:
    for section in ACCEPTANCE_CONFIG["acceptance_tests"]:
        modes = {
            load(file_name(entry["config_path"])).get("account_mode", "creator")
            for _, entry in entries(section)
        }
        assert modes == {"creator", "business"}, section


@pytest.mark.parametrize("name", [*CONFIG_FILES, "sample_config.json"])
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


def test_the_business_config_points_at_the_business_emulator_with_its_fixed_grant() -> None:
    business = load(BUSINESS_CONFIG)
    assert business["account_mode"] == "business"
    assert business["business_api_base_url"] == BUSINESS_URL != ACCEPTANCE_URL
    assert business["refresh_token"] == BUSINESS_REFRESH_TOKEN
    assert (business["client_id"], business["client_secret"]) == (
        BusinessEmulator.APP_ID,
        BusinessEmulator.APP_SECRET,
    )
    assert "api_base_url" not in business


def test_pointed_at_moves_only_configs_that_name_the_acceptance_emulators() -> None:
    live, live_business = "http://127.0.0.1:1234", "http://127.0.0.1:5678"
    moved = pointed_at({"api_base_url": ACCEPTANCE_URL + "/", "x": 1}, live, live_business)
    assert moved == {"api_base_url": live, "x": 1}
    business = {"account_mode": "business", "business_api_base_url": BUSINESS_URL}
    assert pointed_at(business, live, live_business) == {
        **business,
        "business_api_base_url": live_business,
    }
    elsewhere = {
        "api_base_url": "https://open.tiktokapis.com",
        "business_api_base_url": "https://business-api.tiktok.com",
    }
    assert pointed_at(elsewhere, live, live_business) == elsewhere


def test_a_read_of_the_configured_catalog_returns_exactly_the_expected_records(
    tiktok: Served,
) -> None:
    expected = [json.loads(line) for line in EXPECTED_RECORDS.read_text().splitlines()]
    actual = read_records(tiktok.creator.url)
    key = {"user_info": "open_id", "videos": "id"}

    def by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(r["stream"], r["data"][key[r["stream"]]]): r["data"] for r in records}

    assert by_key(actual) == by_key(expected), (
        "Regenerate with `python -m integration_tests.expected_records` if the change is intended."
    )
    assert len(actual) == len(expected)


@pytest.mark.parametrize(
    ("config_name", "catalog_name", "state_name"),
    [
        (
            file_name(entry["config_path"]),
            file_name(entry["configured_catalog_path"]),
            file_name(entry["future_state"]["future_state_path"]),
        )
        for _, entry in entries("incremental")
    ],
    ids=lambda name: name,
)
def test_given_the_abnormal_state_when_reading_incrementally_then_it_is_named_and_read_as_absent(
    tiktok: Served, config_name: str, catalog_name: str, state_name: str
) -> None:
    """Why CAT's test_state_with_abnormally_large_values is bypassed (acceptance-test-config.yml).

    CAT wants no rows from a state dated 2100; a cursor past now would silence its stream for
    good, so the connector names it and reads the stream as if it had no state instead.
    """
    state = load(state_name)
    catalog = load(catalog_name)
    incremental = {
        s["stream"]["name"] for s in catalog["streams"] if s["sync_mode"] == "incremental"
    }
    saved = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in state}
    assert set(saved) == incremental, "a state dated 2100 for every incremental stream"
    config = tiktok.aim(load(config_name))

    run = run_connector("read", config, catalog, state)
    fresh = run_connector("read", config, catalog)

    assert run.returncode == 0, run.errors()
    for stream in incremental:
        assert len(run.records(stream)) == len(fresh.records(stream)) > 0, stream
        assert f"The saved state of stream {stream} is ignored" in run.logs(), stream
        assert all(later != saved[stream] for later in run.states(stream)), stream


def test_every_incremental_entry_bypasses_the_abnormal_state_test_with_a_reason() -> None:
    for _, entry in entries("incremental"):
        assert entry["future_state"]["bypass_reason"], entry["config_path"]


def test_the_abnormal_states_cover_every_incremental_stream_of_both_modes() -> None:
    covered = {
        state["stream"]["stream_descriptor"]["name"]
        for _, entry in entries("incremental")
        for state in load(file_name(entry["future_state"]["future_state_path"]))
    }
    assert covered == {
        "videos",
        "video_stats",
        "user_stats",
        "daily_metrics",
        "audience_snapshots",
    }


@pytest.mark.parametrize("name", ["config.json", "business_config.json"])
def test_the_acceptance_emulators_hand_the_config_files_token_back_unchanged(
    tiktok: Served, name: str
) -> None:
    """So the files need no saving, and a read from a read-only mount warns of nothing."""
    config = tiktok.aim(load(name))
    for _ in range(2):
        check = run_connector("check", config)
        assert check.returncode == 0, check.errors()
        assert check.latest_config(config)["refresh_token"] == config["refresh_token"]


@pytest.mark.parametrize(
    ("config_name", "catalog_name"),
    [
        (file_name(entry["config_path"]), file_name(entry["configured_catalog_path"]))
        for _, entry in entries("full_refresh")
    ],
    ids=lambda name: name,
)
def test_given_the_full_refresh_catalog_when_read_twice_then_the_records_repeat(
    tiktok: Served, config_name: str, catalog_name: str
) -> None:
    config = tiktok.aim(load(config_name))
    catalog = load(catalog_name)
    first, second = (run_connector("read", config, catalog) for _ in range(2))
    assert first.returncode == second.returncode == 0
    assert first.records() == second.records()
    read = {m.record.stream for m in first.messages if m.record}
    assert read == {s["stream"]["name"] for s in catalog["streams"]}, "every stream has rows"


@pytest.mark.parametrize(
    "config_name", sorted({config for config, _ in READ_ENTRIES}), ids=lambda name: name
)
def test_the_configured_catalogs_match_what_the_source_discovers(
    tiktok: Served, config_name: str
) -> None:
    run = run_connector("discover", tiktok.aim(load(config_name)))
    [catalog] = [m.catalog for m in run.messages if m.catalog]
    discovered = {stream.name: stream for stream in catalog.streams}
    catalogs = {name for config, name in READ_ENTRIES if config == config_name}
    for name in catalogs:
        for configured in load(name)["streams"]:
            stream = discovered[configured["stream"]["name"]]
            assert configured["sync_mode"] in {mode.value for mode in stream.supported_sync_modes}
            assert configured["primary_key"] == stream.source_defined_primary_key
            if configured["sync_mode"] == "incremental":
                assert configured["cursor_field"] == stream.default_cursor_field
    [basic_read] = [
        file_name(entry["configured_catalog_path"])
        for _, entry in entries("basic_read")
        if file_name(entry["config_path"]) == config_name
    ]
    assert {s["stream"]["name"] for s in load(basic_read)["streams"]} == set(discovered)


@pytest.fixture
def holding() -> Iterator[Any]:
    """Binds 127.0.0.1:<port> for the test; a port someone else holds is taken all the same."""
    held: list[socket.socket] = []

    def hold(port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        held.append(listener)
        try:
            listener.bind((ACCEPTANCE_HOST, port))
            listener.listen()
        except OSError:
            pass
        return int(listener.getsockname()[1]) if port == 0 else port

    yield hold
    for listener in held:
        listener.close()


@pytest.mark.parametrize("which", ["creator", "business"])
def test_given_a_port_taken_then_serving_names_it(holding: Any, which: str) -> None:
    taken = holding(0)
    ports = (
        {"port": taken, "business_port": 0}
        if which == "creator"
        else {"port": 0, "business_port": taken}
    )
    with pytest.raises(PortTakenError, match=f"port {taken} "), serving(**ports):
        pass


def test_given_its_port_taken_then_the_acceptance_emulator_says_so_in_one_line(
    holding: Any,
) -> None:
    holding(ACCEPTANCE_PORT)
    process = subprocess.Popen(
        [sys.executable, "-m", "integration_tests.acceptance"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()

    assert process.returncode != 0
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert f"port {ACCEPTANCE_PORT} " in stderr
    assert "Traceback" not in stderr
