"""Races decided by the database: users racing to confirm the same email alias, and admins
racing to create the same username. Exactly one wins each race; the others get Cognito's
error and nothing is left half-done."""

from __future__ import annotations

import re
import threading

from helpers import PASSWORD, attrs, error_code, make_app, unique_email, unique_name

N = 6


def race(fn, n: int = N) -> list[str]:
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            fn(i)
            outcome = "ok"
        except Exception as exc:  # noqa: BLE001 - the code is what is asserted
            outcome = error_code(exc) if hasattr(exc, "response") else repr(exc)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == n, f"threads did not finish: {results}"
    return results


def test_users_racing_to_confirm_one_email_alias_leave_exactly_one_holder(cognate):
    app = make_app(cognate.idp(), pool={"AliasAttributes": ["email"]})
    email = unique_email("shared")
    names = [unique_name(f"racer{i}") for i in range(N)]
    for name in names:
        app.sign_up(name, email=email)
    codes = {}
    for entry in cognate.outbox(to=email):
        codes[entry["username"]] = re.search(r"\b(\d{6})\b", entry["body"]).group(1)
    assert set(codes) == set(names)

    results = race(lambda i: app.idp.confirm_sign_up(
        ClientId=app.client_id, Username=names[i], ConfirmationCode=codes[names[i]]))
    assert results.count("ok") == 1, results
    assert results.count("AliasExistsException") == N - 1, results
    confirmed = [n for n in names if app.admin_get_user(n)["UserStatus"] == "CONFIRMED"]
    assert len(confirmed) == 1
    winner = confirmed[0]
    # The alias signs in as the winner, and only the winner's email is verified.
    signed_in = app.idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    assert "AuthenticationResult" in signed_in
    for name in names:
        verified = {a["Name"]: a["Value"] for a in app.admin_get_user(name)["UserAttributes"]}.get("email_verified")
        assert (verified == "true") == (name == winner), (name, verified)


def test_admins_racing_to_create_one_username_create_one_user(cognate):
    app = make_app(cognate.idp())
    username = unique_name("contested")
    results = race(lambda i: app.idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=attrs(email=unique_email(f"admin{i}"))))
    assert results.count("ok") == 1, results
    assert results.count("UsernameExistsException") == N - 1, results
    users = app.idp.list_users(UserPoolId=app.pool_id)["Users"]
    assert [u["Username"] for u in users] == [username]
