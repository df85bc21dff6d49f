"""TikTok's refresh-token flow: its request shape, its HTTP-200 errors, rotation and granted scopes."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, timedelta
from typing import Any

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.requests_native_auth import (
    SingleUseRefreshTokenOauth2Authenticator,
)
from airbyte_cdk.utils import AirbyteTracedException
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.datetime_helpers import AirbyteDateTime, ab_datetime_now, ab_datetime_parse

from source_tiktok_organic.backoff import doubling_wait
from source_tiktok_organic.deadlines import bounded_session, read_body
from source_tiktok_organic.errors import config_error, traced_error
from source_tiktok_organic.transport import (
    redirect_target,
    unreachable_failure_type,
    unreachable_message,
    unreachable_reason,
)

TOKEN_PATH = "/v2/oauth/token/"
# Refresh this long before TikTok's expiry, so a token never dies between check and request;
# at most half a token's life, so a short-lived token is not refreshed before every request.
EXPIRY_MARGIN = timedelta(minutes=5)
# An expires_in outside this range is unusable (0, negative, 1e20, "abc"): the token is taken to
# live DEFAULT_TOKEN_LIFE, TikTok's newest documented access-token life, and a token TikTok
# rejects sooner is refreshed on its 401 anyway.
TOKEN_LIFE_RANGE = (60, 366 * 86400)
DEFAULT_TOKEN_LIFE = timedelta(hours=2)
# Where the authenticator keeps what it learns, inside the config it emits on rotation, so the
# next run reuses a still-valid access token instead of spending (and rotating) the refresh token.
SESSION = "oauth_session"
ACCESS_TOKEN_PATH = (SESSION, "access_token")
TOKEN_EXPIRY_PATH = (SESSION, "expires_at")
GRANTED_SCOPES_PATH = (SESSION, "scope")
OPEN_ID_PATH = (SESSION, "open_id")
TOKEN_LIFE_PATH = (SESSION, "expires_in")
# Which refresh token the saved access token came from: a hash, never the token itself.
FINGERPRINT_PATH = (SESSION, "refresh_token_sha256")
TOKEN_ERROR_ADVICE = {
    "invalid_grant": "TikTok no longer accepts the refresh token (expired, revoked, or already "
    "rotated by an earlier run). If you run the connector by hand, use the config that run saved "
    "or printed in its last CONTROL message; otherwise re-authenticate the source to get a new "
    "refresh token.",
    "invalid_client": "TikTok rejected the client key / client secret pair. Check 'client_id' "
    "(TikTok calls it client key) and 'client_secret' against your app in the TikTok developer "
    "portal.",
    "invalid_scope": "TikTok rejected the requested scopes. Check the scopes approved for your app.",
    "unauthorized_client": "This TikTok app may not use refresh tokens. Check the app's Login Kit "
    "setup in the TikTok developer portal.",
    "access_denied": "The TikTok user denied or withdrew access. Re-authenticate the source.",
}
TRANSIENT_TOKEN_ERRORS = frozenset({"server_error", "temporarily_unavailable"})
TOKEN_ATTEMPTS = 4
# A refresh token with this little life left is named in a warning on every refresh.
REFRESH_WARNING = timedelta(days=14)
# A token answer is waited for longer than an API page: TikTok rotates the refresh token when it
# receives the call, so an answer given up on is a refresh token lost.
TOKEN_ANSWER_SECONDS = 120.0
EXPIRED = AirbyteDateTime(1970, 1, 1, tzinfo=UTC)
LOGGER = logging.getLogger("airbyte")
ConfigSaver = Callable[[Mapping[str, Any]], None]


def fingerprint(refresh_token: str) -> str:
    """Ties a saved access token to the refresh token that produced it, without storing the token."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def parse_token_life(raw: Any) -> timedelta | None:
    """The access token's life from `expires_in`, or None when the value is unusable."""
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw)
    if isinstance(raw, float) and raw.is_integer() and abs(raw) <= TOKEN_LIFE_RANGE[1]:
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        return None
    low, high = TOKEN_LIFE_RANGE
    return timedelta(seconds=raw) if low <= raw <= high else None


def warn_if_refresh_token_ends_soon(seconds_left: Any) -> None:
    """Says so while there is time to re-authorize: a dead refresh token stops every sync.

    The API for Business counts a refresh token's year from the first authorization, so
    refreshing does not extend it; the Display API's may also run out. An unreadable value is
    no warning: the refresh itself worked.
    """
    if isinstance(seconds_left, str) and seconds_left.strip().isdigit():
        seconds_left = int(seconds_left)
    if isinstance(seconds_left, bool) or not isinstance(seconds_left, int | float):
        return
    left = timedelta(seconds=seconds_left)
    if timedelta(0) < left <= REFRESH_WARNING:
        LOGGER.warning(
            "TikTok's refresh token expires in %s days (around %s). Re-authorize the account "
            "before then and paste the new refresh token, or every sync will fail.",
            left.days,
            (ab_datetime_now() + left).date().isoformat(),
        )


def parse_scopes(raw: Any) -> frozenset[str]:
    """TikTok sends `scope` comma-separated; spaces are tolerated too."""
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(part for part in raw.replace(" ", ",").split(",") if part)


def token_error(body: Any) -> AirbyteTracedException:
    """The error to raise for a token response without an access token."""
    if not isinstance(body, dict):
        return traced_error(
            "TikTok's token endpoint answered with something other than a JSON object.",
            FailureType.transient_error,
        )
    category = str(body.get("error") or "unknown_error")
    described = f"(TikTok error '{category}', log_id: {body.get('log_id') or 'none'})"
    if category in TRANSIENT_TOKEN_ERRORS:
        return traced_error(
            f"TikTok's token endpoint is temporarily unavailable {described}.",
            FailureType.transient_error,
        )
    advice = TOKEN_ERROR_ADVICE.get(category, "TikTok refused to refresh the access token.")
    return config_error(f"{advice} {described}")


def _json_or_none(response: requests.Response | None) -> Any:
    try:
        return response.json() if response is not None else None
    except ValueError:
        return None


class TikTokAuthenticator(SingleUseRefreshTokenOauth2Authenticator):
    """The CDK's single-use refresh flow, fitted to TikTok.

    TikTok rotates the refresh token on refresh and kills the old one; the CDK authenticator writes
    the new one into the config and emits it as a CONNECTOR_CONFIG control message. This class adds
    TikTok's quirks: `client_key` instead of `client_id`, errors answered with HTTP 200, and the
    granted scopes, which decide the fields the streams may ask for. The class attributes and
    `token_request` / `token_grant` are the Display API's; business mode overrides them.
    """

    token_path = TOKEN_PATH
    client_id_field = "client_key"
    base_url_field = "api_base_url"
    refresh_life_field = "refresh_expires_in"  # seconds the refresh token has left

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
        super().__init__(
            connector_config=config,
            token_refresh_endpoint=api_base_url + self.token_path,
            client_id_name=self.client_id_field,
            client_id=config["client_id"],
            client_secret=config["client_secret"],
            access_token_config_path=ACCESS_TOKEN_PATH,
            refresh_token_config_path=("refresh_token",),
            token_expiry_date_config_path=TOKEN_EXPIRY_PATH,
        )

    def token_has_expired(self) -> bool:
        """Asked before every request, so it reads the session directly, without dpath.

        A saved access token counts only for the refresh token that produced it: when the user
        pastes a new refresh token, `check` must try that one, not a session left from the old.
        """
        session = self._session()
        if not session.get("access_token") or not session.get("scope"):
            return True
        refresh_token = str(self._config.get("refresh_token"))  # the config path above
        if session.get("refresh_token_sha256") != fingerprint(refresh_token):
            return True
        life = session.get("expires_in")
        margin = (
            min(EXPIRY_MARGIN, timedelta(seconds=life / 2))
            if isinstance(life, int) and not isinstance(life, bool)
            else EXPIRY_MARGIN
        )
        return ab_datetime_now() + margin > self.get_token_expiry_date()

    def refresh_and_set_access_token(self) -> None:
        """After the CDK emits the rotated config, it is also saved where the user keeps it."""
        super().refresh_and_set_access_token()
        if self._save_config is not None:
            self._save_config(self._config)

    def _session(self) -> Mapping[str, Any]:
        session = self._config.get(SESSION)
        return session if isinstance(session, Mapping) else {}

    def _remember(self, path: tuple[str, str], value: Any) -> None:
        """Keeps what the token answer taught in the session the rotated config carries."""
        section, key = path
        session = self._config.get(section)
        if not isinstance(session, MutableMapping):
            session = self._config[section] = {}
        session[key] = value

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
                stream=True,  # read below against a deadline for the whole answer
            )
        except requests.ReadTimeout as error:
            raise self._answer_lost(f"did not arrive within {answer_seconds:g} s") from error
        except requests.RequestException as error:
            return self._token_call_failure(error)
        cut = read_body(response, answer_seconds)
        if cut is not None:
            raise self._answer_lost(cut)
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

    def token_request(self) -> dict[str, Any]:
        """The refresh call's body, as `requests` takes it: the Display API wants a form."""
        return {"data": self.build_refresh_request_body()}

    def passing_fault(self, body: Any) -> AirbyteTracedException | None:
        """The error of a token answer that reports a passing fault, so the call is made again."""
        if isinstance(body, dict) and body.get("error") in TRANSIENT_TOKEN_ERRORS:
            return token_error(body)
        return None

    def token_grant(self, body: Any) -> Mapping[str, Any]:
        """The token answer's fields, holding an access token; raises the error it reports."""
        if not isinstance(body, dict) or not body.get("access_token"):
            raise token_error(body)
        return body

    def refresh_access_token(self) -> tuple[str, AirbyteDateTime, str | None]:  # type: ignore[override]
        body = self.token_grant(self._token_answer())
        add_to_secrets(body["access_token"])
        new_refresh_token = body.get("refresh_token") or None
        if new_refresh_token:
            add_to_secrets(new_refresh_token)
        scopes = parse_scopes(body.get("scope"))
        self._remember(GRANTED_SCOPES_PATH, ",".join(sorted(scopes)))
        self._remember(OPEN_ID_PATH, str(body.get("open_id") or ""))
        self._remember(
            FINGERPRINT_PATH, fingerprint(str(new_refresh_token or self.get_refresh_token()))
        )
        warn_if_refresh_token_ends_soon(body.get(self.refresh_life_field))
        return str(body["access_token"]), self._expiry_from(body), new_refresh_token

    def _expiry_from(self, body: Mapping[str, Any]) -> AirbyteDateTime:
        """Never fails: it runs before the rotated refresh token is emitted, which must happen."""
        raw = body.get("expires_in")
        life = parse_token_life(raw)
        if life is None:
            life = DEFAULT_TOKEN_LIFE
            LOGGER.warning(
                "TikTok's token answer has an unusable expires_in (%.40r): the access token is "
                "taken to live %s, and is refreshed sooner if TikTok rejects it.",
                raw,
                DEFAULT_TOKEN_LIFE,
            )
        self._remember(TOKEN_LIFE_PATH, int(life.total_seconds()))
        return ab_datetime_now() + life

    def get_token_expiry_date(self) -> AirbyteDateTime:
        """The session's expiry; a value that cannot be read counts as expired."""
        raw = self._session().get("expires_at")
        try:
            return ab_datetime_parse(str(raw)) if raw else EXPIRED
        except (TypeError, ValueError):
            return EXPIRED

    def granted_scopes(self) -> frozenset[str]:
        """The scopes of the current grant, refreshing first if no valid token is known."""
        self.get_access_token()
        return parse_scopes(self._session().get(GRANTED_SCOPES_PATH[1]))

    def open_id(self) -> str | None:
        """The authorizing user's open_id, the join key between videos and the profile."""
        self.get_access_token()
        return self._session().get(OPEN_ID_PATH[1]) or None
