"""Finishes a config write-back that a killed run left half done, so no live refresh token is lost.

A run killed between writing its temp file and renaming it over the config leaves the only live
refresh token in `.config.json.XXXXXXXX`, beside a `config.json` holding the one TikTok retired.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from source_tiktok_organic.core.config_file import (
    SAVE_CONFIG_ENV,
    move_over,
    saving_enabled,
    temp_prefix,
)

# What tempfile.mkstemp puts after the prefix: exactly eight, so `.config.json.swp` is never taken.
RANDOM_PART = re.compile(r"[a-z0-9_]{8}")
ROTATED = ("refresh_token", "oauth_session")  # all a write-back changes
LEFT = "left by a run stopped while saving the config"
NOT_WHOLE = "it is not a whole config (empty, cut short or unreadable)"


@dataclass(frozen=True)
class Leftover:
    """A temp file of the config's write-back, with why it cannot hold the live config (or None)."""

    path: Path
    why: str | None
    modified_ns: int = 0
    text: str = ""


def recover_config(path: Path, logger: logging.Logger) -> Path:
    """The file to read the config from, once a write-back a killed run left is finished.

    The newest usable leftover is renamed over the config, any other removed. With saving off
    (SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG=0) no file is touched: this run reads the leftover.
    """
    try:
        status = path.stat()
        config = _whole(json.loads(path.read_text(encoding="utf-8")))
        prefix = temp_prefix(path)
        names = sorted(
            name
            for name in os.listdir(path.parent)
            if name.startswith(prefix) and RANDOM_PART.fullmatch(name.removeprefix(prefix))
        )
    except (OSError, ValueError):  # the config's own reader reports a config it cannot read
        return path
    if config is None:  # nothing to match a leftover against: the settings name the field
        return path
    leftovers = [
        found
        for found in (_inspect(path.parent / name, config, status, path) for name in names)
        if found is not None
    ]
    live = sorted(
        (found for found in leftovers if found.why is None), key=lambda found: -found.modified_ns
    )
    saving = saving_enabled()
    for found in leftovers:
        if found.why is not None:
            _drop(found.path, found.why, saving, logger)
    for superseded in live[1:]:
        _drop(superseded.path, f"{live[0].path} is newer still", saving, logger)
    if not live:
        return path
    newest = live[0].path
    if not saving:
        logger.warning(
            f"{newest}, {LEFT}, holds a newer refresh token than {path}: this run reads it. "
            f"{SAVE_CONFIG_ENV}=0, so neither file is changed: move it over {path} yourself (or "
            "use the config of this run's last CONTROL message), or a later run may be refused "
            "with invalid_grant."
        )
        return newest
    try:
        move_over(newest, path, live[0].text)
    except OSError as error:
        logger.warning(
            f"{newest} holds a newer refresh token than {path}, {LEFT}, but cannot replace it "
            f"({error.strerror or type(error).__name__}): this run reads it. Move it over "
            f"{path} yourself, or a later run may be refused with invalid_grant."
        )
        return newest
    # Still there when the config was rewritten in place; older than it now, the next run drops it.
    with contextlib.suppress(OSError):
        newest.unlink(missing_ok=True)
    logger.info(
        f"Finished saving the config a stopped run left in {newest}: it held a newer refresh "
        f"token than {path}, and now replaces it."
    )
    return path


def _inspect(
    path: Path, config: dict[str, Any], status: os.stat_result, config_path: Path
) -> Leftover | None:
    """The leftover as written, or None when it is no regular file (a link is never followed).

    Only a file the config's owner wrote, that nobody else may write, and that differs from the
    config in nothing but the rotated token may be adopted: any other could send the credentials
    to a host someone else chose.
    """
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
        leftover = _whole(json.loads(text))
    except (OSError, ValueError):
        return Leftover(path, NOT_WHOLE)
    finally:
        os.close(descriptor)
    why = None
    if leftover is None:
        why = NOT_WHOLE
    elif found.st_uid != status.st_uid or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        why = f"it is not the private file of {config_path}'s owner"
    elif _unrotated(leftover) != _unrotated(config):
        why = f"it differs from {config_path} in more than the rotated refresh token"
    elif found.st_mtime_ns <= status.st_mtime_ns:
        why = f"it is not newer than {config_path}"
    return Leftover(path, why, found.st_mtime_ns, text)


def _unrotated(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key not in ROTATED}


def _whole(config: object) -> dict[str, Any] | None:
    """The config, when it is a whole one: every credential a non-empty string."""
    credentials = ("client_id", "client_secret", "refresh_token")
    if isinstance(config, dict) and all(
        isinstance(config.get(key), str) and config[key].strip() for key in credentials
    ):
        return config
    return None


def _drop(leftover: Path, why: str, saving: bool, logger: logging.Logger) -> None:
    if not saving:
        logger.info(f"{leftover}, {LEFT}, is not used: {why}. {SAVE_CONFIG_ENV}=0, so it is kept.")
        return
    try:
        leftover.unlink()
    except FileNotFoundError:
        pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        logger.warning(f"{leftover} is not used ({why}) and cannot be removed: {reason}.")
    else:
        logger.info(f"Removed {leftover}, {LEFT}: {why}.")
