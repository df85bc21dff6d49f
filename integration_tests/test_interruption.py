"""Kill a long read at random points; resuming from the last state read must lose nothing."""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from integration_tests.cli import catalog_for, command_path, run_connector
from integration_tests.conftest import DATASET_NOW, config_for
from tiktok_emulator import TikTokEmulator, generate_dataset

VIDEOS = 800  # 40 pages: enough for the listing to cut it and read stretches at once


def read_until_killed(config: dict, catalog: dict, kill_after: int) -> tuple[list, list, dict]:
    """What a destination saw before the connector died: records, last state, last config."""
    records: list[dict[str, Any]] = []
    states: dict[str, Any] = {}
    latest_config = config
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / f"{name}.json" for name in ("config", "catalog")}
        paths["config"].write_text(json.dumps(config))
        paths["catalog"].write_text(json.dumps(catalog))
        args = [command_path(), "read", "--config", str(paths["config"])]
        args += ["--catalog", str(paths["catalog"])]
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                message = json.loads(line)
                if message["type"] == "RECORD":
                    records.append(message["record"]["data"])
                elif message["type"] == "STATE":
                    states[message["state"]["stream"]["stream_descriptor"]["name"]] = message[
                        "state"
                    ]
                elif message["type"] == "CONTROL":
                    latest_config = message["control"]["connectorConfig"]["config"]
                if len(records) >= kill_after:
                    proc.kill()
                    break
            proc.wait(timeout=30)
    return records, list(states.values()), latest_config


@pytest.mark.parametrize("seed", [11, 23, 47])
def test_given_read_killed_at_random_point_when_resumed_then_union_is_the_dataset(
    seed: int,
) -> None:
    kill_after = random.Random(seed).randrange(1, VIDEOS)
    dataset = generate_dataset(videos=VIDEOS, seed=seed, now=DATASET_NOW)
    with TikTokEmulator(dataset=dataset) as emu:
        config = config_for(emu)
        catalog = catalog_for({"videos": "incremental"})
        first, states, latest_config = read_until_killed(config, catalog, kill_after)
        assert len(first) == kill_after
        resumed = run_connector("read", latest_config, catalog, states or None)
        assert resumed.returncode == 0, resumed.errors()
        second = resumed.records()
        every = {video["id"] for video in emu.dataset.videos}
        assert {r["id"] for r in first} | {r["id"] for r in second} == every
        assert len(second) == len({r["id"] for r in second}), "duplicates within one sync"
        # the resumed sync re-reads at most the part after the last checkpoint (plus overlap)
        assert len(second) <= VIDEOS - len(first) + 40
