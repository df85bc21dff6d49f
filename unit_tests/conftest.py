"""Shared fixtures: a mocked TikTok (requests-mock), canned bodies, and retries without sleeping."""

from __future__ import annotations

import types
from typing import Any

import pytest
from airbyte_cdk.sources.streams.http import rate_limiting

from source_tiktok_organic.core import auth
from source_tiktok_organic.core.auth import fingerprint

API = "https://open.tiktokapis.com"
TOKEN_URL = f"{API}/v2/oauth/token/"
USER_URL = f"{API}/v2/user/info/"
LIST_URL = f"{API}/v2/video/list/"
ALL_SCOPES = "user.info.basic,user.info.profile,user.info.stats,video.list"
CLIENT_SECRET = "client-secret-3f9a1c"
REFRESH_TOKEN = "refresh-token-0b7d2e"
ROTATED_REFRESH_TOKEN = "refresh-token-rotated-91ac4f"
ACCESS_TOKEN = "access-token-5e8b03"
SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, ROTATED_REFRESH_TOKEN, ACCESS_TOKEN)


def make_config(**overrides: Any) -> dict[str, Any]:
    config = {
        "client_id": "client-key-1",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
    }
    config.update(overrides)
    return config


def credentials(config: dict[str, Any], token_url: str = TOKEN_URL) -> str:
    """The fingerprint a session saved for exactly this config's credentials carries."""
    return fingerprint(
        token_url, config["client_id"], config["client_secret"], config["refresh_token"]
    )


def token_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "access_token": ACCESS_TOKEN,
        "expires_in": 86400,
        "open_id": "open-id-creator",
        "refresh_token": ROTATED_REFRESH_TOKEN,
        "refresh_expires_in": 31536000,
        "scope": ALL_SCOPES,
        "token_type": "Bearer",
    }
    body.update(overrides)
    return body


def envelope(data: dict[str, Any] | None = None, code: str = "ok", message: str = "") -> dict:
    return {"data": data or {}, "error": {"code": code, "message": message, "log_id": "log-42"}}


def video(video_id: int, create_time: int, **overrides: Any) -> dict[str, Any]:
    record = {"id": str(video_id), "create_time": create_time, "title": f"video {video_id}"}
    record.update(overrides)
    return record


def list_page(videos: list[dict], cursor: int | None, has_more: bool) -> dict[str, Any]:
    return envelope({"videos": videos, "cursor": cursor, "has_more": has_more})


def profile(**overrides: Any) -> dict[str, Any]:
    user = {"open_id": "open-id-creator", "display_name": "Creator", "video_count": 3}
    user.update(overrides)
    return envelope({"user": user})


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries run instantly; the waits they asked for are recorded instead."""
    waits: list[float] = []

    def record(seconds: float) -> None:
        waits.append(seconds)

    fake_time = types.SimpleNamespace(sleep=record)
    monkeypatch.setattr(rate_limiting, "time", fake_time)
    monkeypatch.setattr(auth, "time", fake_time)
    return waits


@pytest.fixture
def tiktok(requests_mock: Any) -> Any:
    """A TikTok whose token and profile endpoints answer; tests register the video list."""
    requests_mock.post(TOKEN_URL, json=token_body())
    requests_mock.get(USER_URL, json=profile())
    return requests_mock
