"""What happened on the wire, in words naming the setting to look at: hosts nobody answers on and
redirects, each told apart from TikTok's own error envelope."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import requests
from airbyte_cdk.models import FailureType
from urllib3.exceptions import NameResolutionError, NewConnectionError

DEFAULT_API_HOST = "open.tiktokapis.com"
BUSINESS_API_HOST = "business-api.tiktok.com"


def unreachable_reason(error: BaseException) -> str | None:
    """Why the host could not be connected to at all, or None for any other network fault."""
    cause: BaseException | None = error
    while cause is not None:
        for candidate in (cause, getattr(cause, "reason", None)):
            if isinstance(candidate, NameResolutionError):
                return "its name does not resolve"
            if isinstance(candidate, NewConnectionError):
                return "it refused the connection"
        cause = cause.args[0] if cause.args and isinstance(cause.args[0], BaseException) else None
    return None


def unreachable_message(api_base_url: str, reason: str, field: str = "api_base_url") -> str:
    host = urlsplit(api_base_url).hostname or api_base_url
    return (
        f"Could not connect to {host}: {reason}. Check '{field}' ({api_base_url}) and "
        "this machine's network, DNS and proxy settings."
    )


def unreachable_failure_type(api_base_url: str) -> FailureType:
    """A custom host nobody answers on is a setting to fix; TikTok's own is an outage."""
    tiktoks = urlsplit(api_base_url).hostname in (DEFAULT_API_HOST, BUSINESS_API_HOST)
    return FailureType.transient_error if tiktoks else FailureType.config_error


def redirect_target(response: requests.Response) -> str:
    """The host a redirect points at, or where it would stay when the Location is relative."""
    if not (location := response.headers.get("Location")):
        return "an unnamed place"
    return urlsplit(urljoin(response.url or "", location)).netloc or location
