"""Request-rate limits: ``[rate_limits]`` by Cognito's quota categories, per pool, and per source
address for the unsigned operations; over the limit, ``TooManyRequestsException`` "Rate exceeded".
Off by default without admin keys (local development)."""

from __future__ import annotations

import time

import pytest

from helpers import confirmed_user, error_code, error_message, make_app


def calls(fn, n: int) -> list[str]:
    """Runs ``fn`` n times; returns "ok" or the error code of each call."""
    out = []
    for _ in range(n):
        try:
            fn()
            out.append("ok")
        except Exception as exc:  # noqa: BLE001 - the code is what is asserted
            out.append(error_code(exc))
    return out


def timed_calls(fn, n: int) -> tuple[list[str], float]:
    started = time.monotonic()
    results = calls(fn, n)
    return results, time.monotonic() - started


def limits(body: str) -> str:
    return "[rate_limits]\nenabled = true\n" + body


def test_a_category_limit_throttles_then_recovers(start_cognate):
    server = start_cognate(config=limits("per_ip = 0\n[rate_limits.categories]\nUserRead = 2\n"))
    app = make_app(server.idp())
    user = confirmed_user(app, server)
    with pytest.raises(app.idp.exceptions.TooManyRequestsException) as err:
        for _ in range(30):
            app.admin_get_user(user.username)
    assert error_message(err.value) == "Rate exceeded"
    results, elapsed = timed_calls(lambda: app.admin_get_user(user.username), 20)
    # A bucket of 2 that refills 2 per second.
    assert results.count("ok") <= 2 + 2 * elapsed + 1, (results, elapsed)
    time.sleep(1.1)
    assert app.admin_get_user(user.username)["Username"] == user.username


def test_a_pool_can_have_its_own_figure(start_cognate):
    server = start_cognate()
    idp = server.idp()
    pool = idp.create_user_pool(PoolName="limited")["UserPool"]["Id"]
    other = idp.create_user_pool(PoolName="free")["UserPool"]["Id"]
    server.stop()
    limited = start_cognate(data_dir=server.data_dir, config=limits(
        f'per_ip = 0\n[rate_limits.categories]\nUserPoolRead = 1000\n[rate_limits.pools."{pool}"]\nUserPoolRead = 1\n'))
    idp = limited.idp()
    results, elapsed = timed_calls(lambda: idp.describe_user_pool(UserPoolId=pool), 20)
    assert "TooManyRequestsException" in results and results.count("ok") <= 1 + elapsed + 1
    assert set(calls(lambda: idp.describe_user_pool(UserPoolId=other), 20)) == {"ok"}


def test_unsigned_operations_are_limited_per_source_address(start_cognate):
    server = start_cognate(config=limits("per_ip = 2\n"))
    app = make_app(server.idp())
    results, elapsed = timed_calls(lambda: app.idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "nobody", "PASSWORD": "Whatever-1"}), 30)
    assert "TooManyRequestsException" in results
    assert results.count("UserNotFoundException") <= 2 + 2 * elapsed + 1, (results, elapsed)


def test_without_admin_keys_there_are_no_limits_by_default(cognate):
    app = make_app(cognate.idp())
    user = confirmed_user(app, cognate)
    assert set(calls(lambda: app.admin_get_user(user.username), 60)) == {"ok"}
