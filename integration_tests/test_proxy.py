"""A proxy set in the environment carries every request, the token call included.

Corporate networks reach TikTok only through one; requests reads it from HTTP(S)_PROXY.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from integration_tests.cli import catalog_for, run_connector
from tiktok_emulator import TikTokEmulator


class ForwardingProxy(BaseHTTPRequestHandler):
    """A plain-HTTP forward proxy: absolute-URI requests are passed on and counted by path."""

    seen: list[str]

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def _forward(self) -> None:
        target = urlsplit(self.path)
        self.seen.append(target.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request(
            self.command,
            target.path + (f"?{target.query}" if target.query else ""),
            body=body or None,
            headers=headers,
        )
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        upstream.close()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (ForwardingProxy,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_given_a_proxy_in_the_environment_then_every_request_goes_through_it(
    emulator: TikTokEmulator,
    config: dict[str, Any],
    proxy: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, seen = proxy
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", address)
    run = run_connector(
        "read", config, catalog_for({"user_info": "full_refresh", "videos": "full_refresh"})
    )
    assert len(run.records("videos")) == len(emulator.dataset.videos)
    assert sorted(set(seen)) == ["/v2/oauth/token/", "/v2/user/info/", "/v2/video/list/"]
    assert len(seen) == sum(emulator.counts.values())
