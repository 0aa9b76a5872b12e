"""Clients that are slow, idle, greedy or oversized cannot hold the server.

Raw sockets play the attacker (slowloris headers, a stalled body, idle keep-alive, too many
or too large headers, more connections than allowed); boto3 plays the honest client that
must keep working next to them. The timeouts come from ``[http]`` in the config so each
test waits seconds, not the production defaults (30 s for headers and for a body).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest

from helpers import make_pool

TARGET = "AWSCognitoIdentityProviderService.ListUserPools"
HEADER_TIMEOUT = 2
BODY_TIMEOUT = 2


def connect(server: Any) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.settimeout(10)
    return sock


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed ``sock`` (reading and discarding whatever it sent)."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        pytest.fail(f"the server kept the connection open for more than {seconds} s")
    return time.monotonic() - started


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body (or none)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def request_bytes(body: bytes = b'{"MaxResults": 1}', extra: str = "") -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: {TARGET}\r\n"
            f"Content-Type: application/x-amz-json-1.1\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


@pytest.fixture
def server(start_cognate: Any) -> Any:
    return start_cognate(config={"http": {"header_timeout": HEADER_TIMEOUT,
                                          "body_timeout": BODY_TIMEOUT}})


def test_headers_sent_a_byte_at_a_time_are_cut_off(server: Any) -> None:
    sock = connect(server)
    started = time.monotonic()
    closed = False
    # Slowloris: a header byte every 0.2 s, for far longer than the header deadline.
    for byte in b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.2)
        if time.monotonic() - started > HEADER_TIMEOUT + 6:
            break
    if not closed:
        closed_within(sock, 3)
    assert time.monotonic() - started < HEADER_TIMEOUT + 6
    # Honest clients were served all along.
    assert server.idp().list_user_pools(MaxResults=1)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_a_connection_that_never_sends_is_closed(server: Any) -> None:
    sock = connect(server)
    waited = closed_within(sock, HEADER_TIMEOUT + 3)
    assert HEADER_TIMEOUT - 0.5 <= waited, waited


def test_an_idle_keep_alive_connection_is_closed(server: Any) -> None:
    sock = connect(server)
    sock.sendall(request_bytes())
    status, headers, body = read_response(sock)
    assert status == 200, body
    assert "UserPools" in json.loads(body)
    waited = closed_within(sock, HEADER_TIMEOUT + 3)
    assert HEADER_TIMEOUT - 0.5 <= waited, waited


def test_a_stalled_body_gets_request_timeout(server: Any) -> None:
    sock = connect(server)
    body = b'{"MaxResults": 1}'
    head = request_bytes(body)[: -len(body)]
    sock.sendall(head + body[:5])  # promise the whole body, send five bytes, stall
    started = time.monotonic()
    status, headers, payload = read_response(sock)
    waited = time.monotonic() - started
    assert status == 408, payload
    assert json.loads(payload)["__type"] == "RequestTimeoutException"
    assert headers["x-amzn-errortype"] == "RequestTimeoutException"
    assert BODY_TIMEOUT - 0.5 <= waited < BODY_TIMEOUT + 3, waited


def test_a_body_that_arrives_slowly_but_in_time_is_served(server: Any) -> None:
    idp = server.idp()
    pool = make_pool(idp)
    sock = connect(server)
    body = json.dumps({"UserPoolId": pool["Id"]}).encode()
    sock.sendall(request_bytes(body)[: -len(body)].replace(b"ListUserPools", b"DescribeUserPool"))
    for i in range(0, len(body), 10):
        sock.sendall(body[i:i + 10])
        time.sleep(0.05)
    status, _, payload = read_response(sock)
    assert status == 200, payload
    assert json.loads(payload)["UserPool"]["Id"] == pool["Id"]


def refused_status(server: Any, request: bytes) -> int | None:
    """The status the server answers a request it refuses to read; None when it reset the
    connection first (it closes with unread bytes, and a reset may beat the 431)."""
    sock = connect(server)
    try:
        sock.sendall(request)
        return read_response(sock)[0]
    except (ConnectionResetError, BrokenPipeError):
        return None


def test_too_many_headers_are_refused(server: Any) -> None:
    extra = "".join(f"X-Extra-{i}: {i}\r\n" for i in range(80))
    assert refused_status(server, request_bytes(extra=extra)) in (431, None)
    # Forty extra headers (about fifty in all) are fine.
    sock = connect(server)
    sock.sendall(request_bytes(extra="".join(f"X-Extra-{i}: {i}\r\n" for i in range(40))))
    assert read_response(sock)[0] == 200


def test_an_oversized_header_block_is_refused(server: Any) -> None:
    assert refused_status(server, request_bytes(extra=f"X-Big: {'a' * 20_000}\r\n")) in (431, None)
    sock = connect(server)
    sock.sendall(request_bytes(extra=f"X-Big: {'a' * 8_000}\r\n"))
    assert read_response(sock)[0] == 200


def test_connections_beyond_the_cap_wait_for_a_free_slot(start_cognate: Any) -> None:
    server = start_cognate(config={"http": {"header_timeout": HEADER_TIMEOUT, "max_connections": 3}})
    hogs = [connect(server) for _ in range(3)]
    time.sleep(0.3)  # let the server accept all three
    result: dict[str, Any] = {}

    def honest() -> None:
        started = time.monotonic()
        sock = connect(server)
        sock.sendall(request_bytes())
        result["status"] = read_response(sock)[0]
        result["waited"] = time.monotonic() - started

    thread = threading.Thread(target=honest)
    thread.start()
    thread.join(HEADER_TIMEOUT + 8)
    assert not thread.is_alive(), "the fourth client was never served"
    # It was served only once the idle hogs had been cut off.
    assert result["status"] == 200
    assert result["waited"] >= HEADER_TIMEOUT - 0.8, result
    for sock in hogs:
        closed_within(sock, 3)


def test_http_limits_must_be_positive(start_cognate: Any) -> None:
    from harness import CognateError

    with pytest.raises(CognateError):
        start_cognate(config={"http": {"header_timeout": 0}})
