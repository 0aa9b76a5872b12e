"""PreventUserExistenceErrors: what an app client set to ENABLED vs LEGACY answers for a user
that does not exist.

Every test makes one pool with two clients, one per setting, so the two answers come from the
same pool. Under ENABLED an unknown user must be indistinguishable from a real one (same error
as a wrong password, a pretend code delivery, a fake but stable SRP salt); under LEGACY the
user's absence is reported as UserNotFoundException.
"""

from __future__ import annotations

import base64
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

import botocore.exceptions
import pytest

from helpers import (
    OTHER_PASSWORD,
    PASSWORD,
    App,
    confirmed_user,
    error_code,
    error_message,
    make_client,
    make_pool,
    masked_email,
    sign_up_user,
    unique_email,
    unique_name,
)
from helpers import INCORRECT, WRONG_CODE_MESSAGE
from test_srp import answer, start_srp

USER_NOT_FOUND = "User does not exist."
NOT_FOUND_FOR_CLIENT = "Username/client id combination not found."
NEW_PASSWORD = "N3w-Passw0rd!"
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
HEX_DIGITS = set("0123456789abcdefABCDEF")
UUID_ANY_CASE_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MASKED_EMAIL_RE = re.compile(r"^[^@*\s]\*\*\*@[^@*\s]\*\*\*\.[A-Za-z]+$")  # like masked_email()


@dataclass
class Pair:
    """One pool with an ENABLED and a LEGACY client."""

    enabled: App
    legacy: App

    def mode(self, name: str) -> App:
        return {"ENABLED": self.enabled, "LEGACY": self.legacy}[name]


def make_pair(idp: Any, **pool: Any) -> Pair:
    created = make_pool(idp, **pool)

    def app(setting: str) -> App:
        client = make_client(idp, created["Id"], ExplicitAuthFlows=FLOWS,
                             PreventUserExistenceErrors=setting)
        assert client["PreventUserExistenceErrors"] == setting, client
        return App(idp=idp, pool=created, client=client)

    return Pair(enabled=app("ENABLED"), legacy=app("LEGACY"))


@pytest.fixture
def pair(idp) -> Pair:
    return make_pair(idp)


@pytest.fixture
def email_pair(idp) -> Pair:
    return make_pair(idp, UsernameAttributes=["email"])


def failure(call: Callable[[], Any]) -> tuple[str, str]:
    """(error type, message) of a call that must fail."""
    try:
        response = call()
    except botocore.exceptions.ClientError as exc:
        return error_code(exc), error_message(exc)
    pytest.fail(f"expected an error, got {response!r}")


def forgot(app: App, username: str) -> dict:
    return app.idp.forgot_password(ClientId=app.client_id, Username=username)


def confirm_forgot(app: App, username: str) -> dict:
    return app.idp.confirm_forgot_password(ClientId=app.client_id, Username=username,
                                           ConfirmationCode="123456", Password=NEW_PASSWORD)


def assert_same_shape(fake: dict, real: dict) -> None:
    """Same keys, and each value of the same type."""
    assert set(fake) == set(real), (fake, real)
    for key in real:
        assert type(fake[key]) is type(real[key]), (key, fake[key], real[key])


# --------------------------------------------------------------------------- InitiateAuth


def test_enabled_sign_in_of_unknown_user_looks_like_a_wrong_password(cognate, pair):
    app = pair.enabled
    user = confirmed_user(app, cognate)
    wrong_password = failure(lambda: app.password_auth(user.username, OTHER_PASSWORD))
    unknown = failure(lambda: app.password_auth(unique_name("ghost")))
    assert unknown == wrong_password == ("NotAuthorizedException", INCORRECT)


def test_enabled_lockout_is_the_same_for_unknown_and_real_users(cognate, pair):
    """Five wrong passwords lock a real user; a made-up name must lock on the same attempt
    (with pycognito's SRP for two of them, as failures of both flows count together)."""
    from pycognito.aws_srp import AWSSRP

    app = pair.enabled
    real = confirmed_user(app, cognate).username
    ghost = unique_name("ghost")

    def srp_failure(name: str) -> tuple[str, str]:
        srp = AWSSRP(username=name, password=OTHER_PASSWORD, pool_id=app.pool_id,
                     client_id=app.client_id, client=app.idp)
        return failure(lambda: srp.authenticate_user())

    locked = ("NotAuthorizedException", "Password attempts exceeded")
    for name in (real, ghost):
        for _ in range(3):
            assert failure(lambda: app.password_auth(name, OTHER_PASSWORD)) == ("NotAuthorizedException", INCORRECT)
        for _ in range(2):
            assert srp_failure(name) == ("NotAuthorizedException", INCORRECT)
        # The first lock lasts a second from the fifth failure.
        assert failure(lambda: app.password_auth(name, PASSWORD)) == locked, name
        assert srp_failure(name) == locked, name


def test_legacy_sign_in_of_unknown_user_is_user_not_found(pair):
    assert failure(lambda: pair.legacy.password_auth(unique_name("ghost"))) == \
        ("UserNotFoundException", USER_NOT_FOUND)


# --------------------------------------------------------------------------- ForgotPassword


def test_enabled_forgot_password_for_unknown_email_pretends_to_mail_a_code(cognate, email_pair):
    app = email_pair.enabled
    real_email = unique_email("real")
    app.sign_up(real_email)
    app.confirm(real_email, cognate.latest_code(real_email))
    real = forgot(app, real_email)["CodeDeliveryDetails"]
    assert real["Destination"] == masked_email(real_email)

    fake = forgot(app, unique_email("ghost"))["CodeDeliveryDetails"]
    assert fake["DeliveryMedium"] == "EMAIL"
    assert fake["AttributeName"] == "email"
    assert MASKED_EMAIL_RE.match(fake["Destination"]), fake["Destination"]
    assert_same_shape(fake, real)


def test_enabled_forgot_password_for_unknown_user_sends_no_mail(cognate, email_pair,
                                                                 smtp_server):
    ghost = unique_email("ghost")
    forgot(email_pair.enabled, ghost)
    smtp_server.assert_no_mail(ghost)
    assert cognate.outbox(to=ghost) == []


def test_legacy_forgot_password_for_unknown_user_is_user_not_found(email_pair):
    assert failure(lambda: forgot(email_pair.legacy, unique_email("ghost"))) == \
        ("UserNotFoundException", NOT_FOUND_FOR_CLIENT)


# --------------------------------------------------------------------------- ConfirmForgotPassword


def test_enabled_confirm_forgot_password_for_unknown_user_is_code_mismatch(pair):
    assert failure(lambda: confirm_forgot(pair.enabled, unique_name("ghost"))) == \
        ("CodeMismatchException", WRONG_CODE_MESSAGE)


def test_legacy_confirm_forgot_password_for_unknown_user_is_user_not_found(pair):
    code, _message = failure(lambda: confirm_forgot(pair.legacy, unique_name("ghost")))
    assert code == "UserNotFoundException"


# --------------------------------------------------------------------------- ResendConfirmationCode


def test_enabled_resend_for_unknown_user_answers_like_for_a_real_unconfirmed_user(pair):
    app = pair.enabled
    user = sign_up_user(app)
    real = app.resend(user.username)["CodeDeliveryDetails"]
    fake = app.resend(unique_name("ghost"))["CodeDeliveryDetails"]
    assert_same_shape(fake, real)
    assert all(isinstance(value, str) and value for value in fake.values()), fake


def test_enabled_resend_limit_is_the_same_for_unknown_and_real_users(cognate, pair):
    """Five resends an hour per user: an unknown name must hit the limit on the same call,
    or counting calls would tell names apart. The count survives a restart."""
    app = pair.enabled
    real = sign_up_user(app).username
    ghost = unique_name("ghost")
    for _ in range(4):
        app.resend(real)
        app.resend(ghost)
    cognate.restart()
    app = App(idp=cognate.idp(), pool=app.pool, client=app.client)
    app.resend(real)
    app.resend(ghost)
    assert failure(lambda: app.resend(real)) == failure(lambda: app.resend(ghost))
    assert failure(lambda: app.resend(ghost))[0] == "LimitExceededException"


def test_enabled_forgot_password_limit_is_the_same_for_unknown_and_real_users(cognate, email_pair):
    app = email_pair.enabled
    real = unique_email("real")
    app.sign_up(real)
    app.confirm(real, cognate.latest_code(real))
    ghost = unique_email("ghost")
    for _ in range(10):
        forgot(app, real)
        forgot(app, ghost)
    real_answer = failure(lambda: forgot(app, real))
    assert real_answer == failure(lambda: forgot(app, ghost))
    assert real_answer[0] == "LimitExceededException"


def test_legacy_resend_for_unknown_user_is_user_not_found(pair):
    assert failure(lambda: pair.legacy.resend(unique_name("ghost"))) == \
        ("UserNotFoundException", NOT_FOUND_FOR_CLIENT)


# --------------------------------------------------------------------------- ConfirmSignUp


def test_enabled_confirm_sign_up_for_unknown_user_is_code_mismatch(pair):
    with pytest.raises(pair.enabled.idp.exceptions.CodeMismatchException):
        pair.enabled.confirm(unique_name("ghost"), "123456")


def test_legacy_confirm_sign_up_for_unknown_user_is_user_not_found(pair):
    with pytest.raises(pair.legacy.idp.exceptions.UserNotFoundException):
        pair.legacy.confirm(unique_name("ghost"), "123456")


# --------------------------------------------------------------------------- SignUp


@pytest.mark.parametrize("setting", ["ENABLED", "LEGACY"])
def test_sign_up_of_a_taken_username_is_username_exists(pair, setting):
    app = pair.mode(setting)
    user = sign_up_user(app)
    with pytest.raises(app.idp.exceptions.UsernameExistsException):
        sign_up_user(app, username=user.username)


# --------------------------------------------------------------------------- USER_SRP_AUTH


def test_enabled_srp_for_unknown_user_returns_a_challenge_like_a_real_users(cognate, pair):
    app = pair.enabled
    user = confirmed_user(app, cognate)
    real = start_srp(app, user.username)[2]
    fake = start_srp(app, unique_name("ghost"))[2]
    assert fake["ChallengeName"] == real["ChallengeName"] == "PASSWORD_VERIFIER"
    assert isinstance(fake["Session"], str) and fake["Session"]
    assert "AuthenticationResult" not in fake
    params = fake["ChallengeParameters"]
    assert set(params) == set(real["ChallengeParameters"])
    for key in ("SALT", "SRP_B"):
        assert params[key] and set(params[key]) <= HEX_DIGITS, (key, params[key])
    assert base64.b64decode(params["SECRET_BLOCK"], validate=True)


def test_enabled_srp_for_unknown_user_gives_the_same_salt_and_user_id_each_time(pair):
    app = pair.enabled
    ghost = unique_name("ghost")
    first = start_srp(app, ghost)[2]["ChallengeParameters"]
    second = start_srp(app, ghost)[2]["ChallengeParameters"]
    assert first["SALT"] == second["SALT"]
    assert first["USER_ID_FOR_SRP"] == second["USER_ID_FOR_SRP"]
    assert UUID_ANY_CASE_RE.match(first["USER_ID_FOR_SRP"]), first["USER_ID_FOR_SRP"]


def test_enabled_srp_answer_for_unknown_user_is_incorrect_username_or_password(pair):
    app = pair.enabled
    srp, params, challenge = start_srp(app, unique_name("ghost"))
    responses = srp.process_challenge(challenge["ChallengeParameters"], params)
    assert failure(lambda: answer(app, challenge, responses)) == \
        ("NotAuthorizedException", INCORRECT)


def test_legacy_srp_for_unknown_user_is_user_not_found(pair):
    with pytest.raises(pair.legacy.idp.exceptions.UserNotFoundException):
        start_srp(pair.legacy, unique_name("ghost"))


# --------------------------------------------------------------------------- timing


def timed_failure(call: Callable[[], Any]) -> float:
    """Seconds taken by a sign-in that must fail with "Incorrect username or password."."""
    began = time.perf_counter()
    outcome = failure(call)
    elapsed = time.perf_counter() - began
    assert outcome == ("NotAuthorizedException", INCORRECT), outcome
    return elapsed


@pytest.mark.slow
def test_enabled_sign_in_of_unknown_user_takes_about_as_long_as_a_wrong_password(pair):
    app = pair.enabled
    # one wrong password per user, so no user comes near the lockout threshold
    users = []
    for _ in range(6):
        user = sign_up_user(app)
        app.admin_confirm(user.username)
        users.append(user)
    timed_failure(lambda: app.password_auth(users[0].username, OTHER_PASSWORD))  # warm-up
    timed_failure(lambda: app.password_auth(unique_name("ghost")))
    known, unknown = [], []
    for user in users[1:]:
        known.append(timed_failure(
            lambda u=user: app.password_auth(u.username, OTHER_PASSWORD)))
        unknown.append(timed_failure(lambda: app.password_auth(unique_name("ghost"))))
    assert statistics.median(unknown) >= 0.5 * statistics.median(known), \
        f"unknown user {sorted(unknown)} vs wrong password {sorted(known)} (seconds)"
    assert app.tokens(users[1].username, PASSWORD)["AccessToken"]  # nobody was locked out
