"""What a user runs by hand works as written: the README's commands, the emulator's CLI, last_state.py.

* The README's "Use it with your TikTok account" commands run verbatim with bash in a fresh
  folder, against an in-process emulator whose config is in `secrets/config.json` (`uv run X`
  runs the venv's X). The emulator rotates refresh tokens strictly, so every step after the
  first needs the connector to have saved the rotated token back into that file.
* `python -m tiktok_emulator` prints (and writes) a config the connector takes as is, for an
  account a person would believe (its own behaviour is tested in tiktok_emulator/tests/).
* `scripts/last_state.py` turns a run's messages into what `--state` takes.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import Status, Type

from integration_tests.cli import HANG_SECONDS, catalog_for, run_args, run_connector
from integration_tests.conftest import config_for
from tiktok_emulator import TikTokEmulator
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
WRITING_OPTIONS = {"--write-config", "--output"}
ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)=(\S+)(\s+#.*)?$")


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


def assignment(step: str) -> tuple[str, str] | None:
    """`name=value  # comment` as (name, value); a shell variable the later steps use."""
    match = ASSIGNMENT.match(step)
    return (match.group(1), match.group(2)) if match else None


def emulator_config_file(steps: list[str]) -> str:
    """Where the section's emulator writes its config."""
    [start] = [shlex.split(step.rstrip("& ")) for step in steps if starts_the_emulator(step)]
    return start[start.index("--write-config") + 1]


def connector_commands(steps: list[str]) -> list[list[str]]:
    commands = [shlex.split(step.split(">")[0]) for step in steps]
    return [c for c in commands if c[:2] == ["uv", "run"] and "source-tiktok" in c[2]]


def real_config_files(markdown: str) -> set[str]:
    """Where the README has the user keep real credentials: the creator's and business_grant's."""
    creator = re.search(r"in\s+`(secrets/[^`]+)`\s+\(git-ignored\)", markdown)
    business = re.search(r"business_grant\.py exchange.*?--write-config (\S+)", markdown, re.S)
    assert creator
    assert business
    return {creator.group(1), business.group(1)}


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
    connector = connector_commands(steps)
    assert [c[3] for c in connector] == ["check", "discover", "read", "read"], steps
    assert {c[c.index("--config") + 1] for c in connector} == {"$config"}
    assert ("config", emulator_config_file(steps)) in map(assignment, steps)
    assert any("scripts/last_state.py" in step for step in steps)


@pytest.mark.parametrize("heading", [SECTION, BUSINESS_SECTION])
def test_the_readmes_emulator_writes_a_file_of_its_own_not_the_users_real_config(
    heading: str,
) -> None:
    markdown = README.read_text()
    written = emulator_config_file(bash_steps(section_text(markdown, heading)))
    assert written.startswith("secrets/"), "git-ignored, beside the real configs"
    assert written not in real_config_files(markdown)


def run_as_written(
    heading: str,
    tmp_path: Path,
    config: dict[str, Any],
    before_each: Callable[[], None] = lambda: None,
) -> list[tuple[str, str]]:
    """The section's commands, bar the emulator's start, with bash in a fresh folder holding
    `config` (readable by its owner alone) where the section's emulator writes it; each
    command's step and what it printed (or wrote where it sends it).

    A step that sets a shell variable is kept and run again before every later step, as the
    user's one shell would remember it.
    """
    steps = bash_steps(section_text(README.read_text(), heading))
    config_file = tmp_path / emulator_config_file(steps)
    steps = [step for step in steps if not starts_the_emulator(step)]
    (tmp_path / "integration_tests").mkdir()
    for catalog in (ROOT / "integration_tests").glob("configured_catalog*.json"):
        shutil.copy(catalog, tmp_path / "integration_tests")
    (tmp_path / "scripts").mkdir()
    shutil.copy(LAST_STATE, tmp_path / "scripts")
    config_file.parent.mkdir()
    config_file.write_text(json.dumps(config))
    config_file.chmod(0o600)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SOURCE_TIKTOK_ORGANIC_SAVE_CONFIG", None)

    return list(run_steps(steps, UV, tmp_path, env, before_each))


def messages_of(steps: list[tuple[str, str]], command: str) -> list[tuple[str, list[dict]]]:
    """Each `command` step, with the Airbyte messages it put out."""
    return [(step, messages_in(out)) for step, out in steps if f" {command} " in f" {step} "]


def control_configs(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The configs a run handed back to be saved (its CONTROL messages'), in order."""
    return [m["control"]["connectorConfig"]["config"] for m in messages if m["type"] == "CONTROL"]


def run_steps(
    steps: list[str],
    prelude: str,
    cwd: Path,
    env: dict[str, str],
    before_each: Callable[[], None] = lambda: None,
) -> Iterator[tuple[str, str]]:
    """Each step in bash, in order, as a user types them: a shell variable a step sets carries
    on to the next. Yields each command with what it printed, or wrote where it sends it."""
    variables = ""
    for step in steps:
        if assignment(step):
            variables += step + "\n"
            continue
        before_each()
        done = subprocess.run(
            ["bash", "-c", prelude + variables + step],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"`{step}` exited {done.returncode}:\n{done.stderr[-3000:]}"
        target = redirect_target(step)
        yield step, (cwd / target).read_text() if target else done.stdout


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
    """One config file, run after run: check, then a read of every stream, then one from its
    state. The access tokens die before every step, so each spends the refresh token the step
    before saved into the file (the emulator kills a used one)."""
    original = config_for(emulator)
    steps = run_as_written(SECTION, tmp_path, original, emulator.expire_access_tokens)
    [(check_step, check)] = messages_of(steps, "check")
    [(_, full), (incremental_step, incremental)] = messages_of(steps, "read")
    config_file = emulator_config_file(bash_steps(section_text(README.read_text(), SECTION)))

    assert {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "SUCCEEDED"}} in check
    assert control_configs(check)[-1]["refresh_token"] != original["refresh_token"]
    logs = [m["log"]["message"] for m in check if m["type"] == "LOG"]
    assert f"Saved the rotated refresh token to {config_file}." in logs, check_step
    full_records = records_by_stream(full)
    assert set(full_records) == STREAMS
    assert len(full_records["videos"]) == len(emulator.dataset.videos)
    state_of(tmp_path, incremental_step)
    # the second read: the profile again, one new snapshot, no video it already had
    incremental_records = records_by_stream(incremental)
    assert len(incremental_records["user_info"]) == 1, "the profile must be read on every run"
    assert len(incremental_records["user_stats"]) == 1
    assert len(incremental_records["video_stats"]) == len(emulator.dataset.videos)
    assert incremental_records.get("videos", []) == []
    saved = tmp_path / config_file
    assert json.loads(saved.read_text()) == control_configs(incremental)[-1]
    assert (saved.stat().st_mode & 0o777) == 0o600, "the file stays readable by its owner alone"


def test_the_readme_business_commands_are_check_read_read_on_one_config() -> None:
    steps = bash_steps(section_text(README.read_text(), BUSINESS_SECTION))
    assert any(starts_the_emulator(step) and "--business" in step for step in steps)
    connector = connector_commands(steps)
    assert [c[3] for c in connector] == ["check", "read", "read"], steps
    assert {c[c.index("--config") + 1] for c in connector} == {"$config"}
    assert ("config", emulator_config_file(steps)) in map(assignment, steps)


@pytest.mark.long_running
def test_the_readme_business_commands_run_as_written_against_the_business_emulator(
    tmp_path: Path,
) -> None:
    with BusinessEmulator() as business:
        config = business.connector_config()
        steps = run_as_written(BUSINESS_SECTION, tmp_path, config)
        posts = len(business.dataset.post_times_ms)
    [(_, full), (incremental_step, incremental)] = messages_of(steps, "read")
    full_records = records_by_stream(full)
    assert set(full_records) == STREAMS | {"daily_metrics", "audience_snapshots", "comments"}
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
    assert len(again["comments"]) == len(full_records["comments"]), "re-read whole each sync"


def files_the_readme_writes(markdown: str) -> set[str]:
    """Every path a README command writes: redirects, `--write-config`, `--output`, `cp`'s
    target, PyAirbyte's cache and the demo's folder, both named in the prose."""
    written: set[str] = set()
    blocks = re.findall(r"^ *```(?:bash|text)\n(.*?)^ *```", markdown, re.MULTILINE | re.DOTALL)
    for written_step in bash_steps("".join(f"```bash\n{block}```\n" for block in blocks)):
        step = re.sub(r"<[^<>]*>", "PLACEHOLDER", written_step)  # `<app id>` is no redirect
        args = shlex.split(step.rstrip("& "))
        written.update(filter(None, [redirect_target(step)]))
        written.update(args[i + 1] for i, arg in enumerate(args[:-1]) if arg in WRITING_OPTIONS)
        if args[:1] == ["cp"]:
            written.add(args[-1])
    written.update(re.findall(r"(\.cache/\S+\.duckdb)", markdown))
    written.update(re.findall(r"under `(output/\S+)`", markdown))
    return {path for path in written if not path.startswith(("$", "/"))}


def test_every_file_a_readme_command_writes_is_git_ignored() -> None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a checkout")
    written = files_the_readme_writes(README.read_text())
    assert {"output.jsonl", "state.json", "business_state.json"} <= written
    assert any(path.startswith(".cache/") for path in written)
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", "--non-matching", *sorted(written)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    not_ignored = [
        line.split("\t")[-1] for line in done.stdout.splitlines() if line.startswith("::")
    ]
    assert not not_ignored, f"add to .gitignore: {not_ignored}"
    assert done.returncode == 0, done.stderr


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


def test_the_business_emulator_by_hand_is_dated_today_so_every_stream_has_rows(
    emulator_process: Any,
) -> None:
    """Daily metrics are read up to the connector's yesterday: a dataset of another day has none."""
    process = emulator_process("--business", "--port", "0", "--videos", "5")
    config = json.loads(read_line(process))
    catalog = json.loads(
        (ROOT / "integration_tests" / "configured_catalog_business.json").read_text()
    )
    streams = {entry["stream"]["name"] for entry in catalog["streams"]}

    run = run_connector("read", config=config, catalog=catalog)

    assert run.returncode == 0, run.errors() or run.stderr[-2000:]
    assert {stream for stream in streams if run.records(stream)} == streams
    assert len(run.records("daily_metrics")) == 60


def test_the_emulator_by_hand_serves_a_mid_size_creator(emulator_process: Any) -> None:
    process = emulator_process("--port", "0", "--videos", "60")
    config = json.loads(read_line(process))
    run = run_connector(
        "read", config, catalog_for(dict.fromkeys(("user_info", "videos"), "full_refresh"))
    )

    assert run.returncode == 0, run.errors() or run.stderr[-2000:]
    [profile] = run.records("user_info")
    assert 10_000 <= profile["follower_count"] <= 200_000
    assert max(video.get("view_count") or 0 for video in run.records("videos")) < 2_000_000


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
