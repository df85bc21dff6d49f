"""The `oauth_session` a run leaves in the config it saves, so the next run reuses its access token.

A saved session counts only for exactly the credentials that produced it: the token endpoint
(which names the API host and the account mode), the app id, the app secret and the refresh token.
They are kept as one SHA-256 over all four, never as values, so an edited secret or a pasted token
is tried at once instead of passing `check` on a token another credential earned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

SESSION = "oauth_session"
CREDENTIALS_FINGERPRINT = "credentials_sha256"
# Written by versions before the fingerprint covered every credential: only the refresh token.
LEGACY_FINGERPRINT = "refresh_token_sha256"


def fingerprint(token_endpoint: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    """One hash of everything a token depends on; JSON keeps the parts from running together."""
    parts = json.dumps([token_endpoint, client_id, client_secret, refresh_token])
    return hashlib.sha256(parts.encode()).hexdigest()


def legacy_fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def saved_session(config: Mapping[str, Any]) -> Mapping[str, Any]:
    session = config.get(SESSION)
    return session if isinstance(session, Mapping) else {}


def made_by(session: Mapping[str, Any], credentials: str) -> bool:
    """Whether the session was saved for exactly these credentials (their fingerprint)."""
    return session.get(CREDENTIALS_FINGERPRINT) == credentials


def saved_account(session: Mapping[str, Any], credentials: str, refresh_token: str) -> str | None:
    """The account a session of these credentials was for; a legacy session counts by its token.

    The account is kept from one run to the next while the refresh token only rotates, so a
    token TikTok issues for another account is caught even on a sync's first refresh.
    """
    same = made_by(session, credentials) or (
        CREDENTIALS_FINGERPRINT not in session
        and session.get(LEGACY_FINGERPRINT) == legacy_fingerprint(refresh_token)
    )
    account = session.get("open_id") if same else None
    return account if isinstance(account, str) and account else None
