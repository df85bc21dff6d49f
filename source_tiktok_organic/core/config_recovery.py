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

# What tempfile.mkstemp puts after the prefix: eight of these (no suffix is asked for). Exactly
# eight, so an editor's `.config.json.swp` or a user's `.config.json.backup` is never taken.
RANDOM_PART = re.compile(r"[a-z0-9_]{8}")
CREDENTIALS = ("client_id", "client_secret", "refresh_token")


# What a write-back changes: a leftover that differs in anything else was not written by one.
ROTATED = ("refresh_token", "oauth_session")


@dataclass(frozen=True)
class Leftover:
    """A temp file of the config's write-back; `config` is None unless it is a whole config."""

    path: Path
    modified_ns: int = 0
    text: str = ""
    config: dict[str, Any] | None = None
    owner: int = -1
    mode: int = 0


def recover_config(path: Path, logger: logging.Logger) -> Path:
    """The file to read the config from, once a write-back a killed run left is finished.

    A leftover is adopted when it is a whole config written after the config, by its owner, and
    differs from it only in the rotated token: it is renamed over the config. Any other leftover is removed. With saving off
    (SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG=0) no file is touched: the newer leftover is read instead
    of the config for this run only, and a warning asks the user to move it over the config.
    """
    try:
        status = path.stat()
        config = _whole(json.loads(path.read_text(encoding="utf-8")))
        leftovers = [found for found in map(_inspect, _leftover_paths(path)) if found is not None]
    except (OSError, ValueError):  # the config's own reader reports a config it cannot read
        return path
    if config is None:  # nothing to match a leftover against: the settings name the field
        return path
    unusable = {found.path: _unusable(found, config, status, path) for found in leftovers}
    live = sorted(
        (found for found in leftovers if unusable[found.path] is None),
        key=lambda found: found.modified_ns,
        reverse=True,
    )
    for superseded in live[1:]:
        unusable[superseded.path] = f"{live[0].path} is newer still"
    saving = saving_enabled()
    for found in leftovers:
        why = unusable[found.path]
        if why is not None:
            _drop(found, why, saving, logger)
    if not live:
        return path
    newest = live[0]
    if not saving:
        logger.warning(
            "%s, left by a run stopped while saving the config, holds a newer refresh token than "
            "%s: this run reads it. %s=0, so neither file is changed: move it over %s yourself "
            "(or use the config of this run's last CONTROL message), or a later run may be "
            "refused with invalid_grant.",
            newest.path,
            path,
            SAVE_CONFIG_ENV,
            path,
        )
        return newest.path
    return _adopt(newest, path, logger)


def _leftover_paths(path: Path) -> list[Path]:
    prefix = temp_prefix(path)
    return sorted(
        path.parent / name
        for name in os.listdir(path.parent)
        if name.startswith(prefix) and RANDOM_PART.fullmatch(name.removeprefix(prefix))
    )


def _inspect(path: Path) -> Leftover | None:
    """The leftover as written, or None when it is no regular file (a link is never followed)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        return None if error.errno == errno.ELOOP else Leftover(path)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return None
        with open(descriptor, "rb", closefd=False) as file:
            raw = file.read()
    except OSError:
        return Leftover(path)
    finally:
        os.close(descriptor)
    try:
        text = raw.decode("utf-8")
        config = _whole(json.loads(text))
    except ValueError:
        return Leftover(path)
    return Leftover(path, status.st_mtime_ns, text, config, status.st_uid, status.st_mode)


def _unusable(
    found: Leftover, config: dict[str, Any], status: os.stat_result, path: Path
) -> str | None:
    """Why the leftover cannot hold the live config, or None when it may.

    Only a file the config's owner wrote, that nobody else may write, and that differs from the
    config in nothing but the rotated token can be one: any other could send the credentials to
    a host someone else chose.
    """
    if found.config is None:
        return "it is not a whole config (empty, cut short or unreadable)"
    if found.owner != status.st_uid or found.mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"it is not the private file of {path}'s owner"
    if _unrotated(found.config) != _unrotated(config):
        return f"it differs from {path} in more than the rotated refresh token"
    if found.modified_ns <= status.st_mtime_ns:
        return f"it is not newer than {path}"
    return None


def _unrotated(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if key not in ROTATED}


def _whole(config: object) -> dict[str, Any] | None:
    """The config, when it is a whole one: every credential a non-empty string."""
    if not isinstance(config, dict):
        return None
    if not all(isinstance(config.get(key), str) and config[key].strip() for key in CREDENTIALS):
        return None
    return config


def _drop(found: Leftover, why: str, saving: bool, logger: logging.Logger) -> None:
    if not saving:
        logger.info(
            "%s, left by a run stopped while saving the config, is not used: %s. %s=0, so it is "
            "left as it is.",
            found.path,
            why,
            SAVE_CONFIG_ENV,
        )
        return
    try:
        found.path.unlink()
    except FileNotFoundError:
        return
    except OSError as error:
        reason = error.strerror or type(error).__name__
        logger.warning("%s is not used (%s) and cannot be removed: %s.", found.path, why, reason)
        return
    logger.info("Removed %s, left by a run stopped while saving the config: %s.", found.path, why)


def _adopt(newest: Leftover, path: Path, logger: logging.Logger) -> Path:
    """Renames the leftover over the config, as the stopped run would have; else reads it."""
    try:
        move_over(newest.path, path, newest.text)
    except OSError as error:
        logger.warning(
            "%s holds a newer refresh token than %s, left by a run stopped while saving the "
            "config, but cannot replace it (%s): this run reads it. Move it over %s yourself, "
            "or a later run may be refused with invalid_grant.",
            newest.path,
            path,
            error.strerror or type(error).__name__,
            path,
        )
        return newest.path
    # Still there when the config was rewritten in place; older than it now, the next run drops it.
    with contextlib.suppress(OSError):
        newest.path.unlink(missing_ok=True)
    logger.info(
        "Finished saving the config a stopped run left in %s: it held a newer refresh token than "
        "%s, and now replaces it.",
        newest.path,
        path,
    )
    return path
