"""Second factors, choice-based sign-in and autoSignIn through Amplify JS v6 (aws-amplify
6.22.1), the client most web apps use.

node/amplify_flow.js runs a list of ``aws-amplify/auth`` calls in one Node process and one
Amplify session (sign-in is Amplify's default USER_SRP_AUTH unless a step names another
authFlowType) and prints what each returned, plus every request Amplify sent. These tests check
that what cognate answers is what Amplify needs to walk its steps:

* MFA: setUpTOTP / verifyTOTPSetup / updateMFAPreference / fetchMFAPreference, and signIn →
  CONFIRM_SIGN_IN_WITH_TOTP_CODE, CONTINUE_SIGN_IN_WITH_TOTP_SETUP, CONFIRM_SIGN_IN_WITH_SMS_CODE,
  CONFIRM_SIGN_IN_WITH_EMAIL_CODE and CONTINUE_SIGN_IN_WITH_MFA_SELECTION → confirmSignIn →
  signed in;
* choice-based sign-in (authFlowType USER_AUTH, InitiateAuth USER_AUTH; boto3 side in
  test_user_auth.py): a preferredChallenge EMAIL_OTP → CONFIRM_SIGN_IN_WITH_EMAIL_CODE, and
  CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION → confirmSignIn(EMAIL_OTP | PASSWORD |
  PASSWORD_SRP) → the code or CONFIRM_SIGN_IN_WITH_PASSWORD → signed in;
* autoSignIn: signUp → confirmSignUp → COMPLETE_AUTO_SIGN_IN → autoSignIn(), with USER_AUTH
  (InitiateAuth with the Session ConfirmSignUp returned) and with the password (SRP);
* devices (boto3 / pycognito side in test_devices.py): NewDeviceMetadata → Amplify's own
  ConfirmDevice → rememberDevice / fetchDevices / forgetDevice; after a local signOut (which
  keeps Amplify's device keys) a remembered device answers DEVICE_SRP_AUTH and
  DEVICE_PASSWORD_VERIFIER in place of the TOTP code; a device forgotten on the server
  ("Device does not exist.") is dropped by Amplify, which answers PASSWORD_VERIFIER again.

Amplify maps Cognito's challenge names, parameters and error names itself, so a wrong member
name or shape shows up here as a wrong nextStep or a thrown error, even where boto3
(test_mfa.py, test_user_auth.py) is satisfied.

Codes: TOTP codes come from the driver's ``totp`` step (the next 30 s step after a
VerifySoftwareToken, which spends the current one) or from pyotp; an SMS or email code sent
mid-flow (MFA and sign-up codes have six digits, passwordless sign-in codes eight) is read from
cognate's outbox while node waits in a ``waitForFile`` step; the same step lets a test make a
boto3 call between two Amplify calls (``amplify(..., meanwhile=...)``).

The node packages are pinned in node/package.json and installed by scripts/test.sh; the tests
skip only when node or node/node_modules is missing, and fail instead under
``COGNATE_REQUIRE_NODE=1`` (CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import pyotp
import pytest

from helpers import (PASSWORD, App, confirmed_user, decode_jwt_unverified, make_app, masked_email, unique_email,
                     unique_name)

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "amplify_flow.js"
NODE_TIMEOUT = 60.0
CODE_TIMEOUT = 20.0  # seconds to wait for a mid-flow code in the outbox

SNS = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": "cognate-tests"}
TOTP_ONLY = {"SoftwareTokenMfaConfiguration": {"Enabled": True}}
# Amplify signs in with SRP and refreshes; the password flow is for the boto3 set-up steps.
AMPLIFY_CLIENT = {
    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
}
SIGNED_IN = {"isSignedIn": True, "nextStep": {"signInStep": "DONE"}}


def _missing(reason: str) -> None:
    # CI sets COGNATE_REQUIRE_NODE=1: there a missing client is a failure, never a skip.
    if os.environ.get("COGNATE_REQUIRE_NODE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None:
        _missing("node is not installed (scripts/test.sh installs the JS clients when it is)")
    if not (NODE_DIR / "node_modules" / "aws-amplify").is_dir():
        _missing(f"aws-amplify is not installed: run `npm ci` in {NODE_DIR}")
    return executable


def mfa_app(idp: Any, mode: str = "OPTIONAL", **config: Any) -> App:
    app = make_app(idp, client=AMPLIFY_CLIENT)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration=mode, **(config or TOTP_ONLY))
    return app


def set_up_app(app: App, username: str, password: str = PASSWORD) -> str:
    """Pairs an authenticator app with boto3 and makes it preferred; returns the secret.

    Spends the current 30 s step: the next sign-in must use the next step's code."""
    access = app.tokens(username, password)["AccessToken"]
    secret = app.idp.associate_software_token(AccessToken=access)["SecretCode"]
    verified = app.idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now(),
                                             FriendlyDeviceName="my phone")
    assert verified["Status"] == "SUCCESS"
    app.idp.set_user_mfa_preference(AccessToken=access,
                                    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return secret


def last_outbox_id(server: Any, recipient: str) -> int:
    entries = server.outbox(to=recipient)
    return entries[-1]["id"] if entries else 0


def amplify(node: str, server: Any, app: App, steps: list[dict], *,
            code_to: Path | None = None, code_from: tuple[str, int] | None = None,
            code_re: re.Pattern[str] | None = None,
            meanwhile: Callable[[], str | None] | None = None) -> dict:
    """Run node/amplify_flow.js (with a request trace); returns its one JSON line, parsed.

    With ``code_from=(recipient, after_id)`` the newest outbox code for ``recipient`` newer
    than ``after_id`` is written to ``code_to`` once it appears, for a ``waitForFile`` step:
    the entry's ``code``, or with ``code_re`` the first group that pattern finds in its body.
    With ``meanwhile`` (in place of ``code_from``) that function is polled while node runs and
    the first string it returns is written to ``code_to``: a test's own mid-run step (a boto3
    call between two Amplify calls) that a ``waitForFile`` step waits for.
    """
    request = {"endpoint": server.url, "userPoolId": app.pool_id, "clientId": app.client_id,
               "steps": steps, "trace": True, "timeoutMs": int(NODE_TIMEOUT * 1000) - 5000}
    with tempfile.TemporaryFile("w+") as stdin:
        stdin.write(json.dumps(request))
        stdin.seek(0)
        proc = subprocess.Popen([node, str(SCRIPT)], stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=NODE_DIR)
    if code_from is not None:
        assert meanwhile is None
        recipient, after_id = code_from

        def outbox_code() -> str | None:
            fresh = [e for e in server.outbox(to=recipient) if e["id"] > after_id]
            if not fresh:
                return None
            if code_re is None:
                return fresh[-1]["code"]
            match = code_re.search(fresh[-1]["body"] or "")
            assert match, f"no code in outbox body {fresh[-1]['body']!r}"
            return match.group(1)
        meanwhile = outbox_code
    try:
        if meanwhile is not None:
            assert code_to is not None
            deadline = time.monotonic() + CODE_TIMEOUT
            while proc.poll() is None and time.monotonic() < deadline:
                value = meanwhile()
                if value is not None:
                    scratch = code_to.with_suffix(".tmp")
                    scratch.write_text(value)
                    scratch.rename(code_to)  # node never reads a half-written file
                    break
                time.sleep(0.1)
        stdout, stderr = proc.communicate(timeout=NODE_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, f"node exited {proc.returncode}\n{stderr}"
    lines = stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one JSON line, got {stdout!r}\n{stderr}"
    return json.loads(lines[0])


def outputs(result: dict) -> list[Any]:
    """Each step's output, after asserting the whole run went through."""
    assert result["ok"], json.dumps(result, indent=1)
    return [step.get("output") for step in result["results"]]


def sign_in(username: str) -> dict:
    return {"op": "signIn", "username": username, "password": PASSWORD}


# ----------------------------------------------------------------------------- authenticator apps


def test_amplify_sets_up_totp_then_signs_in_with_it(node, cognate):
    idp = cognate.idp()
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "setUpTOTP"},                                                  # 1
        {"op": "totp", "secretFrom": 1},                                      # 2
        {"op": "verifyTOTPSetup", "code": {"fromStep": 2}, "friendlyDeviceName": "my phone"},
        {"op": "updateMFAPreference", "totp": "PREFERRED"},                   # 4
        {"op": "fetchMFAPreference"},                                         # 5
        {"op": "signOut"},                                                    # 6
        sign_in(user.username),                                               # 7
        {"op": "totp", "secretFrom": 1, "wrong": True},                       # 8
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 8}, "expectError": True},
        {"op": "totp", "secretFrom": 1, "offsetSteps": 1},                    # 10
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 10}},       # 11
        {"op": "fetchAuthSession"},                                           # 12
        {"op": "getCurrentUser"},                                             # 13
    ]
    result = amplify(node, cognate, app, steps)
    out = outputs(result)
    assert out[0] == SIGNED_IN
    secret = out[1]["sharedSecret"]
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    # The account name is the ID token's cognito:username; setUpTOTP passes it through
    # JSON.stringify (Amplify's own doing), hence the quotes.
    assert out[1]["setupUri"] == f"otpauth://totp/cognate:%22{user.username}%22?secret={secret}&issuer=cognate"
    assert out[5] == {"enabled": ["TOTP"], "preferred": "TOTP"}
    assert out[7] == {"isSignedIn": False, "nextStep": {"signInStep": "CONFIRM_SIGN_IN_WITH_TOTP_CODE"}}
    wrong = result["results"][9]
    assert wrong["ok"] is False, wrong
    assert wrong["error"] == {"name": "CodeMismatchException", "message": "Invalid code received for user"}
    assert out[11] == SIGNED_IN
    session = out[12]
    assert session["idToken"] and session["accessToken"]
    assert out[13]["username"] == user.username
    assert idp.get_user(AccessToken=session["accessToken"])["Username"] == user.username
    # Amplify answered the challenge it was given, with the code it was given.
    answers = [r["body"] for r in result["requests"] if r["target"] == "RespondToAuthChallenge"
               and r["body"].get("ChallengeName") == "SOFTWARE_TOKEN_MFA"]
    assert [a["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"] for a in answers] == \
        [out[8]["value"], out[10]["value"]]
    got = app.admin_get_user(user.username)
    assert (got["UserMFASettingList"], got["PreferredMfaSetting"]) == (["SOFTWARE_TOKEN_MFA"], "SOFTWARE_TOKEN_MFA")


def test_amplify_sets_up_totp_during_sign_in_when_mfa_is_required(node, cognate):
    idp = cognate.idp()
    app = mfa_app(idp, mode="ON")
    user = confirmed_user(app, cognate)
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "totp", "secretFrom": 0},                                      # 1
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 1}},        # 2
        {"op": "fetchAuthSession"},                                           # 3
    ]
    out = outputs(amplify(node, cognate, app, steps))
    started = out[0]
    assert started["isSignedIn"] is False
    assert started["nextStep"]["signInStep"] == "CONTINUE_SIGN_IN_WITH_TOTP_SETUP", started
    details = started["nextStep"]["totpSetupDetails"]
    assert len(details["sharedSecret"]) == 32
    assert details["setupUri"] == \
        f"otpauth://totp/cognate:{user.username}?secret={details['sharedSecret']}&issuer=cognate"
    assert out[2] == SIGNED_IN
    assert out[3]["accessToken"]
    got = app.admin_get_user(user.username)
    assert got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_amplify_turning_totp_off_lets_sign_in_finish_without_a_code(node, cognate):
    idp = cognate.idp()
    app = mfa_app(idp)
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "totp", "secret": secret, "offsetSteps": 1},                   # 1
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 1}},        # 2
        {"op": "updateMFAPreference", "totp": "DISABLED"},                    # 3
        {"op": "fetchMFAPreference"},                                         # 4
        {"op": "signOut"},                                                    # 5
        sign_in(user.username),                                               # 6
        {"op": "fetchAuthSession"},                                           # 7
    ]
    out = outputs(amplify(node, cognate, app, steps))
    assert out[0]["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE", out[0]
    assert out[2] == SIGNED_IN
    assert out[4] == {}  # nothing enabled, nothing preferred
    assert out[6] == SIGNED_IN
    assert out[7]["accessToken"]
    got = app.admin_get_user(user.username)
    assert "UserMFASettingList" not in got and "PreferredMfaSetting" not in got


# ----------------------------------------------------------------------------- codes sent mid-flow


def test_amplify_sms_mfa_sends_a_code_and_confirm_sign_in_takes_it(node, cognate, tmp_path):
    idp = cognate.idp()
    app = make_app(idp, pool={"MfaConfiguration": "OPTIONAL", "SmsConfiguration": SNS},
                   client=AMPLIFY_CLIENT)
    user = confirmed_user(app, cognate)
    phone = "+15555550147"
    idp.admin_update_user_attributes(UserPoolId=app.pool_id, Username=user.username,
                                     UserAttributes=[{"Name": "phone_number", "Value": phone}])
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    code_file = tmp_path / "code"
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "waitForFile", "path": str(code_file)},                        # 1
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 1}},        # 2
        {"op": "fetchAuthSession"},                                           # 3
    ]
    result = amplify(node, cognate, app, steps, code_to=code_file,
                     code_from=(phone, last_outbox_id(cognate, phone)))
    out = outputs(result)
    assert out[0] == {"isSignedIn": False, "nextStep": {
        "signInStep": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        "codeDeliveryDetails": {"deliveryMedium": "SMS", "destination": "+*******0147"},
    }}
    assert out[2] == SIGNED_IN
    assert out[3]["accessToken"]
    assert cognate.latest_message(phone)["medium"].upper() == "SMS"


def test_amplify_email_mfa_mails_a_code_and_confirm_sign_in_takes_it(node, cognate, tmp_path):
    idp = cognate.idp()
    app = mfa_app(idp, SoftwareTokenMfaConfiguration={"Enabled": True},
                  EmailMfaConfiguration={"Message": "Your sign-in code is {####}", "Subject": "Sign-in code"})
    user = confirmed_user(app, cognate)
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    code_file = tmp_path / "code"
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "waitForFile", "path": str(code_file)},                        # 1
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 1}},        # 2
        {"op": "fetchAuthSession"},                                           # 3
        {"op": "fetchMFAPreference"},                                         # 4
    ]
    result = amplify(node, cognate, app, steps, code_to=code_file,
                     code_from=(user.email, last_outbox_id(cognate, user.email)))
    out = outputs(result)
    started = out[0]
    assert started["isSignedIn"] is False
    assert started["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", started
    delivery = started["nextStep"]["codeDeliveryDetails"]
    assert delivery["deliveryMedium"] == "EMAIL"
    assert delivery["destination"] == masked_email(user.email)
    assert out[2] == SIGNED_IN
    assert out[3]["accessToken"]
    assert out[4] == {"enabled": ["EMAIL"], "preferred": "EMAIL"}
    mail = cognate.latest_message(user.email)
    assert mail["subject"] == "Sign-in code"
    assert mail["body"] == f"Your sign-in code is {out[1]['value']}"


def test_amplify_lets_the_user_choose_between_totp_and_email(node, cognate):
    idp = cognate.idp()
    app = mfa_app(idp, SoftwareTokenMfaConfiguration={"Enabled": True},
                  EmailMfaConfiguration={"Message": "Your code: {####}"})
    user = confirmed_user(app, cognate)
    secret = set_up_app(app, user.username)
    idp.admin_set_user_mfa_preference(UserPoolId=app.pool_id, Username=user.username,
                                      EmailMfaSettings={"Enabled": True},
                                      SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False})
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "confirmSignIn", "challengeResponse": "TOTP"},                 # 1
        {"op": "totp", "secret": secret, "offsetSteps": 1},                   # 2
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 2}},        # 3
        {"op": "fetchMFAPreference"},                                         # 4
    ]
    result = amplify(node, cognate, app, steps)
    out = outputs(result)
    assert out[0] == {"isSignedIn": False, "nextStep": {
        "signInStep": "CONTINUE_SIGN_IN_WITH_MFA_SELECTION", "allowedMFATypes": ["TOTP", "EMAIL"]}}
    assert out[1] == {"isSignedIn": False, "nextStep": {"signInStep": "CONFIRM_SIGN_IN_WITH_TOTP_CODE"}}
    assert out[3] == SIGNED_IN
    assert out[4] == {"enabled": ["TOTP", "EMAIL"]}
    selected = [r["body"] for r in result["requests"] if r["target"] == "RespondToAuthChallenge"
                and r["body"].get("ChallengeName") == "SELECT_MFA_TYPE"]
    assert [s["ChallengeResponses"]["ANSWER"] for s in selected] == ["SOFTWARE_TOKEN_MFA"]


# -------------------------------------------------------------- choice-based sign-in (USER_AUTH)
#
# signIn({options: {authFlowType: 'USER_AUTH'}}) sends InitiateAuth USER_AUTH; Cognito answers
# SELECT_CHALLENGE with the top-level AvailableChallenges (Amplify's
# CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION), or with PREFERRED_CHALLENGE the chosen factor
# straight away. Passwordless sign-in codes have eight digits (test_user_auth.py has the boto3
# side).

CHOICE_CLIENT = {
    "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
}
EMAIL_FIRST = {"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}
EIGHT_DIGITS = re.compile(r"\b(\d{8})\b")
SIX_DIGITS = re.compile(r"\b(\d{6})\b")


def choice_app(idp: Any) -> App:
    return make_app(idp, pool=EMAIL_FIRST, client=CHOICE_CLIENT)


def user_auth_sign_in(username: str, **options: str) -> dict:
    return {"op": "signIn", "username": username, "authFlowType": "USER_AUTH", **options}


def sent(result: dict, target: str) -> list[dict]:
    """The bodies of the requests Amplify sent to ``target``, in order."""
    return [r["body"] for r in result["requests"] if r["target"] == target]


def email_code_step(email: str) -> dict:
    return {"isSignedIn": False, "nextStep": {
        "signInStep": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "codeDeliveryDetails": {"deliveryMedium": "EMAIL", "destination": masked_email(email)},
    }}


def test_amplify_user_auth_with_a_preferred_email_code_signs_in(node, cognate, tmp_path):
    app = choice_app(cognate.idp())
    user = confirmed_user(app, cognate)
    code_file = tmp_path / "code"
    steps = [
        user_auth_sign_in(user.username, preferredChallenge="EMAIL_OTP"),    # 0
        {"op": "waitForFile", "path": str(code_file)},                        # 1
        {"op": "confirmSignIn", "challengeResponse": "00000000", "expectError": True},
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 1}},        # 3
        {"op": "fetchAuthSession"},                                           # 4
        {"op": "getCurrentUser"},                                             # 5
    ]
    result = amplify(node, cognate, app, steps, code_to=code_file, code_re=EIGHT_DIGITS,
                     code_from=(user.email, last_outbox_id(cognate, user.email)))
    out = outputs(result)
    assert out[0] == email_code_step(user.email)
    code = out[1]["value"]
    assert re.fullmatch(r"\d{8}", code)
    wrong = result["results"][2]
    assert wrong["ok"] is False and wrong["error"]["name"] == "CodeMismatchException", wrong
    assert out[3] == SIGNED_IN
    assert out[4]["idToken"] and out[4]["accessToken"]
    assert out[5]["username"] == user.username
    assert out[5]["signInDetails"] == {"loginId": user.username, "authFlowType": "USER_AUTH"}
    [started] = sent(result, "InitiateAuth")
    assert started["AuthFlow"] == "USER_AUTH"
    assert started["AuthParameters"] == {"USERNAME": user.username, "PREFERRED_CHALLENGE": "EMAIL_OTP"}
    answers = sent(result, "RespondToAuthChallenge")
    assert [(a["ChallengeName"], a["ChallengeResponses"]) for a in answers] == [
        ("EMAIL_OTP", {"USERNAME": user.username, "EMAIL_OTP_CODE": "00000000"}),
        ("EMAIL_OTP", {"USERNAME": user.username, "EMAIL_OTP_CODE": code}),
    ]


def test_amplify_user_auth_lets_the_user_pick_an_email_code(node, cognate, tmp_path):
    app = choice_app(cognate.idp())
    user = confirmed_user(app, cognate)
    code_file = tmp_path / "code"
    steps = [
        user_auth_sign_in(user.username),                                     # 0
        {"op": "confirmSignIn", "challengeResponse": "EMAIL_OTP"},            # 1
        {"op": "waitForFile", "path": str(code_file)},                        # 2
        {"op": "confirmSignIn", "challengeResponse": {"fromStep": 2}},        # 3
        {"op": "fetchAuthSession"},                                           # 4
    ]
    result = amplify(node, cognate, app, steps, code_to=code_file, code_re=EIGHT_DIGITS,
                     code_from=(user.email, last_outbox_id(cognate, user.email)))
    out = outputs(result)
    assert out[0] == {"isSignedIn": False, "nextStep": {
        "signInStep": "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION",
        "availableChallenges": ["PASSWORD_SRP", "PASSWORD", "EMAIL_OTP"],
    }}
    assert out[1] == email_code_step(user.email)
    assert out[3] == SIGNED_IN
    assert out[4]["accessToken"]
    [started] = sent(result, "InitiateAuth")
    assert (started["AuthFlow"], started["AuthParameters"]) == ("USER_AUTH", {"USERNAME": user.username})
    answers = sent(result, "RespondToAuthChallenge")
    assert [(a["ChallengeName"], a["ChallengeResponses"]) for a in answers] == [
        ("SELECT_CHALLENGE", {"USERNAME": user.username, "ANSWER": "EMAIL_OTP"}),
        ("EMAIL_OTP", {"USERNAME": user.username, "EMAIL_OTP_CODE": out[2]["value"]}),
    ]


@pytest.mark.parametrize("factor", ["PASSWORD", "PASSWORD_SRP"])
def test_amplify_user_auth_lets_the_user_pick_a_password(node, cognate, factor):
    app = choice_app(cognate.idp())
    user = confirmed_user(app, cognate)
    steps = [
        user_auth_sign_in(user.username),                                     # 0
        {"op": "confirmSignIn", "challengeResponse": factor},                 # 1: no request
        {"op": "confirmSignIn", "challengeResponse": PASSWORD},               # 2
        {"op": "fetchAuthSession"},                                           # 3
        {"op": "signOut"},                                                    # 4
        # The factor named up front, the password with it: one step.
        user_auth_sign_in(user.username, preferredChallenge=factor, password=PASSWORD),
        {"op": "fetchAuthSession"},                                           # 6
    ]
    result = amplify(node, cognate, app, steps)
    out = outputs(result)
    assert out[0]["nextStep"]["signInStep"] == "CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION", out[0]
    assert out[1] == {"isSignedIn": False, "nextStep": {"signInStep": "CONFIRM_SIGN_IN_WITH_PASSWORD"}}
    assert out[2] == SIGNED_IN
    assert out[3]["accessToken"]
    assert out[5] == SIGNED_IN
    assert out[6]["accessToken"] and out[6]["accessToken"] != out[3]["accessToken"]
    initiated = sent(result, "InitiateAuth")
    assert [i["AuthFlow"] for i in initiated] == ["USER_AUTH", "USER_AUTH"]
    assert initiated[1]["AuthParameters"]["PREFERRED_CHALLENGE"] == factor
    answers = sent(result, "RespondToAuthChallenge")
    names = [(a["ChallengeName"], a["ChallengeResponses"].get("ANSWER")) for a in answers]
    if factor == "PASSWORD":
        assert initiated[1]["AuthParameters"]["PASSWORD"] == PASSWORD
        assert names == [("SELECT_CHALLENGE", "PASSWORD")]
        assert answers[0]["ChallengeResponses"]["PASSWORD"] == PASSWORD
    else:
        assert "SRP_A" in initiated[1]["AuthParameters"] and "PASSWORD" not in initiated[1]["AuthParameters"]
        assert names == [("SELECT_CHALLENGE", "PASSWORD_SRP"), ("PASSWORD_VERIFIER", None),
                         ("PASSWORD_VERIFIER", None)]
        assert "SRP_A" in answers[0]["ChallengeResponses"]


# ---------------------------------------------------------------------- autoSignIn after sign-up
#
# signUp({options: {autoSignIn}}) → confirmSignUp → COMPLETE_AUTO_SIGN_IN → autoSignIn(). With
# authFlowType USER_AUTH Amplify signs in with the Session ConfirmSignUp returned (no password
# sent); with autoSignIn: true it signs in again with the password (SRP).


def _sign_up_then_auto_sign_in(node: str, cognate: Any, app: App, auto_sign_in: Any,
                               tmp_path: Path) -> tuple[dict, list[Any], str, str]:
    username = unique_name()
    email = unique_email(username)
    code_file = tmp_path / "code"
    steps = [
        {"op": "signUp", "username": username, "password": PASSWORD,
         "attributes": {"email": email}, "autoSignIn": auto_sign_in},        # 0
        {"op": "waitForFile", "path": str(code_file)},                        # 1
        {"op": "confirmSignUp", "username": username, "code": {"fromStep": 1}},
        {"op": "autoSignIn"},                                                 # 3
        {"op": "fetchAuthSession"},                                           # 4
        {"op": "getCurrentUser"},                                             # 5
    ]
    result = amplify(node, cognate, app, steps, code_to=code_file, code_re=SIX_DIGITS,
                     code_from=(email, 0))
    out = outputs(result)
    assert out[0]["isSignUpComplete"] is False
    assert out[0]["nextStep"] == {"signUpStep": "CONFIRM_SIGN_UP", "codeDeliveryDetails": {
        "destination": masked_email(email), "deliveryMedium": "EMAIL", "attributeName": "email"}}
    assert out[2] == {"isSignUpComplete": True, "nextStep": {"signUpStep": "COMPLETE_AUTO_SIGN_IN"}}
    assert out[3] == SIGNED_IN
    assert out[4]["idToken"] and out[4]["accessToken"]
    assert out[4]["userSub"] == out[0]["userId"]
    assert out[5]["username"] == username
    assert app.admin_get_user(username)["UserStatus"] == "CONFIRMED"
    return result, out, username, email


def test_amplify_auto_sign_in_with_user_auth_uses_the_confirm_sign_up_session(node, cognate, tmp_path):
    app = choice_app(cognate.idp())
    result, _, username, _ = _sign_up_then_auto_sign_in(
        node, cognate, app, {"authFlowType": "USER_AUTH"}, tmp_path)
    [started] = sent(result, "InitiateAuth")
    assert started["AuthFlow"] == "USER_AUTH"
    assert started["AuthParameters"] == {"USERNAME": username}
    assert started["Session"]
    assert sent(result, "RespondToAuthChallenge") == []


def test_amplify_auto_sign_in_signs_in_with_the_password(node, cognate, tmp_path):
    app = make_app(cognate.idp(), client=AMPLIFY_CLIENT)
    result, _, username, _ = _sign_up_then_auto_sign_in(node, cognate, app, True, tmp_path)
    [started] = sent(result, "InitiateAuth")
    assert started["AuthFlow"] == "USER_SRP_AUTH"
    assert started["AuthParameters"]["USERNAME"] == username and "SRP_A" in started["AuthParameters"]
    assert "Session" not in started
    assert [a["ChallengeName"] for a in sent(result, "RespondToAuthChallenge")] == ["PASSWORD_VERIFIER"]


# ----------------------------------------------------------------------------- device tracking
#
# On a pool with a DeviceConfiguration every sign-in that names no device gets NewDeviceMetadata;
# Amplify then calls ConfirmDevice itself (the device's SRP verifier, DeviceName from
# navigator.userAgent, which the driver stubs) and keeps deviceKey, deviceGroupKey and
# randomPassword in its key-value storage under "<clientId>.<username>". signOut (local or global)
# clears only the tokens, so the next signIn sends DEVICE_KEY in its PASSWORD_VERIFIER answer;
# where a second factor is due on a remembered device it answers DEVICE_SRP_AUTH and
# DEVICE_PASSWORD_VERIFIER instead, and on "Device does not exist." it drops the device and
# answers PASSWORD_VERIFIER again, with the same Session (boto3 / pycognito side: test_devices.py).

# What the driver's navigator stub makes Amplify's getDeviceName() return.
DEVICE_NAME = "cognate-conformance amplify_flow.js"


def device_app(idp: Any, *, prompt: bool, mfa: str | None = None) -> App:
    app = make_app(idp, pool={"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True,
                                                      "DeviceOnlyRememberedOnUserPrompt": prompt}},
                   client=AMPLIFY_CLIENT)
    if mfa is not None:
        idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration=mfa, **TOTP_ONLY)
    return app


def admin_devices(app: App, username: str) -> list[dict]:
    return app.idp.admin_list_devices(UserPoolId=app.pool_id, Username=username)["Devices"]


def device_attributes(device: dict) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}


def challenge_answers(result: dict) -> list[tuple[str, int, dict]]:
    """(ChallengeName, HTTP status, ChallengeResponses) of each RespondToAuthChallenge sent."""
    return [(r["body"]["ChallengeName"], r["status"], r["body"]["ChallengeResponses"])
            for r in result["requests"] if r["target"] == "RespondToAuthChallenge"]


def test_amplify_confirms_remembers_lists_and_forgets_its_device(node, cognate, tmp_path):
    app = device_app(cognate.idp(), prompt=True)
    user = confirmed_user(app, cognate)
    seen: dict[str, Any] = {}

    def remembered_on_the_server() -> str | None:
        devices = admin_devices(app, user.username)
        if any(device_attributes(d).get("dev:device_remembered_status") == "remembered" for d in devices):
            seen["devices"] = devices
            return "remembered"
        return None

    flag = tmp_path / "remembered"
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "deviceMetadata"},                                             # 1
        {"op": "fetchDevices"},                                               # 2
        {"op": "rememberDevice"},                                             # 3
        {"op": "fetchDevices"},                                               # 4
        {"op": "waitForFile", "path": str(flag), "timeoutMs": 15000},         # 5: boto3 looks
        {"op": "forgetDevice"},                                               # 6
        {"op": "fetchDevices"},                                               # 7
        {"op": "deviceMetadata"},                                             # 8
    ]
    result = amplify(node, cognate, app, steps, code_to=flag, meanwhile=remembered_on_the_server)
    out = outputs(result)
    assert out[0] == SIGNED_IN
    key = out[1]["deviceKey"]
    assert key.startswith(f"{app.pool_id.split('_')[0]}_") and out[1]["deviceGroupKey"] and out[1]["randomPassword"]
    # Amplify confirmed the device Cognito announced, with its own SRP verifier.
    [confirm] = sent(result, "ConfirmDevice")
    assert confirm["DeviceKey"] == key and confirm["DeviceName"] == DEVICE_NAME
    assert set(confirm["DeviceSecretVerifierConfig"]) == {"PasswordVerifier", "Salt"}
    assert all(confirm["DeviceSecretVerifierConfig"].values())
    assert [r["status"] for r in result["requests"] if r["target"] == "ConfirmDevice"] == [200]
    # DeviceOnlyRememberedOnUserPrompt: known, not remembered until the user says so.
    [before] = out[2]
    assert (before["id"], before["name"]) == (key, DEVICE_NAME)
    assert before["attributes"]["dev:device_remembered_status"] == "not_remembered"
    assert sent(result, "UpdateDeviceStatus") == [{"AccessToken": confirm["AccessToken"], "DeviceKey": key,
                                                   "DeviceRememberedStatus": "remembered"}]
    [after] = out[4]
    assert (after["id"], after["name"]) == (key, DEVICE_NAME)
    assert after["attributes"] == {"device_status": "valid", "device_name": DEVICE_NAME,
                                   "dev:device_remembered_status": "remembered"}
    assert after["createDate"] and after["lastModifiedDate"] and after["lastAuthenticatedDate"]
    [listed] = seen["devices"]
    assert listed["DeviceKey"] == key
    assert device_attributes(listed)["device_name"] == DEVICE_NAME
    assert device_attributes(listed)["dev:device_remembered_status"] == "remembered"
    assert [f["DeviceKey"] for f in sent(result, "ForgetDevice")] == [key]
    assert out[7] == []
    assert out[8] is None  # Amplify dropped the keys of the device it forgot
    assert admin_devices(app, user.username) == []


def test_amplify_on_a_remembered_device_skips_the_authenticator_app(node, cognate):
    app = device_app(cognate.idp(), prompt=False, mfa="OPTIONAL")
    user = confirmed_user(app, cognate)
    steps = [
        sign_in(user.username),                                               # 0: device confirmed
        {"op": "deviceMetadata"},                                             # 1
        {"op": "setUpTOTP"},                                                  # 2
        {"op": "totp", "secretFrom": 2},                                      # 3
        {"op": "verifyTOTPSetup", "code": {"fromStep": 3}},                   # 4
        {"op": "updateMFAPreference", "totp": "PREFERRED"},                   # 5
        {"op": "signOut"},                                                    # 6: local; keys stay
        sign_in(user.username),                                               # 7: no TOTP step
        {"op": "deviceMetadata"},                                             # 8
        {"op": "fetchAuthSession"},                                           # 9
    ]
    result = amplify(node, cognate, app, steps)
    out = outputs(result)
    assert out[0] == SIGNED_IN
    device = out[1]
    assert out[7] == SIGNED_IN
    assert out[8] == device
    assert decode_jwt_unverified(out[9]["accessToken"])["device_key"] == device["deviceKey"]
    key = device["deviceKey"]
    answers = challenge_answers(result)
    assert [(name, status) for name, status, _ in answers] == [
        ("PASSWORD_VERIFIER", 200),                  # first sign-in: no device yet
        ("PASSWORD_VERIFIER", 200),                  # second: names the device ...
        ("DEVICE_SRP_AUTH", 200),                    # ... which proves itself
        ("DEVICE_PASSWORD_VERIFIER", 200),
    ]
    assert "DEVICE_KEY" not in answers[0][2]
    assert [a[2]["DEVICE_KEY"] for a in answers[1:]] == [key, key, key]
    assert "SRP_A" in answers[2][2]
    assert {"PASSWORD_CLAIM_SIGNATURE", "PASSWORD_CLAIM_SECRET_BLOCK", "TIMESTAMP"} <= set(answers[3][2])
    assert [c["DeviceKey"] for c in sent(result, "ConfirmDevice")] == [key]
    # The second factor was due: without the device Cognito asks for the code.
    got = app.admin_get_user(user.username)
    assert got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert app.password_auth(user.username)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    [listed] = admin_devices(app, user.username)
    assert device_attributes(listed)["dev:device_remembered_status"] == "remembered"


def test_amplify_drops_a_device_forgotten_on_the_server_and_signs_in_again(node, cognate, tmp_path):
    app = device_app(cognate.idp(), prompt=False)
    user = confirmed_user(app, cognate)
    forgotten: list[str] = []

    def forget_it() -> str | None:
        # Only once Amplify has confirmed it (ConfirmDevice names it), so ConfirmDevice never races.
        named = [d for d in admin_devices(app, user.username) if "device_name" in device_attributes(d)]
        if not named:
            return None
        for device in named:
            app.idp.admin_forget_device(UserPoolId=app.pool_id, Username=user.username,
                                        DeviceKey=device["DeviceKey"])
            forgotten.append(device["DeviceKey"])
        return "forgotten"

    flag = tmp_path / "forgotten"
    steps = [
        sign_in(user.username),                                               # 0
        {"op": "deviceMetadata"},                                             # 1
        {"op": "signOut"},                                                    # 2
        {"op": "waitForFile", "path": str(flag), "timeoutMs": 15000},         # 3: AdminForgetDevice
        sign_in(user.username),                                               # 4
        {"op": "deviceMetadata"},                                             # 5
    ]
    result = amplify(node, cognate, app, steps, code_to=flag, meanwhile=forget_it)
    out = outputs(result)
    old = out[1]["deviceKey"]
    assert forgotten == [old]
    assert out[4] == SIGNED_IN
    new = out[5]["deviceKey"]
    assert new != old
    answers = challenge_answers(result)
    assert [(name, status, responses.get("DEVICE_KEY")) for name, status, responses in answers] == [
        ("PASSWORD_VERIFIER", 200, None),
        ("PASSWORD_VERIFIER", 400, old),             # "Device does not exist."
        ("PASSWORD_VERIFIER", 200, None),            # Amplify's retry, without the device
    ]
    retried = [r["body"] for r in result["requests"] if r["target"] == "RespondToAuthChallenge"]
    assert retried[1]["Session"] == retried[2]["Session"]
    assert [c["DeviceKey"] for c in sent(result, "ConfirmDevice")] == [old, new]
    assert [d["DeviceKey"] for d in admin_devices(app, user.username)] == [new]
