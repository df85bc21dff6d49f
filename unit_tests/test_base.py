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
def test_given_each_display_endpoint_when_budgeting_then_its_own_policy_applies(base: str) -> None:
    budget = tiktok_api_budget(parse_settings(make_config(api_base_url=base)))
    policies = [
        budget.get_matching_policy(prepared(f"{base}{endpoint}?fields=id"))
        for endpoint in RATE_LIMITED_ENDPOINTS
    ]
    assert all(policy is not None for policy in policies)
    assert len({id(policy) for policy in policies}) == len(RATE_LIMITED_ENDPOINTS)


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
