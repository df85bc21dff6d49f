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


def fingerprint(token_endpoint: str, client_id: str, client_secret: str, refresh_token: str) -> str:
    """One hash of everything a token depends on; JSON keeps the parts from running together."""
    parts = json.dumps([token_endpoint, client_id, client_secret, refresh_token])
    return hashlib.sha256(parts.encode()).hexdigest()


def saved_session(config: Mapping[str, Any]) -> Mapping[str, Any]:
    session = config.get(SESSION)
    return session if isinstance(session, Mapping) else {}


def made_by(session: Mapping[str, Any], credentials: str) -> bool:
    """Whether the session was saved for exactly these credentials (their fingerprint)."""
    return session.get(CREDENTIALS_FINGERPRINT) == credentials


def saved_account(session: Mapping[str, Any]) -> str | None:
    """The account this connection has read, whatever credentials it was read with since.

    A connection stays bound to it: a token TikTok issues for another account is caught even on
    a sync's first refresh, and after any credential was edited. Only removing the session (by
    hand) or a new source reads another account.
    """
    account = session.get("open_id")
    return account if isinstance(account, str) and account else None
