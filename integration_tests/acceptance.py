"""The TikTok the acceptance tests talk to: the emulator, serving what the config files point at.

The configs of `acceptance-test-config.yml` (`integration_tests/config.json` and
`invalid_config.json`) name the emulator at `ACCEPTANCE_URL` and carry `REFRESH_TOKEN`, a
refresh token this emulator always honours and hands back unchanged, so the files stay valid
however often they are read, even from a read-only mount; the dataset is seeded with a fixed
clock, so `expected_records.jsonl` stays true.

Three ways in:

* `python -m integration_tests.acceptance` serves it on 127.0.0.1:8089 until Ctrl-C, so the
  files work as they are: `source-tiktok-organic check --config integration_tests/config.json`,
  or the image with `docker run --network host ...`.
* As the pytest plugin of Airbyte's legacy Connector Acceptance Tests
  (`-p integration_tests.acceptance`): `connector_setup` serves it on the same fixed port for
  the session. CAT runs the connector image in its own network, where the host's loopback is
  not reachable; give the container the host network to use it.
* The CDK standard tests (`test_standard.py`) start it on a free port instead (two pytest
  workers, or two test runs, cannot share one port) and point the configs at it with
  `pointed_at`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import pytest

from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.dataset import SCOPES
from tiktok_emulator.tokens import TokenPair, TokenStore

ACCEPTANCE_HOST = "127.0.0.1"
ACCEPTANCE_PORT = 8089
ACCEPTANCE_URL = f"http://{ACCEPTANCE_HOST}:{ACCEPTANCE_PORT}"
REFRESH_TOKEN = "rft.acceptance-tests-emulator-grant!8089.va"
DATASET = {"videos": 25, "seed": 7, "now": 1_760_000_000}
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


def pointed_at(config: Mapping[str, Any], url: str) -> dict[str, Any]:
    """A copy of a config file's content, aimed at the emulator at `url` if it aimed at ours."""
    pointed = dict(config)
    if pointed.get("api_base_url", "").rstrip("/") == ACCEPTANCE_URL:
        pointed["api_base_url"] = url
    return pointed


@contextmanager
def serving(port: int = ACCEPTANCE_PORT) -> Iterator[TikTokEmulator]:
    with acceptance_emulator(port=port) as emulator:
        yield emulator


@pytest.fixture(scope="session", autouse=True)
def connector_setup() -> Iterator[TikTokEmulator]:
    """For the legacy acceptance tests, which read the config files as they are."""
    with serving() as emulator:
        yield emulator


def main() -> None:
    with serving() as emulator:
        print(f"TikTok emulator for the acceptance configs on {emulator.url}; Ctrl-C stops it.")
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
