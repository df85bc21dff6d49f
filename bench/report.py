"""Turns one run's results into BENCHMARKS.md and its charts: headline, run, set-up, targets, detail.

Every number, sentence and chart comes from the run that writes the file. Sentences quote only
what a table of the same file holds: each table's cells are formatted once, and the sentences
pick from those cells (integration_tests/test_bench_smoke.py checks every number in them). The
one hand-written part, bench/NOTES.md, is analysis that quotes no figure.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from bench import charts
from bench.business import COMMENTS_DAYS, WINDOW, BusinessRun, CommentsRun
from bench.giant_arrays import GiantRead
from bench.harness import ROOT, SEED, Spread
from bench.profiling import Profile
from bench.roll_size import RollSize
from bench.scenarios import (
    DEFAULT_RATE,
    DEFAULT_WORKERS,
    LIST_PATH,
    PAGE_SIZE,
    PROFILE_PATH,
    TIKTOK_RATE,
    TOKEN_PATH,
    UNLIMITED,
    WINDOW_PEER,
    Conditions,
    EconomyRow,
    Runs,
    Sizes,
    Throughput,
    WaitRow,
)
from source_tiktok_organic.business.comment_pages import COMMENTS_PER_PAGE
from source_tiktok_organic.business.records import MAX_ARRAY_ENTRIES
from source_tiktok_organic.core.deadlines import MAX_BODY_BYTES, MIB

NOTES = Path(__file__).with_name("NOTES.md")
CHARTS = Path("bench", "charts")  # beside the report, so its relative links work where it lands
TARGET_FLOOR_RATIO = 1.25
TARGET_PEER_RATIO = 0.6
TARGET_MEMORY_GROWTH = 0.10
TARGET_SPEC_RATIO = 1.1
TARGET_WINDOW_RATIO = 1.3
TARGET_WINDOW_PEER_RATIO = 1.1  # the largest account's read against the window peer's
TARGET_SMALL_SLOWDOWN = 1.1  # a small account with the default workers against one worker
TARGET_GIANT_RSS_MIB = 500
TARGET_ROLL_BYTES = 12  # the bound on the state a video costs


@dataclass
class Results:
    command: str
    quick: bool
    sizes: Sizes
    measured: str  # the commit, and whether the tree was clean when the run started
    started_utc: str
    elapsed_s: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    throughput: Throughput
    memory: dict[int, Runs]
    startup: dict[str, Runs]
    economy: list[EconomyRow]
    conditions: Conditions
    binding: Conditions | None
    profile: Profile
    waits: list[WaitRow]
    business: BusinessRun
    giant: list[GiantRead]
    roll: list[RollSize]


@dataclass(frozen=True)
class Target:
    goal: str
    measured: str
    met: bool


def render(results: Results) -> str:
    goals = targets(results)
    sections = [
        header(results),
        headline(results, goals),
        this_run(results),
        setup(results.sizes),
        "## Targets\n\n"
        + table(["Target", "Measured", "Verdict"], [[t.goal, t.measured, verdict(t.met)] for t in goals]),
        waits_section(results.waits),
        throughput_section(results.throughput, results.startup["bare spec"]),
        memory_section(results.memory),
        startup_section(results.startup),
        economy_section(results.economy),
        conditions_section(results.conditions, results.binding),
        business_section(results.business),
        giant_section(results.giant),
        roll_section(results.roll),
        profile_section(results.profile),
        notes(),
        method(),
    ]  # fmt: skip
    return "\n\n".join(section.strip() for section in sections) + "\n"


def write(results: Results, path: Path) -> dict[str, Path]:
    """The report at `path` and its charts in CHARTS beside it; returns the charts drawn."""
    drawn = charts.draw(
        path.parent / CHARTS,
        results.waits,
        results.economy,
        results.throughput,
        results.memory,
        results.giant,
        TARGET_GIANT_RSS_MIB,
    )
    path.write_text(render(results), encoding="utf-8")
    return drawn


# Formatting ------------------------------------------------------------------------------------


def spread(value: Spread, digits: int = 2) -> str:
    """`median (min-max)`, or just the value when there was one run."""
    if value.low == value.high:
        return median(value, digits)
    return f"{median(value, digits)} ({value.low:.{digits}f}-{value.high:.{digits}f})"


def median(value: Spread, digits: int = 2) -> str:
    """The median as `spread` prints it, for sentences that quote a table's cell."""
    return f"{value.median:.{digits}f}"


def table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def cells_table(rows: list[dict[str, str]]) -> str:
    """A table of rows formatted once, as dicts, so sentences can quote the very same cells."""
    return table(list(rows[0]), [list(row.values()) for row in rows])


def pairs_table(head: tuple[str, str], pairs: dict[str, str]) -> str:
    return table(list(head), [[key, value] for key, value in pairs.items()])


def verdict(met: bool) -> str:
    return "**met**" if met else "**missed**"


def ratio(a: Spread, b: Spread) -> float:
    return a.median / b.median


def chart(name: str, description: str) -> str:
    return f"![{description}]({(CHARTS / f'{name}.png').as_posix()})"


def listing(values: list[str]) -> str:
    return ", ".join(values)


# Header, headline, run and set-up --------------------------------------------------------------


def header(results: Results) -> str:
    quick = (
        "\n\n**This is a `--quick` run**: tiny sizes, one run each, sections side by side. It "
        "checks the harness; its numbers mean nothing."
        if results.quick
        else ""
    )
    return f"""
# Benchmarks

Everything below, every number, sentence and chart, is written by one command from one run:

    {results.command}

"This run" names the commit it measured and what else the machine was doing. Run the command
again to refresh this file and the charts in `bench/charts/`. Only the Analysis near the end is
written by hand, and it quotes no figure. Figures are `median (min-max)` over the runs the
set-up states; programs were run alternately (A B C A B C ...).{quick}
"""


def headline(results: Results, goals: list[Target]) -> str:
    lines = []
    largest = max(row.videos for row in results.waits)
    for connector, peer in window_pairs(results.waits):
        if connector.videos == largest:
            cells, versus = wait_cells(connector), versus_cells(connector, peer)
            lines.append(
                f"- **A whole account under TikTok's conditions**: {cells['videos']} videos at "
                f"{cells['latency ms']} ms a request read in {cells['wall s']} s, "
                f"{cells['vs window floor']} the window floor and "
                f"{versus['connector / window peer']} the window peer's time; one page at a "
                f"time could not go under {cells['one-at-a-time floor s']} s."
            )
    figures = throughput_figures(results.throughput, results.startup["bare spec"])
    cells = throughput_cells(results.throughput)["connector"]
    lines.append(
        f"- **Zero added latency** ({results.throughput.videos:,} videos, section 1): the "
        f"connector's wall time is {figures[FLOOR_WALL]} the floor's and {figures[PEER_WALL]} the "
        f"peer's. It made {cells['list requests']} list requests where the fewest is "
        f"{figures[FEWEST]}, and wrote {cells['records']} records."
    )
    (small, few), (large, many) = sorted(results.memory.items())
    lines.append(
        f"- **Memory**: peak RSS {median(few.rss_mib, 1)} MiB at {small:,} videos, "
        f"{median(many.rss_mib, 1)} MiB at {large:,} (section 2)."
    )
    missed = [f"{t.goal}: {t.measured}" for t in goals if not t.met]
    lines.append(
        "- **Targets missed**: " + "; ".join(missed) + "."
        if missed
        else "- **Targets**: every one met."
    )
    return "## Headline\n\n" + "\n".join(lines)


def this_run(results: Results) -> str:
    cpu = _cpuinfo_field("model name") or platform.processor() or "unknown"
    ram_kib = _meminfo_kib("MemTotal")
    packages = listing(
        [
            f"{name} {version(name)}"
            for name in ("airbyte-cdk", "requests", "orjson", "urllib3", "matplotlib")
        ]
    )
    facts = {
        "Command": f"`{results.command}`",
        "Mode": "quick" if results.quick else "full",
        "Connector measured": results.measured,
        "Started": f"{results.started_utc} UTC",
        "Took": f"{results.elapsed_s / 60:.1f} min",
        "Load average (1, 5, 15 min) before": _load(results.load_before),
        "Load average (1, 5, 15 min) after": _load(results.load_after),
        "CPU": f"{cpu}, {os.cpu_count()} logical cores",
        "RAM": f"{ram_kib / 1024 / 1024:.1f} GiB" if ram_kib else "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": f"{platform.python_implementation()} {platform.python_version()} "
        f"(`{sys.executable}`)",
        "Packages": packages,
    }
    return f"""
## This run

{pairs_table(("", ""), facts)}

- Network: loopback only; the emulator (tiktok_emulator) runs as its own process, except in
  the request-economy runs, which count requests and time nothing.
- A load average above zero means other work shared the cores: wall times suffer first, CPU
  times less.
- Bytecode: children run with a .pyc cache (as the Docker image, where pip compiles on
  install); the uncached start-up, as a venv synced without `--compile-bytecode` starts, is
  measured separately.
"""


def setup(sizes: Sizes) -> str:
    def sized(values: tuple[int | None, ...]) -> str:
        return listing([f"{n:,}" if n is not None else "the emulator's own" for n in values])

    rows = {
        "Videos a list page holds (TikTok's most)": str(PAGE_SIZE),
        "TikTok's window: requests a minute per endpoint": str(TIKTOK_RATE),
        "The connector's default `requests_per_minute`": str(DEFAULT_RATE),
        "The connector's default `num_workers`": str(DEFAULT_WORKERS),
        "`requests_per_minute` in sections 1, 2 and 4 and the profile (no client-side limit)": (
            str(UNLIMITED)
        ),
        "API for Business window: calls a minute per account and endpoint": str(WINDOW),
        "Largest answer the connector reads, MiB": str(MAX_BODY_BYTES // MIB),
        "Entries the connector keeps of an insight array": f"{MAX_ARRAY_ENTRIES:,}",
        "Emulator seed": str(SEED),
        "What users wait for: videos": sized(sizes.wait_videos),
        "What users wait for: latency, ms": sized(sizes.wait_latencies_ms),
        "What users wait for: one worker too, up to videos": f"{sizes.wait_one_worker_max:,}",
        "Window peer: create_time windows": "4 x num_workers, equal, 2014-01-01 to the newest",
        "1. Throughput: videos": f"{sizes.throughput_videos:,}",
        "1. Throughput: runs per program": str(sizes.throughput_runs),
        "2. Memory: videos": sized(sizes.memory_videos),
        "2. Memory: runs": str(sizes.memory_runs),
        "3. Start-up: commands": listing(list(sizes.startup_commands)),
        "3. Start-up: runs": str(sizes.startup_runs),
        "4. Request economy: videos": f"{sizes.economy_videos:,}",
        "4. Request economy: lookback, days": sized(sizes.economy_lookbacks),
        "4. Request economy: new videos before an incremental sync": sized(sizes.economy_new),
        "5. TikTok's conditions: videos": f"{sizes.conditions_videos:,}",
        "5. TikTok's conditions: latency, ms": str(sizes.conditions_latency_ms),
        "5b. Where the window binds: videos": (
            f"{sizes.binding_videos:,}" if sizes.binding_videos is not None else "not run"
        ),
        "6. Business mode: posts": f"{sizes.business_posts:,}",
        "6. Business mode: latency, ms": str(sizes.business_latency_ms),
        "7. Insight arrays: posts": f"{sizes.giant_posts:,}",
        "7. Insight arrays: retention entries a post": sized(sizes.giant_entries),
        "Profile: videos": f"{sizes.profile_videos:,}",
    }
    return "## Set-up\n\n" + pairs_table(("", ""), rows)


def _load(averages: tuple[float, float, float]) -> str:
    return ", ".join(f"{value:.2f}" for value in averages)


def _cpuinfo_field(name: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _meminfo_kib(name: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def git_description() -> str:
    """The commit measured, and what was uncommitted when the run started."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown commit"
    status = git("status", "--porcelain").splitlines()  # "XY path": the path from column 4
    changed = sorted({line[3:].strip('"').split("/")[0] for line in status})
    if not changed:
        return f"commit {head} (clean tree)"
    return f"commit {head} plus uncommitted changes in {listing(changed)}"


# Targets ---------------------------------------------------------------------------------------


def targets(results: Results) -> list[Target]:
    runs = results.throughput.runs
    figures = throughput_figures(results.throughput, results.startup["bare spec"])
    connector, floor, peer = runs["connector"], runs["floor"], runs["peer"]
    small, large = sorted(results.memory)
    growth = ratio(results.memory[large].rss_mib, results.memory[small].rss_mib) - 1
    spec, bare = results.startup["connector spec"], results.startup["bare spec"]
    spec_ratio = ratio(spec.wall, bare.wall)
    incremental = [row for row in results.economy if row.list_budget is not None]
    throttled = [(label, run.status_count(429)) for label, run in _condition_runs(results)]
    business = business_cells(results.business)
    giant = max(results.giant, key=lambda read: read.runs.rss_mib.median)
    return [
        *wait_targets(results.waits),
        lost_target(results),
        Target(
            f"Throughput: connector ≤ {TARGET_FLOOR_RATIO}x floor (wall time)",
            f"{figures[FLOOR_WALL]} (CPU {figures[FLOOR_CPU]})",
            ratio(connector.wall, floor.wall) <= TARGET_FLOOR_RATIO,
        ),
        Target(
            f"Throughput: connector ≤ {TARGET_PEER_RATIO}x peer (wall time)",
            f"{figures[PEER_WALL]} (CPU {figures[PEER_CPU]})",
            ratio(connector.wall, peer.wall) <= TARGET_PEER_RATIO,
        ),
        Target(
            f"Memory: peak RSS at {large:,} videos within {TARGET_MEMORY_GROWTH:.0%} of {small:,}",
            f"{growth:+.1%} ({median(results.memory[small].rss_mib, 1)} → "
            f"{median(results.memory[large].rss_mib, 1)} MiB)",
            growth <= TARGET_MEMORY_GROWTH,
        ),
        Target(
            f"Start-up: `spec` ≤ {TARGET_SPEC_RATIO}x a bare CDK source",
            f"{spec_ratio:.2f}x (CPU {ratio(spec.cpu, bare.cpu):.2f}x)",
            spec_ratio <= TARGET_SPEC_RATIO,
        ),
        Target(
            "k new videos: list requests ≤ ceil(k/19) + the lookback's pages + 1",
            "; ".join(
                f"{row.new} new, lookback {row.lookback_days} d: "
                f"{row.counts.get(LIST_PATH, 0)} ≤ {row.list_budget}"
                for row in incremental
            ),
            all(row.counts.get(LIST_PATH, 0) <= (row.list_budget or 0) for row in incremental),
        ),
        Target(
            "Business mode: no code 40100 provoked under the API for Business's window",
            f"{business['40100s']} in {business['list calls']} list calls",
            results.business.throttled == 0,
        ),
        Target(
            f"Business mode: peak RSS ≤ {TARGET_GIANT_RSS_MIB} MiB, whatever the insight "
            "arrays hold",
            f"worst: {median(giant.runs.rss_mib, 1)} MiB "
            f"({giant_cells(giant)['retention entries a post']} entries a post)",
            giant.runs.rss_mib.median <= TARGET_GIANT_RSS_MIB,
        ),
        Target(
            f"State: the deletions' roll ≤ {TARGET_ROLL_BYTES} bytes a video; each deleted "
            "video one deletion record",
            "; ".join(f"{row.per_video:.1f} at {row.videos:,} videos" for row in results.roll),
            all(
                row.per_video <= TARGET_ROLL_BYTES and row.deletion_records == row.deleted
                for row in results.roll
            ),
        ),
        Target(
            "No 429 provoked under TikTok's conditions",
            "; ".join(f"{count} in {label}" for label, count in throttled),
            not any(count for _, count in throttled),
        ),
    ]


def wait_targets(rows: list[WaitRow]) -> list[Target]:
    """The largest account against the window's floor and the window peer; the smallest against
    one worker, the sequential walk."""
    peers = {id(connector): peer for connector, peer in window_pairs(rows)}
    rows = [row for row in rows if row.program == "connector"]
    largest = max(row.videos for row in rows)
    smallest = min(row.videos for row in rows)
    found = []
    for row in rows:
        if row.videos == largest and row.workers > 1:
            cells = wait_cells(row)
            found.append(
                Target(
                    f"{cells['videos']} videos at {row.latency_ms} ms: within "
                    f"{TARGET_WINDOW_RATIO}x of the window's floor",
                    f"{cells['vs window floor']} ({cells['wall s']} s vs "
                    f"{cells['window floor s']} s)",
                    row.runs.wall.median / row.window_floor_s <= TARGET_WINDOW_RATIO,
                )
            )
            if id(row) in peers:
                versus = versus_cells(row, peers[id(row)])
                found.append(
                    Target(
                        f"{cells['videos']} videos at {row.latency_ms} ms: within "
                        f"{TARGET_WINDOW_PEER_RATIO}x of the window peer",
                        f"{versus['connector / window peer']} ({versus['connector wall s']} s "
                        f"vs {versus['window peer wall s']} s)",
                        _peer_ratio(row, peers[id(row)]) <= TARGET_WINDOW_PEER_RATIO,
                    )
                )
    for alone in (r for r in rows if r.videos == smallest and r.workers == 1):
        together = next(
            r
            for r in rows
            if (r.videos, r.latency_ms) == (smallest, alone.latency_ms) and r.workers > 1
        )
        extra = together.runs.requests_to(LIST_PATH) - alone.runs.requests_to(LIST_PATH)
        slower = together.runs.wall.median / alone.runs.wall.median
        found.append(
            Target(
                f"{smallest:,} videos at {alone.latency_ms} ms: no more list requests than one "
                f"worker, and at most {TARGET_SMALL_SLOWDOWN}x its wall time",
                f"{extra:+d} requests, {slower:.2f}x the wall time",
                extra <= 0 and slower <= TARGET_SMALL_SLOWDOWN,
            )
        )
    throttled = sum(row.runs.status_count(429) for row in rows)
    found.append(Target("No 429 in the connector's wait-time runs", str(throttled), throttled == 0))
    return found


def lost_target(results: Results) -> Target:
    """Every video of the account written once, by every run of the connector that counts them."""
    runs = [(row.videos, row.runs) for row in results.waits if row.program == "connector"]
    runs.append((results.throughput.videos, results.throughput.runs["connector"]))
    lost = sum(each.lost(videos) for videos, each in runs)
    duplicated = sum(each.duplicated for _, each in runs)
    return Target(
        "No video lost or written twice by the connector (wait-time runs and section 1)",
        f"{lost} lost, {duplicated} duplicated in {len(runs)} reads",
        lost == duplicated == 0,
    )


def _condition_runs(results: Results) -> list[tuple[str, Runs]]:
    found = [("section 5", results.conditions.runs["connector"])]
    if results.binding is not None:
        found.append(("5b (window binds)", results.binding.runs["connector"]))
    return found


# What users wait for ---------------------------------------------------------------------------


def wait_cells(row: WaitRow) -> dict[str, str]:
    return {
        "program": row.program,
        "videos": f"{row.videos:,}",
        "latency ms": str(row.latency_ms),
        "workers": str(row.workers),
        "records": f"{row.runs.records[-1]:,}",
        "lost": f"{row.runs.lost(row.videos):,}",
        "duplicated": f"{row.runs.duplicated:,}",
        "list requests": f"{row.runs.requests_to(LIST_PATH):,}",
        "429s": str(row.runs.status_count(429)),
        "wall s": f"{row.runs.wall.median:.1f}",
        "window floor s": f"{row.window_floor_s:.1f}",
        "one-at-a-time floor s": f"{row.sequential_floor_s:.1f}",
        "vs window floor": f"{row.runs.wall.median / row.window_floor_s:.2f}x",
    }


def window_pairs(rows: list[WaitRow]) -> list[tuple[WaitRow, WaitRow]]:
    """Each window peer's read with the connector's of the same account, latency and workers."""
    return [
        (connector, peer)
        for peer in rows
        if peer.program == WINDOW_PEER
        for connector in rows
        if connector.program == "connector"
        and (connector.videos, connector.latency_ms, connector.workers)
        == (peer.videos, peer.latency_ms, peer.workers)
    ]


def _peer_ratio(connector: WaitRow, peer: WaitRow) -> float:
    return connector.runs.wall.median / peer.runs.wall.median


def versus_cells(connector: WaitRow, peer: WaitRow) -> dict[str, str]:
    return {
        "videos": f"{connector.videos:,}",
        "latency ms": str(connector.latency_ms),
        "connector wall s": f"{connector.runs.wall.median:.1f}",
        "window peer wall s": f"{peer.runs.wall.median:.1f}",
        "connector / window peer": f"{_peer_ratio(connector, peer):.2f}x",
        "connector list requests": f"{connector.runs.requests_to(LIST_PATH):,}",
        "window peer list requests": f"{peer.runs.requests_to(LIST_PATH):,}",
    }


def waits_section(rows: list[WaitRow]) -> str:
    return f"""
## What users wait for: a whole-account read under TikTok's conditions

`user_info` and `videos` (full refresh) through the installed command, against an emulator
process with the stated latency on every request and TikTok's window of {TIKTOK_RATE} requests a
minute per endpoint, sliding; the connector at its default `requests_per_minute`
({DEFAULT_RATE}). One run each, each against a fresh emulator. Floors count the fewest pages the
account takes (videos ÷ {PAGE_SIZE}, rounded up): the **window floor** is those pages at
{TIKTOK_RATE} a minute, the **one-at-a-time floor** pages x latency. A sliding window lets the
first {TIKTOK_RATE} requests of a minute through at once, so a concurrent read can finish under
the window floor. `workers` is `num_workers`: one walks the list one page at a time, as every
version before slicing did; the default is {DEFAULT_WORKERS}. The **window peer**
(bench/window_peer.py) reads `videos` alone as a plain thread pool would: it cuts the account's
time into equal create_time windows (set-up) that its workers walk at once, re-reads each page's
oldest second as the connector does, and keeps to the connector's default budget. It is the bar
for the connector's slicing; `lost` and `duplicated` count video ids against the account.

{chart("waits", "Wall time of a whole-account read against account size, one panel per latency, with the window floor and the one-at-a-time floor")}

{cells_table([wait_cells(row) for row in rows])}

The connector against the window peer, at the same workers:

{cells_table([versus_cells(*pair) for pair in window_pairs(rows)])}
"""


# 1. Throughput ---------------------------------------------------------------------------------

FLOOR_WALL = "connector / floor, wall time"
FLOOR_CPU = "connector / floor, CPU time"
PEER_WALL = "connector / peer, wall time"
PEER_CPU = "connector / peer, CPU time"
WINDOW_PEER_WALL = "connector / window peer, wall time"
WINDOW_PEER_CPU = "connector / window peer, CPU time"
FEWEST = "fewest list requests (videos ÷ page size, rounded up)"
OVER_FEWEST = "connector's list requests over the fewest"
BARE_CPU = "CPU of the bare CDK source's `spec` (section 3)"
BARE_SHARE = "that, as a share of the connector's read"
CDK_FLOOR = "(floor CPU + that) / floor CPU"
WINDOW_MIN = "TikTok's window for the fewest list requests"


def throughput_cells(result: Throughput) -> dict[str, dict[str, str]]:
    return {
        name: {
            "program": name,
            "records": f"{runs.records[-1]:,}",
            "lost": f"{runs.lost(result.videos):,}",
            "duplicated": f"{runs.duplicated:,}",
            "list requests": f"{runs.requests_to(LIST_PATH):,}",
            "wall s": spread(runs.wall),
            "CPU s (user+sys)": spread(runs.cpu),
            "records/s": spread(runs.records_per_s, 0),
            "peak RSS MiB": spread(runs.rss_mib, 1),
        }
        for name, runs in result.runs.items()
    }


def throughput_figures(result: Throughput, bare: Runs) -> dict[str, str]:
    """What the comparisons come to, formatted once for the table and the sentences."""
    connector, floor, peer = (result.runs[name] for name in ("connector", "floor", "peer"))
    window_peer = result.runs[WINDOW_PEER]
    fewest = result.fewest_list_requests
    return {
        FLOOR_WALL: f"{ratio(connector.wall, floor.wall):.2f}x",
        FLOOR_CPU: f"{ratio(connector.cpu, floor.cpu):.2f}x",
        PEER_WALL: f"{ratio(connector.wall, peer.wall):.2f}x",
        PEER_CPU: f"{ratio(connector.cpu, peer.cpu):.2f}x",
        WINDOW_PEER_WALL: f"{ratio(connector.wall, window_peer.wall):.2f}x",
        WINDOW_PEER_CPU: f"{ratio(connector.cpu, window_peer.cpu):.2f}x",
        FEWEST: f"{fewest:,}",
        OVER_FEWEST: f"{connector.requests_to(LIST_PATH) / fewest - 1:+.1%}",
        BARE_CPU: f"{bare.cpu.median:.2f} s",
        BARE_SHARE: f"{bare.cpu.median / connector.cpu.median:.0%}",
        CDK_FLOOR: f"{(floor.cpu.median + bare.cpu.median) / floor.cpu.median:.2f}x",
        WINDOW_MIN: f"{fewest / TIKTOK_RATE:.1f} min",
    }


def throughput_section(result: Throughput, bare: Runs) -> str:
    cells = throughput_cells(result)
    connector, floor, peer = cells["connector"], cells["floor"], cells["peer"]
    figures = throughput_figures(result, bare)
    connector_cpu = median(result.runs["connector"].cpu)
    return f"""
## 1. Throughput: full read of {result.videos:,} videos, zero added latency

Stream `videos` only (full refresh), stdout to a file, emulator without rate limit, the
connector with `requests_per_minute` {UNLIMITED} (no client-side throttle). The **floor**
(bench/floor.py) is requests + orjson following TikTok's cursor; the **peer**
(bench/peer/manifest.yaml) is the same API as a low-code manifest run by the CDK's declarative
source (concurrent, default settings); the **window peer** (bench/window_peer.py) is requests +
orjson over create_time windows walked by a thread pool, as in "What users wait for".

{cells_table(list(cells.values()))}

{pairs_table(("figure", "value"), figures)}

- The connector asks for the oldest second of each page again (its cursor is the page's oldest
  create_time plus one second, in milliseconds) so a second split across pages is read whole: {connector["list requests"]} list
  requests, {figures[OVER_FEWEST]} over the fewest. The floor and the peer follow the API
  cursor, make the fewest, and (against the emulator's pessimistic cursor) lose the videos of
  every second split across pages: they wrote {floor["records"]} and {peer["records"]} records
  where the connector wrote {connector["records"]} and the window peer, which re-reads as the
  connector does, {cells[WINDOW_PEER]["records"]}.
- What the CDK costs before any work: the bare CDK source's `spec` takes {figures[BARE_CPU]}
  CPU, {figures[BARE_SHARE]} of the connector's read. Even with no per-page or per-record cost
  beyond the floor's, a CDK connector would sit at {figures[CDK_FLOOR]} the floor.
- Under TikTok's window, the fewest list requests take {figures[WINDOW_MIN]} of waiting, against
  {connector_cpu} s of the connector's CPU.
"""


# 2. Memory -------------------------------------------------------------------------------------


def memory_cells(memory: dict[int, Runs]) -> list[dict[str, str]]:
    return [
        {
            "videos": f"{n:,}",
            "records": f"{runs.records[-1]:,}",
            "peak RSS MiB": spread(runs.rss_mib, 1),
            "wall s": spread(runs.wall),
            "CPU s": spread(runs.cpu),
        }
        for n, runs in sorted(memory.items())
    ]


def memory_section(memory: dict[int, Runs]) -> str:
    return f"""
## 2. Memory: peak RSS of a full read

Streams `user_info` + `videos` (full refresh), peak RSS of the connector process (`ru_maxrss`
from `wait4`). The chart adds the peak RSS of section 1's programs and section 7's reads.

{chart("memory", "Peak RSS: the connector against account size, the three programs of section 1, and business-mode reads with giant insight arrays")}

{cells_table(memory_cells(memory))}
"""


# 3. Start-up -----------------------------------------------------------------------------------


def startup_section(startup: dict[str, Runs]) -> str:
    bare = {
        name.removeprefix("bare "): runs
        for name, runs in startup.items()
        if name.startswith("bare ") and "no .pyc" not in name
    }
    rows = []
    for name, runs in startup.items():
        command = "spec" if "spec" in name else "discover"
        cached = "no .pyc" not in name
        reference = bare[command] if cached else startup["bare spec, no .pyc"]
        rows.append(
            [
                name,
                spread(runs.wall, 3),
                spread(runs.cpu, 3),
                f"{ratio(runs.wall, reference.wall):.2f}x",
                f"{ratio(runs.cpu, reference.cpu):.2f}x",
                spread(runs.rss_mib, 1),
            ]
        )
    uncached = "" if "bare spec, no .pyc" in startup else " **Not run** in --quick mode."
    return f"""
## 3. Start-up: `spec` and `discover`

**bare** (bench/bare.py) is an AbstractSource with no streams and a one-line spec: Python plus
the CDK's entry point, the floor any CDK connector starts from. "discover" needs no network for
any of the three. The "no .pyc" rows start without any bytecode (an empty PYTHONPYCACHEPREFIX
and PYTHONDONTWRITEBYTECODE set: every module imported is compiled, the standard library's
included), the worst a venv synced without `--compile-bytecode` can cost; the README's scripts
sync with it. They are compared with the bare source started the same way.{uncached}

{table(["program", "wall s", "CPU s", "wall vs bare", "CPU vs bare", "peak RSS MiB"], rows)}
"""


# 4. Request economy ----------------------------------------------------------------------------


def economy_cells(row: EconomyRow) -> dict[str, str]:
    pages = "page" if row.minimum_pages == 1 else "pages"
    return {
        "lookback d": str(row.lookback_days),
        "sync": row.sync,
        "video records": f"{row.records:,}",
        "token": str(row.counts.get(TOKEN_PATH, 0)),
        "profile": str(row.counts.get(PROFILE_PATH, 0)),
        "list": str(row.counts.get(LIST_PATH, 0)),
        "requests per sync": str(row.total),
        "minimum": f"{row.minimum} ({row.minimum_pages} {pages})",
        "vs min": f"{row.total - row.minimum:+d}",
    }


def economy_section(rows: list[EconomyRow]) -> str:
    def worst(kind: list[EconomyRow]) -> str:
        row = max(kind, key=lambda r: r.total - r.minimum)
        return f"{economy_cells(row)['vs min']} ({row.sync}, lookback {row.lookback_days} d)"

    whole = [row for row in rows if not row.sync.startswith("incremental")]
    later = [row for row in rows if row.sync.startswith("incremental")]
    summary = f"Against its minimum, the worst whole-account read was {worst(whole)}"
    summary += f", the worst incremental sync {worst(later)}." if later else "."
    return f"""
## 4. Request economy

Requests counted at the in-process emulator. Catalog: `user_info` (full refresh) + `videos`.
Each sync gets the config of the previous sync's CONTROL message, as the platform stores it, so
a still-valid access token is reused instead of refreshed. The minimum is one token refresh,
one profile call and the list pages a perfect client needs: all the wanted videos a page at a
time for a whole-account read, and one older video beyond them for an incremental one (it must
see one to know it is done), where *wanted* counts the new videos plus, with a lookback, the
videos the lookback window asks to re-read.

{chart("requests", "Requests per sync against the minimum, and the list requests of section 1's read")}

{cells_table([economy_cells(row) for row in rows])}

{summary}
"""


# 5. Under TikTok's conditions ------------------------------------------------------------------


def conditions_section(conditions: Conditions, binding: Conditions | None) -> str:
    parts = [
        f"""
## 5. Under TikTok's conditions

Emulator with {conditions.latency_ms} ms latency per request and TikTok's window of
{conditions.rate_limit} requests a minute per endpoint; the connector with its default
`requests_per_minute` ({DEFAULT_RATE}); one run each, each program against a fresh emulator.
The floor (no throttle, no retries) is shown for scale.

{_conditions_table(conditions)}

{_floors(conditions)}
"""
    ]
    if binding is None:
        parts.append(
            "**Rate-limit-binding run: not run** in --quick mode (it needs more list pages than "
            "the window lets through in a minute, so it takes over a minute by construction)."
        )
    else:
        parts.append(
            f"""
### 5b. Where the window binds: {binding.videos:,} videos, no added latency

{_conditions_table(binding)}

{_floors(binding)}
"""
        )
    return "\n\n".join(part.strip() for part in parts)


def _floors(conditions: Conditions) -> str:
    floors = {
        f"list pages at {conditions.rate_limit} a minute, s": (
            f"{conditions.rate_floor_s('connector'):.1f}"
        ),
        "one wait per full window, as a sliding window forces, s": (
            f"{conditions.window_floor_s('connector'):.1f}"
        ),
    }
    if conditions.latency_ms:
        floors[f"one request at a time x {conditions.latency_ms} ms, s"] = (
            f"{conditions.latency_floor_s('connector'):.1f}"
        )
    pages = conditions.runs["connector"].requests_to(LIST_PATH)
    binds = (
        "more than the window lets through in a minute, so the connector's own budget must hold "
        "requests back"
        if pages > conditions.rate_limit
        else "no more than the window lets through in a minute, so the window cannot bind here"
    )
    return (
        pairs_table(("floor for the connector", "value"), floors)
        + f"\n\nThe connector made {pages} list requests, {binds}."
    )


def _conditions_table(conditions: Conditions) -> str:
    rows = []
    for name, runs in conditions.runs.items():
        rows.append(
            [
                name,
                f"{runs.records[-1]:,}",
                str(runs.requests_to(LIST_PATH)),
                str(sum(runs.requests[-1].values())),
                str(runs.status_count(429)),
                spread(runs.wall, 1),
                spread(runs.cpu),
            ]
        )
    return table(
        ["program", "records", "list requests", "all requests", "429s", "wall s", "CPU s"], rows
    )


# 6. Business mode ------------------------------------------------------------------------------


def business_cells(run: BusinessRun) -> dict[str, str]:
    wall = run.runs.wall
    floor = max(run.window_floor_s, run.latency_floor_s)
    return {
        "posts": f"{run.posts:,}",
        "latency ms": str(run.latency_ms),
        "records": f"{run.runs.records[-1]:,}",
        "list calls": str(run.list_calls),
        "profile calls": str(run.profile_calls),
        "40100s": str(run.throttled),
        "wall s": spread(wall, 1),
        "window floor s": f"{run.window_floor_s:.1f}",
        "one-at-a-time floor s": f"{run.latency_floor_s:.1f}",
        "vs larger floor": f"{wall.median / floor:.2f}x" if floor else "-",
    }


def business_section(run: BusinessRun) -> str:
    return f"""
## 6. Business mode under the API for Business's window

`user_info` and `videos` (full refresh) in business mode through the installed command, at its
defaults (no more calls a minute per endpoint than the window allows, one list call at a time),
against the API for Business emulator with {run.latency_ms} ms latency per call and TikTok's
window of {WINDOW} calls a minute per account and endpoint, which answers code 40100 past it.
One run. The **window floor** is one wait per full window of {WINDOW} list calls; the
**one-at-a-time floor** is every call x latency. A 40100 would cost TikTok's five-minute wait,
so the target is none.

{cells_table([business_cells(run)])}

Then `comments` alone (full refresh) at its default `comments_days` of {COMMENTS_DAYS}, on an
account that posts once a day, the newest post half a day old, so the window holds
{run.comments.posts} posts; same latency and window. Its requests: one walk of the video list down
to {COMMENTS_DAYS} days back, then a request per full page of comments of each post, and at
least one a post (the **fewest comment calls**).

{cells_table([comments_cells(run.comments)])}
"""


def comments_cells(run: CommentsRun) -> dict[str, str]:
    return {
        "posts in the window": str(run.posts),
        "comments": f"{run.comments:,}",
        "comments a page": str(COMMENTS_PER_PAGE),
        "records": f"{run.runs.records[-1]:,}",
        "video list calls": str(run.list_calls),
        "comment list calls": str(run.comment_calls),
        "fewest comment calls": str(run.pages),
        "40100s": str(run.throttled),
        "wall s": spread(run.runs.wall, 1),
    }


# 7. Oversized insight arrays -------------------------------------------------------------------


def giant_cells(read: GiantRead) -> dict[str, str]:
    outcome = "read whole"
    if not read.read_whole:
        first = read.errors[0].split(", so ")[0] if read.errors else "no error message"
        outcome = f"stopped: {first}"
    return {
        "retention entries a post": f"{read.entries:,}" if read.entries else "the emulator's own",
        "posts": f"{read.posts:,}",
        "records": f"{read.runs.records[-1]:,}",
        "peak RSS MiB": spread(read.runs.rss_mib, 1),
        "wall s": spread(read.runs.wall, 1),
        "outcome": outcome,
    }


def roll_section(rows: list[RollSize]) -> str:
    cells = [
        {
            "videos": f"{row.videos:,}",
            "roll bytes": f"{row.roll_bytes:,}",
            "bytes a video": f"{row.per_video:.1f}",
            "whole `videos` state bytes": f"{row.state_bytes:,}",
            "deleted (1 %)": f"{row.deleted:,}",
            "deletion records": f"{row.deletion_records:,}",
        }
        for row in rows
    ]
    return f"""
## 8. State size: the roll of listed videos

`videos` keeps in its state the roll of the videos the list held, so a later walk can tell which
went away (docs/deletions-design.md). A first incremental sync of `videos` and `video_stats`
through the installed command, then 1 % of the videos deleted and a second sync on the state the
first handed on (its `video_stats` walks the whole list). The roll is measured as the JSON the
state holds; the target is {TARGET_ROLL_BYTES} bytes a video, and exactly one deletion record a
deleted video.

{cells_table(cells)}
"""


def giant_section(reads: list[GiantRead]) -> str:
    return f"""
## 7. Oversized insight arrays: business mode

`videos` and `video_stats` (full refresh) in business mode through the installed command,
against the API for Business emulator without a rate limit, whose `retention_entries` knob gives
every post a retention curve of that many entries. One run each. The connector reads no answer
over {MAX_BODY_BYTES // MIB} MiB (the sync stops with an error naming the endpoint, the size and
the limit) and keeps the first {MAX_ARRAY_ENTRIES:,} entries of each insight array, naming the
cut in a warning.

{cells_table([giant_cells(read) for read in reads])}
"""


# Profile, notes, method ------------------------------------------------------------------------


def profile_section(profile: Profile) -> str:
    total = profile.phases[0][1] or profile.total_s
    phase_rows = [
        [label.replace("  ", "&nbsp;&nbsp;"), "not in this build" if s is None else f"{s:.2f}",
         "" if s is None else f"{s / total:.0%}"]
        for label, s in profile.phases
    ]  # fmt: skip
    top_rows = [
        [f"`{name}`", f"{calls:,}", f"{own:.2f}", f"{cumulative:.2f}"]
        for name, calls, own, cumulative in profile.top_self
    ]
    return f"""
## Profile of the connector

cProfile of one full read of {profile.videos:,} videos (throughput set-up), from the end of the
connector's imports (start-up is section 3). Wall-clock time, inflated by profiling; shares
matter more than seconds. Phases are cumulative times of named functions (nested phases are part
of their parent).

{table(["phase", "s", "share"], phase_rows)}

Top functions by self time:

{table(["function", "calls", "self s", "cumulative s"], top_rows)}
"""


def notes() -> str:
    if not NOTES.exists():
        return "## Analysis\n\nbench/NOTES.md is missing: no hand-written analysis."
    return NOTES.read_text(encoding="utf-8")


def method() -> str:
    return f"""
## Method

- `uv run --frozen python -m bench` (`--quick` for a smoke run, `--output PATH` to write the
  report elsewhere; its charts go to `bench/charts/` beside it). Code: bench/harness.py
  (process runner, emulator process), bench/launch.py, bench/scenarios.py, bench/business.py,
  bench/giant_arrays.py, bench/floor.py, bench/peer/ (manifest + runner), bench/window_peer.py,
  bench/bare.py,
  bench/profiling.py (bench/profiled.py), bench/report.py and bench/charts.py (matplotlib).
- Every measured program is started by bench/launch.py, a stdlib-only `python -S` process that
  forks, execs the program and reads its `rusage` with `os.wait4`: wall time around fork and
  wait, CPU time (user + sys) and peak RSS of the program alone (neither the harness nor the
  emulator is counted). The launcher exists because Linux carries the forking process's peak RSS
  into the child's `ru_maxrss`, and the harness itself holds tens of MiB.
- Emulator: `python -m tiktok_emulator` in its own process (seed {SEED}, token rotation
  off so runs can share a refresh token); its request counters are reset before and read after
  every run through `/_emulator/reset` and `/_emulator/stats`.
- A warm-up start of every program precedes the measurements (bytecode and page cache).
"""
