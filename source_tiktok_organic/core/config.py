"""Turns the user's config into validated settings, naming the field at fault when it is wrong."""

import difflib
import ipaddress
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError, best_match
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from source_tiktok_organic.core.errors import config_error


@cache
def connection_specification() -> Mapping[str, Any]:
    """spec.json's schema: the one place the fields' types, limits and defaults are written."""
    spec: dict[str, Mapping[str, Any]] = json.loads(
        files("source_tiktok_organic").joinpath("spec.json").read_text()
    )
    return spec["connectionSpecification"]


DEFAULT_API_BASE_URL: str = connection_specification()["properties"]["api_base_url"]["default"]
CREATOR, BUSINESS = "creator", "business"
BUSINESS_PER_MINUTE = 40  # the API for Business allows 40 calls a minute per account and endpoint
# The config field that holds each account mode's API host.
BASE_URL_FIELDS = {CREATOR: "api_base_url", BUSINESS: "business_api_base_url"}


@dataclass(frozen=True)
class Settings:
    """The parts of the config the streams act on, already checked."""

    account_mode: str
    api_base_url: str  # of the API the account mode reads
    start_time: int | None
    request_timeout: float
    lookback_days: int
    requests_per_minute: int
    video_stats_scope: str
    num_workers: int
    comments_days: int  # business mode's comments: the posts of this many days back


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """Checks the config against spec.json, then every optional field's meaning."""
    _refuse_non_finite(config)
    error = best_match(Draft7Validator(connection_specification()).iter_errors(dict(config)))
    if error is not None:
        raise config_error(_describe(error))
    for field in ("client_id", "client_secret", "refresh_token"):
        if not config[field].strip():
            raise config_error(f"Config field '{field}' is missing or empty.")
    account_mode = _given_or_default(config, "account_mode")
    base_url_field = BASE_URL_FIELDS[account_mode]
    per_minute = int(_given_or_default(config, "requests_per_minute"))
    return Settings(
        account_mode=account_mode,
        api_base_url=parse_api_base_url(_given_or_default(config, base_url_field), base_url_field),
        start_time=parse_start_date(config.get("start_date")),
        request_timeout=float(_given_or_default(config, "request_timeout_seconds")),
        lookback_days=int(_given_or_default(config, "lookback_days")),  # JSON may say 7.0
        video_stats_scope=_given_or_default(config, "video_stats_scope"),
        requests_per_minute=(
            min(per_minute, BUSINESS_PER_MINUTE) if account_mode == BUSINESS else per_minute
        ),
        num_workers=int(_given_or_default(config, "num_workers")) if account_mode == CREATOR else 1,
        comments_days=int(_given_or_default(config, "comments_days")),
    )


def _given_or_default(config: Mapping[str, Any], field: str) -> Any:
    """A value the spec already checked, or the spec's default when it is absent or blank."""
    value = config.get(field)
    if value is None or value == "":
        return connection_specification()["properties"][field]["default"]
    return value


def parse_api_base_url(raw: str, field: str = "api_base_url") -> str:
    """https only, except loopback hosts (the emulator and tests), so tokens never travel in clear;
    urllib3, which sends, must read the host checked here, or the request could go elsewhere."""
    default = connection_specification()["properties"][field]["default"]
    text = raw.strip()
    if any(char in "@\\" or char.isspace() or not char.isprintable() for char in text):
        raise config_error(  # not echoed: what precedes an @ may be a password
            f"Config field '{field}' must be a plain URL such as {default}: no user info (@), "
            "backslashes, spaces or control characters."
        )
    try:
        sent = parse_url(text).host
    except LocationParseError:
        sent = None
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise config_error(
            f"Config field '{field}' must be an absolute https:// URL such as {default}; "
            f"got '{raw}'."
        )
    if (sent or "").strip("[]").lower() != host:
        raise config_error(
            f"Config field '{field}' is read as two different hosts by two URL parsers; "
            f"write it plainly, like {default}; got {text!r}."
        )
    if parts.query or parts.fragment:
        raise config_error(f"Config field '{field}' must not carry a query or a fragment.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise config_error(
            f"Config field '{field}' must use https:// (plain http:// is only allowed for "
            f"loopback hosts such as 127.0.0.1, localhost or [::1]); got '{raw}'."
        )
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_start_date(raw: str | None) -> int | None:
    """YYYY-MM-DD (midnight UTC) or RFC 3339, as epoch seconds; naive times are read as UTC."""
    if not raw:
        return None
    try:  # RFC 3339 allows a lower-case t and z, which fromisoformat does not read
        moment = datetime.fromisoformat(raw.strip().upper())
    except ValueError:
        raise config_error(
            f"Config field 'start_date' must be YYYY-MM-DD or an RFC 3339 date-time such as "
            f"2024-01-31T00:00:00Z; got '{raw}'."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def unknown_fields(config: Mapping[str, Any]) -> list[str]:
    """A warning for each key the spec lacks, as `start_dat` would silently sync all history; not a
    failure, so an older version's config keeps syncing after an upgrade."""
    fields = connection_specification()["properties"]
    shown = ", ".join(name for name, field in fields.items() if not field.get("airbyte_hidden"))
    warnings = []
    for key in config:
        if key in fields:
            continue
        close = difflib.get_close_matches(str(key).lower(), list(fields), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"it knows {shown}."
        warnings.append(
            f"Config field '{key}' is not one this connector knows; {hint} It is ignored."
        )
    return warnings


def _refuse_non_finite(value: Any, path: str = "") -> None:
    """NaN or an infinity anywhere, named by its path: json reads them, and NaN passes any bound."""
    if isinstance(value, float) and not math.isfinite(value):
        raise config_error(
            f"Config field '{path}' must be a finite number; got {json.dumps(value)}."
        )
    if isinstance(value, Mapping | list):
        for key, item in value.items() if isinstance(value, Mapping) else enumerate(value):
            _refuse_non_finite(item, f"{path}.{key}" if path else str(key))


def _describe(error: ValidationError) -> str:
    """The spec's violation worded for a person: which field, what it expects, what it got."""
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in (error.instance or {})]
        return f"Config field '{missing[0]}' is required but missing."
    field = ".".join(str(part) for part in error.absolute_path)  # inputs.py: always an object
    schema = error.schema
    got = "a secret value" if schema.get("airbyte_secret") else repr(error.instance)
    if "pattern_descriptor" in schema:
        expected = str(schema["pattern_descriptor"])
    elif "enum" in schema:
        expected = "one of " + ", ".join(str(choice) for choice in schema["enum"])
    else:  # spec.json types every field, and bounds a number at both ends or at none
        kinds = {"integer": "a whole number", "number": "a number", "string": "a string"}
        expected = kinds.get(schema["type"], f"of type {schema['type']}")
        if "minimum" in schema:
            expected += f" from {schema['minimum']} to {schema['maximum']}"
    return f"Config field '{field}' must be {expected}; got {got}."
