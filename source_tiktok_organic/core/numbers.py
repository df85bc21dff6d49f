"""Whole numbers as answers and saved states spell them: ints, integral floats, digit strings."""

from typing import Any


def whole_number(raw: Any, max_digits: int = 18) -> int | None:
    """The whole number `raw` spells, or None for anything else (booleans, NaN, "²", "1.5").

    `str.isdigit` also accepts digits `int` refuses (superscripts), so only ASCII digits count.
    """
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= max_digits else None
