"""From a complete record to what the API shows: requested fields, gaps, percentage scale."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tiktok_emulator.business.knobs import Knobs
from tiktok_emulator.business.shares import shown


def render(record: dict, fields: Iterable[str], unavailable: Collection[str], knobs: Knobs) -> dict:
    """A field in `unavailable` is dropped, null or -1, as the `unavailable` knob says."""
    answer: dict = {}
    for name in fields:
        if name not in unavailable:
            answer[name] = shown(name, record[name], knobs)
        elif knobs.unavailable != "missing":
            answer[name] = None if knobs.unavailable == "null" else -1
    return answer
