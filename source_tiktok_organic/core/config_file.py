"""Writes the rotated config back to the `--config` file, so the next run by hand just works:
TikTok kills a used refresh token, and only the Airbyte platform reads the CONTROL message. Also
finishes a write-back a killed run left half done: its temp file `.config.json.XXXXXXXX` may hold
the only live refresh token, beside a `config.json` holding the one TikTok retired."""

import contextlib
import errno
import glob
import json
import logging
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from source_tiktok_organic.core.errors import os_reason

SAVE_CONFIG_ENV = "SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG"
# A file bind-mounted into a container cannot be renamed over: it is rewritten in place instead.
IN_PLACE_ERRNOS = frozenset({errno.EBUSY, errno.EXDEV, errno.EPERM, errno.EACCES})
CONTROL = "the CONTROL message on stdout (control.connectorConfig.config)"
# What tempfile.mkstemp puts after the prefix: exactly eight, so `.config.json.swp` is never taken.
RANDOM_PART = "[a-z0-9_]" * 8
# What a write-back changes, blanked when comparing a leftover with the config.
ROTATED = dict.fromkeys(("refresh_token", "oauth_session"))
LEFT = "left by a run stopped while saving the config"
NOT_WHOLE = "it is not a whole config (empty, cut short or unreadable)"


@dataclass(frozen=True)
class Leftover:
    """A temp file of the config's write-back, with why it cannot hold the live config (or None)."""

    path: Path
    why: str | None
    modified_ns: int = 0
    text: str = ""


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
            reason = os_reason(error)
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

    def recover(self) -> Path:
        """The file to read the config from: the newest usable leftover replaces it, others go;
        with saving off (SAVE_CONFIG_ENV=0) no file is touched and the leftover is read."""
        path, logger = self._path, self._logger
        try:
            status = path.stat()
            config = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # the config's own reader reports a config it cannot read
            return path
        if not _whole(config):  # nothing to match a leftover against: the settings name the field
            return path
        pattern = glob.escape(temp_prefix(path)) + RANDOM_PART
        leftovers = [
            found
            for leftover in sorted(path.parent.glob(pattern))
            if (found := _inspect(leftover, config, status, path)) is not None
        ]
        live = sorted(
            (found for found in leftovers if found.why is None),
            key=lambda found: -found.modified_ns,
        )
        for found in leftovers:
            if found.why is not None:
                self._drop(found.path, found.why)
        for superseded in live[1:]:
            self._drop(superseded.path, f"{live[0].path} is newer still")
        if not live:
            return path
        newest = live[0].path
        because = f"{SAVE_CONFIG_ENV}=0, so neither file is changed"
        if saving_enabled():
            try:
                move_over(newest, path, live[0].text)
            except OSError as error:
                because = f"it cannot replace it ({os_reason(error)})"
            else:
                # Still there if the config was rewritten in place; older than it now, runs drop it.
                with contextlib.suppress(OSError):
                    newest.unlink(missing_ok=True)
                logger.info(
                    f"Finished saving the config a stopped run left in {newest}: it held a newer "
                    f"refresh token than {path}, and now replaces it."
                )
                return path
        logger.warning(
            f"{newest}, {LEFT}, holds a newer refresh token than {path}: this run reads it, as "
            f"{because}. Move it over {path} yourself (or use the config of this run's last "
            "CONTROL message), or a later run may be refused with invalid_grant."
        )
        return newest

    def _drop(self, leftover: Path, why: str) -> None:
        if not saving_enabled():
            kept = f"{SAVE_CONFIG_ENV}=0, so it is kept"
            self._logger.info(f"{leftover}, {LEFT}, is not used: {why}. {kept}.")
            return
        try:
            leftover.unlink()
        except FileNotFoundError:
            pass
        except OSError as error:
            self._logger.warning(
                f"{leftover} is not used ({why}) and cannot be removed: {os_reason(error)}."
            )
        else:
            self._logger.info(f"Removed {leftover}, {LEFT}: {why}.")


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


def _inspect(
    path: Path, config: dict[str, Any], status: os.stat_result, config_path: Path
) -> Leftover | None:
    """The leftover, or None for no regular file (never a link). Only the owner's private file,
    equal to the config but for the token, is usable: another could send credentials elsewhere."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None if error.errno == errno.ELOOP else Leftover(path, NOT_WHOLE)
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode):
            return None
        with open(descriptor, "rb", closefd=False) as file:
            text = file.read().decode("utf-8")
        leftover = json.loads(text)
    except (OSError, ValueError):
        return Leftover(path, NOT_WHOLE)
    finally:
        os.close(descriptor)
    why = None
    if not _whole(leftover):
        why = NOT_WHOLE
    elif found.st_uid != status.st_uid or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        why = f"it is not the private file of {config_path}'s owner"
    elif leftover | ROTATED != config | ROTATED:
        why = f"it differs from {config_path} in more than the rotated refresh token"
    elif found.st_mtime_ns <= status.st_mtime_ns:
        why = f"it is not newer than {config_path}"
    return Leftover(path, why, found.st_mtime_ns, text)


def _whole(config: object) -> TypeGuard[dict[str, Any]]:
    """A whole config: every credential a non-empty string."""
    return isinstance(config, dict) and all(
        isinstance(config.get(key), str) and config[key].strip()
        for key in ("client_id", "client_secret", "refresh_token")
    )
