"""The AWS JSON 1.1 wire protocol, checked with plain HTTP (requests / http.client).

Unsigned operations (SignUp, InitiateAuth, GetUser) are used for the raw requests so that
an Authorization check on signed operations cannot mask the behaviour under test.
"""

from __future__ import annotations

import http.client
import json
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from helpers import RawCapture, make_pool

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
ONE_MIB = 1024 * 1024


def post(url: str, operation: str | None, body: bytes | str | dict,
         headers: dict[str, str] | None = None) -> requests.Response:
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    all_headers = {"Content-Type": CONTENT_TYPE}
    if operation is not None:
        all_headers["X-Amz-Target"] = TARGET_PREFIX + operation
    all_headers.update(headers or {})
    return requests.post(url + "/", data=data, headers=all_headers, timeout=30)


def error_type(response: requests.Response) -> str:
    """``__type`` cleaned the way botocore does (drop ``:...`` and ``...#``)."""
    raw = response.json()["__type"]
    return raw.split(":", 1)[0].rsplit("#", 1)[-1]


def assert_aws_error(response: requests.Response, expected_type: str | None = None,
                     status: int = 400) -> str:
    """The error shape botocore and the Smithy SDKs read; returns the cleaned type."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers.get("Content-Type", "").startswith(CONTENT_TYPE)
    assert response.headers.get("x-amzn-RequestId"), dict(response.headers)
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("__type"), str) and body["__type"], body
    assert isinstance(body.get("message"), str), body
    cleaned = error_type(response)
    header = response.headers.get("x-amzn-ErrorType", "")
    assert header.split(":", 1)[0].rsplit("#", 1)[-1] == cleaned, (header, body)
    if expected_type is not None:
        assert cleaned == expected_type, body
    return cleaned


# --------------------------------------------------------------------------- binary contract


def test_start_line_names_version_address_and_data_dir(cognate):
    match = re.fullmatch(r"cognate (\S+) listening on (http://127\.0\.0\.1:(\d+)) data-dir (.+)",
                         cognate.start_line)
    assert match, cognate.start_line
    assert int(match.group(3)) > 0
    assert match.group(2) == cognate.url
    assert Path(match.group(4)).resolve() == Path(cognate.data_dir).resolve()


def test_sigterm_stops_the_server_with_exit_code_zero(cognate, idp):
    make_pool(idp)
    assert cognate.stop() == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(cognate.url + "/", timeout=5)


# --------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize("body", [b'{"ClientId": ', b"not json at all", b"{'single': 'quotes'}"],
                         ids=["truncated", "garbage", "single-quotes"])
def test_malformed_json_body_is_a_400_serialization_exception(cognate, body):
    response = post(cognate.url, "SignUp", body)
    assert_aws_error(response, "SerializationException")


@pytest.mark.parametrize("body", [
    {"ClientId": 12345, "Username": ["not", "a", "string"], "Password": "x"},
    [1, 2, 3],
    "just a string",
], ids=["wrong-member-types", "array", "string"])
def test_well_formed_json_of_the_wrong_shape_is_a_400_with_an_aws_error(cognate, body):
    response = post(cognate.url, "SignUp", json.dumps(body).encode())
    assert_aws_error(response)


def test_unknown_target_operation_is_unknown_operation_exception(cognate):
    response = post(cognate.url, "NoSuchOperation", {})
    assert_aws_error(response, "UnknownOperationException")


def test_target_of_another_service_is_unknown_operation_exception(cognate):
    response = post(cognate.url, None, {},
                    headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"})
    assert_aws_error(response, "UnknownOperationException")


def test_missing_target_header_is_a_400_with_an_aws_error(cognate):
    response = post(cognate.url, None, {})
    assert_aws_error(response)


def _send_oversized(url: str, size: int) -> tuple[int, dict[str, str], bytes]:
    """POST ``size`` bytes of valid JSON with http.client, tolerating an early close.

    The server may answer before reading the whole body; a write error is then ignored and
    the response is read anyway.
    """
    parts = urlsplit(url)
    filler = "a" * (size - 64)
    body = json.dumps({"ClientId": "abc", "Username": "u", "Password": filler}).encode()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/")
        conn.putheader("Content-Type", CONTENT_TYPE)
        conn.putheader("X-Amz-Target", TARGET_PREFIX + "SignUp")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        try:
            for start in range(0, len(body), 64 * 1024):
                conn.send(body[start:start + 64 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            pass
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_body_over_one_mib_is_a_clean_400_and_the_server_survives(cognate, idp):
    status, headers, raw = _send_oversized(cognate.url, ONE_MIB + 64 * 1024)
    assert status == 400, (status, raw[:300])
    assert headers.get("x-amzn-requestid"), headers
    body = json.loads(raw)
    assert body.get("__type"), body
    assert "message" in body, body
    # still serving, on fresh connections
    assert idp.list_user_pools(MaxResults=10)["UserPools"] == []
    pool = make_pool(idp)
    assert pool["Id"]


# --------------------------------------------------------------------------- headers


def test_successful_response_has_request_id_and_json_content_type(cognate, idp):
    with RawCapture(idp) as raw:
        response = idp.list_user_pools(MaxResults=10)
    assert raw.last.status == 200
    assert raw.last.headers.get("content-type", "").startswith(CONTENT_TYPE)
    request_id = raw.last.headers.get("x-amzn-requestid")
    assert request_id and response["ResponseMetadata"]["RequestId"] == request_id
    uuid.UUID(request_id)
    assert raw.last.json() == {"UserPools": []}


def test_every_response_gets_a_distinct_request_id(cognate, idp):
    ids = {idp.list_user_pools(MaxResults=1)["ResponseMetadata"]["RequestId"] for _ in range(3)}
    ids.add(post(cognate.url, "NoSuchOperation", {}).headers["x-amzn-RequestId"])
    assert len(ids) == 4


def test_operation_without_output_members_returns_an_empty_json_object(cognate, idp):
    pool = make_pool(idp)
    with RawCapture(idp) as raw:
        idp.delete_user_pool(UserPoolId=pool["Id"])
    assert raw.last.status == 200
    assert raw.last.json() == {}
    assert raw.last.headers.get("content-type", "").startswith(CONTENT_TYPE)


def test_error_response_has_type_header_json_body_and_request_id(cognate):
    client_id = "a" * 26
    response = post(cognate.url, "SignUp",
                    {"ClientId": client_id, "Username": "someone", "Password": "Passw0rd!"})
    assert_aws_error(response, "ResourceNotFoundException")
    assert response.json()["message"] == f"User pool client {client_id} does not exist."


def test_invalid_access_token_is_not_authorized_with_status_400(cognate):
    # The reference recommends 400 for every client fault, as the live service answers.
    response = post(cognate.url, "GetUser", {"AccessToken": "abc.def.ghi"})
    assert_aws_error(response, "NotAuthorizedException", status=400)


def test_missing_required_member_is_invalid_parameter(cognate):
    response = post(cognate.url, "SignUp", {"Username": "someone", "Password": "Passw0rd!"})
    assert_aws_error(response, "InvalidParameterException")
    assert "clientid" in response.json()["message"].lower()


def test_timestamps_are_epoch_second_numbers(cognate, idp):
    with RawCapture(idp) as raw:
        idp.create_user_pool(PoolName="timestamps")
    pool = raw.last.json()["UserPool"]
    assert isinstance(pool["CreationDate"], (int, float)), pool["CreationDate"]
    assert isinstance(pool["LastModifiedDate"], (int, float)), pool["LastModifiedDate"]
    assert 1_600_000_000 < pool["CreationDate"] < 4_000_000_000
    assert not any(v is None for v in pool.values()), "unset members must be omitted, not null"


def test_health_and_readiness_probes_answer_without_a_signature(cognate):
    """``GET /health`` (the process answers) and ``GET /ready`` (its database does), for load
    balancers; unsigned, and no other method or a pool-shaped path gets them."""
    health = requests.get(f"{cognate.url}/health", timeout=10)
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = requests.get(f"{cognate.url}/ready", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
    # Only those two GETs: anything else is the API's own error, as before.
    assert requests.post(f"{cognate.url}/health", timeout=10).status_code in (400, 404, 405)
    assert requests.get(f"{cognate.url}/ready/more", timeout=10).status_code in (400, 404)
