"""The whole sign-up -> confirm -> sign-in story through the unmodified aws CLI (v1) only."""

from __future__ import annotations

import pytest

from harness import AwsCliError
from helpers import CLIENT_ID_RE, PASSWORD, POOL_ID_RE, attr_map, secret_hash, unique_email, \
    unique_name, wrong_code


@pytest.fixture
def cli_app(aws) -> dict:
    """A pool (email auto-verified) and a client with a secret, created with the CLI."""
    pool = aws("cognito-idp", "create-user-pool", "--pool-name", unique_name("cli-pool"),
               "--auto-verified-attributes", "email")["UserPool"]
    assert POOL_ID_RE.match(pool["Id"])
    client = aws("cognito-idp", "create-user-pool-client", "--user-pool-id", pool["Id"],
                 "--client-name", "cli-app", "--generate-secret",
                 "--explicit-auth-flows", "ALLOW_USER_PASSWORD_AUTH",
                 "ALLOW_REFRESH_TOKEN_AUTH")["UserPoolClient"]
    assert CLIENT_ID_RE.match(client["ClientId"])
    assert client["ClientSecret"]
    return {"pool_id": pool["Id"], "client_id": client["ClientId"],
            "secret": client["ClientSecret"]}


def cli_sign_up(aws, app: dict, username: str, email: str) -> dict:
    return aws("cognito-idp", "sign-up",
               "--client-id", app["client_id"],
               "--secret-hash", secret_hash(username, app["client_id"], app["secret"]),
               "--username", username,
               "--password", PASSWORD,
               "--user-attributes", f"Name=email,Value={email}")


def test_sign_up_confirm_and_sign_in_with_the_aws_cli(aws, cli_app, smtp_server):
    username, email = unique_name("cli"), unique_email("cli")
    h = secret_hash(username, cli_app["client_id"], cli_app["secret"])

    signed_up = cli_sign_up(aws, cli_app, username, email)
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert signed_up["CodeDeliveryDetails"]["AttributeName"] == "email"

    before = aws("cognito-idp", "admin-get-user", "--user-pool-id", cli_app["pool_id"],
                 "--username", username)
    assert before["UserStatus"] == "UNCONFIRMED"

    code = smtp_server.wait_for_mail(email).code
    confirmed = aws("cognito-idp", "confirm-sign-up", "--client-id", cli_app["client_id"],
                    "--secret-hash", h, "--username", username, "--confirmation-code", code)
    assert confirmed == {} or set(confirmed) <= {"Session"}

    user = aws("cognito-idp", "admin-get-user", "--user-pool-id", cli_app["pool_id"],
               "--username", username)
    assert user["Username"] == username
    assert user["UserStatus"] == "CONFIRMED"
    assert user["Enabled"] is True
    attributes = attr_map(user["UserAttributes"])
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    assert attributes["sub"] == signed_up["UserSub"]

    auth = aws("cognito-idp", "initiate-auth", "--client-id", cli_app["client_id"],
               "--auth-flow", "USER_PASSWORD_AUTH",
               "--auth-parameters", f"USERNAME={username},PASSWORD={PASSWORD},SECRET_HASH={h}")
    result = auth["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert result["AccessToken"] and result["IdToken"] and result["RefreshToken"]

    me = aws("cognito-idp", "get-user", "--access-token", result["AccessToken"])
    assert me["Username"] == username

    refreshed = aws("cognito-idp", "initiate-auth", "--client-id", cli_app["client_id"],
                    "--auth-flow", "REFRESH_TOKEN_AUTH",
                    "--auth-parameters",
                    f"REFRESH_TOKEN={result['RefreshToken']},SECRET_HASH={h}")
    assert refreshed["AuthenticationResult"]["AccessToken"]
    assert "RefreshToken" not in refreshed["AuthenticationResult"]


def test_resend_confirmation_code_with_the_aws_cli(aws, cli_app, smtp_server):
    username, email = unique_name("cli"), unique_email("cli")
    h = secret_hash(username, cli_app["client_id"], cli_app["secret"])
    cli_sign_up(aws, cli_app, username, email)
    first = smtp_server.wait_for_mail(email)

    resent = aws("cognito-idp", "resend-confirmation-code", "--client-id", cli_app["client_id"],
                 "--secret-hash", h, "--username", username)
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    second = smtp_server.wait_for_mail(email, after=first)

    aws("cognito-idp", "confirm-sign-up", "--client-id", cli_app["client_id"],
        "--secret-hash", h, "--username", username, "--confirmation-code", second.code)
    user = aws("cognito-idp", "admin-get-user", "--user-pool-id", cli_app["pool_id"],
               "--username", username)
    assert user["UserStatus"] == "CONFIRMED"


def test_cli_wrong_code_exits_non_zero_with_code_mismatch(aws, cli_app, smtp_server):
    username, email = unique_name("cli"), unique_email("cli")
    h = secret_hash(username, cli_app["client_id"], cli_app["secret"])
    cli_sign_up(aws, cli_app, username, email)
    code = smtp_server.wait_for_mail(email).code
    proc = aws.run("cognito-idp", "confirm-sign-up", "--client-id", cli_app["client_id"],
                   "--secret-hash", h, "--username", username,
                   "--confirmation-code", wrong_code(code))
    assert proc.returncode != 0
    assert "CodeMismatchException" in proc.stderr
    assert "Invalid verification code provided, please try again." in proc.stderr


def test_cli_sign_up_without_secret_hash_is_not_authorized(aws, cli_app):
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "sign-up", "--client-id", cli_app["client_id"],
            "--username", unique_name("cli"), "--password", PASSWORD,
            "--user-attributes", f"Name=email,Value={unique_email()}")
    assert "NotAuthorizedException" in err.value.stderr
    assert "is configured for secret but secret was not received" in err.value.stderr


def test_cli_unconfirmed_sign_in_is_user_not_confirmed(aws, cli_app):
    username, email = unique_name("cli"), unique_email("cli")
    h = secret_hash(username, cli_app["client_id"], cli_app["secret"])
    cli_sign_up(aws, cli_app, username, email)
    with pytest.raises(AwsCliError) as err:
        aws("cognito-idp", "initiate-auth", "--client-id", cli_app["client_id"],
            "--auth-flow", "USER_PASSWORD_AUTH",
            "--auth-parameters", f"USERNAME={username},PASSWORD={PASSWORD},SECRET_HASH={h}")
    assert "UserNotConfirmedException" in err.value.stderr
    assert "User is not confirmed." in err.value.stderr


def test_cli_describe_and_delete_pool(aws, cli_app):
    described = aws("cognito-idp", "describe-user-pool", "--user-pool-id", cli_app["pool_id"])
    assert described["UserPool"]["Id"] == cli_app["pool_id"]
    assert described["UserPool"]["AutoVerifiedAttributes"] == ["email"]
    client = aws("cognito-idp", "describe-user-pool-client", "--user-pool-id",
                 cli_app["pool_id"], "--client-id", cli_app["client_id"])["UserPoolClient"]
    assert client["ClientSecret"] == cli_app["secret"]
    assert aws("cognito-idp", "delete-user-pool", "--user-pool-id", cli_app["pool_id"]) == {}
    proc = aws.run("cognito-idp", "describe-user-pool", "--user-pool-id", cli_app["pool_id"])
    assert proc.returncode != 0
    assert "ResourceNotFoundException" in proc.stderr
    assert f"User pool {cli_app['pool_id']} does not exist." in proc.stderr


def test_cli_admin_confirm_sign_up(aws, cli_app):
    username, email = unique_name("cli"), unique_email("cli")
    cli_sign_up(aws, cli_app, username, email)
    assert aws("cognito-idp", "admin-confirm-sign-up", "--user-pool-id", cli_app["pool_id"],
               "--username", username) == {}
    user = aws("cognito-idp", "admin-get-user", "--user-pool-id", cli_app["pool_id"],
               "--username", username)
    assert user["UserStatus"] == "CONFIRMED"
