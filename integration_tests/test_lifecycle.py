"""The credential and state lifecycle as a shell user drives it: one config file, run after run.

Each test runs the command against the emulator, which rotates refresh tokens strictly (a used
one is dead), so a run that did not save the rotated token leaves the next one locked out. The
plain sequence, check and then a read twice on one file with the installed command, is the
README's own (test_readme_by_hand.py runs it as written and asserts each step's saving).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Status, Type

from integration_tests.cli import Run, catalog_for, run_args, run_connector
from integration_tests.conftest import config_for
from source_tiktok_organic.core.auth import fingerprint
from source_tiktok_organic.core.config_file import SAVE_CONFIG_ENV
from tiktok_emulator import TikTokEmulator

EVERY_STREAM = {
    "user_info": "full_refresh",
    "user_stats": "incremental",
    "videos": "incremental",
    "video_stats": "incremental",
}


def run_with_file(command: str, config_file: Path, *extra: str, **options: Any) -> Run:
    """The command as a user types it: `--config` names their own file, not a copy."""
    return run_args([command, "--config", str(config_file), *extra], **options)


def status_of(run: Run) -> Status:
    [status] = run.of_type(Type.CONNECTION_STATUS)
    return status.connectionStatus.status


@pytest.fixture
def config_file(emulator: TikTokEmulator, tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config_for(emulator)))
    path.chmod(0o600)
    return path


def test_given_saving_turned_off_then_the_file_is_untouched_and_the_control_message_has_it(
    config_file: Path,
) -> None:
    before = config_file.read_text()
    check = run_with_file("check", config_file, env={SAVE_CONFIG_ENV: "0"})
    assert status_of(check) == Status.SUCCEEDED
    assert config_file.read_text() == before
    assert check.latest_config({})["refresh_token"] != json.loads(before)["refresh_token"]
    assert "control.connectorConfig.config" in check.logs()


def test_given_a_write_back_killed_before_its_rename_then_the_next_run_finishes_it_and_goes_on(
    emulator: TikTokEmulator, config_file: Path, tmp_path: Path
) -> None:
    """The killed run left the only live refresh token in its temp file, beside a dead one."""
    dead = json.loads(config_file.read_text())
    live = run_connector("check", dead).latest_config(dead)  # TikTok retired dead's token
    emulator.expire_access_tokens()  # so the next run must spend the live refresh token
    handle, name = tempfile.mkstemp(dir=tmp_path, prefix=".config.json.")  # as the run did
    with os.fdopen(handle, "w") as file:
        json.dump(live, file)
    os.utime(config_file, (time.time() - 60,) * 2)  # saved by the run before the killed one

    check = run_with_file("check", config_file, installed=True)

    assert status_of(check) == Status.SUCCEEDED
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.json"]
    saved = json.loads(config_file.read_text())
    assert saved == check.latest_config({})
    assert saved["refresh_token"] not in (dead["refresh_token"], live["refresh_token"])
    assert f"Finished saving the config a stopped run left in {name}" in check.logs()
    assert f"newer refresh token than {config_file}" in check.logs()
    assert live["refresh_token"] not in check.stdout + check.stderr


def test_given_a_valid_saved_session_and_a_mistyped_refresh_token_then_check_fails(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    """The Airbyte UI's "edit the source, paste a new refresh token, Test"."""
    first = run_connector("check", config)
    edited = {**first.latest_config(config), "refresh_token": "rft.typo"}
    emulator.reset_counts()

    run = run_connector("check", edited)

    assert status_of(run) == Status.FAILED
    assert "invalid_grant" in run.of_type(Type.CONNECTION_STATUS)[0].connectionStatus.message
    assert emulator.counts["/v2/oauth/token/"] == 1


def test_given_a_saved_session_of_the_same_refresh_token_then_it_is_reused_and_only_a_hash_kept(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    first = run_connector("check", config)
    saved = first.latest_config(config)
    emulator.reset_counts()
    assert status_of(run_connector("check", saved)) == Status.SUCCEEDED
    assert emulator.counts["/v2/oauth/token/"] == 0
    session = saved["oauth_session"]
    token_url = saved["api_base_url"] + "/v2/oauth/token/"
    assert session["credentials_sha256"] == fingerprint(
        token_url, saved["client_id"], saved["client_secret"], saved["refresh_token"]
    )
    assert saved["refresh_token"] not in json.dumps(session)
    assert saved["client_secret"] not in json.dumps(session)


def test_given_a_dead_refresh_token_when_reading_every_stream_then_one_clear_error_and_exit_1(
    emulator: TikTokEmulator, config: dict[str, Any]
) -> None:
    emulator.revoke_refresh_tokens()
    run = run_connector("read", config, catalog_for(EVERY_STREAM), fails=True)

    assert run.returncode == 1
    [trace] = [m.trace for m in run.of_type(Type.TRACE) if m.trace.error]
    assert trace.error.failure_type == FailureType.config_error
    assert "invalid_grant" in trace.error.message
    assert "log_id: " in trace.error.message
    assert "Traceback" not in trace.error.message
    assert "Traceback" not in run.stderr
    assert emulator.counts["/v2/oauth/token/"] == 1
    assert run.records() == []


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_given_an_api_host_that_refuses_then_check_and_read_fail_naming_api_base_url(
    emulator: TikTokEmulator, closed_port: int
) -> None:
    url = f"http://127.0.0.1:{closed_port}"
    config = config_for(emulator, api_base_url=url)

    check = run_connector("check", config)
    read = run_connector("read", config, catalog_for(EVERY_STREAM), fails=True)

    [status] = check.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert f"'api_base_url' ({url})" in status.connectionStatus.message
    assert read.returncode == 1
    [error] = read.errors()
    assert "Could not connect to 127.0.0.1: it refused the connection" in error
    assert "rate limit" not in (read.stdout + read.stderr).lower()
