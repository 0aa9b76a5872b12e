"""Sign-in lockout: 5 wrong passwords lock the user for 1 s, each further failure doubles it.

Timing: a lock of ``n`` seconds starts while the failing call is in flight, so it is certainly
over ``n + margin`` seconds after that call *returned* and certainly still on a bit under ``n``
seconds after that call *began*. Total sleeping in this file stays around 20 s.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import pytest

from harness import AwsCliError
from helpers import (
    OTHER_PASSWORD,
    PASSWORD,
    App,
    admin_password_auth,
    confirmed_user,
    error_message,
    make_app,
)
from helpers import INCORRECT

LOCKED = "Password attempts exceeded"
MARGIN = 0.6  # seconds added after a lock is due to end


class Attempt(NamedTuple):
    began: float  # time.monotonic() before the call
    returned: float  # time.monotonic() after it


def fail(app: App, username: str, admin: bool = False) -> Attempt:
    """One wrong password that must count as a failure ("Incorrect username or password.")."""
    began = time.monotonic()
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        if admin:
            admin_password_auth(app, username, OTHER_PASSWORD)
        else:
            app.password_auth(username, OTHER_PASSWORD)
    assert error_message(err.value) == INCORRECT
    return Attempt(began, time.monotonic())


def fail_times(app: App, username: str, count: int, admin: bool = False) -> Attempt:
    """``count`` counted failures in a row; returns the last one."""
    assert count >= 1
    for _ in range(count):
        last = fail(app, username, admin)
    return last


def assert_locked(app: App, username: str, password: str = PASSWORD,
                  admin: bool = False) -> None:
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        if admin:
            admin_password_auth(app, username, password)
        else:
            app.password_auth(username, password)
    assert error_message(err.value) == LOCKED


def assert_signs_in(app: App, username: str) -> None:
    assert app.tokens(username, PASSWORD)["AccessToken"]


def sleep_until(moment: float) -> None:
    remaining = moment - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


@pytest.fixture
def victim(cognate, idp):
    app = make_app(idp)
    return app, confirmed_user(app, cognate)


def test_five_wrong_passwords_lock_even_the_right_password_out(victim):
    app, user = victim
    fail_times(app, user.username, 5)  # each one: "Incorrect username or password."
    assert_locked(app, user.username, PASSWORD)


def test_four_wrong_passwords_do_not_lock(victim):
    app, user = victim
    fail_times(app, user.username, 4)
    assert_signs_in(app, user.username)


def test_first_lock_lasts_about_one_second(victim):
    app, user = victim
    fifth = fail_times(app, user.username, 5)
    assert_locked(app, user.username)
    sleep_until(fifth.returned + 1.0 + MARGIN)
    assert_signs_in(app, user.username)


def test_sixth_failure_locks_for_two_seconds(victim):
    app, user = victim
    fifth = fail_times(app, user.username, 5)
    sleep_until(fifth.returned + 1.0 + MARGIN)
    sixth = fail(app, user.username)  # lock over: counted, answered "Incorrect ..."
    assert_locked(app, user.username)
    sleep_until(sixth.began + 1.3)  # past a 1 s lock, inside a 2 s one
    assert_locked(app, user.username)
    sleep_until(sixth.returned + 2.0 + MARGIN)
    assert_signs_in(app, user.username)


def test_attempts_while_locked_neither_count_nor_extend_the_lock(victim):
    app, user = victim
    fifth = fail_times(app, user.username, 5)
    for _ in range(2):  # wrong passwords while locked are refused as locked
        assert_locked(app, user.username, OTHER_PASSWORD)
    sleep_until(fifth.began + 0.85)  # late in the 1 s lock: extending it would show below
    assert_locked(app, user.username, OTHER_PASSWORD)
    sleep_until(fifth.returned + 1.0 + MARGIN)  # not extended: over 1 s after the 5th failure
    sixth = fail(app, user.username)  # the 6th failure (not the 9th) ...
    assert_locked(app, user.username)
    sleep_until(sixth.returned + 2.0 + MARGIN)  # ... so 2 s, not 16 s
    assert_signs_in(app, user.username)


def test_successful_sign_in_resets_the_counter(victim):
    app, user = victim
    fifth = fail_times(app, user.username, 5)
    sleep_until(fifth.returned + 1.0 + MARGIN)
    assert_signs_in(app, user.username)
    fail_times(app, user.username, 4)  # would be failures 6..9 without the reset
    assert_signs_in(app, user.username)


def test_lockout_is_per_user(cognate, victim):
    app, user = victim
    bystander = confirmed_user(app, cognate)
    fail_times(app, user.username, 5)
    assert_locked(app, user.username)
    assert_signs_in(app, bystander.username)


def test_lockout_applies_to_admin_initiate_auth(victim):
    app, user = victim
    fail_times(app, user.username, 5, admin=True)
    assert_locked(app, user.username, admin=True)
    assert_locked(app, user.username)  # the same per-user lock


def test_failures_of_both_flows_add_up(victim):
    app, user = victim
    fail_times(app, user.username, 3)
    fail_times(app, user.username, 2, admin=True)
    assert_locked(app, user.username)
    assert_locked(app, user.username, admin=True)


def test_lockout_counts_failures_made_with_the_aws_cli(victim, aws):
    app, user = victim
    for _ in range(5):
        with pytest.raises(AwsCliError) as err:
            aws("cognito-idp", "initiate-auth", "--client-id", app.client_id,
                "--auth-flow", "USER_PASSWORD_AUTH", "--auth-parameters",
                f"USERNAME={user.username},PASSWORD={OTHER_PASSWORD}")
        assert "NotAuthorizedException" in err.value.stderr
        assert INCORRECT in err.value.stderr
    assert_locked(app, user.username)  # boto3, right away: the CLI is too slow for a 1 s lock


def test_lock_survives_a_restart(cognate, victim):
    app, user = victim
    fifth = fail_times(app, user.username, 5)
    sleep_until(fifth.returned + 1.0 + MARGIN)
    sixth = fail(app, user.username)
    sleep_until(sixth.returned + 2.0 + MARGIN)
    seventh = fail(app, user.username)  # 7th failure: locked for 4 s
    cognate.restart()
    app.idp = cognate.idp()  # same URL; a fresh client is harmless
    elapsed = time.monotonic() - seventh.began
    assert elapsed < 3.5, f"restart took {elapsed:.1f}s; too slow to observe a 4 s lock"
    assert_locked(app, user.username)
    sleep_until(seventh.returned + 4.0 + MARGIN)
    assert_signs_in(app, user.username)
