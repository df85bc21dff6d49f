import errno
import json
import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from source_tiktok_organic.core import config_file
from source_tiktok_organic.core.config_file import SAVE_CONFIG_ENV, ConfigFile, write_atomically

LOGGER = logging.getLogger("test_config_recovery")
OLD = {"client_id": "k", "client_secret": "s3cret-app", "refresh_token": "rft.dead-0"}
NEW = {**OLD, "refresh_token": "rft.live-1", "oauth_session": {"access_token": "act.live-1"}}
NEWER = {**OLD, "refresh_token": "rft.live-2"}
SECRETS = ("s3cret-app", "rft.dead-0", "rft.live-1", "act.live-1", "rft.live-2")
CONFIG_WRITTEN_NS = 1_700_000_000 * 10**9


def recover_config(path: Path, logger: logging.Logger) -> Path:
    return ConfigFile(str(path), logger).recover()


def touch(path: Path, seconds_after_config: float) -> None:
    moment = CONFIG_WRITTEN_NS + int(seconds_after_config * 10**9)
    os.utime(path, ns=(moment, moment), follow_symlinks=False)


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(OLD))
    touch(path, 0)
    return path


def leave(config_path: Path, content: str | bytes, seconds_after: float, name: str = "") -> Path:
    """A temp file as a run killed while saving the config leaves it."""
    path = config_path.parent / f".config.json.{name or 'abc123xy'}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    touch(path, seconds_after)
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def config_in(path: Path) -> dict:
    return json.loads(path.read_text())


def no_secret_in(text: str) -> bool:
    return not any(secret in text for secret in SECRETS)


def test_given_a_newer_whole_leftover_of_the_same_app_then_it_replaces_the_config_and_is_read(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    leftover = leave(config_path, json.dumps(NEW), 5)
    with caplog.at_level(logging.INFO):
        read = recover_config(config_path, LOGGER)
    assert read == config_path
    assert config_in(config_path) == NEW
    assert names(config_path.parent) == ["config.json"]
    [line] = caplog.records
    assert line.levelno == logging.INFO
    assert str(leftover) in line.getMessage()
    assert str(config_path) in line.getMessage()
    assert no_secret_in(caplog.text)


def test_given_several_newer_leftovers_then_the_newest_is_adopted_and_the_others_removed(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    older = leave(config_path, json.dumps(NEW), 5, name="aaaaaaaa")
    newest = leave(config_path, json.dumps(NEWER), 9, name="zzzzzzzz")
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert config_in(config_path) == NEWER
    assert names(config_path.parent) == ["config.json"]
    assert f"Removed {older}" in caplog.text
    assert f"{newest} is newer still" in caplog.text


@pytest.mark.parametrize(
    "content",
    [
        "",
        json.dumps(NEW, indent=2)[:40],
        "[]",
        json.dumps({"client_id": "k", "client_secret": "s3cret-app"}),
        json.dumps({**NEW, "refresh_token": " "}),
        b"\xff\xfe{}",
    ],
    ids=["empty", "cut short", "not an object", "no refresh token", "blank token", "not UTF-8"],
)
def test_given_a_leftover_that_is_not_a_whole_config_then_it_is_removed_and_the_config_read(
    config_path: Path, caplog: pytest.LogCaptureFixture, content: str | bytes
) -> None:
    leftover = leave(config_path, content, 5)
    with caplog.at_level(logging.INFO):
        read = recover_config(config_path, LOGGER)
    assert read == config_path
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == ["config.json"]
    assert f"Removed {leftover}" in caplog.text
    assert "not a whole config" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert no_secret_in(caplog.text)


@pytest.mark.parametrize("seconds_after", [0, -5], ids=["same time", "older"])
def test_given_a_leftover_not_newer_than_the_config_then_it_is_removed_and_the_config_read(
    config_path: Path, caplog: pytest.LogCaptureFixture, seconds_after: float
) -> None:
    """The user saved a config after the run that left it: theirs wins."""
    leftover = leave(config_path, json.dumps(NEW), seconds_after)
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == ["config.json"]
    assert f"Removed {leftover}" in caplog.text
    assert "is not newer than" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.INFO]


@pytest.mark.parametrize(
    "changed",
    [
        {"client_id": "another"},
        {"api_base_url": "https://collector.example"},
        {"client_secret": "another-secret"},
    ],
    ids=["app", "host", "secret"],
)
def test_given_a_leftover_that_differs_in_more_than_the_token_then_it_is_removed(
    config_path: Path, caplog: pytest.LogCaptureFixture, changed: dict[str, str]
) -> None:
    """Whoever may write in the folder must not choose where the credentials go next."""
    leftover = leave(config_path, json.dumps({**NEW, **changed}), 5)
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == ["config.json"]
    assert f"Removed {leftover}" in caplog.text
    assert "in more than the rotated refresh token" in caplog.text
    assert [r.levelno for r in caplog.records] == [logging.INFO]


@pytest.mark.parametrize("mode", [0o620, 0o602])
def test_given_a_leftover_others_may_write_then_it_is_not_adopted(
    config_path: Path, caplog: pytest.LogCaptureFixture, mode: int
) -> None:
    leftover = leave(config_path, json.dumps(NEW), 5)
    leftover.chmod(mode)
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert config_in(config_path) == OLD
    assert "not the private file" in caplog.text


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user takes root")
def test_given_a_leftover_of_another_owner_then_it_is_not_adopted(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    leftover = leave(config_path, json.dumps(NEW), 5)
    os.chown(leftover, 4321, -1)  # the tests run as root, as CI does
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert config_in(config_path) == OLD
    assert "not the private file" in caplog.text


def make_link(leftover: Path, elsewhere: Path) -> None:
    elsewhere.write_text(json.dumps(NEW))
    leftover.symlink_to(elsewhere)
    touch(leftover, 5)


def make_fifo(leftover: Path, _: Path) -> None:
    os.mkfifo(leftover)
    touch(leftover, 5)


@pytest.mark.parametrize("make", [make_link, make_fifo], ids=["symlink", "fifo"])
def test_given_a_leftover_name_on_something_else_than_a_file_then_it_is_neither_followed_nor_touched(
    config_path: Path, tmp_path: Path, make: Callable[[Path, Path], None]
) -> None:
    leftover = config_path.parent / ".config.json.abc123xy"
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.json"
    make(leftover, elsewhere)
    assert recover_config(config_path, LOGGER) == config_path  # a fifo would block a plain open
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == [".config.json.abc123xy", "config.json"]
    if elsewhere.exists():
        assert config_in(elsewhere) == NEW


@pytest.mark.parametrize(
    "name",
    [
        ".config.json.swp",
        ".config.json.backup",
        ".config.json.abc123xy.tmp",
        ".other.json.abc123xy",
    ],
)
def test_given_a_file_tempfile_would_not_have_named_then_it_is_left_alone(
    config_path: Path, name: str
) -> None:
    (config_path.parent / name).write_text(json.dumps(NEW))
    touch(config_path.parent / name, 5)
    recover_config(config_path, LOGGER)
    assert config_in(config_path) == OLD
    assert name in names(config_path.parent)


@pytest.mark.parametrize("content", ["{not json", json.dumps({"client_id": "k"})])
def test_given_a_config_that_cannot_be_matched_then_no_leftover_is_touched(
    config_path: Path, content: str
) -> None:
    """Its own reader, and then the settings, report what is wrong with it."""
    config_path.write_text(content)
    touch(config_path, 0)
    leave(config_path, json.dumps(NEW), 5)
    assert recover_config(config_path, LOGGER) == config_path
    assert config_path.read_text() == content
    assert names(config_path.parent) == [".config.json.abc123xy", "config.json"]


def test_given_saving_turned_off_then_the_newer_leftover_is_read_and_no_file_changes(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(SAVE_CONFIG_ENV, "0")
    live = leave(config_path, json.dumps(NEW), 5)
    cut = leave(config_path, "{", 6, name="cutshort")
    with caplog.at_level(logging.INFO):
        read = recover_config(config_path, LOGGER)
    assert read == live
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == [
        ".config.json.abc123xy",
        ".config.json.cutshort",
        "config.json",
    ]
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert str(live) in warning
    assert str(config_path) in warning
    assert SAVE_CONFIG_ENV in warning
    assert f"{cut}, left by a run stopped while saving the config, is not used" in caplog.text
    assert no_secret_in(caplog.text)


@pytest.mark.parametrize("code", [errno.EBUSY, errno.EXDEV])
def test_given_a_bind_mounted_config_that_cannot_be_renamed_over_then_it_is_rewritten_in_place(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refuse(*_: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(config_file.os, "replace", refuse)
    leave(config_path, json.dumps(NEW), 5)
    before = config_path.stat().st_ino
    assert recover_config(config_path, LOGGER) == config_path
    assert config_in(config_path) == NEW
    assert config_path.stat().st_ino == before
    assert names(config_path.parent) == ["config.json"]


def test_given_a_config_that_cannot_be_replaced_then_the_leftover_is_read_and_kept(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(config_file.os, "replace", refuse)
    live = leave(config_path, json.dumps(NEW), 5)
    assert recover_config(config_path, LOGGER) == live
    assert config_in(config_path) == OLD
    assert config_in(live) == NEW
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "Read-only file system" in warning
    assert str(live) in warning
    assert no_secret_in(caplog.text)


@pytest.mark.parametrize(
    ("killed_in", "then"),
    [("replace", NEW), ("fdopen", OLD)],
    ids=["before the rename", "before the write"],
)
def test_given_a_write_back_killed_midway_then_the_next_read_finds_old_or_new_whole(
    config_path: Path, killed_in: str, then: dict
) -> None:
    """A real SIGKILL in a child process: no `finally` runs, as for a killed connector."""
    child = os.fork()
    if child == 0:
        try:  # the child dies inside os.<killed_in>; anything else ends it too, never pytest
            setattr(os, killed_in, lambda *_, **__: os.kill(os.getpid(), signal.SIGKILL))
            write_atomically(config_path, json.dumps(NEW))
        finally:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status)
    assert os.WTERMSIG(status) == signal.SIGKILL
    assert config_in(config_path) == OLD
    assert len(names(config_path.parent)) == 2  # the config and the killed run's temp file

    assert recover_config(config_path, LOGGER) == config_path
    assert config_in(config_path) == then
    assert names(config_path.parent) == ["config.json"]


@pytest.mark.parametrize("failing", ["open", "read"])
def test_given_a_leftover_that_cannot_be_read_then_it_is_removed_as_not_a_whole_config(
    config_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    failing: str,
) -> None:
    leftover = leave(config_path, json.dumps(NEW), 5)
    real_open = os.open

    def refusing_open(path: Any, *args: Any) -> int:
        if Path(path) == leftover and failing == "open":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args)

    def refusing_fstat(_: int) -> os.stat_result:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(config_file.os, "open", refusing_open)
    if failing == "read":
        monkeypatch.setattr(config_file.os, "fstat", refusing_fstat)
    with caplog.at_level(logging.INFO):
        assert recover_config(config_path, LOGGER) == config_path
    assert config_in(config_path) == OLD
    assert names(config_path.parent) == ["config.json"]
    assert (
        f"Removed {leftover}, left by a run stopped while saving the config: it is not a whole config"
        in caplog.text
    )


def test_given_a_leftover_that_cannot_be_removed_then_a_warning_names_it_and_why(
    config_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    leftover = leave(config_path, b"{", 5)

    def refuse(self: Path, *_: Any, **__: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "unlink", refuse)
    with caplog.at_level(logging.INFO):
        recover_config(config_path, LOGGER)
    assert leftover.exists()
    assert (
        f"{leftover} is not used (it is not a whole config (empty, cut short or unreadable)) and "
        "cannot be removed: Permission denied." in caplog.text
    )
