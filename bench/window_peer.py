"""The window peer: a plain thread pool over create_time windows, the bar for slicing.

    python -m bench.window_peer read --config config.json > records.jsonl

The floor's token refresh, a probe for the newest create_time, then [2014-01-01, newest] cut into
4 x num_workers equal windows, each walked newest-first by a pool thread. Like the connector it
re-reads each page's oldest second (the emulator's cursor splits seconds) and keeps to
`requests_per_minute` over 61 s, so TikTok's window, not 429s, paces both. No CDK; a 429 is
waited out for a second and asked again, no other answer is retried.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import requests

from bench.floor import FIELDS, PAGE_SIZE, RECORD_HEAD, authorize

EPOCH = 1_388_534_400  # 2014-01-01 UTC: no TikTok video is older
WORKERS = 8  # the connector's num_workers default
RATE = 600  # the connector's requests_per_minute default; 0 = no limit
RATE_WINDOW_S = 61.0


class Reader:
    """The shared parts: token, rate budget, output; a requests.Session for each thread."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.url = config["api_base_url"].rstrip("/") + "/v2/video/list/"
        limit = config.get("requests_per_minute", RATE)
        self.sent: deque[float] | None = deque(maxlen=limit) if limit else None
        self.budget = threading.Lock()
        self.output = threading.Lock()
        self.local = threading.local()
        self.open_id, self.headers = authorize(self.session(), config)

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def page(self, cursor: int | None, count: int = PAGE_SIZE) -> dict[str, Any]:
        body = {"max_count": count} if cursor is None else {"max_count": count, "cursor": cursor}
        while True:
            if self.sent is not None:
                with self.budget:  # a full window: wait until its oldest request leaves it
                    if len(self.sent) == self.sent.maxlen:
                        time.sleep(max(0.0, self.sent[0] + RATE_WINDOW_S - time.monotonic()))
                    self.sent.append(time.monotonic())
            response = self.session().post(
                self.url, params={"fields": FIELDS}, data=orjson.dumps(body),
                headers=self.headers, timeout=60,
            )  # fmt: skip
            if response.status_code != 429:
                response.raise_for_status()
                return dict(orjson.loads(response.content)["data"])
            time.sleep(1.0)  # the emulator sends no Retry-After by default

    def walk(self, start: int, end: int) -> None:
        """Videos created in [start, end] seconds, newest first, each written once."""
        seen: set[str] = set()
        cursor = (end + 1) * 1000
        while True:
            data = self.page(cursor)
            videos = data["videos"]
            fresh = [v for v in videos if start <= v["create_time"] <= end and v["id"] not in seen]
            seen.update(v["id"] for v in fresh)
            self.write(fresh)
            if not (data["has_more"] and videos) or videos[-1]["create_time"] < start:
                return
            oldest = videos[-1]["create_time"]
            # the oldest second again, unless the whole page was that second (it would not move)
            cursor = (oldest + 1) * 1000 if (oldest + 1) * 1000 < cursor else oldest * 1000

    def write(self, videos: list[dict[str, Any]]) -> None:
        emitted_at = b',"emitted_at":%d}}\n' % int(time.time() * 1000)
        lines = b"".join(
            RECORD_HEAD + orjson.dumps({**v, "open_id": self.open_id}) + emitted_at for v in videos
        )
        with self.output:
            sys.stdout.buffer.write(lines)


def windows(newest: int, count: int) -> list[tuple[int, int]]:
    """[EPOCH, newest] in `count` equal, adjacent (start, end) windows, newest first."""
    first = min(EPOCH, newest)
    edges = [first + (newest + 1 - first) * i // count for i in range(count + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in reversed(range(count))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.window_peer")
    parser.add_argument("command", nargs="?", default="read", choices=["read"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--catalog", type=Path, help="accepted for a uniform command line; unused")
    config = orjson.loads(parser.parse_args(argv).config.read_bytes())
    reader = Reader(config)
    probe = reader.page(None, count=1)["videos"]
    if probe:
        workers = config.get("num_workers", WORKERS)
        cuts = windows(probe[0]["create_time"], 4 * workers)
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda window: reader.walk(*window), cuts))  # raises what a walk raised
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
