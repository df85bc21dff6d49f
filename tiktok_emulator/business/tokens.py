"""Account-holder OAuth bookkeeping: single-use auth codes, refresh lineages, access tokens."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tiktok_emulator.business.envelope import ApiError
from tiktok_emulator.business.fields import SCOPES
from tiktok_emulator.business.knobs import Knobs
from tiktok_emulator.tokens import scope_text

AUTH_CODE_TTL = 600  # 10 minutes, per the docs
ACCESS_TOKEN_TTL = 86400
REFRESH_TOKEN_TTL = 31536000


@dataclass(frozen=True)
class _Lineage:
    """One authorization: every token refreshed from it shares its scopes and its end."""

    scopes: frozenset[str]
    refresh_expires_at: float


@dataclass
class _Access:
    lineage: _Lineage
    expires_at: float
    revoked: bool = False


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    refresh_expires_in: int
    scopes: frozenset[str]

    @property
    def scope(self) -> str:
        return scope_text(self.scopes, SCOPES)


class BusinessTokens:
    """Wall-clock expiry through an injectable `clock`; rotation follows the live knobs."""

    def __init__(self, knobs: Knobs, clock: Callable[[], float]):
        self._knobs = knobs
        self._clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[_Lineage, float]] = {}
        self._refresh: dict[str, _Lineage] = {}
        self._dead_refresh: set[str] = set()  # revoked or rotated away: known, but refused
        self._access: dict[str, _Access] = {}

    def issue_auth_code(self, scopes: Iterable[str] = SCOPES, code: str | None = None) -> str:
        """What the consent redirect would carry; the lineage starts when it is exchanged."""
        lineage = _Lineage(_checked(scopes), 0.0)
        code = code or secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = (lineage, self._clock() + AUTH_CODE_TTL)
        return code

    def issue_refresh_token(self, scopes: Iterable[str] = SCOPES, token: str | None = None) -> str:
        """As if the account holder had just authorized and the code been exchanged.

        `token` names the refresh token, for a config file written before the emulator starts.
        """
        token = token or _token("rft")
        with self._lock:
            self._refresh[token] = _Lineage(_checked(scopes), self._clock() + REFRESH_TOKEN_TTL)
        return token

    def exchange(self, auth_code: str) -> Grant:
        now = self._clock()
        with self._lock:
            lineage, expires_at = self._codes.pop(auth_code, (None, 0.0))
            if lineage is None or expires_at <= now:
                raise ApiError(40110)
            lineage = _Lineage(lineage.scopes, now + REFRESH_TOKEN_TTL)
            refresh_token = _token("rft")
            self._refresh[refresh_token] = lineage
            return self._grant(lineage, refresh_token, now)

    def refresh(self, refresh_token: str) -> Grant:
        now = self._clock()
        with self._lock:
            lineage = self._refresh.get(refresh_token)
            if lineage is None:
                dead = refresh_token in self._dead_refresh
                raise ApiError(self._knobs.dead_refresh_code if dead else 40107)
            if lineage.refresh_expires_at <= now:
                raise ApiError(self._knobs.dead_refresh_code)
            rotation = self._knobs.rotation
            if rotation != "off":
                if rotation == "strict":
                    del self._refresh[refresh_token]
                    self._dead_refresh.add(refresh_token)
                refresh_token = _token("rft")
                self._refresh[refresh_token] = lineage
            return self._grant(lineage, refresh_token, now)

    def scopes_of(self, access_token: str) -> frozenset[str]:
        if not access_token:
            raise ApiError(40104)
        with self._lock:
            access = self._access.get(access_token)
        if access is None or access.revoked:
            raise ApiError(40105)
        if access.expires_at <= self._clock():
            raise ApiError(40102)
        return access.lineage.scopes

    def expire_access_tokens(self) -> None:
        with self._lock:
            for access in self._access.values():
                access.expires_at = 0.0

    def revoke_refresh_tokens(self) -> None:
        """The account holder deauthorized the app: its access tokens die too."""
        with self._lock:
            self._dead_refresh.update(self._refresh)
            self._refresh.clear()
            for access in self._access.values():
                access.revoked = True

    def _grant(self, lineage: _Lineage, refresh_token: str, now: float) -> Grant:
        access_token = _token("act")
        self._access[access_token] = _Access(lineage, now + ACCESS_TOKEN_TTL)
        return Grant(
            access_token, refresh_token, int(lineage.refresh_expires_at - now), lineage.scopes
        )


def _checked(scopes: Iterable[str]) -> frozenset[str]:
    granted = frozenset(scopes)
    unknown = granted.difference(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}; known: {SCOPES}")
    return granted


def _token(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(24)}"
