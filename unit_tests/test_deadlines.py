"""The whole answer is bounded: a server that drips its headers or its body is cut at the read
timeout, and no body is read past MAX_BODY_BYTES. Each test talks to a real server on 127.0.0.1."""

from __future__ import annotations

import gzip
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils import AirbyteTracedException

from source_tiktok_organic.core.deadlines import BODY_CHUNK, MAX_BODY_BYTES, bound_answers

LIST_PATH = "/open_api/v1.3/business/video/list/"
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Tt-Logid: log-1\r\n"
ANSWER = HEAD + b"Content-Length: 2\r\n\r\n{}"


def head(**headers: object) -> bytes:
    lines = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return HEAD + lines.encode() + b"\r\n"


def serve_once(listener: socket.socket, pieces: list[bytes], gap: float) -> None:
    """Answers one request with `pieces`, `gap` seconds apart, then hangs up."""
    connection, _ = listener.accept()
    with connection:
        connection.recv(65536)
        try:
            for piece in pieces:
                connection.sendall(piece)
                time.sleep(gap)
        except OSError:
            pass  # cut by the client


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a server that sends `request.param`: (pieces, seconds between them)."""
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=serve_once, args=(listener, *request.param), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}{LIST_PATH}"
    listener.close()


def bytewise(answer: bytes) -> list[bytes]:
    return [answer[index : index + 1] for index in range(len(answer))]


@pytest.mark.parametrize("server", [(bytewise(ANSWER), 0.05)], indirect=True)
def test_given_headers_that_drip_past_the_timeout_then_the_request_times_out(server: str) -> None:
    """About 4 s of headers against a 0.5 s timeout, each byte well within it."""
    with bound_answers(requests.Session()) as session, pytest.raises(requests.ReadTimeout):
        session.get(server, timeout=0.5)


@pytest.mark.parametrize("server", [([ANSWER], 0.0)], indirect=True)
def test_given_a_prompt_answer_then_it_is_read_whole(server: str) -> None:
    with bound_answers(requests.Session()) as session:
        assert session.get(server, timeout=0.5).json() == {}


@pytest.mark.parametrize("server", [(bytewise(ANSWER), 0.001)], indirect=True)
def test_given_headers_that_drip_within_the_timeout_then_they_are_read(server: str) -> None:
    with bound_answers(requests.Session()) as session:
        assert session.get(server, timeout=2).json() == {}


@pytest.mark.parametrize(
    "server", [([head(Content_Length=40), *bytewise(b" " * 40)], 0.05)], indirect=True
)
def test_given_a_body_that_drips_past_the_read_timeout_then_it_is_a_read_timeout(
    server: str,
) -> None:
    """About 2 s of body against a read timeout of 0.5 s, each byte well within it."""
    with (
        bound_answers(requests.Session()) as session,
        pytest.raises(requests.ReadTimeout) as raised,
    ):
        session.get(server, timeout=(5, 0.5))
    assert str(raised.value) == "did not arrive in full within 0.5 s"


@pytest.mark.parametrize(
    "server", [([HEAD, b"Content-Length: 3\r\n", b"\r\n", b"1", b"2", b"3"], 0.25)], indirect=True
)
def test_given_slow_headers_then_the_body_has_only_what_they_left_of_the_timeout(
    server: str,
) -> None:
    """Headers in about 0.5 s and the body in 0.75 s more: each in time, both together not."""
    with (
        bound_answers(requests.Session()) as session,
        pytest.raises(requests.ReadTimeout, match="in full"),
    ):
        session.get(server, timeout=1)


@pytest.mark.parametrize("server", [([head(Content_Length=10), b"{}{"], 0.0)], indirect=True)
def test_given_a_body_that_breaks_off_then_it_is_a_connection_error(server: str) -> None:
    with (
        bound_answers(requests.Session()) as session,
        pytest.raises(requests.ConnectionError) as raised,
    ):
        session.get(server, timeout=5)
    assert re.fullmatch(r"broke off \(\w+\)", str(raised.value))


@pytest.mark.parametrize(
    "server", [([head(Content_Length=MAX_BODY_BYTES), b" " * MAX_BODY_BYTES], 0.0)], indirect=True
)
def test_given_a_body_of_the_limit_then_it_is_read_whole(server: str) -> None:
    with bound_answers(requests.Session()) as session:
        assert len(session.get(server, timeout=5).content) == MAX_BODY_BYTES


@pytest.mark.parametrize(
    "server",
    [([head(Connection="close"), b" " * (MAX_BODY_BYTES + BODY_CHUNK * 10)], 0.0)],
    indirect=True,
)
def test_given_a_body_past_the_limit_then_the_read_stops_there_with_a_clear_error(
    server: str,
) -> None:
    with (
        bound_answers(requests.Session()) as session,
        pytest.raises(AirbyteTracedException) as raised,
    ):
        session.get(server, timeout=5)
    assert raised.value.failure_type == FailureType.system_error
    said = re.fullmatch(
        f"TikTok's answer to {LIST_PATH} is larger than the 16 MiB the connector reads of one "
        r"answer \(([\d,]+) bytes had come when the read stopped\), so the sync stops rather "
        r"than run out of memory. Please report it with TikTok's id for the call "
        r"\(X-Tt-Logid: log-1\).",
        raised.value.message or "",
    )
    assert said is not None
    assert MAX_BODY_BYTES < int(said[1].replace(",", "")) <= MAX_BODY_BYTES + BODY_CHUNK


@pytest.mark.parametrize(
    "server", [([head(Content_Length=MAX_BODY_BYTES + 1), b"{}"], 0.0)], indirect=True
)
def test_given_a_body_announced_past_the_limit_then_none_of_it_is_read(server: str) -> None:
    with (
        bound_answers(requests.Session()) as session,
        pytest.raises(AirbyteTracedException) as raised,
    ):
        session.get(server, timeout=5)
    assert f"(it announced {MAX_BODY_BYTES + 1:,} bytes)" in (raised.value.message or "")


ZIPPED = gzip.compress(b'{"videos": [' + b'{"id": "1"}, ' * 100 + b'{"id": "2"}]}')


@pytest.mark.parametrize(
    "server",
    [([head(Content_Encoding="gzip", Content_Length=len(ZIPPED)), ZIPPED], 0.0)],
    indirect=True,
)
def test_given_a_compressed_body_then_it_comes_decoded_and_without_its_encoding(
    server: str,
) -> None:
    with bound_answers(requests.Session()) as session:
        answer = session.get(server, timeout=5)
    assert len(answer.json()["videos"]) == 101
    assert "Content-Encoding" not in answer.headers
