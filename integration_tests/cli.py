"""Runs the installed `source-tiktok-organic` command as Airbyte would: files in, messages out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type

COMMAND = "source-tiktok-organic"


@dataclass
class Run:
    """One connector invocation: every stdout line parsed and validated as an Airbyte message."""

    returncode: int
    stdout: str
    stderr: str
    messages: list[AirbyteMessage] = field(default_factory=list)

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

    def latest_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config the platform would store after this run (the last CONTROL message's)."""
        controls = self.of_type(Type.CONTROL)
        return controls[-1].control.connectorConfig.config if controls else config


def command_path() -> str:
    """The console script installed next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).with_name(COMMAND)
    return str(beside) if beside.exists() else (shutil.which(COMMAND) or COMMAND)


def run_connector(
    command: str,
    config: dict[str, Any] | None = None,
    catalog: dict[str, Any] | None = None,
    state: list[dict[str, Any]] | None = None,
    timeout: float = 120,
    debug: bool = False,
) -> Run:
    with tempfile.TemporaryDirectory(prefix="tiktok-cli-") as folder:
        args = [command_path(), command]
        for flag, value in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if value is not None:
                path = Path(folder) / f"{flag[2:]}.json"
                path.write_text(json.dumps(value))
                args += [flag, str(path)]
        if debug:
            args.append("--debug")
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    parsed = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    # --debug makes the CDK print its own {"type": "DEBUG"} lines, outside the protocol
    messages = [
        AirbyteMessageSerializer.load(message)
        for message in parsed
        if not (debug and message.get("type") == "DEBUG")
    ]
    return Run(done.returncode, done.stdout, done.stderr, messages)


def catalog_for(streams: dict[str, str]) -> dict[str, Any]:
    """A configured catalog from {stream: sync_mode}, with the connector's own keys."""
    keys = {
        "user_info": ([["open_id"]], None),
        "videos": ([["id"]], ["create_time"]),
        "user_stats": ([["open_id"], ["snapshot_at"]], ["snapshot_at"]),
        "video_stats": ([["video_id"], ["snapshot_at"]], ["snapshot_at"]),
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
