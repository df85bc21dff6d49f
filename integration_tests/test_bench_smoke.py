"""The benchmark harness still works end to end: `python -m bench --quick` writes a full report.

Checks that every section is there and holds what real runs counted (records, requests), that
every number in its sentences is one its tables hold, and that its charts are drawn; timings on
a shared CI machine say nothing, so none is asserted. No hand-written file quotes a figure the
benchmark measures: those live in BENCHMARKS.md alone, where each run rewrites them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench import giant_arrays
from bench.floor import RECORD_HEAD
from bench.harness import NO_BYTECODE, child_env
from bench.report import CHARTS
from bench.scenarios import QUICK
from integration_tests.cli import HANG_SECONDS
from tiktok_emulator import TikTokEmulator, generate_dataset

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = (
    "## Headline",
    "## This run",
    "## Set-up",
    "## What users wait for",
    "## Targets",
    "## 1. Throughput",
    "## 2. Memory",
    "## 3. Start-up",
    "## 4. Request economy",
    "## 5. Under TikTok's conditions",
    "## 6. Business mode under the API for Business's window",
    "## 7. Oversized insight arrays",
    "## 8. State size: the roll of listed videos",
    "## Profile of the connector",
    "## Analysis",
    "## Method",
)
CHART_NAMES = ("waits", "requests", "memory")
# A number as the report prints one: 7, 2,691, 0.73 (of 0.73x), 7.6 (of +7.6%); not the 2 of v2.
NUMBER = re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
# What names a part of the text rather than quoting a figure: "section 5b", "issue 12", the
# "## 1." of a heading and the "1." of a numbered list.
REFERENCE = re.compile(r"\b(?:sections?|issue) \d+[a-z]?\b|^(?:#+ |\s*)\d+[a-z]?\. ", re.M | re.I)
CODE = re.compile(r"`[^`\n]*`")


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(REFERENCE.sub(" ", text)))


def analysis(report: str) -> str:
    """The hand-written part: bench/NOTES.md, from its heading to the next section."""
    return report.split("\n## Analysis", 1)[1].split("\n## ", 1)[0]


def unquoted_numbers(report: str) -> set[str]:
    """Numbers in the generated sentences (and headings) that no table of the report holds."""
    generated = report.replace(analysis(report), "")
    lines = generated.splitlines()
    tables = "\n".join(line for line in lines if line.startswith("|"))
    prose = "\n".join(line for line in lines if not line.startswith("|"))
    return numbers(prose) - numbers(tables)


def figures_outside_code(text: str) -> set[str]:
    return numbers(CODE.sub(" ", text))


def sentences_citing_the_benchmark(text: str) -> list[str]:
    """Sentences of a markdown file that mention the benchmark, code blocks left out."""
    text = re.sub(r"^```.*?^```", " ", text, flags=re.M | re.S)
    text = re.sub(r"^\s*(?:[-*]|\d+\.) ", " ", text, flags=re.M)  # list markers
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())):
            if re.search(r"\bbenchmark|\bbench/", sentence, re.I):
                found.append(sentence)
    return found


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
    assert "**This is a `--quick` run**" in text
    assert "    uv run --frozen python -m bench --quick\n" in text, "the command is not named"
    targets = text.split("## Targets", 1)[1].split("\n## ", 1)[0]
    verdicts = [line for line in targets.splitlines() if line.startswith("| ") and "**" in line]
    assert len(verdicts) == 9 + len(QUICK.wait_latencies_ms) * 3 + 2
    assert all("**met**" in line or "**missed**" in line for line in verdicts)
    # Counted by real runs: every video read, and the requests the emulator saw.
    assert f"| connector | {QUICK.throughput_videos} | " in text
    assert f"| window peer | {QUICK.throughput_videos} | 0 | 0 | " in text
    assert f"| {QUICK.memory_videos[1]:,} | {QUICK.memory_videos[1] + 1:,} | " in text
    [lookback] = QUICK.economy_lookbacks
    assert f"| {lookback} | full refresh | {QUICK.economy_videos} | 1 | 1 | " in text
    assert f"| connector | {QUICK.conditions_videos + 1} | " in text
    assert (
        f"| {QUICK.business_posts:,} | {QUICK.business_latency_ms} | {QUICK.business_posts + 1:,} | "
        in text
    )
    # the comments of a week of daily posts: every one read, one list page, a page per 30 each
    comments = re.search(
        r"^\| 7 \| ([\d,]+) \| 30 \| ([\d,]+) \| 1 \| (\d+) \| (\d+) \| 0 \| ", text, re.M
    )
    assert comments, "no comments row"
    assert comments.group(1) == comments.group(2)
    assert comments.group(3) == comments.group(4)
    # the profile is of a real read: the stream's reading took measurable time
    profiled = re.search(
        r"^\| reading the windows, summed over threads \(WindowPartition\.read\) \| (\S+) \|",
        text,
        re.M,
    )
    assert profiled, "no profile row for the stream's read"
    assert float(profiled.group(1)) > 0, "the profile holds no read"
    for latency in QUICK.wait_latencies_ms:
        for videos in QUICK.wait_videos:
            assert f"| {videos:,} | {latency} | 8 | {videos + 1:,} | 0 | 0 | " in text
            assert f"| window peer | {videos:,} | {latency} | 8 | {videos:,} | 0 | 0 | " in text
    for entries in QUICK.giant_entries:
        label = f"{entries:,}" if entries else "the emulator's own"
        posts = QUICK.giant_posts
        assert f"| {label} | {posts} | {posts * 2} | " in text, label
    # What --quick leaves out is said in the report, not silently dropped.
    assert "**Rate-limit-binding run: not run**" in text
    assert "**Not run** in --quick mode." in text
    # Every number a sentence quotes is one the run put in a table.
    assert not unquoted_numbers(text), unquoted_numbers(text)
    assert not figures_outside_code(analysis(text)), "the analysis quotes figures"
    # The charts are drawn from the same run, beside the report, and linked from it.
    linked = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text)
    assert sorted(linked) == sorted((CHARTS / f"{name}.png").as_posix() for name in CHART_NAMES)
    for link in linked:
        assert (tmp_path / link).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), link


def test_the_committed_report_quotes_only_its_own_tables_and_links_its_charts() -> None:
    """BENCHMARKS.md as committed is a full run's, untouched by hand since."""
    text = (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "\n    uv run --frozen python -m bench\n" in text, "not a full run's report"
    assert not unquoted_numbers(text), unquoted_numbers(text)
    assert not figures_outside_code(analysis(text)), "the analysis quotes figures"
    for link in re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text):
        assert (ROOT / link).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), link


def test_the_report_check_finds_a_figure_typed_into_a_sentence() -> None:
    report = (
        "# Benchmarks\n\n## 1. Throughput: 400 videos\n\n| program | videos | wall s |\n|---|---|---|\n"
        "| connector | 400 | 2.65x |\n\nThe connector is 2.65x the floor (section 3), reading 400.\n"
        "\n## Analysis\n\nWritten by hand.\n\n## Method\n\nOne command.\n"
    )
    assert not unquoted_numbers(report)
    assert unquoted_numbers(report.replace("is 2.65x", "is 2.25x")) == {"2.25"}
    assert unquoted_numbers(report.replace("the floor", "the floor, +9.0%")) == {"9.0"}


def test_no_hand_written_file_quotes_a_measured_figure() -> None:
    """The analysis reasons without figures, and no other page cites one of the benchmark's:
    a figure typed by hand is stale after the next run (BENCHMARKS.md is rewritten by each)."""
    notes = (ROOT / "bench" / "NOTES.md").read_text(encoding="utf-8")
    assert notes.startswith("## Analysis"), "the report finds the analysis by this heading"
    assert not figures_outside_code(notes), figures_outside_code(notes)
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for sentence in sentences_citing_the_benchmark(page.read_text(encoding="utf-8")):
            assert not figures_outside_code(sentence), f"{page.name}: {sentence}"


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


def test_window_peer_reads_every_video_once_with_at_most_its_workers_in_flight(
    tmp_path: Path,
) -> None:
    dataset = generate_dataset(videos=300, seed=7)
    with TikTokEmulator(dataset=dataset, rate_limit_per_minute=600, latency_ms=5) as emulator:
        config = tmp_path / "config.json"
        config.write_text(json.dumps(emulator.connector_config(num_workers=2)))
        done = subprocess.run(
            [sys.executable, "-m", "bench.window_peer", "read", "--config", str(config)],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            timeout=30,
            check=True,
        )
        stats = emulator.stats()
    lines = done.stdout.splitlines()
    assert all(line.startswith(RECORD_HEAD) for line in lines)
    ids = [json.loads(line)["record"]["data"]["id"] for line in lines]
    assert sorted(ids) == sorted(video["id"] for video in dataset.videos)
    assert stats["most_in_flight"]["/v2/video/list/"] <= 2
    assert not [key for key in stats["status_counts"] if not key.endswith(" 200")]
