"""An offline TikTok Open API v2 (token endpoint and Display API) for tests, demo and benchmarks.

Its public face: `TikTokEmulator` (start it, point a config at `.url`, turn its knobs: `faults`,
`add_videos`, `bump_counts`, `expire_access_tokens`, ...; read `counts`), `generate_dataset` and
`Dataset` for the account it serves, and `Faults` for what can go wrong. `python -m
tiktok_emulator` serves one by hand. Layers, each importing only those below it: emulator (state
and lifecycle) -> api (endpoint semantics) and server (sockets) -> catalog, tokens, faults,
ratelimit, messages, dataset. `tiktok_emulator.business` is TikTok's API for Business (Accounts
endpoints) on the same sockets, messages and rate limiting.
"""

from tiktok_emulator.dataset import Dataset, generate_dataset
from tiktok_emulator.emulator import TikTokEmulator
from tiktok_emulator.faults import Faults

__all__ = ["Dataset", "Faults", "TikTokEmulator", "generate_dataset"]
