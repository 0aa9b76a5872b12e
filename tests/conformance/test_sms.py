"""SMS delivery: ``cognate serve --sms-url URL`` (or config ``sms_url``).

* ``http://`` / ``https://`` URL: each SMS is POSTed as JSON
  ``{"to", "message", "pool_id", "username", "kind"}``; a 2xx answer means delivered.
* ``sns+http://`` / ``sns+https://`` URL: an SNS ``Publish`` call (form-encoded ``Action=Publish``,
  ``Version=2010-03-31``, ``PhoneNumber``, ``Message``) is POSTed to the URL without the prefix.
* A non-2xx answer or an unreachable URL (after bounded retries) fails the operation with
  CodeDeliveryFailureException; a failed SignUp creates no user.
* Without ``--sms-url`` an SMS is only recorded in the outbox (medium ``SMS``); the outbox
  records SMS messages delivered through the webhook too.

The receiver is ``sms_sink.SmsSink`` (fixture ``sms_sink`` below).
"""

from __future__ import annotations

import random
import re
import time
from typing import Any, Iterator

import pytest

from harness import free_port
from helpers import (
    PASSWORD,
    App,
    admin_password_auth,
    attr_map,
    attrs,
    error_code,
    extract_code,
    make_app,
    temporary_password,
    unique_email,
    unique_name,
)
from sms_sink import SmsSink
from trigger_helpers import arn, assert_no_user, python_handler, trigger_config

NEW_PASSWORD = "N3w-Passw0rd!"
DEFAULT_SMS_RE = re.compile(r"^Your verification code is (\d{6})\.$")
SMS_CONFIG = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms",
              "ExternalId": "cognate-conformance"}
JSON_KEYS = {"to", "message", "pool_id", "username", "kind"}
DELIVERY_RETRY_BOUND = 30.0  # seconds a failing delivery may take, retries included


# =========================================================================== fixtures/helpers


@pytest.fixture
def sms_sink() -> Iterator[SmsSink]:
    """An ``SmsSink`` on 127.0.0.1 (free port), stopped at teardown."""
    sink = SmsSink().start()
    try:
        yield sink
    finally:
        sink.close()


def unique_phone() -> str:
    """A random E.164 number in the +1 555 range: ``+1555`` and 7 digits."""
    return f"+1555{random.randrange(10 ** 7):07d}"


def masked_phone(phone: str) -> str:
    """CodeDeliveryDetails.Destination for a phone: ``+`` and ``*`` for all but the last 4."""
    digits = phone.lstrip("+")
    return "+" + "*" * (len(digits) - 4) + digits[-4:]


def sms_details(phone: str) -> dict:
    return {"Destination": masked_phone(phone), "DeliveryMedium": "SMS",
            "AttributeName": "phone_number"}


def sms_server(start_cognate: Any, url: str, **options: Any) -> Any:
    """cognate with ``--sms-url url`` (plus any ``start_cognate`` options)."""
    extra = list(options.pop("extra_args", ()))
    return start_cognate(extra_args=["--sms-url", url, *extra], **options)


def phone_app(server: Any, verify: tuple[str, ...] = ("phone_number",), **pool: Any) -> App:
    """A pool auto-verifying ``verify`` (phone by default), with an SMS configuration."""
    options = {"AutoVerifiedAttributes": list(verify), "SmsConfiguration": SMS_CONFIG}
    options.update(pool)
    return make_app(server.idp(), pool=options)


def sign_up_phone(app: App, phone: str, email: str | None = None,
                  username: str | None = None, **kwargs: Any) -> tuple[str, dict]:
    """SignUp with a phone_number (and optionally an email); returns (username, response)."""
    username = username or unique_name("sms")
    response = app.sign_up(username, email=email, attributes=attrs(phone_number=phone), **kwargs)
    return username, response


def assert_json_sms(sms: Any, app: App, phone: str, username: str, kind: str) -> None:
    """The JSON webhook body: exactly who, what, which pool and why."""
    assert not sms.form, f"expected a JSON body, got {sms.body!r}"
    assert "json" in sms.content_type.lower(), sms.headers
    assert JSON_KEYS <= set(sms.fields), sms.fields
    assert sms.fields["to"] == phone
    assert sms.fields["pool_id"] == app.pool_id
    assert sms.fields["username"] == username
    assert sms.fields["kind"] == kind
    assert isinstance(sms.fields["message"], str) and sms.fields["message"]


def confirmed_phone_user(app: App, sink: SmsSink, phone: str | None = None,
                         email: str | None = None) -> tuple[str, str]:
    """Sign up with a phone, confirm with the SMS code; returns (username, phone)."""
    phone = phone or unique_phone()
    username, response = sign_up_phone(app, phone, email=email)
    assert response["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS", response
    app.confirm(username, sink.wait_for(phone).code)
    return username, phone


def access_token(app: App, username: str, password: str = PASSWORD) -> str:
    return app.tokens(username, password)["AccessToken"]


# =========================================================================== sign-up


def test_sign_up_with_a_phone_sends_the_code_to_the_webhook(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url + "hooks/sms")
    app = phone_app(server)
    phone = unique_phone()
    username, response = sign_up_phone(app, phone)
    assert response["UserConfirmed"] is False
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    assert response["CodeDeliveryDetails"]["Destination"] == \
        "+" + "*" * 7 + phone[-4:], "+ then * for all but the last 4 digits"

    sms = sms_sink.wait_for(phone)
    assert sms.path == "/hooks/sms", "the webhook URL's path is kept"
    assert_json_sms(sms, app, phone, username, "SignUp")
    match = DEFAULT_SMS_RE.match(sms.message.strip())
    assert match, f"Cognito's default SMS text expected, got {sms.message!r}"
    assert len(sms_sink.requests(phone)) == 1, "one SMS per sign-up"

    app.confirm(username, match.group(1))
    user = app.admin_get_user(username)
    assert user["UserStatus"] == "CONFIRMED"
    attributes = attr_map(user["UserAttributes"])
    assert attributes["phone_number"] == phone
    assert attributes["phone_number_verified"] == "true"
    assert app.tokens(username)["AccessToken"]


@pytest.mark.parametrize("template", [
    pytest.param({"SmsVerificationMessage": "Acme code: {####} (do not share)"}, id="legacy"),
    pytest.param({"VerificationMessageTemplate": {"SmsMessage":
                                                  "Acme code: {####} (do not share)"}},
                 id="template"),
])
def test_sign_up_sms_uses_the_pools_sms_message(start_cognate, sms_sink, template):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server, **template)
    phone = unique_phone()
    username, _ = sign_up_phone(app, phone)
    sms = sms_sink.wait_for(phone)
    code = sms.code
    assert sms.message == f"Acme code: {code} (do not share)"
    assert "{####}" not in sms.message
    app.confirm(username, code)
    assert attr_map(app.admin_get_user(username)["UserAttributes"])[
        "phone_number_verified"] == "true"


def test_outbox_records_sms_delivered_through_the_webhook(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server)
    phone = unique_phone()
    username, _ = sign_up_phone(app, phone)
    sms = sms_sink.wait_for(phone)
    entry = server.latest_message(phone)
    assert entry["medium"] == "SMS"
    assert entry["recipient"] == phone
    assert entry["kind"] == "SignUp"
    assert entry["pool_id"] == app.pool_id
    assert entry["username"] == username
    assert entry["body"] == sms.message
    assert extract_code(entry["body"]) == sms.code


def test_without_sms_url_the_sms_is_only_in_the_outbox(start_cognate):
    server = start_cognate()
    app = phone_app(server)
    phone = unique_phone()
    username, response = sign_up_phone(app, phone)
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    entry = server.latest_message(phone)
    assert entry["medium"] == "SMS"
    assert entry["kind"] == "SignUp"
    assert entry["recipient"] == phone
    assert entry["username"] == username
    assert DEFAULT_SMS_RE.match(entry["body"].strip()), entry["body"]
    app.confirm(username, extract_code(entry["body"]))
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number_verified"] == "true"


def test_sms_url_in_the_config_file(start_cognate, sms_sink):
    server = start_cognate(config={"sms_url": sms_sink.url})
    app = phone_app(server)
    phone = unique_phone()
    username, _ = sign_up_phone(app, phone)
    sms = sms_sink.wait_for(phone)
    assert_json_sms(sms, app, phone, username, "SignUp")
    app.confirm(username, sms.code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_pool_verifying_email_and_phone_sends_the_code_by_sms_only(start_cognate, sms_sink,
                                                                  smtp_server):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server, verify=("email", "phone_number"))
    phone, email = unique_phone(), unique_email("both")
    username, response = sign_up_phone(app, phone, email=email)
    assert response["CodeDeliveryDetails"] == sms_details(phone)

    sms = sms_sink.wait_for(phone)
    assert sms.fields["kind"] == "SignUp"
    smtp_server.assert_no_mail(email)
    assert server.outbox(to=email) == [], "no email when the code goes by SMS"

    app.confirm(username, sms.code)
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number_verified"] == "true"
    assert attributes.get("email_verified", "false") == "false", \
        "only the attribute the code went to is verified"


def test_resend_confirmation_code_goes_by_sms(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server)
    phone = unique_phone()
    username, _ = sign_up_phone(app, phone)
    first = sms_sink.wait_for(phone)

    response = app.resend(username)
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    second = sms_sink.wait_for(phone, after=first)
    assert_json_sms(second, app, phone, username, "ResendCode")
    assert DEFAULT_SMS_RE.match(second.message.strip()), second.message
    app.confirm(username, second.code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_custom_message_trigger_shapes_the_sms(start_cognate, sms_sink):
    config = (f'sms_url = "{sms_sink.url}"\n'
              + trigger_config(functions={"brandedSms": python_handler("custom_message")}))
    server = start_cognate(config=config)
    app = phone_app(server, LambdaConfig={"CustomMessage": arn("brandedSms")})
    phone = unique_phone()
    username, _ = sign_up_phone(app, phone)
    sms = sms_sink.wait_for(phone)
    code = sms.code
    assert sms.message == f"Welcome! Your code is {code}"  # handlers/custom_message.py
    app.confirm(username, code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


# =========================================================================== other messages


def test_forgot_password_for_a_phone_only_user_goes_by_sms(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server)
    username, phone = confirmed_phone_user(app, sms_sink)
    last = sms_sink.requests(phone)[-1]

    response = app.idp.forgot_password(ClientId=app.client_id, Username=username)
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    sms = sms_sink.wait_for(phone, after=last)
    assert_json_sms(sms, app, phone, username, "ForgotPassword")
    assert server.latest_message(phone)["kind"] == "ForgotPassword"

    app.idp.confirm_forgot_password(ClientId=app.client_id, Username=username,
                                    ConfirmationCode=sms.code, Password=NEW_PASSWORD)
    assert app.tokens(username, NEW_PASSWORD)["AccessToken"]
    with pytest.raises(app.idp.exceptions.NotAuthorizedException):
        app.password_auth(username, PASSWORD)


def test_admin_create_user_sends_the_invitation_by_sms(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = make_app(server.idp())
    username, phone = unique_name("invited"), unique_phone()
    response = app.idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, DesiredDeliveryMediums=["SMS"],
        UserAttributes=[{"Name": "phone_number", "Value": phone}])
    assert response["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    sms = sms_sink.wait_for(phone)
    assert_json_sms(sms, app, phone, username, "AdminCreateUser")
    assert sms.message.strip().startswith(f"Your username is {username} and temporary "
                                          "password is "), sms.message
    temporary = temporary_password(sms.message)
    entry = server.latest_message(phone)
    assert (entry["medium"], entry["kind"]) == ("SMS", "AdminCreateUser")

    challenge = app.password_auth(username, temporary)
    assert challenge.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", challenge


def test_admin_create_user_sms_uses_the_invite_template(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = make_app(server.idp(), pool={"AdminCreateUserConfig": {"InviteMessageTemplate": {
        "SMSMessage": "Hi {username}, your Acme password is {####} - welcome"}}})
    username, phone = unique_name("templated"), unique_phone()
    app.idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, DesiredDeliveryMediums=["SMS"],
        UserAttributes=[{"Name": "phone_number", "Value": phone}])
    sms = sms_sink.wait_for(phone)
    match = re.fullmatch(rf"Hi {re.escape(username)}, your Acme password is (\S+) - welcome",
                         sms.message)
    assert match, sms.message
    challenge = admin_password_auth(app, username, match.group(1))
    assert challenge.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", challenge


def test_verifying_a_phone_attribute_sends_the_code_by_sms(start_cognate, sms_sink,
                                                          smtp_server):
    server = sms_server(start_cognate, sms_sink.url)
    app = make_app(server.idp(), pool={"SmsConfiguration": SMS_CONFIG})  # verifies email only
    phone, email = unique_phone(), unique_email("verify")
    username, response = sign_up_phone(app, phone, email=email)
    assert response["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    app.confirm(username, smtp_server.wait_for_mail(email).code)
    assert sms_sink.requests(phone) == [], "the sign-up code went by email"
    token = access_token(app, username)

    response = app.idp.get_user_attribute_verification_code(AccessToken=token,
                                                            AttributeName="phone_number")
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    sms = sms_sink.wait_for(phone)
    assert_json_sms(sms, app, phone, username, "VerifyUserAttribute")

    app.idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number",
                                  Code=sms.code)
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number_verified"] == "true"
    assert attributes["email_verified"] == "true"


def test_changing_the_phone_sends_a_code_to_the_new_number(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.url)
    app = phone_app(server)
    username, old_phone = confirmed_phone_user(app, sms_sink)
    token = access_token(app, username)
    new_phone = unique_phone()

    response = app.idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": new_phone}])
    assert response["CodeDeliveryDetailsList"] == [sms_details(new_phone)]
    sms = sms_sink.wait_for(new_phone)
    assert_json_sms(sms, app, new_phone, username, "UpdateUserAttribute")
    assert len(sms_sink.requests(old_phone)) == 1, "nothing more goes to the old number"

    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number"] == new_phone
    assert attributes["phone_number_verified"] == "false"

    app.idp.verify_user_attribute(AccessToken=token, AttributeName="phone_number",
                                  Code=sms.code)
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number"] == new_phone
    assert attributes["phone_number_verified"] == "true"


# =========================================================================== SNS mode


def test_sns_mode_publishes_the_sms(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.sns_url)
    app = phone_app(server)
    phone = unique_phone()
    username, response = sign_up_phone(app, phone)
    assert response["CodeDeliveryDetails"] == sms_details(phone)

    sms = sms_sink.wait_for(phone)
    assert sms.form, f"SNS Publish is form-encoded, got {sms.body!r}"
    assert "x-www-form-urlencoded" in sms.content_type.lower(), sms.headers
    assert sms.path == "/", "the sns+ prefix is removed, the rest of the URL kept"
    assert sms.fields["Action"] == "Publish"
    assert sms.fields["Version"] == "2010-03-31"
    assert sms.fields["PhoneNumber"] == phone
    assert DEFAULT_SMS_RE.match(sms.fields["Message"].strip()), sms.fields
    assert len(sms_sink.requests(phone)) == 1

    app.confirm(username, sms.code)
    attributes = attr_map(app.admin_get_user(username)["UserAttributes"])
    assert attributes["phone_number_verified"] == "true"
    entry = server.latest_message(phone)
    assert (entry["medium"], entry["recipient"]) == ("SMS", phone)


def test_sns_mode_admin_create_user_invitation(start_cognate, sms_sink):
    server = sms_server(start_cognate, sms_sink.sns_url)
    app = make_app(server.idp())
    username, phone = unique_name("snsinvite"), unique_phone()
    app.idp.admin_create_user(
        UserPoolId=app.pool_id, Username=username, DesiredDeliveryMediums=["SMS"],
        UserAttributes=[{"Name": "phone_number", "Value": phone}])
    sms = sms_sink.wait_for(phone)
    assert sms.is_sns, sms.fields
    temporary = temporary_password(sms.fields["Message"])
    assert app.password_auth(username, temporary).get("ChallengeName") == \
        "NEW_PASSWORD_REQUIRED"


# =========================================================================== failures


@pytest.mark.parametrize("sns", [pytest.param(False, id="json"), pytest.param(True, id="sns")])
def test_failing_webhook_is_code_delivery_failure_and_creates_no_user(start_cognate,
                                                                     sms_sink, sns):
    sms_sink.fail(500)
    server = sms_server(start_cognate, sms_sink.sns_url if sns else sms_sink.url)
    app = phone_app(server)
    phone = unique_phone()
    username = unique_name("undelivered")
    started = time.monotonic()
    with pytest.raises(app.idp.exceptions.CodeDeliveryFailureException) as err:
        sign_up_phone(app, phone, username=username)
    elapsed = time.monotonic() - started
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert elapsed < DELIVERY_RETRY_BOUND, f"delivery retries must be bounded ({elapsed:.1f}s)"
    assert sms_sink.requests(phone), "the webhook was never called"
    assert_no_user(app, username)

    # Once the webhook works again, the same sign-up goes through.
    sms_sink.recover()
    _, response = sign_up_phone(app, phone, username=username)
    assert response["CodeDeliveryDetails"] == sms_details(phone)
    app.confirm(username, sms_sink.delivered(phone)[-1].code)
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"


def test_unreachable_webhook_is_code_delivery_failure_and_creates_no_user(start_cognate):
    server = sms_server(start_cognate, f"http://127.0.0.1:{free_port()}/sms")
    app = phone_app(server)
    username = unique_name("unreachable")
    started = time.monotonic()
    with pytest.raises(app.idp.exceptions.CodeDeliveryFailureException):
        sign_up_phone(app, unique_phone(), username=username)
    assert time.monotonic() - started < DELIVERY_RETRY_BOUND, "delivery retries must be bounded"
    assert_no_user(app, username)


def test_failing_webhook_fails_admin_create_user_invitation(start_cognate, sms_sink):
    sms_sink.fail(503)
    server = sms_server(start_cognate, sms_sink.url)
    app = make_app(server.idp())
    username, phone = unique_name("uninvited"), unique_phone()
    with pytest.raises(Exception) as err:
        app.idp.admin_create_user(
            UserPoolId=app.pool_id, Username=username, DesiredDeliveryMediums=["SMS"],
            UserAttributes=[{"Name": "phone_number", "Value": phone}])
    assert error_code(err.value) == "CodeDeliveryFailureException"
    assert sms_sink.requests(phone), "the webhook was never called"
