"""TikTok's refresh-token flow: its request shape, its HTTP-200 errors, rotation and granted scopes.

TikTok retires the old refresh token as it answers: no odd value in the answer may cost the new one.
"""

import contextlib
import hashlib
import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, timedelta
from typing import Any

import requests
from airbyte_cdk.config_observation import emit_configuration_as_airbyte_control_message
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http import requests_native_auth
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime, ab_datetime_now, ab_datetime_parse

from source_tiktok_organic.core.backoff import doubling_wait
from source_tiktok_organic.core.deadlines import BodyCut, bound_answers
from source_tiktok_organic.core.errors import (
    config_error,
    redirect_target,
    traced_error,
    unreachable,
)
from source_tiktok_organic.core.numbers import whole_number

SESSION = "oauth_session"  # the access token a run saves in the config for the next
# A session counts only for the credentials that produced it (token endpoint, app id and secret,
# refresh token), kept as one hash, never as values: an edited one is tried at once.
FINGERPRINT = "credentials_sha256"
# Refresh this long before TikTok's expiry, so a token never dies between check and request;
# at most half a token's life, so a short-lived token is not refreshed before every request.
EXPIRY_MARGIN = timedelta(minutes=5)
# An expires_in outside this range (0, negative, 1e20, "abc") is unusable: the token is taken to
# live TikTok's newest documented access-token life, and is refreshed on a 401 if it dies sooner.
TOKEN_LIFE_RANGE = (60, 366 * 86400)
DEFAULT_TOKEN_LIFE = timedelta(hours=2)
# A refresh token lives 180 days (Display API) or a year (API for Business): ten years is absurd.
REFRESH_LIFE_RANGE = (0, 10 * 366 * 86400)
REFRESH_WARNING = timedelta(days=14)
TOKEN_ATTEMPTS = 4
GAVE_UP = f"Gave up after {TOKEN_ATTEMPTS} attempts."
# A token answer is waited for longer than an API page: TikTok rotates the refresh token when it
# receives the call, so an answer given up on is a refresh token lost.
TOKEN_ANSWER_SECONDS = 120.0
LOGGER = logging.getLogger("airbyte")


class PassingFault(AirbyteTracedException):
    """A failed token call TikTok did not act on, so it is made again."""

    def __init__(self, message: str, failure_type: FailureType = FailureType.transient_error):
        super().__init__(message=message, internal_message=message, failure_type=failure_type)


def fingerprint(*credentials: str) -> str:
    """One hash of everything a token depends on; JSON keeps the parts from running together."""
    return hashlib.sha256(json.dumps(credentials).encode()).hexdigest()


def usable_text(raw: Any) -> str | None:
    """A token or account id that can go into a header or a request: printable, not blank."""
    return raw if isinstance(raw, str) and raw.strip() and raw.isprintable() else None


def account_id(raw: Any) -> str | None:
    """The open_id (business_id) the answer is for: a non-empty string, or a whole number."""
    return usable_text(str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else raw)


def seconds_within(raw: Any, bounds: tuple[int, int]) -> int | None:
    seconds = whole_number(raw)
    return seconds if seconds is not None and bounds[0] <= seconds <= bounds[1] else None


def token_life(raw: Any) -> timedelta:
    seconds = seconds_within(raw, TOKEN_LIFE_RANGE)
    if seconds is not None:
        return timedelta(seconds=seconds)
    LOGGER.warning(
        "TikTok's token answer has an unusable expires_in (%.40r): the access token is "
        "taken to live %s, and is refreshed sooner if TikTok rejects it.",
        raw,
        DEFAULT_TOKEN_LIFE,
    )
    return DEFAULT_TOKEN_LIFE


def warn_if_refresh_token_ends_soon(raw: Any) -> None:
    """A dead refresh token stops every sync (the API for Business's dies a year after consent)."""
    seconds = seconds_within(raw, REFRESH_LIFE_RANGE)
    if seconds is None and raw is not None:
        LOGGER.warning(
            "TikTok's token answer has an unusable refresh token lifetime (%.40r): the connector "
            "cannot say when the refresh token runs out, and goes on.",
            raw,
        )
    elif seconds and seconds <= REFRESH_WARNING.total_seconds():
        LOGGER.warning(
            "TikTok's refresh token expires in %s days (around %s). Re-authorize the account "
            "before then and paste the new refresh token, or every sync will fail.",
            seconds // 86400,
            (ab_datetime_now() + timedelta(seconds=seconds)).date().isoformat(),
        )


def parse_scopes(raw: Any) -> frozenset[str]:
    """TikTok sends `scope` comma-separated; spaces are tolerated too."""
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(filter(None, raw.replace(" ", ",").split(",")))


class TikTokAuthenticator(requests_native_auth.SingleUseRefreshTokenOauth2Authenticator, ABC):
    """The CDK's single-use refresh flow, fitted to TikTok; each API brings its token format."""

    token_path: str
    base_url_field: str
    refresh_life_field: str  # the answer's seconds the refresh token has left
    client_id_field = "client_id"  # plain OAuth 2.0 names, unless an API says otherwise
    body_as = "data"  # how `requests` sends the refresh call's body: "data" (a form) or "json"
    tokens_in: str | None = None  # the answer's key holding the tokens, if not the top level

    def __init__(
        self,
        config: MutableMapping[str, Any],
        api_base_url: str,
        timeout: float,
        save_config: Callable[[Mapping[str, Any]], None] | None = None,
    ) -> None:
        self._config = config  # the CDK holds and emits this same object
        self._timeout = timeout
        self._api_base_url = api_base_url
        self._save_config = save_config
        self._refresh_lock = threading.Lock()
        super().__init__(
            connector_config=config,
            token_refresh_endpoint=api_base_url + self.token_path,
            client_id_name=self.client_id_field,
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            access_token_config_path=(SESSION, "access_token"),
            refresh_token_config_path=("refresh_token",),
            token_expiry_date_config_path=(SESSION, "expires_at"),
        )

    @abstractmethod
    def token_error(self, answer: dict[str, Any]) -> AirbyteTracedException:
        """What an answer without a grant reports; a PassingFault makes the call again."""

    def refused(self, answer: dict[str, Any]) -> bool:
        """Whether an answer holding tokens still says the refresh failed."""
        return False

    def token_has_expired(self) -> bool:
        """Asked before every request, so it reads the session directly, without dpath."""
        session = self._session()
        usable = session.get("access_token") and session.get("scope")
        if not usable or session.get(FINGERPRINT) != self._credentials():
            return True
        life = seconds_within(session.get("expires_in"), TOKEN_LIFE_RANGE)
        margin = min(EXPIRY_MARGIN, timedelta(seconds=life / 2)) if life else EXPIRY_MARGIN
        return ab_datetime_now() + margin > self.get_token_expiry_date()

    def get_token_expiry_date(self) -> AirbyteDateTime:
        """The session's expiry; a value that cannot be read counts as expired."""
        try:
            return ab_datetime_parse(str(self._session().get("expires_at")))
        except (TypeError, ValueError):
            return AirbyteDateTime(1970, 1, 1, tzinfo=UTC)

    def granted_scopes(self) -> frozenset[str]:
        self.get_access_token()
        return parse_scopes(self._session().get("scope"))

    def open_id(self) -> str | None:
        """The authorizing user's open_id: the join key between videos and the profile."""
        self.get_access_token()
        return self._saved_account()

    def _session(self) -> Mapping[str, Any]:
        session = self._config.get(SESSION)
        return session if isinstance(session, Mapping) else {}

    def _saved_account(self) -> str | None:
        """The account this connection reads; only a new source (or a hand edit) reads another."""
        account = self._session().get("open_id")
        return account if isinstance(account, str) and account else None

    def _credentials(self) -> str:
        parts = [self._config.get(key) for key in ("client_id", "client_secret", "refresh_token")]
        return fingerprint(self.get_token_refresh_endpoint(), *map(str, parts))

    def refresh_and_set_access_token(self) -> None:
        """One refresh: the rotated refresh token is kept first, then the rest read defensively."""
        token_before_waiting = self.access_token
        with self._refresh_lock, bound_answers(requests.Session()) as session:
            if self.access_token != token_before_waiting:
                return  # another thread refreshed while this one waited
            # Unlike the CDK's, with a timeout, and retried briefly, not for five minutes.
            for attempt in range(1, TOKEN_ATTEMPTS):
                with contextlib.suppress(PassingFault):
                    grant = self._token_grant(session)
                    break
                time.sleep(doubling_wait(attempt))
            else:
                grant = self._token_grant(session)  # the last attempt, whatever it raises
            self._take_grant(grant)

    def _token_grant(self, session: requests.Session) -> Mapping[str, Any]:
        """One token call; raises PassingFault for a failure another attempt may cure."""
        answer_wait = max(self._timeout, TOKEN_ANSWER_SECONDS)
        check = f"Check '{self.base_url_field}' ({self._api_base_url})"
        failing = f"{check}, or try again later if TikTok is having trouble. {GAVE_UP}"
        body: dict[str, Any] = {self.body_as: dict(self.build_refresh_request_body())}
        try:
            response = session.post(
                self.get_token_refresh_endpoint(),
                **body,
                timeout=(self._timeout, answer_wait),  # (to connect, to answer)
                allow_redirects=False,  # the body holds the client secret and refresh token
            )
        except (BodyCut, requests.ReadTimeout) as error:
            late = f"did not arrive within {answer_wait:g} s"
            raise traced_error(
                f"TikTok's token endpoint's answer {error if isinstance(error, BodyCut) else late}"
                ". TikTok may have rotated the refresh token already, so it is not asked again: "
                "if the next run is refused with invalid_grant, re-authenticate the source.",
                FailureType.transient_error,
            ) from error
        except requests.RequestException as error:
            if cannot_connect := unreachable(error, self._api_base_url, self.base_url_field):
                message, failure_type = cannot_connect
                raise PassingFault(f"{message} {GAVE_UP}", failure_type) from error
            raise PassingFault(
                f"TikTok's token endpoint could not be reached ({type(error).__name__}). {failing}"
            ) from error
        status = response.status_code
        if 300 <= status < 400:
            raise config_error(
                f"TikTok's token endpoint answered HTTP {status}, a redirect to "
                f"{redirect_target(response)}, which the connector does not follow: the "
                f"client secret and refresh token would go along. {check}."
            )
        if status == 429 or status >= 500:
            raise PassingFault(f"TikTok's token endpoint answered HTTP {status}. {failing}")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if answer is None and status >= 400:
            raise config_error(
                f"TikTok's token endpoint answered HTTP {status} without a JSON body, as a host "
                f"without that endpoint does. {check}."
            )
        if not isinstance(answer, dict):
            raise traced_error(
                "TikTok's token endpoint answered with something other than a JSON object.",
                FailureType.transient_error,
            )
        fields = answer.get(self.tokens_in) if self.tokens_in else answer
        grant = fields if isinstance(fields, dict) else {}
        self._keep_rotated(grant.get("refresh_token"))
        if (grant.get("access_token") or grant.get("refresh_token")) and not self.refused(answer):
            return grant
        raise self.token_error(answer)

    def _keep_rotated(self, raw: Any) -> None:
        """Emits and saves the config with the rotated token, and no session yet."""
        rotated = usable_text(raw)
        if rotated is None:
            if raw not in (None, ""):
                LOGGER.warning(
                    "TikTok's token answer carried a refresh_token the connector cannot use (%s): "
                    "the current refresh token is kept.",
                    type(raw).__name__,
                )
            return
        add_to_secrets(rotated)
        if rotated == self.get_refresh_token():
            return
        account = self._saved_account() or ""  # kept, so a run after a crash still knows it
        self.set_refresh_token(rotated)
        self._config[SESSION] = {FINGERPRINT: self._credentials(), "open_id": account}
        self._publish()

    def _take_grant(self, grant: Mapping[str, Any]) -> None:
        """The new session: each field read defensively, the account held to this connection's."""
        access_token = usable_text(grant.get("access_token"))
        if access_token is None:
            raise traced_error(
                "TikTok's token answer held no usable access token (the rotated refresh token, "
                "if any, was saved). Try again later.",
                FailureType.transient_error,
            )
        add_to_secrets(access_token)
        life = token_life(grant.get("expires_in"))
        warn_if_refresh_token_ends_soon(grant.get(self.refresh_life_field))
        known_account = self._saved_account()
        account = account_id(grant.get("open_id")) or known_account  # none named: as it was
        if known_account is not None and account != known_account:
            raise config_error(
                f"TikTok issued a token for account {account}, but this connection reads account "
                f"{known_account}, so the sync stops before reading the other account's data. "
                "Re-authorize the account this connection reads. To read the other account, "
                "create a new source for it (by hand: remove 'oauth_session' from the config "
                "file, and reset the connection's data)."
            )
        self._config[SESSION] = {
            "access_token": access_token,
            "expires_at": str(ab_datetime_now() + life),
            "expires_in": int(life.total_seconds()),
            "scope": ",".join(sorted(parse_scopes(grant.get("scope")))),
            "open_id": account or "",
            FINGERPRINT: self._credentials(),
        }
        self._publish()

    def _publish(self) -> None:
        """The config goes out in a CONTROL message for the platform, and to the user's file."""
        emit_configuration_as_airbyte_control_message(self._config)
        if self._save_config is not None:
            self._save_config(self._config)
