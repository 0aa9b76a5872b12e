"""AdminCreateUser (invitations, temporary passwords), AdminDisableUser and AdminEnableUser."""

from __future__ import annotations

import re
import string

import pytest

from harness import AwsCliError
from helpers import (
    DEFAULT_INVITE_SUBJECT,
    OTHER_PASSWORD,
    PASSWORD,
    UUID_RE,
    admin_create_user,
    assert_empty_response,
    assert_recent,
    attr_map,
    confirmed_user,
    error_message,
    make_app,
    temporary_password,
    unique_email,
    unique_name,
)

USER_EXISTS_MESSAGE = "User account already exists"
POLICY_MESSAGE_PREFIX = "Password did not conform with policy"


def assert_new_password_required(response: dict) -> None:
    assert response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", response
    assert "AuthenticationResult" not in response, response


# --------------------------------------------------------------------------- AdminCreateUser


def test_admin_create_user_returns_a_force_change_password_user(idp):
    app = make_app(idp)
    username, email = unique_name("admin"), unique_email("admin")
    response = idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS", UserAttributes=[{"Name": "email", "Value": email}],
    )
    user = response["User"]
    assert user["Username"] == username
    assert user["Enabled"] is True
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert_recent(user["UserCreateDate"])
    assert_recent(user["UserLastModifiedDate"])
    attributes = attr_map(user["Attributes"])
    assert UUID_RE.match(attributes["sub"]), attributes
    assert attributes["email"] == email


def test_admin_created_user_is_visible_to_admin_get_user(idp):
    app = make_app(idp)
    user = admin_create_user(app)
    got = app.admin_get_user(user.username)
    assert got["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert got["Enabled"] is True
    assert attr_map(got["UserAttributes"])["sub"] == user.sub
    assert attr_map(got["UserAttributes"])["email"] == user.email


def test_temporary_password_sign_in_is_new_password_required(idp):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD)
    assert_new_password_required(app.password_auth(user.username, PASSWORD))


def test_wrong_temporary_password_is_not_authorized(idp):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        app.password_auth(user.username, OTHER_PASSWORD)
    assert error_message(err.value) == "Incorrect username or password."


def test_default_invitation_mail_carries_username_and_temporary_password(idp, smtp_server):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD, suppress=False)
    mail = smtp_server.wait_for_mail(user.email)
    assert mail.subject == DEFAULT_INVITE_SUBJECT
    assert mail.body.strip() == \
        f"Your username is {user.username} and temporary password is {PASSWORD}."


def test_invitation_is_recorded_in_the_outbox(cognate, idp):
    app = make_app(idp)
    user = admin_create_user(app, temporary=PASSWORD, suppress=False)
    entry = cognate.latest_message(user.email)
    assert entry["pool_id"] == app.pool_id
    assert entry["username"] == user.username
    assert entry["medium"] == "EMAIL"
    assert entry["subject"] == DEFAULT_INVITE_SUBJECT
    assert temporary_password(entry["body"]) == PASSWORD


def test_generated_temporary_password_from_the_mail_signs_in(idp, smtp_server):
    app = make_app(idp)
    user = admin_create_user(app, temporary=None, suppress=False)
    password = temporary_password(smtp_server.wait_for_mail(user.email).body)
    assert_new_password_required(app.password_auth(user.username, password))


def test_generated_temporary_password_satisfies_a_strict_policy(idp, smtp_server):
    policy = {"MinimumLength": 20, "RequireUppercase": True, "RequireLowercase": True,
              "RequireNumbers": True, "RequireSymbols": True}
    app = make_app(idp, pool={"Policies": {"PasswordPolicy": policy}})
    user = admin_create_user(app, temporary=None, suppress=False)
    password = temporary_password(smtp_server.wait_for_mail(user.email).body)
    assert len(password) >= 20, password
    assert any(c in string.ascii_uppercase for c in password), password
    assert any(c in string.ascii_lowercase for c in password), password
    assert any(c in string.digits for c in password), password
    assert any(not c.isalnum() for c in password), password
    assert_new_password_required(app.password_auth(user.username, password))


def test_invite_message_template_overrides_subject_and_body(idp, smtp_server):
    app = make_app(idp, pool={"AdminCreateUserConfig": {"InviteMessageTemplate": {
        "EmailSubject": "Welcome aboard",
        "EmailMessage": "Hello {username}, your first password is <{####}> - see you",
    }}})
    user = admin_create_user(app, temporary=PASSWORD, suppress=False)
    mail = smtp_server.wait_for_mail(user.email)
    assert mail.subject == "Welcome aboard"
    assert mail.body.strip() == \
        f"Hello {user.username}, your first password is <{PASSWORD}> - see you"


def test_invite_template_with_generated_password_signs_in(idp, smtp_server):
    app = make_app(idp, pool={"AdminCreateUserConfig": {"InviteMessageTemplate": {
        "EmailSubject": "Your account",
        "EmailMessage": "Account {username} password {####} end",
    }}})
    user = admin_create_user(app, temporary=None, suppress=False)
    body = smtp_server.wait_for_mail(user.email).body.strip()
    match = re.fullmatch(rf"Account {re.escape(user.username)} password (\S+) end", body)
    assert match, body
    assert_new_password_required(app.password_auth(user.username, match.group(1)))


def test_suppress_sends_no_invitation(cognate, idp, smtp_server):
    app = make_app(idp)
    user = admin_create_user(app, suppress=True, DesiredDeliveryMediums=["EMAIL"])
    smtp_server.assert_no_mail(user.email)
    assert cognate.outbox(to=user.email) == []


def test_existing_username_is_username_exists(idp):
    app = make_app(idp)
    user = admin_create_user(app)
    with pytest.raises(idp.exceptions.UsernameExistsException) as err:
        admin_create_user(app, username=user.username, email=unique_email())
    assert error_message(err.value) == USER_EXISTS_MESSAGE


def test_username_of_a_signed_up_user_is_username_exists(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.UsernameExistsException) as err:
        admin_create_user(app, username=user.username)
    assert error_message(err.value) == USER_EXISTS_MESSAGE
    assert app.admin_get_user(user.username)["UserStatus"] == "CONFIRMED"


def test_resend_mails_a_new_temporary_password_and_the_old_one_stops_working(idp, smtp_server):
    app = make_app(idp)
    user = admin_create_user(app, temporary=None, suppress=False)
    first = smtp_server.wait_for_mail(user.email)
    old_password = temporary_password(first.body)

    response = idp.admin_create_user(UserPoolId=app.pool_id, Username=user.username,
                                     MessageAction="RESEND", DesiredDeliveryMediums=["EMAIL"])
    assert response["User"]["Username"] == user.username
    assert response["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    second = smtp_server.wait_for_mail(user.email, after=first)
    new_password = temporary_password(second.body)
    assert new_password != old_password

    with pytest.raises(idp.exceptions.NotAuthorizedException):
        app.password_auth(user.username, old_password)
    assert_new_password_required(app.password_auth(user.username, new_password))


def test_resend_for_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        idp.admin_create_user(UserPoolId=app.pool_id, Username=unique_name("ghost"),
                              MessageAction="RESEND", DesiredDeliveryMediums=["EMAIL"])
    assert error_message(err.value) == "User does not exist."


def test_temporary_password_violating_the_policy_is_invalid_password(idp):
    app = make_app(idp)
    username = unique_name("admin")
    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        admin_create_user(app, username=username, temporary="no-uppercase-1!")
    assert error_message(err.value).startswith(POLICY_MESSAGE_PREFIX), error_message(err.value)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(username)


def test_admin_create_user_accepts_the_optional_members(idp):
    app = make_app(idp)
    user = admin_create_user(app, ForceAliasCreation=False, ClientMetadata={"k": "v"})
    assert app.admin_get_user(user.username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_admin_create_user_only_pool_refuses_sign_up(idp):
    app = make_app(idp, pool={"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}})
    username = unique_name()
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        app.sign_up(username, email=unique_email())
    assert error_message(err.value) == "SignUp is not permitted for this user pool"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(username)
    admin_create_user(app, username=username)  # the administrator still can
    assert app.admin_get_user(username)["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_admin_create_user_with_the_aws_cli(aws, idp):
    app = make_app(idp)
    username, email = unique_name("cli"), unique_email("cli")
    out = aws("cognito-idp", "admin-create-user", "--user-pool-id", app.pool_id,
              "--username", username, "--temporary-password", PASSWORD,
              "--message-action", "SUPPRESS",
              "--user-attributes", f"Name=email,Value={email}")
    assert out["User"]["Username"] == username
    assert out["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert out["User"]["Enabled"] is True
    assert attr_map(out["User"]["Attributes"])["email"] == email
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "admin-create-user", "--user-pool-id", app.pool_id,
            "--username", username, "--message-action", "SUPPRESS")
    assert "UsernameExistsException" in err.value.stderr
    assert USER_EXISTS_MESSAGE in err.value.stderr


# --------------------------------------------------------------------------- disable / enable


def test_admin_disable_user_marks_the_user_disabled(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    assert_empty_response(idp.admin_disable_user(UserPoolId=app.pool_id,
                                                 Username=user.username))
    got = app.admin_get_user(user.username)
    assert got["Enabled"] is False
    assert got["UserStatus"] == "CONFIRMED"


def test_disabled_user_cannot_sign_in(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    idp.admin_disable_user(UserPoolId=app.pool_id, Username=user.username)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        app.password_auth(user.username, PASSWORD)
    assert error_message(err.value) == "User is disabled."


def test_admin_enable_user_lets_the_user_sign_in_again(cognate, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    idp.admin_disable_user(UserPoolId=app.pool_id, Username=user.username)
    assert_empty_response(idp.admin_enable_user(UserPoolId=app.pool_id,
                                                Username=user.username))
    assert app.admin_get_user(user.username)["Enabled"] is True
    assert app.tokens(user.username)["AccessToken"]


def test_list_users_filter_status_disabled_lists_the_disabled_user(cognate, idp):
    app = make_app(idp)
    disabled, enabled = confirmed_user(app, cognate), confirmed_user(app, cognate)
    idp.admin_disable_user(UserPoolId=app.pool_id, Username=disabled.username)
    listed = idp.list_users(UserPoolId=app.pool_id, Filter='status = "Disabled"')["Users"]
    assert [u["Username"] for u in listed] == [disabled.username]
    assert listed[0]["Enabled"] is False
    listed = idp.list_users(UserPoolId=app.pool_id, Filter='status = "Enabled"')["Users"]
    assert [u["Username"] for u in listed] == [enabled.username]


@pytest.mark.parametrize("operation", ["admin_disable_user", "admin_enable_user"])
def test_disable_or_enable_of_unknown_user_is_user_not_found(idp, operation):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException):
        getattr(idp, operation)(UserPoolId=app.pool_id, Username=unique_name("ghost"))


def test_disable_and_enable_with_the_aws_cli(cognate, aws, idp):
    app = make_app(idp)
    user = confirmed_user(app, cognate)
    assert aws("cognito-idp", "admin-disable-user", "--user-pool-id", app.pool_id,
               "--username", user.username) == {}
    assert aws("cognito-idp", "admin-get-user", "--user-pool-id", app.pool_id,
               "--username", user.username)["Enabled"] is False
    assert aws("cognito-idp", "admin-enable-user", "--user-pool-id", app.pool_id,
               "--username", user.username) == {}
    assert app.admin_get_user(user.username)["Enabled"] is True
