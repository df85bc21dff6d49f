#!/usr/bin/env python3
"""The state to resume from, out of a connector run's Airbyte messages.

    python3 scripts/last_state.py output.jsonl > state.json
    source-tiktok-organic read ... | python3 scripts/last_state.py > state.json

Reads one Airbyte message per line (from the file given, or stdin; lines that are not JSON
objects are skipped) and prints, as one JSON list, the `state` of the last STATE message of
each stream: the shape `source-tiktok-organic read --state state.json` takes. No STATE
message gives `[]`. Standard library only, so any `python3` runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any


def state_key(state: dict[str, Any]) -> tuple[str, ...]:
    """Which earlier state a state replaces: the same stream's, or the one global/legacy one."""
    kind = str(state.get("type") or "LEGACY")
    stream = state.get("stream")
    if kind == "STREAM" and isinstance(stream, dict):
        descriptor = stream.get("stream_descriptor") or {}
        return kind, str(descriptor.get("namespace") or ""), str(descriptor.get("name"))
    return (kind,)


def last_states(lines: Iterable[str]) -> list[dict[str, Any]]:
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict) or message.get("type") != "STATE":
            continue
        state = message.get("state")
        if isinstance(state, dict):
            latest[state_key(state)] = state
    return list(latest.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="last_state.py",
        description="Print the last STATE of each stream as a JSON list, for --state.",
    )
    parser.add_argument("messages", nargs="?", default="-", help="a file of messages; - is stdin")
    args = parser.parse_args(argv)
    if args.messages == "-":
        states = last_states(sys.stdin)
    else:
        try:
            with open(args.messages, encoding="utf-8", errors="replace") as file:
                states = last_states(file)
        except OSError as error:
            print(f"last_state.py: cannot read {args.messages}: {error.strerror}", file=sys.stderr)
            return 2
    json.dump(states, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
