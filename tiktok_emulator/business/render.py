"""From a complete record to what the API shows: requested fields, gaps, percentage scale."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from tiktok_emulator.business.knobs import Knobs


def render(record: dict, fields: Iterable[str], unavailable: Collection[str], knobs: Knobs) -> dict:
    """A field in `unavailable` is dropped, null or -1, as the `unavailable` knob says."""
    shown: dict = {}
    for name in fields:
        if name not in unavailable:
            shown[name] = _scaled(record[name], knobs.percentage_scale)
        elif knobs.unavailable != "missing":
            shown[name] = None if knobs.unavailable == "null" else -1
    return shown


def _scaled(value: object, scale: int) -> object:
    if scale == 1 or not isinstance(value, list):
        return value
    return [
        {**item, "percentage": round(item["percentage"] * scale, 2)}
        if isinstance(item, dict) and "percentage" in item
        else item
        for item in value
    ]
