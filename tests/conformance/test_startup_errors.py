"""A server that cannot start says why in one line, whatever RUST_BACKTRACE says.

Rust developers often have RUST_BACKTRACE set (this suite sets it for every server it starts);
a start-up error is still one line, ``error: <what>: <cause>``, and exit status 1.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

from harness import CLI_TIMEOUT, CognateServer, cognate_binary


def start_failing(*args: str, backtrace: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = CognateServer.env()
    env["RUST_BACKTRACE"] = backtrace
    return subprocess.run([str(cognate_binary()), *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT, env=env, cwd=cwd, stdin=subprocess.DEVNULL)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    assert "backtrace" not in proc.stderr.lower(), proc.stderr
    # Nothing but the error and, at most, a log line or two from before it.
    assert len(proc.stderr.splitlines()) <= 3, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


BACKTRACES = [pytest.param("1", id="RUST_BACKTRACE=1"), pytest.param("full", id="full")]


@pytest.mark.parametrize("backtrace", BACKTRACES)
def test_second_server_on_a_locked_data_dir(start_cognate, tmp_path, backtrace):
    first = start_cognate()
    proc = start_failing("serve", "--listen", "127.0.0.1:0", "--data-dir", str(first.data_dir),
                         backtrace=backtrace, cwd=tmp_path)
    assert_one_line_error(proc, "another cognate is using the data dir", str(first.data_dir))
    assert first.running


@pytest.mark.parametrize("backtrace", BACKTRACES)
def test_missing_config_file(tmp_path, backtrace):
    proc = start_failing("serve", "--in-memory", "--config", "nowhere.toml",
                         backtrace=backtrace, cwd=tmp_path)
    assert_one_line_error(proc, "cannot read nowhere.toml", "No such file or directory")


@pytest.mark.parametrize("contents,needle", [
    pytest.param("listen = [", "invalid configuration in cognate.toml", id="not-toml"),
    pytest.param("no_such_setting = 1\n", "unknown field `no_such_setting`", id="unknown-key"),
    pytest.param('[functions.f]\nruntime = "python3"\nhandler = "missing.handler"\n',
                 "handler file", id="missing-handler"),
])
def test_invalid_config_file(tmp_path, contents, needle):
    (tmp_path / "cognate.toml").write_text(contents)
    proc = start_failing("serve", "--in-memory", "--config", "cognate.toml",
                         backtrace="1", cwd=tmp_path)
    assert_one_line_error(proc, needle)


@pytest.mark.parametrize("backtrace", BACKTRACES)
def test_address_in_use(tmp_path, backtrace):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        proc = start_failing("serve", "--in-memory", "--listen", address,
                             backtrace=backtrace, cwd=tmp_path)
    assert_one_line_error(proc, f"cannot listen on {address}", "in use")
