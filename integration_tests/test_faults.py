"""Every fault the emulator can inject: the sync ends with exactly the dataset, or fails clearly.

Set FAULT_MATRIX_FILE to collect one JSON line per fault (the matrix reported in release notes).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Type

from integration_tests.cli import Run, catalog_for, run_connector
from integration_tests.conftest import config_for
from tiktok_emulator import TikTokEmulator

Setup = Callable[[TikTokEmulator, dict[str, Any]], None]


def set_faults(**faults: Any) -> Setup:
    def setup(emu: TikTokEmulator, _: dict[str, Any]) -> None:
        for name, value in faults.items():
            setattr(emu.faults, name, value)

    return setup


def revoke(emu: TikTokEmulator, _: dict[str, Any]) -> None:
    emu.revoke_refresh_tokens()


def drop_video_scope(emu: TikTokEmulator, config: dict[str, Any]) -> None:
    config["refresh_token"] = emu.issue_refresh_token(["user.info.basic"])


def honour_retry_after(emu: TikTokEmulator, _: dict[str, Any]) -> None:
    emu.retry_after_header = 0.2
    emu.faults.rate_limit_burst = 2


RECOVERABLE: dict[str, Setup] = {
    "429 burst": set_faults(rate_limit_burst=2),
    "429 burst with Retry-After": honour_retry_after,
    "5xx burst": set_faults(server_error_burst=2),
    "slow responses": set_faults(slow_ms=150),
    "timeout": set_faults(hang_requests=1, hang_seconds=30),
    "dropped connections": set_faults(drop_connections=2),
    "truncated bodies": set_faults(truncated_bodies=2),
    "non-JSON bodies": set_faults(non_json_bodies=2),
    "access token dies mid-sync": set_faults(access_token_dies_after=2),
    "short pages": set_faults(short_pages=True),
    "empty pages with has_more": set_faults(empty_page_every=2),
    "same video on two pages": set_faults(duplicate_across_pages=True),
    "token endpoint 5xx": set_faults(token_endpoint_errors=2),
}
FATAL: dict[str, tuple[Setup, str]] = {
    "cursor stops moving": (set_faults(stuck_cursor_after_pages=1), "stopped advancing"),
    "refresh token revoked": (revoke, "last CONTROL message"),
    "video.list scope withdrawn": (drop_video_scope, "video.list"),
    "undocumented error code on HTTP 200": (
        set_faults(undocumented_codes=1),
        "error code this connector does not know",
    ),
}


def secrets_of(config: dict[str, Any], run: Run) -> set[str]:
    found = {config["client_secret"], config["refresh_token"]}
    for control in run.of_type(Type.CONTROL):
        emitted = control.control.connectorConfig.config
        found.add(emitted["refresh_token"])
        found.add(emitted.get("oauth_session", {}).get("access_token", ""))
    return found - {""}


def assert_no_secret_printed(config: dict[str, Any], run: Run) -> None:
    printed = "\n".join(
        line for line in run.stdout.splitlines() if not line.startswith('{"type":"CONTROL"')
    )
    for secret in secrets_of(config, run):
        assert secret not in printed, "a secret leaked to stdout"
        assert secret not in run.stderr, "a secret leaked to stderr"


def record_row(fault: str, expected: int, run: Run, outcome: str) -> None:
    target = os.environ.get("FAULT_MATRIX_FILE")
    if not target:
        return
    ids = Counter(record["id"] for record in run.records("videos"))
    row = {
        "fault": fault,
        "expected": expected,
        "seen": len(set(ids)),
        "duplicates": sum(count - 1 for count in ids.values()),
        "outcome": outcome,
    }
    with open(target, "a", encoding="utf-8") as sink:
        sink.write(json.dumps(row) + "\n")


@pytest.mark.parametrize("fault", list(RECOVERABLE))
def test_given_recoverable_fault_when_reading_then_exactly_the_dataset(
    emulator: TikTokEmulator, fault: str
) -> None:
    config = config_for(emulator)
    RECOVERABLE[fault](emulator, config)
    run = run_connector(
        "read", config, catalog_for({"user_info": "full_refresh", "videos": "incremental"})
    )
    ids = [record["id"] for record in run.records("videos")]
    record_row(
        fault, len(emulator.dataset.videos), run, "complete" if run.returncode == 0 else "failed"
    )
    assert run.returncode == 0, run.errors() or run.stderr[-2000:]
    assert len(ids) == len(set(ids)), "a video was emitted twice"
    assert set(ids) == {video["id"] for video in emulator.dataset.videos}
    assert len(run.records("user_info")) == 1
    assert_no_secret_printed(config, run)
    if fault == "timeout":  # cut at request_timeout_seconds, not answered 30 s late
        assert "No complete answer within 2 s ('request_timeout_seconds')" in run.logs()


@pytest.mark.parametrize("fault", list(FATAL))
def test_given_unrecoverable_fault_when_reading_then_fails_with_clear_error(
    emulator: TikTokEmulator, fault: str
) -> None:
    config = config_for(emulator)
    setup, needle = FATAL[fault]
    setup(emulator, config)
    run = run_connector("read", config, catalog_for({"videos": "incremental"}), fails=True)
    record_row(fault, len(emulator.dataset.videos), run, "clear error" if run.errors() else "?")
    assert run.returncode != 0
    assert any(needle in error for error in run.errors()), run.errors()
    assert "Traceback" not in "\n".join(run.errors())
    ids = [record["id"] for record in run.records()]
    assert len(ids) == len(set(ids))
    assert_no_secret_printed(config, run)


def test_given_an_undocumented_error_code_then_the_sync_stops_at_once_naming_code_and_log_id(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator)
    emulator.faults.undocumented_codes = 1
    run = run_connector("read", config, catalog_for({"videos": "incremental"}), fails=True)
    [error, *_] = [m.trace.error for m in run.of_type(Type.TRACE) if m.trace.error]
    assert error.failure_type == FailureType.system_error
    assert "'quota_reshuffled'" in error.message
    assert "log_id: 2" in error.message  # TikTok's log_ids start with the date
    assert emulator.counts["/v2/video/list/"] == 1, "an unknown code must not be retried"


def test_given_videos_deleted_between_syncs_when_full_refresh_then_they_are_gone(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator)
    catalog = catalog_for({"videos": "full_refresh"})
    first = run_connector("read", config, catalog)
    gone = [video["id"] for video in emulator.dataset.videos[5:8]]
    emulator.delete_videos(gone)
    second = run_connector("read", first.latest_config(config), catalog)
    ids = {record["id"] for record in second.records()}
    assert ids == {video["id"] for video in emulator.dataset.videos}
    assert not ids & set(gone)
    record_row("videos deleted between syncs", len(emulator.dataset.videos), second, "complete")


def test_given_debug_logging_when_reading_then_still_no_secret_printed(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator)
    emulator.faults.access_token_dies_after = 1
    run = run_connector(
        "read",
        config,
        catalog_for({"user_info": "full_refresh", "videos": "full_refresh"}),
        debug=True,
        installed=True,  # --debug prints outside the logger: only a real process shows it all
    )
    assert run.returncode == 0, run.errors()
    assert "Making outbound API request" in run.stdout
    assert len(run.of_type(Type.CONTROL)) == 4  # two refreshes: each emits the rotated token first
    assert_no_secret_printed(config, run)
