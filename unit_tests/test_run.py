import json
import subprocess
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


# A worker thread logs (through the CDK's handler) while the main thread writes records, both
# through the console script's `run`; 2,000 of each, 3 KB apiece, so a split line would show.
WRITE_WHILE_A_WORKER_LOGS = """
import json, threading
import source_tiktok_organic.run as run_module
from airbyte_cdk.logger import init_logger

def launch(argv, write):
    logger = init_logger("airbyte")
    worker = threading.Thread(target=lambda: [logger.info("x" * 3000) for _ in range(2000)])
    worker.start()
    for i in range(2000):
        write(json.dumps({"type": "RECORD", "record": {"stream": "s", "data": {"v": "y" * 3000}}}))
    worker.join()
    return 0

run_module.launch = launch
run_module.run()
"""


def test_given_a_worker_thread_logging_while_records_are_written_then_each_line_is_one_message() -> (
    None
):
    out = subprocess.run(
        [sys.executable, "-c", WRITE_WHILE_A_WORKER_LOGS],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    said = [json.loads(line) for line in out.splitlines()]  # a split line fails to parse here
    assert sorted({m["type"] for m in said}) == ["LOG", "RECORD"]
    assert len(said) == 4000
