"""Whole numbers as answers and saved states spell them: ints, integral floats, digit strings.

`str.isdigit` also accepts digits `int` refuses (superscripts, other scripts' digits), so a digit
string counts only when it is plain ASCII; none of these readers raises.
"""

from __future__ import annotations

import math
from typing import Any


def whole_number(raw: Any, max_digits: int = 18) -> int | None:
    """The whole number `raw` spells, or None for anything else (booleans, NaN, "²", "1.5")."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= max_digits:
            return int(text)
    return None
