"""OAuth token bookkeeping: refresh tokens, rotation, scopes, expiry and revocation."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tiktok_emulator.dataset import SCOPES

ROTATIONS = ("strict", "lenient", "off")


@dataclass(frozen=True)
class _Grant:
    scopes: frozenset[str]
    expires_at: float


@dataclass(frozen=True)
class TokenPair:
    """What a successful refresh hands out."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scopes: frozenset[str]

    @property
    def scope(self) -> str:
        return scope_text(self.scopes, SCOPES)


def scope_text(granted: frozenset[str], order: tuple[str, ...]) -> str:
    """Comma-separated, in the canonical order TikTok lists scopes."""
    return ",".join(scope for scope in order if scope in granted)


class TokenStore:
    """Wall-clock expiry, as TikTok's real tokens; `clock` is injectable for tests."""

    def __init__(
        self,
        rotation: str,
        access_token_ttl: float,
        refresh_token_ttl: float,
        clock: Callable[[], float] = time.time,
    ):
        if rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation!r}")
        self.rotation = rotation
        self.access_token_ttl = access_token_ttl
        self.refresh_token_ttl = refresh_token_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._refresh: dict[str, _Grant] = {}
        self._access: dict[str, _Grant] = {}

    def issue_refresh_token(self, scopes: Iterable[str] = SCOPES) -> str:
        """A fresh refresh token granting `scopes`, as if the user had just authorized."""
        granted = frozenset(scopes)
        unknown = granted.difference(SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {SCOPES}")
        token = _token("rft")
        with self._lock:
            self._refresh[token] = _Grant(granted, self._clock() + self.refresh_token_ttl)
        return token

    def refresh(self, refresh_token: str) -> TokenPair | None:
        """Exchange a refresh token; None means invalid_grant (unknown, revoked, expired, rotated)."""
        now = self._clock()
        with self._lock:
            grant = self._refresh.get(refresh_token)
            if grant is None or grant.expires_at <= now:
                return None
            if self.rotation == "off":
                new_refresh = refresh_token
            else:
                if self.rotation == "strict":
                    del self._refresh[refresh_token]
                new_refresh = _token("rft")
                grant = _Grant(grant.scopes, now + self.refresh_token_ttl)
                self._refresh[new_refresh] = grant
            access = _token("act")
            self._access[access] = _Grant(grant.scopes, now + self.access_token_ttl)
        return TokenPair(
            access_token=access,
            expires_in=int(self.access_token_ttl),
            refresh_token=new_refresh,
            refresh_expires_in=int(grant.expires_at - now),
            scopes=grant.scopes,
        )

    def scopes_of(self, access_token: str) -> frozenset[str] | None:
        """Scopes of a live access token; None for unknown, expired or killed ones."""
        with self._lock:
            grant = self._access.get(access_token)
        if grant is None or grant.expires_at <= self._clock():
            return None
        return grant.scopes

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()


def _token(prefix: str) -> str:
    """Shaped like TikTok's opaque tokens (`act.…!1234.va`)."""
    return f"{prefix}.{secrets.token_hex(24)}!{secrets.randbelow(9000) + 1000}.va"
