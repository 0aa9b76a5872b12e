"""Schema-driven negative tests: invalid input is refused with a validation error and changes
nothing.

For every operation docs/compatibility.md marks "implemented" or "partial", a valid base
request (``base_requests`` below, built from fixtures made once for the module) is broken one
constraint of the service model at a time (negative_cases.py generates the cases: required,
length, pattern, enum, JSON type, integer range, list length). Each broken request is sent
raw (plain HTTP, so botocore's client-side validation cannot get in the way) and must be
answered 400 with ``InvalidParameterException`` or ``SerializationException`` (JSON type
mismatches). Sensitive values (``"sensitive": true`` in the model, or inside a sensitive
shape) must not be echoed in the error message, and no response header may exceed the 64 KiB
line that http.client (so boto3) accepts.

The items run in this order for each operation:
* ``<Op>-<Member>-<kind>``: the broken requests;
* ``<Op>-nothing_changed``: a snapshot of the server's state (pools, users with their
  attributes and status, groups and members, app clients, whether the fixtures' access
  tokens still work, and for the operations that send codes the outbox size) taken before
  the operation's first case must still hold;
* ``<Op>-base_is_valid``: the base request itself is not refused with a validation error, so
  it is the breakage that triggers the error (it runs last because it may change state).

When a challenge operation wrongly accepts a broken request (spending the session), the
session is renewed (``REPAIRS``) so the following cases still test their own breakage.
Nothing is marked xfail: every wrong answer fails its item, with the request and response.

Set ``COGNATE_NEGATIVE_REPORT=/path/file.json`` to get every wrong answer (and the answers to
the base requests) as JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from harness import REPO_ROOT, CognateServer, cognate_binary
from helpers import (
    PASSWORD,
    App,
    confirmed_user,
    make_client,
    make_pool,
    sign_up_user,
    unique_email,
    unique_name,
)
from negative_cases import (
    DELETE,
    UNBROKEN_PATTERNS,
    VALIDATION_ERRORS,
    Case,
    documented_errors,
    implemented_operations,
    operation_cases,
)

OPERATIONS = implemented_operations(REPO_ROOT / "docs" / "compatibility.md")

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"
# The default test server (no admin keys configured) accepts any signature on loopback.
AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/cognito-idp/aws4_request, "
                 "SignedHeaders=host;x-amz-date, Signature=00")

HEADER_LINE_LIMIT = 65536  # http.client's _MAXLINE; other HTTP stacks are stricter still

NEW_PASSWORD = "N3w-Passw0rd!x"
ALL_FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_CUSTOM_AUTH",
]

# Operations that may send a code or an invitation: their snapshot includes the outbox size.
MAIL_OPERATIONS = {
    "AdminCreateUser", "AdminResetUserPassword", "AdminUpdateUserAttributes", "ForgotPassword",
    "GetUserAttributeVerificationCode", "ResendConfirmationCode", "SignUp",
    "UpdateUserAttributes",
}


# =========================================================================== base requests


def base_requests(fx: Any) -> dict[str, dict]:
    """A valid request per operation. ``fx`` holds the module's fixtures (at collection time
    a stand-in whose every attribute is a placeholder string: only the shape matters then).

    Each operation that changes something gets its own target (user, token, group, client,
    pool), so that neither its base request nor a broken request wrongly accepted disturbs
    the other operations' fixtures.
    """
    P, C = fx.pool_id, fx.client_id
    meta = {"origin": "negative-tests"}
    analytics = {"AnalyticsEndpointId": "negative-tests"}
    user_context = {"IpAddress": "192.0.2.10", "EncodedData": "e30="}
    context = {
        "IpAddress": "192.0.2.10", "ServerName": "app.example.com", "ServerPath": "/login",
        "HttpHeaders": [{"headerName": "User-Agent", "headerValue": "negative-tests"}],
        "EncodedData": "e30=",
    }
    message = "Your code is {####}"
    templates = {
        "SmsMessage": message, "EmailMessage": message, "EmailSubject": "Your code",
        "EmailMessageByLink": "Please {##verify##} now", "EmailSubjectByLink": "Verify",
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
    }
    pool_settings = {
        "Policies": {"PasswordPolicy": {
            "MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True,
            "RequireNumbers": True, "RequireSymbols": False, "TemporaryPasswordValidityDays": 7,
        }},
        "DeletionProtection": "INACTIVE",
        "AutoVerifiedAttributes": ["email"],
        "SmsVerificationMessage": message,
        "EmailVerificationMessage": message,
        "EmailVerificationSubject": "Your code",
        "VerificationMessageTemplate": templates,
        "SmsAuthenticationMessage": message,
        "MfaConfiguration": "OFF",
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
        "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": False,
                                "DeviceOnlyRememberedOnUserPrompt": False},
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "UserPoolTags": {"team": "negative-tests"},
        "AdminCreateUserConfig": {
            "AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7,
            "InviteMessageTemplate": {"EmailMessage": "Hi {username}, your password is {####}",
                                      "EmailSubject": "Welcome",
                                      "SMSMessage": "Hi {username}, {####}"},
        },
        "UserPoolAddOns": {"AdvancedSecurityMode": "OFF"},
        "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1,
                                                           "Name": "verified_email"}]},
    }
    off = {"Enabled": False, "PreferredMfa": False}
    mfa_settings = {"SMSMfaSettings": off, "SoftwareTokenMfaSettings": off, "EmailMfaSettings": off,
                    "WebAuthnMfaSettings": {"Enabled": False}}
    client_settings = {
        "RefreshTokenValidity": 30, "AccessTokenValidity": 60, "IdTokenValidity": 60,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes",
                               "RefreshToken": "days"},
        "ReadAttributes": ["email", "given_name"],
        "WriteAttributes": ["given_name"],
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://app.example.com/callback"],
        "LogoutURLs": ["https://app.example.com/logout"],
        "DefaultRedirectURI": "https://app.example.com/callback",
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
        "RefreshTokenRotation": {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0},
    }
    return {
        "AdminAddUserToGroup": {"UserPoolId": P, "Username": fx.username,
                                "GroupName": fx.group},
        "AdminConfirmSignUp": {"UserPoolId": P, "Username": fx.unconfirmed_for_admin,
                               "ClientMetadata": meta},
        "AdminCreateUser": {
            "UserPoolId": P, "Username": fx.new_admin_username,
            "UserAttributes": [{"Name": "email", "Value": fx.new_admin_email}],
            "ValidationData": [{"Name": "origin", "Value": "negative-tests"}],
            "TemporaryPassword": PASSWORD, "ForceAliasCreation": False,
            "MessageAction": "SUPPRESS", "DesiredDeliveryMediums": ["EMAIL"],
            "ClientMetadata": meta,
        },
        "AdminDeleteUser": {"UserPoolId": P, "Username": fx.user_admin_delete},
        "AdminDeleteUserAttributes": {"UserPoolId": P, "Username": fx.user_admin_delete_attrs,
                                      "UserAttributeNames": ["given_name"]},
        "AdminDisableUser": {"UserPoolId": P, "Username": fx.user_admin_disable},
        "AdminEnableUser": {"UserPoolId": P, "Username": fx.user_admin_enable},
        "AdminGetUser": {"UserPoolId": P, "Username": fx.username},
        "AdminInitiateAuth": {
            "UserPoolId": P, "ClientId": C, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": fx.username, "PASSWORD": PASSWORD},
            "ClientMetadata": meta, "AnalyticsMetadata": analytics, "ContextData": context,
        },
        "AdminListGroupsForUser": {"Username": fx.username, "UserPoolId": P, "Limit": 10},
        "AdminRemoveUserFromGroup": {"UserPoolId": P, "Username": fx.user_in_group,
                                     "GroupName": fx.group},
        "AdminResetUserPassword": {"UserPoolId": P, "Username": fx.user_admin_reset,
                                   "ClientMetadata": meta},
        "AdminRespondToAuthChallenge": {
            "UserPoolId": P, "ClientId": C, "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "ChallengeResponses": {"USERNAME": fx.user_admin_challenge,
                                   "NEW_PASSWORD": NEW_PASSWORD},
            "Session": fx.admin_challenge_session, "AnalyticsMetadata": analytics,
            "ContextData": context, "ClientMetadata": meta,
        },
        "AdminSetUserPassword": {"UserPoolId": P, "Username": fx.user_admin_set_password,
                                 "Password": NEW_PASSWORD, "Permanent": True},
        "AdminUpdateUserAttributes": {
            "UserPoolId": P, "Username": fx.user_admin_update,
            "UserAttributes": [{"Name": "given_name", "Value": "Updated"}],
            "ClientMetadata": meta,
        },
        "AdminUserGlobalSignOut": {"UserPoolId": P, "Username": fx.user_admin_sign_out},
        "ChangePassword": {"PreviousPassword": PASSWORD, "ProposedPassword": NEW_PASSWORD,
                           "AccessToken": fx.token_change_password},
        "ConfirmForgotPassword": {
            "ClientId": C, "Username": fx.user_confirm_forgot, "ConfirmationCode": "000000",
            "Password": NEW_PASSWORD, "AnalyticsMetadata": analytics,
            "UserContextData": user_context, "ClientMetadata": meta,
        },
        "ConfirmSignUp": {
            "ClientId": C, "Username": fx.unconfirmed_for_code, "ConfirmationCode": "000000",
            "ForceAliasCreation": False, "AnalyticsMetadata": analytics,
            "UserContextData": user_context, "ClientMetadata": meta,
        },
        "CreateGroup": {"GroupName": fx.new_group, "UserPoolId": P,
                        "Description": "created by the negative tests", "Precedence": 5},
        "CreateUserPool": {
            "PoolName": fx.new_pool_name, **pool_settings,
            # No AliasAttributes: with UsernameAttributes (which the cases add) it is refused.
            "Schema": [{
                "Name": "tenant", "AttributeDataType": "String", "Mutable": True,
                "Required": False, "DeveloperOnlyAttribute": False,
                "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "64"},
            }],
            "UsernameConfiguration": {"CaseSensitive": False},
        },
        "CreateUserPoolClient": {"UserPoolId": P, "ClientName": fx.new_client_name,
                                 "GenerateSecret": False, **client_settings},
        "DeleteGroup": {"GroupName": fx.group_to_delete, "UserPoolId": P},
        "CreateUserPoolDomain": {"UserPoolId": fx.pool_domain_new, "Domain": fx.new_domain,
                                 "ManagedLoginVersion": 1},
        "DescribeUserPoolDomain": {"Domain": fx.domain},
        "UpdateUserPoolDomain": {"UserPoolId": fx.pool_domains, "Domain": fx.domain,
                                 "ManagedLoginVersion": 2},
        "DeleteUserPoolDomain": {"UserPoolId": fx.pool_domain_delete, "Domain": fx.domain_to_delete},
        "CreateResourceServer": {"UserPoolId": P, "Identifier": fx.new_resource_server, "Name": "Orders API",
                                 "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read orders"}]},
        "DescribeResourceServer": {"UserPoolId": P, "Identifier": fx.resource_server},
        "ListResourceServers": {"UserPoolId": P, "MaxResults": 10},
        "UpdateResourceServer": {"UserPoolId": P, "Identifier": fx.resource_server, "Name": "Orders API v2",
                                 "Scopes": [{"ScopeName": "write", "ScopeDescription": "Write orders"}]},
        "DeleteResourceServer": {"UserPoolId": P, "Identifier": fx.resource_server_to_delete},
        "SetUICustomization": {"UserPoolId": P, "ClientId": C,
                               "CSS": ".submitButton-customizable { background: #0b5cad; }"},
        "GetUICustomization": {"UserPoolId": P, "ClientId": C},
        "CreateManagedLoginBranding": {"UserPoolId": P, "ClientId": fx.client_branding_new,
                                       "UseCognitoProvidedValues": False,
                                       "Settings": {"components": {}},
                                       "Assets": [{"Category": "FORM_LOGO", "ColorMode": "LIGHT",
                                                   "Extension": "PNG", "Bytes": "iVBORw0KGgo="}]},
        "DescribeManagedLoginBranding": {"UserPoolId": P, "ManagedLoginBrandingId": fx.branding_id,
                                         "ReturnMergedResources": False},
        "DescribeManagedLoginBrandingByClient": {"UserPoolId": P, "ClientId": fx.client_branding,
                                                 "ReturnMergedResources": False},
        "UpdateManagedLoginBranding": {"UserPoolId": P, "ManagedLoginBrandingId": fx.branding_id,
                                       "UseCognitoProvidedValues": True},
        "DeleteManagedLoginBranding": {"UserPoolId": P, "ManagedLoginBrandingId": fx.branding_to_delete},
        "GetClientToken": {"ClientId": fx.machine_client, "Secret": fx.machine_secret,
                           "Scopes": [fx.machine_scope], "ClientMetadata": meta},
        "DeleteUser": {"AccessToken": fx.token_delete_user},
        "DeleteUserAttributes": {"UserAttributeNames": ["given_name"],
                                 "AccessToken": fx.token_delete_attrs},
        "DeleteUserPool": {"UserPoolId": fx.pool_to_delete},
        "DeleteUserPoolClient": {"UserPoolId": P, "ClientId": fx.client_to_delete},
        "DescribeUserPool": {"UserPoolId": P},
        "DescribeUserPoolClient": {"UserPoolId": P, "ClientId": C},
        "ForgotPassword": {
            "ClientId": C, "UserContextData": user_context, "Username": fx.user_forgot,
            "AnalyticsMetadata": analytics, "ClientMetadata": meta,
        },
        "GetGroup": {"GroupName": fx.group, "UserPoolId": P},
        "GetTokensFromRefreshToken": {"RefreshToken": fx.refresh_token, "ClientId": C,
                                      "ClientMetadata": meta},
        "GetUser": {"AccessToken": fx.access_token},
        "GetUserAttributeVerificationCode": {"AccessToken": fx.token_verification_code,
                                             "AttributeName": "email", "ClientMetadata": meta},
        "GlobalSignOut": {"AccessToken": fx.token_global_sign_out},
        "InitiateAuth": {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": fx.username, "PASSWORD": PASSWORD},
            "ClientMetadata": meta, "ClientId": C, "AnalyticsMetadata": analytics,
            "UserContextData": user_context,
        },
        "ListGroups": {"UserPoolId": P, "Limit": 10},
        "ListUserPoolClients": {"UserPoolId": P, "MaxResults": 10},
        "ListUserPools": {"MaxResults": 10},
        "ListUsers": {"UserPoolId": P, "AttributesToGet": ["email"], "Limit": 10,
                      "Filter": 'email ^= "user"'},
        "ListUsersInGroup": {"UserPoolId": P, "GroupName": fx.group, "Limit": 10},
        "ResendConfirmationCode": {
            "ClientId": C, "UserContextData": user_context, "Username": fx.unconfirmed_for_resend,
            "AnalyticsMetadata": analytics, "ClientMetadata": meta,
        },
        "RespondToAuthChallenge": {
            "ClientId": C, "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": fx.challenge_session,
            "ChallengeResponses": {"USERNAME": fx.user_challenge, "NEW_PASSWORD": NEW_PASSWORD},
            "AnalyticsMetadata": analytics, "UserContextData": user_context,
            "ClientMetadata": meta,
        },
        "RevokeToken": {"Token": fx.refresh_token_revoke, "ClientId": C},
        "SignUp": {
            "ClientId": C, "Username": fx.new_signup_username, "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": fx.new_signup_email}],
            "ValidationData": [{"Name": "origin", "Value": "negative-tests"}],
            "AnalyticsMetadata": analytics, "UserContextData": user_context,
            "ClientMetadata": meta,
        },
        "UpdateGroup": {"GroupName": fx.group, "UserPoolId": P,
                        "Description": "updated by the negative tests", "Precedence": 3},
        "UpdateUserAttributes": {
            "UserAttributes": [{"Name": "given_name", "Value": "Updated"}],
            "AccessToken": fx.token_update_attrs, "ClientMetadata": meta,
        },
        "UpdateUserPool": {"UserPoolId": fx.pool_to_update, "PoolName": fx.pool_to_update_name,
                           **pool_settings},
        "UpdateUserPoolClient": {"UserPoolId": P, "ClientId": fx.client_to_update,
                                 "ClientName": fx.client_to_update_name, **client_settings},
        "VerifyUserAttribute": {"AccessToken": fx.token_verify, "AttributeName": "email",
                                "Code": "000000"},
        # The fixture pool has MFA off: the software-token calls answer
        # SoftwareTokenMFANotFoundException, which the model documents.
        "AssociateSoftwareToken": {"AccessToken": fx.access_token},
        "VerifySoftwareToken": {"AccessToken": fx.access_token, "UserCode": "123456",
                                "FriendlyDeviceName": "negative-tests"},
        "SetUserMFAPreference": {"AccessToken": fx.token_mfa_preference, **mfa_settings},
        "AdminSetUserMFAPreference": {"UserPoolId": P, "Username": fx.user_admin_mfa, **mfa_settings},
        "AdminDeleteSoftwareToken": {"UserPoolId": P, "Username": fx.user_admin_mfa},
        "GetUserPoolMfaConfig": {"UserPoolId": P},
        "GetUserAuthFactors": {"AccessToken": fx.access_token},
        # The fixture pool allows no passkeys: WebAuthnNotEnabledException, or a credential
        # that does not exist.
        "StartWebAuthnRegistration": {"AccessToken": fx.access_token},
        "CompleteWebAuthnRegistration": {"AccessToken": fx.access_token, "Credential": {"id": "negative"}},
        "ListWebAuthnCredentials": {"AccessToken": fx.access_token, "MaxResults": 10},
        "DeleteWebAuthnCredential": {"AccessToken": fx.access_token, "CredentialId": "negative-tests"},
        # The fixture pool tracks no devices: the device calls answer ResourceNotFoundException
        # (a device key nobody has) or InvalidParameterException, which the model documents.
        "ConfirmDevice": {"AccessToken": fx.access_token, "DeviceKey": fx.device_key, "DeviceName": "negative",
                          "DeviceSecretVerifierConfig": {"PasswordVerifier": "AAAA", "Salt": "AAAA"}},
        "GetDevice": {"DeviceKey": fx.device_key, "AccessToken": fx.access_token},
        "AdminGetDevice": {"DeviceKey": fx.device_key, "UserPoolId": P, "Username": fx.username},
        "ListDevices": {"AccessToken": fx.access_token, "Limit": 10},
        "AdminListDevices": {"UserPoolId": P, "Username": fx.username, "Limit": 10},
        "UpdateDeviceStatus": {"AccessToken": fx.access_token, "DeviceKey": fx.device_key,
                               "DeviceRememberedStatus": "remembered"},
        "AdminUpdateDeviceStatus": {"UserPoolId": P, "Username": fx.username, "DeviceKey": fx.device_key,
                                    "DeviceRememberedStatus": "remembered"},
        "ForgetDevice": {"AccessToken": fx.access_token, "DeviceKey": fx.device_key},
        "AdminForgetDevice": {"UserPoolId": P, "Username": fx.username, "DeviceKey": fx.device_key},
        "AdminGetUserAuthFactors": {"UserPoolId": P, "Username": fx.username},
        "SetUserPoolMfaConfig": {
            "UserPoolId": fx.pool_mfa, "MfaConfiguration": "OPTIONAL",
            "SoftwareTokenMfaConfiguration": {"Enabled": True},
            "SmsMfaConfiguration": {
                "SmsAuthenticationMessage": message,
                "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms",
                                     "ExternalId": "negative-tests", "SnsRegion": "us-east-1"},
            },
            "EmailMfaConfiguration": {"Message": message, "Subject": "Your code"},
            "WebAuthnConfiguration": {"RelyingPartyId": "auth.example.com", "UserVerification": "preferred",
                                      "FactorConfiguration": "SINGLE_FACTOR"},
        },
    }


class _Placeholders:
    """Collection-time stand-in for the fixtures: every attribute is a placeholder string."""

    def __getattr__(self, name: str) -> str:
        return f"placeholder-{name}"


# =========================================================================== items


@dataclass
class NothingChanged:
    op: str

    @property
    def id(self) -> str:
        return f"{self.op}-nothing_changed"


@dataclass
class BaseIsValid:
    op: str

    @property
    def id(self) -> str:
        return f"{self.op}-base_is_valid"


@dataclass
class NoBase:
    op: str

    @property
    def id(self) -> str:
        return f"{self.op}-has_a_base_request"


def _items() -> list[Any]:
    shapes = base_requests(_Placeholders())
    items: list[Any] = []
    for op in OPERATIONS:
        if op not in shapes:
            items.append(NoBase(op))
            continue
        items.extend(operation_cases(op, shapes[op]))
        items.append(NothingChanged(op))
        items.append(BaseIsValid(op))
    return items


ITEMS = _items()
NEGATIVE_CASES = sum(isinstance(item, Case) for item in ITEMS)


# =========================================================================== the server


def _amz_date() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def error_type(payload: Any) -> str | None:
    """``__type`` cleaned the way botocore does (drop ``:...`` and ``...#``)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("__type"), str):
        return None
    return payload["__type"].split(":", 1)[0].rsplit("#", 1)[-1]


def _short(value: Any, limit: int = 120) -> Any:
    """A value for messages: long strings abbreviated, containers walked."""
    if isinstance(value, str):
        if len(value) > limit:
            head = value[:40]
            return f"{head!r}... ({len(value)} chars)"
        return value
    if isinstance(value, dict):
        return {k if len(k) <= limit else _short(k, limit): _short(v, limit)
                for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > 6:
            return [_short(v, limit) for v in value[:3]] + [f"... ({len(value)} items)"]
        return [_short(v, limit) for v in value]
    return value


@dataclass
class Env:
    server: CognateServer
    fx: Any
    bases: dict[str, dict]
    http: requests.Session = field(default_factory=requests.Session)
    current_op: str | None = None
    before: dict[str, dict] = field(default_factory=dict)
    tried: int = 0
    passed: int = 0
    failures: list[dict] = field(default_factory=list)
    accepted: dict[str, list[str]] = field(default_factory=dict)  # op -> ids answered 200
    base_answers: dict[str, str] = field(default_factory=dict)  # op -> "200" / "400 Type"
    tracked_tokens: dict[str, str] = field(default_factory=dict)
    tracked_pools: list[str] = field(default_factory=list)
    duration: float = 0.0

    def post(self, op: str, body: dict) -> tuple[int, Any, str]:
        status, payload, text, _ = self.send(op, body)
        return status, payload, text

    def send(self, op: str, body: dict) -> tuple[int, Any, str, list[str]]:
        """POST one request; also returns the response headers longer than a client takes.

        http.client (under requests) refuses a header line over 64 KiB; the limit is raised
        for the call so that such a response can still be read, and reported.
        """
        saved = http.client._MAXLINE
        http.client._MAXLINE = 1 << 24
        try:
            response = self.http.post(
                self.server.url + "/",
                data=json.dumps(body).encode(),
                headers={
                    "Content-Type": CONTENT_TYPE,
                    "X-Amz-Target": TARGET_PREFIX + op,
                    "Authorization": AUTHORIZATION,
                    "X-Amz-Date": _amz_date(),
                },
                timeout=30,
            )
        finally:
            http.client._MAXLINE = saved
        long_headers = [f"{name} ({len(name) + len(value) + 2} bytes)"
                        for name, value in response.headers.items()
                        if len(name) + len(value) + 2 > HEADER_LINE_LIMIT]
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return response.status_code, payload, response.text, long_headers

    def ok(self, op: str, body: dict) -> dict:
        status, payload, text = self.post(op, body)
        assert status == 200, f"{op} {body}: {status} {text}"
        return payload

    # ---------------------------------------------------------------- state snapshot
    def _all(self, op: str, body: dict, items: str, token_in: str, token_out: str) -> list:
        out: list = []
        request = dict(body)
        while True:
            page = self.ok(op, request)
            out.extend(page.get(items, []))
            token = page.get(token_out)
            if not token:
                return out
            request[token_in] = token

    def _outcome(self, op: str, body: dict) -> Any:
        status, payload, _ = self.post(op, body)
        return payload if status == 200 else f"{status} {error_type(payload)}"

    def snapshot(self, op: str) -> dict:
        pool = self.fx.pool_id
        state: dict[str, Any] = {}
        state["pools"] = sorted((p["Id"], p["Name"]) for p in self._all(
            "ListUserPools", {"MaxResults": 60}, "UserPools", "NextToken", "NextToken"))
        for pool_id in self.tracked_pools:
            state[f"pool {pool_id}"] = self._outcome("DescribeUserPool", {"UserPoolId": pool_id})
        users = self._all("ListUsers", {"UserPoolId": pool, "Limit": 60}, "Users",
                          "PaginationToken", "PaginationToken")
        state["users"] = {u["Username"]: u for u in users}
        groups = self._all("ListGroups", {"UserPoolId": pool, "Limit": 60}, "Groups",
                           "NextToken", "NextToken")
        state["groups"] = {g["GroupName"]: g for g in groups}
        for group in state["groups"]:
            members = self._all("ListUsersInGroup", {"UserPoolId": pool, "GroupName": group,
                                                     "Limit": 60}, "Users", "NextToken",
                                "NextToken")
            state[f"members of {group}"] = sorted(u["Username"] for u in members)
        clients = self._all("ListUserPoolClients", {"UserPoolId": pool, "MaxResults": 60},
                            "UserPoolClients", "NextToken", "NextToken")
        for client in clients:
            state[f"client {client['ClientId']}"] = self._outcome(
                "DescribeUserPoolClient", {"UserPoolId": pool, "ClientId": client["ClientId"]})
        for name, token in self.tracked_tokens.items():
            status, payload, _ = self.post("GetUser", {"AccessToken": token})
            state[f"token {name}"] = status if status == 200 else error_type(payload)
        if op in MAIL_OPERATIONS:
            state["outbox size"] = len(self.server.outbox())
        return state

    def begin(self, op: str) -> None:
        if self.current_op != op:
            self.current_op = op
            self.before[op] = self.snapshot(op)


def _diff(before: Any, after: Any, path: str = "") -> list[str]:
    """The changed leaves between two snapshots, as ``path: old -> new``."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines = []
        for key in sorted(set(before) | set(after), key=str):
            lines += _diff(before.get(key, "<absent>"), after.get(key, "<absent>"),
                           f"{path} / {key}" if path else str(key))
        return lines
    if before == after:
        return []
    return [f"{path}: {_short(before)} -> {_short(after)}"]


def _setup(server: CognateServer) -> Env:
    """The module's fixtures: one pool with its app client, users, groups, tokens, sessions."""
    idp = server.idp()
    fx = type("Fixtures", (), {})()
    pool = make_pool(idp)  # AutoVerifiedAttributes=["email"]
    client = make_client(idp, pool["Id"], ExplicitAuthFlows=list(ALL_FLOWS))
    app = App(idp=idp, pool=pool, client=client)
    fx.pool_id, fx.client_id = pool["Id"], client["ClientId"]
    P = fx.pool_id

    user = confirmed_user(app, server)  # SignUp + ConfirmSignUp: confirmed, email verified
    fx.username = user.username
    tokens = app.tokens(user.username)
    fx.access_token, fx.refresh_token = tokens["AccessToken"], tokens["RefreshToken"]
    fx.group = unique_name("group")
    idp.create_group(GroupName=fx.group, UserPoolId=P, Description="negative tests")
    fx.group_to_delete = unique_name("group-del")
    idp.create_group(GroupName=fx.group_to_delete, UserPoolId=P)

    def admin_user(prefix: str, *, permanent: bool = True, verified: bool = True,
                   extra: tuple[dict, ...] = ()) -> str:
        name = unique_name(prefix)
        idp.admin_create_user(
            UserPoolId=P, Username=name, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "email", "Value": unique_email(prefix)},
                            {"Name": "email_verified", "Value": "true" if verified else "false"},
                            *extra])
        if permanent:
            idp.admin_set_user_password(UserPoolId=P, Username=name, Password=PASSWORD,
                                        Permanent=True)
        return name

    given = ({"Name": "given_name", "Value": "Given"},)
    fx.unconfirmed_for_admin = sign_up_user(app).username
    fx.unconfirmed_for_code = sign_up_user(app).username
    fx.unconfirmed_for_resend = sign_up_user(app).username
    fx.user_admin_delete = admin_user("adm-del")
    fx.user_admin_delete_attrs = admin_user("adm-delattr", extra=given)
    fx.user_admin_disable = admin_user("adm-disable")
    fx.user_admin_enable = admin_user("adm-enable")
    idp.admin_disable_user(UserPoolId=P, Username=fx.user_admin_enable)
    fx.user_in_group = admin_user("in-group")
    idp.admin_add_user_to_group(UserPoolId=P, Username=fx.user_in_group, GroupName=fx.group)
    fx.user_admin_reset = admin_user("adm-reset")
    fx.user_admin_set_password = admin_user("adm-setpw")
    fx.user_admin_update = admin_user("adm-update")
    fx.user_admin_sign_out = admin_user("adm-signout")
    fx.user_confirm_forgot = admin_user("confirm-forgot")
    fx.user_forgot = admin_user("forgot")

    signed_in: dict[str, str] = {"main": fx.access_token}

    def token_of(prefix: str, **kwargs: Any) -> tuple[str, str]:
        name = admin_user(prefix, **kwargs)
        result = app.tokens(name)
        signed_in[prefix] = result["AccessToken"]
        return result["AccessToken"], result["RefreshToken"]

    signed_in["adm-signout"] = app.tokens(fx.user_admin_sign_out)["AccessToken"]
    fx.token_change_password = token_of("chpw")[0]
    fx.token_delete_user = token_of("delself")[0]
    fx.token_delete_attrs = token_of("delattr", extra=given)[0]
    fx.token_verification_code = token_of("getcode")[0]
    fx.token_global_sign_out = token_of("gso")[0]
    fx.refresh_token_revoke = token_of("revoke")[1]
    fx.token_update_attrs = token_of("update")[0]
    fx.token_verify = token_of("verify", verified=False)[0]
    fx.token_mfa_preference = token_of("mfapref")[0]
    fx.user_admin_mfa = admin_user("adm-mfa")
    idp.get_user_attribute_verification_code(AccessToken=fx.token_verify, AttributeName="email")

    fx.user_admin_challenge = admin_user("adm-challenge", permanent=False)
    challenge = idp.admin_initiate_auth(
        UserPoolId=P, ClientId=fx.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": fx.user_admin_challenge, "PASSWORD": PASSWORD})
    assert challenge.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", challenge
    fx.admin_challenge_session = challenge["Session"]
    fx.user_challenge = admin_user("challenge", permanent=False)
    challenge = app.password_auth(fx.user_challenge)
    assert challenge.get("ChallengeName") == "NEW_PASSWORD_REQUIRED", challenge
    fx.challenge_session = challenge["Session"]

    fx.client_to_delete = make_client(idp, P)["ClientId"]
    fx.client_to_update = make_client(idp, P)["ClientId"]
    fx.client_to_update_name = unique_name("client-upd")
    fx.pool_to_delete = make_pool(idp)["Id"]
    fx.pool_to_update = make_pool(idp)["Id"]
    fx.pool_to_update_name = unique_name("pool-upd")
    fx.pool_mfa = make_pool(idp)["Id"]
    # A pool holds one prefix domain: one pool per domain operation that changes something.
    fx.pool_domains = make_pool(idp)["Id"]
    fx.domain = unique_name("neg-dom")
    idp.create_user_pool_domain(UserPoolId=fx.pool_domains, Domain=fx.domain)
    fx.pool_domain_new = make_pool(idp)["Id"]
    fx.new_domain = unique_name("neg-new")
    fx.pool_domain_delete = make_pool(idp)["Id"]
    fx.domain_to_delete = unique_name("neg-del")
    idp.create_user_pool_domain(UserPoolId=fx.pool_domain_delete, Domain=fx.domain_to_delete)
    fx.resource_server = unique_name("orders")
    idp.create_resource_server(UserPoolId=P, Identifier=fx.resource_server, Name="Orders")
    fx.resource_server_to_delete = unique_name("orders-del")
    idp.create_resource_server(UserPoolId=P, Identifier=fx.resource_server_to_delete, Name="Old")
    fx.new_resource_server = unique_name("orders-new")
    machine_api = unique_name("m2m")
    idp.create_resource_server(UserPoolId=P, Identifier=machine_api, Name="Machines",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "Read"}])
    fx.machine_scope = f"{machine_api}/read"
    machine = make_client(idp, P, ExplicitAuthFlows=["ALLOW_CLIENT_TOKEN_AUTH"], GenerateSecret=True,
                          AllowedOAuthScopes=[fx.machine_scope])
    fx.machine_client, fx.machine_secret = machine["ClientId"], machine["ClientSecret"]
    fx.client_branding = make_client(idp, P)["ClientId"]
    fx.branding_id = idp.create_managed_login_branding(
        UserPoolId=P, ClientId=fx.client_branding)["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    fx.client_branding_new = make_client(idp, P)["ClientId"]
    deleted = make_client(idp, P)["ClientId"]
    fx.branding_to_delete = idp.create_managed_login_branding(
        UserPoolId=P, ClientId=deleted)["ManagedLoginBranding"]["ManagedLoginBrandingId"]

    # Names the base requests create (unused until then).
    fx.new_admin_username = unique_name("created")
    fx.new_admin_email = unique_email("created")
    fx.new_group = unique_name("group-new")
    fx.new_pool_name = unique_name("pool-new")
    fx.new_client_name = unique_name("client-new")
    fx.new_signup_username = unique_name("signup")
    fx.new_signup_email = unique_email("signup")
    fx.device_key = "us-east-1_00000000-0000-4000-8000-000000000000"

    env = Env(server=server, fx=fx, bases=base_requests(fx))
    env.tracked_tokens = signed_in
    env.tracked_pools = [P, fx.pool_to_delete, fx.pool_to_update, fx.pool_mfa]
    return env


def _fresh_admin_challenge(env: Env) -> None:
    """After AdminRespondToAuthChallenge wrongly accepted a broken request (which used up the
    session): the user back to FORCE_CHANGE_PASSWORD and a new session, so the next cases
    test their own breakage rather than the spent session."""
    idp, fx = env.server.idp(), env.fx
    idp.admin_set_user_password(UserPoolId=fx.pool_id, Username=fx.user_admin_challenge,
                                Password=PASSWORD, Permanent=False)
    challenge = idp.admin_initiate_auth(
        UserPoolId=fx.pool_id, ClientId=fx.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": fx.user_admin_challenge, "PASSWORD": PASSWORD})
    env.bases["AdminRespondToAuthChallenge"]["Session"] = challenge["Session"]


def _fresh_challenge(env: Env) -> None:
    """The same for RespondToAuthChallenge."""
    idp, fx = env.server.idp(), env.fx
    idp.admin_set_user_password(UserPoolId=fx.pool_id, Username=fx.user_challenge,
                                Password=PASSWORD, Permanent=False)
    challenge = idp.initiate_auth(
        ClientId=fx.client_id, AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": fx.user_challenge, "PASSWORD": PASSWORD})
    env.bases["RespondToAuthChallenge"]["Session"] = challenge["Session"]


# Run after a broken request of the operation was answered 200.
REPAIRS = {
    "AdminRespondToAuthChallenge": _fresh_admin_challenge,
    "RespondToAuthChallenge": _fresh_challenge,
}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, smtp_server: Any,
        request: pytest.FixtureRequest) -> Iterator[Env]:
    """One server (with SMTP) and the fixtures for every operation; prints the summary."""
    base = tmp_path_factory.mktemp("cognate-negative")
    data_dir = base / "data"
    data_dir.mkdir()
    server = CognateServer(cognate_binary(), data_dir, base / "cognate.stderr.log",
                           ["--smtp-url", smtp_server.url])
    server.start()
    started = time.monotonic()
    environment: Env | None = None
    try:
        environment = _setup(server)
        yield environment
    finally:
        if environment is not None:
            environment.http.close()
        server.close()
        if environment is not None:
            environment.duration = time.monotonic() - started
            _summary(request, environment)


def _summary(request: pytest.FixtureRequest, env: Env) -> None:
    lines = [
        f"negative cases: {NEGATIVE_CASES} generated for {len(OPERATIONS)} operations, "
        f"{env.tried} tried, {env.passed} answered with a validation error, "
        f"{env.tried - env.passed} not ({env.duration:.1f} s)",
    ]
    if UNBROKEN_PATTERNS:
        lines.append(f"patterns without a breaking value: {sorted(UNBROKEN_PATTERNS)}")
    lines.append(f"server log: {env.server.log_path}")
    report = os.environ.get("COGNATE_NEGATIVE_REPORT")
    if report:
        Path(report).write_text(json.dumps(
            {"wrong_answers": env.failures, "base_requests": env.base_answers},
            indent=1, default=str))
        lines.append(f"wrong answers written to {report}")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
    else:
        print("\n".join(lines))


# =========================================================================== the test


def _check_case(env: Env, case: Case) -> None:
    env.begin(case.op)
    body, new = case.apply(env.bases[case.op])
    status, payload, text, long_headers = env.send(case.op, body)
    env.tried += 1
    kind = error_type(payload)
    problems = []
    if status != 400 or kind not in case.expected:
        problems.append(f"expected 400 {'/'.join(sorted(case.expected))}, "
                        f"got {status} {kind or ''}".rstrip())
    if long_headers:
        problems.append(f"response header over {HEADER_LINE_LIMIT} bytes: "
                        f"{', '.join(long_headers)}")
    if status == 400 and case.sensitive and new is not DELETE:
        message = str((payload or {}).get("message", ""))
        leaked = [v for v in (new.values() if isinstance(new, dict) else [new])
                  if isinstance(v, str) and len(v) >= 4 and v in message]
        if leaked:
            problems.append(f"the sensitive value {_short(leaked[0])!r} is echoed in the "
                            "error message")
    if status == 200:
        env.accepted.setdefault(case.op, []).append(case.id)
        repair = REPAIRS.get(case.op)
        if repair is not None:
            repair(env)
    if not problems:
        env.passed += 1
        return
    earlier = [i for i in env.accepted.get(case.op, []) if i != case.id]
    env.failures.append({
        "id": case.id, "op": case.op, "member": case.member, "kind": case.kind,
        "constraint": case.constraint, "sensitive": case.sensitive, "problems": problems,
        "problem": problems[0], "request": _short(body), "status": status,
        "response": _short(payload) if payload is not None else text[:500],
        "after_accepted": earlier,
    })
    note = (f"\n  note: {len(earlier)} earlier broken request(s) of {case.op} were accepted "
            f"(first: {earlier[0]}) and may have changed its target"
            if earlier and case.op not in REPAIRS else "")
    shown = json.dumps(_short(payload)) if payload is not None else text
    pytest.fail(
        f"{case.id}: " + "; ".join(problems) + "\n"
        f"  constraint: {case.member} {case.constraint}"
        f"{' (sensitive)' if case.sensitive else ''}\n"
        f"  request {case.op}: {json.dumps(_short(body))}\n"
        f"  response: {status} {shown[:600]}{'...' if len(shown) > 600 else ''}{note}",
        pytrace=False,
    )


def _check_nothing_changed(env: Env, item: NothingChanged) -> None:
    before = env.before.get(item.op)
    if before is None:
        pytest.skip(f"no case of {item.op} ran in this session")
    after = env.snapshot(item.op)
    changes = _diff(before, after)
    if changes:
        env.failures.append({"id": item.id, "op": item.op, "problem": "state changed",
                             "changes": changes})
    if changes:
        accepted = env.accepted.get(item.op, [])
        pytest.fail(
            f"{item.op}: its broken requests changed the server's state"
            + (f" ({len(accepted)} of them were accepted, first {accepted[0]})" if accepted
               else " (all of them were refused)")
            + ":\n  " + "\n  ".join(changes[:12])
            + (f"\n  ... {len(changes) - 12} more" if len(changes) > 12 else ""),
            pytrace=False,
        )


def _check_base(env: Env, item: BaseIsValid) -> None:
    status, payload, text = env.post(item.op, env.bases[item.op])
    kind = error_type(payload)
    env.base_answers[item.op] = f"{status} {kind or ''}".rstrip()
    env.current_op = None  # the base request may change state: the next snapshot is fresh
    detail = (f"{item.op}: the base request {json.dumps(_short(env.bases[item.op]))}\n"
              f"  got {status} {json.dumps(_short(payload)) if payload is not None else text}")
    ok = status == 200 or (status == 400 and kind not in VALIDATION_ERRORS
                           and kind in documented_errors(item.op) | {"UnsupportedOperationException"})
    if not ok:
        env.failures.append({"id": item.id, "op": item.op, "problem": "base request refused",
                             "status": status, "response": _short(payload)})
    if not ok:
        pytest.fail("the base request must pass validation (200, or a documented "
                    "non-validation error) so that the broken requests test their constraint:"
                    "\n  " + detail, pytrace=False)


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
def test_negative(env: Env, item: Any) -> None:
    if isinstance(item, Case):
        _check_case(env, item)
    elif isinstance(item, NothingChanged):
        _check_nothing_changed(env, item)
    elif isinstance(item, BaseIsValid):
        _check_base(env, item)
    else:
        pytest.fail(f"{item.op} is implemented (docs/compatibility.md) but has no base request "
                    "in base_requests(): add one", pytrace=False)
