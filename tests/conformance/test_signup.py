"""SignUp: response shape, code delivery (SMTP + outbox), validation, SecretHash."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from helpers import (
    PASSWORD,
    UUID_RE,
    assert_recent,
    attr_map,
    attrs,
    error_code,
    error_message,
    make_app,
    masked_email,
    secret_hash,
    unique_email,
    unique_name,
)


def test_sign_up_returns_unconfirmed_user_sub_and_masked_delivery(idp):
    app = make_app(idp)
    email = unique_email("zoe")
    response = app.sign_up(unique_name("zoe"), email=email)
    assert response["UserConfirmed"] is False
    assert UUID_RE.match(response["UserSub"]), response["UserSub"]
    assert str(uuid.UUID(response["UserSub"])) == response["UserSub"]
    assert response["CodeDeliveryDetails"] == {
        "AttributeName": "email",
        "DeliveryMedium": "EMAIL",
        "Destination": masked_email(email),
    }
    assert masked_email(email) == "z***@e***.com"


def test_sign_up_mails_a_six_digit_code_to_the_smtp_listener(idp, smtp_server):
    app = make_app(idp)
    email = unique_email()
    app.sign_up(unique_name(), email=email)
    mail = smtp_server.wait_for_mail(email)
    assert mail.recipient == email
    assert len(mail.code) == 6 and mail.code.isdigit()
    assert f"Your verification code is {mail.code}." in mail.body
    assert mail.subject
    assert "no-reply@cognate.local" in mail.from_header
    assert email in mail.to_header


def test_sign_up_records_the_message_in_the_outbox(cognate, idp, smtp_server):
    app = make_app(idp)
    username, email = unique_name(), unique_email()
    app.sign_up(username, email=email)
    mail = smtp_server.wait_for_mail(email)
    entries = cognate.outbox(pool=app.pool_id)
    assert len(entries) == 1, entries
    entry = entries[0]
    assert entry["pool_id"] == app.pool_id
    assert entry["username"] == username
    assert entry["recipient"] == email
    assert entry["medium"] == "EMAIL"
    assert entry["kind"] == "SignUp"
    assert isinstance(entry["id"], int)
    assert isinstance(entry["subject"], str) and entry["subject"] == mail.subject
    assert mail.code in entry["body"]
    assert isinstance(entry["created_at"], int) and abs(entry["created_at"] - time.time()) < 300
    assert isinstance(entry["status"], str) and entry["status"]
    assert cognate.latest_code(email) == mail.code


def test_each_sign_up_gets_its_own_code(cognate, idp):
    app = make_app(idp)
    emails = [unique_email() for _ in range(3)]
    for email in emails:
        app.sign_up(unique_name(), email=email)
    codes = [cognate.latest_code(email) for email in emails]
    assert all(len(c) == 6 for c in codes)
    assert len(set(codes)) >= 2, f"codes look constant: {codes}"


def test_email_from_flag_sets_the_sender(start_cognate, smtp_server):
    server = start_cognate(email_from="accounts@acme.test")
    app = make_app(server.idp())
    email = unique_email()
    app.sign_up(unique_name(), email=email)
    mail = smtp_server.wait_for_mail(email)
    assert "accounts@acme.test" in mail.from_header
    assert mail.mail_from == "accounts@acme.test"


def test_duplicate_username_is_username_exists(idp):
    app = make_app(idp)
    username = unique_name()
    app.sign_up(username, email=unique_email())
    with pytest.raises(idp.exceptions.UsernameExistsException) as err:
        app.sign_up(username, email=unique_email())
    assert error_message(err.value) == "User already exists"


def test_usernames_are_case_sensitive_by_default(idp):
    app = make_app(idp)
    base = unique_name("Casey")
    app.sign_up(base, email=unique_email())
    app.sign_up(base.lower(), email=unique_email())
    assert app.admin_get_user(base)["Username"] == base
    assert app.admin_get_user(base.lower())["Username"] == base.lower()


def test_same_username_in_two_pools_is_allowed(idp):
    username = unique_name()
    make_app(idp).sign_up(username, email=unique_email())
    make_app(idp).sign_up(username, email=unique_email())


def test_concurrent_sign_ups_of_one_username_create_exactly_one_user(cognate, idp):
    app = make_app(idp)
    username = unique_name()
    results: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = cognate.idp()  # boto3 clients are thread-safe; one shared client is fine
        try:
            client.sign_up(ClientId=app.client_id, Username=username, Password=PASSWORD,
                           UserAttributes=attrs(email=unique_email()))
            outcome = "ok"
        except Exception as exc:  # noqa: BLE001 - the code is what we record
            outcome = error_code(exc) if hasattr(exc, "response") else repr(exc)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 6, f"threads did not finish: {results}"
    assert results.count("ok") == 1, results
    assert results.count("UsernameExistsException") == 5, results


# Default policy: length 8 with upper, lower, number and symbol. Each password breaks one rule.
@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ab1!xyz", "Password not long enough"),
        ("lowercase1!", "Password must have uppercase characters"),
        ("UPPERCASE1!", "Password must have lowercase characters"),
        ("NoNumbers!!", "Password must have numeric characters"),
        ("NoSymbols123", "Password must have symbol characters"),
    ],
    ids=["length", "uppercase", "lowercase", "numbers", "symbols"],
)
def test_password_policy_violation_is_invalid_password(idp, password, reason):
    app = make_app(idp)
    username = unique_name()
    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        app.sign_up(username, password=password, email=unique_email())
    assert error_message(err.value) == f"Password did not conform with policy: {reason}"
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app.admin_get_user(username)


def test_relaxed_password_policy_accepts_simple_passwords(idp):
    app = make_app(idp, pool={"Policies": {"PasswordPolicy": {
        "MinimumLength": 6, "RequireUppercase": False, "RequireLowercase": False,
        "RequireNumbers": False, "RequireSymbols": False}}})
    app.sign_up(unique_name(), password="simple", email=unique_email())


def test_password_with_whitespace_is_rejected(idp):
    app = make_app(idp)
    with pytest.raises((idp.exceptions.InvalidParameterException,
                        idp.exceptions.InvalidPasswordException)):
        app.sign_up(unique_name(), password="Has Space1!", email=unique_email())


def test_missing_required_attribute_is_invalid_parameter(idp):
    app = make_app(idp, pool={"Schema": [
        {"Name": "family_name", "AttributeDataType": "String", "Required": True, "Mutable": True},
    ]})
    username = unique_name()
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        app.sign_up(username, email=unique_email())
    assert "family_name" in error_message(err.value)
    app.sign_up(username, email=unique_email(), attributes=attrs(family_name="Doe"))


@pytest.mark.parametrize("phone", ["555-1234", "+1 555 0100", "0044123456789", "+12ab45678"])
def test_phone_number_not_in_e164_is_invalid_parameter(idp, phone):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        app.sign_up(unique_name(), email=unique_email(), attributes=attrs(phone_number=phone))


def test_e164_phone_number_is_stored(idp):
    app = make_app(idp)
    username = unique_name()
    app.sign_up(username, email=unique_email(), attributes=attrs(phone_number="+15555550100"))
    stored = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert stored["phone_number"] == "+15555550100"
    assert stored.get("phone_number_verified", "false") == "false"


def test_custom_attribute_is_stored_with_its_prefix(idp):
    app = make_app(idp, pool={"Schema": [
        {"Name": "tenant", "AttributeDataType": "String", "Mutable": True},
    ]})
    username = unique_name()
    app.sign_up(username, email=unique_email(), attributes=attrs(custom__tenant="acme"))
    assert attr_map(app.admin_get_user(username)["UserAttributes"])["custom:tenant"] == "acme"


def test_attribute_not_in_schema_is_invalid_parameter(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        app.sign_up(unique_name(), email=unique_email(), attributes=attrs(custom__nope="x"))


def test_invalid_email_attribute_is_invalid_parameter(idp):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        app.sign_up(unique_name(), email="not-an-email")


@pytest.mark.parametrize("username", ["has space", "x" * 129], ids=["space", "too-long"])
def test_invalid_username_is_invalid_parameter(idp, username):
    app = make_app(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        app.sign_up(username, email=unique_email())
    assert "username" in error_message(err.value).lower()


def test_unknown_client_is_resource_not_found(idp):
    client_id = "abcdefghijklmnopqrstuvwxyz"
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        idp.sign_up(ClientId=client_id, Username=unique_name(), Password=PASSWORD)
    assert error_message(err.value) == f"User pool client {client_id} does not exist."


def test_secret_client_without_secret_hash_is_not_authorized(idp):
    app = make_app(idp, client={"GenerateSecret": True})
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.sign_up(ClientId=app.client_id, Username=unique_name(), Password=PASSWORD,
                    UserAttributes=attrs(email=unique_email()))
    assert error_message(err.value) == \
        f"Client {app.client_id} is configured for secret but secret was not received"


def test_secret_client_with_wrong_secret_hash_is_not_authorized(idp):
    app = make_app(idp, client={"GenerateSecret": True})
    username = unique_name()
    wrong = secret_hash(username, app.client_id, "not-the-secret")
    with pytest.raises(idp.exceptions.NotAuthorizedException) as err:
        idp.sign_up(ClientId=app.client_id, Username=username, Password=PASSWORD,
                    SecretHash=wrong, UserAttributes=attrs(email=unique_email()))
    assert error_message(err.value) == f"Unable to verify secret hash for client {app.client_id}"


def test_secret_hash_over_another_username_is_not_authorized(idp):
    app = make_app(idp, client={"GenerateSecret": True})
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.sign_up(ClientId=app.client_id, Username=unique_name(), Password=PASSWORD,
                    SecretHash=app.hash_for("someone-else"),
                    UserAttributes=attrs(email=unique_email()))


def test_secret_client_with_right_secret_hash_signs_up(idp):
    app = make_app(idp, client={"GenerateSecret": True})
    response = app.sign_up(unique_name(), email=unique_email())  # App adds the SecretHash
    assert response["UserConfirmed"] is False


def test_secret_hash_is_ignored_for_a_client_without_secret(idp):
    app = make_app(idp)
    response = idp.sign_up(ClientId=app.client_id, Username=unique_name(), Password=PASSWORD,
                           SecretHash="bm90IGEgcmVhbCBoYXNo", UserAttributes=attrs(email=unique_email()))
    assert response["UserConfirmed"] is False


def test_custom_email_template_is_used_for_the_mail(idp, smtp_server):
    app = make_app(idp, pool={"VerificationMessageTemplate": {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Welcome to Acme! Your code: {####} (valid for a day)",
        "EmailSubject": "Acme sign-up",
    }})
    email = unique_email()
    app.sign_up(unique_name(), email=email)
    mail = smtp_server.wait_for_mail(email)
    assert mail.subject == "Acme sign-up"
    assert f"Welcome to Acme! Your code: {mail.code} (valid for a day)" in mail.body
    assert "{####}" not in mail.body


def test_legacy_email_verification_message_and_subject_are_used(idp, smtp_server):
    app = make_app(idp, pool={
        "EmailVerificationMessage": "Legacy template {####} here",
        "EmailVerificationSubject": "Legacy subject",
    })
    email = unique_email()
    app.sign_up(unique_name(), email=email)
    mail = smtp_server.wait_for_mail(email)
    assert mail.subject == "Legacy subject"
    assert f"Legacy template {mail.code} here" in mail.body


def test_optional_request_members_are_accepted(idp):
    app = make_app(idp)
    response = app.sign_up(
        unique_name(),
        email=unique_email(),
        ValidationData=attrs(source="conformance"),
        ClientMetadata={"campaign": "spring", "ref": "abc"},
        AnalyticsMetadata={"AnalyticsEndpointId": "endpoint-1"},
        UserContextData={"IpAddress": "192.0.2.10", "EncodedData": "e30="},
    )
    assert response["UserConfirmed"] is False


def test_pool_without_auto_verified_attributes_sends_no_code(cognate, idp, smtp_server):
    app = make_app(idp, pool={"AutoVerifiedAttributes": None})
    email = unique_email()
    response = app.sign_up(unique_name(), email=email)
    assert response["UserConfirmed"] is False
    assert "CodeDeliveryDetails" not in response
    smtp_server.assert_no_mail(email)
    assert cognate.outbox(pool=app.pool_id) == []


def test_sign_up_user_is_visible_to_admin_get_user_as_unconfirmed(idp):
    app = make_app(idp)
    username, email = unique_name(), unique_email()
    sub = app.sign_up(username, email=email)["UserSub"]
    user = app.admin_get_user(username)
    assert user["Username"] == username
    assert user["UserStatus"] == "UNCONFIRMED"
    assert user["Enabled"] is True
    assert_recent(user["UserCreateDate"])
    stored = attr_map(user["UserAttributes"])
    assert stored["sub"] == sub
    assert stored["email"] == email
    assert stored.get("email_verified", "false") == "false"


def test_users_belong_to_the_pool_of_the_client_they_signed_up_with(idp):
    app_a, app_b = make_app(idp), make_app(idp)
    username = unique_name()
    app_b.sign_up(username, email=unique_email())
    assert app_b.admin_get_user(username)["Username"] == username
    with pytest.raises(idp.exceptions.UserNotFoundException):
        app_a.admin_get_user(username)
