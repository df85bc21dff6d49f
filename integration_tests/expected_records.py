"""`expected_records.jsonl`: what a read of `configured_catalog.json` returns from the acceptance emulator.

    python -m integration_tests.expected_records     # rewrites the file

Only the streams whose records depend on the seeded dataset alone are kept: user_stats and
video_stats rows carry the sync's own `snapshot_at`, so no file can hold them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from integration_tests.acceptance import DATASET, acceptance_emulator, pointed_at
from integration_tests.cli import run_connector

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.json"
CATALOG = HERE / "configured_catalog.json"
EXPECTED_RECORDS = HERE / "expected_records.jsonl"
STABLE_STREAMS = ("user_info", "videos")
EMITTED_AT = DATASET["now"] * 1000  # the file's records are as of the dataset's clock


def read_records(url: str) -> list[dict[str, Any]]:
    """The records of the stable streams, one `{"stream", "data", "emitted_at"}` per line."""
    config = pointed_at(json.loads(CONFIG.read_text()), url)
    run = run_connector("read", config, json.loads(CATALOG.read_text()))
    if run.returncode != 0:
        raise RuntimeError("read failed:\n" + "\n".join(run.errors() or [run.stderr[-3000:]]))
    return [
        {"stream": stream, "data": data, "emitted_at": EMITTED_AT}
        for stream in STABLE_STREAMS
        for data in run.records(stream)
    ]


def to_jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def main() -> None:
    with acceptance_emulator(port=0) as emulator:
        records = read_records(emulator.url)
    EXPECTED_RECORDS.write_text(to_jsonl(records), encoding="utf-8")
    print(f"wrote {len(records)} records to {EXPECTED_RECORDS}")


if __name__ == "__main__":
    main()
