"""A token answer read field by field: each reader's edges."""

from typing import Any

import pytest

from source_tiktok_organic.core.grant import (
    DEFAULT_TOKEN_LIFE,
    TOKEN_LIFE_RANGE,
    account_id,
    seconds_within,
    token_life,
    warn_if_refresh_token_ends_soon,
)


def test_given_the_bounds_themselves_then_they_are_within() -> None:
    low, high = TOKEN_LIFE_RANGE
    assert seconds_within(low, TOKEN_LIFE_RANGE) == low
    assert seconds_within(high, TOKEN_LIFE_RANGE) == high
    assert seconds_within(high + 1, TOKEN_LIFE_RANGE) is None


def test_given_an_unusable_life_then_the_warning_quotes_it_and_names_the_fallback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert token_life("abc") == DEFAULT_TOKEN_LIFE
    assert "unusable expires_in ('abc')" in caplog.text
    assert "taken to live 2:00:00" in caplog.text


def test_given_an_unusable_refresh_life_then_the_warning_quotes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    warn_if_refresh_token_ends_soon("soon")
    assert "unusable refresh token lifetime ('soon')" in caplog.text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12345, "12345"), ("open-1", "open-1"), (True, None), ("", None), (" ", None), ({}, None)],
    ids=repr,
)
def test_given_an_account_id_then_text_or_a_whole_number_only(
    raw: Any, expected: str | None
) -> None:
    assert account_id(raw) == expected
