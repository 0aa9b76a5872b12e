"""Backups: ``cognate backup --to FILE`` copies a running server's database consistently;
``cognate restore --from FILE`` brings it back into a stopped server's data dir. One server per
data dir (a lock file), so a restore cannot pull the database from under a live server."""

from __future__ import annotations

import subprocess

import pytest

from helpers import confirmed_user, make_app
from test_srp import srp_app, srp_sign_in


def backup(server, to) -> subprocess.CompletedProcess[str]:
    return server.run_cli("backup", "--data-dir", str(server.data_dir), "--to", str(to), check=False)


def restore(server, source) -> subprocess.CompletedProcess[str]:
    return server.run_cli("restore", "--data-dir", str(server.data_dir), "--from", str(source), check=False)


def test_backup_of_a_running_server_restores_what_was_there(cognate, tmp_path):
    app = srp_app(cognate.idp())
    kept = confirmed_user(app, cognate)
    target = tmp_path / "backup.db"
    done = backup(cognate, target)
    assert done.returncode == 0, done.stderr
    assert target.is_file()
    later = confirmed_user(app, cognate)

    cognate.stop()
    done = restore(cognate, target)
    assert done.returncode == 0, done.stderr
    cognate.restart()
    app.idp = cognate.idp()
    assert app.admin_get_user(kept.username)["UserStatus"] == "CONFIRMED"
    with pytest.raises(app.idp.exceptions.UserNotFoundException):
        app.admin_get_user(later.username)
    assert "AuthenticationResult" in app.password_auth(kept.username)
    assert "AuthenticationResult" in srp_sign_in(app, kept.username)


def test_restore_refuses_while_the_server_runs(cognate, tmp_path):
    target = tmp_path / "backup.db"
    assert backup(cognate, target).returncode == 0
    done = restore(cognate, target)
    assert done.returncode != 0
    assert "stop the server" in done.stderr


def test_backup_does_not_overwrite_a_file(cognate, tmp_path):
    target = tmp_path / "exists.db"
    target.write_text("precious")
    assert backup(cognate, target).returncode != 0
    assert target.read_text() == "precious"


def test_a_damaged_backup_is_refused_and_the_database_kept(cognate, tmp_path):
    app = make_app(cognate.idp())
    user = confirmed_user(app, cognate)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    cognate.stop()
    assert restore(cognate, damaged).returncode != 0
    cognate.restart()
    app.idp = cognate.idp()
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"


def test_a_second_server_on_the_same_data_dir_refuses_to_start(cognate, start_cognate):
    from harness import CognateError

    with pytest.raises(CognateError):
        start_cognate(data_dir=cognate.data_dir)
