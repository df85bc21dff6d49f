from datetime import timedelta

import pytest
import requests
from airbyte_cdk.sources.streams.call_rate import (
    CallRateLimitHit,
    MovingWindowCallRatePolicy,
    Rate,
)

from source_tiktok_organic.core.budget import (
    RATE_LIMITED_ENDPOINTS,
    STEP_SECONDS,
    SaidBudget,
    tiktok_api_budget,
)
from source_tiktok_organic.core.config import parse_settings
from unit_tests.conftest import make_config


def prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("POST", url).prepare()


@pytest.mark.parametrize(
    "base",
    ["https://open.tiktokapis.com", "https://proxy.example.com/tiktok", "http://127.0.0.1:8089"],
)
@pytest.mark.parametrize(
    ("mode", "base_field"), [("creator", "api_base_url"), ("business", "business_api_base_url")]
)
def test_given_each_endpoint_of_the_mode_when_budgeting_then_its_own_policy_applies(
    base: str, mode: str, base_field: str
) -> None:
    settings = parse_settings(make_config(account_mode=mode, **{base_field: base}))
    budget = tiktok_api_budget(settings, lambda _: None)
    endpoints = RATE_LIMITED_ENDPOINTS[mode]
    policies = [
        budget.get_matching_policy(prepared(f"{base}{endpoint}?fields=id"))
        for endpoint in endpoints
    ]
    assert all(policy is not None for policy in policies)
    assert len({id(policy) for policy in policies}) == len(endpoints)
    other = RATE_LIMITED_ENDPOINTS["business" if mode == "creator" else "creator"]
    assert budget.get_matching_policy(prepared(f"{base}{other[0]}")) is None


def test_given_business_mode_when_budgeting_then_40_calls_fill_the_window() -> None:
    settings = parse_settings(make_config(account_mode="business"))
    budget = tiktok_api_budget(settings, lambda _: None)
    request = prepared("https://business-api.tiktok.com/open_api/v1.3/business/video/list/")
    for _ in range(40):
        budget.acquire_call(request, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)


def test_given_business_mode_when_budgeting_then_the_comment_list_has_its_own_40() -> None:
    budget = tiktok_api_budget(parse_settings(make_config(account_mode="business")), lambda _: None)
    base = "https://business-api.tiktok.com/open_api/v1.3/business/"
    comments = prepared(base + "comment/list/?video_id=1")
    for _ in range(40):
        budget.acquire_call(comments, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(comments, block=False)
    budget.acquire_call(prepared(base + "video/list/"), block=False)


def test_given_token_endpoint_when_budgeting_then_not_limited() -> None:
    budget = tiktok_api_budget(parse_settings(make_config()), lambda _: None)
    assert (
        budget.get_matching_policy(prepared("https://open.tiktokapis.com/v2/oauth/token/")) is None
    )


def test_given_zero_requests_per_minute_when_budgeting_then_no_policy() -> None:
    budget = tiktok_api_budget(parse_settings(make_config(requests_per_minute=0)), lambda _: None)
    assert (
        budget.get_matching_policy(prepared("https://open.tiktokapis.com/v2/video/list/")) is None
    )


def test_given_limit_reached_when_acquiring_then_the_next_call_must_wait() -> None:
    budget = tiktok_api_budget(parse_settings(make_config(requests_per_minute=2)), lambda _: None)
    request = prepared("https://open.tiktokapis.com/v2/video/list/")
    budget.acquire_call(request, block=False)
    budget.acquire_call(request, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)
    budget.acquire_call(prepared("https://open.tiktokapis.com/v2/user/info/"), block=False)


class StepClock:
    """A budget whose window frees a call `free_after` seconds of (fake) sleep from now."""

    def __init__(self, free_after: float) -> None:
        self.left: float = free_after
        self.slept: list[float] = []
        self.said: list[float] = []


def test_given_a_long_wait_then_it_is_slept_in_steps_each_said_before_it() -> None:
    """A read waiting on the window says so at least every step, never a minute in silence."""
    clock = StepClock(free_after=55)

    class Window(MovingWindowCallRatePolicy):
        def try_acquire(self, request: object, weight: int) -> None:
            if clock.left > 0:
                raise CallRateLimitHit(
                    "full", request, weight, "2/61s", timedelta(seconds=clock.left)
                )

    def sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        clock.left -= seconds

    policy = Window(rates=[Rate(limit=2, interval=timedelta(seconds=61))], matchers=[])
    budget = SaidBudget([policy], clock.said.append, sleep)
    budget.acquire_call(prepared("https://open.tiktokapis.com/v2/video/list/"))
    assert clock.slept == [STEP_SECONDS, STEP_SECONDS, 55 - 2 * STEP_SECONDS]
    assert clock.said == clock.slept


def test_given_no_blocking_then_a_full_window_is_refused_unsaid() -> None:
    said: list[float] = []
    budget = tiktok_api_budget(parse_settings(make_config(requests_per_minute=1)), said.append)
    request = prepared("https://open.tiktokapis.com/v2/video/list/")
    budget.acquire_call(request, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)
    assert said == []


def test_given_a_window_already_free_again_then_no_negative_sleep() -> None:
    """A call the window frees while being refused is retried at once, not after a second."""
    calls = [0]
    slept: list[float] = []

    class Window(MovingWindowCallRatePolicy):
        def try_acquire(self, request: object, weight: int) -> None:
            calls[0] += 1
            if calls[0] == 1:
                raise CallRateLimitHit("full", request, weight, "1/61s", timedelta(seconds=-3))

    policy = Window(rates=[Rate(limit=1, interval=timedelta(seconds=61))], matchers=[])
    SaidBudget([policy], lambda _: None, slept.append).acquire_call(
        prepared("https://open.tiktokapis.com/v2/video/list/")
    )
    assert slept == [0.0]


def test_given_another_host_then_its_calls_are_not_counted_against_tiktoks_window() -> None:
    budget = tiktok_api_budget(parse_settings(make_config()), lambda _: None)
    assert budget.get_matching_policy(prepared("https://elsewhere.example/v2/video/list/")) is None
