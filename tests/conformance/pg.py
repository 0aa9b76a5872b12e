"""PostgreSQL for the tests: a throwaway database per server (or per group of servers).

The server is ``$COGNATE_TEST_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432``, the
local server with trust auth). Without one the PostgreSQL tests skip with a notice, unless
``COGNATE_REQUIRE_PG=1`` (CI) makes that a failure. The ``psql`` client does the admin work.

``COGNATE_TEST_DATABASE=postgres`` runs the conformance tests that start servers through the
``start_cognate`` fixture on PostgreSQL instead of SQLite (scripts/test.sh does, for the
subset listed there).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
import shutil
import subprocess

import pytest


# The schema version PostgreSQL databases end at: one per shipped migration.
SCHEMA_VERSION = len(list((Path(__file__).resolve().parents[2] / "crates" / "cognate-store" / "migrations"
                           / "postgres").glob("*.sql")))

SERVER = os.environ.get("COGNATE_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432")
_names = itertools.count(1)
_available: bool | None = None


def on_postgres() -> bool:
    """Whether this run keeps every server's data in PostgreSQL."""
    return os.environ.get("COGNATE_TEST_DATABASE") == "postgres"


def psql(sql: str, database: str = "postgres", check: bool = True) -> str:
    """Runs ``sql`` with psql on ``database``; returns its unaligned, tuples-only output."""
    proc = subprocess.run(
        ["psql", f"{SERVER}/{database}", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"psql failed: {proc.stderr}")
    return proc.stdout.strip()


def require() -> None:
    """Skips (or, with COGNATE_REQUIRE_PG=1, fails) when no PostgreSQL server answers."""
    global _available
    if _available is None:
        why = None
        if shutil.which("psql") is None:
            why = "the psql client is not installed"
        else:
            proc = subprocess.run(["psql", f"{SERVER}/postgres", "-X", "-Atc", "SELECT 1"],
                                  capture_output=True, text=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
            if proc.returncode != 0:
                why = f"no PostgreSQL at {SERVER}: {proc.stderr.strip()}"
        _available = why is None
        if why is not None:
            if os.environ.get("COGNATE_REQUIRE_PG") == "1":
                pytest.fail(f"COGNATE_REQUIRE_PG=1 but {why}", pytrace=False)
            print(f"\nNOTICE: skipping the PostgreSQL tests: {why}")
    if not _available:
        pytest.skip("no PostgreSQL server (set COGNATE_REQUIRE_PG=1 to fail instead)")


def create_database(tag: str = "t") -> str:
    """A fresh, empty database; returns its URL."""
    require()
    name = f"cognate_{tag}_{os.getpid()}_{next(_names)}"
    psql(f"DROP DATABASE IF EXISTS {name}")
    psql(f"CREATE DATABASE {name}")
    return f"{SERVER}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", check=False)
