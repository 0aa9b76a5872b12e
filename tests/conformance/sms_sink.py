"""A small SMS receiver for the SMS tests (test_sms.py).

``SmsSink`` serves HTTP on 127.0.0.1 (an ephemeral port) from a background thread and records
every POST it gets, in either of the two shapes cognate sends (``cognate serve --sms-url``):

* the JSON webhook (``--sms-url http://...``): ``{"to", "message", "pool_id", "username",
  "kind"}``;
* an SNS ``Publish`` call (``--sms-url sns+http://...``): a form-encoded body with
  ``Action=Publish``, ``Version=2010-03-31``, ``PhoneNumber`` and ``Message``; answered with
  an SNS-style XML ``PublishResponse``.

By default every request is answered with HTTP 200; ``fail(500)`` makes it answer with that
status (requests are still recorded) until ``recover()``. Every wait is bounded.

    sink = SmsSink().start()
    server = start_cognate(extra_args=["--sms-url", sink.url])        # JSON webhook
    server = start_cognate(extra_args=["--sms-url", sink.sns_url])    # SNS Publish
    sms = sink.wait_for("+15555550100", timeout=5)
    sms.message, sms.code, sms.fields["kind"], sms.is_sns
    sink.close()
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from helpers import extract_code
from lambda_stub import read_body

MAX_BODY = 1024 * 1024
MAX_RECORDED = 2000
STOP_TIMEOUT = 5.0
SNS_NS = "https://sns.amazonaws.com/doc/2010-03-31/"


@dataclass
class Sms:
    """One request the sink received."""

    seq: int  # increasing per sink
    method: str
    path: str  # request path, query included
    headers: dict[str, str]  # lower-cased names
    body: bytes
    fields: dict[str, Any]  # the parsed JSON object, or the form fields (one value each)
    form: bool  # True for a form-encoded body (the SNS shape)
    answered: int  # the HTTP status the sink answered with

    @property
    def to(self) -> str | None:
        """The phone number: ``to`` (JSON) or ``PhoneNumber`` (SNS)."""
        value = self.fields.get("PhoneNumber") if self.form else self.fields.get("to")
        return value if isinstance(value, str) else None

    @property
    def message(self) -> str:
        """The text: ``message`` (JSON) or ``Message`` (SNS)."""
        value = self.fields.get("Message") if self.form else self.fields.get("message")
        return value if isinstance(value, str) else ""

    @property
    def is_sns(self) -> bool:
        return self.form and self.fields.get("Action") == "Publish"

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def code(self) -> str:
        """The 6-digit code in the message."""
        return extract_code(self.message)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _parse(body: bytes, content_type: str) -> tuple[dict[str, Any], bool]:
    """(fields, is_form). JSON if it parses as a JSON object, else form-encoded."""
    text = body.decode("utf-8", "replace")
    if "x-www-form-urlencoded" not in content_type.lower():
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value, False
    parsed = parse_qs(text, keep_blank_values=True)
    return {key: values[-1] for key, values in parsed.items()}, True


class SmsSink:
    """The receiver. ``url`` is ``http://127.0.0.1:<port>/`` once started."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._status = 200
        self._received: list[Sms] = []
        self._seq = itertools.count(1)
        self._cond = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        """For ``--sms-url``: the JSON webhook."""
        return f"http://{self.host}:{self.port}/"

    @property
    def sns_url(self) -> str:
        """For ``--sms-url``: an SNS-compatible endpoint (``sns+http://...``)."""
        return f"sns+http://{self.host}:{self.port}/"

    def start(self) -> "SmsSink":
        sink = self

        class Handler(_SinkHandler):
            owner = sink

        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"sms-sink-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT)

    def __enter__(self) -> "SmsSink":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- behaviour
    def fail(self, status: int = 500) -> None:
        """Answer every following request with ``status`` (still recording it)."""
        with self._cond:
            self._status = status

    def recover(self) -> None:
        """Answer 200 again."""
        self.fail(200)

    @property
    def status(self) -> int:
        with self._cond:
            return self._status

    # ---------------------------------------------------------------- what was received
    def requests(self, to: str | None = None, after: Sms | int | None = None) -> list[Sms]:
        """Every request (oldest first), optionally only for number ``to`` / newer than ``after``."""
        after_seq = after.seq if isinstance(after, Sms) else (after or 0)
        with self._cond:
            return [r for r in self._received
                    if r.seq > after_seq and (to is None or r.to == to)]

    def delivered(self, to: str | None = None, after: Sms | int | None = None) -> list[Sms]:
        """Requests for ``to`` that the sink answered with a 2xx status."""
        return [r for r in self.requests(to, after) if 200 <= r.answered < 300]

    def wait_for(self, to: str, timeout: float = 5.0, after: Sms | int | None = None) -> Sms:
        """The newest request for number ``to`` (newer than ``after``), waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self.requests(to, after)
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({str(r.to) for r in self._received})
                    raise AssertionError(f"no SMS for {to} within {timeout}s (after={after!r}); "
                                         f"numbers seen by this sink: {seen[-20:]}")
                self._cond.wait(min(remaining, 0.1))

    def assert_none(self, to: str | None = None, wait: float = 0.5) -> None:
        """Nothing arrives for ``to`` (anything at all when None) within ``wait`` seconds."""
        time.sleep(wait)
        found = self.requests(to)
        assert not found, f"unexpected SMS for {to or 'anyone'}: {found}"

    # ---------------------------------------------------------------- internals
    def _record(self, sms: Sms) -> None:
        with self._cond:
            if len(self._received) < MAX_RECORDED:
                self._received.append(sms)
            self._cond.notify_all()

    def _next_seq(self) -> int:
        with self._cond:
            return next(self._seq)


class _SinkHandler(BaseHTTPRequestHandler):
    owner: SmsSink
    protocol_version = "HTTP/1.1"
    timeout = 15  # drop idle keep-alive connections

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _read_body(self) -> bytes:
        return read_body(self, MAX_BODY)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self) -> None:
        self._send(405, b'{"error": "POST only"}', "application/json")

    def do_POST(self) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(413, b'{"error": "too large"}', "application/json")
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        fields, form = _parse(body, headers.get("content-type", ""))
        status = self.owner.status
        sms = Sms(seq=self.owner._next_seq(), method="POST", path=self.path, headers=headers,
                  body=body, fields=fields, form=form, answered=status)
        self.owner._record(sms)
        request_id = str(uuid.uuid4())
        if form:  # answer like SNS
            if 200 <= status < 300:
                xml = (f'<PublishResponse xmlns="{SNS_NS}"><PublishResult>'
                       f"<MessageId>{uuid.uuid4()}</MessageId></PublishResult>"
                       f"<ResponseMetadata><RequestId>{request_id}</RequestId>"
                       "</ResponseMetadata></PublishResponse>")
            else:
                xml = (f'<ErrorResponse xmlns="{SNS_NS}"><Error><Type>Receiver</Type>'
                       "<Code>InternalFailure</Code><Message>The sink was told to fail"
                       f"</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
            self._send(status, xml.encode("utf-8"), "text/xml")
        elif 200 <= status < 300:
            self._send(status, json.dumps({"id": request_id}).encode(), "application/json")
        else:
            self._send(status, b'{"error": "the sink was told to fail"}', "application/json")
