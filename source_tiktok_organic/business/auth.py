"""The API for Business's token format: JSON bodies, integer codes, and the Access-Token header."""

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.business.errors import read_code
from source_tiktok_organic.core.auth import PassingFault, TikTokAuthenticator
from source_tiktok_organic.core.errors import config_error, safe_text, traced_error

REFRESH_PATH = "/open_api/v1.3/tt_user/oauth2/refresh_token/"
TOKEN_CODE_ADVICE: Mapping[int | None, str] = {
    # Which of the two an expired, revoked or rotated-away refresh token gets is undocumented.
    **dict.fromkeys(
        (40103, 40107),
        "TikTok no longer accepts the refresh token (expired, revoked, or already rotated by an "
        "earlier run). If you run the connector by hand, use the config that run saved or printed "
        "in its last CONTROL message; otherwise re-authorize the account in your TikTok API for "
        "Business app and paste the new refresh token.",
    ),
    40001: "TikTok rejected the app id / secret pair. Check 'client_id' (your TikTok API for "
    "Business app's app id) and 'client_secret' against the app in TikTok's developer portal.",
    40108: "TikTok refused the grant type: this is a bug in the connector, please report it.",
}
TRANSIENT_TOKEN_CODES = frozenset({40100, 40132, 50000, 50002})


class BusinessAuthenticator(TikTokAuthenticator):
    """The shared single-use refresh flow against /tt_user/oauth2/refresh_token/."""

    token_path = REFRESH_PATH
    base_url_field = "business_api_base_url"
    refresh_life_field = "refresh_token_expires_in"
    body_as = "json"
    tokens_in = "data"

    def refused(self, answer: dict[str, Any]) -> bool:
        return read_code(answer.get("code")) != 0

    def token_error(self, answer: dict[str, Any]) -> AirbyteTracedException:
        code = read_code(answer.get("code"))
        shown = safe_text(answer.get("code")) if code is None else str(code)
        described = (
            f"(TikTok API for Business code {shown or 'none'}: {safe_text(answer.get('message'))}, "
            f"request_id: {safe_text(answer.get('request_id')) or 'none'})"
        )
        if code in TRANSIENT_TOKEN_CODES or (code is not None and 51000 <= code < 52000):
            return PassingFault(
                f"TikTok's API for Business token endpoint is busy or failing {described}."
            )
        if code == 0:
            return traced_error(
                f"TikTok's token answer said OK but held no access token {described}.",
                FailureType.transient_error,
            )
        advice = TOKEN_CODE_ADVICE.get(code, "TikTok refused to refresh the access token.")
        return config_error(f"{advice} {described}")

    def get_auth_header(self) -> Mapping[str, Any]:
        """Accounts endpoints read `Access-Token`, not a Bearer Authorization."""
        return {"Access-Token": self.get_access_token()}


def business_id(auth: TikTokAuthenticator) -> str:
    """The account's id on this API: the open_id its token answer carried."""
    if found := auth.open_id():
        return found
    raise config_error(
        "TikTok's token answer carried no open_id, the account's business_id, so no account "
        "can be read. Re-authorize the account in your TikTok API for Business app."
    )
