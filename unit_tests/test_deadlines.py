"""The whole answer is bounded: a server that drips its headers is cut at the read timeout."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from source_tiktok_organic.deadlines import bounded_session

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def serve_once(listener: socket.socket, gap: float) -> None:
    """Answers one request, one byte every `gap` seconds (0: all at once)."""
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        try:
            for index in range(len(ANSWER)):
                connection.sendall(ANSWER[index : index + 1] if gap else ANSWER[index:])
                if not gap:
                    break
                time.sleep(gap)
        except OSError:
            pass  # cut by the client


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=serve_once, args=(listener, request.param), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()


@pytest.mark.parametrize("server", [0.05], indirect=True)
def test_given_headers_that_drip_past_the_timeout_then_the_request_times_out(server: str) -> None:
    """About 3.5 s of headers against a 0.5 s timeout, each byte well within it."""
    with bounded_session() as session, pytest.raises(requests.ReadTimeout):
        session.get(server, timeout=0.5)


@pytest.mark.parametrize("server", [0.0], indirect=True)
def test_given_a_prompt_answer_then_it_is_read_whole(server: str) -> None:
    with bounded_session() as session:
        assert session.get(server, timeout=0.5).json() == {}


@pytest.mark.parametrize("server", [0.001], indirect=True)
def test_given_headers_that_drip_within_the_timeout_then_they_are_read(server: str) -> None:
    with bounded_session() as session:
        assert session.get(server, timeout=2).json() == {}
