"""Which installed distributions the connector imports, over everything the image is asked to do.

The image leaves out the distributions named in `.ci/unimported-packages.txt`: airbyte-cdk
requires them, but the connector never imports them. `audit` is the proof: it runs the
connector through spec, check, discover, a read of every stream and an incremental read from
its state, in both account modes, plus a read through TikTok's retried errors, a failed check and
a `--debug` read; then it maps every module imported onto the distribution that installed it.
The commands run one after another in one fresh interpreter, the console script's own `launch`
each time: what any of them imports stays imported, so the union is what the image needs, at
the cost of one interpreter's start instead of one per command.
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

# The console script's `launch`, once per command read from stdin (a JSON argv a line); after
# each, a DONE line with its exit code; at the end, what was imported beyond start-up. Messages go
# through the CDK's print buffer, as the console script's do, so no thread's log line splits one.
DONE = "AUDIT-DONE"
RUN_AND_RECORD = """
import json, sys
before = set(sys.modules)
from source_tiktok_organic.run import launch
from airbyte_cdk.logger import PRINT_BUFFER
with PRINT_BUFFER:
    for line in sys.stdin:
        try:
            code = launch(json.loads(line), lambda message: PRINT_BUFFER.write(message + "\\n"))
        except BaseException as error:  # the real command would end here, exit 1
            print(f"{type(error).__name__}: {error}", file=sys.__stderr__, flush=True)
            code = 1
        PRINT_BUFFER.write(f"AUDIT-DONE {code}\\n")
        PRINT_BUFFER.flush()
print(json.dumps(sorted(set(sys.modules) - before)), flush=True)
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
    _process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Audit:
        self._process = subprocess.Popen(
            [sys.executable, "-c", RUN_AND_RECORD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        return self

    def __exit__(self, *_: object) -> None:
        assert self._process is not None
        output, _ = self._process.communicate(timeout=HANG_SECONDS)
        self.modules = set(json.loads(output.splitlines()[-1]))

    def run(self, *args: str, fails: bool = False, **files: Any) -> list[dict[str, Any]]:
        """`source-tiktok-organic ARGS` with each of `files` as --NAME FILE (a path or content)."""
        argv = list(args)
        for name, content in files.items():
            path = content if isinstance(content, Path) else self.folder / f"{name}.json"
            if not isinstance(content, Path):
                path.write_text(json.dumps(content))
            argv += [f"--{name}", str(path)]
        process = self._process
        assert process is not None
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(argv) + "\n")
        process.stdin.flush()
        lines = []
        for line in process.stdout:
            if line.startswith(DONE):
                code = int(line.split()[1])
                break
            lines.append(line)
        else:
            raise AssertionError(f"{argv}: the audit's interpreter ended")
        messages = [json.loads(line) for line in lines if line.startswith("{")]
        errors = [m for m in messages if m["type"] == "TRACE" and m["trace"].get("error")]
        failed = code != 0 or bool(errors) or failed_check(messages)
        assert failed == fails, f"{argv}: exit {code}, {errors}"
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
    with Audit(folder) as done:
        _every_command(done, folder)
    return done


def _every_command(done: Audit, folder: Path) -> None:
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
