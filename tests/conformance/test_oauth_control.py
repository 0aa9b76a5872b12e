"""OAuth control plane and machine tokens: the OAuth members of app clients, user pool
domains, resource servers, ``POST /oauth2/token`` with ``client_credentials`` and the
discovery document.

The token endpoint is driven with a real OAuth 2.0 client (Authlib's ``OAuth2Session``) for
the happy paths and with plain ``requests`` for the error answers, which Cognito documents as
HTTP 400 ``application/json;charset=UTF-8`` bodies of the form ``{"error": "<code>"}``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

import botocore.exceptions
import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from helpers import error_code, error_message, make_client, make_pool, unique_name
from trigger_helpers import arn, trigger_config

CERTIFICATES = "arn:aws:acm:us-east-1:123456789012:certificate/"
CERT_ARN = CERTIFICATES + "11111111-2222-3333-4444-555555555555"
OTHER_CERT_ARN = CERTIFICATES + "66666666-7777-8888-9999-000000000000"

FLAG_NEEDS_FLOWS = ("AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client "
                    "is allowed to use OAuth flows.")
INVALID_DOMAIN_CHARACTER = (
    "The domain name contains an invalid character. Domain names can only contain lower-case "
    "letters, numbers, and hyphens. Please enter a different name that follows this format: "
    "^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$")
NO_SUCH_DOMAIN = "No such domain or user pool exists."
JSON_UTF8 = "application/json;charset=UTF-8"
MACHINE_CLAIMS = {"sub", "token_use", "scope", "auth_time", "iss", "exp", "iat", "version", "jti",
                  "client_id"}
DISCOVERY_KEYS = {
    "authorization_endpoint", "end_session_endpoint", "id_token_signing_alg_values_supported",
    "issuer", "jwks_uri", "response_types_supported", "revocation_endpoint", "scopes_supported",
    "subject_types_supported", "token_endpoint", "token_endpoint_auth_methods_supported",
    "userinfo_endpoint",
}


# =========================================================================== helpers


def refused(call: Any, code: str, message: str | None = None, **kwargs: Any) -> str:
    """Run ``call(**kwargs)``; it must fail with ``code`` (and ``message`` when given)."""
    with pytest.raises(botocore.exceptions.ClientError) as err:
        call(**kwargs)
    assert error_code(err.value) == code, err.value.response.get("Error")
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if message is not None:
        assert error_message(err.value) == message
    return error_message(err.value)


def without_metadata(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def orders_server(idp: Any, pool_id: str, scopes: tuple[str, ...] = ("read", "write")) -> dict:
    """Resource server ``orders`` with the given scope names."""
    return idp.create_resource_server(
        UserPoolId=pool_id, Identifier="orders", Name="Orders",
        Scopes=[{"ScopeName": s, "ScopeDescription": f"{s} orders"} for s in scopes],
    )["ResourceServer"]


def describe_client(idp: Any, pool_id: str, client_id: str) -> dict:
    return idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]


def code_client_settings(**overrides: Any) -> dict:
    """An authorization-code client's OAuth members."""
    settings: dict[str, Any] = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email"],
        "CallbackURLs": ["https://app.example.com/callback"],
    }
    settings.update(overrides)
    return {k: v for k, v in settings.items() if v is not None}


def machine_client_settings(**overrides: Any) -> dict:
    """A client_credentials client's OAuth members (it also needs GenerateSecret=True)."""
    settings: dict[str, Any] = {
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["orders/read", "orders/write"],
    }
    settings.update(overrides)
    return {k: v for k, v in settings.items() if v is not None}


@dataclass
class Machine:
    """A pool with resource server ``orders`` (read, write) and a client_credentials client."""

    base_url: str
    pool_id: str
    client_id: str
    secret: str

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{self.pool_id}"

    def session(self, method: str = "client_secret_basic") -> OAuth2Session:
        return OAuth2Session(self.client_id, self.secret, token_endpoint_auth_method=method)


def machine(server: Any, idp: Any, pool: dict | None = None, **client: Any) -> Machine:
    created_pool = make_pool(idp, **(pool or {}))
    orders_server(idp, created_pool["Id"])
    created = make_client(idp, created_pool["Id"], ExplicitAuthFlows=None,
                          **machine_client_settings(**client))
    return Machine(server.url, created_pool["Id"], created["ClientId"], created["ClientSecret"])


def fetch_with_raw(session: OAuth2Session, url: str,
                   **kwargs: Any) -> tuple[dict, requests.Response]:
    """Authlib's ``fetch_token`` plus the raw HTTP response it parsed."""
    seen: list[requests.Response] = []
    session.hooks["response"].append(lambda response, *a, **k: seen.append(response))
    token = session.fetch_token(url, grant_type="client_credentials", **kwargs)
    assert seen, "no HTTP response was captured"
    return dict(token), seen[-1]


def verified_machine_claims(m: Machine, token: str) -> dict:
    """The access token's claims, its RS256 signature checked against the pool's JWKS."""
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256", header
    jwks = jwt.PyJWKClient(f"{m.issuer}/.well-known/jwks.json", cache_keys=False)
    key = jwks.get_signing_key_from_jwt(token).key
    return jwt.decode(token, key, algorithms=["RS256"], issuer=m.issuer, leeway=5,
                      options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False})


def post_token(url: str, data: Any = None, auth: tuple[str, str] | None = None,
               **kwargs: Any) -> requests.Response:
    return requests.post(url, data=data, auth=auth, timeout=10, **kwargs)


def assert_oauth_error(response: requests.Response, error: str) -> None:
    """Cognito's token-endpoint error: 400, JSON, ``{"error": <code>}`` and nothing else."""
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers.get("Content-Type") == JSON_UTF8
    assert response.json() == {"error": error}


# =========================================================================== 1. app client OAuth


def test_oauth_members_round_trip_through_create_and_describe(idp):
    pool = make_pool(idp)
    settings = code_client_settings(
        AllowedOAuthFlows=["code", "implicit"],
        AllowedOAuthScopes=["openid", "email", "profile", "aws.cognito.signin.user.admin"],
        CallbackURLs=["https://app.example.com/callback", "http://localhost:3000/callback",
                      "myapp://callback"],
        LogoutURLs=["https://app.example.com/signed-out"],
        DefaultRedirectURI="https://app.example.com/callback",
        SupportedIdentityProviders=["COGNITO"],
    )
    created = make_client(idp, pool["Id"], **settings)
    described = describe_client(idp, pool["Id"], created["ClientId"])
    for answer in (created, described):
        for member, value in settings.items():
            assert answer[member] == value, (member, answer.get(member))


def test_client_without_oauth_has_no_oauth_members_and_the_flag_false(idp):
    pool = make_pool(idp)
    created = make_client(idp, pool["Id"])
    described = describe_client(idp, pool["Id"], created["ClientId"])
    for answer in (created, described):
        assert answer["AllowedOAuthFlowsUserPoolClient"] is False
        for member in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs",
                       "DefaultRedirectURI", "SupportedIdentityProviders"):
            assert member not in answer, member


def test_flows_and_scopes_are_kept_while_the_flag_is_off(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    created = make_client(idp, pool["Id"],
                          **machine_client_settings(AllowedOAuthFlowsUserPoolClient=False))
    described = describe_client(idp, pool["Id"], created["ClientId"])
    assert described["AllowedOAuthFlowsUserPoolClient"] is False
    assert described["AllowedOAuthFlows"] == ["client_credentials"]
    assert described["AllowedOAuthScopes"] == ["orders/read", "orders/write"]


def test_custom_scopes_of_a_resource_server_are_accepted(idp):
    pool = make_pool(idp)
    idp.create_resource_server(UserPoolId=pool["Id"], Identifier="https://api.example.com",
                               Name="Api", Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}])
    created = make_client(idp, pool["Id"], **code_client_settings(
        AllowedOAuthScopes=["openid", "https://api.example.com/read"]))
    assert created["AllowedOAuthScopes"] == ["openid", "https://api.example.com/read"]


def test_callback_urls_that_need_no_https_are_accepted(idp, subtests):
    pool = make_pool(idp)
    for callback in ("http://localhost/callback", "http://localhost:8080/callback",
                     "myapp://callback"):
        with subtests.test(callback=callback):
            created = make_client(idp, pool["Id"], **code_client_settings(CallbackURLs=[callback]))
            assert created["CallbackURLs"] == [callback]


def test_http_loopback_ip_callback_is_accepted(idp):
    # Cognito added the loopback IP literal for OAuth native-app redirects in 2025
    # (microsoft/vscode#256122: "Cognito now supports adding the loopback IP literal as a
    # callback URL on the userpool client in all regions").
    pool = make_pool(idp)
    callback = "http://127.0.0.1:33418/callback"
    created = make_client(idp, pool["Id"], **code_client_settings(CallbackURLs=[callback]))
    assert created["CallbackURLs"] == [callback]


# (case, client members, exception, message; "{pool}" stands for the pool id). Every case
# runs against a pool that has resource server "orders" (read, write).
CLIENT_OAUTH_ERRORS: list[tuple[str, dict, str, str]] = [
    (
        "flag-without-flows-or-scopes",
        {"AllowedOAuthFlowsUserPoolClient": True},
        "InvalidParameterException", FLAG_NEEDS_FLOWS),
    (
        "flag-without-scopes",
        {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"],
         "CallbackURLs": ["https://app.example.com/callback"]},
        "InvalidParameterException", FLAG_NEEDS_FLOWS),
    (
        "flag-without-flows",
        {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthScopes": ["openid"]},
        "InvalidParameterException", FLAG_NEEDS_FLOWS),
    (
        "client-credentials-with-code",
        machine_client_settings(AllowedOAuthFlows=["client_credentials", "code"],
                                CallbackURLs=["https://app.example.com/callback"]),
        "InvalidOAuthFlowException",
        "client_credentials flow can not be selected along with code flow or implicit flow."),
    (
        "client-credentials-without-secret",
        machine_client_settings(GenerateSecret=False),
        "InvalidOAuthFlowException",
        "client_credentials flow can not be selected if client does not have a client secret."),
    (
        "client-credentials-with-openid",
        machine_client_settings(AllowedOAuthScopes=["openid", "orders/read"]),
        "InvalidOAuthFlowException", "openid is not supported with client_credentials flow"),
    (
        "client-credentials-with-email",
        machine_client_settings(AllowedOAuthScopes=["orders/read", "email"]),
        "InvalidOAuthFlowException", "email is not supported with client_credentials flow"),
    (
        "code-without-callbacks",
        code_client_settings(CallbackURLs=None),
        "InvalidOAuthFlowException",
        "CallbackUrls can not be empty when code flow or implicit flow is selected"),
    (
        "implicit-without-callbacks",
        code_client_settings(AllowedOAuthFlows=["implicit"], CallbackURLs=None),
        "InvalidOAuthFlowException",
        "CallbackUrls can not be empty when code flow or implicit flow is selected"),
    (
        "http-callback",
        code_client_settings(CallbackURLs=["http://app.example.com/callback"]),
        "InvalidParameterException",
        "http://app.example.com/callback cannot use the HTTP protocol."),
    (
        "http-localhost-dot-com-callback",
        code_client_settings(CallbackURLs=["http://localhost.com/"]),
        "InvalidParameterException", "http://localhost.com/ cannot use the HTTP protocol."),
    (
        "http-logout-url",
        code_client_settings(LogoutURLs=["http://app.example.com/signed-out"]),
        "InvalidParameterException",
        "http://app.example.com/signed-out cannot use the HTTP protocol."),
    (
        "fragment",
        code_client_settings(CallbackURLs=["https://app.example.com/callback#done"]),
        "InvalidParameterException", "https://app.example.com/callback#done cannot use fragment"),
    (
        "default-redirect-not-a-callback",
        code_client_settings(DefaultRedirectURI="https://other.example.com/callback"),
        "InvalidParameterException",
        "The default redirect URI https://other.example.com/callback is not in the callback URIs "
        "list."),
    (
        "scope-of-no-server",
        code_client_settings(AllowedOAuthScopes=["openid", "x/y"]),
        "ScopeDoesNotExistException", "Invalid scope requested: x/y"),
    (
        "scope-the-server-lacks",
        code_client_settings(AllowedOAuthScopes=["orders/delete"]),
        "ScopeDoesNotExistException", "Invalid scope requested: orders/delete"),
    (
        "malformed-scope",
        code_client_settings(AllowedOAuthScopes=["openid", "Cognito"]),
        "ScopeDoesNotExistException", "Invalid scope requested: Cognito"),
    (
        "unknown-identity-provider",
        code_client_settings(SupportedIdentityProviders=["COGNITO", "Google"]),
        "InvalidParameterException", "The provider Google does not exist for User Pool {pool}."),
]


# One pool for the whole table (a pool costs a key pair); each case is a subtest.
def test_create_client_refuses_bad_oauth_members(idp, subtests):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    for case, members, code, message in CLIENT_OAUTH_ERRORS:
        with subtests.test(case=case):
            refused(idp.create_user_pool_client, code, message.format(pool=pool["Id"]),
                    UserPoolId=pool["Id"], ClientName=unique_name("client"), **members)
    assert idp.list_user_pool_clients(UserPoolId=pool["Id"])["UserPoolClients"] == []


def test_update_client_refuses_bad_oauth_members_and_changes_nothing(idp, subtests):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    # Update keeps the client's secret status: the machine cases go to a client with a secret.
    clients = {secret: make_client(idp, pool["Id"], GenerateSecret=secret, **code_client_settings())
               for secret in (False, True)}
    for case, members, code, message in CLIENT_OAUTH_ERRORS:
        with subtests.test(case=case):
            client_id = clients[bool(members.get("GenerateSecret"))]["ClientId"]
            before = describe_client(idp, pool["Id"], client_id)
            update = {k: v for k, v in members.items() if k != "GenerateSecret"}
            refused(idp.update_user_pool_client, code, message.format(pool=pool["Id"]),
                    UserPoolId=pool["Id"], ClientId=client_id, ClientName="renamed", **update)
            assert describe_client(idp, pool["Id"], client_id) == before


def test_update_client_sets_oauth_members(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    settings = code_client_settings(LogoutURLs=["https://app.example.com/bye"],
                                    DefaultRedirectURI="https://app.example.com/callback")
    updated = idp.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"],
                                          **settings)["UserPoolClient"]
    described = describe_client(idp, pool["Id"], client["ClientId"])
    for answer in (updated, described):
        for member, value in settings.items():
            assert answer[member] == value, (member, answer.get(member))


def test_update_without_oauth_members_resets_them_to_the_defaults(idp):
    # UpdateUserPoolClient sets every member the request leaves out to its default.
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], **code_client_settings())
    idp.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"])
    described = describe_client(idp, pool["Id"], client["ClientId"])
    assert described["AllowedOAuthFlowsUserPoolClient"] is False
    for member in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs"):
        assert member not in described, member


def test_update_to_client_credentials_keeps_the_clients_secret(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    client = make_client(idp, pool["Id"], GenerateSecret=True)
    update = {k: v for k, v in machine_client_settings().items() if k != "GenerateSecret"}
    updated = idp.update_user_pool_client(UserPoolId=pool["Id"], ClientId=client["ClientId"],
                                          **update)["UserPoolClient"]
    assert updated["AllowedOAuthFlows"] == ["client_credentials"]
    assert updated["ClientSecret"] == client["ClientSecret"]


def test_update_to_client_credentials_without_a_secret_is_refused(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    client = make_client(idp, pool["Id"])
    update = {k: v for k, v in machine_client_settings().items() if k != "GenerateSecret"}
    refused(idp.update_user_pool_client, "InvalidOAuthFlowException",
            "client_credentials flow can not be selected if client does not have a client secret.",
            UserPoolId=pool["Id"], ClientId=client["ClientId"], **update)
    assert describe_client(idp, pool["Id"], client["ClientId"])["AllowedOAuthFlowsUserPoolClient"] \
        is False


# =========================================================================== 2. domains


def test_create_prefix_domain_has_no_cloudfront_domain(idp):
    pool = make_pool(idp)
    response = without_metadata(
        idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=unique_name("login")))
    assert "CloudFrontDomain" not in response
    assert set(response) <= {"ManagedLoginVersion"}, response
    assert response.get("ManagedLoginVersion", 1) == 1


def test_describe_prefix_domain_has_cognitos_shape(idp):
    pool = make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    description = idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]
    assert {"UserPoolId", "AWSAccountId", "Domain", "CloudFrontDistribution", "Version", "Status",
            "ManagedLoginVersion"} <= set(description), description
    assert description["UserPoolId"] == pool["Id"]
    assert description["Domain"] == domain
    assert re.fullmatch(r"\d{12}", description["AWSAccountId"]), description["AWSAccountId"]
    assert description["CloudFrontDistribution"]
    assert description["Status"] == "ACTIVE"
    assert description["ManagedLoginVersion"] == 1
    assert "CustomDomainConfig" not in description or description["CustomDomainConfig"] == {}


def test_domain_version_is_a_yyyymmddhhmmss_timestamp(idp):
    # Real describes show e.g. "Version": "20250702011951".
    pool = make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    version = idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]["Version"]
    assert re.fullmatch(r"20\d{12}", version), version
    assert abs(time.mktime(time.strptime(version, "%Y%m%d%H%M%S")) - time.mktime(time.gmtime())) \
        < 300, version


def test_describe_unknown_domain_is_an_empty_description(idp):
    response = without_metadata(idp.describe_user_pool_domain(Domain=unique_name("nobody")))
    assert response == {"DomainDescription": {}}


def test_domain_taken_by_another_pool_is_refused(idp):
    first, second = make_pool(idp), make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=first["Id"], Domain=domain)
    refused(idp.create_user_pool_domain, "InvalidParameterException",
            "Domain already associated with another user pool.",
            UserPoolId=second["Id"], Domain=domain)
    description = idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]
    assert description["UserPoolId"] == first["Id"]


def test_pool_with_a_prefix_domain_cannot_take_a_second(idp):
    pool = make_pool(idp)
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=unique_name("login"))
    second = unique_name("other")
    refused(idp.create_user_pool_domain, "InvalidParameterException",
            "User pool already has a domain configured.", UserPoolId=pool["Id"], Domain=second)
    assert without_metadata(idp.describe_user_pool_domain(Domain=second)) == {
        "DomainDescription": {}}


def test_prefix_with_a_reserved_word_is_refused(idp, subtests):
    pool = make_pool(idp)
    for domain, word in (("my-aws-login", "aws"), ("amazon-login", "amazon"),
                         ("login-cognito", "cognito")):
        with subtests.test(domain=domain):
            refused(idp.create_user_pool_domain, "InvalidParameterException",
                    f"Domain cannot contain reserved word: {word}", UserPoolId=pool["Id"],
                    Domain=f"{domain}-{unique_name('x')}")


def test_prefix_with_an_invalid_character_gets_cognitos_message(idp, subtests):
    pool = make_pool(idp)
    # "_": awslabs/service-workbench-on-aws#1222 got this message, not a model-pattern error
    # (Cognito cannot apply DomainType's pattern: custom domains have dots).
    for case, domain in (("underscore", "my_login"), ("uppercase", "MyLogin"),
                         ("dot-without-certificate", "my.login")):
        with subtests.test(case=case):
            refused(idp.create_user_pool_domain, "InvalidParameterException",
                    INVALID_DOMAIN_CHARACTER, UserPoolId=pool["Id"],
                    Domain=f"{domain}{unique_name('x')[-6:]}")
    assert "Domain" not in idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]


def test_custom_domain_has_a_cloudfront_domain_and_its_certificate(idp):
    pool = make_pool(idp)
    domain = f"{unique_name('auth')}.example.com"
    created = without_metadata(idp.create_user_pool_domain(
        UserPoolId=pool["Id"], Domain=domain, CustomDomainConfig={"CertificateArn": CERT_ARN}))
    assert isinstance(created.get("CloudFrontDomain"), str) and created["CloudFrontDomain"]
    description = idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]
    assert description["UserPoolId"] == pool["Id"]
    assert description["Domain"] == domain
    assert description["Status"] == "ACTIVE"
    assert description["CustomDomainConfig"]["CertificateArn"] == CERT_ARN


def test_describe_user_pool_names_its_prefix_and_custom_domains(idp):
    pool = make_pool(idp)
    assert "Domain" not in idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    prefix = unique_name("login")
    custom = f"{unique_name('auth')}.example.com"
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=prefix)
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=custom,
                                CustomDomainConfig={"CertificateArn": CERT_ARN})
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Domain"] == prefix
    assert described["CustomDomain"] == custom


def test_update_domain_sets_managed_login_version(idp):
    pool = make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    updated = without_metadata(idp.update_user_pool_domain(
        UserPoolId=pool["Id"], Domain=domain, ManagedLoginVersion=2))
    assert updated.get("ManagedLoginVersion") == 2
    assert "CloudFrontDomain" not in updated
    assert idp.describe_user_pool_domain(Domain=domain)["DomainDescription"][
        "ManagedLoginVersion"] == 2


def test_update_custom_domain_replaces_its_certificate(idp):
    pool = make_pool(idp)
    domain = f"{unique_name('auth')}.example.com"
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain,
                                CustomDomainConfig={"CertificateArn": CERT_ARN})
    idp.update_user_pool_domain(UserPoolId=pool["Id"], Domain=domain,
                                CustomDomainConfig={"CertificateArn": OTHER_CERT_ARN})
    description = idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]
    assert description["CustomDomainConfig"]["CertificateArn"] == OTHER_CERT_ARN


def test_certificate_for_a_prefix_domain_is_refused(idp):
    pool = make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    refused(idp.update_user_pool_domain, "InvalidParameterException",
            "User pool should have a custom domain associated, failed to update the certificate.",
            UserPoolId=pool["Id"], Domain=domain, CustomDomainConfig={"CertificateArn": CERT_ARN})


def test_delete_domain_then_describe_is_empty(idp):
    pool = make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)
    assert without_metadata(idp.delete_user_pool_domain(UserPoolId=pool["Id"], Domain=domain)) == {}
    assert without_metadata(idp.describe_user_pool_domain(Domain=domain)) == {
        "DomainDescription": {}}
    assert "Domain" not in idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]


def test_delete_missing_domain_is_refused(idp):
    pool = make_pool(idp)
    refused(idp.delete_user_pool_domain, "InvalidParameterException", NO_SUCH_DOMAIN,
            UserPoolId=pool["Id"], Domain=unique_name("nobody"))


def test_delete_another_pools_domain_is_refused(idp):
    owner, other = make_pool(idp), make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=owner["Id"], Domain=domain)
    refused(idp.delete_user_pool_domain, "InvalidParameterException", NO_SUCH_DOMAIN,
            UserPoolId=other["Id"], Domain=domain)
    assert idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]["UserPoolId"] \
        == owner["Id"]


def test_deleting_the_pool_frees_its_domain(idp):
    first, second = make_pool(idp), make_pool(idp)
    domain = unique_name("login")
    idp.create_user_pool_domain(UserPoolId=first["Id"], Domain=domain)
    idp.delete_user_pool(UserPoolId=first["Id"])
    assert without_metadata(idp.describe_user_pool_domain(Domain=domain)) == {
        "DomainDescription": {}}
    idp.create_user_pool_domain(UserPoolId=second["Id"], Domain=domain)
    assert idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]["UserPoolId"] \
        == second["Id"]


def test_cli_domain_lifecycle_as_terraform_runs_it(idp, aws):
    pool_id = make_pool(idp)["Id"]
    domain = unique_name("tf")
    created = aws("cognito-idp", "create-user-pool-domain", "--user-pool-id", pool_id,
                  "--domain", domain)
    assert "CloudFrontDomain" not in created
    # Terraform reads the domain back after create and on every refresh.
    read = aws("cognito-idp", "describe-user-pool-domain", "--domain", domain)
    assert read["DomainDescription"]["UserPoolId"] == pool_id
    assert read["DomainDescription"]["Domain"] == domain
    assert read["DomainDescription"]["Status"] == "ACTIVE"
    assert aws("cognito-idp", "delete-user-pool-domain", "--user-pool-id", pool_id,
               "--domain", domain) == {}
    # Destroy polls until the description comes back empty.
    assert aws("cognito-idp", "describe-user-pool-domain", "--domain", domain) == {
        "DomainDescription": {}}


# =========================================================================== 3. resource servers


def test_create_resource_server_returns_its_shape(idp):
    pool = make_pool(idp)
    scopes = [{"ScopeName": "read", "ScopeDescription": "Read orders"},
              {"ScopeName": "write", "ScopeDescription": "Write orders"}]
    created = idp.create_resource_server(
        UserPoolId=pool["Id"], Identifier="https://api.example.com", Name="Orders API",
        Scopes=scopes)["ResourceServer"]
    expected = {"UserPoolId": pool["Id"], "Identifier": "https://api.example.com",
                "Name": "Orders API", "Scopes": scopes}
    assert created == expected
    described = idp.describe_resource_server(UserPoolId=pool["Id"],
                                             Identifier="https://api.example.com")
    assert described["ResourceServer"] == expected


def test_resource_server_without_scopes_has_no_scopes_key(idp):
    pool = make_pool(idp)
    created = idp.create_resource_server(UserPoolId=pool["Id"], Identifier="bare",
                                         Name="Bare")["ResourceServer"]
    assert created == {"UserPoolId": pool["Id"], "Identifier": "bare", "Name": "Bare"}
    described = idp.describe_resource_server(UserPoolId=pool["Id"], Identifier="bare")
    assert "Scopes" not in described["ResourceServer"]


def test_duplicate_resource_server_identifier_is_refused(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    refused(idp.create_resource_server, "InvalidParameterException",
            f"orders already exists in user pool {pool['Id']}.",
            UserPoolId=pool["Id"], Identifier="orders", Name="Again")
    described = idp.describe_resource_server(UserPoolId=pool["Id"], Identifier="orders")
    assert described["ResourceServer"]["Name"] == "Orders"


def test_same_identifier_in_two_pools_is_fine(idp):
    first, second = make_pool(idp), make_pool(idp)
    orders_server(idp, first["Id"])
    assert orders_server(idp, second["Id"])["UserPoolId"] == second["Id"]


def test_describe_missing_resource_server_is_not_found(idp):
    pool = make_pool(idp)
    refused(idp.describe_resource_server, "ResourceNotFoundException",
            "Resource server nothing-here does not exist.",
            UserPoolId=pool["Id"], Identifier="nothing-here")


def test_list_resource_servers_paginates(idp):
    pool = make_pool(idp)
    identifiers = {f"api-{n}" for n in range(3)}
    for identifier in identifiers:
        idp.create_resource_server(UserPoolId=pool["Id"], Identifier=identifier, Name=identifier)
    seen: list[str] = []
    token = None
    for _ in range(10):  # bounded: 3 pages expected
        kwargs: dict[str, Any] = {"UserPoolId": pool["Id"], "MaxResults": 1}
        if token:
            kwargs["NextToken"] = token
        page = idp.list_resource_servers(**kwargs)
        assert len(page["ResourceServers"]) <= 1
        for server in page["ResourceServers"]:
            assert server["UserPoolId"] == pool["Id"]
            seen.append(server["Identifier"])
        token = page.get("NextToken")
        if not token:
            break
    else:
        pytest.fail(f"ListResourceServers kept returning NextToken; saw {seen}")
    assert sorted(seen) == sorted(identifiers)


def test_update_resource_server_replaces_name_and_scopes(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    scopes = [{"ScopeName": "admin", "ScopeDescription": "Administer orders"}]
    updated = idp.update_resource_server(UserPoolId=pool["Id"], Identifier="orders",
                                         Name="Orders v2", Scopes=scopes)["ResourceServer"]
    expected = {"UserPoolId": pool["Id"], "Identifier": "orders", "Name": "Orders v2",
                "Scopes": scopes}
    assert updated == expected
    assert idp.describe_resource_server(UserPoolId=pool["Id"], Identifier="orders")[
        "ResourceServer"] == expected


def test_update_missing_resource_server_is_not_found(idp):
    pool = make_pool(idp)
    refused(idp.update_resource_server, "ResourceNotFoundException",
            "Resource server ghost does not exist.",
            UserPoolId=pool["Id"], Identifier="ghost", Name="Ghost")


def test_delete_resource_server(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    assert without_metadata(idp.delete_resource_server(UserPoolId=pool["Id"],
                                                       Identifier="orders")) == {}
    refused(idp.describe_resource_server, "ResourceNotFoundException",
            "Resource server orders does not exist.", UserPoolId=pool["Id"], Identifier="orders")
    assert idp.list_resource_servers(UserPoolId=pool["Id"], MaxResults=50)["ResourceServers"] == []
    refused(idp.delete_resource_server, "ResourceNotFoundException",
            "Resource server orders does not exist.", UserPoolId=pool["Id"], Identifier="orders")


def test_twenty_sixth_resource_server_exceeds_the_limit(idp):
    pool = make_pool(idp)
    for n in range(25):
        idp.create_resource_server(UserPoolId=pool["Id"], Identifier=f"api-{n}", Name=f"api {n}")
    refused(idp.create_resource_server, "LimitExceededException",
            UserPoolId=pool["Id"], Identifier="api-25", Name="one too many")
    listed = idp.list_resource_servers(UserPoolId=pool["Id"], MaxResults=50)["ResourceServers"]
    assert len(listed) == 25


def test_duplicate_scope_names_are_refused(idp):
    pool = make_pool(idp)
    message = refused(idp.create_resource_server, "InvalidParameterException",
                      UserPoolId=pool["Id"], Identifier="orders", Name="Orders",
                      Scopes=[{"ScopeName": "read", "ScopeDescription": "one"},
                              {"ScopeName": "read", "ScopeDescription": "two"}])
    assert "read" in message
    refused(idp.describe_resource_server, "ResourceNotFoundException",
            UserPoolId=pool["Id"], Identifier="orders")


def test_scope_name_with_a_slash_fails_the_model_pattern(idp):
    pool = make_pool(idp)
    message = refused(idp.create_resource_server, "InvalidParameterException",
                      UserPoolId=pool["Id"], Identifier="orders", Name="Orders",
                      Scopes=[{"ScopeName": "read/all", "ScopeDescription": "all"}])
    assert message.startswith("1 validation error detected"), message
    assert "read/all" in message


def test_client_scopes_of_a_deleted_scope_stay_on_the_client(idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    client = make_client(idp, pool["Id"], **machine_client_settings())
    idp.update_resource_server(UserPoolId=pool["Id"], Identifier="orders", Name="Orders",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}])
    described = describe_client(idp, pool["Id"], client["ClientId"])
    assert described["AllowedOAuthScopes"] == ["orders/read", "orders/write"]


# =========================================================================== 4. /oauth2/token


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_client_credentials_token_with_authlib(cognate, idp, method):
    m = machine(cognate, idp)
    token, raw = fetch_with_raw(m.session(method), m.token_url)
    assert raw.status_code == 200
    assert raw.headers.get("Content-Type") == JSON_UTF8
    assert raw.headers.get("Cache-Control") == "no-store"
    body = raw.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}, body
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    assert token["access_token"] == body["access_token"]


def test_machine_access_token_verifies_and_has_cognitos_claims(cognate, idp):
    m = machine(cognate, idp)
    token = m.session().fetch_token(m.token_url, grant_type="client_credentials")
    claims = verified_machine_claims(m, token["access_token"])
    assert set(claims) == MACHINE_CLAIMS, claims
    assert claims["sub"] == m.client_id
    assert claims["client_id"] == m.client_id
    assert claims["token_use"] == "access"
    assert claims["scope"] == "orders/read orders/write"
    assert claims["version"] == 2
    assert claims["iss"] == m.issuer
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["auth_time"] == claims["iat"]
    assert abs(claims["iat"] - time.time()) < 300
    assert "username" not in claims


def test_requested_scope_narrows_the_token(cognate, idp):
    m = machine(cognate, idp)
    token = m.session().fetch_token(m.token_url, grant_type="client_credentials",
                                    scope="orders/read")
    assert verified_machine_claims(m, token["access_token"])["scope"] == "orders/read"


def test_expires_in_follows_the_clients_access_token_validity(cognate, idp):
    m = machine(cognate, idp, AccessTokenValidity=5,
                TokenValidityUnits={"AccessToken": "minutes"})
    token, raw = fetch_with_raw(m.session(), m.token_url)
    assert raw.json()["expires_in"] == 300
    claims = verified_machine_claims(m, token["access_token"])
    assert claims["exp"] - claims["iat"] == 300


def test_wrong_secret_is_invalid_client(cognate, idp):
    m = machine(cognate, idp)
    response = post_token(m.token_url, {"grant_type": "client_credentials"},
                          auth=(m.client_id, m.secret[:-1] + ("a" if m.secret[-1] != "a" else "b")))
    assert_oauth_error(response, "invalid_client")


def test_wrong_secret_in_the_body_is_invalid_client(cognate, idp):
    m = machine(cognate, idp)
    response = post_token(m.token_url, {"grant_type": "client_credentials",
                                        "client_id": m.client_id, "client_secret": "not-it"})
    assert_oauth_error(response, "invalid_client")


def test_unknown_client_is_invalid_client(cognate, idp):
    m = machine(cognate, idp)
    response = post_token(m.token_url, {"grant_type": "client_credentials"},
                          auth=("1example23456789abcdefghij", m.secret))
    assert_oauth_error(response, "invalid_client")


def test_scope_the_client_may_not_use_is_invalid_scope(cognate, idp):
    m = machine(cognate, idp)
    idp.update_resource_server(
        UserPoolId=m.pool_id, Identifier="orders", Name="Orders",
        Scopes=[{"ScopeName": s, "ScopeDescription": s} for s in ("read", "write", "admin")])
    response = post_token(m.token_url, {"grant_type": "client_credentials",
                                        "scope": "orders/read orders/admin"},
                          auth=(m.client_id, m.secret))
    assert_oauth_error(response, "invalid_scope")


def test_missing_grant_type_is_invalid_request(cognate, idp):
    m = machine(cognate, idp)
    response = post_token(m.token_url, {"scope": "orders/read"}, auth=(m.client_id, m.secret))
    assert_oauth_error(response, "invalid_request")


def test_password_grant_is_unsupported(cognate, idp):
    m = machine(cognate, idp)
    response = post_token(m.token_url, {"grant_type": "password", "username": "u",
                                        "password": "p"}, auth=(m.client_id, m.secret))
    assert_oauth_error(response, "unsupported_grant_type")


def test_json_body_is_invalid_request(cognate, idp):
    m = machine(cognate, idp)
    response = requests.post(m.token_url, json={"grant_type": "client_credentials"},
                             auth=(m.client_id, m.secret), timeout=10)
    assert_oauth_error(response, "invalid_request")


def test_client_with_the_oauth_flag_off_is_invalid_grant(cognate, idp):
    m = machine(cognate, idp, AllowedOAuthFlowsUserPoolClient=False)
    response = post_token(m.token_url, {"grant_type": "client_credentials"},
                          auth=(m.client_id, m.secret))
    assert_oauth_error(response, "invalid_grant")


def test_code_flow_client_asking_client_credentials_is_unauthorized_client(cognate, idp):
    pool = make_pool(idp)
    orders_server(idp, pool["Id"])
    client = make_client(idp, pool["Id"], GenerateSecret=True, **code_client_settings(
        AllowedOAuthScopes=["openid", "orders/read"]))
    response = post_token(f"{cognate.url}/oauth2/token",
                          {"grant_type": "client_credentials", "scope": "orders/read"},
                          auth=(client["ClientId"], client["ClientSecret"]))
    assert_oauth_error(response, "unauthorized_client")


def test_public_client_presenting_a_secret_is_invalid_client(cognate, idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], **code_client_settings())
    response = post_token(f"{cognate.url}/oauth2/token", {"grant_type": "client_credentials"},
                          auth=(client["ClientId"], "made-up-secret"))
    assert_oauth_error(response, "invalid_client")


def test_public_client_asking_client_credentials_is_invalid_scope(cognate, idp):
    # repost.aws QUnhrxb08MRJaH7hIRtUnCKA: a client without a secret posting
    # grant_type=client_credentials&client_id=... got {"error":"invalid_scope"}.
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"], **code_client_settings())
    response = post_token(f"{cognate.url}/oauth2/token",
                          {"grant_type": "client_credentials", "client_id": client["ClientId"]})
    assert_oauth_error(response, "invalid_scope")


def test_basic_header_and_body_naming_different_clients_is_invalid_client(cognate, idp):
    m = machine(cognate, idp)
    other = make_client(idp, m.pool_id, ExplicitAuthFlows=None, **machine_client_settings())
    response = post_token(m.token_url, {"grant_type": "client_credentials",
                                        "client_id": other["ClientId"]},
                          auth=(m.client_id, m.secret))
    assert_oauth_error(response, "invalid_client")


def test_get_on_the_token_endpoint_is_not_allowed(cognate):
    response = requests.get(f"{cognate.url}/oauth2/token", timeout=10)
    assert response.status_code == 405


def test_scope_removed_from_its_resource_server_is_left_out_of_tokens(cognate, idp):
    m = machine(cognate, idp)
    idp.update_resource_server(UserPoolId=m.pool_id, Identifier="orders", Name="Orders",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}])
    default = m.session().fetch_token(m.token_url, grant_type="client_credentials")
    assert verified_machine_claims(m, default["access_token"])["scope"] == "orders/read"
    # Asking for the inactive scope by name is no error either; it is just not granted.
    asked = m.session().fetch_token(m.token_url, grant_type="client_credentials",
                                    scope="orders/read orders/write")
    assert verified_machine_claims(m, asked["access_token"])["scope"] == "orders/read"


def test_scope_defined_again_comes_back_into_tokens(cognate, idp):
    m = machine(cognate, idp)
    idp.update_resource_server(UserPoolId=m.pool_id, Identifier="orders", Name="Orders",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}])
    orders = [{"ScopeName": s, "ScopeDescription": s} for s in ("read", "write")]
    idp.update_resource_server(UserPoolId=m.pool_id, Identifier="orders", Name="Orders",
                               Scopes=orders)
    token = m.session().fetch_token(m.token_url, grant_type="client_credentials")
    assert verified_machine_claims(m, token["access_token"])["scope"] == "orders/read orders/write"


def machine_trigger_pool(version: str, function: str) -> dict:
    return {"UserPoolTier": "ESSENTIALS",
            "LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": version,
                                                          "LambdaArn": arn(function)}}}


def test_pre_token_generation_v3_shapes_machine_tokens(start_cognate, lambda_stub):
    def handler(event: dict) -> dict:
        event["response"]["claimsAndScopeOverrideDetails"] = {
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme", "limits": {"rps": 5}},
                "scopesToAdd": ["orders/audit"],
                "scopesToSuppress": ["orders/write"],
            },
        }
        return event

    lambda_stub.register("machineClaims", handler)
    server = start_cognate(config=trigger_config(endpoint=lambda_stub.url))
    idp = server.idp()
    m = machine(server, idp, pool=machine_trigger_pool("V3_0", "machineClaims"))
    token = m.session().fetch_token(m.token_url, grant_type="client_credentials",
                                    aws_client_metadata=json.dumps({"onBehalfOf": "batch-7"}))
    claims = verified_machine_claims(m, token["access_token"])
    assert claims["tenant"] == "acme"
    assert claims["limits"] == {"rps": 5}
    assert claims["scope"].split(" ") == ["orders/read", "orders/audit"]
    assert claims["sub"] == m.client_id and claims["token_use"] == "access"

    events = lambda_stub.events("machineClaims")
    assert len(events) == 1
    event = events[0]
    assert event["version"] == "3"
    assert event["triggerSource"] == "TokenGeneration_ClientCredentials"
    assert event["userName"] == "ClientCredentials"
    assert event["userPoolId"] == m.pool_id
    assert event["callerContext"]["clientId"] == m.client_id
    request = event["request"]
    assert request["userAttributes"] == {}
    assert request["scopes"] == ["orders/read", "orders/write"]
    assert request["clientMetadata"] == {"onBehalfOf": "batch-7"}
    assert "groupConfiguration" in request and request["groupConfiguration"] is None


def test_pre_token_generation_v2_is_not_called_for_machine_tokens(start_cognate, lambda_stub):
    lambda_stub.register("claimsV2", lambda event: event)
    server = start_cognate(config=trigger_config(endpoint=lambda_stub.url))
    idp = server.idp()
    m = machine(server, idp, pool=machine_trigger_pool("V2_0", "claimsV2"))
    token = m.session().fetch_token(m.token_url, grant_type="client_credentials")
    assert verified_machine_claims(m, token["access_token"])["scope"] == "orders/read orders/write"
    assert lambda_stub.calls("claimsV2") == []


# =========================================================================== 5. discovery


def test_discovery_document_has_exactly_cognitos_keys(cognate, idp):
    pool = make_pool(idp)
    response = requests.get(f"{cognate.url}/{pool['Id']}/.well-known/openid-configuration",
                            timeout=10)
    assert response.status_code == 200, response.text
    config = response.json()
    assert set(config) == DISCOVERY_KEYS, set(config) ^ DISCOVERY_KEYS
    issuer = f"{cognate.url}/{pool['Id']}"
    assert config["issuer"] == issuer
    assert config["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert config["token_endpoint"] == f"{cognate.url}/oauth2/token"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["subject_types_supported"] == ["public"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic", "client_secret_post"}
    assert "openid" in config["scopes_supported"]


def test_discovered_token_endpoint_issues_machine_tokens(cognate, idp):
    m = machine(cognate, idp)
    config = requests.get(f"{m.issuer}/.well-known/openid-configuration", timeout=10).json()
    token = m.session().fetch_token(config["token_endpoint"], grant_type="client_credentials")
    assert verified_machine_claims(m, token["access_token"])["client_id"] == m.client_id
