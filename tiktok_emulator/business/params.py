"""Query-string parameters as the Accounts endpoints read them; a bad one is code 40002."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection

from tiktok_emulator.business.envelope import ApiError
from tiktok_emulator.messages import Request


def fields_param(request: Request, known: Collection[str], default: list[str]) -> list[str]:
    """`fields` is a JSON array literal (`["username","metrics"]`), not a comma list."""
    raw = request.query.get("fields")
    if raw is None:
        return default
    try:
        fields = json.loads(raw)
    except ValueError as exc:
        raise ApiError(40002, "fields must be a JSON array of strings") from exc
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise ApiError(40002, "fields must be a JSON array of strings")
    unknown = [f for f in fields if f not in known]
    if unknown:
        raise ApiError(40002, f"Unknown fields: {unknown}")
    return list(dict.fromkeys(fields))


def int_param(request: Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ApiError(40002, f"{name} must be an integer") from exc


def date_param(request: Request, name: str, default: dt.date) -> dt.date:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        return dt.datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError as exc:
        raise ApiError(40002, f"{name} must be YYYY-MM-DD") from exc


def business_id_param(request: Request, open_id: str) -> None:
    """The business_id is the open_id the token endpoint returned; any other is not yours."""
    business_id = request.query.get("business_id")
    if not business_id:
        raise ApiError(40002, "business_id is required")
    if business_id != open_id:
        raise ApiError(40001)
