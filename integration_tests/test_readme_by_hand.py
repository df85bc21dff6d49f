"""What a user runs by hand works as written: the README's commands, the emulator's CLI, last_state.py.

* The README's "Use it with your TikTok account" commands run verbatim with bash in a fresh
  folder, against an in-process emulator whose config is in `secrets/config.json` (`uv run X`
  runs the venv's X). The emulator rotates refresh tokens strictly, so every step after the
  first needs the connector to have saved the rotated token back into that file.
* `python -m tiktok_emulator` prints (and writes) a config the connector takes as is,
  serves on a free port when its default one is taken, and refuses a taken `--port` in one line.
* `scripts/last_state.py` turns a run's messages into what `--state` takes.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import Status, Type

from integration_tests.cli import HANG_SECONDS, catalog_for, run_args, run_connector
from integration_tests.conftest import config_for
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.__main__ import DEFAULT_PORT, PortUnavailableError, start_emulator
from tiktok_emulator.business import BusinessEmulator

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTION = "## Use it with your TikTok account"
BUSINESS_SECTION = "## Business accounts (TikTok API for Business)"
LAST_STATE = ROOT / "scripts" / "last_state.py"
STREAMS = {"user_info", "user_stats", "videos", "video_stats"}
CONFIG_KEYS = {"client_id", "client_secret", "refresh_token", "api_base_url"}
# `uv run X ...` runs X from PATH, where the venv's bin folder comes first
UV = 'uv() { shift; "$@"; }\n'


# The README, run as written


def section_text(markdown: str, heading: str) -> str:
    start = markdown.index(heading + "\n")
    following = re.compile(r"^#{2,3} ", re.MULTILINE)
    end = following.search(markdown, start + len(heading))
    return markdown[start : end.start() if end else len(markdown)]


def bash_steps(section: str) -> list[str]:
    """The commands of the section's ```bash blocks, continuation lines joined, in order."""
    steps: list[str] = []
    for block in re.findall(r"^```bash\n(.*?)^```", section, re.MULTILINE | re.DOTALL):
        pending = ""
        for line in block.splitlines():
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            step = (pending + line).strip()
            pending = ""
            if step and not step.startswith("#"):
                steps.append(step)
    return steps


def starts_the_emulator(step: str) -> bool:
    return "tiktok_emulator" in step


def redirect_target(step: str) -> str | None:
    match = re.search(r"(?<![0-9&])>\s*(\S+)", step)
    return match.group(1) if match else None


def messages_in(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def records_by_stream(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    records: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    return records


def test_the_readme_by_hand_commands_are_the_sequence_the_test_below_expects() -> None:
    steps = bash_steps(section_text(README.read_text(), SECTION))
    assert any(starts_the_emulator(step) and "--write-config" in step for step in steps)
    commands = [shlex.split(step.split(">")[0])[:4] for step in steps]
    connector = [c[2:4] for c in commands if c[:2] == ["uv", "run"] and "source-tiktok" in c[2]]
    assert [c[1] for c in connector] == ["check", "discover", "read", "read"], steps
    assert any("scripts/last_state.py" in step for step in steps)


def run_as_written(
    heading: str, tmp_path: Path, config_file: str, config: dict[str, Any]
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The section's commands, bar the emulator's start, with bash in a fresh folder holding
    `config` at `config_file`; each read's step and messages."""
    steps = [
        step
        for step in bash_steps(section_text(README.read_text(), heading))
        if not starts_the_emulator(step)
    ]
    (tmp_path / "integration_tests").mkdir()
    for catalog in (ROOT / "integration_tests").glob("configured_catalog*.json"):
        shutil.copy(catalog, tmp_path / "integration_tests")
    (tmp_path / "scripts").mkdir()
    shutil.copy(LAST_STATE, tmp_path / "scripts")
    (tmp_path / config_file).parent.mkdir()
    (tmp_path / config_file).write_text(json.dumps(config))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG", None)

    reads: list[tuple[str, list[dict[str, Any]]]] = []
    for step in steps:
        done = subprocess.run(
            ["bash", "-c", UV + step],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"`{step}` exited {done.returncode}:\n{done.stderr[-3000:]}"
        if " read " in f" {step} ":
            target = redirect_target(step)
            output = (tmp_path / target).read_text() if target else done.stdout
            reads.append((step, messages_in(output)))
    return reads


def state_of(tmp_path: Path, step: str) -> list[dict[str, Any]]:
    state_file = re.search(r"--state\s+(\S+)", step)
    assert state_file, step
    state = json.loads((tmp_path / state_file.group(1)).read_text())
    assert isinstance(state, list)
    assert state
    return state


@pytest.mark.long_running
def test_the_readme_by_hand_commands_run_as_written_against_the_emulator(
    emulator: TikTokEmulator, tmp_path: Path
) -> None:
    reads = run_as_written(SECTION, tmp_path, "secrets/config.json", config_for(emulator))
    [(_, full), (incremental_step, incremental)] = reads
    full_records = records_by_stream(full)
    assert set(full_records) == STREAMS
    assert len(full_records["videos"]) == len(emulator.dataset.videos)
    state_of(tmp_path, incremental_step)
    incremental_records = records_by_stream(incremental)
    assert len(incremental_records.get("videos", [])) < len(full_records["videos"])
    assert len(incremental_records["user_info"]) == 1, "the profile must be read on every run"


def test_the_readme_business_commands_are_check_read_read_on_one_config() -> None:
    steps = bash_steps(section_text(README.read_text(), BUSINESS_SECTION))
    assert any(starts_the_emulator(step) and "--business" in step for step in steps)
    commands = [shlex.split(step.split(">")[0]) for step in steps]
    connector = [c for c in commands if c[:2] == ["uv", "run"] and "source-tiktok" in c[2]]
    assert [c[3] for c in connector] == ["check", "read", "read"], steps
    assert {c[c.index("--config") + 1] for c in connector} == {"secrets/business.json"}


@pytest.mark.long_running
def test_the_readme_business_commands_run_as_written_against_the_business_emulator(
    tmp_path: Path,
) -> None:
    with BusinessEmulator() as business:
        config = business.connector_config()
        reads = run_as_written(BUSINESS_SECTION, tmp_path, "secrets/business.json", config)
        posts = len(business.dataset.post_times_ms)
    [(_, full), (incremental_step, incremental)] = reads
    full_records = records_by_stream(full)
    assert set(full_records) == STREAMS | {"daily_metrics", "audience_snapshots"}
    assert len(full_records["videos"]) == posts
    assert len(full_records["daily_metrics"]) == 60
    state_of(tmp_path, incremental_step)
    again = records_by_stream(incremental)
    newest = max(video["create_time"] for video in full_records["videos"])
    lookback = [
        video for video in full_records["videos"] if video["create_time"] > newest - 7 * 86400
    ]
    assert len(again["videos"]) == len(lookback), "only the default 7-day lookback is read again"
    assert len(again["daily_metrics"]) == 3, "the last three days, which TikTok may still fill in"
    assert len(again["video_stats"]) == posts


# The emulator's command line


def read_line(process: subprocess.Popen[str], timeout: float = 20) -> str:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "the emulator printed nothing"
    return process.stdout.readline()


@pytest.fixture
def emulator_process(tmp_path: Path) -> Iterator[Any]:
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


def test_the_emulator_prints_and_writes_a_config_the_connector_takes_as_it_is(
    emulator_process: Any, tmp_path: Path
) -> None:
    written = tmp_path / "new" / "folder" / "c.json"
    process = emulator_process("--port", "0", "--write-config", str(written), "--videos", "5")
    printed = json.loads(read_line(process))

    assert set(printed) == CONFIG_KEYS
    assert printed["api_base_url"].startswith("http://127.0.0.1:")
    assert json.loads(written.read_text()) == printed
    check = run_args(["check", "--config", str(written)])  # the file as written, not a copy
    [status] = check.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED, status

    process.terminate()
    assert process.wait(timeout=10) == 0
    assert process.stderr is not None
    human = process.stderr.read()
    assert "5 videos" in human
    assert printed["api_base_url"] in human


def test_the_business_emulator_prints_a_business_config_with_40_calls_a_minute(
    emulator_process: Any, tmp_path: Path
) -> None:
    written = tmp_path / "business.json"
    process = emulator_process("--business", "--port", "0", "--write-config", str(written))
    printed = json.loads(read_line(process))
    assert printed["account_mode"] == "business"
    assert json.loads(written.read_text()) == printed
    check = run_args(["check", "--config", str(written)])
    [status] = check.of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED, status
    process.terminate()
    assert process.wait(timeout=10) == 0
    assert process.stderr is not None
    assert "API for Business emulator: 45 videos" in process.stderr.read()


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


# scripts/last_state.py


def last_state(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", str(LAST_STATE), *args],  # -I: the standard library alone
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def state_line(stream: str, cursor: int) -> str:
    state = {
        "type": "STREAM",
        "stream": {
            "stream_descriptor": {"name": stream},
            "stream_state": {"create_time": cursor},
        },
    }
    return json.dumps({"type": "STATE", "state": state})


def test_last_state_keeps_the_last_state_of_each_stream_and_skips_what_is_not_json(
    tmp_path: Path,
) -> None:
    lines = [
        "Starting the sync...",
        state_line("videos", 1),
        '{"type": "RECORD", "record": {"stream": "videos", "data": {}, "emitted_at": 1}}',
        state_line("user_stats", 5),
        "[not json",
        state_line("videos", 2),
        "42",
    ]
    messages = tmp_path / "output.jsonl"
    messages.write_text("\n".join(lines) + "\n")

    from_file = last_state(str(messages))
    from_stdin = last_state(stdin=messages.read_text())

    expected = [
        json.loads(state_line(s, c))["state"] for s, c in (("videos", 2), ("user_stats", 5))
    ]
    for done in (from_file, from_stdin):
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == expected


def test_last_state_of_nothing_is_an_empty_list() -> None:
    done = last_state(stdin="")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_last_state_of_a_real_read_is_what_the_next_read_resumes_from(
    emulator: TikTokEmulator,
) -> None:
    config = config_for(emulator)
    catalog = catalog_for({"user_info": "full_refresh", "videos": "incremental"})
    first = run_connector("read", config=config, catalog=catalog)
    assert first.returncode == 0, first.errors() or first.stderr[-2000:]

    done = last_state(stdin=first.stdout)
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state == first.state_messages()
    assert state

    second = run_connector("read", config=first.latest_config(config), catalog=catalog, state=state)
    assert second.returncode == 0, second.errors() or second.stderr[-2000:]
    assert len(second.records("videos")) < len(first.records("videos"))
