import errno
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from source_tiktok_organic.core import config_file
from source_tiktok_organic.core.config_file import SAVE_CONFIG_ENV, ConfigFile

LOGGER = logging.getLogger("test_config_file")
OLD = {"client_id": "k", "refresh_token": "old"}
NEW = {
    "client_id": "k",
    "refresh_token": "rft.rotated-secret",
    "oauth_session": {"scope": "video.list"},
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(OLD))
    path.chmod(0o640)  # not the 0600 a fresh temp file gets
    return path


def test_given_a_writable_config_when_saving_then_it_holds_the_new_config_and_keeps_its_mode(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        ConfigFile(str(config_path), LOGGER).save(NEW)
    assert json.loads(config_path.read_text()) == NEW
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o640
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["config.json"]
    assert f"Saved the rotated refresh token to {config_path}" in caplog.text
    assert "rft.rotated-secret" not in caplog.text


def test_when_saving_then_the_file_is_replaced_whole_never_rewritten_in_place(
    config_path: Path,
) -> None:
    """A reader (or a crash) sees the old file or the new one, never half of one."""
    before = config_path.stat().st_ino
    ConfigFile(str(config_path), LOGGER).save(NEW)
    assert config_path.stat().st_ino != before


def test_when_saving_then_the_temp_file_is_synced_before_the_rename_and_the_folder_after(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So a run killed, or a machine stopped, at any point leaves the old or the new config."""
    steps: list[str] = []
    fsync, replace = os.fsync, os.replace

    def synced(descriptor: int) -> None:
        kind = "folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        steps.append(f"sync {kind}")
        fsync(descriptor)

    def renamed(source: str, target: Path) -> None:
        steps.append(f"rename with mode {stat.S_IMODE(os.stat(source).st_mode):o}")
        replace(source, target)

    monkeypatch.setattr(config_file.os, "fsync", synced)
    monkeypatch.setattr(config_file.os, "replace", renamed)
    ConfigFile(str(config_path), LOGGER).save(NEW)
    assert steps == ["sync file", "rename with mode 640", "sync folder"]


@pytest.mark.parametrize("code", [errno.EBUSY, errno.EXDEV])
def test_given_a_bind_mounted_file_that_cannot_be_renamed_over_then_it_is_rewritten_in_place(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def refuse(*_: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(config_file.os, "replace", refuse)
    before = config_path.stat().st_ino
    ConfigFile(str(config_path), LOGGER).save(NEW)
    assert json.loads(config_path.read_text()) == NEW
    assert config_path.stat().st_ino == before
    assert sorted(p.name for p in config_path.parent.iterdir()) == ["config.json"]


def test_given_a_folder_without_room_for_a_temp_file_then_the_file_is_rewritten_in_place(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(**_: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(config_file.tempfile, "mkstemp", refuse)
    ConfigFile(str(config_path), LOGGER).save(NEW)
    assert json.loads(config_path.read_text()) == NEW


def test_given_an_in_place_rewrite_then_the_file_is_json_at_every_moment(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One write over the old bytes, no truncate: a kill after any syscall leaves valid JSON."""
    config_path.write_text(json.dumps({**NEW, "padding": "x" * 500}))
    monkeypatch.setattr(
        config_file.tempfile, "mkstemp", lambda **_: (_ for _ in ()).throw(OSError())
    )
    writes: list[bytes] = []
    real_write = os.write

    def recording(descriptor: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(descriptor, data)

    monkeypatch.setattr(config_file.os, "write", recording)
    ConfigFile(str(config_path), LOGGER).save(NEW)
    [written] = writes
    assert json.loads(written) == NEW
    assert json.loads(config_path.read_text()) == NEW


def test_given_writing_fails_then_it_is_left_alone_and_the_log_says_how_to_recover(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(config_file, "write_atomically", read_only)
    ConfigFile(str(config_path), LOGGER).save(NEW)
    assert json.loads(config_path.read_text()) == OLD
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert str(config_path) in warning.getMessage()
    assert "Read-only file system" in warning.getMessage()
    assert "control.connectorConfig.config" in warning.getMessage()
    assert "invalid_grant" in warning.getMessage()


def test_given_writing_fails_but_the_file_holds_the_same_refresh_token_then_it_says_nothing_is_lost(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A read-only config whose token TikTok handed back unchanged: the next run works as is."""

    def read_only(*_: object, **__: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(config_file, "write_atomically", read_only)
    same_token = {**OLD, "oauth_session": {"scope": "video.list"}}
    with caplog.at_level(logging.DEBUG):
        ConfigFile(str(config_path), LOGGER).save(same_token)
    assert json.loads(config_path.read_text()) == OLD
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    [said] = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert str(config_path) in said
    assert "Read-only file system" in said
    assert "nothing is lost" in said
    assert "invalid_grant" not in said


@pytest.mark.parametrize(
    "content",
    [json.dumps({"refresh_token": "older"}), "{not json", json.dumps(["old"]), None],
    ids=["another-token", "not-json", "not-an-object", "no-file"],
)
def test_given_writing_fails_and_the_file_lacks_the_token_then_it_warns_of_invalid_grant(
    config_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    content: str | None,
) -> None:
    def read_only(*_: object, **__: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(config_file, "write_atomically", read_only)
    if content is None:
        config_path.unlink()
    else:
        config_path.write_text(content)
    ConfigFile(str(config_path), LOGGER).save({**OLD, "oauth_session": {"scope": "video.list"}})
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "invalid_grant" in warning.getMessage()


@pytest.mark.parametrize("off", ["0", "false", "No"])
def test_given_saving_turned_off_then_the_file_is_untouched_and_the_log_says_where_the_config_is(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, off: str
) -> None:
    monkeypatch.setenv(SAVE_CONFIG_ENV, off)
    with caplog.at_level(logging.INFO):
        ConfigFile(str(config_path), LOGGER).save(NEW)
    assert json.loads(config_path.read_text()) == OLD
    assert "control.connectorConfig.config" in caplog.text
