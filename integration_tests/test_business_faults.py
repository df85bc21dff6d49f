"""Business mode under TikTok's misbehaviour: every passing fault cured, every post once.

The API for Business answers most faults with HTTP 200 and a code (50000, 40100); the emulator
plays those, and the network's own faults, through the same `Faults` as the Display emulator.
"""

from __future__ import annotations

import random
import re
import socket
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Type

from integration_tests.cli import catalog_for, run_connector
from integration_tests.test_business import EVERY_STREAM, OWN, config_of, post_ids
from integration_tests.test_faults import assert_no_secret_printed
from integration_tests.test_interruption import (
    Received,
    cut_in_process_read,
    killed_installed_read,
)
from source_tiktok_organic.core.waiting import MOST_WAITING_SECONDS
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

TRANSIENT: dict[str, dict[str, Any]] = {
    "code 50000 on HTTP 200": {"server_error_burst": 3},
    "code 40100 (rate limited)": {"rate_limit_burst": 2},
    "dropped connections": {"drop_connections": 2},
    "an HTML gateway page": {"non_json_bodies": 2},
    "truncated JSON": {"truncated_bodies": 2},
    "an answer slower than the timeout": {"hang_requests": 1, "hang_seconds": 3.0},
    "token endpoint code 50000": {"token_endpoint_errors": 1},
    "access token dies mid-sync": {"access_token_dies_after": 2},
    "slow answers": {"slow_ms": 50},
}
VIDEOS_ONLY = catalog_for({"videos": "incremental"})


@pytest.mark.parametrize("fault", list(TRANSIENT))
def test_given_a_passing_fault_when_reading_then_every_post_once_and_no_secret_shown(
    business: BusinessEmulator, fault: str
) -> None:
    for name, value in TRANSIENT[fault].items():
        setattr(business.faults, name, value)
    config = config_of(business)
    run = run_connector("read", config, VIDEOS_ONLY)
    assert [video["id"] for video in run.records("videos")] == post_ids(business)
    assert_no_secret_printed(config, run)


def test_given_a_rate_limit_code_then_the_wait_asked_is_tiktoks_five_minutes(
    business: BusinessEmulator,
) -> None:
    business.faults.rate_limit_burst = 1
    run = run_connector("read", config_of(business), VIDEOS_ONLY)
    assert "TikTok's API for Business rate limit" in run.logs()
    [wait] = re.findall(r"Waiting ([0-9.]+) seconds before retrying", run.logs())
    assert 270 <= float(wait) <= 331, "five minutes, give or take 10 %, plus the CDK's second"


def test_given_the_refresh_token_revoked_then_a_config_error_that_says_what_to_do(
    business: BusinessEmulator,
) -> None:
    business.revoke_refresh_tokens()
    run = run_connector("read", config_of(business), VIDEOS_ONLY, fails=True)
    [error] = run.errors()
    assert "last CONTROL message" in error
    assert "request_id" in error


@pytest.mark.parametrize(
    ("seed", "killed"),
    [(3, killed_installed_read), (29, cut_in_process_read), (61, cut_in_process_read)],
    ids=["SIGKILL-3", "cut-29", "cut-61"],
)
def test_given_a_business_read_killed_at_a_random_point_when_resumed_then_nothing_is_lost(
    seed: int, killed: Callable[[dict, dict, int], Received]
) -> None:
    posts = 300  # 15 pages
    dataset = generate_business_dataset(posts=posts, seed=seed)
    with BusinessEmulator(dataset=dataset, rate_limit_per_minute=None) as emu:
        config = config_of(emu, requests_per_minute=0)
        kill_after = random.Random(seed).randrange(1, posts)
        first = killed(config, VIDEOS_ONLY, kill_after)
        assert len(first.records) == kill_after
        resumed = run_connector("read", first.config, VIDEOS_ONLY, list(first.states.values()))
        second = [video["id"] for video in resumed.records("videos")]
        every = set(post_ids(emu))
        assert {video["id"] for video in first.records} | set(second) == every
        assert max(Counter(second).values()) == 1, "duplicates within one sync"
        mark = first.states.get("videos", {}).get("stream", {}).get("stream_state", {})
        claimed = {
            emu.dataset.post(index)["item_id"]
            for index, created_ms in enumerate(emu.dataset.post_times_ms)
            if created_ms // 1000 <= mark.get("create_time", 0)
        }
        assert claimed <= {video["id"] for video in first.records}, (
            "a claim of what was not emitted"
        )


def test_given_an_answer_slower_than_the_timeout_then_it_is_cut_at_the_configured_seconds(
    business: BusinessEmulator,
) -> None:
    business.faults.hang_requests, business.faults.hang_seconds = 1, 3.0
    run = run_connector("read", config_of(business), catalog_for({"user_info": "full_refresh"}))
    assert "No complete answer within 2 s ('request_timeout_seconds')" in run.logs()


def test_given_a_rate_limit_code_then_the_listing_counts_the_wait(
    business: BusinessEmulator,
) -> None:
    business.faults.rate_limit_burst = 1  # on user_info's call, whose answer feeds the estimate
    catalog = catalog_for({"user_info": "full_refresh", "videos": "full_refresh"})
    run = run_connector("read", config_of(business), catalog)
    assert "1 rate-limit answers" in run.logs()


def test_given_the_business_host_stops_answering_then_the_error_names_the_host_field(
    business: BusinessEmulator,
) -> None:
    config = config_of(business)
    config = run_connector("check", config).latest_config(config)  # a saved, valid access token
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    config["business_api_base_url"] = dead
    run = run_connector("read", config, catalog_for({"user_info": "full_refresh"}), fails=True)
    assert any(
        f"it refused the connection. Check 'business_api_base_url' ({dead})" in error
        for error in run.errors()
    ), run.errors()


def test_given_40100_forever_then_the_sync_ends_after_twenty_minutes_of_waiting_in_all(
    business: BusinessEmulator,
) -> None:
    """Another connection uses up the account's 40 calls a minute. The waits asked for are
    TikTok's five minutes; the suite's quick_retries only shortens the CDK's sleep."""
    business.rate_limit_per_minute = 0
    run = run_connector("read", config_of(business), catalog_for(EVERY_STREAM | OWN), fails=True)
    waits = [
        float(wait) for wait in re.findall(r"Waiting ([0-9.]+) seconds before retrying", run.logs())
    ]
    assert 3 <= len(waits) <= 4
    assert sum(waits) - len(waits) <= MOST_WAITING_SECONDS  # the CDK adds 1 s to each
    traces = [m.trace.error for m in run.of_type(Type.TRACE) if m.trace.error]
    errors = [error for error in traces if error.stream_descriptor is not None]
    assert {error.stream_descriptor.name for error in errors} == set(EVERY_STREAM | OWN)
    for error in errors:
        assert error.failure_type == FailureType.transient_error
        assert "past the 20 minutes a sync waits at most" in error.message
        assert "40 calls a minute per account and endpoint" in error.message
    first_error = next(
        index for index, m in enumerate(run.messages) if m.type == Type.TRACE and m.trace.error
    )
    later = [m.log.message for m in run.messages[first_error:] if m.type == Type.LOG]
    assert not [line for line in later if line.startswith("Waiting ")], "a later stream waited"


@pytest.mark.parametrize("stream", ["videos", "video_stats"])
def test_given_a_post_list_that_brings_a_new_post_on_every_page_forever_then_the_sync_stops(
    business: BusinessEmulator, stream: str
) -> None:
    business.faults.endless_new_posts = True
    business.rate_limit_per_minute = None  # 191 pages: paced at 40 a minute they take 5 minutes
    config = config_of(business, requests_per_minute=0)
    run = run_connector("read", config, catalog_for({stream: "full_refresh"}), fails=True)
    assert any(
        "has brought 191 different videos so far" in error
        and "the profile says the account has 45" in error
        for error in run.errors()
    ), run.errors()
    assert business.counts["/open_api/v1.3/business/video/list/"] <= 200


def test_given_partial_successes_then_every_post_is_kept_and_each_answer_is_named_once(
    business: BusinessEmulator,
) -> None:
    business.faults.partial_success = 2  # user_info's profile answer and the list's first page
    catalog = catalog_for({"user_info": "full_refresh", "videos": "full_refresh"})
    run = run_connector("read", config_of(business), catalog)
    assert [video["id"] for video in run.records("videos")] == post_ids(business)
    assert len(run.records("user_info")) == 1
    warnings = [
        m.log.message
        for m in run.of_type(Type.LOG)
        if m.log.level.name == "WARN" and "partial success" in m.log.message
    ]
    assert len(warnings) == 2, warnings
    for path, warning in zip(("business/get/", "business/video/list/"), warnings, strict=True):
        assert f"TikTok answered /open_api/v1.3/{path} with a partial success" in warning
        assert "(code 20001: Partial success.)" in warning
        assert re.search(r"\(request_id: (\w+), X-Tt-Logid: \1\)", warning), warning
    assert business.code_counts["/open_api/v1.3/business/get/", 20001] == 1
