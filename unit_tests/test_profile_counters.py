import logging
from typing import Any

import pytest
import requests
from airbyte_cdk.utils import AirbyteTracedException
from urllib3.exceptions import MaxRetryError, NewConnectionError

from source_tiktok_organic.core.budget import tiktok_api_budget
from source_tiktok_organic.core.config import parse_settings
from source_tiktok_organic.core.counters import ProfileCounters
from source_tiktok_organic.core.progress import Progress
from source_tiktok_organic.core.waiting import WaitAllowance
from source_tiktok_organic.creator.auth import CreatorAuthenticator
from source_tiktok_organic.creator.streams import CreatorCounters, creator_api
from unit_tests.conftest import USER_URL, envelope, make_config, profile

LOGGER = logging.getLogger("test")


def counters_for(**overrides: Any) -> tuple[ProfileCounters, Progress]:
    config = make_config(**overrides)
    settings = parse_settings(config)
    auth = CreatorAuthenticator(config, settings.api_base_url, settings.request_timeout)
    progress = Progress(LOGGER)
    budget = tiktok_api_budget(settings, lambda _: None)
    api = creator_api(settings, progress, WaitAllowance(), budget, auth)
    return CreatorCounters(auth, api, LOGGER), progress


def test_given_a_429_then_it_is_counted_and_waited_out_with_the_streams_backoff(
    tiktok: Any, no_retry_sleep: list[float]
) -> None:
    tiktok.get(
        USER_URL,
        [
            {"status_code": 429, "json": envelope(code="rate_limit_exceeded")},
            {"json": profile(video_count=9)},
        ],
    )
    counters, progress = counters_for()
    reading = counters.read()
    assert reading is not None
    assert reading["video_count"] == 9
    assert progress.rate_limit_waits == 1
    # one wait, asked for by the streams' backoff (the CDK's own would wait elsewhere)
    assert len(no_retry_sleep) == 1


def test_given_user_info_offered_every_counter_then_no_request(tiktok: Any) -> None:
    counters, _ = counters_for()
    counters.offer(
        {
            "open_id": "o-1",
            "follower_count": 1,
            "following_count": 2,
            "likes_count": 3,
            "video_count": 4,
        }
    )
    assert counters.read() == {
        "open_id": "o-1",
        "follower_count": 1,
        "following_count": 2,
        "likes_count": 3,
        "video_count": 4,
    }
    assert not [r for r in tiktok.request_history if r.url.startswith(USER_URL)]


def test_given_an_offer_missing_a_counter_then_the_counters_are_requested(tiktok: Any) -> None:
    counters, _ = counters_for()
    counters.offer({"open_id": "o-1", "follower_count": 1})
    assert counters.read()["video_count"] == 3  # the canned profile's
    assert len([r for r in tiktok.request_history if r.url.startswith(USER_URL)]) == 1


def test_given_the_api_host_refuses_then_the_error_names_api_base_url(tiktok: Any) -> None:
    reason = NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    tiktok.get(
        USER_URL,
        exc=requests.ConnectionError(MaxRetryError(None, USER_URL, reason)),  # type: ignore[arg-type]
    )
    counters, _ = counters_for()
    with pytest.raises(AirbyteTracedException) as raised:
        counters.read()
    assert "Check 'api_base_url' (https://open.tiktokapis.com)" in str(raised.value.message)
