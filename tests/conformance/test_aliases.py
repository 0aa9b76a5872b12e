"""UsernameAttributes, AliasAttributes and UsernameConfiguration.CaseSensitive."""

from __future__ import annotations

import pytest

from helpers import (
    PASSWORD,
    UUID_RE,
    App,
    attr_map,
    decode_jwt_unverified,
    error_code,
    error_message,
    make_app,
    masked_email,
    secret_hash,
    sign_up_user,
    tag,
    unique_email,
    unique_name,
)

ALIAS_EXISTS_MESSAGE = "An account with the email already exists."


# --------------------------------------------------------------------------- email as username


@pytest.fixture
def email_pool(idp) -> App:
    return make_app(idp, pool={"UsernameAttributes": ["email"]})


def test_email_as_username_gets_a_uuid_username_equal_to_sub(cognate, email_pool, idp):
    email = unique_email("ann")
    response = email_pool.sign_up(email)
    sub = response["UserSub"]
    assert response["CodeDeliveryDetails"]["Destination"] == masked_email(email)
    got = email_pool.admin_get_user(email)
    assert got["Username"] == sub
    assert UUID_RE.match(got["Username"])
    attributes = attr_map(got["UserAttributes"])
    assert attributes["sub"] == sub
    assert attributes["email"] == email
    assert email_pool.admin_get_user(sub)["Username"] == sub
    entry = cognate.latest_message(email)
    assert entry["username"] == sub


def test_email_as_username_with_matching_email_attribute_is_accepted(email_pool):
    email = unique_email()
    email_pool.sign_up(email, email=email)
    assert attr_map(email_pool.admin_get_user(email)["UserAttributes"])["email"] == email


def test_duplicate_email_as_username_is_username_exists(email_pool, idp):
    email = unique_email()
    email_pool.sign_up(email)
    with pytest.raises(idp.exceptions.UsernameExistsException) as err:
        email_pool.sign_up(email)
    assert error_message(err.value) == "An account with the given email already exists."


def test_non_email_username_in_email_username_pool_is_invalid_parameter(email_pool, idp):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        email_pool.sign_up(unique_name("plain"), email=unique_email())


def test_sign_in_with_email_as_username(cognate, email_pool, idp):
    email = unique_email()
    sub = email_pool.sign_up(email)["UserSub"]
    email_pool.confirm(email, cognate.latest_code(email))
    got = email_pool.admin_get_user(email)
    assert got["UserStatus"] == "CONFIRMED"
    assert attr_map(got["UserAttributes"])["email_verified"] == "true"
    tokens = email_pool.tokens(email)
    claims = decode_jwt_unverified(tokens["IdToken"])
    assert claims["cognito:username"] == sub
    assert claims["email"] == email
    assert decode_jwt_unverified(tokens["AccessToken"])["username"] == sub
    assert idp.get_user(AccessToken=tokens["AccessToken"])["Username"] == sub


def test_unconfirmed_email_username_is_not_confirmed_at_sign_in(email_pool, idp):
    email = unique_email()
    email_pool.sign_up(email)
    with pytest.raises(idp.exceptions.UserNotConfirmedException):
        email_pool.password_auth(email)


def test_list_users_filter_by_email_in_email_username_pool(email_pool, idp):
    email = unique_email()
    sub = email_pool.sign_up(email)["UserSub"]
    users = idp.list_users(UserPoolId=email_pool.pool_id, Filter=f'email = "{email}"')["Users"]
    assert [u["Username"] for u in users] == [sub]


def test_secret_hash_is_over_the_email_the_caller_sent(cognate, idp):
    app = make_app(idp, pool={"UsernameAttributes": ["email"]},
                   client={"GenerateSecret": True})
    email = unique_email()
    app.sign_up(email)  # SecretHash over the email
    app.confirm(email, cognate.latest_code(email))
    result = idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD,
                        "SECRET_HASH": secret_hash(email, app.client_id, app.client_secret)},
    )["AuthenticationResult"]
    assert result["AccessToken"]


def test_email_username_matching_ignores_case_in_case_insensitive_pool(cognate, idp):
    app = make_app(idp, pool={"UsernameAttributes": ["email"],
                              "UsernameConfiguration": {"CaseSensitive": False}})
    email = f"mixed.{tag()}@example.com"
    app.sign_up(email)
    with pytest.raises(idp.exceptions.UsernameExistsException):
        app.sign_up(email.upper())
    app.confirm(email, cognate.latest_code(email))
    assert app.tokens(email.capitalize())["AccessToken"]


# --------------------------------------------------------------------------- case sensitivity


def test_case_insensitive_pool_treats_alice_and_alice_as_one_user(cognate, idp):
    app = make_app(idp, pool={"UsernameConfiguration": {"CaseSensitive": False}})
    t = tag()
    first = sign_up_user(app, username=f"Alice{t}")
    with pytest.raises(idp.exceptions.UsernameExistsException):
        sign_up_user(app, username=f"alice{t}")
    assert app.admin_get_user(f"ALICE{t}")["UserAttributes"]
    app.confirm(f"alice{t}", cognate.latest_code(first.email))
    result = app.tokens(f"aLiCe{t}")
    claims = decode_jwt_unverified(result["IdToken"])
    assert claims["cognito:username"].lower() == f"alice{t}".lower()


def test_case_sensitive_pool_keeps_alice_and_alice_apart(idp):
    app = make_app(idp, pool={"UsernameConfiguration": {"CaseSensitive": True}})
    t = tag()
    sign_up_user(app, username=f"Alice{t}")
    sign_up_user(app, username=f"alice{t}")
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(f"ALICE{t}")


# --------------------------------------------------------------------------- email alias


@pytest.fixture
def alias_pool(idp) -> App:
    return make_app(idp, pool={"AliasAttributes": ["email"]})


def test_sign_in_with_verified_email_alias(cognate, alias_pool):
    user = sign_up_user(alias_pool)
    alias_pool.confirm(user.username, cognate.latest_code(user.email))
    tokens = alias_pool.tokens(user.email)
    assert decode_jwt_unverified(tokens["IdToken"])["cognito:username"] == user.username
    assert alias_pool.admin_get_user(user.email)["Username"] == user.username


def test_unverified_email_is_not_a_sign_in_alias(alias_pool, idp):
    user = sign_up_user(alias_pool)
    alias_pool.admin_confirm(user.username)  # confirms but does not verify the email
    assert alias_pool.tokens(user.username)["AccessToken"]
    with pytest.raises(idp.exceptions.ClientError) as err:
        alias_pool.password_auth(user.email)
    assert error_code(err.value) in ("UserNotFoundException", "NotAuthorizedException")


def test_two_users_may_sign_up_with_the_same_email_in_an_alias_pool(alias_pool):
    email = unique_email()
    first = sign_up_user(alias_pool, email=email)
    second = sign_up_user(alias_pool, email=email)
    assert first.sub != second.sub


def test_confirming_second_owner_of_a_verified_email_is_alias_exists(cognate, alias_pool, idp,
                                                                   smtp_server):
    email = unique_email()
    first = sign_up_user(alias_pool, email=email)
    first_mail = smtp_server.wait_for_mail(email)
    alias_pool.confirm(first.username, first_mail.code)

    second = sign_up_user(alias_pool, email=email)
    second_code = smtp_server.wait_for_mail(email, after=first_mail).code
    with pytest.raises(idp.exceptions.AliasExistsException) as err:
        alias_pool.confirm(second.username, second_code)
    assert error_message(err.value) == ALIAS_EXISTS_MESSAGE
    assert alias_pool.admin_get_user(second.username)["UserStatus"] == "UNCONFIRMED"
    first_attrs = attr_map(alias_pool.admin_get_user(first.username)["UserAttributes"])
    assert first_attrs["email_verified"] == "true"
    tokens = alias_pool.tokens(email)
    assert decode_jwt_unverified(tokens["IdToken"])["cognito:username"] == first.username


def test_force_alias_creation_moves_the_alias_to_the_new_user(cognate, alias_pool, idp,
                                                            smtp_server):
    email = unique_email()
    first = sign_up_user(alias_pool, email=email)
    first_mail = smtp_server.wait_for_mail(email)
    alias_pool.confirm(first.username, first_mail.code)

    second = sign_up_user(alias_pool, email=email)
    second_code = smtp_server.wait_for_mail(email, after=first_mail).code
    alias_pool.confirm(second.username, second_code, ForceAliasCreation=True)

    second_user = alias_pool.admin_get_user(second.username)
    assert second_user["UserStatus"] == "CONFIRMED"
    assert attr_map(second_user["UserAttributes"])["email_verified"] == "true"
    first_attrs = attr_map(alias_pool.admin_get_user(first.username)["UserAttributes"])
    assert first_attrs["email"] == email
    assert first_attrs["email_verified"] == "false"

    via_alias = alias_pool.tokens(email)
    assert decode_jwt_unverified(via_alias["IdToken"])["cognito:username"] == second.username
    assert alias_pool.tokens(first.username)["AccessToken"]  # username sign-in still works


def test_alias_conflict_only_counts_verified_owners(cognate, alias_pool):
    email = unique_email()
    first = sign_up_user(alias_pool, email=email)
    alias_pool.admin_confirm(first.username)  # confirmed, email not verified: no alias
    first_entry = cognate.latest_message(email)
    second = sign_up_user(alias_pool, email=email)
    alias_pool.confirm(second.username, cognate.latest_code(email, after_id=first_entry["id"]))
    assert alias_pool.tokens(email)["AccessToken"]
    assert decode_jwt_unverified(alias_pool.tokens(email)["IdToken"])["cognito:username"] == \
        second.username


def test_email_format_username_in_email_alias_pool_is_invalid_parameter(alias_pool, idp):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        alias_pool.sign_up(unique_email("looks.like"), email=unique_email())


def test_email_alias_is_case_insensitive_in_case_insensitive_pool(cognate, idp):
    app = make_app(idp, pool={"AliasAttributes": ["email"],
                              "UsernameConfiguration": {"CaseSensitive": False}})
    user = sign_up_user(app, email=f"Case.{tag()}@Example.com")
    app.confirm(user.username, cognate.latest_code(user.email))
    assert app.tokens(user.email.lower())["AccessToken"]
