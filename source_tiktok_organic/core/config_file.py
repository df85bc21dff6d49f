"""Writes the rotated config back to the `--config` file, so the next run by hand just works:
TikTok kills a used refresh token, and only the Airbyte platform reads the CONTROL message."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SAVE_CONFIG_ENV = "SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG"
# A file bind-mounted into a container cannot be renamed over: it is rewritten in place instead.
IN_PLACE_ERRNOS = frozenset({errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES})
CONTROL = "the CONTROL message on stdout (control.connectorConfig.config)"


class ConfigFile:
    """The user's config file, updated whenever TikTok rotates the refresh token."""

    def __init__(self, path: str, logger: logging.Logger) -> None:
        self._path = Path(path)
        self._logger = logger

    def save(self, config: Mapping[str, Any]) -> None:
        path = self._path
        if not saving_enabled():
            self._logger.info(
                f"The refresh token was rotated; {SAVE_CONFIG_ENV}=0, so {path} was left as it "
                f"is. The new config is in {CONTROL}."
            )
            return
        try:
            write_atomically(path, json.dumps(dict(config), indent=2) + "\n")
        except OSError as error:
            reason = error.strerror or type(error).__name__
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                saved = None
            if isinstance(saved, dict) and saved.get("refresh_token") == config.get(
                "refresh_token"
            ):
                self._logger.info(
                    f"{path} could not be updated ({reason}), but it already holds the current "
                    "refresh token: nothing is lost, the next run refreshes its access token again."
                )
            else:
                self._logger.warning(
                    f"The refresh token was rotated but {path} could not be updated ({reason}). "
                    "TikTok has already retired the old token: before the next run, replace the "
                    f"file's content with the 'config' object of the last {CONTROL}, or the run "
                    "will be refused with invalid_grant."
                )
            return
        self._logger.info(f"Saved the rotated refresh token to {path}.")


def saving_enabled() -> bool:
    return os.environ.get(SAVE_CONFIG_ENV, "1").strip().lower() not in ("0", "false", "no")


def temp_prefix(path: Path) -> str:
    """What starts the name of a temp file written beside `path`: a leftover is found by it."""
    return f".{path.name}."


def write_atomically(path: Path, text: str) -> None:
    """Temp file synced, renamed over `path` keeping its mode, folder synced: a run killed at any
    point leaves the old config or the new one. In place where a rename is impossible."""
    mode = stat.S_IMODE(path.stat().st_mode)
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path))
    except OSError:
        _write_in_place(path, text)
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), mode)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        move_over(Path(temporary), path, text)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def move_over(source: Path, path: Path, text: str) -> None:
    """Renames `source` (which holds `text`) over `path` for good, or rewrites `path` in place."""
    try:
        os.replace(source, path)
    except OSError as error:
        if error.errno not in IN_PLACE_ERRNOS:
            raise
        _write_in_place(path, text)
        return
    # Until its folder is synced, a power cut may undo a rename; some file systems cannot sync one.
    with contextlib.suppress(OSError):
        descriptor = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_in_place(path: Path, text: str) -> None:
    """One write over the old bytes, padded with spaces to their length: JSON at every moment
    (a truncate after the write would leave a window where a killed run cuts the config short)."""
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY)
    try:
        padding = max(os.fstat(descriptor).st_size - len(data), 0)
        os.write(descriptor, data + b" " * padding)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
