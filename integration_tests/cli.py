"""Runs the connector as Airbyte would, files in and messages out: in this process or installed.

In this process (the default) a run goes through the same `launch` as the console script, with
the CDK's log formatter writing into the run's output: fast, and faults can be sped up by
patching this process. `installed=True` runs the installed command as a subprocess instead, for
what only a real process shows (start-up, exit codes, signals, the environment).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from airbyte_cdk.exception_handler import assemble_uncaught_exception
from airbyte_cdk.logger import PRINT_BUFFER, AirbyteLogFormatter
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets

from source_tiktok_organic.run import launch

COMMAND = "source-tiktok-organic"
# What bounds a run in a process or container of its own: long enough for a machine busy with
# other work (a 10-second run has taken a minute there), so it catches only a run that hangs.
HANG_SECONDS = 15 * 60


@dataclass
class Run:
    """One connector invocation (in this process, installed, or in a container): its messages."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[AirbyteMessage] = field(default_factory=list)

    @classmethod
    def parse(cls, returncode: int, stdout: str, stderr: str, debug: bool = False) -> Run:
        """Every stdout line validated as an Airbyte message (bar --debug's own DEBUG lines)."""
        parsed = [json.loads(line) for line in stdout.splitlines() if line.strip()]
        messages = [
            AirbyteMessageSerializer.load(message)
            for message in parsed
            if not (debug and message.get("type") == "DEBUG")
        ]
        return cls(returncode, stdout, stderr, messages)

    def of_type(self, kind: Type) -> list[AirbyteMessage]:
        return [message for message in self.messages if message.type == kind]

    def records(self, stream: str | None = None) -> list[dict[str, Any]]:
        return [
            m.record.data
            for m in self.of_type(Type.RECORD)
            if stream is None or m.record.stream == stream
        ]

    def states(self, stream: str = "videos") -> list[dict[str, Any]]:
        return [
            m.state.stream.stream_state.__dict__
            for m in self.of_type(Type.STATE)
            if m.state.stream.stream_descriptor.name == stream
        ]

    def state_messages(self) -> list[dict[str, Any]]:
        """The last STATE per stream, in the shape `--state` takes."""
        latest: dict[str, dict[str, Any]] = {}
        for line in self.stdout.splitlines():
            if line.startswith('{"type":"STATE"'):
                state = json.loads(line)["state"]
                latest[state["stream"]["stream_descriptor"]["name"]] = state
        return list(latest.values())

    def errors(self) -> list[str]:
        return [m.trace.error.message for m in self.of_type(Type.TRACE) if m.trace.error]

    def logs(self) -> str:
        return "\n".join(m.log.message for m in self.of_type(Type.LOG))

    def latest_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config the platform would store after this run (the last CONTROL message's)."""
        controls = self.of_type(Type.CONTROL)
        return dict(controls[-1].control.connectorConfig.config) if controls else config


def command_path() -> str:
    """The console script installed next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name(COMMAND)
    return str(beside) if beside.exists() else (shutil.which(COMMAND) or COMMAND)


def run_args(
    args: Sequence[str],
    *,
    fails: bool = False,
    installed: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = HANG_SECONDS,
) -> Run:
    """`source-tiktok-organic ARGS...`: a clean run (exit 0, no error) unless the test says it
    `fails`; `timeout` bounds only an installed run."""
    run = _run(args, installed, env, timeout)
    failed = run.returncode != 0 or bool(run.errors())
    assert failed == fails, f"exit {run.returncode}, errors {run.errors()}, {run.stderr[-2000:]}"
    return run


def _run(args: Sequence[str], installed: bool, env: dict[str, str] | None, timeout: float) -> Run:
    if installed:
        done = subprocess.run(
            [command_path(), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **(env or {})},
        )
        return Run.parse(done.returncode, done.stdout, done.stderr, debug="--debug" in args)
    lines: list[str] = []
    stderr = ""
    printed = _Printed(lines)  # what the CDK prints itself, such as the rotated config
    with mock.patch.dict(os.environ, env or {}), _logs_into(lines), redirect_stdout(printed):
        try:
            returncode = launch(args, lines.append)
        except SystemExit as exited:  # argparse's own exits
            returncode = exited.code if isinstance(exited.code, int) else 1
        except Exception as error:  # what the CDK's excepthook prints for an installed run
            returncode, stderr = 1, traceback.format_exc()
            trace = assemble_uncaught_exception(type(error), error).as_airbyte_message()
            lines.append(filter_secrets(json.dumps(AirbyteMessageSerializer.dump(trace))))
    return Run.parse(returncode, "".join(f"{line}\n" for line in lines), stderr)


def run_connector(
    command: str,
    config: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    state: list[dict[str, Any]] | None = None,
    debug: bool = False,
    **options: Any,
) -> Run:
    """The command with each given input written to a JSON file; `options` go to run_args."""
    with tempfile.TemporaryDirectory(prefix="tiktok-cli-") as folder:
        args = [command]
        for flag, value in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if value is not None:
                path = Path(folder) / f"{flag[2:]}.json"
                path.write_text(json.dumps(value))
                args += [flag, str(path)]
        return run_args([*args, *(["--debug"] if debug else [])], **options)


class _Printed(io.TextIOBase):
    """A stdout whose each complete line joins the run's output, in order with the rest."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *complete, self._partial = (self._partial + text).split("\n")
        self._lines.extend(line for line in complete if line)
        return len(text)


class _Lines(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(AirbyteLogFormatter())
        self._lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self._lines.append(self.format(record))


@contextlib.contextmanager
def _logs_into(lines: list[str]) -> Iterator[None]:
    """Log records become LOG lines in the run's output, where an installed run prints them.

    The CDK's own console handler (installed on import) would print them to this process's
    stdout as well, so it is set aside for the run.
    """
    handler = _Lines(lines)
    root = logging.getLogger()
    console = [kept for kept in root.handlers if getattr(kept, "stream", None) is PRINT_BUFFER]
    for kept in console:
        root.removeHandler(kept)
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for kept in console:
            root.addHandler(kept)


def catalog_for(streams: dict[str, str]) -> dict[str, Any]:
    """A configured catalog from {stream: sync_mode}, with the connector's own keys."""
    keys = {
        "user_info": ([["open_id"]], None),
        "videos": ([["id"]], ["create_time"]),
        "user_stats": ([["open_id"], ["snapshot_at"]], ["snapshot_at"]),
        "video_stats": ([["video_id"], ["snapshot_at"]], ["snapshot_at"]),
        "daily_metrics": ([["open_id"], ["date"]], ["date"]),
        "audience_snapshots": (
            [["open_id"], ["snapshot_at"], ["dimension"], ["value"]],
            ["snapshot_at"],
        ),
        "comments": ([["comment_id"]], None),
    }
    configured = []
    for name, mode in streams.items():
        primary_key, cursor = keys[name]
        configured.append(
            {
                "stream": {
                    "name": name,
                    "json_schema": {},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                    "source_defined_primary_key": primary_key,
                    **({"default_cursor_field": cursor} if cursor else {}),
                },
                "sync_mode": mode,
                "destination_sync_mode": "append_dedup" if mode == "incremental" else "overwrite",
                "primary_key": primary_key,
                **({"cursor_field": cursor} if cursor and mode == "incremental" else {}),
            }
        )
    return {"streams": configured}
