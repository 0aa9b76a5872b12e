"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/.

Run with the conformance suite's virtual environment (it reads the valid request of every
implemented operation from tests/conformance/test_negative.py):

    .venv/bin/python fuzz/make_corpus.py

The request seeds name the fuzz harness's live fixture with placeholders ($POOL, $CLIENT,
$USER, $ACCESS, $REFRESH; see fuzz_targets/request.rs). Seeds are named after their content,
so running this again only adds what is new.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

import test_negative  # noqa: E402

PREFIX = "AWSCognitoIdentityProviderService."
CORPUS = ROOT / "fuzz" / "corpus"


class Fixture:
    """The harness's placeholders in place of the conformance fixtures."""

    def __getattr__(self, name: str) -> str:
        if name in ("pool_id", "pool_to_delete", "pool_to_update"):
            return "$POOL"
        if name.startswith("client_"):
            return "$CLIENT"
        if "refresh" in name:
            return "$REFRESH"
        if name.startswith("token_") or name == "access_token":
            return "$ACCESS"
        if "session" in name:
            return "not-a-session"
        if "email" in name:
            return "new-fuzzer@example.com"
        if name.startswith("new_") or name.endswith("_name"):
            return "fuzz-new"
        if "group" in name:
            return "fuzzgroup"
        return "$USER"


def write(target: str, data: bytes) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def request_seeds() -> None:
    for op, body in sorted(test_negative.base_requests(Fixture()).items()):
        write("request", f"{PREFIX}{op}\n{json.dumps(body)}".encode())
    # The protocol's own edges: no target, unknown and unimplemented operations, bad JSON.
    for data in [
        b'{"UserPoolId": "$POOL"}',
        f'{PREFIX}NoSuchOperation\n{{}}'.encode(),
        f'{PREFIX}AssociateSoftwareToken\n{{"AccessToken": "$ACCESS"}}'.encode(),
        f'{PREFIX}SignUp\n{{"ClientId": "$CLIENT", "Username": '.encode(),
        f'{PREFIX}ListUsers\n{"[" * 200}{"]" * 200}'.encode(),
        f'{PREFIX}InitiateAuth\n{{"AuthFlow": "USER_SRP_AUTH", "ClientId": "$CLIENT", '
        f'"AuthParameters": {{"USERNAME": "$USER", "SRP_A": "abcdef0123"}}}}'.encode(),
        f'{PREFIX}InitiateAuth\n{{"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": "$CLIENT", '
        f'"AuthParameters": {{"REFRESH_TOKEN": "$REFRESH"}}}}'.encode(),
        f'{PREFIX}InitiateAuth\n{{"AuthFlow": "CUSTOM_AUTH", "ClientId": "$CLIENT", '
        f'"AuthParameters": {{"USERNAME": "$USER"}}}}'.encode(),
    ]:
        write("request", data)


def filter_seeds() -> None:
    for text in ['email = "a@example.com"', 'username ^= "fuzz"', 'cognito:user_status = "CONFIRMED"',
                 'name = "a \\"quoted\\" name"', 'phone_number^="+1"', '', '   ', 'status = "Enabled"',
                 'sub = "', 'given_name =', '=""', 'email ^= "\\\\"']:
        write("list_users_filter", text.encode())


def sigv4_seeds() -> None:
    auth = ("authorization: AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20240305/us-east-1/cognito-idp/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)
    write("sigv4", f"\0{auth}\nx-amz-date: 20240305T090403Z\nhost: 127.0.0.1:9229\n\n{{}}".encode())
    write("sigv4", f"\0{auth}\nx-amz-date: 20240305T090403Z\nx-amz-content-sha256: UNSIGNED-PAYLOAD\n\n{{}}".encode())
    write("sigv4", b"\0authorization: AWS4-HMAC-SHA256 Credential=/x, SignedHeaders=, Signature=\n\n")
    write("sigv4", b"\x01/\ncontent-type: application/x-amz-json-1.1\n{\"MaxResults\": 10}")
    write("sigv4", "\x01/?b=2&a=1&c=%20x\nX-Custom-Header:  a  b \n{\"PoolName\": \"caf\u00e9\"}".encode())


def trigger_seeds() -> None:
    for kind in range(10):
        for version in (0, 0x80):
            write("trigger_response", bytes([kind | version]) + b'{"response": {}}')
    responses = [
        {"autoConfirmUser": True, "autoVerifyEmail": True, "autoVerifyPhone": False},
        {"smsMessage": "code {####}", "emailMessage": "code {####}", "emailSubject": "s"},
        {"claimsOverrideDetails": {"claimsToAddOrOverride": {"a": "b"}, "claimsToSuppress": ["c"],
                                   "groupOverrideDetails": {"groupsToOverride": ["g"]}}},
        {"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToAddOrOverride": {"n": 1}},
                                           "accessTokenGeneration": {"scopesToAdd": ["x"]}}},
        {"userAttributes": {"email": "a@example.com"}, "finalUserStatus": "CONFIRMED",
         "messageAction": "SUPPRESS"},
        {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False},
        {"publicChallengeParameters": {"q": "1+1"}, "privateChallengeParameters": {"a": "2"},
         "challengeMetadata": "m"},
        {"answerCorrect": True},
    ]
    for kind, response in zip([0, 2, 5, 0x85, 6, 7, 8, 9], responses):
        write("trigger_response", bytes([kind]) + json.dumps({"response": response}).encode())


if __name__ == "__main__":
    request_seeds()
    filter_seeds()
    sigv4_seeds()
    trigger_seeds()
    for folder in sorted(CORPUS.iterdir()):
        print(f"{folder.name}: {len(list(folder.iterdir()))} seeds")
