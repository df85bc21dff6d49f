"""Offline emulator of the TikTok Open API v2 parts the connector uses (token + Display API)."""

from integration_tests.emulator.dataset import Dataset, generate_dataset
from integration_tests.emulator.emulator import TikTokEmulator
from integration_tests.emulator.faults import Faults

__all__ = ["Dataset", "Faults", "TikTokEmulator", "generate_dataset"]
