"""The benchmark harness still works end to end: `python -m bench --quick` writes a full report.

Checks that every section is there and holds what real runs counted (records, requests); timings
on a shared CI machine say nothing, so none is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import giant_arrays
from bench.harness import NO_BYTECODE, child_env
from bench.scenarios import QUICK
from integration_tests.cli import HANG_SECONDS

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "## Machine",
    "## What users wait for",
    "## Targets",
    "## 1. Throughput",
    "## 2. Memory",
    "## 3. Start-up",
    "## 4. Request economy",
    "## 5. Under TikTok's conditions",
    "## 6. Business mode under the API for Business's window",
    "## Profile of the connector",
    "## Method",
)


@pytest.mark.long_running
def test_quick_benchmark_writes_every_section_of_the_report(tmp_path: Path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    for heading in SECTIONS:
        assert heading in text, heading
    assert "mode: **quick**" in text
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    verdicts = [line for line in targets.splitlines() if line.startswith("| ") and "**" in line]
    assert len(verdicts) == 7 + len(QUICK.wait_latencies_ms) * 2 + 1
    assert all("**met**" in line or "**missed**" in line for line in verdicts)
    # Counted by real runs: every video read, and the requests the emulator saw.
    assert f"| connector | {QUICK.throughput_videos} | " in text
    assert f"| {QUICK.memory_videos[1]:,} | {QUICK.memory_videos[1] + 1:,} | " in text
    [lookback] = QUICK.economy_lookbacks
    assert f"| {lookback} | full refresh | {QUICK.economy_videos} | 1 | 1 | " in text
    assert f"| connector | {QUICK.conditions_videos + 1} | " in text
    assert (
        f"| {QUICK.business_posts:,} | {QUICK.business_latency_ms} | {QUICK.business_posts + 1:,} | "
        in text
    )
    # the profile is of a real read: the stream's reading took measurable time
    profiled = re.search(
        r"^\| reading the stream \(AbstractSource\._read_stream\) \| (\S+) \|", text, re.M
    )
    assert profiled, "no profile row for the stream's read"
    assert float(profiled.group(1)) > 0, "the profile holds no read"
    for latency in QUICK.wait_latencies_ms:
        for videos in QUICK.wait_videos:
            assert f"| {videos:,} | {latency} | 8 | {videos + 1:,} | " in text
    # What --quick leaves out is said in the report, not silently dropped.
    assert "**Rate-limit-binding run: not run**" in text
    assert "**Not run** in --quick mode." in text


def test_uncached_start_up_reads_no_bytecode_whatever_the_venv_holds() -> None:
    """The venv's own `.pyc` files (the scripts compile them) must not make the "no .pyc" start-up
    rows a cached start: the child looks for bytecode only in a folder that stays empty."""
    probe = (
        "import importlib.util, json, sys; "
        "print(sys.flags.dont_write_bytecode, importlib.util.cache_from_source(json.__file__))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=child_env(bytecode=False),
        capture_output=True,
        text=True,
        check=True,
    )
    flag, cached = done.stdout.split()
    assert flag == "1"
    assert Path(cached).is_relative_to(NO_BYTECODE)
    assert not NO_BYTECODE.exists() or not any(NO_BYTECODE.iterdir())


def test_giant_arrays_measures_a_real_read_of_long_retention_curves(tmp_path: Path) -> None:
    summary = giant_arrays.measure(posts=3, entries=4_000, work=tmp_path)
    assert re.fullmatch(
        r"3 posts x 4000 retention entries: peak RSS \d+ MiB, 6 records, exit 0, [\d.]+ s",
        summary,
    ), summary
