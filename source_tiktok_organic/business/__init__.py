"""Business mode: TikTok's API for Business (Accounts endpoints) behind the same streams.

Layers, each importing only those below: mode -> streams -> auth, records -> errors, core.
"""
