"""Holds TikTok's records to the published schemas: lossless fixes, or a clear error, never junk."""

from functools import cache
from typing import Any

from airbyte_cdk.sources.utils.schema_helpers import ResourceSchemaLoader

from source_tiktok_organic.core.errors import traced_error

EXACT_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "number": float,
    "array": list,
    "object": dict,
}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # warehouses keep integers in 64 bits
# Floats are exact integers only up to 2**53; the JSON parser hands larger integers (beyond 64
# bits) over as floats, already rounded.
FLOAT_EXACT = 2**53


@cache
def field_types(stream: str) -> dict[str, str]:
    """{field: JSON type} from the stream's schema file, the one source of truth."""
    schema = ResourceSchemaLoader("source_tiktok_organic").get_schema(stream)
    types = {}
    for name, spec in schema["properties"].items():
        declared = [spec["type"]] if isinstance(spec["type"], str) else spec["type"]
        types[name] = next(kind for kind in declared if kind != "null")
    return types


def conform(record: dict[str, Any], stream: str) -> dict[str, Any]:
    """Checks the known fields in place, one type comparison each in the common case; unknown
    fields pass through (schemas allow them)."""
    for name, expected in field_types(stream).items():
        value, exact = record.get(name), EXACT_TYPES[expected]
        if value is None or (type(value) is exact and (exact is not int or _fits(value))):
            continue
        fixed = _lossless(value, expected)
        if fixed is None:
            kind = "a 64-bit integer" if expected == "integer" else f"a {expected}"
            raise traced_error(
                f"TikTok sent a {stream} record (id {_record_id(record)!r}) "
                f"whose '{name}' is {value!r}, which is not {kind} it can keep exactly. Please "
                "report it with the sync's logs."
            )
        record[name] = fixed
    return record


def _record_id(record: dict[str, Any]) -> Any:
    return record.get("id") or record.get("comment_id") or record.get("open_id")


def _fits(value: Any) -> bool:
    return isinstance(value, int) and type(value) is not bool and INT64_MIN <= value <= INT64_MAX


def _lossless(value: Any, expected: str) -> Any:
    """Subclasses pass as they are; integral floats and digit strings become integers, exact
    integers become numbers; None when no exact fix exists."""
    if expected == "number":
        return float(value) if _fits(value) and abs(value) <= FLOAT_EXACT else None
    if expected != "integer":
        return value if isinstance(value, EXACT_TYPES[expected]) else None
    if isinstance(value, float) and value.is_integer() and abs(value) <= FLOAT_EXACT:
        value = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            value = int(value)
        except ValueError:  # digits int() refuses: superscripts, control characters around them
            return None
    return value if _fits(value) else None
