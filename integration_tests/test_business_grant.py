"""scripts/business_grant.py, as a user runs it: consent URL, then the code exchanged for a config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from airbyte_cdk.models import Status, Type

from integration_tests.cli import HANG_SECONDS, run_connector
from tiktok_emulator.business import BusinessEmulator

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "business_grant.py"


def grant(*args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "TIKTOK_APP_SECRET"}
    if secret is not None:
        env["TIKTOK_APP_SECRET"] = secret
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=HANG_SECONDS,
        check=False,
        env=env,
    )


def test_the_consent_url_asks_tiktok_for_the_app_the_redirect_and_every_scope() -> None:
    done = grant("consent-url", "--app-id", "7001", "--redirect-uri", "https://x.example/cb/")
    assert done.returncode == 0, done.stderr
    url = urlsplit(done.stdout.strip())
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://www.tiktok.com/v2/auth/authorize/"
    assert query["client_key"] == "7001"
    assert query["redirect_uri"] == "https://x.example/cb/"
    assert query["response_type"] == "code"
    assert {"user.info.basic", "video.list", "user.insights", "video.insights"} <= set(
        query["scope"].split(",")
    )
    assert len(query["state"]) >= 12


def test_the_exchange_writes_a_private_business_config_the_connector_checks(
    business: BusinessEmulator, tmp_path: Path
) -> None:
    written = tmp_path / "secrets" / "business.json"
    done = grant(
        "exchange",
        *("--app-id", business.app_id, "--redirect-uri", business.redirect_uri),
        # `=`: an auth code may start with "-", which argparse would take for an option
        *(f"--auth-code={business.issue_auth_code()}", "--api-base-url", business.url),
        *("--write-config", str(written)),
        secret=business.app_secret,
    )
    assert done.returncode == 0, done.stderr
    assert business.app_secret not in done.stdout + done.stderr
    assert written.stat().st_mode & 0o777 == 0o600
    config = json.loads(written.read_text())
    assert config["account_mode"] == "business"
    assert config["business_api_base_url"] == business.url
    [status] = run_connector("check", config).of_type(Type.CONNECTION_STATUS)
    assert status.connectionStatus.status == Status.SUCCEEDED


@pytest.mark.parametrize(
    ("case", "said"),
    [
        ("used code", "TikTok refused the exchange (code 40110"),
        ("wrong secret", "TikTok refused the exchange (code 40001"),
        ("no secret", "TIKTOK_APP_SECRET"),
        ("plain http", "must be https://"),
    ],
)
def test_a_failed_exchange_says_why_and_writes_nothing(
    business: BusinessEmulator, tmp_path: Path, case: str, said: str
) -> None:
    written = tmp_path / "business.json"
    args = ["exchange", "--app-id", business.app_id, "--redirect-uri", business.redirect_uri]
    args += [f"--auth-code={business.issue_auth_code()}", "--write-config", str(written)]
    host = "http://business-api.tiktok.com" if case == "plain http" else business.url
    secret = {"no secret": None, "wrong secret": "not-the-secret"}.get(case, business.app_secret)
    if case == "used code":
        assert grant(*args, "--api-base-url", host, secret=secret).returncode == 0
        written.unlink()
    done = grant(*args, "--api-base-url", host, secret=secret)
    assert done.returncode != 0
    assert not written.exists()
    assert said in done.stderr
    assert business.app_secret not in done.stdout + done.stderr


def test_an_auth_code_that_starts_with_a_dash_is_taken_whole(
    business: BusinessEmulator, tmp_path: Path
) -> None:
    dashed = business.issue_auth_code(code="-Ab3_x9")
    written = tmp_path / "business.json"
    done = grant(
        "exchange",
        *("--app-id", business.app_id, "--redirect-uri", business.redirect_uri),
        f"--auth-code={dashed}",
        *("--api-base-url", business.url, "--write-config", str(written)),
        secret=business.app_secret,
    )
    assert done.returncode == 0, done.stderr
