import pytest
import requests
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit

from source_tiktok_organic.config import parse_settings
from source_tiktok_organic.streams.base import (
    RATE_LIMITED_ENDPOINTS,
    tiktok_api_budget,
)
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
    budget = tiktok_api_budget(settings)
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
    budget = tiktok_api_budget(settings)
    request = prepared("https://business-api.tiktok.com/open_api/v1.3/business/video/list/")
    for _ in range(40):
        budget.acquire_call(request, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)


def test_given_token_endpoint_when_budgeting_then_not_limited() -> None:
    budget = tiktok_api_budget(parse_settings(make_config()))
    assert (
        budget.get_matching_policy(prepared("https://open.tiktokapis.com/v2/oauth/token/")) is None
    )


def test_given_zero_requests_per_minute_when_budgeting_then_no_policy() -> None:
    budget = tiktok_api_budget(parse_settings(make_config(requests_per_minute=0)))
    assert (
        budget.get_matching_policy(prepared("https://open.tiktokapis.com/v2/video/list/")) is None
    )


def test_given_limit_reached_when_acquiring_then_the_next_call_must_wait() -> None:
    budget = tiktok_api_budget(parse_settings(make_config(requests_per_minute=2)))
    request = prepared("https://open.tiktokapis.com/v2/video/list/")
    budget.acquire_call(request, block=False)
    budget.acquire_call(request, block=False)
    with pytest.raises(CallRateLimitHit):
        budget.acquire_call(request, block=False)
    budget.acquire_call(prepared("https://open.tiktokapis.com/v2/user/info/"), block=False)
