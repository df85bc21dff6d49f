"""Process plumbing: run a program with its output in a file and measure what it cost.

Every measured program is a child process started through bench/launch.py, so its wall time,
CPU time (user + sys) and peak RSS come from the kernel (`os.wait4` rusage) rather than from
instrumentation inside it. The emulator is a separate process too, so serving requests never
competes with the harness for one GIL.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CONNECTOR = str(Path(sys.executable).with_name("source-tiktok-organic"))
RECORD_PREFIX = b'{"type":"RECORD"'
BYTECODE_CACHE = (
    Path(tempfile.gettempdir()) / f"tiktok-bench-pycache-{sys.version_info[0]}{sys.version_info[1]}"
)
NO_BYTECODE = Path(tempfile.gettempdir()) / "tiktok-bench-no-pycache"  # stays empty
SEED = 7  # every emulator's dataset, so every run reads the same account


@dataclass(frozen=True)
class Measurement:
    """What one child process cost, as the kernel accounted it."""

    wall_s: float
    user_s: float
    sys_s: float
    max_rss_kib: int
    returncode: int

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s


@dataclass(frozen=True)
class Spread:
    """Median with min and max: the median resists one noisy run, min-max shows the noise."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


def child_env(bytecode: bool = True) -> dict[str, str]:
    """The project root on the path, so `python -m bench.x` works from any directory.

    Children read and write bytecode in a cache of the bench's own, as the Docker image's
    compiled install would. `bytecode=False` measures the uncached start on purpose: its cache
    is an empty folder nothing may write to, so every start compiles every module it imports,
    the standard library's included, whatever the venv holds.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_CACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(NO_BYTECODE)
    return env


def run_measured(
    argv: Sequence[str],
    stdout: Path,
    stderr: Path | None = None,
    timeout: float = 600,
    bytecode: bool = True,
) -> Measurement:
    """Runs argv to completion with stdout in a file, through bench.launch (see why there)."""
    err = stderr or stdout.with_suffix(".stderr")
    usage = stdout.with_suffix(".rusage.json")
    launcher = [PYTHON, "-S", "-m", "bench.launch", str(usage), "--", *argv]
    with stdout.open("wb") as out, err.open("wb") as errors:
        process = subprocess.Popen(
            launcher,
            stdout=out,
            stderr=errors,
            cwd=ROOT,
            env=child_env(bytecode),
            start_new_session=True,  # so a timeout can end the program along with the launcher
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise RuntimeError(f"{argv[0]} ran longer than {timeout:.0f} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"the launcher failed: {err.read_text(errors='replace')[-2000:]}")
    measured = json.loads(usage.read_text())
    usage.unlink()
    return Measurement(**measured)


def require_success(name: str, measurement: Measurement, stdout: Path) -> None:
    """A failed run must stop the benchmark loudly, never become a fast-looking number."""
    if measurement.returncode != 0:
        errors = stdout.with_suffix(".stderr").read_text(errors="replace")[-2000:]
        tail = stdout.read_bytes()[-2000:].decode(errors="replace")
        raise RuntimeError(f"{name} exited {measurement.returncode}:\n{errors}\n{tail}")


def count_records(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.startswith(RECORD_PREFIX))


def count_videos(path: Path) -> tuple[int, int]:
    """`videos` records with an id, and distinct ids among them: lost and duplicated come from
    these, since an emulator serves every id of its account and no other."""
    ids = []
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(RECORD_PREFIX):
                record = orjson.loads(line)["record"]
                if record["stream"] == "videos" and "id" in record["data"]:
                    ids.append(record["data"]["id"])
    return len(ids), len(set(ids))


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path


class EmulatorProcess:
    """`python -m tiktok_emulator` in its own process, with its admin counters."""

    def __init__(
        self, videos: int, *, latency_ms: int = 0, rate_limit: int = 0, rotation: str = "off"
    ) -> None:
        self.argv = [
            PYTHON,
            *("-m", "tiktok_emulator", "--host", "127.0.0.1", "--port", "0"),
            *("--videos", str(videos), "--seed", str(SEED), "--latency-ms", str(latency_ms)),
            *("--rate-limit", str(rate_limit), "--rotation", rotation),
        ]
        self._process: subprocess.Popen[str] | None = None
        self.ready: dict[str, Any] = {}

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=child_env()
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._process.wait(timeout=10)
            raise RuntimeError(f"the emulator exited {self._process.returncode} before serving")
        self.ready = json.loads(line)
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=15)

    @property
    def url(self) -> str:
        return str(self.ready["api_base_url"])

    def config(self, **overrides: Any) -> dict[str, Any]:
        """A connector config for this emulator; benchmarks add their own knobs."""
        keys = ("client_id", "client_secret", "refresh_token")
        return {**{key: self.ready[key] for key in keys}, "api_base_url": self.url, **overrides}

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_emulator/stats", timeout=10) as response:
            return dict(json.load(response))

    def reset(self) -> None:
        request = urllib.request.Request(self.url + "/_emulator/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10):
            pass
