"""The socket side: a threaded HTTP/1.1 keep-alive server feeding parsed requests to the API."""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from tiktok_emulator.messages import Request, Response


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API behind its load balancer
    server_version = "TikTokEmulator/1.0"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid a 40 ms stall
    server: EmulatorServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query={k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()},
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = self.server.handle(request)
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("x-tt-logid", response.log_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        try:
            if response.drip_head:
                wire, self.wfile = self.wfile, io.BytesIO()
                self.end_headers()  # into the buffer, to go out a byte at a time
                head, self.wfile = self.wfile.getvalue(), wire
                self._drip(head, response.drip_seconds)
            else:
                self.end_headers()
            if response.drip_seconds and not response.drip_head:
                self._drip(response.body, response.drip_seconds)
            else:
                self.wfile.write(response.body)
        except OSError:  # the client gave up on the drip
            self.close_connection = True

    def _drip(self, data: bytes, seconds: float) -> None:
        for index in range(len(data)):
            self.wfile.write(data[index : index + 1])
            self.wfile.flush()
            time.sleep(seconds)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: test output should show the connector's logs, not one line per request."""


class EmulatorServer(ThreadingHTTPServer):
    """Tracks open connections so stop() can cut idle keep-alive sockets instead of waiting."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handle: Callable[[Request], Response | None]):
        super().__init__(address, EmulatorHandler)
        self.handle = handle  # None: drop the connection unanswered
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out or hang up are expected here; only real bugs get a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class LoopbackEmulator:
    """What every emulator shares: serve `handle` on a thread, stop promptly, `with`, `url`."""

    def __init__(
        self, handle: Callable[[Request], Response | None], host: str, port: int, name: str
    ):
        self._handle = handle
        self._address = (host, port)
        self._name = name
        self._stopping = threading.Event()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        if self._server is None:
            self._server = EmulatorServer(self._address, self._handle)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # stop() waits for the loop to look up from its poll: tests start hundreds
                kwargs={"poll_interval": 0.01},
                name=self._name,
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Returns promptly even with hanging requests or idle keep-alive connections open."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def sleep(self, seconds: float) -> None:
        """Sleeps that stop() cuts short, so hanging requests never delay shutdown."""
        self._stopping.wait(seconds)
