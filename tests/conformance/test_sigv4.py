"""SigV4 authentication of the signed (admin) operations.

With ``--admin-credentials-file`` (or ``[[admin_credentials]]`` in the config file), every
signed operation needs a valid SigV4 signature (service ``cognito-idp``, any region) by a
configured key; unsigned operations (SignUp, InitiateAuth, GetUser, ...) need nothing. Keys
may be limited to some pools. Signatures are produced by botocore (boto3, raw
``SigV4Auth`` on an ``AWSRequest`` sent with requests) and by the aws CLI. Without keys,
cognate refuses to listen beyond loopback unless told ``--allow-unauthenticated-admin``.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from harness import START_LINE_RE, AwsCli, AwsCliError, CognateServer, cognate_binary
from helpers import (
    REGION,
    admin_create_user,
    attr_map,
    error_code,
    error_message,
    make_app,
    make_pool,
    sign_up_user,
    unique_name,
)

KEY_ID = "AKIACOGNATEADMIN0001"
SECRET = "cognate-admin-secret-0123456789"
LIMITED_KEY_ID = "AKIACOGNATELIMITED01"
LIMITED_SECRET = "cognate-limited-secret-987654321"
TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"

BAD_SIGNATURE = "The request signature we calculated does not match the signature you provided."


# --------------------------------------------------------------------------- helpers


def credentials_toml(*keys: dict[str, Any], table: str = "credentials") -> str:
    """``[[table]]`` entries for ``{"access_key_id", "secret_access_key", "label", "pools"}``."""
    out = []
    for key in keys:
        out.append(f"[[{table}]]")
        for name, value in key.items():
            out.append(f"{name} = {json.dumps(value)}")  # JSON strings/arrays are valid TOML
        out.append("")
    return "\n".join(out)


ADMIN = {"access_key_id": KEY_ID, "secret_access_key": SECRET, "label": "admin"}


def client(url: str, key: str = KEY_ID, secret: str = SECRET, region: str = REGION) -> Any:
    """A boto3 cognito-idp client signing with ``key``/``secret``."""
    return boto3.client(
        "cognito-idp", endpoint_url=url, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )


def unsigned_client(url: str) -> Any:
    """A boto3 cognito-idp client that sends no Authorization header at all."""
    return boto3.client(
        "cognito-idp", endpoint_url=url, region_name=REGION,
        config=Config(signature_version=botocore.UNSIGNED,
                      retries={"max_attempts": 1, "mode": "standard"}, read_timeout=30),
    )


def signed(url: str, operation: str, body: dict | bytes, *, key: str = KEY_ID,
           secret: str = SECRET, region: str = REGION, headers: dict[str, str] | None = None,
           params: dict[str, str] | None = None, path: str = "/") -> AWSRequest:
    """A POST to ``url + path`` signed by botocore's SigV4Auth (not yet sent)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + operation}
    if headers is not None:
        all_headers = headers
    request = AWSRequest(method="POST", url=url + path, data=data, headers=all_headers,
                         params=params or {})
    SigV4Auth(Credentials(key, secret), "cognito-idp", region).add_auth(request)
    return request


def send(request: AWSRequest, body: bytes | None = None,
         extra_headers: dict[str, str] | None = None) -> requests.Response:
    """Send a signed AWSRequest as is (optionally with another body or more headers)."""
    prepared = request.prepare()
    headers = dict(prepared.headers.items())
    headers.update(extra_headers or {})
    return requests.post(prepared.url, data=prepared.body if body is None else body,
                         headers=headers, timeout=30)


def error_of(response: requests.Response) -> tuple[str, str]:
    """(``__type``, ``message``) of an HTTP 400 AWS JSON error."""
    assert response.status_code == 400, (response.status_code, response.text)
    payload = response.json()
    assert isinstance(payload.get("__type"), str) and isinstance(payload.get("message"), str), payload
    return payload["__type"].split(":", 1)[0].rsplit("#", 1)[-1], payload["message"]


def signed_at(monkeypatch: pytest.MonkeyPatch, url: str, offset: dt.timedelta) -> requests.Response:
    """ListUserPools signed with botocore's clock moved by ``offset``."""
    moved = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + offset
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: moved)
    request = signed(url, "ListUserPools", {"MaxResults": 10})
    monkeypatch.undo()
    assert request.headers["X-Amz-Date"] == moved.strftime("%Y%m%dT%H%M%SZ")
    return send(request)


class KeyedAwsCli(AwsCli):
    """The aws CLI with chosen credentials."""

    def __init__(self, endpoint_url: str, key: str, secret: str):
        super().__init__(endpoint_url)
        self.key, self.secret = key, secret

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update({"AWS_ACCESS_KEY_ID": self.key, "AWS_SECRET_ACCESS_KEY": self.secret})
        return env


@pytest.fixture
def creds_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin-credentials.toml"
    path.write_text(credentials_toml(ADMIN))
    return path


@pytest.fixture
def secured(start_cognate: Any, creds_file: Path) -> CognateServer:
    """A server with one unrestricted admin key."""
    return start_cognate(extra_args=["--admin-credentials-file", str(creds_file)])


@pytest.fixture
def limited(start_cognate: Any, creds_file: Path) -> dict[str, Any]:
    """A server with the admin key and a key limited to pool A (pool B exists too)."""
    server = start_cognate(extra_args=["--admin-credentials-file", str(creds_file)])
    admin = client(server.url)
    pool_a, pool_b = make_pool(admin)["Id"], make_pool(admin)["Id"]
    user_a = unique_name("a")
    user_b = unique_name("b")
    admin.admin_create_user(UserPoolId=pool_a, Username=user_a, MessageAction="SUPPRESS")
    admin.admin_create_user(UserPoolId=pool_b, Username=user_b, MessageAction="SUPPRESS")
    creds_file.write_text(credentials_toml(ADMIN, {
        "access_key_id": LIMITED_KEY_ID, "secret_access_key": LIMITED_SECRET,
        "label": "limited", "pools": [pool_a],
    }))
    server.restart()
    return {"server": server, "pool_a": pool_a, "pool_b": pool_b, "user_a": user_a,
            "user_b": user_b, "idp": client(server.url, LIMITED_KEY_ID, LIMITED_SECRET)}


# --------------------------------------------------------------------------- configured keys


def test_a_configured_key_can_call_signed_operations(secured: CognateServer) -> None:
    idp = client(secured.url)
    app = make_app(idp)
    user = admin_create_user(app)
    assert idp.admin_get_user(UserPoolId=app.pool_id, Username=user.username)["Username"] == user.username
    assert [u["Username"] for u in idp.list_users(UserPoolId=app.pool_id)["Users"]] == [user.username]


def test_a_signature_for_any_region_is_accepted(secured: CognateServer) -> None:
    pools = client(secured.url, region="eu-west-3").list_user_pools(MaxResults=10)
    assert pools["UserPools"] == []


def test_keys_in_the_main_config_file_are_enforced(start_cognate: Any) -> None:
    server = start_cognate(config=credentials_toml(ADMIN, table="admin_credentials"))
    assert make_pool(client(server.url))["Id"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client(server.url, key="AKIAUNKNOWNKEY000000").list_user_pools(MaxResults=10)
    assert error_code(err.value) == "UnrecognizedClientException"


def test_unsigned_operations_work_without_any_credentials(secured: CognateServer,
                                                          smtp_server: Any) -> None:
    app = make_app(client(secured.url))
    app.idp = unsigned_client(secured.url)
    user = sign_up_user(app)
    # With admin keys the outbox keeps no codes: the mail is the only place to read one.
    app.confirm(user.username, smtp_server.wait_for_mail(user.email).code)
    tokens = app.tokens(user.username)  # InitiateAuth
    me = app.idp.get_user(AccessToken=tokens["AccessToken"])
    assert me["Username"] == user.username
    sent = app.idp.forgot_password(ClientId=app.client_id, Username=user.username)
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"


# --------------------------------------------------------------------------- errors


def test_a_signed_operation_without_authorization_is_missing_authentication_token(
        secured: CognateServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        unsigned_client(secured.url).create_user_pool(PoolName=unique_name("pool"))
    assert error_code(err.value) == "MissingAuthenticationTokenException"
    assert error_message(err.value) == "Missing Authentication Token"


def test_a_raw_unsigned_request_gets_a_400_json_error_body(secured: CognateServer) -> None:
    response = requests.post(secured.url + "/", data=b'{"MaxResults": 10}', timeout=30, headers={
        "Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET_PREFIX + "ListUserPools"})
    assert error_of(response) == ("MissingAuthenticationTokenException", "Missing Authentication Token")
    assert set(response.json()) == {"__type", "message"}


def test_an_unknown_access_key_is_an_unrecognized_client(secured: CognateServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client(secured.url, key="AKIAUNKNOWNKEY000000").list_user_pools(MaxResults=10)
    assert error_code(err.value) == "UnrecognizedClientException"
    assert error_message(err.value) == "The security token included in the request is invalid."


def test_a_wrong_secret_is_an_invalid_signature(secured: CognateServer) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client(secured.url, secret="not-the-right-secret-at-all").list_user_pools(MaxResults=10)
    assert error_code(err.value) == "InvalidSignatureException"
    assert error_message(err.value).startswith(BAD_SIGNATURE)


def test_a_body_changed_after_signing_is_an_invalid_signature(secured: CognateServer) -> None:
    request = signed(secured.url, "ListUserPools", b'{"MaxResults": 10}')
    response = send(request, body=b'{"MaxResults": 11}')
    kind, message = error_of(response)
    assert kind == "InvalidSignatureException"
    assert message.startswith(BAD_SIGNATURE)


def test_the_untampered_raw_request_is_accepted(secured: CognateServer) -> None:
    response = send(signed(secured.url, "ListUserPools", b'{"MaxResults": 10}'))
    assert response.status_code == 200, response.text
    assert response.json() == {"UserPools": []}


def test_a_signature_dated_16_minutes_ago_has_expired(
        secured: CognateServer, monkeypatch: pytest.MonkeyPatch) -> None:
    kind, message = error_of(signed_at(monkeypatch, secured.url, -dt.timedelta(minutes=16)))
    assert kind == "InvalidSignatureException"
    assert message.startswith("Signature expired"), message


def test_a_signature_dated_16_minutes_ahead_is_not_yet_current(
        secured: CognateServer, monkeypatch: pytest.MonkeyPatch) -> None:
    kind, message = error_of(signed_at(monkeypatch, secured.url, dt.timedelta(minutes=16)))
    assert kind == "InvalidSignatureException"
    assert message.startswith("Signature not yet current"), message


@pytest.mark.parametrize("minutes", [-14, 14])
def test_a_signature_dated_14_minutes_off_is_still_accepted(
        secured: CognateServer, monkeypatch: pytest.MonkeyPatch, minutes: int) -> None:
    response = signed_at(monkeypatch, secured.url, dt.timedelta(minutes=minutes))
    assert response.status_code == 200, response.text


def test_an_authorization_header_without_signature_is_incomplete(secured: CognateServer) -> None:
    request = signed(secured.url, "ListUserPools", {"MaxResults": 10})
    authorization = request.headers["Authorization"]
    truncated = authorization[: authorization.index(", Signature=")]
    response = send(request, extra_headers={"Authorization": truncated})
    assert error_of(response)[0] == "IncompleteSignatureException"


# --------------------------------------------------------------------------- pool-limited keys


def test_a_pool_limited_key_can_act_on_its_pool(limited: dict[str, Any]) -> None:
    idp = limited["idp"]
    user = idp.admin_get_user(UserPoolId=limited["pool_a"], Username=limited["user_a"])
    assert user["Username"] == limited["user_a"]
    users = idp.list_users(UserPoolId=limited["pool_a"])["Users"]
    assert [u["Username"] for u in users] == [limited["user_a"]]


@pytest.mark.parametrize("operation", ["AdminGetUser", "ListUsers"])
def test_a_pool_limited_key_is_denied_another_pool(limited: dict[str, Any], operation: str) -> None:
    idp = limited["idp"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        if operation == "AdminGetUser":
            idp.admin_get_user(UserPoolId=limited["pool_b"], Username=limited["user_b"])
        else:
            idp.list_users(UserPoolId=limited["pool_b"])
    assert error_code(err.value) == "AccessDeniedException"
    assert f"is not authorized to perform: cognito-idp:{operation}" in error_message(err.value)


@pytest.mark.parametrize("operation", ["CreateUserPool", "ListUserPools"])
def test_a_pool_limited_key_is_denied_operations_that_name_no_pool(
        limited: dict[str, Any], operation: str) -> None:
    idp = limited["idp"]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        if operation == "CreateUserPool":
            idp.create_user_pool(PoolName=unique_name("pool"))
        else:
            idp.list_user_pools(MaxResults=10)
    assert error_code(err.value) == "AccessDeniedException"
    assert f"is not authorized to perform: cognito-idp:{operation}" in error_message(err.value)


# --------------------------------------------------------------------------- what must verify


@pytest.mark.parametrize("where", ["url", "params"])
def test_a_signed_request_with_a_query_string_is_accepted(secured: CognateServer,
                                                          where: str) -> None:
    if where == "url":  # signed from the URL as written: a=1&b=x%20y
        request = signed(secured.url, "ListUserPools", {"MaxResults": 10}, path="/?a=1&b=x%20y")
    else:  # signed from the params (b=x%20y); the wire carries urlencode's b=x+y
        request = signed(secured.url, "ListUserPools", {"MaxResults": 10},
                         params={"a": "1", "b": "x y"})
    assert "?a=1&b=x" in request.prepare().url
    response = send(request)
    assert response.status_code == 200, response.text


def test_unusual_header_casing_on_the_wire_is_accepted(secured: CognateServer) -> None:
    request = signed(secured.url, "ListUserPools", {"MaxResults": 10}, headers={
        "Content-TYPE": CONTENT_TYPE, "X-AMZ-TARGET": TARGET_PREFIX + "ListUserPools"})
    response = send(request)
    assert response.status_code == 200, response.text
    sent = list(response.request.headers)  # the names as written on the wire
    assert "X-AMZ-TARGET" in sent and "Content-TYPE" in sent, sent


def test_an_unsigned_header_added_after_signing_is_accepted(secured: CognateServer) -> None:
    request = signed(secured.url, "ListUserPools", {"MaxResults": 10})
    response = send(request, extra_headers={"X-Added-Later": "yes"})
    assert response.status_code == 200, response.text


def test_a_non_ascii_body_verifies(secured: CognateServer) -> None:
    app = make_app(client(secured.url))
    user = admin_create_user(app)
    app.idp.admin_update_user_attributes(
        UserPoolId=app.pool_id, Username=user.username,
        UserAttributes=[{"Name": "name", "Value": "Zoë 北京 ☃"}])
    got = app.admin_get_user(user.username)
    assert attr_map(got["UserAttributes"])["name"] == "Zoë 北京 ☃"


def test_the_aws_cli_signs_list_user_pools(secured: CognateServer) -> None:
    make_pool(client(secured.url))
    listed = KeyedAwsCli(secured.url, KEY_ID, SECRET)(
        "cognito-idp", "list-user-pools", "--max-results", "10")
    assert len(listed["UserPools"]) == 1


def test_the_aws_cli_with_a_wrong_secret_reports_invalid_signature(secured: CognateServer) -> None:
    cli = KeyedAwsCli(secured.url, KEY_ID, "not-the-right-secret-at-all")
    with pytest.raises(AwsCliError) as err:
        cli("cognito-idp", "list-user-pools", "--max-results", "10")
    assert "InvalidSignatureException" in err.value.stderr


# --------------------------------------------------------------------------- no keys


def test_without_keys_an_unsigned_client_can_create_a_pool_on_loopback(cognate: CognateServer) -> None:
    pool = unsigned_client(cognate.url).create_user_pool(PoolName=unique_name("pool"))
    assert pool["UserPool"]["Id"]


def run_on_all_interfaces(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    """``cognate serve --listen 0.0.0.0:0`` with a fresh data dir; stderr to a file."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    with open(tmp_path / "cognate.stderr.log", "wb") as log:
        return subprocess.Popen(
            [str(cognate_binary()), "serve", "--listen", "0.0.0.0:0", "--data-dir",
             str(data_dir), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, text=True,
            env=CognateServer.env(),
        )


def assert_starts_then_stops(process: subprocess.Popen[str]) -> None:
    """The start line comes within 10 s, and SIGTERM then stops it with exit code 0."""
    watchdog = threading.Timer(10, process.kill)  # bounds the blocking readline
    watchdog.start()
    try:
        first = process.stdout.readline()  # the start line; "" if it exited instead
        watchdog.cancel()
        assert START_LINE_RE.search(first), (first, process.poll())
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    assert process.returncode == 0


def test_listening_beyond_loopback_without_keys_is_refused(tmp_path: Path) -> None:
    process = run_on_all_interfaces(tmp_path)
    try:
        out, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise AssertionError("cognate kept running on 0.0.0.0 without keys")
    err = (tmp_path / "cognate.stderr.log").read_text("utf-8", errors="replace")
    assert process.returncode != 0
    assert "--allow-unauthenticated-admin" in out + err


def test_allow_unauthenticated_admin_lets_it_listen_beyond_loopback(tmp_path: Path) -> None:
    assert_starts_then_stops(run_on_all_interfaces(tmp_path, "--allow-unauthenticated-admin"))


def test_admin_keys_let_it_listen_beyond_loopback(tmp_path: Path, creds_file: Path) -> None:
    assert_starts_then_stops(
        run_on_all_interfaces(tmp_path, "--admin-credentials-file", str(creds_file)))


def test_probes_need_no_signature_when_admin_keys_are_configured(secured):
    """Load balancers probe without credentials; the probes reveal nothing about pools."""
    assert requests.get(f"{secured.url}/health", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{secured.url}/ready", timeout=10)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
