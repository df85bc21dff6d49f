"""Holds TikTok's records to the published schemas: lossless fixes, or a clear error, never junk."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from source_tiktok_organic.errors import traced_error

PYTHON_TYPES: Mapping[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
}


@cache
def field_types(stream: str) -> dict[str, str]:
    """{field: JSON type} from the stream's schema file, the one source of truth."""
    text = resources.files("source_tiktok_organic").joinpath(f"schemas/{stream}.json").read_text()
    properties = json.loads(text)["properties"]
    types = {}
    for name, spec in properties.items():
        declared = spec["type"]
        types[name] = next(
            t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"
        )
    return types


def conform(record: dict[str, Any], stream: str) -> dict[str, Any]:
    """Checks the known fields in place; unknown fields pass through (schemas allow them)."""
    for name, expected in field_types(stream).items():
        value = record.get(name)
        if value is None or _matches(value, expected):
            continue
        fixed = _lossless(value, expected)
        if fixed is None:
            raise traced_error(
                f"TikTok sent a {stream} record (id {record.get('id') or record.get('open_id')!r}) "
                f"whose '{name}' is {value!r}, not a {expected}. Please report it with the "
                "sync's logs."
            )
        record[name] = fixed
    return record


def _matches(value: Any, expected: str) -> bool:
    if expected == "integer" and isinstance(value, bool):
        return False
    return isinstance(value, PYTHON_TYPES[expected])


def _lossless(value: Any, expected: str) -> Any:
    """Integral floats and digit strings become integers; nothing else is guessed."""
    if expected != "integer" or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
