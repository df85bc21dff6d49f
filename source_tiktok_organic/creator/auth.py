"""The Display API's token format: a form to /v2/oauth/token/, tokens at the top level."""

from typing import Any

from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.auth import PassingFault, TikTokAuthenticator
from source_tiktok_organic.core.errors import config_error

TOKEN_PATH = "/v2/oauth/token/"
TOKEN_ERROR_ADVICE = {
    "invalid_grant": "TikTok no longer accepts the refresh token (expired, revoked, or already "
    "rotated by an earlier run). If you run the connector by hand, use the config that run saved "
    "or printed in its last CONTROL message; otherwise re-authenticate the source to get a new "
    "refresh token.",
    "invalid_client": "TikTok rejected the client key / client secret pair. Check 'client_id' "
    "(TikTok calls it client key) and 'client_secret' against your app in the TikTok developer "
    "portal.",
    "invalid_scope": "TikTok refused the requested scopes. Check the scopes approved for your app.",
    "unauthorized_client": "This TikTok app may not use refresh tokens. Check the app's Login Kit "
    "setup in the TikTok developer portal.",
    "access_denied": "The TikTok user denied or withdrew access. Re-authenticate the source.",
}
TRANSIENT_TOKEN_ERRORS = frozenset({"server_error", "temporarily_unavailable"})


class CreatorAuthenticator(TikTokAuthenticator):
    """Login Kit's refresh: `client_key`, a form body, errors as HTTP 200 with `error`."""

    token_path = TOKEN_PATH
    client_id_field = "client_key"
    base_url_field = "api_base_url"
    refresh_life_field = "refresh_expires_in"

    def token_error(self, answer: dict[str, Any]) -> AirbyteTracedException:
        category = str(answer.get("error") or "unknown_error")
        described = f"(TikTok error '{category}', log_id: {answer.get('log_id') or 'none'})"
        if category in TRANSIENT_TOKEN_ERRORS:
            return PassingFault(f"TikTok's token endpoint is temporarily unavailable {described}.")
        advice = TOKEN_ERROR_ADVICE.get(category, "TikTok refused to refresh the access token.")
        return config_error(f"{advice} {described}")
