"""Hostile and broken inputs, through the installed command against the emulator."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteStreamStatus, FailureType, Level, Status, Type
from airbyte_cdk.utils import AirbyteTracedException

from integration_tests.cli import Run, catalog_for, command_path, run_args, run_connector
from integration_tests.conftest import config_for
from source_tiktok_organic.core import auth as auth_module
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from tiktok_emulator import TikTokEmulator, generate_dataset


@pytest.mark.parametrize(
    "template",
    ["http://user:hunter2pw@{host}", "http://{host}\\@evil.example", "https://ex%61mple.com"],
    ids=["userinfo", "backslash", "two-readings"],
)
def test_given_an_api_base_url_that_could_send_elsewhere_then_check_refuses_it_unsent(
    emulator: TikTokEmulator, template: str
) -> None:
    host = emulator.url.removeprefix("http://")
    config = config_for(emulator, api_base_url=template.format(host=host))
    run = run_connector("check", config)
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert "Config field 'api_base_url'" in status.connectionStatus.message
    assert sum(emulator.counts.values()) == 0
    assert "hunter2pw" not in run.stdout + run.stderr


@pytest.fixture
def elsewhere() -> Iterator[TikTokEmulator]:
    """Another TikTok on another port: where a redirect would take the connector."""
    with TikTokEmulator(dataset=generate_dataset(videos=3, seed=1)) as emu:
        yield emu


@pytest.mark.parametrize(
    ("command", "redirected"),
    [("check", "token endpoint"), ("read", "video list")],
)
def test_given_a_redirect_to_another_host_then_nothing_is_sent_there_and_the_error_names_it(
    emulator: TikTokEmulator, elsewhere: TikTokEmulator, command: str, redirected: str
) -> None:
    config = config_for(emulator)
    if redirected == "video list":
        config = run_connector("check", config).latest_config(config)  # a valid access token
    emulator.faults.redirect_to = elsewhere.url
    emulator.faults.redirects = 5  # a read first asks for the profile, for its progress estimate
    catalog = catalog_for({"videos": "full_refresh"}) if command == "read" else None

    run = run_connector(command, config, catalog, fails=command == "read")

    said = [m.connectionStatus.message for m in run.of_type(Type.CONNECTION_STATUS)] + run.errors()
    target = elsewhere.url.removeprefix("http://")
    assert any(f"redirect to {target}" in s or f"redirected to {target}" in s for s in said), said
    assert sum(elsewhere.counts.values()) == 0
    assert run.records() == []


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_given_a_read_killed_midway_then_no_copy_of_the_config_is_left_in_tmpdir(
    emulator: TikTokEmulator, tmp_path: Path, signum: signal.Signals
) -> None:
    config = config_for(emulator)
    emulator.latency_ms = 300  # keeps the read going while it is killed
    files = tmp_path / "in"
    files.mkdir()
    (files / "config.json").write_text(json.dumps(config))
    (files / "catalog.json").write_text(
        json.dumps(catalog_for({"user_info": "full_refresh", "videos": "full_refresh"}))
    )
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()
    process = subprocess.Popen(
        [
            command_path(),
            "read",
            "--config",
            str(files / "config.json"),
            "--catalog",
            str(files / "catalog.json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith('{"type":"RECORD"'):
            break
    process.send_signal(signum)
    process.wait(timeout=30)
    process.stdout.close()

    secrets = (config["client_secret"], config["refresh_token"])
    left = [
        path
        for path in scratch.rglob("*")
        if path.is_file() and any(s.encode() in path.read_bytes() for s in secrets)
    ]
    assert left == [], f"a copy of the config was left behind: {left}"


@pytest.mark.parametrize("expires_in", [0, -1, "abc", 1e20, 5], ids=repr)
def test_given_an_odd_expires_in_then_the_token_is_saved_and_not_refreshed_again_and_again(
    emulator: TikTokEmulator, expires_in: object
) -> None:
    emulator.faults.token_overrides = {"expires_in": expires_in}
    config = config_for(emulator)
    catalog = catalog_for({"user_info": "full_refresh", "videos": "full_refresh"})

    first = run_connector("read", config, catalog)
    emulator.reset_counts()
    second = run_connector("read", first.latest_config(config), catalog)

    for run in (first, second):
        assert run.returncode == 0, run.errors()
    # one refresh: the rotated token alone, then with the session
    assert len(first.of_type(Type.CONTROL)) == 2
    assert len(second.records("videos")) == len(emulator.dataset.videos)
    assert emulator.counts["/v2/oauth/token/"] == 0, "the saved token is reused, not refreshed"
    logs = "\n".join(m.log.message for m in first.of_type(Type.LOG))
    assert "unusable expires_in" in logs


YEAR_2100 = 4_102_444_800


def test_given_a_video_dated_2100_then_later_posts_are_still_synced_next_time(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator)
    catalog = catalog_for({"videos": "incremental"})
    glitched = emulator.dataset.videos[5]["id"]
    emulator.redate(glitched, YEAR_2100)
    real_newest = max(v["create_time"] for v in emulator.dataset.videos if v["id"] != glitched)

    first = run_connector("read", config, catalog)
    posted = emulator.add_videos_at([real_newest + 60, real_newest + 120])
    second = run_connector(
        "read", first.latest_config(config), catalog, state=first.state_messages()
    )

    assert first.returncode == second.returncode == 0, first.errors() + second.errors()
    assert len(first.records("videos")) == len(emulator.dataset.videos) - len(posted)
    assert first.states()[-1]["create_time"] == real_newest
    logs = "\n".join(m.log.message for m in first.of_type(Type.LOG))
    assert f"Video {glitched} is dated 2100-01-01T00:00:00+00:00, after now" in logs
    assert {v["id"] for v in posted} <= {r["id"] for r in second.records("videos")}


def test_given_a_list_that_says_has_more_forever_with_empty_pages_then_the_sync_stops(
    emulator: TikTokEmulator,
) -> None:
    emulator.faults.endless_empty_pages = True
    run = run_connector(
        "read", config_for(emulator), catalog_for({"videos": "full_refresh"}), fails=True
    )
    assert run.returncode != 0
    assert any("pages in a row brought no new video" in e for e in run.errors()), run.errors()
    assert emulator.counts["/v2/video/list/"] <= 25


def saved_videos_state(create_time: int) -> list[dict]:
    descriptor = {"name": "videos"}
    return [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": descriptor,
                "stream_state": {"create_time": create_time},
            },
        }
    ]


@pytest.mark.parametrize(
    ("stream", "mode", "saved"),
    [
        ("videos", "full_refresh", False),
        ("video_stats", "full_refresh", False),
        ("videos", "incremental", True),
    ],
)
def test_given_a_list_that_brings_a_new_video_on_every_page_forever_then_the_sync_stops(
    emulator: TikTokEmulator, stream: str, mode: str, saved: bool
) -> None:
    """The profile says 45; the list would bring thousands a minute. A saved cursor a month
    back does not bound it either: the list would take a month's seconds to reach it."""
    newest = emulator.dataset.videos[0]["create_time"]
    state = saved_videos_state(newest - 30 * 86_400) if saved else None
    emulator.faults.endless_new_posts = True
    run = run_connector(
        "read", config_for(emulator), catalog_for({stream: mode}), state, fails=True
    )
    assert any(
        "has brought 191 different videos so far" in error
        and "the profile says the account has 45" in error
        for error in run.errors()
    ), run.errors()
    assert emulator.counts["/v2/video/list/"] <= 200


def run_with_files(tmp_path: Path, command: str, fails: bool = False, **files: str) -> Run:
    """The command with input files written exactly as given (run_connector writes JSON)."""
    args = [command]
    for name, content in files.items():
        path = tmp_path / f"{name}.json"
        path.write_text(content)
        args += [f"--{name}", str(path)]
    return run_args(args, fails=fails)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""], ids=["not JSON", "list", "empty"])
def test_given_an_unreadable_config_then_check_still_answers_a_status_naming_the_file(
    tmp_path: Path, content: str
) -> None:
    done = run_with_files(tmp_path, "check", config=content)
    [status] = [m.connectionStatus for m in done.of_type(Type.CONNECTION_STATUS)]
    assert status.status == Status.FAILED
    assert f"The config file {tmp_path / 'config.json'} " in status.message
    assert "Traceback" not in done.stdout + done.stderr


def nan_config(emulator: TikTokEmulator) -> str:
    """The config as raw JSON with a bare NaN, which Python's json reads as float nan."""
    text = json.dumps({**config_for(emulator), "request_timeout_seconds": math.nan})
    assert '"request_timeout_seconds": NaN' in text
    return text


def test_given_nan_in_the_config_then_check_answers_failed_naming_the_field_unsent(
    emulator: TikTokEmulator, tmp_path: Path
) -> None:
    done = run_with_files(tmp_path, "check", config=nan_config(emulator))
    [status] = [m.connectionStatus for m in done.of_type(Type.CONNECTION_STATUS)]
    assert status.status == Status.FAILED
    assert status.message == (
        "Config field 'request_timeout_seconds' must be a finite number; got NaN."
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert sum(emulator.counts.values()) == 0


@pytest.mark.parametrize("command", ["discover", "read"])
def test_given_nan_in_the_config_then_the_command_ends_with_one_config_error_naming_the_field(
    emulator: TikTokEmulator, tmp_path: Path, command: str
) -> None:
    (tmp_path / "config.json").write_text(nan_config(emulator))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog_for({"videos": "full_refresh"})))
    args = [command, "--config", str(tmp_path / "config.json")]
    if command == "read":
        args += ["--catalog", str(tmp_path / "catalog.json")]
    done = run_args(args, fails=True, installed=True)
    errors = [m.trace.error for m in done.of_type(Type.TRACE) if m.trace.error]
    assert done.returncode == 1
    assert [e.failure_type for e in errors] == [FailureType.config_error]
    assert errors[0].message == (
        "Config field 'request_timeout_seconds' must be a finite number; got NaN."
    )
    assert "Traceback" not in done.logs() + done.stderr  # the TRACE's own stack_trace aside
    assert sum(emulator.counts.values()) == 0


@pytest.mark.parametrize("broken", ["catalog", "state"])
def test_given_an_unreadable_catalog_or_state_then_read_fails_once_naming_the_file(
    emulator: TikTokEmulator, tmp_path: Path, broken: str
) -> None:
    files = {
        "config": json.dumps(config_for(emulator)),
        "catalog": json.dumps(catalog_for({"videos": "incremental"})),
        "state": "[]",
        broken: "{not json",
    }
    done = run_with_files(tmp_path, "read", **files, fails=True)
    errors = [m.trace.error for m in done.of_type(Type.TRACE) if m.trace.error]
    assert done.returncode == 1
    assert [e.failure_type for e in errors] == [FailureType.config_error]
    assert f"The {broken} file {tmp_path / (broken + '.json')} " in errors[0].message
    assert sum(emulator.counts.values()) == 0


def with_stream_renamed(catalog: dict[str, Any], index: int, name: str) -> dict[str, Any]:
    catalog["streams"][index]["stream"]["name"] = name
    return catalog


def test_given_a_catalog_with_an_unknown_stream_then_the_rest_is_read_and_it_is_reported(
    emulator: TikTokEmulator,
) -> None:
    """As the CDK does for a stream the source lost: an error log and INCOMPLETE, not a failure."""
    catalog = with_stream_renamed(
        catalog_for({"videos": "full_refresh", "user_info": "full_refresh"}), 1, "not_a_stream"
    )
    run = run_connector("read", config_for(emulator), catalog)
    assert run.returncode == 0
    assert len(run.records("videos")) == len(emulator.dataset.videos)
    errors = [m.log.message for m in run.of_type(Type.LOG) if m.log.level == Level.ERROR]
    assert len(errors) == 1
    assert "Stream 'not_a_stream' is not synced" in errors[0]
    statuses = {
        (m.trace.stream_status.stream_descriptor.name, m.trace.stream_status.status)
        for m in run.of_type(Type.TRACE)
        if m.trace.stream_status
    }
    assert ("not_a_stream", AirbyteStreamStatus.INCOMPLETE) in statuses
    assert ("videos", AirbyteStreamStatus.COMPLETE) in statuses


def test_given_a_catalog_of_unknown_streams_only_then_read_refuses_it_unsent(
    emulator: TikTokEmulator,
) -> None:
    catalog = with_stream_renamed(catalog_for({"videos": "full_refresh"}), 0, "reels")
    run = run_connector("read", config_for(emulator), catalog, fails=True)
    assert run.returncode == 1
    [error] = run.errors()
    assert "selects 'reels', which this source does not have" in error
    assert sum(emulator.counts.values()) == 0


def test_given_a_mode_a_stream_lacks_then_the_log_says_so_and_it_is_read(
    emulator: TikTokEmulator,
) -> None:
    run = run_connector("read", config_for(emulator), catalog_for({"user_info": "incremental"}))
    assert run.returncode == 0, run.errors()
    assert len(run.records("user_info")) == 1
    logs = run.logs()
    assert "Stream user_info cannot be read as incremental, only as full_refresh" in logs


@pytest.mark.parametrize("streams", [("videos",), ("videos", "video_stats")], ids=["one", "both"])
def test_given_a_count_beyond_64_bits_then_the_sync_stops_naming_video_and_field(
    emulator: TikTokEmulator, streams: tuple[str, ...]
) -> None:
    huge = emulator.dataset.videos[3]
    emulator.bump_counts([huge["id"]], factor=2**66)  # past 2**64: JSON parsers round it
    run = run_connector(
        "read",
        config_for(emulator),
        catalog_for(dict.fromkeys(streams, "full_refresh")),
        fails=True,
    )
    assert run.returncode != 0
    assert any(f"record (id '{huge['id']}') whose 'view_count' is" in e for e in run.errors()), (
        run.errors()
    )
    assert huge["id"] not in {r.get("id", r.get("video_id")) for r in run.records()}


def test_given_a_description_with_a_lone_surrogate_then_the_sync_stops_at_once_naming_it(
    emulator: TikTokEmulator,
) -> None:
    glitched = emulator.dataset.videos[2]
    glitched["video_description"] = "half an emoji: \ud83d"
    run = run_connector(
        "read", config_for(emulator), catalog_for({"videos": "full_refresh"}), fails=True
    )
    assert run.returncode != 0
    [error, *_] = run.errors()
    assert "(a lone surrogate) at data.videos[2].video_description" in error
    assert emulator.counts["/v2/video/list/"] == 1, "not retried as a passing fault"


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ("drip_bodies", "did not arrive in full within"),
        ("drip_heads", "No complete answer within 2 s ('request_timeout_seconds')"),
    ],
    ids=["body", "status line and headers"],
)
def test_given_a_page_that_drips_then_it_is_cut_at_the_timeout_and_retried(
    emulator: TikTokEmulator, fault: str, logged: str
) -> None:
    """One byte every 50 ms: a page would take minutes; request_timeout_seconds is 2."""
    setattr(emulator.faults, fault, 1)
    run = run_connector("read", config_for(emulator), catalog_for({"videos": "full_refresh"}))
    ids = [r["id"] for r in run.records("videos")]
    assert sorted(ids) == sorted(v["id"] for v in emulator.dataset.videos)
    assert logged in run.logs()


def test_given_a_token_answer_that_drips_then_it_is_waited_for_as_the_new_token_is_in_it(
    emulator: TikTokEmulator,
) -> None:
    """Cutting it would lose the refresh token TikTok has already rotated (strict rotation)."""
    emulator.faults.drip_token_bodies = 1
    emulator.faults.drip_seconds = 0.01  # about 3 s for the whole answer, past the 2 s timeout
    config = config_for(emulator)
    first = run_connector("check", config, timeout=60)
    [status] = first.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED
    second = run_connector("check", first.latest_config(config))
    assert second.of_type(Type.CONNECTION_STATUS)[0].connectionStatus.status == Status.SUCCEEDED


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("drip_token_bodies", "did not arrive in full within 1 s"),
        ("drip_token_heads", "answer did not arrive within 1 s"),
    ],
    ids=["body", "status line and headers"],
)
def test_given_a_token_answer_past_its_deadline_then_it_is_not_asked_again_and_says_why(
    emulator: TikTokEmulator, monkeypatch: pytest.MonkeyPatch, fault: str, said: str
) -> None:
    """One byte every 50 ms would take seconds; the token answer's deadline is set to 1 s."""
    monkeypatch.setattr(auth_module, "TOKEN_ANSWER_SECONDS", 1.0)
    setattr(emulator.faults, fault, 1)
    config = config_for(emulator)
    authenticator = CreatorAuthenticator(config, config["api_base_url"], 0.5)
    with pytest.raises(AirbyteTracedException) as raised:
        authenticator.get_access_token()
    assert said in raised.value.message
    assert "TikTok may have rotated the refresh token already" in raised.value.message
    assert emulator.counts["/v2/oauth/token/"] == 1


def test_given_token_headers_that_drip_then_they_are_waited_for_as_the_new_token_follows(
    emulator: TikTokEmulator,
) -> None:
    emulator.faults.drip_token_heads = 1
    emulator.faults.drip_seconds = 0.01  # about 2 s for the status line and headers
    config = config_for(emulator)
    authenticator = CreatorAuthenticator(config, config["api_base_url"], 0.5)
    assert authenticator.get_access_token()
    assert emulator.counts["/v2/oauth/token/"] == 1
