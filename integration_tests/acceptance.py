"""The TikTok the acceptance tests talk to: the emulators, serving what the config files point at.

The creator configs of `acceptance-test-config.yml` (`integration_tests/config.json` and
`invalid_config.json`) name the Display API emulator at `ACCEPTANCE_URL` and carry
`REFRESH_TOKEN`, a refresh token this emulator always honours and hands back unchanged, so the
files stay valid however often they are read, even from a read-only mount; the dataset is seeded with a fixed clock, so `expected_records.jsonl` stays true.
The business config (`business_config.json`) names the API for Business emulator at
`BUSINESS_URL` with `BUSINESS_REFRESH_TOKEN`, honoured the same way; its dataset is dated to the
moment it starts, since the connector reads daily metrics up to its own yesterday, so it has no
expected records.

Three ways in:

* `python -m integration_tests.acceptance` serves both on 127.0.0.1:8089 and :8088 until Ctrl-C,
  so the files work as they are: `source-tiktok-organic check --config integration_tests/config.json`,
  or the image with `docker run --network host ...`.
* As the pytest plugin of Airbyte's legacy Connector Acceptance Tests
  (`-p integration_tests.acceptance`): `connector_setup` serves them on the same fixed ports for
  the session. CAT runs the connector image in its own network, where the host's loopback is
  not reachable; give the container the host network to use it.
* The CDK standard tests (`test_standard.py`) start them on free ports instead (two pytest
  workers, or two test runs, cannot share one port) and point the configs at them with
  `Served.aim`.
"""

from __future__ import annotations

import dataclasses
import errno
import importlib.util
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator, Knobs, generate_business_dataset
from tiktok_emulator.dataset import SCOPES
from tiktok_emulator.server import LoopbackEmulator
from tiktok_emulator.tokens import TokenPair, TokenStore

ACCEPTANCE_HOST = "127.0.0.1"
ACCEPTANCE_PORT = 8089
ACCEPTANCE_URL = f"http://{ACCEPTANCE_HOST}:{ACCEPTANCE_PORT}"
REFRESH_TOKEN = "rft.acceptance-tests-emulator-grant!8089.va"
DATASET = {"videos": 25, "seed": 7, "now": 1_760_000_000}
BUSINESS_PORT = 8088
BUSINESS_URL = f"http://{ACCEPTANCE_HOST}:{BUSINESS_PORT}"
BUSINESS_REFRESH_TOKEN = "rft.acceptance-tests-business-grant!8088.va"
BUSINESS_POSTS = 25
Emulator = TypeVar("Emulator", bound=LoopbackEmulator)
# No rotation: the config files are read again by every test, and by the README's `docker run`
# from a read-only mount, where a rotated token could not be saved. Rotation is tested elsewhere.
ROTATION = "off"

# Airbyte's legacy acceptance tests load their own plugin through this file; elsewhere it is absent.
pytest_plugins = (
    ["connector_acceptance_test.plugin"]
    if importlib.util.find_spec("connector_acceptance_test") is not None
    else []
)


class FixedGrantTokenStore(TokenStore):
    """The emulator's token store, plus one refresh token that stays valid, and the same, for good."""

    def __init__(self, fixed_refresh_token: str, rotation: str = ROTATION) -> None:
        super().__init__(rotation, access_token_ttl=86_400, refresh_token_ttl=15_552_000)
        self.fixed_refresh_token = fixed_refresh_token
        self._grant = self.issue_refresh_token(SCOPES)

    def refresh(self, refresh_token: str) -> TokenPair | None:
        if refresh_token != self.fixed_refresh_token:
            return super().refresh(refresh_token)
        pair = super().refresh(self._grant)
        return pair and dataclasses.replace(pair, refresh_token=self.fixed_refresh_token)


def acceptance_emulator(host: str = ACCEPTANCE_HOST, port: int = ACCEPTANCE_PORT) -> TikTokEmulator:
    """Not started yet; `port=0` picks a free port."""
    emulator = TikTokEmulator(dataset=generate_dataset(**DATASET), host=host, port=port)
    emulator.tokens = FixedGrantTokenStore(REFRESH_TOKEN)
    emulator.refresh_token = REFRESH_TOKEN
    return emulator


def business_acceptance_emulator(
    host: str = ACCEPTANCE_HOST, port: int = BUSINESS_PORT
) -> BusinessEmulator:
    """Not started yet; `port=0` picks a free port.

    No rate limit: the suites read it many times a minute, each run within TikTok's 40 calls
    a minute but not all of them together, and TikTok's answer to that is a five-minute wait.
    """
    dataset = generate_business_dataset(posts=BUSINESS_POSTS, seed=7, now=int(time.time()))
    emulator = BusinessEmulator(
        dataset=dataset,
        knobs=Knobs(rotation=ROTATION),
        rate_limit_per_minute=None,
        host=host,
        port=port,
    )
    emulator.refresh_token = emulator.issue_refresh_token(token=BUSINESS_REFRESH_TOKEN)
    return emulator


def pointed_at(
    config: Mapping[str, Any], url: str, business_url: str | None = None
) -> dict[str, Any]:
    """A copy of a config file's content, aimed at the emulators at `url` and `business_url` if
    it aimed at ours."""
    pointed = dict(config)
    for field, ours, live in (
        ("api_base_url", ACCEPTANCE_URL, url),
        ("business_api_base_url", BUSINESS_URL, business_url),
    ):
        if live is not None and str(pointed.get(field, "")).rstrip("/") == ours:
            pointed[field] = live
    return pointed


@dataclass(frozen=True)
class Served:
    creator: TikTokEmulator
    business: BusinessEmulator

    def aim(self, config: Mapping[str, Any]) -> dict[str, Any]:
        return pointed_at(config, self.creator.url, self.business.url)


class PortTakenError(Exception):
    """An acceptance emulator's fixed port is taken; the message is one line for the user."""


@contextmanager
def serving(port: int = ACCEPTANCE_PORT, business_port: int = BUSINESS_PORT) -> Iterator[Served]:
    """Both emulators, serving; PortTakenError names a port that cannot be bound."""
    with ExitStack() as stack:
        creator = stack.enter_context(started(acceptance_emulator(port=port), port))
        business = stack.enter_context(
            started(business_acceptance_emulator(port=business_port), business_port)
        )
        yield Served(creator, business)


@contextmanager
def started(emulator: Emulator, port: int) -> Iterator[Emulator]:
    """`emulator`, serving on its fixed `port` until the block ends."""
    try:
        emulator.start()
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        raise PortTakenError(
            f"port {port} on {ACCEPTANCE_HOST} is taken (is another acceptance emulator running?); "
            "the acceptance configs expect it there, so stop whatever holds it and try again"
        ) from None
    with emulator:
        yield emulator


@pytest.fixture(scope="session", autouse=True)
def connector_setup() -> Iterator[Served]:
    """For the legacy acceptance tests, which read the config files as they are."""
    with serving() as served:
        yield served


def main() -> int:
    try:
        with serving() as served:
            print(
                f"TikTok emulators for the acceptance configs: Display API on {served.creator.url}, "
                f"API for Business on {served.business.url}; Ctrl-C stops them.",
                flush=True,
            )
            with suppress(KeyboardInterrupt):
                threading.Event().wait()
    except PortTakenError as error:
        print(f"python -m integration_tests.acceptance: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
