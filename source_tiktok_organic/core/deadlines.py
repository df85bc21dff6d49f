"""Every answer bounded as a whole, in time and size: requests and urllib3 bound only the wait for
each next byte, so a server dripping bytes could hold a request as long as it likes. A watchdog on
the connection bounds the status line and headers; the adapter reads the body itself."""

import contextlib
import io
import math
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.http_client import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.utils import AirbyteTracedException
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

from source_tiktok_organic.core.numbers import whole_number

BODY_CHUNK = 64 * 1024
MIB = 1024 * 1024
# TikTok's largest plausible answer (20 posts, each with two per-second curves of an hour's video)
# is about 6 MiB; with answers up to this, the bench (BENCHMARKS.md, 7) holds a read under 500 MiB.
MAX_BODY_BYTES = 16 * MIB


class _HeadersInTime:
    """Cuts the connection when the status line and headers are not all in within the read timeout."""

    sock: Any
    timeout: Any

    def getresponse(self) -> Any:
        seconds, sock = self.timeout, self.sock
        if not isinstance(seconds, int | float) or sock is None:
            return super().getresponse()  # type: ignore[misc]  # no timeout asked for
        cut = threading.Event()
        late = f"headers not in full within {seconds:g} s"

        def cut_off() -> None:
            cut.set()
            with contextlib.suppress(OSError, TypeError):  # closed already, or not a socket
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # under TLS too

        watchdog = threading.Timer(seconds, cut_off)
        watchdog.daemon = True
        watchdog.start()
        try:
            response = super().getresponse()  # type: ignore[misc]
        except Exception as error:
            if cut.is_set():  # urllib3 turns this into a read timeout, retried like any other
                raise TimeoutError(late) from error
            raise
        finally:
            watchdog.cancel()
        if cut.is_set():  # cut mid-headers, the end of the stream read as their end
            response.close()
            raise TimeoutError(late)
        return response


class _HTTPPool(urllib3.HTTPConnectionPool):
    class ConnectionCls(_HeadersInTime, HTTPConnection):
        pass


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    class ConnectionCls(_HeadersInTime, HTTPSConnection):
        pass


POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class BodyCut(requests.RequestException):
    """A body that did not come whole: the server may have acted on the request already."""


class BodyLate(BodyCut, requests.ReadTimeout):
    """Retried like any read timeout."""


class BodyBrokeOff(BodyCut, requests.ConnectionError):
    """Retried like any broken connection."""


class HeadersInTimeAdapter(HTTPAdapter):
    """requests' adapter, whose connections (direct or through an HTTP proxy) keep time."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = POOLS
        return manager

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float | None, float | None] | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        """The whole answer, read here whether or not `stream` is asked for."""
        started = time.monotonic()
        response = super().send(request, True, timeout, verify, cert, proxies)
        seconds = timeout[1] if isinstance(timeout, tuple) else timeout
        try:
            body = _whole_body(response, started, seconds)
        except BaseException:
            response.close()
            raise
        # requests then reads the body from these bytes, already decoded.
        headers = urllib3.HTTPHeaderDict(response.raw.headers)
        headers.discard("Content-Encoding")
        raw = urllib3.HTTPResponse(
            io.BytesIO(body),
            headers,
            response.raw.status,
            reason=response.raw.reason,
            preload_content=False,
            enforce_content_length=False,  # a decoded body is longer than its Content-Length
        )
        return self.build_response(request, raw)


def _whole_body(response: requests.Response, started: float, seconds: float | None) -> bytes:
    """The decoded body; one past MAX_BODY_BYTES ends the sync, as a retry would bring it again."""
    announced = whole_number(response.headers.get("Content-Length", ""), max_digits=30)
    if announced is not None and announced > MAX_BODY_BYTES:
        raise _too_large(response, f"it announced {announced:,} bytes")
    deadline = math.inf if seconds is None else started + seconds
    body = bytearray()
    while True:
        try:
            chunk = response.raw.read1(BODY_CHUNK, decode_content=True)
        except (OSError, urllib3.exceptions.HTTPError) as error:
            broke = f"broke off ({type(error).__name__})"
            raise BodyBrokeOff(broke, request=response.request) from error
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _too_large(response, f"{len(body):,} bytes had come when the read stopped")
        if time.monotonic() > deadline:
            late = f"did not arrive in full within {seconds:g} s"
            raise BodyLate(late, request=response.request)


def _too_large(response: requests.Response, measured: str) -> AirbyteTracedException:
    message = (
        f"TikTok's answer to {urlsplit(response.url or '').path} is larger than the "
        f"{MAX_BODY_BYTES // MIB} MiB the connector reads of one answer ({measured}), so the sync "
        "stops rather than run out of memory. Please report it with TikTok's id for the call "
        f"(X-Tt-Logid: {response.headers.get('X-Tt-Logid') or 'none'})."
    )
    return AirbyteTracedException(
        message=message, internal_message=message, failure_type=FailureType.system_error
    )


def bound_answers(session: requests.Session) -> requests.Session:
    """Makes every request of `session` get its whole answer within its read timeout."""
    adapter = HeadersInTimeAdapter(
        pool_connections=MAX_CONNECTION_POOL_SIZE, pool_maxsize=MAX_CONNECTION_POOL_SIZE
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
