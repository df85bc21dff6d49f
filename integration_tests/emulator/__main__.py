"""Run the emulator as a process: `python -m integration_tests.emulator --port 0`.

Prints one JSON line with the URL and credentials, then serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from integration_tests.emulator.dataset import generate_dataset
from integration_tests.emulator.emulator import TikTokEmulator
from integration_tests.emulator.tokens import ROTATIONS


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m integration_tests.emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--videos", type=int, default=45)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=600, help="per minute; 0 disables")
    parser.add_argument("--rotation", choices=ROTATIONS, default="strict")
    parser.add_argument("--access-token-ttl", type=float, default=86400)
    parser.add_argument("--retry-after", type=int, default=None, help="Retry-After on 429s")
    parser.add_argument(
        "--stats-on-exit", action="store_true", help="print the request counts as JSON on exit"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    emulator = TikTokEmulator(
        dataset=generate_dataset(videos=args.videos, seed=args.seed),
        rate_limit_per_minute=args.rate_limit or None,
        rotation=args.rotation,
        access_token_ttl=args.access_token_ttl,
        latency_ms=args.latency_ms,
        retry_after_header=args.retry_after,
        host=args.host,
        port=args.port,
        seed=args.seed,
    )
    with emulator:
        ready = {
            "url": emulator.url,
            "client_id": emulator.client_key,
            "client_secret": emulator.client_secret,
            "refresh_token": emulator.refresh_token,
            "videos": len(emulator.dataset.videos),
        }
        print(json.dumps(ready), flush=True)
        stop.wait()
    if args.stats_on_exit:
        print(json.dumps(dict(emulator.counts)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
