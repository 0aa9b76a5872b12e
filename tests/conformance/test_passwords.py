"""Passwords: ForgotPassword/ConfirmForgotPassword, ChangePassword, AdminSetUserPassword,
AdminResetUserPassword."""

from __future__ import annotations

import pytest

from harness import AwsCliError
from helpers import (
    OTHER_PASSWORD,
    PASSWORD,
    App,
    admin_create_user,
    assert_empty_response,
    confirmed_user,
    error_message,
    make_app,
    masked_email,
    secret_hash,
    sign_up_user,
    unique_name,
    wrong_code,
)
from helpers import EXPIRED_CODE_MESSAGE, INCORRECT, LIMIT_MESSAGE, WRONG_CODE_MESSAGE

NEW_PASSWORD = "N3w-Passw0rd!"
BAD_PASSWORD = "no-uppercase-1!"  # long enough, but the default policy wants uppercase
POLICY_MESSAGE_PREFIX = "Password did not conform with policy"
INCORRECT_MESSAGE = INCORRECT


def forgot(app: App, username: str, **kwargs) -> dict:
    params = {"ClientId": app.client_id, "Username": username, **app._secret(username)}
    params.update(kwargs)
    return app.idp.forgot_password(**params)


def confirm_forgot(app: App, username: str, code: str, password: str = NEW_PASSWORD,
                   **kwargs) -> dict:
    params = {"ClientId": app.client_id, "Username": username, "ConfirmationCode": code,
              "Password": password, **app._secret(username)}
    params.update(kwargs)
    return app.idp.confirm_forgot_password(**params)


def reset_code(app: App, server, username: str, email: str) -> str:
    """ForgotPassword, then the code from the outbox entry it produced."""
    before = server.outbox(to=email)
    forgot(app, username)
    after_id = before[-1]["id"] if before else None
    return server.latest_code(email, after_id=after_id)


def assert_password_refused(app: App, username: str, password: str) -> None:
    with pytest.raises(app.idp.exceptions.NotAuthorizedException) as err:
        app.password_auth(username, password)
    assert error_message(err.value) == INCORRECT_MESSAGE


# --------------------------------------------------------------------------- ForgotPassword


def test_forgot_password_reports_the_masked_email_destination(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    response = forgot(app, user.username)
    assert response["CodeDeliveryDetails"] == {
        "Destination": masked_email(user.email),
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }


def test_forgot_password_mails_a_code(cognate, idp, smtp_server):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    sign_up_mail = smtp_server.wait_for_mail(user.email)
    forgot(app, user.username)
    mail = smtp_server.wait_for_mail(user.email, after=sign_up_mail)
    assert mail.code == cognate.latest_code(user.email)


def test_confirm_forgot_password_sets_the_new_password(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    assert_empty_response(confirm_forgot(app, user.username, code, NEW_PASSWORD))
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert_password_refused(app, user.username, PASSWORD)
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_confirm_forgot_password_with_wrong_code_is_code_mismatch(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    with pytest.raises(idp.exceptions.CodeMismatchException) as err:
        confirm_forgot(app, user.username, wrong_code(code))
    assert error_message(err.value) == WRONG_CODE_MESSAGE
    assert app.tokens(user.username, PASSWORD)["AccessToken"]  # password unchanged


def test_reset_code_used_twice_is_expired_code(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    confirm_forgot(app, user.username, code, NEW_PASSWORD)
    with pytest.raises(idp.exceptions.ExpiredCodeException) as err:
        confirm_forgot(app, user.username, code, OTHER_PASSWORD)
    assert error_message(err.value) == EXPIRED_CODE_MESSAGE
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_second_forgot_password_invalidates_the_first_code(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    first = reset_code(app, cognate, user.username, user.email)
    second = reset_code(app, cognate, user.username, user.email)
    if first == second:
        pytest.skip("the two random codes collided (1 in a million)")
    with pytest.raises(idp.exceptions.CodeMismatchException):
        confirm_forgot(app, user.username, first)
    confirm_forgot(app, user.username, second, NEW_PASSWORD)
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_new_password_violating_the_policy_keeps_the_code_usable(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        confirm_forgot(app, user.username, code, BAD_PASSWORD)
    assert error_message(err.value).startswith(POLICY_MESSAGE_PREFIX), error_message(err.value)
    confirm_forgot(app, user.username, code, NEW_PASSWORD)
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_forgot_password_without_verified_contact_is_invalid_parameter(cognate, idp):
    app = make_app(idp)
    user = sign_up_user(app)
    app.admin_confirm(user.username)  # confirmed, but email_verified is not set
    before = len(cognate.outbox(to=user.email))
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        forgot(app, user.username)
    assert error_message(err.value) == ("Cannot reset password for the user as there is no "
                                        "registered/verified email or phone_number")
    assert len(cognate.outbox(to=user.email)) == before


def test_forgot_password_for_unknown_user_is_user_not_found(idp):
    app = make_app(idp, client={"PreventUserExistenceErrors": "LEGACY"})
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        forgot(app, unique_name("ghost"))
    assert error_message(err.value) == "Username/client id combination not found."


def test_forgot_password_with_secret_client_requires_secret_hash(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.forgot_password(ClientId=app.client_id, Username=user.username)
    assert error_message(err.value) == \
        f"Client {app.client_id} is configured for secret but secret was not received"
    assert forgot(app, user.username)["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


def test_confirm_forgot_password_with_secret_client_requires_secret_hash(cognate, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.confirm_forgot_password(ClientId=app.client_id, Username=user.username,
                                    ConfirmationCode=code, Password=NEW_PASSWORD)
    assert error_message(err.value) == \
        f"Client {app.client_id} is configured for secret but secret was not received"
    confirm_forgot(app, user.username, code, NEW_PASSWORD)  # SecretHash added by the helper
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_eleventh_forgot_password_within_an_hour_is_limit_exceeded(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    for _ in range(10):
        forgot(app, user.username)
    with pytest.raises(idp.exceptions.LimitExceededException) as err:
        forgot(app, user.username)
    assert error_message(err.value) == LIMIT_MESSAGE


def test_confirm_forgot_password_after_ten_attempts_is_limit_exceeded(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    code = reset_code(app, cognate, user.username, user.email)
    for step in range(1, 11):
        guess = f"{(int(code) + step) % 1_000_000:06d}"
        with pytest.raises(idp.exceptions.CodeMismatchException):
            confirm_forgot(app, user.username, guess)
    with pytest.raises(idp.exceptions.LimitExceededException):
        confirm_forgot(app, user.username, code, NEW_PASSWORD)  # even the right code
    assert app.tokens(user.username, PASSWORD)["AccessToken"]  # password unchanged


def test_forgot_password_flow_with_the_aws_cli(cognate, aws, idp):
    app = make_app(idp, client={"GenerateSecret": True})
    user = confirmed_user(app, cognate)
    h = secret_hash(user.username, app.client_id, app.client_secret)
    before = cognate.latest_message(user.email)
    out = aws("cognito-idp", "forgot-password", "--client-id", app.client_id,
              "--secret-hash", h, "--username", user.username)
    assert out["CodeDeliveryDetails"]["Destination"] == masked_email(user.email)
    code = cognate.latest_code(user.email, after_id=before["id"])
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "confirm-forgot-password", "--client-id", app.client_id,
            "--secret-hash", h, "--username", user.username,
            "--confirmation-code", wrong_code(code), "--password", NEW_PASSWORD)
    assert "CodeMismatchException" in err.value.stderr
    assert WRONG_CODE_MESSAGE in err.value.stderr
    assert aws("cognito-idp", "confirm-forgot-password", "--client-id", app.client_id,
               "--secret-hash", h, "--username", user.username,
               "--confirmation-code", code, "--password", NEW_PASSWORD) == {}
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


# --------------------------------------------------------------------------- ChangePassword


def test_change_password_replaces_the_password(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    assert_empty_response(idp.change_password(PreviousPassword=PASSWORD,
                                              ProposedPassword=NEW_PASSWORD,
                                              AccessToken=access))
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]
    assert_password_refused(app, user.username, PASSWORD)


def test_change_password_with_wrong_previous_password_is_not_authorized(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.change_password(PreviousPassword=OTHER_PASSWORD, ProposedPassword=NEW_PASSWORD,
                            AccessToken=access)
    assert error_message(err.value) == INCORRECT_MESSAGE
    assert app.tokens(user.username, PASSWORD)["AccessToken"]


def test_change_password_to_a_policy_violating_password_is_invalid_password(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        idp.change_password(PreviousPassword=PASSWORD, ProposedPassword=BAD_PASSWORD,
                            AccessToken=access)
    assert error_message(err.value).startswith(POLICY_MESSAGE_PREFIX), error_message(err.value)
    assert app.tokens(user.username, PASSWORD)["AccessToken"]


def test_change_password_with_garbage_access_token_is_not_authorized(idp):
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.change_password(PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD,
                            AccessToken="not.a.token")
    assert error_message(err.value) == "Invalid Access Token"


def test_change_password_with_the_aws_cli(cognate, aws, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    access = app.tokens(user.username)["AccessToken"]
    assert aws("cognito-idp", "change-password", "--previous-password", PASSWORD,
               "--proposed-password", NEW_PASSWORD, "--access-token", access) == {}
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


# --------------------------------------------------------------------------- AdminSetUserPassword


def test_admin_set_permanent_password_confirms_a_force_change_password_user(idp):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD)
    assert_empty_response(idp.admin_set_user_password(
        UserPoolId=app.pool_id, Username=user.username, Password=NEW_PASSWORD, Permanent=True))
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_admin_set_permanent_password_replaces_a_confirmed_users_password(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    idp.admin_set_user_password(UserPoolId=app.pool_id, Username=user.username,
                                Password=NEW_PASSWORD, Permanent=True)
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]
    assert_password_refused(app, user.username, PASSWORD)


def test_admin_set_temporary_password_forces_a_password_change(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    assert_empty_response(idp.admin_set_user_password(
        UserPoolId=app.pool_id, Username=user.username, Password=NEW_PASSWORD, Permanent=False))
    assert app.admin_get_user(user.username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    response = app.password_auth(user.username, NEW_PASSWORD)
    assert response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", response
    assert "AuthenticationResult" not in response


def test_admin_set_user_password_violating_the_policy_is_invalid_password(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        idp.admin_set_user_password(UserPoolId=app.pool_id, Username=user.username,
                                    Password=BAD_PASSWORD, Permanent=True)
    assert error_message(err.value).startswith(POLICY_MESSAGE_PREFIX), error_message(err.value)
    assert app.tokens(user.username, PASSWORD)["AccessToken"]


def test_admin_set_user_password_of_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        idp.admin_set_user_password(UserPoolId=app.pool_id, Username=unique_name("ghost"),
                                    Password=NEW_PASSWORD, Permanent=True)
    assert error_message(err.value) == "User does not exist."


def test_admin_set_user_password_with_the_aws_cli(aws, idp):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD)
    assert aws("cognito-idp", "admin-set-user-password", "--user-pool-id", app.pool_id,
               "--username", user.username, "--password", NEW_PASSWORD, "--permanent") == {}
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


# --------------------------------------------------------------------------- AdminResetUserPassword


def test_admin_reset_user_password_sets_reset_required(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    assert_empty_response(idp.admin_reset_user_password(UserPoolId=app.pool_id,
                                                        Username=user.username))
    assert app.admin_get_user(user.username)["UserStatus"] == "RESET_REQUIRED"


def test_reset_required_user_signing_in_is_password_reset_required(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    idp.admin_reset_user_password(UserPoolId=app.pool_id, Username=user.username)
    with pytest.raises(idp.exceptions.PasswordResetRequiredException) as err:
        app.password_auth(user.username, PASSWORD)
    assert error_message(err.value) == "Password reset required for the user"


def test_admin_reset_mails_a_code_that_completes_the_reset(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    before = cognate.latest_message(user.email)
    idp.admin_reset_user_password(UserPoolId=app.pool_id, Username=user.username)
    code = cognate.latest_code(user.email, after_id=before["id"])
    assert_empty_response(confirm_forgot(app, user.username, code, NEW_PASSWORD))
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"
    assert app.tokens(user.username, NEW_PASSWORD)["AccessToken"]


def test_admin_reset_of_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        idp.admin_reset_user_password(UserPoolId=app.pool_id, Username=unique_name("ghost"))
