"""Whole numbers as TikTok and saved states spell them."""

from typing import Any

import pytest

from source_tiktok_organic.core.numbers import whole_number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (7, 7),
        (-3, -3),
        (7.0, 7),
        (1.5, None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        (" 42 ", 42),
        ("9" * 18, int("9" * 18)),
        ("1" + "0" * 18, None),  # 19 digits: past the default
        ("\u00b2", None),  # a superscript two: isdigit, which int() refuses
        ("\u0663", None),  # an Arabic-Indic three: isdigit, not ASCII
        ("-4", None),
        ("4.0", None),
        (None, None),
        ([1], None),
    ],
    ids=lambda raw: str(raw).encode("ascii", "backslashreplace").decode().replace("\\", "/"),
)
def test_given_a_spelling_then_the_whole_number_or_none(raw: Any, expected: int | None) -> None:
    assert whole_number(raw) == expected


def test_given_as_many_digits_as_allowed_then_read_and_one_more_then_not() -> None:
    assert whole_number("123", max_digits=3) == 123
    assert whole_number("1234", max_digits=3) is None
