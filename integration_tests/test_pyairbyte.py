"""PyAirbyte as a client: the README's snippet, run as written, twice, into its DuckDB cache.

PyAirbyte lives in a venv of its own (integration_tests/pyairbyte_env.py); the connector is this
checkout's `source-tiktok-organic` command, found on PATH; TikTok is the in-process emulator.
PyAirbyte reads every stream incrementally and merges into its cache on the primary keys, so
after two runs an analyst expects one profile row, one row per video, and one history row per
video (and one for the profile) per run. Both runs, and a third through the Docker image, execute
the snippet files in one PyAirbyte interpreter, whose import alone costs seconds: each run creates
its source from the config file the run before saved, and the connector runs in a process (or
container) of its own each time, as it would.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integration_tests.cli import HANG_SECONDS
from integration_tests.conftest import DATASET_NOW, config_for
from integration_tests.pyairbyte_env import (
    PYAIRBYTE_VERSION,
    PyAirbyteInstallError,
    pyairbyte_python,
)
from tiktok_emulator import TikTokEmulator, generate_dataset

pytestmark = pytest.mark.long_running
# Both syncs are one module-wide fixture: the tests that read them share one worker, so they
# run once.
SYNCS = pytest.mark.xdist_group("pyairbyte")

README = Path(__file__).resolve().parent.parent / "README.md"
DOCS = README.parent / "docs" / "tiktok-organic.md"
SECTION = "## Read it from Python (PyAirbyte)"
SQL_SECTION = "## Questions answered in SQL"
STREAMS = ("user_info", "videos", "video_stats", "user_stats")
MAX_REQUESTS = 200  # per run: beyond that the connector is looping
NEW_FOLLOWERS = 4_321
NEW_BIO = "Bio edited between the two syncs ✍️"

# Run by the snippets' interpreter, which holds the DuckDB file's lock: one JSON snapshot of what
# an analyst would query, through PyAirbyte's own default cache. Both scripts close their
# connection: a read transaction left open until garbage collection makes the interpreter's next
# sync fail on DuckDB's duplicate key in `_airbyte_streams` (PyAirbyte deletes and re-inserts its
# rows there in one transaction).
INSPECT = r"""
import json

import airbyte as ab
from sqlalchemy import text

with ab.get_default_cache().get_sql_engine().connect() as db:
    rows = lambda sql: db.execute(text(sql)).fetchall()
    out = {
        "tables": [t for (t,) in rows(
            "select table_name from information_schema.tables where table_schema = 'main'")],
        "types": {},
    }
    for table, name, kind in rows(
        "select table_name, column_name, data_type from information_schema.columns"
        " where table_schema = 'main'"
    ):
        out["types"].setdefault(table, {})[name] = kind
    out["user_info"] = [
        dict(zip(("open_id", "follower_count", "bio_description"), r))
        for r in rows("select open_id, follower_count, bio_description from user_info")
    ]
    out["video_ids"] = [i for (i,) in rows("select id from videos")]
    out["deleted_ids"] = [
        i for (i,) in rows("select id from videos where _ab_cdc_deleted_at is not null")
    ]
    out["video_stats_per_snapshot"] = [
        n for (_, n) in rows(
            "select snapshot_at, count(*) from video_stats group by 1 order by 1")
    ]
    out["video_stats_duplicates"] = rows(
        "select count(*) from (select video_id, snapshot_at from video_stats"
        " group by all having count(*) > 1)")[0][0]
    out["latest_views"] = dict(rows(
        "select video_id, view_count from video_stats"
        " where snapshot_at = (select max(snapshot_at) from video_stats)"))
    out["states"] = {
        stream: json.loads(state)["stream"]["stream_state"]
        for stream, state in rows("select stream_name, state_json from _airbyte_state")
    }
    out["user_stats_followers"] = [
        n for (n,) in rows("select follower_count from user_stats order by snapshot_at")
    ]
    print(json.dumps(out))
"""

# Also run in that interpreter: the docs' SQL, each block as written, in order; what each answers.
ASK = r"""
import json

import airbyte as ab

with ab.get_default_cache().get_sql_engine().connect() as db:
    answers = {}
    for block in json.load(open("docs_sql.json")):
        name = block.split()[1].rstrip(":")
        result = db.exec_driver_sql(block)
        answers[name] = [[None if v is None else str(v) for v in row] for row in result]
    current = db.exec_driver_sql("select id from current_videos")
    print(json.dumps({"answers": answers, "current_ids": [i for (i,) in current]}))
"""


@dataclass
class Sync:
    """One run of the snippet: what it printed and the config file it left."""

    stdout: str
    config: dict[str, Any]


@dataclass
class TwoSyncs:
    """Both runs, and the cache as it stood after the second (which holds the first's rows)."""

    original_config: dict[str, Any]
    first: Sync
    second: Sync
    cache: dict[str, Any]
    video_count: int  # listed at the second run: one was deleted before it
    deleted: str
    open_id: str
    followers_at_first: int
    views_at_first: dict[str, int | None]
    views_before_second: dict[str, int | None]
    answers: dict[str, Any]  # the docs' SQL, query by query, on the cache after the second run
    current_ids: list[str]  # what the docs' current_videos view holds then


def readme_blocks() -> list[str]:
    """The ```python blocks of the README's PyAirbyte section, exactly as written."""
    text = README.read_text(encoding="utf-8")
    start = text.find(f"\n{SECTION}\n")
    assert start >= 0, f"README.md has no {SECTION!r} section"
    section = text[start + 1 :]
    following = re.search(r"^## ", section[len(SECTION) :], flags=re.MULTILINE)
    if following:
        section = section[: len(SECTION) + following.start()]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)
    assert blocks, f"README.md's {SECTION!r} section has no ```python block"
    return blocks


def readme_snippet() -> str:
    """The first ```python block: the whole program."""
    return readme_blocks()[0]


GET_SOURCE = re.compile(r"^source = ab\.get_source\(.*?^\)\n", flags=re.MULTILINE | re.DOTALL)


def readme_docker_snippet(image: str) -> str:
    """The program with the second block's `ab.get_source(...)` (the image's) in place of its
    own, naming `image` where the README names the image the build script tags."""
    snippet, docker_variant = readme_blocks()[:2]
    [local] = GET_SOURCE.findall(snippet)
    [docker] = GET_SOURCE.findall(docker_variant)
    assert "local_executable=" in local
    assert "local_executable=" not in docker
    return snippet.replace(local, docker).replace('"source-tiktok-organic:dev"', repr(image))


def snippet_env(work: Path) -> dict[str, str]:
    """What the README asks for, with everything PyAirbyte writes kept inside `work`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIRBYTE_") and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    for folder in ("home", "tmp", "logs"):
        (work / folder).mkdir(exist_ok=True)
    env.update(
        AIRBYTE_OFFLINE_MODE="1",
        # this checkout's connector command comes first on PATH
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        HOME=str(work / "home"),
        XDG_CACHE_HOME=str(work / "home" / ".cache"),
        TMPDIR=str(work / "tmp"),
        AIRBYTE_LOGGING_ROOT=str(work / "logs"),
    )
    return env


# Runs the snippet file each stdin line names, each run ended by a DONE line with its outcome;
# a run that raises prints its traceback, as `python snippet.py` would. Cycles are never
# collected, so what a run leaves open (a DuckDB transaction) stays open on every machine, not
# only where the collector happens to run late.
DONE = "SNIPPET-RUN-DONE"
DRIVER = f"""
import gc, runpy, sys, traceback
gc.disable()
for line in sys.stdin:
    try:
        runpy.run_path(line.strip(), run_name="__main__")
        outcome = "ok"
    except BaseException:
        traceback.print_exc()
        outcome = "raised"
    print("{DONE}", outcome, flush=True)
"""


class Snippet:
    """The snippets' interpreter, in its own process group, so a hung connector dies with it."""

    def __init__(self, python: Path, work: Path, emu: TikTokEmulator) -> None:
        self.work = work
        self.emu = emu
        self.stderr = work / "snippet-stderr.txt"
        self._stderr_file = self.stderr.open("w")
        self.process = subprocess.Popen(
            [str(python), "-c", DRIVER],
            cwd=work,
            env=snippet_env(work),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def __enter__(self) -> Snippet:
        return self

    def __exit__(self, *_: object) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._reader.join(timeout=60)  # it reads to the end the process left
        assert self.process.stdout is not None
        self.process.stdout.close()
        self._stderr_file.close()

    def run(self, script: Path, label: str) -> Sync:
        """One run of a snippet file in `work`: what it printed and the config file it left."""
        self.emu.reset_counts()
        assert self.process.stdin is not None
        self.process.stdin.write(f"{script.name}\n")
        self.process.stdin.flush()
        printed: list[str] = []
        deadline = time.monotonic() + HANG_SECONDS
        while True:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                line = ""
            requests = sum(self.emu.stats()["counts"].values())
            if requests > MAX_REQUESTS or time.monotonic() > deadline:
                problem = (
                    f"was stopped after {requests} TikTok requests (a run needs < 10)"
                    if requests > MAX_REQUESTS
                    else f"did not finish in {HANG_SECONDS} s"
                )
                os.killpg(self.process.pid, signal.SIGKILL)
                break
            if line is None:
                problem = f"exited {self.process.wait()}"
                break
            if line.startswith(DONE):
                problem = "" if line.split()[1] == "ok" else "raised"
                break
            printed.append(line)
        stdout = "".join(printed)
        if problem:
            stderr = "".join(
                line
                for line in self.stderr.read_text().splitlines(keepends=True)
                if "FutureWarning" not in line
            )
            pytest.fail(
                f"{label}: the README's PyAirbyte snippet {problem}\n"
                f"TikTok emulator requests: {self.emu.stats()}\n"
                f"--- stdout ---\n{stdout[-3000:]}\n--- stderr ---\n{stderr[-5000:]}\n"
                f"--- connector log ---\n{connector_log(self.work)}",
                pytrace=False,
            )
        return Sync(stdout, json.loads((self.work / "secrets" / "config.json").read_text()))


def connector_log(work: Path) -> str:
    """The tail of the newest connector log PyAirbyte wrote (it keeps them in files)."""
    logs = sorted(
        (work / "logs").glob("source-tiktok-organic/*.log"), key=lambda p: p.stat().st_mtime
    )
    if not logs:
        return "(none)"
    lines = logs[-1].read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines[-40:] if "MemoryMonitor" not in line)


def docs_sql() -> list[str]:
    """The ```sql blocks of the docs' SQL section, exactly as written."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index(f"\n{SQL_SECTION}\n") :]
    section = section[: section.index("\n## ", len(SQL_SECTION) + 2)]
    return re.findall(r"^```sql\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def ask_docs_sql(snippet: Snippet) -> dict[str, Any]:
    (snippet.work / "docs_sql.json").write_text(json.dumps(docs_sql()))
    script = snippet.work / "ask_docs_sql.py"
    script.write_text(ASK)
    return json.loads(snippet.run(script, "the docs' SQL").stdout.splitlines()[-1])


def inspect_cache(snippet: Snippet) -> dict[str, Any]:
    # PyAirbyte's default cache: <project dir = cwd>/.cache/default_cache/default_cache.duckdb
    db = snippet.work / ".cache" / "default_cache" / "default_cache.duckdb"
    assert db.is_file(), f"PyAirbyte wrote no DuckDB cache at {db}"
    script = snippet.work / "inspect_cache.py"
    script.write_text(INSPECT)
    return json.loads(snippet.run(script, "querying the cache").stdout.splitlines()[-1])


def test_the_readme_names_where_the_first_run_installs_pyairbyte() -> None:
    said = f"`~/.cache/source-tiktok-organic/pyairbyte-{PYAIRBYTE_VERSION}`"
    assert said in " ".join(README.read_text(encoding="utf-8").split())
    assert f"pip install airbyte=={PYAIRBYTE_VERSION}" in README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pyairbyte() -> Path:
    """Fails (never skips) when PyAirbyte cannot be installed: CI has PyPI access."""
    try:
        return pyairbyte_python()
    except PyAirbyteInstallError as exc:
        problem = str(exc)
    pytest.fail(problem, pytrace=False)


@pytest.fixture(scope="module")
def module_emulator() -> Iterator[TikTokEmulator]:
    """The `emulator` fixture's dataset, kept for the module: both syncs read the same TikTok."""
    with TikTokEmulator(dataset=generate_dataset(videos=45, seed=7, now=DATASET_NOW)) as emu:
        yield emu


@pytest.fixture(scope="module")
def snippet(
    pyairbyte: Path, module_emulator: TikTokEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Snippet]:
    """One interpreter for every run of the module (PyAirbyte's import alone costs seconds), in a
    folder holding `secrets/config.json`, which each run hands to the next."""
    work = tmp_path_factory.mktemp("pyairbyte")
    (work / "secrets").mkdir()
    (work / "secrets" / "config.json").write_text(json.dumps(config_for(module_emulator), indent=2))
    with Snippet(pyairbyte, work, module_emulator) as running:
        yield running


@pytest.fixture(scope="module")
def syncs(snippet: Snippet) -> TwoSyncs:
    emu, work = snippet.emu, snippet.work
    original = json.loads((work / "secrets" / "config.json").read_text())
    script = work / "pyairbyte_snippet.py"
    script.write_text(readme_snippet())

    first = snippet.run(script, "first run")
    followers_at_first = emu.dataset.profile["follower_count"]
    views_at_first = {v["id"]: v.get("view_count") for v in emu.dataset.videos}

    # Between the syncs the creator gains followers, edits the bio, deletes an old video, and
    # every other video gets views.
    emu.dataset.profile["follower_count"] += NEW_FOLLOWERS
    emu.dataset.profile["bio_description"] = NEW_BIO
    deleted = emu.dataset.videos[-2]["id"]
    emu.delete_videos([deleted])
    bumped = {v["id"]: v.get("view_count") for v in emu.bump_counts()}

    second = snippet.run(script, "second run")
    return TwoSyncs(
        original_config=original,
        first=first,
        second=second,
        cache=inspect_cache(snippet),
        video_count=len(emu.dataset.videos),
        deleted=deleted,
        open_id=emu.dataset.profile["open_id"],
        followers_at_first=followers_at_first,
        views_at_first=views_at_first,
        views_before_second=bumped,
        **ask_docs_sql(snippet),
    )


@SYNCS
def test_rotated_refresh_token_is_saved_for_the_next_run(syncs: TwoSyncs) -> None:
    # The emulator killed the original token at the first refresh (strict rotation), so the
    # second run got this far only because the callback saved the rotated config.
    rotated = syncs.first.config["refresh_token"]
    assert rotated != syncs.original_config["refresh_token"]
    assert rotated.startswith("rft.")
    for field in ("client_id", "client_secret", "api_base_url", "lookback_days"):
        assert syncs.first.config[field] == syncs.original_config[field]
    assert "user_info: " in syncs.first.stdout
    assert "user_info: " in syncs.second.stdout


@SYNCS
def test_every_stream_lands_in_a_typed_table(syncs: TwoSyncs) -> None:
    cache = syncs.cache
    assert set(STREAMS) <= set(cache["tables"])
    types = cache["types"]
    integers = {"BIGINT", "INTEGER", "HUGEINT", "UBIGINT"}
    for table, column in (
        ("videos", "create_time"),
        ("videos", "view_count"),
        ("videos", "duration"),
        ("video_stats", "view_count"),
        ("user_info", "follower_count"),
        ("user_info", "likes_count"),
        ("user_stats", "follower_count"),
    ):
        assert types[table][column] in integers, (table, column, types[table][column])
    for table, column in (("videos", "id"), ("user_info", "open_id"), ("video_stats", "video_id")):
        assert types[table][column] == "VARCHAR", (table, column, types[table][column])
    assert types["user_info"]["is_verified"] == "BOOLEAN"
    for table in ("video_stats", "user_stats"):
        assert types[table]["snapshot_at"].startswith("TIMESTAMP"), types[table]["snapshot_at"]


@SYNCS
def test_videos_hold_each_video_once(syncs: TwoSyncs) -> None:
    """The deleted video keeps its row, as its deletion record: PyAirbyte's cache merges on the
    primary key but never deletes (docs: the current_videos view)."""
    for sync in (syncs.first, syncs.second):  # what the snippet printed, run by run
        assert f"videos: {syncs.video_count + 1} rows" in sync.stdout, sync.stdout
    ids = syncs.cache["video_ids"]
    assert len(ids) == syncs.video_count + 1
    assert len(set(ids)) == len(ids), "duplicate video ids in the videos table"
    assert syncs.cache["deleted_ids"] == [syncs.deleted]


@SYNCS
def test_history_streams_gain_one_snapshot_per_run(syncs: TwoSyncs) -> None:
    n = syncs.video_count
    assert syncs.cache["video_stats_per_snapshot"] == [n + 1, n]
    assert syncs.cache["video_stats_duplicates"] == 0
    # the second snapshot carries the counts TikTok served at the second run
    assert syncs.cache["latest_views"] == syncs.views_before_second
    assert syncs.cache["user_stats_followers"] == [
        syncs.followers_at_first,
        syncs.followers_at_first + NEW_FOLLOWERS,
    ]


@SYNCS
def test_profile_is_refreshed_by_the_second_read(syncs: TwoSyncs) -> None:
    """`user_info` is a full-refresh profile: one row, as TikTok serves it at the latest read.

    PyAirbyte configures it as incremental and passes back the CDK's
    `{"__ab_full_refresh_sync_complete": true}` state, which must not stop the second read.
    """
    profiles = syncs.cache["user_info"]
    assert len(profiles) == 1, profiles
    [profile] = profiles
    assert profile["open_id"] == syncs.open_id
    state = syncs.cache["states"].get("user_info")
    assert profile["follower_count"] == syncs.followers_at_first + NEW_FOLLOWERS, (
        "user_info still holds the first read's profile: the second read did not refresh it"
        f" (the user_info state PyAirbyte keeps and passes back: {state})"
    )
    assert profile["bio_description"] == NEW_BIO


@SYNCS
@pytest.mark.docker
def test_the_readme_docker_variant_reads_through_the_image_and_saves_the_rotated_token(
    syncs: TwoSyncs, snippet: Snippet
) -> None:
    """PyAirbyte runs the image on Docker's network unless told otherwise: the README's
    `use_host_network=True` is what lets the container reach the emulator on 127.0.0.1. It runs
    third, on the config the second run saved: the two ways hand the same file on."""
    image = os.environ.get("IMAGE", "source-tiktok-organic:dev")
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("No docker command on PATH.")
    probe = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"Image {image} is not built: run `bash .ci/build-image.sh`.")
    script = snippet.work / "pyairbyte_docker_snippet.py"
    script.write_text(readme_docker_snippet(image))
    snippet.emu.expire_access_tokens()  # so the container spends the refresh token run two saved
    sync = snippet.run(script, "the Docker variant")
    assert f"videos: {syncs.video_count + 1} rows" in sync.stdout, sync.stdout
    assert sync.config["refresh_token"] != syncs.second.config["refresh_token"]


@SYNCS
def test_the_docs_sql_answers_the_three_questions_and_leaves_the_deleted_video_out(
    syncs: TwoSyncs,
) -> None:
    answers = syncs.answers
    assert list(answers) == ["current_videos", "views_per_day", "account_growth", "taking_off"]
    # current_videos: every video TikTok still lists, once, and not the deleted one
    listed = set(syncs.views_before_second)
    assert sorted(syncs.current_ids) == sorted(listed)
    assert syncs.deleted not in listed
    # views_per_day: what each video gained between the runs, on the second run's day
    gained = {
        video_id: after - before
        for video_id, after in syncs.views_before_second.items()
        if after is not None and (before := syncs.views_at_first[video_id]) is not None
    }
    assert gained
    assert all(views > 0 for views in gained.values())
    days = {day for _, day, _ in answers["views_per_day"]}
    assert len(days) == 1
    assert {video_id: int(views) for video_id, _, views in answers["views_per_day"]} == gained
    # account_growth: the followers the creator gained between the runs, and where it stands
    growth = answers["account_growth"]
    assert {row[0] for row in growth} == {syncs.open_id}
    assert sum(int(row[3]) for row in growth if row[3] is not None) == NEW_FOLLOWERS
    assert int(growth[-1][2]) == syncs.followers_at_first + NEW_FOLLOWERS
    # taking_off: the ten largest gains, ties by id, among videos that still exist
    top = sorted(gained.items(), key=lambda item: (-item[1], item[0]))[:10]
    assert [(row[0], int(row[2])) for row in answers["taking_off"]] == top
