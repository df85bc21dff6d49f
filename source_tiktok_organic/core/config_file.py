"""Writes the rotated config back to the `--config` file, so the next run by hand just works.

TikTok kills a refresh token once it has been used. The Airbyte platform stores the new one from
the CONTROL message; a shell user or a script would otherwise have to copy it out of stdout.
"""

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


class ConfigFile:
    """The user's config file, updated whenever TikTok rotates the refresh token."""

    def __init__(self, path: str, logger: logging.Logger) -> None:
        self._path = Path(path)
        self._logger = logger

    def save(self, config: Mapping[str, Any]) -> None:
        if not saving_enabled():
            self._logger.info(
                "The refresh token was rotated; %s=0, so %s was left as it is. The new config is "
                "in the CONTROL message on stdout (control.connectorConfig.config).",
                SAVE_CONFIG_ENV,
                self._path,
            )
            return
        text = json.dumps(dict(config), indent=2) + "\n"
        try:
            write_atomically(self._path, text)
        except OSError as error:
            if self._holds_refresh_token(config.get("refresh_token")):
                self._logger.info(
                    "%s could not be updated (%s), but it already holds the current refresh "
                    "token: nothing is lost, the next run refreshes its access token again.",
                    self._path,
                    error.strerror or type(error).__name__,
                )
                return
            self._logger.warning(
                "The refresh token was rotated but %s could not be updated (%s). TikTok has "
                "already retired the old token: before the next run, replace the file's content "
                "with the 'config' object of the last CONTROL message on stdout "
                "(control.connectorConfig.config), or the run will be refused with invalid_grant.",
                self._path,
                error.strerror or type(error).__name__,
            )
            return
        self._logger.info("Saved the rotated refresh token to %s.", self._path)

    def _holds_refresh_token(self, refresh_token: object) -> bool:
        """Whether the file as it stands carries `refresh_token`: then a failed save loses nothing."""
        try:
            saved = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(saved, dict) and saved.get("refresh_token") == refresh_token


def saving_enabled() -> bool:
    return os.environ.get(SAVE_CONFIG_ENV, "1").strip().lower() not in ("0", "false", "no")


def temp_prefix(path: Path) -> str:
    """What starts the name of a temp file written beside `path`: a leftover is found by it."""
    return f".{path.name}."


def write_atomically(path: Path, text: str) -> None:
    """Temp file + rename, keeping the file's mode; in place where a rename is impossible.

    The temp file is synced before the rename and the folder after it, so a run killed (or a
    machine stopped) at any point leaves the old config or the new one under the file's name.
    """
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
        if os.path.exists(temporary):
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
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Makes a rename durable: until its folder is synced, a power cut may undo it."""
    with contextlib.suppress(OSError):  # some file systems cannot; the rename stands all the same
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_in_place(path: Path, text: str) -> None:
    """One write over the old bytes, padded with spaces to their length: JSON at every moment.

    A truncate after the write would leave a window where a killed run cuts the config short.
    """
    data = text.encode("utf-8")
    descriptor = os.open(path, os.O_WRONLY)
    try:
        padding = max(os.fstat(descriptor).st_size - len(data), 0)
        os.write(descriptor, data + b" " * padding)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
