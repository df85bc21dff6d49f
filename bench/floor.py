"""The floor: the least Python that produces the connector's `videos` RECORD lines.

    python -m bench.floor --config config.json > records.jsonl

One token refresh, then POST /v2/video/list/ pages following TikTok's own cursor, each video
written as an Airbyte RECORD line with orjson. No CDK, no state, no retries, no checks: whatever
the connector costs beyond this is the price of its framework and its safety nets, which is what
the throughput ratio is meant to show. Following the API cursor as-is makes the fewest requests,
but with the emulator's pessimistic cursor (see tiktok_emulator/api.py) it skips the
videos of a second split across two pages; the benchmark reports how many records each
program wrote.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import requests

FIELDS = (
    "id,create_time,cover_image_url,share_url,video_description,duration,height,width,title,"
    "embed_html,embed_link,like_count,comment_count,share_count,view_count,is_aigc"
)
PAGE_SIZE = 20
RECORD_HEAD = b'{"type":"RECORD","record":{"stream":"videos","data":'


def authorize(session: requests.Session, config: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """One token refresh: the open_id records carry and the headers every list request sends."""
    token = session.post(
        config["api_base_url"].rstrip("/") + "/v2/oauth/token/",
        data={
            "client_key": config["client_id"],
            "client_secret": config["client_secret"],
            "grant_type": "refresh_token",
            "refresh_token": config["refresh_token"],
        },
        timeout=60,
    )
    token.raise_for_status()
    grant = orjson.loads(token.content)
    headers = {
        "Authorization": "Bearer " + grant["access_token"],
        "Content-Type": "application/json",
    }
    return grant["open_id"], headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("command", nargs="?", default="read", choices=["read"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--catalog", type=Path, help="accepted for a uniform command line; unused")
    args = parser.parse_args(argv)
    config = orjson.loads(args.config.read_bytes())
    base = config["api_base_url"].rstrip("/")
    out = sys.stdout.buffer

    session = requests.Session()
    open_id, headers = authorize(session, config)
    body: dict[str, int] = {"max_count": PAGE_SIZE}
    while True:
        response = session.post(
            base + "/v2/video/list/",
            params={"fields": FIELDS},
            data=orjson.dumps(body),
            headers=headers,
            timeout=60,
        )
        response.raise_for_status()
        data = orjson.loads(response.content)["data"]
        emitted_at = b',"emitted_at":%d}}\n' % int(time.time() * 1000)
        for video in data["videos"]:
            video["open_id"] = open_id
            out.write(RECORD_HEAD)
            out.write(orjson.dumps(video))
            out.write(emitted_at)
        if not data["has_more"]:
            break
        body["cursor"] = data["cursor"]
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
