"""Shared fixtures: a fresh emulator per test, so faults and tokens never leak between tests."""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_cdk.sources.streams.http import rate_limiting

from source_tiktok_organic.core import backoff
from tiktok_emulator import TikTokEmulator, generate_dataset
from tiktok_emulator.business import BusinessEmulator, generate_business_dataset

# The CDK's standard tests (test_standard.py): their fixtures and command-line options.
pytest_plugins = ("airbyte_cdk.test.standard_tests.pytest_hooks",)

DATASET_NOW = 1_760_000_000


def pytest_configure(config: pytest.Config) -> None:
    """Declares the marks the CDK's standard tests apply, which `--strict-markers` requires."""
    config.addinivalue_line("markers", "image_tests: a CDK standard test of the connector image")
    config.addinivalue_line("markers", "requires_creds: a CDK standard test of a secrets/ config")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests first: one started last keeps its worker busy after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("long_running") is None)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process runs retry after milliseconds, not seconds; the waits' shape is unit-tested.

    The CDK adds a whole second to every wait a backoff strategy asks for, so its sleep is
    shortened too: `rate_limiting.time` is the module it sleeps through.
    """
    monkeypatch.setattr(backoff, "BASE_SECONDS", 0.01)
    monkeypatch.setattr(rate_limiting, "time", types.SimpleNamespace(sleep=quick_sleep))


def quick_sleep(seconds: float) -> None:
    time.sleep(min(seconds, 0.05))


@pytest.fixture
def emulator() -> Iterator[TikTokEmulator]:
    with TikTokEmulator(dataset=generate_dataset(videos=45, seed=7, now=DATASET_NOW)) as emu:
        yield emu


def config_for(emu: TikTokEmulator, **overrides: Any) -> dict[str, Any]:
    """A connector config pointing at the emulator, with short timeouts for fault tests."""
    return emu.connector_config(**{"request_timeout_seconds": 2, "lookback_days": 0, **overrides})


@pytest.fixture
def config(emulator: TikTokEmulator) -> dict[str, Any]:
    return config_for(emulator)


@pytest.fixture
def business() -> Iterator[BusinessEmulator]:
    dataset = generate_business_dataset(posts=45, seed=7, now=DATASET_NOW)
    with BusinessEmulator(dataset=dataset, clock=lambda: DATASET_NOW) as emu:
        yield emu
