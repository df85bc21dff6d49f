"""A PyAirbyte install of its own, outside the project's lock: its pins clash with ours.

Built once with uv under `~/.cache/source-tiktok-organic/pyairbyte-<version>` (or
`$PYAIRBYTE_VENV`) and reused while its marker file says the install completed.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

PYAIRBYTE_VERSION = "0.71.3"
MARKER = ".installed"
INSTALL_TIMEOUT = 900


class PyAirbyteInstallError(RuntimeError):
    """The PyAirbyte environment could not be built (no uv, no PyPI, a broken wheel)."""


def venv_dir() -> Path:
    override = os.environ.get("PYAIRBYTE_VENV")
    if override:
        return Path(override).expanduser().absolute()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "source-tiktok-organic" / f"pyairbyte-{PYAIRBYTE_VERSION}"


def pyairbyte_python() -> Path:
    """The python of a venv holding `airbyte==PYAIRBYTE_VERSION`, installed the first time."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    marker = venv / MARKER
    if _installed(marker):
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Two test sessions may start at once: one installs, the other waits and reuses it.
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _installed(marker):
            _install(venv, python, marker)
    return python


def _installed(marker: Path) -> bool:
    return marker.exists() and marker.read_text().strip() == PYAIRBYTE_VERSION


def _install(venv: Path, python: Path, marker: Path) -> None:
    uv = _uv()
    shutil.rmtree(venv, ignore_errors=True)  # a half-built one from an interrupted install
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PYTHON")}
    steps = (
        [*uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        # Bytecode up front: PyAirbyte imports ~3 s compiled, ~8 s from source every run
        # where PYTHONDONTWRITEBYTECODE is set.
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--python",
            str(python),
            f"airbyte=={PYAIRBYTE_VERSION}",
        ],
        [str(python), "-c", "import airbyte, duckdb"],
    )
    for step in steps:
        try:
            done = subprocess.run(
                step, capture_output=True, text=True, env=env, timeout=INSTALL_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PyAirbyteInstallError(_failure(venv, step, str(exc))) from exc
        if done.returncode != 0:
            raise PyAirbyteInstallError(_failure(venv, step, done.stderr or done.stdout))
    marker.write_text(PYAIRBYTE_VERSION + "\n")


def _uv() -> list[str]:
    """`uv` on PATH, else `python3 -m uv`, as scripts/uv.sh finds it."""
    found = shutil.which("uv")
    if found:
        return [found]
    for python in filter(None, (sys.executable, shutil.which("python3"))):
        probe = subprocess.run([python, "-m", "uv", "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return [python, "-m", "uv"]
    raise PyAirbyteInstallError(
        "uv is needed to build the PyAirbyte environment: neither `uv` nor `python3 -m uv` works"
        " (install it with `python3 -m pip install uv`)."
    )


def _failure(venv: Path, step: list[str], output: str) -> str:
    tail = "\n".join(output.strip().splitlines()[-15:])
    return (
        f"could not build the PyAirbyte {PYAIRBYTE_VERSION} environment in {venv}.\n"
        f"`{' '.join(step)}` failed:\n{tail}\n"
        "The first run needs PyPI access (later runs reuse the environment); set PYAIRBYTE_VENV"
        " to build it elsewhere."
    )
