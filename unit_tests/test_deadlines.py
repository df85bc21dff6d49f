"""The whole answer is bounded: a server that drips its headers is cut at the read timeout, and
no body is read past MAX_BODY_BYTES."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.deadlines import (
    BODY_CHUNK,
    MAX_BODY_BYTES,
    bounded_session,
    read_body,
)

LIST_URL = "https://business-api.tiktok.com/open_api/v1.3/business/video/list/?max_count=20"
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


class Body:
    """A streamed body of `size` bytes, in 64 KiB pieces, that counts what was read of it."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read = 0

    def read1(self, amount: int, **_: object) -> bytes:
        piece = min(amount, self.left)
        self.left -= piece
        self.read += piece
        return b" " * piece

    def close(self) -> None:
        self.left = 0


def streamed(size: int, **headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer.url, answer.raw = 200, LIST_URL, Body(size)
    answer.headers.update({"X-Tt-Logid": "log-1", **headers})
    return answer


def test_given_a_body_of_the_limit_then_it_is_read_whole() -> None:
    answer = streamed(MAX_BODY_BYTES)
    assert read_body(answer, 5) is None
    assert len(answer.content) == MAX_BODY_BYTES


def test_given_a_body_past_the_limit_then_the_read_stops_there_with_a_clear_error() -> None:
    answer = streamed(MAX_BODY_BYTES + BODY_CHUNK * 10)
    with pytest.raises(AirbyteTracedException) as raised:
        read_body(answer, 5)
    assert raised.value.failure_type == FailureType.system_error
    assert raised.value.message == (
        "TikTok's answer to /open_api/v1.3/business/video/list/ is larger than the 16 MiB the "
        f"connector reads of one answer ({MAX_BODY_BYTES + BODY_CHUNK:,} bytes had come when the "
        "read stopped), so the sync stops rather than run out of memory. Please report it with "
        "TikTok's id for the call (X-Tt-Logid: log-1)."
    )
    assert answer.raw.read == MAX_BODY_BYTES + BODY_CHUNK


def test_given_a_body_announced_past_the_limit_then_none_of_it_is_read() -> None:
    answer = streamed(10, **{"Content-Length": str(MAX_BODY_BYTES + 1)})
    with pytest.raises(AirbyteTracedException, match=f"it announced {MAX_BODY_BYTES + 1:,} bytes"):
        read_body(answer, 5)
    assert answer.raw.read == 0
