"""End-to-end: the CLI against the emulator, exactly as Airbyte or `docker run` calls it.

They run in this process through the console script's own `launch` (see
integration_tests/cli.py); test_lifecycle.py and test_readme_by_hand.py run the installed
command itself, run after run.
"""

from __future__ import annotations

from datetime import UTC, datetime

import jsonschema
import pytest
from airbyte_cdk.models import Status, Type

from integration_tests.cli import catalog_for, run_connector
from integration_tests.conftest import config_for
from tiktok_emulator import TikTokEmulator

BOTH = {"user_info": "full_refresh", "videos": "full_refresh"}


def dataset_ids(emu: TikTokEmulator) -> set[str]:
    return {video["id"] for video in emu.dataset.videos}


def test_spec_prints_one_spec_message() -> None:
    run = run_connector("spec")
    assert run.returncode == 0
    [spec] = run.of_type(Type.SPEC)
    assert "refresh_token" in spec.spec.connectionSpecification["properties"]


def test_given_good_credentials_when_checking_then_succeeded(
    emulator: TikTokEmulator, config: dict
) -> None:
    run = run_connector("check", config)
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED


@pytest.mark.parametrize(
    ("breakage", "needle"),
    [
        ("revoked", "last CONTROL message"),
        ("wrong_secret", "client_secret"),
        ("no_video_scope", "video.list"),
        ("no_basic_scope", "user.info.basic"),
        ("plain_http", "api_base_url"),
        ("missing_field", "refresh_token"),
        ("bad_start_date", "Config field 'start_date' must be YYYY-MM-DD or"),
    ],
)
def test_given_broken_setup_when_checking_then_failed_with_the_cause(
    emulator: TikTokEmulator, breakage: str, needle: str
) -> None:
    config = config_for(emulator)
    if breakage == "revoked":
        emulator.revoke_refresh_tokens()
    elif breakage == "wrong_secret":
        config["client_secret"] = "not-the-secret"
    elif breakage == "no_video_scope":
        config["refresh_token"] = emulator.issue_refresh_token(["user.info.basic"])
    elif breakage == "no_basic_scope":
        config["refresh_token"] = emulator.issue_refresh_token(["video.list"])
    elif breakage == "plain_http":
        config["api_base_url"] = "http://open.tiktokapis.com"
    elif breakage == "bad_start_date":
        config["start_date"] = "not-a-date"
    else:
        del config["refresh_token"]
    run = run_connector("check", config)
    [status] = run.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert needle in status.connectionStatus.message


def test_when_discovering_then_all_streams_with_keys_and_no_api_call(
    emulator: TikTokEmulator, config: dict
) -> None:
    run = run_connector("discover", config)
    [catalog] = run.of_type(Type.CATALOG)
    streams = {stream.name: stream for stream in catalog.catalog.streams}
    assert set(streams) == {"user_info", "user_stats", "videos", "video_stats"}
    assert streams["videos"].default_cursor_field == ["create_time"]
    assert sum(emulator.counts.values()) == 0


def test_given_full_refresh_of_both_streams_then_every_video_once_and_schema_valid(
    emulator: TikTokEmulator, config: dict
) -> None:
    schemas = {
        stream.name: stream.json_schema
        for stream in run_connector("discover", config).of_type(Type.CATALOG)[0].catalog.streams
    }
    run = run_connector("read", config, catalog_for(BOTH))
    assert run.returncode == 0, run.stderr
    videos = run.records("videos")
    assert len(videos) == len(emulator.dataset.videos)
    assert {video["id"] for video in videos} == dataset_ids(emulator)
    [profile] = run.records("user_info")
    assert profile["open_id"] == emulator.dataset.profile["open_id"]
    assert {video["open_id"] for video in videos} == {profile["open_id"]}
    for stream, records in (("videos", videos), ("user_info", [profile])):
        for record in records:
            jsonschema.validate(record, schemas[stream])


def test_given_first_sync_state_when_new_videos_posted_then_second_sync_returns_only_them(
    emulator: TikTokEmulator, config: dict
) -> None:
    catalog = catalog_for({"videos": "incremental"})
    first = run_connector("read", config, catalog)
    assert len(first.records()) == len(emulator.dataset.videos)
    added = emulator.add_videos(3, newer=True)
    emulator.reset_counts()
    second = run_connector("read", first.latest_config(config), catalog, first.state_messages())
    assert {video["id"] for video in second.records()} == {video["id"] for video in added}
    assert emulator.counts["/v2/video/list/"] == 1
    assert second.states()[-1]["create_time"] == max(v["create_time"] for v in added)


def test_given_state_far_in_future_when_reading_then_it_is_named_and_every_video_read(
    emulator: TikTokEmulator, config: dict
) -> None:
    future = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "videos"},
                "stream_state": {"create_time": 9_999_999_999},
            },
        }
    ]
    run = run_connector("read", config, catalog_for({"videos": "incremental"}), future)
    assert run.returncode == 0
    assert len(run.records()) == len(emulator.dataset.videos)
    assert run.states()[-1]["create_time"] == max(v["create_time"] for v in emulator.dataset.videos)
    assert "its create_time 9999999999 is after now" in run.logs()


@pytest.mark.parametrize("command", ["check", "discover", "read"])
def test_given_rotation_then_emitted_config_works_next_time_and_old_token_is_dead(
    emulator: TikTokEmulator, config: dict, command: str
) -> None:
    catalog = catalog_for({"user_info": "full_refresh"}) if command == "read" else None
    first = run_connector(command, config, catalog)
    assert first.returncode == 0, first.stderr
    rotated = first.latest_config(config)
    if command == "discover":
        assert rotated is config, "discover makes no API call, so it never spends the token"
        return
    assert rotated["refresh_token"] != config["refresh_token"]
    rotated.pop("oauth_session")  # force the next run to spend the rotated refresh token
    assert run_connector("read", rotated, catalog_for({"user_info": "full_refresh"})).records()
    stale = config_for(emulator, refresh_token=config["refresh_token"])
    failed = run_connector("check", stale)
    [status] = failed.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.FAILED
    assert "last CONTROL message" in status.connectionStatus.message


def test_given_saved_access_token_when_running_again_then_no_refresh_is_spent(
    emulator: TikTokEmulator, config: dict
) -> None:
    first = run_connector("check", config)
    emulator.reset_counts()
    second = run_connector("check", first.latest_config(config))
    assert second.of_type(Type.CONNECTION_STATUS)[0].connectionStatus.status == Status.SUCCEEDED
    assert emulator.counts["/v2/oauth/token/"] == 0
    assert second.of_type(Type.CONTROL) == []


def test_given_reduced_scopes_when_reading_profile_then_granted_fields_only_and_logged(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(
        emulator, refresh_token=emulator.issue_refresh_token(["user.info.basic", "video.list"])
    )
    run = run_connector("read", config, catalog_for(BOTH))
    assert run.returncode == 0, run.stderr
    [profile] = run.records("user_info")
    assert "display_name" in profile
    assert "follower_count" not in profile
    assert (
        "Scope 'user.info.stats' is not granted, so user_info leaves out: follower_count, "
        "following_count, likes_count, video_count."
    ) in run.logs()
    assert len(run.records("videos")) == len(emulator.dataset.videos)


def test_given_video_scope_missing_when_reading_videos_then_config_error_names_it(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator, refresh_token=emulator.issue_refresh_token(["user.info.basic"]))
    run = run_connector("read", config, catalog_for(BOTH), fails=True)
    assert run.returncode != 0
    assert len(run.records("user_info")) == 1
    said = "Stream 'videos' needs the TikTok scope 'video.list', which this authorization does not"
    assert any(said in error for error in run.errors()), run.errors()


def test_given_start_date_when_reading_then_older_videos_are_not_synced(
    emulator: TikTokEmulator,
) -> None:
    times = sorted(video["create_time"] for video in emulator.dataset.videos)
    cutoff = times[len(times) // 2]
    config = config_for(emulator, start_date=_rfc3339(cutoff))
    run = run_connector("read", config, catalog_for({"videos": "full_refresh"}))
    assert {v["id"] for v in run.records()} == {
        v["id"] for v in emulator.dataset.videos if v["create_time"] >= cutoff
    }


def test_given_start_date_inside_the_lookback_when_reading_incrementally_then_it_still_bounds(
    emulator: TikTokEmulator,
) -> None:
    """The lookback re-reads the days before the saved cursor, but never before start_date."""
    times = sorted(video["create_time"] for video in emulator.dataset.videos)
    newest, cutoff = times[-1], times[len(times) // 2]
    assert newest - 365 * 86400 < cutoff, "the year of lookback must reach past the cutoff"
    config = config_for(emulator, start_date=_rfc3339(cutoff), lookback_days=365)
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "videos"},
                "stream_state": {"create_time": newest},
            },
        }
    ]
    run = run_connector("read", config, catalog_for({"videos": "incremental"}), state)
    assert run.returncode == 0, run.errors()
    assert {v["id"] for v in run.records()} == {
        v["id"] for v in emulator.dataset.videos if v["create_time"] >= cutoff
    }


def _rfc3339(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("command", ["check", "discover", "read"])
def test_given_a_misspelt_field_then_every_command_names_it_and_still_runs(
    emulator: TikTokEmulator, command: str
) -> None:
    config = config_for(emulator, start_dat="2024-01-01", acount_mode="business")
    catalog = catalog_for({"user_info": "full_refresh"}) if command == "read" else None

    run = run_connector(command, config, catalog)

    assert run.returncode == 0, run.errors()
    warnings = [m.log.message for m in run.of_type(Type.LOG) if m.log.level.value == "WARN"]
    for typo, meant in (("start_dat", "start_date"), ("acount_mode", "account_mode")):
        expected = f"Config field '{typo}' is not one this connector knows; did you mean '{meant}'?"
        said = [warning for warning in warnings if warning.startswith(expected)]
        assert len(said) == 1, (typo, warnings)
    if command == "check":
        [status] = run.of_type(Type.CONNECTION_STATUS)
        assert status.connectionStatus.status == Status.SUCCEEDED


LISTS = {"videos": "full_refresh", "video_stats": "full_refresh"}


@pytest.mark.parametrize("variant", ["served", "withheld", "unknown"])
def test_given_each_is_aigc_deployment_then_both_lists_carry_what_it_sends_and_a_refusal_is_said_once(
    emulator: TikTokEmulator, config: dict, variant: str
) -> None:
    emulator.faults.aigc = variant
    sent = {
        v["id"]: v.get("is_aigc") if variant == "served" else None for v in emulator.dataset.videos
    }

    run = run_connector("read", config, catalog_for(LISTS))

    assert run.returncode == 0, run.errors()
    assert {v["id"]: v.get("is_aigc") for v in run.records("videos")} == sent
    assert {v["video_id"]: v.get("is_aigc") for v in run.records("video_stats")} == sent
    warnings = [m.log.message for m in run.of_type(Type.LOG) if m.log.level.value == "WARN"]
    said = [warning for warning in warnings if "'is_aigc'" in warning]
    assert len(said) == (variant == "unknown"), warnings
    assert emulator.status_counts["/v2/video/list/", 400] == (variant == "unknown")
