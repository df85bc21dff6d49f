import json
import sys
import tempfile
from pathlib import Path

import pytest
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.run import run


def messages(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_given_check_with_an_unreadable_config_then_a_failed_status_and_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["source-tiktok-organic", "check", "--config", str(tmp_path)])
    run()
    [status] = [m for m in messages(capsys.readouterr().out) if m["type"] == "CONNECTION_STATUS"]
    assert status["connectionStatus"]["status"] == "FAILED"
    assert f"The config file {tmp_path} cannot be read" in status["connectionStatus"]["message"]


def test_given_discover_with_an_unreadable_config_then_one_error_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["source-tiktok-organic", "discover", "--config", str(tmp_path / "missing.json")]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 1
    said = messages(capsys.readouterr().out)
    assert [m["type"] for m in said if m["type"] in ("TRACE", "CONNECTION_STATUS")] == ["TRACE"]


def test_given_no_usable_temporary_folder_then_the_error_says_to_set_tmpdir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def none_usable() -> str:
        raise FileNotFoundError(2, "No usable temporary directory found in ['/tmp']")

    monkeypatch.setattr(tempfile, "gettempdir", none_usable)
    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(sys, "argv", ["source-tiktok-organic", "check", "--config", "x.json"])
    with pytest.raises(AirbyteTracedException) as raised:
        run()
    assert "no usable temporary folder" in raised.value.message
    assert "Set TMPDIR" in raised.value.message
