"""The harness behind the conformance fixtures: SMTP sink, cognate process, aws CLI runner.

conftest.py turns these into fixtures; tests may import the classes (e.g. ``AwsCliError``)
from here.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from helpers import CODE_RE, REGION, extract_code

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent

START_TIMEOUT = 10.0  # seconds to wait for the start line
STOP_TIMEOUT = 10.0  # seconds to wait for exit after SIGTERM
CLI_TIMEOUT = 60.0  # seconds for one aws CLI / cognate CLI invocation

START_LINE_RE = re.compile(r"listening on (http://\S+)")

# Keep the developer's own AWS configuration out of every client this process creates
# (boto3 here, the aws CLI in subprocesses).
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
             "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_CA_BUNDLE",
             "AWS_DEFAULT_REGION", "AWS_REGION"):
    os.environ.pop(_var, None)
os.environ["AWS_CONFIG_FILE"] = str(HERE / ".nonexistent-aws-config")
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(HERE / ".nonexistent-aws-credentials")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("NO_PROXY", "no_proxy"):  # never send loopback traffic through a proxy
    os.environ[_var] = ",".join(filter(None, [os.environ.get(_var), "127.0.0.1", "localhost"]))

ACCESS_KEY = "AKIDTEST"
SECRET_KEY = "secret"


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (bind to 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cognate_binary() -> Path:
    """``$COGNATE_BIN`` or ``<repo root>/target/debug/cognate``."""
    return Path(os.environ.get("COGNATE_BIN") or REPO_ROOT / "target" / "debug" / "cognate")


def make_idp_client(url: str, region: str = REGION) -> Any:
    """A boto3 cognito-idp client for ``url`` with dummy credentials and no retries."""
    return boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},  # one attempt: no retries
            connect_timeout=5,
            read_timeout=30,
        ),
    )


# =========================================================================== SMTP


@dataclass
class Mail:
    """One delivered message, as seen by one recipient."""

    seq: int  # increasing across the whole session
    mail_from: str  # SMTP envelope sender
    recipient: str  # SMTP envelope recipient
    from_header: str
    to_header: str
    subject: str
    body: str  # text/plain part (falls back to text/html, then the raw payload)
    raw: bytes

    @property
    def code(self) -> str:
        """The 6-digit code in the body."""
        return extract_code(self.body)


def _body_text(message: email.message.EmailMessage) -> str:
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is not None:
            return part.get_content()
        return message.get_content()
    except Exception:  # a body we cannot decode still gets searched for the code
        payload = message.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


class SmtpSink:
    """Collects every message the SMTP listener receives. Thread-safe."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._messages: list[Mail] = []
        self._cond = threading.Condition()
        self._seq = itertools.count(1)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    # aiosmtpd handler hook
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        body = _body_text(parsed)
        with self._cond:
            for rcpt in envelope.rcpt_tos:
                self._messages.append(
                    Mail(
                        seq=next(self._seq),
                        mail_from=envelope.mail_from or "",
                        recipient=rcpt,
                        from_header=str(parsed.get("From", "")),
                        to_header=str(parsed.get("To", "")),
                        subject=str(parsed.get("Subject", "")),
                        body=body,
                        raw=raw,
                    )
                )
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def messages(self, to: str | None = None, after: Mail | int | None = None) -> list[Mail]:
        """Messages (oldest first) for recipient ``to`` (case-insensitive), newer than ``after``."""
        after_seq = after.seq if isinstance(after, Mail) else (after or 0)
        with self._cond:
            return [
                m for m in self._messages
                if m.seq > after_seq and (to is None or m.recipient.lower() == to.lower())
            ]

    def wait_for_mail(self, to: str, timeout: float = 5.0, after: Mail | int | None = None) -> Mail:
        """The newest message for ``to`` (newer than ``after``), polling up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self.messages(to, after)
                if found:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = sorted({m.recipient for m in self._messages})
                    raise AssertionError(
                        f"no mail for {to} within {timeout}s (after={after!r}); "
                        f"recipients seen this session: {seen[-20:]}"
                    )
                self._cond.wait(min(remaining, 0.1))

    def assert_no_mail(self, to: str, wait: float = 0.5) -> None:
        time.sleep(wait)
        assert not self.messages(to), f"unexpected mail for {to}: {self.messages(to)}"


# =========================================================================== cognate server


class CognateError(AssertionError):
    pass


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def to_toml(config: dict[str, Any]) -> str:
    """A tiny TOML writer for ``{"table": {"key": value}}`` / top-level scalars."""
    lines: list[str] = []
    for key, value in config.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {_toml_value(value)}")
    for key, value in config.items():
        if isinstance(value, dict):
            lines.append(f"\n[{key}]")
            for sub_key, sub_value in value.items():
                lines.append(f"{sub_key} = {_toml_value(sub_value)}")
    return "\n".join(lines) + "\n"


class CognateServer:
    """One ``cognate serve`` process bound to a data dir.

    Attributes: ``url`` (http://127.0.0.1:PORT), ``port``, ``data_dir``, ``start_line``,
    ``log`` (stderr so far, across restarts), ``log_path``, ``process``.
    """

    def __init__(self, binary: Path, data_dir: Path, log_path: Path, serve_args: list[str],
                 cwd: Path | None = None, database_url: str | None = None):
        self.binary = binary
        # PostgreSQL instead of SQLite in data_dir (which then holds only the sealing key).
        self.database_url = database_url
        self.cwd = cwd
        self.data_dir = data_dir
        self.log_path = log_path
        self.serve_args = serve_args
        self.process: subprocess.Popen[str] | None = None
        self.url: str = ""
        self.port: int = 0
        self.start_line: str = ""
        self.stdout_lines: list[str] = []
        self.exit_codes: list[int] = []
        self._clients: dict[str, Any] = {}

    # ---------------------------------------------------------------- lifecycle
    @staticmethod
    def env() -> dict[str, str]:
        """The environment for cognate processes: ours minus COGNATE_* and RUST_LOG."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("COGNATE_") and k != "RUST_LOG"}
        env.setdefault("RUST_BACKTRACE", "1")
        return env

    def start(self, listen: str = "127.0.0.1:0") -> "CognateServer":
        if not self.binary.exists():
            raise CognateError(
                f"cognate binary not found at {self.binary}; build it with `cargo build` "
                "or point COGNATE_BIN at it"
            )
        cmd = [str(self.binary), "serve", "--listen", listen,
               "--data-dir", str(self.data_dir), *self.serve_args]
        if self.database_url is not None:
            cmd += ["--database-url", self.database_url]
        log = open(self.log_path, "ab")
        log.write(f"\n===== {' '.join(cmd)}\n".encode())
        log.flush()
        try:
            self.process = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                text=True, env=self.env(), cwd=self.cwd,
            )
        finally:
            log.close()
        lines: "queue.Queue[str | None]" = queue.Queue()

        def pump(stream: Any) -> None:  # keep draining stdout so the pipe never fills
            for line in stream:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, args=(self.process.stdout,), daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            self._kill()
            raise CognateError(f"no start line within {START_TIMEOUT}s\n{self.log_tail()}")
        if first is None:
            code = self.process.wait(timeout=STOP_TIMEOUT)
            raise CognateError(f"cognate exited with {code} before its start line\n"
                               f"{self.log_tail()}")
        match = START_LINE_RE.search(first)
        if not match:
            self._kill()
            raise CognateError(f"unexpected start line {first!r}\n{self.log_tail()}")
        self.start_line = first
        self.url = match.group(1).rstrip("/")
        self.port = int(self.url.rsplit(":", 1)[1])

        def keep(stream_lines: "queue.Queue[str | None]") -> None:
            while (line := stream_lines.get()) is not None:
                self.stdout_lines.append(line)

        threading.Thread(target=keep, args=(lines,), daemon=True).start()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, check: bool = True) -> int:
        """SIGTERM, wait (bounded); with ``check`` assert the exit code is 0."""
        assert self.process is not None, "server was never started"
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._kill()
                raise CognateError(f"cognate did not exit within {STOP_TIMEOUT}s of SIGTERM\n"
                                   f"{self.log_tail()}")
        code = self.process.returncode
        self.exit_codes.append(code)
        if check and code != 0:
            raise CognateError(f"cognate exited with {code} after SIGTERM\n{self.log_tail()}")
        return code

    def restart(self, same_port: bool = True) -> "CognateServer":
        """Stop (asserting exit 0) and start again on the same data dir.

        By default the same port is reused so ``url`` (and hence the default token issuer,
        which is derived from it) stays the same; binding is retried for a few seconds.
        """
        old_port = self.port
        self.stop()
        if not same_port:
            return self.start()
        deadline = time.monotonic() + 5.0
        while True:
            try:
                return self.start(listen=f"127.0.0.1:{old_port}")
            except CognateError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.25)

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    def close(self) -> None:
        """Teardown: stop if still running (exit code not asserted here)."""
        if self.process is None:
            return
        try:
            if self.process.poll() is None:
                self.stop(check=False)
        finally:
            self._kill()

    # ---------------------------------------------------------------- logs
    @property
    def log(self) -> str:
        """Everything the server wrote to stderr so far (all runs on this data dir)."""
        try:
            return self.log_path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        return "----- cognate stderr (tail) -----\n" + "\n".join(self.log.splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while needle not in self.log:
            if time.monotonic() >= deadline:
                raise AssertionError(f"{needle!r} not in the server log within {timeout}s\n"
                                     f"{self.log_tail()}")
            time.sleep(0.05)
        return self.log

    # ---------------------------------------------------------------- clients
    def idp(self, region: str = REGION) -> Any:
        """A boto3 cognito-idp client for the current URL (cached per URL and region)."""
        key = f"{self.url}|{region}"
        if key not in self._clients:
            self._clients[key] = make_idp_client(self.url, region)
        return self._clients[key]

    # ---------------------------------------------------------------- cognate CLI
    def run_cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``cognate <args>`` (e.g. ``outbox --data-dir ...``) and return the result."""
        proc = subprocess.run(
            [str(self.binary), *args], capture_output=True, text=True,
            timeout=CLI_TIMEOUT, env=self.env(), stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise CognateError(f"cognate {' '.join(args)} exited {proc.returncode}\n"
                               f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc

    def store_args(self) -> list[str]:
        """How a ``cognate`` command finds this server's data: its data dir or database."""
        if self.database_url is not None:
            return ["--database-url", self.database_url]
        return ["--data-dir", str(self.data_dir)]

    def outbox(self, pool: str | None = None, to: str | None = None,
               last: int | None = None) -> list[dict]:
        """``cognate outbox --data-dir DIR [--pool] [--to] [--last] --json`` parsed."""
        args = ["outbox", *self.store_args()]
        if pool is not None:
            args += ["--pool", pool]
        if to is not None:
            args += ["--to", to]
        if last is not None:
            args += ["--last", str(last)]
        args.append("--json")
        proc = self.run_cli(*args)
        try:
            data = json.loads(proc.stdout)
        except json.JSONDecodeError as exc:
            raise CognateError(f"cognate outbox --json printed non-JSON: {proc.stdout!r}") from exc
        assert isinstance(data, list), f"outbox --json must print an array, got {data!r}"
        return data

    def latest_message(self, to: str, after_id: int | None = None,
                       timeout: float = 5.0) -> dict:
        """The newest outbox entry for recipient ``to`` with id > ``after_id`` (polls)."""
        deadline = time.monotonic() + timeout
        while True:
            entries = [e for e in self.outbox(to=to)
                       if after_id is None or e["id"] > after_id]
            if entries:
                return entries[-1]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no outbox entry for {to} (after id {after_id}) "
                                     f"within {timeout}s\n{self.log_tail()}")
            time.sleep(0.1)

    def latest_code(self, to: str, after_id: int | None = None, timeout: float = 5.0) -> str:
        """The 6-digit code of the newest outbox message for ``to`` (polls up to ``timeout``)."""
        entry = self.latest_message(to, after_id=after_id, timeout=timeout)
        match = CODE_RE.search(entry["body"])
        assert match, f"no 6-digit code in outbox body {entry['body']!r}"
        return match.group(1)


# =========================================================================== aws CLI


class AwsCliError(Exception):
    def __init__(self, args: list[str], returncode: int, stdout: str, stderr: str):
        super().__init__(f"aws {' '.join(args)} exited {returncode}\nstderr: {stderr}")
        self.args_ = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


class AwsCli:
    """Runs the aws CLI (v1) from this virtualenv against one endpoint.

    ``aws("cognito-idp", "list-user-pools", "--max-results", "10")`` -> parsed JSON
    (``{}`` for empty output); raises ``AwsCliError`` (with ``.stderr``) on a non-zero exit.
    ``aws.run(...)`` returns the ``CompletedProcess`` without raising.
    """

    def __init__(self, endpoint_url: str, region: str = REGION):
        self.endpoint_url = endpoint_url
        self.region = region
        self.executable = Path(sys.executable).parent / "aws"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_CONFIG_FILE": str(HERE / ".nonexistent-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(HERE / ".nonexistent-aws-credentials"),
            "AWS_PAGER": "",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
            "PYTHONWARNINGS": "ignore",
        })
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        if not self.executable.exists():
            raise AwsCliError(list(args), -1, "", f"aws CLI not found at {self.executable}; "
                              "install tests/conformance/requirements.txt into this venv")
        cmd = [str(self.executable), "--endpoint-url", self.endpoint_url,
               "--region", self.region, "--output", "json", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                              env=self.env(), stdin=subprocess.DEVNULL)

    def __call__(self, *args: str) -> Any:
        proc = self.run(*args)
        if proc.returncode != 0:
            raise AwsCliError(list(args), proc.returncode, proc.stdout, proc.stderr)
        out = proc.stdout.strip()
        return json.loads(out) if out else {}


