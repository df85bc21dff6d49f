"""Where the connector's read spends its time: cProfile of one full read, summarised for the report.

The profile starts after the connector's imports (bench/profiled.py): start-up is section 3's.

cProfile's clock is wall time, so time blocked on the emulator shows up in socket reads; the
"self time" table and the named phases below separate that from the Python work around it.
Profiling slows Python code down (roughly 1.5-2x), so the shares matter, not the seconds.
"""

from __future__ import annotations

import pstats
import re
from dataclasses import dataclass
from pathlib import Path

from bench.harness import PYTHON, ROOT, EmulatorProcess, require_success, run_measured
from bench.scenarios import UNLIMITED, Progress, read_argv, read_files

LIBRARY_PREFIX = re.compile(r"^.*/(site-packages|lib/python3\.\d+)/")

# (label, file suffix, function): cumulative time of each, when the function exists in this build.
PHASES: tuple[tuple[str, str, str], ...] = (
    ("whole run (main thread)", "run.py", "run"),
    ("imports during the read (start-up is not profiled)", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("reading the windows, summed over threads (WindowPartition.read)", "video_list.py", "read"),
    ("one page: request to parsed data (ListWalk.fetch)", "video_list.py", "fetch"),
    ("  building the request (HttpClient._create_prepared_request)", "http_client.py", "_create_prepared_request"),
    ("    token validity check per request (get_access_token)", "oauth.py", "get_access_token"),
    ("      expiry date re-parsed per request (get_token_expiry_date)", "oauth.py", "get_token_expiry_date"),
    ("      config paths read with dpath (_get_config_value_by_path)", "oauth.py", "_get_config_value_by_path"),
    ("  proxy settings read from os.environ (merge_environment_settings)", "sessions.py", "merge_environment_settings"),
    ("  the HTTP exchange (requests Session.send)", "sessions.py", "send"),
    ("    blocked on the socket (recv_into)", "~", "<method 'recv_into' of '_socket.socket' objects>"),
    ("  TikTok error policy (interpret_response)", "errors.py", "interpret_response"),
    ("  JSON decoding of pages (json.decoder.raw_decode)", "decoder.py", "raw_decode"),
    ("schema conformance per record (records.conform)", "records.py", "conform"),
    ("paging guard (VideoPager.accept)", "pagination.py", "accept"),
    ("record to AirbyteMessage (stream_data_to_airbyte_message)", "record_helper.py", "stream_data_to_airbyte_message"),
    ("message to JSON line (airbyte_message_to_string)", "entrypoint.py", "airbyte_message_to_string"),
    ("per-message record counting (handle_record_counts)", "entrypoint.py", "handle_record_counts"),
    ("stdout buffer (PrintBuffer.write)", "print_buffer.py", "write"),
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    videos: int
    total_s: float
    phases: list[tuple[str, float | None]]  # None: the function does not exist in this build
    top_self: list[tuple[str, int, float, float]]  # function, calls, self s, cumulative s


def profile_connector(videos: int, work: Path, progress: Progress, top: int = 15) -> Profile:
    """cProfile of the connector's full read of `videos` (the throughput catalog)."""
    progress(f"profile: connector read of {videos} videos under cProfile")
    dump = work / "connector.prof"
    with EmulatorProcess(videos) as emulator:
        config = emulator.config(requests_per_minute=UNLIMITED)
        files = read_files(work, "profile", config, {"videos": "full_refresh"})
        argv = [PYTHON, "-m", "bench.profiled", str(dump), *read_argv("connector", *files)[1:]]
        out = work / "profile.jsonl"
        measurement = run_measured(argv, out)
        require_success("profiled connector", measurement, out)
    return summarise(pstats.Stats(str(dump)), videos, top)


def summarise(stats: pstats.Stats, videos: int, top: int) -> Profile:
    table = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    phases: list[tuple[str, float | None]] = []
    for label, suffix, name in PHASES:
        times = [v[3] for (f, _, n), v in table.items() if n == name and f.endswith(suffix)]
        phases.append((label, max(times) if times else None))
    by_self = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:top]
    top_self = [(describe(key), value[1], value[2], value[3]) for key, value in by_self]
    return Profile(videos, stats.total_tt, phases, top_self)  # type: ignore[attr-defined]


def describe(key: tuple[str, int, str]) -> str:
    """`package/module.py:line(function)`, without the site-packages prefix."""
    filename, line, name = key
    if filename == "~":
        return name
    short = LIBRARY_PREFIX.sub("", filename).removeprefix(str(ROOT) + "/")
    return f"{short}:{line}({name})"
