"""Finishes a config write-back a killed run left half done: its temp file `.config.json.XXXXXXXX`
may hold the only live refresh token, beside a `config.json` holding the one TikTok retired."""

from __future__ import annotations

import contextlib
import errno
import glob
import json
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from source_tiktok_organic.core import config_file

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


def recover_config(path: Path, logger: logging.Logger) -> Path:
    """The file to read the config from: the newest usable leftover replaces it, others go; with
    saving off (SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG=0) no file is touched and the leftover is read."""
    try:
        status = path.stat()
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # the config's own reader reports a config it cannot read
        return path
    if not _whole(config):  # nothing to match a leftover against: the settings name the field
        return path
    pattern = glob.escape(config_file.temp_prefix(path)) + RANDOM_PART
    leftovers = [
        found
        for leftover in sorted(path.parent.glob(pattern))
        if (found := _inspect(leftover, config, status, path)) is not None
    ]
    live = sorted(
        (found for found in leftovers if found.why is None), key=lambda found: -found.modified_ns
    )
    saving = config_file.saving_enabled()
    for found in leftovers:
        if found.why is not None:
            _drop(found.path, found.why, saving, logger)
    for superseded in live[1:]:
        _drop(superseded.path, f"{live[0].path} is newer still", saving, logger)
    if not live:
        return path
    newest = live[0].path
    because = f"{config_file.SAVE_CONFIG_ENV}=0, so neither file is changed"
    if saving:
        try:
            config_file.move_over(newest, path, live[0].text)
        except OSError as error:
            because = f"it cannot replace it ({error.strerror or type(error).__name__})"
        else:
            # Still there if the config was rewritten in place; older than it now, a run drops it.
            with contextlib.suppress(OSError):
                newest.unlink(missing_ok=True)
            logger.info(
                f"Finished saving the config a stopped run left in {newest}: it held a newer "
                f"refresh token than {path}, and now replaces it."
            )
            return path
    logger.warning(
        f"{newest}, {LEFT}, holds a newer refresh token than {path}: this run reads it, as "
        f"{because}. Move it over {path} yourself (or use the config of this run's last CONTROL "
        "message), or a later run may be refused with invalid_grant."
    )
    return newest


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


def _drop(leftover: Path, why: str, saving: bool, logger: logging.Logger) -> None:
    if not saving:
        kept = f"{config_file.SAVE_CONFIG_ENV}=0, so it is kept"
        logger.info(f"{leftover}, {LEFT}, is not used: {why}. {kept}.")
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
