import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from source_tiktok_organic.core.backoff import (
    CAP_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    TikTokBackoff,
    doubling_wait,
)


def response_with(headers: dict[str, str]) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    response._content = b""
    response.headers.update(headers)
    return response


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8, 20])
def test_given_no_retry_after_when_backing_off_then_jittered_doubling_capped(attempt: int) -> None:
    ceiling = min(CAP_SECONDS, 2 ** (attempt - 1))
    waits = {TikTokBackoff(random.Random(seed)).backoff_time(None, attempt) for seed in range(20)}
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(waits) > 1, "waits must be jittered"


def test_given_retry_after_seconds_when_backing_off_then_it_is_honoured() -> None:
    assert TikTokBackoff().backoff_time(response_with({"Retry-After": "17"}), 1) == 17


def test_given_huge_retry_after_when_backing_off_then_capped() -> None:
    wait = TikTokBackoff().backoff_time(response_with({"Retry-After": "86400"}), 1)
    assert wait == MAX_RETRY_AFTER_SECONDS


def test_given_retry_after_http_date_when_backing_off_then_seconds_from_now() -> None:
    moment = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= TikTokBackoff().wait(response_with({"Retry-After": moment}), 1) <= 30


@pytest.mark.parametrize("raw", [None, "", "soon", "NaN"])
def test_given_unreadable_retry_after_when_backing_off_then_ignored(raw: str | None) -> None:
    answer = response_with({} if raw is None else {"Retry-After": raw})
    wait = TikTokBackoff(random.Random(7)).wait(answer, 5)
    assert wait == doubling_wait(5, random.Random(7))
