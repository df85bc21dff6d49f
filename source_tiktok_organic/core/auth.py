"""TikTok's refresh-token flow: its request shape, its HTTP-200 errors, rotation and granted scopes."""

from __future__ import annotations

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
from airbyte_cdk.sources.streams.http.requests_native_auth import (
    SingleUseRefreshTokenOauth2Authenticator,
)
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime, ab_datetime_now, ab_datetime_parse

from source_tiktok_organic.core.backoff import doubling_wait
from source_tiktok_organic.core.deadlines import BodyCut, bounded_session
from source_tiktok_organic.core.errors import config_error, traced_error
from source_tiktok_organic.core.grant import (
    access_token_of,
    account_id,
    parse_scopes,
    token_life,
    usable_refresh_token,
    warn_if_refresh_token_ends_soon,
)
from source_tiktok_organic.core.session import (
    CREDENTIALS_FINGERPRINT,
    SESSION,
    fingerprint,
    made_by,
    saved_account,
    saved_session,
)
from source_tiktok_organic.core.transport import (
    redirect_target,
    unreachable_failure_type,
    unreachable_message,
    unreachable_reason,
)

# Refresh this long before TikTok's expiry, so a token never dies between check and request;
# at most half a token's life, so a short-lived token is not refreshed before every request.
EXPIRY_MARGIN = timedelta(minutes=5)
TOKEN_ATTEMPTS = 4
# A token answer is waited for longer than an API page: TikTok rotates the refresh token when it
# receives the call, so an answer given up on is a refresh token lost.
TOKEN_ANSWER_SECONDS = 120.0
EXPIRED = AirbyteDateTime(1970, 1, 1, tzinfo=UTC)
LOGGER = logging.getLogger("airbyte")
ConfigSaver = Callable[[Mapping[str, Any]], None]


def _json_or_none(response: requests.Response | None) -> Any:
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


class TikTokAuthenticator(SingleUseRefreshTokenOauth2Authenticator, ABC):
    """The CDK's single-use refresh flow, fitted to TikTok.

    TikTok rotates the refresh token on refresh and kills the old one; the new one is written into
    the config, emitted as a CONNECTOR_CONFIG control message and saved to the user's file before
    the rest of the answer is read. This class adds TikTok's quirks: `client_key` instead of
    `client_id`, errors answered with HTTP 200, and the granted scopes, which decide the fields
    the streams may ask for. Each API names its token path and fields and says how its token
    answer is asked for and read (the abstract members).
    """

    token_path: str
    client_id_field: str
    base_url_field: str
    refresh_life_field: str  # the answer's seconds the refresh token has left

    def __init__(
        self,
        config: MutableMapping[str, Any],
        api_base_url: str,
        timeout: float,
        save_config: ConfigSaver | None = None,
    ) -> None:
        self._config = config  # the CDK holds and emits this same object
        self._timeout = timeout
        self._api_base_url = api_base_url
        self._save_config = save_config
        self._refresh_lock = threading.Lock()
        self._account: str | None = None  # the account this sync reads, once a token named it
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

    def token_has_expired(self) -> bool:
        """Asked before every request, so it reads the session directly, without dpath.

        A saved access token counts only for the credentials that produced it (session.py):
        after an edit in the source's settings, `check` must try them, not a session left over.
        """
        session = saved_session(self._config)
        if not session.get("access_token") or not session.get("scope"):
            return True
        if not made_by(session, self._credentials()):
            return True
        life = session.get("expires_in")
        margin = (
            min(EXPIRY_MARGIN, timedelta(seconds=life / 2))
            if isinstance(life, int) and not isinstance(life, bool)
            else EXPIRY_MARGIN
        )
        return ab_datetime_now() + margin > self.get_token_expiry_date()

    def _credentials(self) -> str:
        return fingerprint(
            self.get_token_refresh_endpoint(),
            str(self._config.get("client_id")),
            str(self._config.get("client_secret")),
            str(self._config.get("refresh_token")),
        )

    def refresh_and_set_access_token(self) -> None:
        """One refresh, read in an order no odd answer can break.

        First the rotated refresh token is kept, emitted and saved: TikTok has already retired the
        old one. Then the rest of the answer is read, each field defensively; last, its account is
        held to the one this connection reads, before any request is made with its token.
        """
        token_before_waiting = self.access_token
        with self._refresh_lock:
            if self.access_token != token_before_waiting:
                return  # another thread refreshed while this one waited
            known_account = self._account or saved_account(saved_session(self._config))
            answer = self._token_answer()
            self._keep_rotated(self.grant_fields(answer).get("refresh_token"), known_account)
            grant = self.token_grant(answer)
            self._take_grant(grant, known_account)
            self._publish()

    def _keep_rotated(self, raw: Any, known_account: str | None) -> None:
        """Emits and saves the config with the rotated token, and no session yet."""
        rotated = usable_refresh_token(raw)
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
        self.set_refresh_token(rotated)
        session: dict[str, Any] = {CREDENTIALS_FINGERPRINT: self._credentials()}
        if known_account:
            session["open_id"] = known_account  # so a run after a crash still knows the account
        self._config[SESSION] = session
        self._publish()

    def _take_grant(self, grant: Mapping[str, Any], known_account: str | None) -> None:
        """The new session: token, lifetimes and scopes read defensively, then the account."""
        access_token = access_token_of(grant.get("access_token"))
        if access_token is None:
            raise traced_error(
                "TikTok's token answer held no usable access token (the rotated refresh token, "
                "if any, was saved). Try again later.",
                FailureType.transient_error,
            )
        add_to_secrets(access_token)
        life = token_life(grant.get("expires_in"))
        scopes = parse_scopes(grant.get("scope"))
        warn_if_refresh_token_ends_soon(grant.get(self.refresh_life_field))
        account = self._held_to(account_id(grant.get("open_id")), known_account)
        self._config[SESSION] = {
            "access_token": access_token,
            "expires_at": str(ab_datetime_now() + life),
            "expires_in": int(life.total_seconds()),
            "scope": ",".join(sorted(scopes)),
            "open_id": account or "",
            CREDENTIALS_FINGERPRINT: self._credentials(),
        }

    def _held_to(self, account: str | None, known_account: str | None) -> str | None:
        """The answer's account, which must be the one this connection reads (session.py)."""
        if account is None:  # an answer that names no account leaves it as it was
            self._account = known_account
            return known_account
        if known_account is not None and account != known_account:
            raise config_error(
                f"TikTok issued a token for account {account}, but this connection reads account "
                f"{known_account}, so the sync stops before reading the other account's data. "
                "Re-authorize the account this connection reads. To read the other account, "
                "create a new source for it (by hand: remove 'oauth_session' from the config "
                "file, and reset the connection's data)."
            )
        self._account = account
        return account

    def _publish(self) -> None:
        """The config goes out in a CONTROL message for the platform, and to the user's file."""
        emit_configuration_as_airbyte_control_message(self._config)
        if self._save_config is not None:
            self._save_config(self._config)

    def _token_answer(self) -> Any:
        """The token call, with a timeout and a short retry budget.

        The CDK's version has no timeout (a silent endpoint hangs the sync) and retries for five
        minutes (a mistyped URL keeps `check` spinning that long).
        """
        answer_seconds = max(self._timeout, TOKEN_ANSWER_SECONDS)
        with bounded_session() as session:
            for attempt in range(1, TOKEN_ATTEMPTS + 1):
                outcome = self._ask_once(session, answer_seconds)
                if not isinstance(outcome, AirbyteTracedException):
                    return outcome
                if attempt < TOKEN_ATTEMPTS:
                    time.sleep(doubling_wait(attempt))
        raise outcome

    def _ask_once(self, session: requests.Session, answer_seconds: float) -> Any:
        """The answer's JSON, or a failure another attempt may cure; raises one it cannot."""
        try:
            response = session.post(
                self.get_token_refresh_endpoint(),
                **self.token_request(),
                timeout=(self._timeout, answer_seconds),  # (to connect, to answer)
                allow_redirects=False,  # the body holds the client secret and refresh token
            )
        except BodyCut as error:
            raise self._answer_lost(str(error)) from error
        except requests.ReadTimeout as error:
            raise self._answer_lost(f"did not arrive within {answer_seconds:g} s") from error
        except requests.RequestException as error:
            return self._token_call_failure(error)
        if 300 <= response.status_code < 400:
            raise config_error(
                f"TikTok's token endpoint answered HTTP {response.status_code}, a redirect to "
                f"{redirect_target(response)}, which the connector does not follow: the client "
                f"secret and refresh token would go along. Check '{self.base_url_field}' "
                f"({self._api_base_url})."
            )
        if response.status_code != 429 and response.status_code < 500:
            body = _json_or_none(response)
            if body is None and response.status_code >= 400:
                raise config_error(
                    f"TikTok's token endpoint answered HTTP {response.status_code} without a JSON "
                    f"body, as a host without that endpoint does. Check '{self.base_url_field}' "
                    f"({self._api_base_url})."
                )
            return self.passing_fault(body) or body
        return self._token_call_failure(response)

    @staticmethod
    def _answer_lost(why: str) -> AirbyteTracedException:
        return traced_error(
            f"TikTok's token endpoint's answer {why}. TikTok may have rotated the refresh token "
            "already, so it is not asked again: if the next run is refused with invalid_grant, "
            "re-authenticate the source.",
            FailureType.transient_error,
        )

    def _token_call_failure(
        self, outcome: requests.Response | requests.RequestException
    ) -> AirbyteTracedException:
        gave_up = f"Gave up after {TOKEN_ATTEMPTS} attempts."
        if isinstance(outcome, requests.Response):
            what = f"answered HTTP {outcome.status_code}"
        else:
            reason = unreachable_reason(outcome)
            if reason is not None:
                return traced_error(
                    f"{unreachable_message(self._api_base_url, reason, self.base_url_field)} "
                    f"{gave_up}",
                    unreachable_failure_type(self._api_base_url),
                )
            what = f"could not be reached ({type(outcome).__name__})"
        return traced_error(
            f"TikTok's token endpoint {what}. Check '{self.base_url_field}' ({self._api_base_url}), or "
            f"try again later if TikTok is having trouble. {gave_up}",
            FailureType.transient_error,
        )

    @abstractmethod
    def token_request(self) -> dict[str, Any]:
        """The refresh call's body, as `requests` takes it."""

    @abstractmethod
    def passing_fault(self, body: Any) -> AirbyteTracedException | None:
        """The error of a token answer that reports a passing fault, so the call is made again."""

    @abstractmethod
    def grant_fields(self, body: Any) -> Mapping[str, Any]:
        """Where the token answer keeps its tokens."""

    @abstractmethod
    def token_grant(self, body: Any) -> Mapping[str, Any]:
        """The token answer's fields, holding a token; raises the error the answer reports."""

    def get_token_expiry_date(self) -> AirbyteDateTime:
        """The session's expiry; a value that cannot be read counts as expired."""
        raw = saved_session(self._config).get("expires_at")
        try:
            return ab_datetime_parse(str(raw)) if raw else EXPIRED
        except (TypeError, ValueError):
            return EXPIRED

    def granted_scopes(self) -> frozenset[str]:
        """The scopes of the current grant, refreshing first if no valid token is known."""
        self.get_access_token()
        return parse_scopes(saved_session(self._config).get("scope"))

    def open_id(self) -> str | None:
        """The authorizing user's open_id, the join key between videos and the profile."""
        self.get_access_token()
        return saved_session(self._config).get("open_id") or None
