"""Kill a long read at random points; resuming from the last state read must lose nothing.

What a destination holds when the connector dies is every message it printed up to then. One
seed kills the installed command for real (SIGKILL, nothing flushed on the way out); the
others cut a whole in-process read's output at the kill point, which gives a destination the
same messages for a fraction of the cost, so more points are tried.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from integration_tests.cli import HANG_SECONDS, catalog_for, command_path, run_connector
from integration_tests.conftest import DATASET_NOW, config_for
from tiktok_emulator import TikTokEmulator, generate_dataset

VIDEOS = 800  # 40 pages: enough for the list to be cut into windows read at once


@dataclass
class Received:
    """What a destination kept of a read: its records, the last state per stream, the config."""

    config: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    states: dict[str, Any] = field(default_factory=dict)

    def take(self, lines: Iterable[str | bytes], kill_after: int) -> bool:
        """Takes messages until the `kill_after`-th record; True if the read got that far."""
        for line in lines:
            message = json.loads(line)
            if message["type"] == "RECORD":
                self.records.append(message["record"]["data"])
            elif message["type"] == "STATE":
                state = message["state"]
                self.states[state["stream"]["stream_descriptor"]["name"]] = state
            elif message["type"] == "CONTROL":
                self.config = message["control"]["connectorConfig"]["config"]
            if len(self.records) >= kill_after:
                return True
        return False


def killed_installed_read(config: dict, catalog: dict, kill_after: int) -> Received:
    """The installed command, SIGKILLed once the destination has `kill_after` records."""
    received = Received(config)
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / f"{name}.json" for name in ("config", "catalog")}
        paths["config"].write_text(json.dumps(config))
        paths["catalog"].write_text(json.dumps(catalog))
        args = [command_path(), "read", "--config", str(paths["config"])]
        args += ["--catalog", str(paths["catalog"])]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
            assert proc.stdout is not None
            assert received.take(proc.stdout, kill_after), "the read ended before the kill"
            proc.kill()
            proc.wait(timeout=30)
    return received


def cut_in_process_read(config: dict, catalog: dict, kill_after: int) -> Received:
    """A whole in-process read, of which the destination kept the first `kill_after` records."""
    received = Received(config)
    whole = run_connector("read", config, catalog)
    assert received.take(whole.stdout.splitlines(), kill_after), "the read ended before the cut"
    return received


@pytest.mark.parametrize(
    ("seed", "killed"),
    [
        (11, killed_installed_read),
        (23, cut_in_process_read),
        (47, cut_in_process_read),
        (5, cut_in_process_read),
        (89, cut_in_process_read),
    ],
    ids=["SIGKILL-11", "cut-23", "cut-47", "cut-5", "cut-89"],
)
def test_given_read_killed_at_random_point_when_resumed_then_union_is_the_dataset(
    seed: int, killed: Callable[[dict, dict, int], Received]
) -> None:
    kill_after = random.Random(seed).randrange(1, VIDEOS)
    dataset = generate_dataset(videos=VIDEOS, seed=seed, now=DATASET_NOW)
    with TikTokEmulator(dataset=dataset) as emu:
        catalog = catalog_for({"videos": "incremental"})
        first = killed(config_for(emu), catalog, kill_after)
        assert len(first.records) == kill_after
        resumed = run_connector("read", first.config, catalog, list(first.states.values()) or None)
        second = resumed.records()
        every = {video["id"] for video in emu.dataset.videos}
        assert {r["id"] for r in first.records} | {r["id"] for r in second} == every
        assert len(second) == len({r["id"] for r in second}), "duplicates within one sync"
        assert_claims_only_what_was_emitted(first, emu.dataset.videos)


def assert_claims_only_what_was_emitted(first: Received, videos: list[dict]) -> None:
    """The last STATE of a killed sync claims no video that sync did not emit."""
    claimed = first.states.get("videos", {}).get("stream", {}).get("stream_state", {})
    mark = claimed.get("create_time")
    if mark is None:
        return
    emitted = {record["id"] for record in first.records}
    assert {video["id"] for video in videos if video["create_time"] <= mark} <= emitted


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_given_a_read_stopped_by_a_signal_then_one_line_no_traceback_and_the_resume_is_whole(
    signum: int,
) -> None:
    dataset = generate_dataset(videos=VIDEOS, seed=31, now=DATASET_NOW)
    with TikTokEmulator(dataset=dataset) as emu, tempfile.TemporaryDirectory() as folder:
        emu.latency_ms = 20  # a read long enough to be stopped in the middle
        catalog = catalog_for({"videos": "incremental", "video_stats": "incremental"})
        paths = {name: Path(folder) / f"{name}.json" for name in ("config", "catalog")}
        paths["config"].write_text(json.dumps(config_for(emu)))
        paths["catalog"].write_text(json.dumps(catalog))
        args = [command_path(), "read", "--config", str(paths["config"])]
        args += ["--catalog", str(paths["catalog"])]
        received = Received(config_for(emu))
        with subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None
            assert proc.stderr is not None
            assert received.take(proc.stdout, 30), "the read ended before the signal"
            proc.send_signal(signum)
            rest = proc.stdout.read().splitlines()
            errors = proc.stderr.read()
            proc.wait(timeout=HANG_SECONDS)
        received.take(rest, VIDEOS * 3)  # what arrived before the signal was handled counts too
        resumed = run_connector(
            "read", received.config, catalog, list(received.states.values()) or None
        )

    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum
    assert "Traceback" not in errors
    assert errors.count("\n") == 1, errors  # the one line, for a person whose stdout is a file
    logs = [json.loads(line)["log"]["message"] for line in rest if '"type": "LOG"' in line]
    assert [log for log in logs if log.startswith("Stopped by")] == [
        f"Stopped by {name}: the command did not finish. A read resumes from the last STATE "
        "message it printed, losing nothing."
    ]
    assert not [line for line in rest if "Finished syncing" in line]
    every = {video["id"] for video in dataset.videos}
    taken = {r["id"] for r in received.records if "id" in r}
    assert taken | {r["id"] for r in resumed.records("videos")} == every
