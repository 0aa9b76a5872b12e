"""README.md's own examples, run as a new user types them.

"A first session" and "Triggers" are read from the README itself, not copied here: files shown
with a ``# path`` first line are written to a scratch project directory, ``cognate serve ...``
named in the prose is started there, and every ``sh`` block runs in bash with ``set -e``, with
``cognate`` (the built binary) and ``aws`` (the suite's virtual environment) on PATH, as after
``cargo install``. Two things differ from a user's terminal, both on purpose: the server listens
on a free port instead of 9229 (``COGNATE_LISTEN``, and the README's ``127.0.0.1:9229`` is
rewritten to it), and the triggers block gets the first session's ``export`` and ``E=`` lines,
which a user's terminal would still have.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import jwt
import pytest
import requests

from harness import CLI_TIMEOUT, REPO_ROOT, START_LINE_RE, START_TIMEOUT, STOP_TIMEOUT, \
    cognate_binary, free_port

README = REPO_ROOT / "README.md"
MARKER = "@@readme-command@@"


def section(title: str) -> str:
    text = README.read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no section {title!r}"
    return match.group(1)


def blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)


def prose(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def serve_command(text: str) -> list[str]:
    """The first ``cognate serve ...`` the section's prose tells the user to run."""
    found = [" ".join(c.split()) for c in re.findall(r"`(cognate serve[^`]*)`", prose(text))]
    assert found, "the section's prose names no `cognate serve ...`"
    return shlex.split(found[0])


def commands(script: str) -> list[str]:
    """Logical shell lines: continuation lines joined, blank lines dropped."""
    out: list[str] = []
    current = ""
    for line in script.splitlines():
        current += line + "\n"
        if not line.rstrip().endswith("\\"):
            if current.strip():
                out.append(current.rstrip("\n"))
            current = ""
    assert not current, "a command ends with a continuation"
    return out


def write_files(text: str, project: Path) -> list[Path]:
    """Blocks whose first line names a file (``# lambdas/x.py``) are that file's content."""
    written = []
    for lang, body in blocks(text):
        first = body.splitlines()[0] if body else ""
        match = re.match(r"^(?:#|//)\s*([\w./-]+\.\w+)\s*$", first)
        if lang != "sh" and match:
            path = project / match.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
            written.append(path)
    return written


class Terminal:
    """What the user has: a project directory, PATH with cognate and aws, a free port."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.servers: list[Server] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        path = [str(cognate_binary().resolve().parent), str(Path(sys.executable).parent),
                os.environ.get("PATH", "")]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COGNATE_")}
        self.env.update(PATH=os.pathsep.join(path), COGNATE_LISTEN=f"127.0.0.1:{self.port}",
                        RUST_BACKTRACE="1")

    def localize(self, script: str) -> str:
        assert "127.0.0.1:9229" in script or "$E" in script, "the example names no endpoint"
        return script.replace("127.0.0.1:9229", f"127.0.0.1:{self.port}")

    def run(self, script: str) -> list[tuple[str, str]]:
        """Runs the logical lines in one bash; returns (command, its stdout) for each."""
        lines = commands(script)
        program = "".join(f"{line}\necho {MARKER}\n" for line in lines)
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", program], cwd=self.project,
                              env=self.env, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT * len(lines), stdin=subprocess.DEVNULL)
        outputs = proc.stdout.split(MARKER + "\n")
        assert proc.returncode == 0, (
            f"the README's example failed at command {len(outputs)} of {len(lines)}:\n"
            f"{lines[min(len(outputs), len(lines)) - 1]}\nstdout: {proc.stdout}\n"
            f"stderr: {proc.stderr}")
        return list(zip(lines, outputs))

    def serve(self, argv: list[str]) -> "Server":
        server = Server(argv, self)
        self.servers.append(server)
        return server


class Server:
    def __init__(self, argv: list[str], terminal: Terminal) -> None:
        assert argv[0] == "cognate", argv
        self.log = terminal.project / f"serve-{terminal.port}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=terminal.project, env=terminal.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=log, text=True)
        lines: "queue.Queue[str | None]" = queue.Queue()

        def pump() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            first = None
        if first is None or not START_LINE_RE.search(first):
            self.stop()
            pytest.fail(f"`{' '.join(argv)}` did not start: {first!r}\n{self.log.read_text()}")
        assert terminal.url in first, first

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    project = tmp_path / "my-app"
    project.mkdir()
    terminal = Terminal(project)
    try:
        yield terminal
    finally:
        for server in terminal.servers:
            server.stop()


def documents(output: str) -> list[dict]:
    """The JSON documents the aws CLI printed."""
    decoder, found, index = json.JSONDecoder(), [], 0
    while (start := output.find("{", index)) != -1:
        document, index = decoder.raw_decode(output, start)
        found.append(document)
    return found


def output_of(ran: list[tuple[str, str]], needle: str) -> str:
    matching = [out for command, out in ran if needle in command]
    assert len(matching) == 1, f"expected one command with {needle!r}: {[c for c, _ in ran]}"
    return matching[0]


def first_session(terminal: Terminal) -> tuple[Server, str, list[tuple[str, str]]]:
    """Runs the section; its server is left running."""
    text = section("A first session")
    (script,) = [body for lang, body in blocks(text) if lang == "sh"]
    script = terminal.localize(script)
    server = terminal.serve(serve_command(text))
    ran = terminal.run(script + 'printf "%s %s\\n" "$POOL" "$CODE"\n')
    return server, script, ran


def test_readme_first_session_runs_as_written(terminal):
    _, _, ran = first_session(terminal)
    pool_id, code = ran[-1][1].split()

    (signed_up,) = documents(output_of(ran, "cognito-idp sign-up"))
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["Destination"] == "a***@e***.com"
    assert signed_up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    shown = output_of(ran, "cognate outbox --last 1 ")
    assert re.fullmatch(r"\d{6}", code), code
    assert "alice@example.com" in shown and code in shown, shown

    (signed_in,) = documents(output_of(ran, "initiate-auth"))
    tokens = signed_in["AuthenticationResult"]
    # As the README says: RS256, keys at <url>/<poolId>/.well-known/jwks.json, issuer <url>/<poolId>.
    issuer = f"{terminal.url}/{pool_id}"
    jwks = requests.get(f"{issuer}/.well-known/jwks.json", timeout=10).json()
    header = jwt.get_unverified_header(tokens["IdToken"])
    assert header["alg"] == "RS256"
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    claims = jwt.decode(tokens["IdToken"], jwt.PyJWK(key).key, algorithms=["RS256"],
                        issuer=issuer, options={"verify_aud": False})
    assert claims["cognito:username"] == "alice"
    assert claims["email"] == "alice@example.com"
    assert claims["email_verified"] is True


def test_readme_triggers_run_as_written(terminal):
    first_server, first_script, _ = first_session(terminal)
    first_server.stop()  # as the README says: the data dir is the first server's
    text = section("Triggers")
    written = write_files(text, terminal.project)
    assert {p.relative_to(terminal.project).as_posix() for p in written} == {
        "lambdas/auto_confirm.py", "cognate.toml"}
    (script,) = [body for lang, body in blocks(text) if lang == "sh"]
    # The same terminal as the first session: its exports and $E are still set.
    carried = [c for c in commands(first_script) if c.startswith(("export ", "E="))]
    script = "\n".join(carried) + "\n" + terminal.localize(script)
    terminal.serve(serve_command(text))
    ran = terminal.run(script)

    (signed_up,) = documents(output_of(ran, "cognito-idp sign-up"))
    assert signed_up["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in signed_up
    (user,) = documents(output_of(ran, "admin-get-user"))
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
