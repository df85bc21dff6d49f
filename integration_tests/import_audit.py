"""Which installed distributions the connector imports, over everything the image is asked to do.

The image leaves out the distributions named in `.ci/unimported-packages.txt`: airbyte-cdk
requires them, but the connector never imports them. `audit` is the proof: it runs the
connector, each command in a fresh interpreter, through spec, check, discover, a read of every
stream and an incremental read from its state, in both account modes, plus a read through
TikTok's retried errors, a failed check and a `--debug` read; then it maps every module those
processes imported onto the distribution that installed it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

from integration_tests.cli import HANG_SECONDS, catalog_for
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator

ROOT = Path(__file__).resolve().parent.parent
UNIMPORTED_LIST = ROOT / ".ci" / "unimported-packages.txt"
BUSINESS_CATALOG = ROOT / "integration_tests" / "configured_catalog_business.json"
CREATOR_STREAMS = ("user_info", "user_stats", "videos", "video_stats")

# The console script's `run()`, recording what it imports beyond the interpreter's own start-up.
RUN_AND_RECORD = """
import atexit, json, sys
before = set(sys.modules)
record, sys.argv = sys.argv[1], ["source-tiktok-organic", *sys.argv[2:]]
def dump():
    with open(record, "w") as out:
        json.dump(sorted(set(sys.modules) - before), out)
atexit.register(dump)
from source_tiktok_organic.run import run
run()
"""


def unimported_packages() -> list[str]:
    """The names in `.ci/unimported-packages.txt`, as written (comments and blanks dropped)."""
    lines = (line.split("#", 1)[0].strip() for line in UNIMPORTED_LIST.read_text().splitlines())
    return [line for line in lines if line]


@dataclass
class Audit:
    """The modules the connector imported, and what each command it ran put out."""

    folder: Path
    modules: set[str] = field(default_factory=set)
    records: dict[str, int] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)

    def run(self, *args: str, fails: bool = False, **files: Any) -> list[dict[str, Any]]:
        """`source-tiktok-organic ARGS` with each of `files` as --NAME FILE (a path or content)."""
        argv = list(args)
        for name, content in files.items():
            path = content if isinstance(content, Path) else self.folder / f"{name}.json"
            if not isinstance(content, Path):
                path.write_text(json.dumps(content))
            argv += [f"--{name}", str(path)]
        record = self.folder / "imported.json"
        done = subprocess.run(
            [sys.executable, "-c", RUN_AND_RECORD, str(record), *argv],
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
            check=False,
        )
        messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        errors = [m for m in messages if m["type"] == "TRACE" and m["trace"].get("error")]
        failed = done.returncode != 0 or bool(errors) or failed_check(messages)
        assert failed == fails, f"{argv}: exit {done.returncode}, {errors}, {done.stderr[-2000:]}"
        self.modules |= set(json.loads(record.read_text()))
        self.commands.append(" ".join(args))
        for message in messages:
            if message["type"] == "RECORD":
                stream = message["record"]["stream"]
                self.records[stream] = self.records.get(stream, 0) + 1
        return messages

    def distributions(self) -> set[str]:
        """The distributions that installed the imported modules (this interpreter's mapping)."""
        owners = packages_distributions()
        return {
            normalized(dist)
            for module in self.modules
            for dist in owners.get(module.split(".", 1)[0], [])
        }


def failed_check(messages: list[dict[str, Any]]) -> bool:
    return any(
        m["type"] == "CONNECTION_STATUS" and m["connectionStatus"]["status"] != "SUCCEEDED"
        for m in messages
    )


def normalized(name: str) -> str:
    """PEP 503: `PyYAML`, `pyyaml` and `py_yaml` are one distribution."""
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


def last_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    latest = {
        m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]
        for m in messages
        if m["type"] == "STATE"
    }
    return list(latest.values())


def audit(folder: Path) -> Audit:
    """Every command of both modes, on one config file each that the connector keeps updated."""
    done = Audit(folder)
    done.run("spec")
    with TikTokEmulator(dataset=generate_dataset(videos=45, seed=7)) as creator:
        config = folder / "creator.json"
        config.write_text(json.dumps(creator.connector_config(request_timeout_seconds=5)))
        catalog = catalog_for(
            {
                "user_info": "full_refresh",
                "user_stats": "incremental",
                "videos": "incremental",
                "video_stats": "incremental",
            }
        )
        done.run("check", config=config)
        done.run("discover", config=config)
        creator.faults.rate_limit_burst = 1  # retried, with the CDK's rate-limit handling
        creator.faults.server_error_burst = 1
        first = done.run("read", config=config, catalog=catalog)
        done.run("read", "--debug", config=config, catalog=catalog, state=last_states(first))
        wrong = {**creator.connector_config(), "refresh_token": "rft.never-issued"}
        done.run("check", fails=True, config=wrong)
        done.run("read", fails=True, config=wrong, catalog=catalog)
    with BusinessEmulator() as business:
        config = folder / "business.json"
        config.write_text(json.dumps(business.connector_config()))
        catalog = json.loads(BUSINESS_CATALOG.read_text())
        done.run("check", config=config)
        done.run("discover", config=config)
        first = done.run("read", config=config, catalog=catalog)
        done.run("read", config=config, catalog=catalog, state=last_states(first))
    return done
