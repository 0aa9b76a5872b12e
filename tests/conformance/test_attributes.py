"""User attributes: UpdateUserAttributes, AdminUpdateUserAttributes, DeleteUserAttributes,
AdminDeleteUserAttributes, GetUserAttributeVerificationCode and VerifyUserAttribute.

Email changes: in a pool that auto-verifies email the new address is stored unverified and a
code goes to it; with ``UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate``
the old (verified) address stays in place until the new one is verified.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness import AwsCliError
from helpers import (
    App,
    assert_empty_response,
    attr_map,
    attrs,
    confirmed_user,
    decode_jwt_unverified,
    error_code,
    error_message,
    make_app,
    masked_email,
    sign_up_user,
    unique_email,
    unique_name,
    wrong_code,
)
from helpers import EXPIRED_CODE_MESSAGE, LIMIT_MESSAGE, UNAUTHORIZED_ATTRIBUTE_MESSAGE, WRONG_CODE_MESSAGE

TENANT_SCHEMA = [{"Name": "tenant", "AttributeDataType": "String", "Mutable": True}]
ALIAS_POOL = {"AliasAttributes": ["email"]}
KEEP_ORIGINAL_POOL = {
    "AliasAttributes": ["email"],
    "AutoVerifiedAttributes": ["email"],
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
}
SIGN_IN_REFUSED = ("UserNotFoundException", "NotAuthorizedException")


# --------------------------------------------------------------------------- helpers


def signed_in(app: App, server: Any, **kwargs: Any) -> tuple[Any, str]:
    """A confirmed user (email verified by the sign-up code) and their access token."""
    user = confirmed_user(app, server, **kwargs)
    return user, app.tokens(user.username)["AccessToken"]


def admin_confirmed(app: App) -> tuple[Any, str]:
    """A user confirmed with AdminConfirmSignUp (email NOT verified) and their access token."""
    user = sign_up_user(app)
    app.admin_confirm(user.username)
    return user, app.tokens(user.username)["AccessToken"]


def my_attrs(app: App, access_token: str) -> dict[str, str | None]:
    return attr_map(app.idp.get_user(AccessToken=access_token)["UserAttributes"])


def admin_attrs(app: App, username: str) -> dict[str, str | None]:
    return attr_map(app.admin_get_user(username)["UserAttributes"])


def update(app: App, access_token: str, **values: str) -> dict:
    return app.idp.update_user_attributes(AccessToken=access_token,
                                          UserAttributes=attrs(**values))


def verify_email(app: App, access_token: str, code: str) -> dict:
    return app.idp.verify_user_attribute(AccessToken=access_token, AttributeName="email",
                                         Code=code)


def email_delivery(address: str) -> list[dict[str, str]]:
    return [{"Destination": masked_email(address), "DeliveryMedium": "EMAIL",
             "AttributeName": "email"}]


def assert_sign_in_refused(app: App, username: str) -> None:
    with pytest.raises(app.idp.exceptions.ClientError) as err:
        app.password_auth(username)
    assert error_code(err.value) in SIGN_IN_REFUSED, error_code(err.value)


def signs_in_as(app: App, login: str) -> str:
    """Sign in with ``login`` (username or alias); the ``cognito:username`` of the tokens."""
    return decode_jwt_unverified(app.tokens(login)["IdToken"])["cognito:username"]


# --------------------------------------------------------------------------- UpdateUserAttributes


def test_updating_name_shows_in_get_user_and_admin_get_user(cognate, idp):
    app = make_app(idp)
    user, access = signed_in(app, cognate)
    response = idp.update_user_attributes(AccessToken=access, UserAttributes=attrs(name="Ann"),
                                          ClientMetadata={"k": "v"})
    assert response.get("CodeDeliveryDetailsList", []) == [], response
    assert my_attrs(app, access)["name"] == "Ann"
    assert admin_attrs(app, user.username)["name"] == "Ann"


def test_updating_a_custom_attribute_defined_in_the_schema_is_stored(cognate, idp):
    app = make_app(idp, pool={"Schema": TENANT_SCHEMA})
    user, access = signed_in(app, cognate)
    update(app, access, custom__tenant="acme")
    assert my_attrs(app, access)["custom:tenant"] == "acme"
    assert admin_attrs(app, user.username)["custom:tenant"] == "acme"


def test_updating_an_unknown_attribute_is_invalid_parameter(cognate, idp):
    app = make_app(idp, pool={"Schema": TENANT_SCHEMA})
    user, access = signed_in(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        update(app, access, custom__nope="x")
    assert "custom:nope" not in admin_attrs(app, user.username)


@pytest.mark.parametrize("name", ["email_verified", "phone_number_verified"])
def test_self_service_write_of_a_verified_flag_is_not_authorized(cognate, idp, name):
    app = make_app(idp)
    user, access = admin_confirmed(app)
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.update_user_attributes(AccessToken=access,
                                   UserAttributes=[{"Name": name, "Value": "true"}])
    assert error_message(err.value) == UNAUTHORIZED_ATTRIBUTE_MESSAGE
    assert admin_attrs(app, user.username).get("email_verified", "false") == "false"


def test_changing_email_reports_delivery_to_the_masked_new_address(cognate, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    response = update(app, access, email=new_email)
    assert response["CodeDeliveryDetailsList"] == email_delivery(new_email)


def test_changing_email_mails_a_code_to_the_new_address(cognate, idp, smtp_server):
    app = make_app(idp)
    user, access = signed_in(app, cognate)
    old_count = len(cognate.outbox(to=user.email))
    new_email = unique_email("new")
    update(app, access, email=new_email)
    mail = smtp_server.wait_for_mail(new_email)
    assert mail.code == cognate.latest_code(new_email)
    assert len(cognate.outbox(to=user.email)) == old_count  # nothing to the old address


def test_changed_email_is_stored_unverified(cognate, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    update(app, access, email=new_email)
    got = my_attrs(app, access)
    assert got["email"] == new_email
    assert got["email_verified"] == "false"


def test_unverified_new_email_is_not_a_sign_in_alias(cognate, idp):
    app = make_app(idp, pool=ALIAS_POOL)
    user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    update(app, access, email=new_email)
    assert_sign_in_refused(app, new_email)
    assert_sign_in_refused(app, user.email)  # the old address was replaced
    assert signs_in_as(app, user.username) == user.username


def test_verify_user_attribute_verifies_the_new_email_and_it_signs_in(cognate, idp):
    app = make_app(idp, pool=ALIAS_POOL)
    user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    update(app, access, email=new_email)
    assert_empty_response(verify_email(app, access, cognate.latest_code(new_email)))
    got = my_attrs(app, access)
    assert got["email"] == new_email
    assert got["email_verified"] == "true"
    assert signs_in_as(app, new_email) == user.username


def test_verify_user_attribute_with_a_wrong_code_is_code_mismatch(cognate, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    update(app, access, email=new_email)
    code = cognate.latest_code(new_email)
    with pytest.raises(idp.exceptions.CodeMismatchException) as err:
        verify_email(app, access, wrong_code(code))
    assert error_message(err.value) == WRONG_CODE_MESSAGE
    assert my_attrs(app, access)["email_verified"] == "false"
    verify_email(app, access, code)  # a wrong guess does not burn the right code
    assert my_attrs(app, access)["email_verified"] == "true"


def test_verify_user_attribute_without_a_pending_code_is_expired_code(idp):
    app = make_app(idp, pool={"AutoVerifiedAttributes": None})  # no code is ever sent
    _user, access = admin_confirmed(app)
    with pytest.raises(idp.exceptions.ExpiredCodeException) as err:
        verify_email(app, access, "123456")
    assert error_message(err.value) == EXPIRED_CODE_MESSAGE
    assert my_attrs(app, access).get("email_verified", "false") == "false"


# ------------------------------------------------------------- keep original until verified


def test_keep_original_pool_keeps_the_old_verified_email_until_the_new_one_is_verified(
        cognate, idp):
    app = make_app(idp, pool=KEEP_ORIGINAL_POOL)
    user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    response = update(app, access, email=new_email)
    assert response["CodeDeliveryDetailsList"] == email_delivery(new_email)
    assert cognate.latest_code(new_email)  # the code went to the new address
    got = my_attrs(app, access)
    assert got["email"] == user.email
    assert got["email_verified"] == "true"
    assert signs_in_as(app, user.email) == user.username
    assert_sign_in_refused(app, new_email)


def test_keep_original_pool_swaps_in_the_new_email_once_verified(cognate, idp):
    app = make_app(idp, pool=KEEP_ORIGINAL_POOL)
    user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    update(app, access, email=new_email)
    assert_empty_response(verify_email(app, access, cognate.latest_code(new_email)))
    got = admin_attrs(app, user.username)
    assert got["email"] == new_email
    assert got["email_verified"] == "true"
    assert signs_in_as(app, new_email) == user.username
    assert_sign_in_refused(app, user.email)


# --------------------------------------------------------------------------- uniqueness


def test_changing_email_to_another_users_email_is_alias_exists_in_email_username_pool(
        cognate, idp):
    app = make_app(idp, pool={"UsernameAttributes": ["email"]})
    taken = unique_email("taken")
    app.sign_up(taken)
    app.confirm(taken, cognate.latest_code(taken))
    mine = unique_email("mine")
    app.sign_up(mine)
    app.confirm(mine, cognate.latest_code(mine))
    access = app.tokens(mine)["AccessToken"]
    with pytest.raises(idp.exceptions.AliasExistsException):
        update(app, access, email=taken)
    assert my_attrs(app, access)["email"] == mine
    assert admin_attrs(app, taken)["email"] == taken


def test_verifying_an_email_another_user_holds_verified_is_alias_exists(cognate, idp):
    app = make_app(idp, pool=ALIAS_POOL)
    owner, _ = signed_in(app, cognate)
    _other, access = signed_in(app, cognate)
    before = cognate.latest_message(owner.email)
    update(app, access, email=owner.email)
    code = cognate.latest_code(owner.email, after_id=before["id"])
    with pytest.raises(idp.exceptions.AliasExistsException):
        verify_email(app, access, code)
    assert my_attrs(app, access).get("email_verified") != "true"
    owner_attrs = admin_attrs(app, owner.username)
    assert owner_attrs["email"] == owner.email
    assert owner_attrs["email_verified"] == "true"
    assert signs_in_as(app, owner.email) == owner.username


# ----------------------------------------------------------------- AdminUpdateUserAttributes


def test_admin_update_of_name_shows_in_admin_get_user(cognate, idp):
    app = make_app(idp)
    user, access = signed_in(app, cognate)
    assert_empty_response(idp.admin_update_user_attributes(
        UserPoolId=app.pool_id, Username=user.username, UserAttributes=attrs(name="Bea")))
    assert admin_attrs(app, user.username)["name"] == "Bea"
    assert my_attrs(app, access)["name"] == "Bea"


def test_admin_update_with_email_verified_sets_a_usable_alias_without_a_code(
        cognate, idp, smtp_server):
    app = make_app(idp, pool=ALIAS_POOL)
    user, _ = signed_in(app, cognate)
    new_email = unique_email("new")
    assert_empty_response(idp.admin_update_user_attributes(
        UserPoolId=app.pool_id, Username=user.username,
        UserAttributes=attrs(email=new_email, email_verified="true")))
    got = admin_attrs(app, user.username)
    assert got["email"] == new_email
    assert got["email_verified"] == "true"
    assert signs_in_as(app, new_email) == user.username
    smtp_server.assert_no_mail(new_email)
    assert cognate.outbox(to=new_email) == []


def test_admin_update_of_email_mails_a_code_and_marks_it_unverified(cognate, idp):
    app = make_app(idp)
    user, _ = signed_in(app, cognate)
    new_email = unique_email("new")
    assert_empty_response(idp.admin_update_user_attributes(
        UserPoolId=app.pool_id, Username=user.username, UserAttributes=attrs(email=new_email)))
    assert cognate.latest_code(new_email)
    got = admin_attrs(app, user.username)
    assert got["email"] == new_email
    assert got["email_verified"] == "false"


def test_code_from_admin_update_verifies_with_verify_user_attribute(cognate, idp):
    app = make_app(idp)
    user, access = signed_in(app, cognate)
    new_email = unique_email("new")
    idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=user.username,
                                     UserAttributes=attrs(email=new_email))
    verify_email(app, access, cognate.latest_code(new_email))
    assert admin_attrs(app, user.username)["email_verified"] == "true"


def test_admin_update_of_unknown_user_is_user_not_found(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.UserNotFoundException) as err:
        idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=unique_name("ghost"),
                                         UserAttributes=attrs(name="Nobody"))
    assert error_message(err.value) == "User does not exist."


# --------------------------------------------------------------------------- deleting attributes


def test_delete_user_attributes_removes_the_attribute(cognate, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    update(app, access, name="Ann", family_name="Doe")
    assert_empty_response(idp.delete_user_attributes(AccessToken=access,
                                                     UserAttributeNames=["name"]))
    got = my_attrs(app, access)
    assert "name" not in got
    assert got["family_name"] == "Doe"


def test_admin_delete_user_attributes_removes_the_attribute(cognate, idp):
    app = make_app(idp, pool={"Schema": TENANT_SCHEMA})
    user, access = signed_in(app, cognate)
    update(app, access, custom__tenant="acme", name="Ann")
    assert_empty_response(idp.admin_delete_user_attributes(
        UserPoolId=app.pool_id, Username=user.username, UserAttributeNames=["custom:tenant"]))
    got = admin_attrs(app, user.username)
    assert "custom:tenant" not in got
    assert got["name"] == "Ann"
    assert "custom:tenant" not in my_attrs(app, access)


@pytest.mark.parametrize("caller", ["self", "admin"])
def test_deleting_a_required_attribute_is_invalid_parameter(cognate, idp, caller):
    app = make_app(idp, pool={"Schema": [
        {"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
    ]})
    user, access = signed_in(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        if caller == "self":
            idp.delete_user_attributes(AccessToken=access, UserAttributeNames=["email"])
        else:
            idp.admin_delete_user_attributes(UserPoolId=app.pool_id, Username=user.username,
                                             UserAttributeNames=["email"])
    assert admin_attrs(app, user.username)["email"] == user.email


def test_deleting_email_removes_email_verified_and_the_alias(cognate, idp):
    app = make_app(idp, pool=ALIAS_POOL)
    user, access = signed_in(app, cognate)
    assert signs_in_as(app, user.email) == user.username
    idp.delete_user_attributes(AccessToken=access, UserAttributeNames=["email"])
    got = my_attrs(app, access)
    assert "email" not in got
    assert "email_verified" not in got
    assert_sign_in_refused(app, user.email)
    assert signs_in_as(app, user.username) == user.username


# ---------------------------------------------------------- GetUserAttributeVerificationCode


def test_get_user_attribute_verification_code_mails_a_code(cognate, idp, smtp_server):
    app = make_app(idp)
    user, access = admin_confirmed(app)
    sign_up_mail = smtp_server.wait_for_mail(user.email)
    response = idp.get_user_attribute_verification_code(AccessToken=access,
                                                        AttributeName="email")
    assert response["CodeDeliveryDetails"] == email_delivery(user.email)[0]
    mail = smtp_server.wait_for_mail(user.email, after=sign_up_mail)
    assert mail.code == cognate.latest_code(user.email)


def test_requested_code_verifies_the_email(cognate, idp):
    app = make_app(idp)
    user, access = admin_confirmed(app)
    assert my_attrs(app, access).get("email_verified", "false") == "false"
    before = cognate.latest_message(user.email)  # the sign-up code
    idp.get_user_attribute_verification_code(AccessToken=access, AttributeName="email")
    code = cognate.latest_code(user.email, after_id=before["id"])
    assert_empty_response(verify_email(app, access, code))
    assert my_attrs(app, access)["email_verified"] == "true"


def test_verification_code_for_an_attribute_the_user_lacks_is_invalid_parameter(cognate, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.get_user_attribute_verification_code(AccessToken=access,
                                                 AttributeName="phone_number")


def test_sixth_verification_code_request_within_an_hour_is_limit_exceeded(idp):
    app = make_app(idp)
    _user, access = admin_confirmed(app)
    for _ in range(5):
        idp.get_user_attribute_verification_code(AccessToken=access, AttributeName="email")
    with pytest.raises(idp.exceptions.LimitExceededException) as err:
        idp.get_user_attribute_verification_code(AccessToken=access, AttributeName="email")
    assert error_message(err.value) == LIMIT_MESSAGE


# --------------------------------------------------------------------------- access tokens

TOKEN_OPERATIONS = {
    "update_user_attributes": {"UserAttributes": [{"Name": "name", "Value": "Mallory"}]},
    "delete_user_attributes": {"UserAttributeNames": ["name"]},
    "get_user_attribute_verification_code": {"AttributeName": "email"},
    "verify_user_attribute": {"AttributeName": "email", "Code": "123456"},
}


@pytest.mark.parametrize("operation", sorted(TOKEN_OPERATIONS))
def test_garbage_access_token_is_not_authorized(idp, operation):
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        getattr(idp, operation)(AccessToken="not.a.token", **TOKEN_OPERATIONS[operation])


@pytest.mark.parametrize("operation", sorted(TOKEN_OPERATIONS))
def test_signed_out_access_token_is_not_authorized(cognate, idp, operation):
    app = make_app(idp)
    user, access = signed_in(app, cognate)
    update(app, access, name="Ann")
    idp.global_sign_out(AccessToken=access)
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        getattr(idp, operation)(AccessToken=access, **TOKEN_OPERATIONS[operation])
    got = admin_attrs(app, user.username)
    assert got["name"] == "Ann"
    assert got["email_verified"] == "true"


# --------------------------------------------------------------------------- aws CLI


def test_update_and_verify_email_with_the_aws_cli(cognate, aws, idp):
    app = make_app(idp)
    _user, access = signed_in(app, cognate)
    new_email = unique_email("cli")
    out = aws("cognito-idp", "update-user-attributes", "--access-token", access,
              "--user-attributes", json.dumps([{"Name": "email", "Value": new_email}]))
    assert out["CodeDeliveryDetailsList"] == email_delivery(new_email)
    code = cognate.latest_code(new_email)
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "verify-user-attribute", "--access-token", access,
            "--attribute-name", "email", "--code", wrong_code(code))
    assert "CodeMismatchException" in err.value.stderr
    assert aws("cognito-idp", "verify-user-attribute", "--access-token", access,
               "--attribute-name", "email", "--code", code) == {}
    got = my_attrs(app, access)
    assert got["email"] == new_email
    assert got["email_verified"] == "true"
