"""Fixtures for the cognate conformance suite.

The suite is black-box: it starts the built ``cognate`` binary on an ephemeral port with a
real SMTP listener and drives it with boto3, the aws CLI (v1) and plain HTTP.

Fixtures (see each docstring):
* ``smtp_server`` (session)  - aiosmtpd listener; ``.wait_for_mail(to, timeout=5, after=None)``
* ``start_cognate`` (function) - factory: ``start_cognate(smtp=True, config=None, ...)``
* ``cognate`` (function)     - one server with SMTP; ``.url .data_dir .outbox() .latest_code()
                               .stop() .restart() .log .idp()``
* ``idp`` (function)         - boto3 ``cognito-idp`` client for ``cognate``
* ``aws`` (function)         - runs the aws CLI against ``cognate``; returns parsed JSON
* ``lambda_stub`` (function) - Lambda Invoke API stand-in (lambda_stub.py) for triggers
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import pg
from harness import (
    AwsCli,
    CognateServer,
    SmtpSink,
    cognate_binary,
    free_port,
    to_toml,
)
pytest_plugins = ["browser"]  # browser tests: fixtures browser, page (browser.py)

@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpSink]:
    """An aiosmtpd listener on 127.0.0.1 (free port) collecting every message."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(
        sink, hostname=sink.host, port=sink.port, ready_timeout=5.0, enable_SMTPUTF8=True
    )
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def start_cognate(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpSink,
                  request: pytest.FixtureRequest) -> Iterator[Any]:
    """Factory: ``start_cognate(**opts) -> CognateServer`` (started).

    Options:
      smtp=True            pass ``--smtp-url`` of the session SMTP listener (False: none)
      smtp_url=None        pass this ``--smtp-url`` instead
      email_from=None      ``--email-from``
      config=None          dict (written as TOML) or str (raw TOML) -> ``--config FILE``
      region=None          ``--region``
      public_url=None      ``--public-url``
      data_dir=None        reuse a data dir (default: a fresh one)
      extra_args=()        anything else for ``cognate serve``
      cwd=None             the server's working directory (default: the test runner's)
      database_url=None    keep the data in this PostgreSQL database (default: SQLite in the
                           data dir; a fresh PostgreSQL database per data dir when the run is
                           COGNATE_TEST_DATABASE=postgres, see pg.py)
    Every server started here is stopped at teardown, and databases it made are dropped.
    """
    servers: list[CognateServer] = []
    made: dict[Path, str] = {}
    request.node._cognate_servers = servers  # read by pytest_runtest_makereport below

    def start(*, smtp: bool = True, smtp_url: str | None = None, email_from: str | None = None,
              config: dict | str | None = None, region: str | None = None,
              public_url: str | None = None, data_dir: Path | None = None,
              extra_args: tuple[str, ...] | list[str] = (),
              cwd: Path | None = None, database_url: str | None = None) -> CognateServer:
        base = tmp_path_factory.mktemp("cognate")
        if data_dir is None:
            data_dir = base / "data"
            data_dir.mkdir()
        if database_url is None and pg.on_postgres():
            # A data dir reused by a second server means the same data: the same database.
            database_url = made.get(data_dir) or made.setdefault(data_dir, pg.create_database())
        args: list[str] = []
        if smtp_url is not None:
            args += ["--smtp-url", smtp_url]
        elif smtp:
            args += ["--smtp-url", smtp_server.url]
        if email_from is not None:
            args += ["--email-from", email_from]
        if config is not None:
            config_path = base / "cognate.toml"
            config_path.write_text(config if isinstance(config, str) else to_toml(config))
            args += ["--config", str(config_path)]
        if region is not None:
            args += ["--region", region]
        if public_url is not None:
            args += ["--public-url", public_url]
        args += list(extra_args)
        server = CognateServer(cognate_binary(), data_dir, base / "cognate.stderr.log", args,
                               cwd=cwd, database_url=database_url)
        servers.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in servers:
            server.close()
        for url in made.values():
            pg.drop_database(url)


@pytest.fixture
def cognate(start_cognate: Any) -> CognateServer:
    """A running server with a fresh data dir, delivering mail to ``smtp_server``."""
    return start_cognate()


@pytest.fixture
def idp(cognate: CognateServer) -> Any:
    """boto3 cognito-idp client for ``cognate`` (us-east-1, dummy credentials, no retries)."""
    return cognate.idp()


@pytest.fixture
def aws(cognate: CognateServer) -> AwsCli:
    """The aws CLI pointed at ``cognate``."""
    return AwsCli(cognate.url)


# =========================================================================== Lambda triggers


@pytest.fixture
def lambda_stub() -> Iterator[Any]:
    """A Lambda Invoke API stand-in on 127.0.0.1 (free port), stopped at teardown.

    ``.url``, ``.register(name, fn)``, ``.register_file(name, path)``, ``.raises(msg)``,
    ``.sleeps(s)``, ``.garbage(body)``, ``.calls(name)``, ``.events(name)``,
    ``.last_event(name)``, ``.wait_for_calls(name, count, timeout)``; see lambda_stub.py.
    """
    from lambda_stub import LambdaStub

    stub = LambdaStub().start()
    try:
        yield stub
    finally:
        stub.close()


# =========================================================================== reporting


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Attach the tail of each server's stderr to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for index, server in enumerate(getattr(item, "_cognate_servers", [])):
            tail = "\n".join(server.log.splitlines()[-150:])
            report.sections.append((f"cognate #{index} stderr ({server.log_path})", tail))
