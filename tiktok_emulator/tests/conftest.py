"""The emulator's own tests: a fresh Display API emulator per test, the account the end-to-end
tests read."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tiktok_emulator import TikTokEmulator, generate_dataset

DATASET_NOW = 1_760_000_000


@pytest.fixture
def emulator() -> Iterator[TikTokEmulator]:
    with TikTokEmulator(dataset=generate_dataset(videos=45, seed=7, now=DATASET_NOW)) as emu:
        yield emu
