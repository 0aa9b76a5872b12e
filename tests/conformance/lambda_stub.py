"""A stand-in for the AWS Lambda Invoke API, for the trigger tests.

``LambdaStub`` serves ``POST /2015-03-31/functions/<name>/invocations`` on 127.0.0.1 (an
ephemeral port) from a background thread, the way AWS Lambda, ``sam local start-lambda``, the
Lambda Runtime Interface Emulator and LocalStack do:

* the body is the event; a registered function is called with the parsed event and its
  return value is sent back as JSON with HTTP 200;
* a function that raises is answered like Lambda answers a function error: HTTP 200, header
  ``X-Amz-Function-Error: Unhandled``, body ``{"errorMessage", "errorType", "stackTrace"}``;
* a name nobody registered gets Lambda's 404 ``ResourceNotFoundException``;
* a function may return a ``RawResponse`` to send any status / headers / bytes.

Every request is recorded (``calls(name)`` / ``events(name)``), including those for unknown
names. Use the ``lambda_stub`` fixture (conftest.py), which starts one stub per test and
stops it at teardown; every wait here is bounded.

    stub.register("preSignUp", lambda event: event)               # a Python callable
    stub.register_file("preSignUp", HANDLERS / "auto_confirm.py")  # a handler file, unchanged
    stub.register("preSignUp", stub.raises("Domain not allowed."))
    stub.register("preSignUp", stub.sleeps(3.0))                   # then answers the event
    stub.register("preSignUp", stub.garbage(b"not json"))
    stub.events("preSignUp")[-1]["request"]["userAttributes"]
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

INVOKE_PREFIX = "/2015-03-31/functions/"
INVOKE_SUFFIX = "/invocations"
MAX_BODY = 6 * 1024 * 1024  # Lambda's synchronous payload limit


def read_body(handler: BaseHTTPRequestHandler, limit: int) -> bytes:
    """A request body, plain (Content-Length) or chunked; ValueError above ``limit`` bytes."""
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks = []
        total = 0
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                break
            total += size
            if total > limit:
                raise ValueError("body too large")
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    if length > limit:
        raise ValueError("body too large")
    return handler.rfile.read(length) if length else b""
MAX_CALLS_PER_FUNCTION = 1000  # recording is bounded
STOP_TIMEOUT = 5.0

_module_ids = itertools.count(1)


class FunctionError(Exception):
    """Raise (or use ``LambdaStub.raises``) to answer with a chosen ``errorType``."""

    def __init__(self, message: str, error_type: str = "Error"):
        super().__init__(message)
        self.message = message
        self.error_type = error_type


@dataclass
class RawResponse:
    """Return this from a function to control the HTTP answer byte for byte."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """One request the stub received."""

    name: str  # function name from the path (URL-decoded)
    path: str  # full request path, query included
    headers: dict[str, str]  # lower-cased names
    body: bytes
    event: Any  # parsed JSON body (None if it did not parse)
    received_at: float  # time.monotonic()
    finished_at: float | None = None  # when the answer was written (None while running)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def load_handler(path: Path | str, function: str = "lambda_handler") -> Callable[[Any, Any], Any]:
    """Import a handler file under a fresh module name and return ``module.<function>``."""
    path = Path(path)
    spec = importlib.util.spec_from_file_location(
        f"_lambda_stub_handler_{next(_module_ids)}_{path.stem}", path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function)


class LambdaStub:
    """The Invoke API server. ``url`` is ``http://127.0.0.1:<port>`` once started."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._functions: dict[str, Callable[[Any], Any]] = {}
        self._calls: list[Call] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "LambdaStub":
        stub = self

        class Handler(_InvokeHandler):
            owner = stub

        server = ThreadingHTTPServer((self.host, 0), Handler)
        server.daemon_threads = True  # a sleeping function never blocks shutdown
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"lambda-stub-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Wake sleeping functions, stop serving, release the port (bounded)."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=STOP_TIMEOUT)

    def __enter__(self) -> "LambdaStub":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------- functions
    def register(self, name: str, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Serve function ``name`` with ``fn(event) -> answer`` (replaces an earlier one)."""
        with self._cond:
            self._functions[name] = fn
        return fn

    def register_file(self, name: str, path: Path | str,
                      function: str = "lambda_handler") -> Callable[[Any], Any]:
        """Serve ``name`` with a handler file called as Lambda does: ``fn(event, None)``."""
        handler = load_handler(path, function)
        return self.register(name, lambda event: handler(event, None))

    def unregister(self, name: str) -> None:
        with self._cond:
            self._functions.pop(name, None)

    # ---- ready-made misbehaving functions
    @staticmethod
    def raises(message: str, error_type: str = "Error") -> Callable[[Any], Any]:
        """A function that fails with ``errorMessage`` = ``message``."""
        def fn(event: Any) -> Any:
            raise FunctionError(message, error_type)
        return fn

    def sleeps(self, seconds: float,
               then: Callable[[Any], Any] | None = None) -> Callable[[Any], Any]:
        """A function that answers only after ``seconds`` (woken early when the stub stops)."""
        def fn(event: Any) -> Any:
            self._stopping.wait(seconds)
            return then(event) if then is not None else event
        return fn

    @staticmethod
    def garbage(body: bytes = b"this is not json", status: int = 200,
                headers: dict[str, str] | None = None) -> Callable[[Any], Any]:
        """A function whose answer is ``body`` verbatim (not the event)."""
        def fn(event: Any) -> Any:
            return RawResponse(body=body, status=status, headers=dict(headers or {}))
        return fn

    # ---------------------------------------------------------------- what was received
    def calls(self, name: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if name is None or c.name == name]

    def events(self, name: str) -> list[Any]:
        """Deep copies of the events received for ``name``, oldest first."""
        return [copy.deepcopy(c.event) for c in self.calls(name)]

    def last_event(self, name: str) -> Any:
        events = self.events(name)
        assert events, f"function {name!r} was never invoked; calls: {self.summary()}"
        return events[-1]

    def wait_for_calls(self, name: str, count: int = 1, timeout: float = 5.0,
                       finished: bool = False) -> list[Call]:
        """Block until ``name`` got ``count`` calls (optionally all answered); bounded."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                calls = [c for c in self._calls if c.name == name]
                if len(calls) >= count and (not finished or
                                            all(c.finished_at is not None for c in calls)):
                    return calls
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{name!r}: wanted {count} call(s){' answered' if finished else ''} "
                        f"within {timeout}s; calls so far: {self.summary()}")
                self._cond.wait(min(remaining, 0.1))

    def summary(self) -> list[str]:
        with self._cond:
            return [f"{c.name} {c.path}" for c in self._calls]

    # ---------------------------------------------------------------- internals
    def _record(self, call: Call) -> None:
        with self._cond:
            if sum(1 for c in self._calls if c.name == call.name) < MAX_CALLS_PER_FUNCTION:
                self._calls.append(call)
            self._cond.notify_all()

    def _finish(self, call: Call) -> None:
        with self._cond:
            call.finished_at = time.monotonic()
            self._cond.notify_all()

    def _lookup(self, name: str) -> Callable[[Any], Any] | None:
        with self._cond:
            return self._functions.get(name)


class _InvokeHandler(BaseHTTPRequestHandler):
    owner: LambdaStub
    protocol_version = "HTTP/1.1"
    timeout = 15  # an idle keep-alive connection is dropped after this many seconds

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    # -- plumbing
    def _read_body(self) -> bytes:
        return read_body(self, MAX_BODY)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        if self.owner._stopping.is_set():
            self.close_connection = True
        self.send_response(status)
        merged = {"Content-Type": "application/json",
                  "X-Amzn-RequestId": "00000000-0000-0000-0000-000000000000"}
        merged.update(headers or {})
        for key, value in merged.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the caller gave up (timeout)
            self.close_connection = True

    def _send_json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode("utf-8"), headers)

    # -- routes
    def do_GET(self) -> None:
        self._send_json(404, {"Type": "User", "message": "Only POST invocations are served"})

    def do_POST(self) -> None:
        stub = self.owner
        path = urlsplit(self.path).path
        try:
            body = self._read_body()
        except ValueError:
            self._send_json(413, {"Type": "User", "message": "Request must be smaller than "
                                  f"{MAX_BODY} bytes for the InvokeFunction operation"},
                            {"X-Amzn-ErrorType": "RequestTooLargeException"})
            self.close_connection = True
            return
        if not (path.startswith(INVOKE_PREFIX) and path.endswith(INVOKE_SUFFIX)):
            self._send_json(404, {"Type": "User", "message": f"No route for {path}"},
                            {"X-Amzn-ErrorType": "ResourceNotFoundException"})
            return
        name = unquote(path[len(INVOKE_PREFIX):-len(INVOKE_SUFFIX)])
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        call = Call(name=name, path=self.path, body=body, event=event,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    received_at=time.monotonic())
        stub._record(call)
        try:
            self._answer(stub, name, body, event)
        finally:
            stub._finish(call)

    def _answer(self, stub: LambdaStub, name: str, body: bytes, event: Any) -> None:
        fn = stub._lookup(name)
        if fn is None:
            self._send_json(
                404,
                {"Type": "User", "message": "Function not found: "
                 f"arn:aws:lambda:us-east-1:123456789012:function:{name}"},
                {"X-Amzn-ErrorType": "ResourceNotFoundException"})
            return
        if event is None and body.strip() != b"null":
            self._send_json(400, {"Type": "User",
                                  "message": "Could not parse request body into json"},
                            {"X-Amzn-ErrorType": "InvalidRequestContentException"})
            return
        try:
            result = fn(copy.deepcopy(event))
        except FunctionError as exc:
            self._function_error(exc.message, exc.error_type, exc)
            return
        except Exception as exc:  # the handler threw, as a Python Lambda would report it
            self._function_error(str(exc), type(exc).__name__, exc)
            return
        if isinstance(result, RawResponse):
            self._send(result.status, result.body, result.headers)
        else:
            self._send_json(200, result)

    def _function_error(self, message: str, error_type: str, exc: BaseException) -> None:
        stack = traceback.format_tb(exc.__traceback__)
        self._send_json(200, {"errorMessage": message, "errorType": error_type,
                              "stackTrace": [line.strip() for line in stack]},
                        {"X-Amz-Function-Error": "Unhandled"})
