"""`python -m tiktok_emulator`: where it serves, and the config files it writes or refuses to."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.__main__ import DEFAULT_PORT, PortUnavailableError, main, start_emulator
from tiktok_emulator.__main__ import build_parser as emulator_parser
from tiktok_emulator.business import BusinessEmulator

ROOT = Path(__file__).resolve().parents[2]
REAL_CONFIG = {
    "client_id": "awq2b-real-client-key",
    "client_secret": "real-secret",
    "refresh_token": "rft.the-one-token-tiktok-rotated-last",
    "start_date": "2024-01-01",
}


def read_line(process: subprocess.Popen[str], timeout: float = 20) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "the emulator printed nothing"
    return process.stdout.readline()


@pytest.fixture
def emulator_process() -> Iterator[Any]:
    """Starts `python -m tiktok_emulator ARGS...`; always stopped afterwards."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tiktok_emulator", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(REAL_CONFIG),
        json.dumps({**REAL_CONFIG, "api_base_url": "http://127.0.0.1:1"}),
        "",
    ],
    ids=["real config", "real app aimed at a loopback proxy", "empty file"],
)
def test_given_a_file_it_did_not_write_then_the_emulator_refuses_in_one_line_and_leaves_it(
    tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In this process: the refusal comes before anything is served (the exit code reaching
    the shell is tested with a taken port below)."""
    target = tmp_path / "secrets" / "config.json"
    target.parent.mkdir()
    target.write_text(content)

    returncode = main(["--port", "0", "--write-config", str(target)])
    said = capsys.readouterr()

    assert returncode == 2
    assert said.out == "", "nothing served, no config printed"
    assert len(said.err.strip().splitlines()) == 1, said.err
    assert str(target) in said.err
    assert "--overwrite" in said.err
    assert target.read_text() == content


@pytest.mark.parametrize("business", [False, True], ids=["creator", "business"])
def test_given_its_own_older_config_since_rotated_by_the_connector_then_the_emulator_replaces_it(
    emulator_process: Any, tmp_path: Path, business: bool
) -> None:
    target = tmp_path / "emulator_config.json"
    mode = ["--business"] if business else []
    with BusinessEmulator() if business else TikTokEmulator() as earlier:
        older = earlier.connector_config(refresh_token="rft.rotated", lookback_days=3)
    older["oauth_session"] = {"access_token": "act.x", "open_id": "o-1"}
    target.write_text(json.dumps(older))

    process = emulator_process(*mode, "--port", "0", "--write-config", str(target))
    printed = json.loads(read_line(process))

    assert json.loads(target.read_text()) == printed != older


def test_given_overwrite_then_the_emulator_replaces_even_a_real_config(
    emulator_process: Any, tmp_path: Path
) -> None:
    target = tmp_path / "config.json"
    target.write_text(json.dumps(REAL_CONFIG))
    process = emulator_process("--port", "0", "--write-config", str(target), "--overwrite")
    printed = json.loads(read_line(process))
    assert json.loads(target.read_text()) == printed


def test_every_option_of_the_emulator_says_what_it_does() -> None:
    parser = emulator_parser()
    assert parser.description
    options = [action for action in parser._actions if action.option_strings]
    assert len(options) > 10
    assert all(action.help for action in options), [
        action.option_strings for action in options if not action.help
    ]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_the_emulator_serves_on_8090_by_default_the_acceptance_emulator_keeps_8089() -> None:
    assert DEFAULT_PORT == 8090


def test_given_the_default_port_taken_then_the_emulator_serves_on_a_free_port_and_says_so(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    def make(port: int) -> TikTokEmulator:
        return TikTokEmulator(dataset=generate_dataset(videos=3, seed=7), port=port)

    with start_emulator(make, None, default=taken_port) as emulator:
        url = emulator.url
    assert int(url.rsplit(":", 1)[1]) not in {taken_port, 0}
    said = capsys.readouterr()
    assert said.out == ""
    assert str(taken_port) in said.err
    assert url in said.err


def test_given_an_explicit_port_taken_then_start_emulator_refuses(taken_port: int) -> None:
    def make(port: int) -> TikTokEmulator:
        return TikTokEmulator(dataset=generate_dataset(videos=3, seed=7), port=port)

    with pytest.raises(PortUnavailableError, match=str(taken_port)):
        start_emulator(make, taken_port, default=taken_port)


def test_given_an_explicit_port_taken_then_the_emulator_exits_2_with_one_line(
    emulator_process: Any, taken_port: int
) -> None:
    process = emulator_process("--port", str(taken_port))
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 2
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert str(taken_port) in stderr
    assert "Traceback" not in stderr
