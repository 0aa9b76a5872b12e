"""Shared helpers for the cognate conformance suite.

Everything here is plain Python (no fixtures), so test modules import it directly:
``from helpers import make_app, PASSWORD, unique_name``.

Conventions used by every helper:
* each test makes its own pool (``make_pool`` / ``make_app``), so tests never share state;
* usernames and email addresses carry a random tag (``unique_name`` / ``unique_email``),
  because the SMTP listener is shared by the whole session;
* every wait is bounded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import botocore.exceptions

REGION = "us-east-1"

# Satisfies Cognito's default policy: length >= 8 with upper, lower, digit and symbol.
PASSWORD = "Corr3ct-Horse!"
OTHER_PASSWORD = "Wr0ng-Battery!"

# Cognito's messages that several test files assert.
WRONG_CODE_MESSAGE = "Invalid verification code provided, please try again."
EXPIRED_CODE_MESSAGE = "Invalid code provided, please request a code again."
LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."
UNAUTHORIZED_ATTRIBUTE_MESSAGE = "A client attempted to write unauthorized attribute"
INCORRECT = "Incorrect username or password."

POOL_ID_RE = re.compile(r"^us-east-1_[0-9A-Za-z]{9}$")
CLIENT_ID_RE = re.compile(r"^[a-z0-9]{26}$")
CODE_RE = re.compile(r"\b(\d{6})\b")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Explicit flows the password tests need; Cognito's default for a client created without
# ExplicitAuthFlows is ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, ALLOW_CUSTOM_AUTH.
PASSWORD_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


# --------------------------------------------------------------------------- names


def tag() -> str:
    """A short random tag that keeps names unique across the session."""
    return uuid.uuid4().hex[:10]


def unique_name(prefix: str = "user") -> str:
    return f"{prefix}-{tag()}"


def unique_email(prefix: str = "user", domain: str = "example.com") -> str:
    return f"{prefix}.{tag()}@{domain}"


def masked_email(address: str) -> str:
    """Cognito's CodeDeliveryDetails.Destination for an email: ``u***@e***.com``."""
    local, domain = address.split("@", 1)
    tld = domain.rsplit(".", 1)[1]
    return f"{local[0]}***@{domain[0]}***.{tld}"


# --------------------------------------------------------------------------- crypto


def secret_hash(username: str, client_id: str, secret: str) -> str:
    """Base64(HMAC-SHA256(key=client secret, msg=username + client id))."""
    digest = hmac.new(
        secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def wrong_code(code: str) -> str:
    """A six-digit code that differs from ``code``."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def extract_code(text: str) -> str:
    match = CODE_RE.search(text or "")
    assert match, f"no 6-digit code in message: {text!r}"
    return match.group(1)


# --------------------------------------------------------------------------- attributes


def attrs(**values: str) -> list[dict[str, str]]:
    """``attrs(email="a@b.c", custom__tenant="x")`` -> Cognito AttributeType list.

    A double underscore becomes ``:`` so custom attributes can be written as keywords.
    """
    return [{"Name": k.replace("__", ":"), "Value": v} for k, v in values.items()]


def attr_map(attributes: Iterable[dict[str, str]] | None) -> dict[str, str | None]:
    return {a["Name"]: a.get("Value") for a in attributes or []}


# --------------------------------------------------------------------------- errors


def error_code(exc: BaseException) -> str:
    assert isinstance(exc, botocore.exceptions.ClientError), repr(exc)
    return exc.response["Error"]["Code"]


def error_message(exc: BaseException) -> str:
    assert isinstance(exc, botocore.exceptions.ClientError), repr(exc)
    return exc.response["Error"]["Message"]


def assert_recent(value: Any, *, slack: float = 300.0) -> None:
    """A boto3 timestamp (parsed to an aware datetime) close to now."""
    assert isinstance(value, datetime), f"expected a datetime, got {value!r}"
    now = datetime.now(timezone.utc)
    assert abs((now - value).total_seconds()) < slack, f"{value} is not close to {now}"


# --------------------------------------------------------------------------- raw capture


class RawCapture:
    """Records the raw HTTP responses a boto3 client receives (status, headers, body).

    Use as a context manager: ``with RawCapture(idp) as raw: idp.list_user_pools(...)``,
    then ``raw.last.json()``.
    """

    @dataclass
    class Response:
        status: int
        headers: dict[str, str]
        body: bytes

        def json(self) -> Any:
            return json.loads(self.body or b"{}")

    def __init__(self, client: Any):
        self.client = client
        self.responses: list[RawCapture.Response] = []

    def _hook(self, http_response: Any = None, **_: Any) -> None:
        if http_response is not None:
            self.responses.append(
                RawCapture.Response(
                    status=http_response.status_code,
                    headers={k.lower(): v for k, v in http_response.headers.items()},
                    body=http_response.content,
                )
            )

    def __enter__(self) -> "RawCapture":
        self.client.meta.events.register("after-call", self._hook, unique_id=f"raw-{id(self)}")
        return self

    def __exit__(self, *exc: Any) -> None:
        self.client.meta.events.unregister("after-call", unique_id=f"raw-{id(self)}")

    @property
    def last(self) -> "RawCapture.Response":
        assert self.responses, "no response was captured"
        return self.responses[-1]


# --------------------------------------------------------------------------- pools and clients


def make_pool(idp: Any, **kwargs: Any) -> dict:
    """CreateUserPool with a unique name; returns the ``UserPool`` dict.

    Defaults (override by passing the member, or pass ``AutoVerifiedAttributes=None`` to omit):
    ``AutoVerifiedAttributes=["email"]`` so sign-up mails a code.
    """
    params: dict[str, Any] = {
        "PoolName": unique_name("pool"),
        "AutoVerifiedAttributes": ["email"],
    }
    params.update(kwargs)
    params = {k: v for k, v in params.items() if v is not None}
    return idp.create_user_pool(**params)["UserPool"]


def make_client(idp: Any, pool_id: str, **kwargs: Any) -> dict:
    """CreateUserPoolClient with a unique name; returns the ``UserPoolClient`` dict.

    Defaults: ``ExplicitAuthFlows`` = USER_PASSWORD, ADMIN_USER_PASSWORD and REFRESH_TOKEN
    (pass ``ExplicitAuthFlows=None`` to omit it and get Cognito's defaults).
    """
    params: dict[str, Any] = {
        "UserPoolId": pool_id,
        "ClientName": unique_name("client"),
        "ExplicitAuthFlows": list(PASSWORD_FLOWS),
    }
    params.update(kwargs)
    params = {k: v for k, v in params.items() if v is not None}
    return idp.create_user_pool_client(**params)["UserPoolClient"]


@dataclass
class User:
    username: str
    password: str
    email: str | None
    sub: str | None = None
    code: str | None = None


@dataclass
class App:
    """A pool plus one app client, with the unsigned calls pre-wired (SecretHash included)."""

    idp: Any
    pool: dict
    client: dict
    extra: dict = field(default_factory=dict)

    @property
    def pool_id(self) -> str:
        return self.pool["Id"]

    @property
    def client_id(self) -> str:
        return self.client["ClientId"]

    @property
    def client_secret(self) -> str | None:
        return self.client.get("ClientSecret")

    # -- SecretHash plumbing
    def hash_for(self, username: str) -> str | None:
        if self.client_secret is None:
            return None
        return secret_hash(username, self.client_id, self.client_secret)

    def _secret(self, username: str) -> dict[str, str]:
        value = self.hash_for(username)
        return {"SecretHash": value} if value else {}

    def _auth_secret(self, username: str) -> dict[str, str]:
        value = self.hash_for(username)
        return {"SECRET_HASH": value} if value else {}

    # -- unsigned operations
    def sign_up(
        self,
        username: str,
        password: str = PASSWORD,
        email: str | None = None,
        attributes: list[dict[str, str]] | None = None,
        **kwargs: Any,
    ) -> dict:
        user_attributes = list(attributes or [])
        if email is not None:
            user_attributes.append({"Name": "email", "Value": email})
        params: dict[str, Any] = {
            "ClientId": self.client_id,
            "Username": username,
            "Password": password,
            **self._secret(username),
        }
        if user_attributes:
            params["UserAttributes"] = user_attributes
        params.update(kwargs)
        return self.idp.sign_up(**params)

    def confirm(self, username: str, code: str, **kwargs: Any) -> dict:
        params = {
            "ClientId": self.client_id,
            "Username": username,
            "ConfirmationCode": code,
            **self._secret(username),
        }
        params.update(kwargs)
        return self.idp.confirm_sign_up(**params)

    def resend(self, username: str, **kwargs: Any) -> dict:
        params = {"ClientId": self.client_id, "Username": username, **self._secret(username)}
        params.update(kwargs)
        return self.idp.resend_confirmation_code(**params)

    def password_auth(self, username: str, password: str = PASSWORD, **auth: str) -> dict:
        """InitiateAuth USER_PASSWORD_AUTH; returns the whole response."""
        params = {"USERNAME": username, "PASSWORD": password, **self._auth_secret(username)}
        params.update(auth)
        return self.idp.initiate_auth(
            ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
        )

    def tokens(self, username: str, password: str = PASSWORD) -> dict:
        """The AuthenticationResult of a successful USER_PASSWORD_AUTH sign-in."""
        response = self.password_auth(username, password)
        assert "AuthenticationResult" in response, response
        return response["AuthenticationResult"]

    # -- signed operations
    def admin_get_user(self, username: str) -> dict:
        return self.idp.admin_get_user(UserPoolId=self.pool_id, Username=username)

    def admin_confirm(self, username: str) -> dict:
        return self.idp.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=username)


def make_app(idp: Any, pool: dict | None = None, client: dict | None = None) -> App:
    """A fresh pool (``make_pool(**pool)``) and client (``make_client(**client)``)."""
    created_pool = make_pool(idp, **(pool or {}))
    created_client = make_client(idp, created_pool["Id"], **(client or {}))
    return App(idp=idp, pool=created_pool, client=created_client)


def sign_up_user(app: App, username: str | None = None, email: str | None = None,
                 password: str = PASSWORD, **kwargs: Any) -> User:
    """SignUp only (user stays UNCONFIRMED)."""
    username = username or unique_name()
    email = email if email is not None else unique_email(username.split("@")[0])
    response = app.sign_up(username, password=password, email=email, **kwargs)
    return User(username=username, password=password, email=email, sub=response["UserSub"])


def confirmed_user(app: App, server: Any, username: str | None = None,
                   email: str | None = None, password: str = PASSWORD) -> User:
    """SignUp, then ConfirmSignUp with the code read from the outbox (email gets verified)."""
    user = sign_up_user(app, username=username, email=email, password=password)
    user.code = server.latest_code(user.email)
    app.confirm(user.username, user.code)
    return user


# --------------------------------------------------------------------------- waiting


def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05,
               message: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; bounded by ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def decode_jwt_unverified(token: str) -> dict:
    """The payload of a JWT without checking its signature (for shape-only assertions)."""
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


# --------------------------------------------------------------------------- admin-created users,
# sign-out and passwords (test_admin_users.py, test_passwords.py, test_signout.py, test_lockout.py)

DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_RE = re.compile(r"^Your username is (.+) and temporary password is (\S+)\.$")


def temporary_password(body: str) -> str:
    """The temporary password in Cognito's default invitation body.

    The body is ``Your username is {username} and temporary password is {####}.``; the
    password itself may contain symbols (even a trailing ``.``), so only the final ``.`` is
    taken off.
    """
    match = DEFAULT_INVITE_RE.match((body or "").strip())
    assert match, f"not Cognito's default invitation: {body!r}"
    return match.group(2)


def assert_empty_response(response: dict) -> None:
    """An operation whose output structure is empty (``{}`` on the wire)."""
    assert set(response) == {"ResponseMetadata"}, response


def admin_create_user(app: App, username: str | None = None, email: str | None = None,
                      temporary: str | None = PASSWORD, suppress: bool = True,
                      **kwargs: Any) -> User:
    """AdminCreateUser with an email attribute; the user is FORCE_CHANGE_PASSWORD.

    By default the temporary password is ``PASSWORD`` and no invitation is sent
    (``MessageAction=SUPPRESS``); ``temporary=None`` lets the server generate one,
    ``suppress=False`` mails the invitation (``DesiredDeliveryMediums=["EMAIL"]``).
    """
    username = username or unique_name("admin")
    email = email if email is not None else unique_email(username)
    params: dict[str, Any] = {
        "UserPoolId": app.pool_id,
        "Username": username,
        "UserAttributes": [{"Name": "email", "Value": email}],
    }
    if temporary is not None:
        params["TemporaryPassword"] = temporary
    if suppress:
        params["MessageAction"] = "SUPPRESS"
    else:
        params["DesiredDeliveryMediums"] = ["EMAIL"]
    params.update(kwargs)
    response = app.idp.admin_create_user(**params)
    sub = attr_map(response["User"].get("Attributes")).get("sub")
    return User(username=username, password=temporary or "", email=email, sub=sub)


def admin_password_auth(app: App, username: str, password: str = PASSWORD) -> dict:
    """AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH (SECRET_HASH added for secret clients)."""
    params = {"USERNAME": username, "PASSWORD": password, **app._auth_secret(username)}
    return app.idp.admin_initiate_auth(
        UserPoolId=app.pool_id, ClientId=app.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters=params,
    )


def refresh_auth(app: App, refresh_token: str, username: str | None = None) -> dict:
    """InitiateAuth REFRESH_TOKEN_AUTH; returns the AuthenticationResult.

    For a client with a secret pass ``username`` so the SECRET_HASH can be computed.
    """
    params = {"REFRESH_TOKEN": refresh_token}
    if username is not None:
        params.update(app._auth_secret(username))
    return app.idp.initiate_auth(
        ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=params,
    )["AuthenticationResult"]
