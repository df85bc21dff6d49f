"""The files the command is handed (config, catalog, state): read, or refused naming the file,
where the CDK's readers answer a missing, non-JSON or misshapen file with a bare traceback."""

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from airbyte_cdk.models import AirbyteStream, ConfiguredAirbyteCatalog

from source_tiktok_organic.core.errors import config_error, os_reason

T = TypeVar("T")
EXPECTED = {
    "config": "a JSON object of the spec's fields",
    "catalog": "a configured catalog, as integration_tests/configured_catalog.json",
    "state": "a JSON list of per-stream states, as scripts/last_state.py writes",
}


def read_input(kind: str, path: str, read: Callable[[str], T]) -> T:
    """`read(path)`, with any failure turned into a config error that names the file."""
    try:
        return read(path)
    except OSError as error:
        raise config_error(f"The {kind} file {path} cannot be read: {os_reason(error)}.") from None
    except Exception as error:  # JSON and schema errors of the CDK's readers, of many types
        detail = " ".join(str(error).split()) or type(error).__name__
        raise config_error(
            f"The {kind} file {path} is not {EXPECTED[kind]}: {detail[:300]}"
        ) from None


def check_catalog(
    catalog: ConfiguredAirbyteCatalog, streams: Iterable[AirbyteStream], logger: logging.Logger
) -> None:
    """Refuses a catalog that would sync nothing; an unknown stream (the CDK marks it INCOMPLETE)
    or a mode a stream lacks (PyAirbyte asks for every stream incrementally) is only reported."""
    known = {stream.name: stream for stream in streams}
    unknown = [each.stream.name for each in catalog.streams if each.stream.name not in known]
    advice = (
        f"which this source does not have (its streams: {', '.join(sorted(known))}). Refresh "
        "the source schema in the connection and save it again."
    )
    if len(unknown) == len(catalog.streams):
        what = ", ".join(f"'{name}'" for name in unknown) or "no stream at all"
        raise config_error(f"The configured catalog selects {what}, {advice}")
    for configured in catalog.streams:
        name, mode = configured.stream.name, configured.sync_mode
        stream = known.get(name)
        if stream is None:
            logger.error(
                f"Stream '{name}' is not synced: the configured catalog selects it, {advice}"
            )
        elif mode not in stream.supported_sync_modes:
            supported = ", ".join(each.value for each in stream.supported_sync_modes)
            logger.warning(
                f"Stream {name} cannot be read as {mode.value}, only as {supported}: it is read "
                "that way."
            )
