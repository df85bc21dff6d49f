"""Run the emulator as a process: `python -m tiktok_emulator [--business] [--write-config PATH]`.

`--business` serves TikTok's API for Business (Accounts endpoints) instead of the Display API,
and the config it prints is a business-mode config.

Serves on 127.0.0.1:8090 by default (the acceptance emulator owns 8089), or on any free port
when 8090 is taken; `--port N` asks for N (exit 2 if taken), `--port 0` for any free port.
Prints one JSON line on stdout, the connector config for this emulator as it is
(`client_id`, `client_secret`, `refresh_token`, `api_base_url`), optionally writes it to a
file, says what it serves on stderr, then serves until SIGTERM or SIGINT. The account's data
is dated to the moment it starts, as a real account's would be, and its creator is a mid-size
one, not the extremes the tests use.

`--write-config` never replaces a file this emulator did not write (exit 2, naming the file),
unless `--overwrite` says to: the same user may keep a real config, whose refresh token TikTok
has rotated, in the folder.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tiktok_emulator.business import BusinessEmulator, Knobs, generate_business_dataset
from tiktok_emulator.dataset import generate_dataset
from tiktok_emulator.emulator import TikTokEmulator
from tiktok_emulator.tokens import ROTATIONS

PROG = "python -m tiktok_emulator"
DEFAULT_PORT = 8090  # integration_tests/acceptance.py serves the acceptance configs on 8089
Served = TikTokEmulator | BusinessEmulator


# The apps whose credentials only an emulator's config carries, by the field naming its host.
EMULATOR_APPS = {
    "api_base_url": (TikTokEmulator.CLIENT_KEY, TikTokEmulator.CLIENT_SECRET),
    "business_api_base_url": (BusinessEmulator.APP_ID, BusinessEmulator.APP_SECRET),
}


class PortUnavailableError(Exception):
    """An explicitly requested port cannot be served on; the message is one line for the user."""


class NotOurConfigError(Exception):
    """`--write-config` names a file this emulator did not write; the message is one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Serve an offline TikTok (Display API, or API for Business with --business) on "
            "127.0.0.1 for source-tiktok-organic: print the connector config for it as one "
            "JSON line, optionally write it to a file, and serve until Ctrl-C."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to serve on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"default {DEFAULT_PORT}, or any free port if that one is taken; 0 picks a free port",
    )
    parser.add_argument(
        "--write-config",
        type=Path,
        metavar="PATH",
        help=(
            "also write the connector config to PATH (its folder is created); a file there is "
            "replaced only if this emulator wrote it"
        ),
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="let --write-config replace PATH even if it holds a config this emulator did not write",
    )
    parser.add_argument(
        "--business",
        action="store_true",
        help="serve the API for Business (business mode) instead of the Display API",
    )
    parser.add_argument(
        "--videos",
        type=int,
        default=45,
        help="how many videos the account has, posts with --business (default 45)",
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="the seed of the account's made-up data (default 7)"
    )
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="delay every Display API answer by this many milliseconds (default 0)",
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=None,
        help="per minute and endpoint (default 600, 40 with --business); 0 disables",
    )
    parser.add_argument(
        "--rotation",
        choices=ROTATIONS,
        default="strict",
        help=(
            "what a refresh does to the refresh token: strict, a new one and the old one dies "
            "(TikTok's way, the default); lenient, a new one and the old one keeps working; "
            "off, the same one again"
        ),
    )
    parser.add_argument(
        "--access-token-ttl",
        type=float,
        default=86400,
        help="seconds an access token lives, Display API only (default 86400, as TikTok's)",
    )
    parser.add_argument(
        "--retry-after",
        type=int,
        default=None,
        help="the Retry-After header, in seconds, on the Display API's 429s (default none)",
    )
    parser.add_argument(
        "--stats-on-exit", action="store_true", help="print the request counts as JSON on exit"
    )
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def start_emulator(
    make: Callable[[int], Served], port: int | None, default: int = DEFAULT_PORT
) -> Served:
    """Starts `make(port)` and returns it, serving.

    `port=None` means `default`, or any free port when `default` is taken (said on stderr).
    An explicit port that cannot be bound raises PortUnavailableError.
    """
    wanted = default if port is None else port
    emulator = make(wanted)
    try:
        return emulator.start()
    except OSError as error:
        if port is not None or error.errno != errno.EADDRINUSE:
            reason = error.strerror or str(error)
            raise PortUnavailableError(
                f"cannot serve on port {wanted}: {reason} "
                "(pick another --port, or --port 0 for any free one)"
            ) from None
    emulator = make(0).start()
    print(f"Port {wanted} is taken; serving on {emulator.url} instead.", file=sys.stderr)
    return emulator


def written_by_an_emulator(config: Any) -> bool:
    """A config this emulator wrote: one of its apps' credentials, aimed at a plain-http host.

    No real TikTok app has these credentials, and TikTok is https-only. The rest of the file
    is not compared: the connector saves rotated refresh tokens and its `oauth_session` into it.
    """
    if not isinstance(config, dict):
        return False
    return any(
        (config.get("client_id"), config.get("client_secret")) == app
        and str(config.get(field, "")).startswith("http://")
        for field, app in EMULATOR_APPS.items()
    )


def check_replaceable(path: Path) -> None:
    """Raises NotOurConfigError unless `path` is absent or holds a config this emulator wrote."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError, ValueError):
        content = None
    if not written_by_an_emulator(content):
        raise NotOurConfigError(
            f"{path} holds something this emulator did not write (a real config?), so it is "
            "left as it is; give --write-config a file of its own "
            "such as secrets/emulator_config.json, or add --overwrite to replace it"
        )


def write_config(path: Path, config: dict[str, Any]) -> None:
    """Writes the config atomically (never a half-written file), creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as file:
            file.write(json.dumps(config, indent=2) + "\n")
        os.chmod(temporary, 0o644)  # as a plain `>` redirect would: a container user reads it
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.write_config is not None and not args.overwrite:
        try:
            check_replaceable(args.write_config)
        except NotOurConfigError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return 2
    stop = threading.Event()
    # Dated to now: the connector reads daily metrics up to its own yesterday, so a dataset
    # dated to another day would give it none, and every age the emulator serves is from here.
    now = int(time.time())
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    def make(port: int) -> Served:
        if args.business:
            return BusinessEmulator(
                dataset=generate_business_dataset(posts=args.videos, seed=args.seed, now=now),
                knobs=Knobs(rotation=args.rotation),
                rate_limit_per_minute=40 if args.rate_limit is None else args.rate_limit or None,
                host=args.host,
                port=port,
            )
        return TikTokEmulator(
            dataset=generate_dataset(videos=args.videos, seed=args.seed, now=now, mid_size=True),
            rate_limit_per_minute=600 if args.rate_limit is None else args.rate_limit or None,
            rotation=args.rotation,
            access_token_ttl=args.access_token_ttl,
            latency_ms=args.latency_ms,
            retry_after_header=args.retry_after,
            host=args.host,
            port=port,
            seed=args.seed,
        )

    try:
        emulator = start_emulator(make, args.port)
    except PortUnavailableError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    with emulator:
        config = emulator.connector_config()
        if args.write_config is not None:
            write_config(args.write_config, config)
        print(json.dumps(config), flush=True)
        written = f"; config written to {args.write_config}" if args.write_config else ""
        what = "API for Business emulator" if args.business else "emulator"
        print(
            f"TikTok {what}: {args.videos} videos on {emulator.url} "
            f"({args.rotation} refresh-token rotation){written}. Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )
        # A signal may land on a server thread, which does not wake a blocked wait(): poll.
        while not stop.wait(timeout=0.2):
            pass
    if args.stats_on_exit:
        print(json.dumps(dict(emulator.counts)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
