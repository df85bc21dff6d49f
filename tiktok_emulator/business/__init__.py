"""An offline TikTok API for Business, "Accounts" endpoints, beside the Display API emulator.

Its public face: `BusinessEmulator` (start it, point a client at `.url`, turn its `knobs`, issue
auth codes and refresh tokens, read `counts`), `Knobs` for the behaviours the docs leave open, and
`generate_business_dataset` for the account it serves. Layers, each importing only those below:
emulator (state and lifecycle) -> api (endpoint semantics) -> tokens, paging, params, render,
shares, dataset, knobs, fields, envelope; sockets, messages and rate limiting come from the parent
package.
"""

from tiktok_emulator.business.dataset import BusinessDataset, generate_business_dataset
from tiktok_emulator.business.emulator import BusinessEmulator
from tiktok_emulator.business.knobs import Knobs

__all__ = ["BusinessDataset", "BusinessEmulator", "Knobs", "generate_business_dataset"]
