"""The benchmark scenarios of issue 5: each returns plain results, the report turns them into text.

Throughput, memory, start-up and the TikTok-conditions runs time child processes against an
emulator process. Request economy needs `add_videos`, which only the in-process emulator offers;
it counts requests and never times anything, so sharing the harness's GIL does not matter there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import (
    CONNECTOR,
    PYTHON,
    SEED,
    EmulatorProcess,
    Measurement,
    Spread,
    count_records,
    count_videos,
    require_success,
    run_measured,
    write_json,
)
from integration_tests.cli import catalog_for
from source_tiktok_organic.core.config import connection_specification
from tiktok_emulator import TikTokEmulator, generate_dataset

PAGE_SIZE = 20
LIST_PATH = "/v2/video/list/"
TOKEN_PATH = "/v2/oauth/token/"
PROFILE_PATH = "/v2/user/info/"
UNLIMITED = 0  # requests_per_minute 0: the connector does no client-side throttling
TIKTOK_RATE = 600  # TikTok's documented window, per endpoint and minute
SPEC_PROPERTIES = connection_specification()["properties"]
DEFAULT_WORKERS: int = SPEC_PROPERTIES["num_workers"]["default"]
DEFAULT_RATE: int = SPEC_PROPERTIES["requests_per_minute"]["default"]
ECONOMY_NOW = 1_760_000_000
FULL_REFRESH = {"user_info": "full_refresh", "videos": "full_refresh"}
INCREMENTAL = {"user_info": "full_refresh", "videos": "incremental"}
WINDOW_PEER = "window peer"
THROUGHPUT = ("connector", "floor", "peer", WINDOW_PEER)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    """How big and how often; --quick shrinks everything so the harness itself can be tested."""

    throughput_videos: int = 50_000
    throughput_runs: int = 5
    memory_videos: tuple[int, int] = (1_000, 100_000)
    memory_runs: int = 3
    startup_runs: int = 7
    startup_commands: tuple[str, ...] = ("spec", "discover")
    startup_uncached: bool = True  # also start without .pyc files (each run recompiles the CDK)
    economy_videos: int = 2_000
    economy_lookbacks: tuple[int, ...] = (0, 7)
    economy_new: tuple[int, ...] = (5, 20, 50, 200)
    conditions_videos: int = 2_000
    conditions_latency_ms: int = 150
    binding_videos: int | None = 15_000  # None: the rate-limit-binding run is not made
    profile_videos: int = 20_000
    wait_videos: tuple[int, ...] = (100, 2_000, 20_000)
    wait_latencies_ms: tuple[int, ...] = (150, 400)
    wait_one_worker_max: int = 2_000  # one worker too, up to this size (20,000 takes 8 min)
    business_posts: int = 1_000  # 50 list calls: over one 40-call window, so it binds
    business_latency_ms: int = 150
    giant_posts: int = 45
    # a post's retention entries: the emulator's own (None), over the array cut, the most one
    # answer holds under the size limit, and an answer past it
    giant_entries: tuple[int | None, ...] = (None, 5_000, 21_700, 100_000)
    roll_videos: tuple[int, ...] = (5_000, 20_000)  # the state size of the deletions' roll


QUICK = Sizes(
    throughput_videos=400,
    throughput_runs=1,
    memory_videos=(100, 1_000),
    memory_runs=1,
    startup_runs=1,
    startup_commands=("spec",),
    startup_uncached=False,
    economy_videos=200,
    economy_lookbacks=(7,),
    economy_new=(5,),
    conditions_videos=100,
    binding_videos=None,
    profile_videos=400,
    wait_videos=(100,),
    wait_latencies_ms=(20,),
    business_posts=60,
    business_latency_ms=20,
    giant_posts=3,
    giant_entries=(None, 4_000),
    roll_videos=(300,),
)


@dataclass
class Runs:
    """Repeated runs of one program; every figure is reported as median (min-max)."""

    name: str
    measurements: list[Measurement] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    requests: list[dict[str, int]] = field(default_factory=list)
    statuses: list[dict[str, int]] = field(default_factory=list)
    videos: list[tuple[int, int]] = field(default_factory=list)  # records, distinct ids

    def spread(self, metric: Callable[[Measurement], float]) -> Spread:
        return Spread.of([metric(m) for m in self.measurements])

    @property
    def wall(self) -> Spread:
        return self.spread(lambda m: m.wall_s)

    @property
    def cpu(self) -> Spread:
        return self.spread(lambda m: m.cpu_s)

    @property
    def rss_mib(self) -> Spread:
        return self.spread(lambda m: m.max_rss_kib / 1024)

    @property
    def records_per_s(self) -> Spread:
        pairs = zip(self.records, self.measurements, strict=True)
        return Spread.of([count / m.wall_s for count, m in pairs])

    def requests_to(self, path: str) -> int:
        """Requests of the last run (they do not vary between runs of a deterministic program)."""
        return self.requests[-1].get(path, 0) if self.requests else 0

    def lost(self, account: int) -> int:
        """Videos of the account the last run never wrote."""
        return account - self.videos[-1][1]

    @property
    def duplicated(self) -> int:
        """Video records of the last run beyond the first of each id."""
        written, distinct = self.videos[-1]
        return written - distinct

    def status_count(self, status: int) -> int:
        return sum(n for key, n in self.statuses[-1].items() if key.endswith(f" {status}"))


def measure(
    runs: Runs,
    argv: Sequence[str],
    work: Path,
    emulator: EmulatorProcess | None = None,
    bytecode: bool = True,
) -> None:
    """One run of a program into a fresh output file; with an emulator, its requests too."""
    out = work / f"{runs.name.replace(' ', '-')}-{len(runs.measurements)}.jsonl"
    if emulator is not None:
        emulator.reset()
    measurement = run_measured(argv, out, bytecode=bytecode)
    require_success(runs.name, measurement, out)
    runs.measurements.append(measurement)
    runs.records.append(count_records(out))
    runs.videos.append(count_videos(out))
    if emulator is not None:
        stats = emulator.stats()
        runs.requests.append(stats["counts"])
        runs.statuses.append(stats["status_counts"])
    out.unlink()  # 50k records are ~80 MB; keep the work folder small


def alternate(
    programs: dict[str, list[str]],
    runs: int,
    work: Path,
    emulator: EmulatorProcess | None,
    uncached: frozenset[str] = frozenset(),
) -> dict[str, Runs]:
    """A B C A B C ...: slow drift of the machine spreads over all programs instead of one.

    Programs named in `uncached` run without a bytecode cache (see harness.child_env).
    """
    results = {name: Runs(name) for name in programs}
    for _ in range(runs):
        for name, argv in programs.items():
            measure(results[name], argv, work, emulator, bytecode=name not in uncached)
    return results


def warm_up(work: Path, progress: Progress) -> None:
    """Fills the bytecode cache and the page cache, so no measured run pays for them alone."""
    progress("warm-up: one unmeasured start of every program")
    for argv in (
        [CONNECTOR, "spec"],
        [PYTHON, "-m", "bench.bare", "spec"],
        [PYTHON, "-m", "bench.peer", "spec"],
        [PYTHON, "-m", "bench.floor", "--help"],
        [PYTHON, "-m", "bench.window_peer", "--help"],
        [PYTHON, "-c", "import tiktok_emulator.__main__"],
    ):
        out = work / "warm-up.jsonl"
        require_success(" ".join(argv[-2:]), run_measured(argv, out), out)


def read_argv(program: str, config: Path, catalog: Path) -> list[str]:
    heads = {
        "connector": [CONNECTOR],
        "floor": [PYTHON, "-m", "bench.floor"],
        "peer": [PYTHON, "-m", "bench.peer"],
        "window peer": [PYTHON, "-m", "bench.window_peer"],
    }
    return [*heads[program], "read", "--config", str(config), "--catalog", str(catalog)]


def read_files(
    work: Path, name: str, config: dict[str, Any], streams: dict[str, str]
) -> list[Path]:
    """Config and catalog files; each program gets its own copy, in case one writes back."""
    return [
        write_json(work / f"{name}-config.json", config),
        write_json(work / f"{name}-catalog.json", catalog_for(streams)),
    ]


# 1. Throughput ---------------------------------------------------------------------------------


@dataclass
class Throughput:
    videos: int
    runs: dict[str, Runs]

    @property
    def fewest_list_requests(self) -> int:
        return max(1, math.ceil(self.videos / PAGE_SIZE))


def throughput(sizes: Sizes, work: Path, progress: Progress) -> Throughput:
    """Full read of the `videos` stream into a file by the connector, the floor and both peers."""
    n = sizes.throughput_videos
    progress(f"throughput: {n} videos x {sizes.throughput_runs} runs x {len(THROUGHPUT)} programs")
    with EmulatorProcess(n) as emulator:
        config = emulator.config(requests_per_minute=UNLIMITED)
        programs = {
            program: read_argv(
                program,
                *read_files(work, program.replace(" ", "-"), config, {"videos": "full_refresh"}),
            )
            for program in THROUGHPUT
        }
        return Throughput(n, alternate(programs, sizes.throughput_runs, work, emulator))


# 2. Memory -------------------------------------------------------------------------------------


def memory(sizes: Sizes, work: Path, progress: Progress) -> dict[int, Runs]:
    """Peak RSS of the connector's full read (both streams) of a small and a large account."""
    small, large = sizes.memory_videos
    progress(f"memory: {small} and {large} videos x {sizes.memory_runs} runs")
    with EmulatorProcess(small) as few, EmulatorProcess(large) as many:
        programs = {}
        for n, emulator in ((small, few), (large, many)):
            config = emulator.config(requests_per_minute=UNLIMITED)
            files = read_files(work, f"memory-{n}", config, FULL_REFRESH)
            programs[f"connector {n}"] = read_argv("connector", *files)
        results = alternate(programs, sizes.memory_runs, work, None)
    return {n: results[f"connector {n}"] for n in (small, large)}


# 3. Start-up -----------------------------------------------------------------------------------


def startup(sizes: Sizes, work: Path, progress: Progress) -> dict[str, Runs]:
    """spec and discover of the connector, of a bare CDK source and of the low-code peer."""
    commands = " and ".join(sizes.startup_commands)
    progress(f"start-up: {commands} x {sizes.startup_runs} runs x 3 programs")
    config = write_json(
        work / "startup-config.json",
        {
            "client_id": "id",
            "client_secret": "secret",
            "refresh_token": "token",
            "api_base_url": "http://127.0.0.1:9",
        },
    )
    heads = {
        "bare": [PYTHON, "-m", "bench.bare"],
        "connector": [CONNECTOR],
        "peer": [PYTHON, "-m", "bench.peer"],
    }
    programs = {}
    for command in sizes.startup_commands:
        for program, head in heads.items():
            tail = ["--config", str(config)] if command == "discover" else []
            programs[f"{program} {command}"] = [*head, command, *tail]
    if sizes.startup_uncached:
        for program in ("bare", "connector"):
            programs[f"{program} spec, no .pyc"] = programs[f"{program} spec"]
    else:
        progress("start-up without .pyc files: not run in --quick mode")
    uncached = frozenset(name for name in programs if name.endswith("no .pyc"))
    return alternate(programs, sizes.startup_runs, work, None, uncached)


# 4. Request economy ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EconomyRow:
    lookback_days: int
    sync: str
    records: int
    counts: dict[str, int]
    minimum_pages: int
    new: int = 0  # videos posted since the last sync (incremental syncs only)
    in_lookback: int = 0  # older videos the lookback window re-reads

    @property
    def list_budget(self) -> int | None:
        """The issue's bound on an incremental sync's list requests: ceil(k/19) + the lookback's
        pages + 1 (19 new videos a page, each re-reading its oldest second)."""
        if not self.new:
            return None
        return math.ceil(self.new / 19) + math.ceil(self.in_lookback / 19) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def minimum(self) -> int:
        """ceil(wanted/20) list pages, plus one token refresh and one profile call."""
        return self.minimum_pages + 2


def minimum_pages(catalog_size: int, wanted: int) -> int:
    """Pages a perfect client needs: all of `wanted`, plus proof it reached the older ones."""
    if wanted >= catalog_size:
        return max(1, math.ceil(catalog_size / PAGE_SIZE))
    return math.ceil((wanted + 1) / PAGE_SIZE)


@dataclass
class SyncOutput:
    """What the platform keeps from a read: record counts, the last state per stream, the config."""

    records: dict[str, int] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] | None = None


def parse_output(path: Path) -> SyncOutput:
    output = SyncOutput()
    with path.open("rb") as lines:
        for line in lines:
            message = json.loads(line)
            kind = message.get("type")
            if kind == "RECORD":
                stream = message["record"]["stream"]
                output.records[stream] = output.records.get(stream, 0) + 1
            elif kind == "STATE":
                name = message["state"]["stream"]["stream_descriptor"]["name"]
                output.states[name] = message["state"]
            elif kind == "CONTROL":
                output.config = message["control"]["connectorConfig"]["config"]
    return output


class EconomyDriver:
    """Syncs against one in-process emulator, carrying config and state as the platform does.

    Each run's last CONTROL message holds the rotated refresh token (and the connector's
    still-valid access token), so the token refreshes counted are the ones a real deployment
    would make. Only the incremental stream's state is carried: the platform starts a full
    refresh stream afresh on every sync.
    """

    def __init__(self, emulator: TikTokEmulator, lookback: int, work: Path) -> None:
        self.emulator = emulator
        self.lookback = lookback
        self.work = work
        self.config: dict[str, Any] = emulator.connector_config(
            requests_per_minute=UNLIMITED, lookback_days=lookback
        )
        self.state: list[Any] = []
        self.rows: list[EconomyRow] = []

    def sync(self, label: str, streams: dict[str, str], wanted: int, new: int = 0) -> None:
        name = f"economy-{self.lookback}-{len(self.rows)}"
        config, catalog = read_files(self.work, name, self.config, streams)
        argv = read_argv("connector", config, catalog)
        if self.state:
            argv += ["--state", str(write_json(self.work / f"{name}-state.json", self.state))]
        self.emulator.reset_counts()
        out = self.work / f"{name}.jsonl"
        require_success(f"economy sync '{label}'", run_measured(argv, out), out)
        output = parse_output(out)
        self.config = output.config or self.config
        incremental = [s for s, mode in streams.items() if mode == "incremental"]
        self.state = [output.states[s] for s in incremental if s in output.states]
        videos = self.emulator.dataset.videos
        self.rows.append(
            EconomyRow(
                self.lookback,
                label,
                output.records.get("videos", 0),
                dict(self.emulator.counts),
                minimum_pages(len(videos), wanted),
                new,
                wanted - new,
            )
        )

    def add_and_sync(self, k: int) -> None:
        """k new videos, then an incremental sync; it must re-read the lookback window too."""
        videos = self.emulator.dataset.videos
        floor = max(v["create_time"] for v in videos) - self.lookback * 86_400
        self.emulator.add_videos(k, newer=True)
        wanted = sum(1 for v in self.emulator.dataset.videos if v["create_time"] > floor)
        self.sync(f"incremental, {k} new", INCREMENTAL, wanted, k)


def economy(sizes: Sizes, work: Path, progress: Progress) -> list[EconomyRow]:
    """Requests counted at the emulator: full refresh, first incremental, then k new videos."""
    n = sizes.economy_videos
    lookbacks = " and ".join(map(str, sizes.economy_lookbacks))
    progress(f"request economy: {n} videos, lookback {lookbacks} days, k = {sizes.economy_new}")
    rows: list[EconomyRow] = []
    for lookback in sizes.economy_lookbacks:
        dataset = generate_dataset(videos=n, seed=SEED, now=ECONOMY_NOW)
        with TikTokEmulator(dataset=dataset, rate_limit_per_minute=None) as emulator:
            driver = EconomyDriver(emulator, lookback, work)
            driver.sync("full refresh", FULL_REFRESH, n)
            driver.sync("first incremental (no state)", INCREMENTAL, n)
            for k in sizes.economy_new:
                driver.add_and_sync(k)
            rows.extend(driver.rows)
    return rows


# 5. Under TikTok's conditions ------------------------------------------------------------------


@dataclass
class Conditions:
    """Full sync at TikTok's latency and rate window, with the two floors that bound it."""

    videos: int
    latency_ms: int
    rate_limit: int
    runs: dict[str, Runs]

    def rate_floor_s(self, program: str) -> float:
        """The issue's floor: list pages at 600 per minute."""
        return self.runs[program].requests_to(LIST_PATH) / self.rate_limit * 60

    def window_floor_s(self, program: str) -> float:
        """What a sliding window really forces: one wait per full window of list pages."""
        pages = self.runs[program].requests_to(LIST_PATH)
        return (math.ceil(pages / self.rate_limit) - 1) * 60

    def latency_floor_s(self, program: str) -> float:
        """One request at a time: every request pays the latency once."""
        return sum(self.runs[program].requests[-1].values()) * self.latency_ms / 1000


def conditions(
    videos: int,
    latency_ms: int,
    work: Path,
    progress: Progress,
    label: str,
    programs: tuple[str, ...] = ("connector", "floor"),
) -> Conditions:
    """The connector at its default 600 requests/minute against a 600/minute emulator.

    A fresh emulator per program, so one program's requests never fill the other's window. The
    floor has no throttle at all, so it only runs where it cannot reach the window.
    """
    progress(f"{label}: {videos} videos, {latency_ms} ms latency, {TIKTOK_RATE}/min window")
    results: dict[str, Runs] = {}
    for program in programs:
        with EmulatorProcess(videos, latency_ms=latency_ms, rate_limit=TIKTOK_RATE) as emulator:
            streams = {"videos": "full_refresh"} if program == "floor" else FULL_REFRESH
            files = read_files(work, f"{label}-{program}", emulator.config(), streams)
            results[program] = Runs(program)
            measure(results[program], read_argv(program, *files), work, emulator)
    return Conditions(videos, latency_ms, TIKTOK_RATE, results)


# 0. What users wait for ------------------------------------------------------------------------


@dataclass
class WaitRow:
    """One whole-account read at TikTok's latency and 600/min window: the connector's (user_info
    and videos) or the window peer's (videos), the bar the connector's slicing is held to."""

    videos: int
    latency_ms: int
    workers: int
    runs: Runs
    program: str = "connector"

    @property
    def pages(self) -> int:
        """The fewest list pages the account takes: what both floors are counted in."""
        return max(1, math.ceil(self.videos / PAGE_SIZE))

    @property
    def window_floor_s(self) -> float:
        return self.pages / (TIKTOK_RATE / 60)

    @property
    def sequential_floor_s(self) -> float:
        return self.pages * self.latency_ms / 1000


def waits(sizes: Sizes, work: Path, progress: Progress) -> list[WaitRow]:
    """Default workers at every size and latency; one worker beside them where it is quick; the
    window peer at the default workers after them.

    A fresh emulator per run, so no run's requests fill the next one's window.
    """
    rows = []
    for latency in sizes.wait_latencies_ms:
        for videos in sizes.wait_videos:
            reads = [("connector", DEFAULT_WORKERS, FULL_REFRESH)]
            if videos <= sizes.wait_one_worker_max:
                reads.insert(0, ("connector", 1, FULL_REFRESH))
            reads.append((WINDOW_PEER, DEFAULT_WORKERS, {"videos": "full_refresh"}))
            for program, workers, streams in reads:
                progress(f"wait: {videos} videos, {latency} ms, {program}, {workers} worker(s)")
                name = f"wait-{videos}-{latency}-{program.replace(' ', '-')}-{workers}"
                with EmulatorProcess(videos, latency_ms=latency, rate_limit=TIKTOK_RATE) as emu:
                    files = read_files(work, name, emu.config(num_workers=workers), streams)
                    runs = Runs(name)
                    measure(runs, read_argv(program, *files), work, emu)
                rows.append(WaitRow(videos, latency, workers, runs, program))
    return rows
