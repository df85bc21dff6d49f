"""Business mode: TikTok's API for Business (Accounts endpoints) behind the same streams.

Layers, each importing only those below: streams -> auth, errors, records -> envelope, fields.
"""
