#!/usr/bin/env python3
"""A business-mode refresh token by hand: the consent URL, then the auth code's exchange.

    python3 scripts/business_grant.py consent-url --app-id ID --redirect-uri URL
    TIKTOK_APP_SECRET=... python3 scripts/business_grant.py exchange --app-id ID \\
        --redirect-uri URL --auth-code=CODE --write-config secrets/business.json

Airbyte's OAuth button runs Login Kit's exchange, which the API for Business does not take, so a
business-mode source gets its first refresh token here. The secret comes from the environment,
never the command line (shell history, `ps`), and is never printed. `exchange` writes a
business-mode config (mode 0600) or prints TikTok's code and message and exits 1. Standard
library only, so any `python3` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

CONSENT_URL = "https://www.tiktok.com/v2/auth/authorize/"
TOKEN_PATH = "/open_api/v1.3/tt_user/oauth2/token/"
DEFAULT_HOST = "https://business-api.tiktok.com"
SCOPES = (
    "user.info.basic",
    "user.info.username",
    "user.info.profile",
    "user.info.stats",
    "user.account.type",
    "user.insights",
    "video.list",
    "video.insights",
)
SECRET_ENV = "TIKTOK_APP_SECRET"


def is_safe_host(url: str) -> bool:
    """The exchange sends the app secret: https only, but for the emulator on loopback."""
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    return bool(parts.hostname) and (
        parts.scheme == "https" or (parts.scheme == "http" and loopback)
    )


def consent_url(app_id: str, redirect_uri: str, scopes: list[str], state: str) -> str:
    """Where the account holder approves the app (`disable_auto_auth` always shows the screen)."""
    query = {
        "client_key": app_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": ",".join(scopes),
        "state": state,
        "disable_auto_auth": "1",
    }
    return f"{CONSENT_URL}?{urlencode(query)}"


def exchange(host: str, app_id: str, secret: str, redirect_uri: str, code: str) -> dict[str, Any]:
    """TikTok's answer to the code exchange, as JSON; raises SystemExit naming what went wrong."""
    body = {
        "client_id": app_id,
        "client_secret": secret,
        "grant_type": "authorization_code",
        "auth_code": code,
        "redirect_uri": redirect_uri,
    }
    request = urllib.request.Request(
        host.rstrip("/") + TOKEN_PATH,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, ValueError) as error:
        raise SystemExit(f"business_grant: the token endpoint at {host} failed: {error}") from None
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or answer.get("code") != 0 or not data.get("refresh_token"):
        code_said = answer.get("code") if isinstance(answer, dict) else None
        message = answer.get("message") if isinstance(answer, dict) else answer
        raise SystemExit(
            f"business_grant: TikTok refused the exchange (code {code_said}: {message}). An auth "
            "code works once and for 10 minutes, and the redirect URL must be the registered one."
        )
    return data


def business_config(app_id: str, secret: str, grant: dict[str, Any], host: str) -> dict[str, Any]:
    config = {
        "account_mode": "business",
        "client_id": app_id,
        "client_secret": secret,
        "refresh_token": grant["refresh_token"],
    }
    if host != DEFAULT_HOST:
        config["business_api_base_url"] = host
    return config


def write_private(path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(json.dumps(config, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="business_grant.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    url = commands.add_parser("consent-url", help="print the URL the account holder opens")
    done = commands.add_parser("exchange", help=f"trade the auth code (secret in ${SECRET_ENV})")
    for command in (url, done):
        command.add_argument("--app-id", required=True)
        command.add_argument("--redirect-uri", required=True)
    url.add_argument("--scopes", default=",".join(SCOPES), help="comma-separated")
    done.add_argument(
        "--auth-code", required=True, help="as --auth-code=CODE: a code may start with -"
    )
    done.add_argument("--api-base-url", default=DEFAULT_HOST)
    done.add_argument("--write-config", type=Path, help="the config file to write")
    args = parser.parse_args(argv)

    if args.command == "consent-url":
        scopes = [scope for scope in args.scopes.split(",") if scope]
        print(consent_url(args.app_id, args.redirect_uri, scopes, secrets.token_urlsafe(12)))
        return 0
    if not is_safe_host(args.api_base_url):
        parser.error("--api-base-url must be https:// (http:// only for a loopback host)")
    secret = os.environ.get(SECRET_ENV, "")
    if not secret:
        parser.error(f"set the app secret in the environment variable {SECRET_ENV}")
    grant = exchange(args.api_base_url, args.app_id, secret, args.redirect_uri, args.auth_code)
    config = business_config(args.app_id, secret, grant, args.api_base_url)
    if args.write_config is None:
        print(json.dumps(config, indent=2))
    else:
        write_private(args.write_config, config)
        print(
            f"Wrote a business-mode config for business_id {grant.get('open_id')} to "
            f"{args.write_config}.",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
