"""User pools: CreateUserPool, DescribeUserPool, ListUserPools, UpdateUserPool, DeleteUserPool."""

from __future__ import annotations

import re

import pytest

from helpers import (
    POOL_ID_RE,
    App,
    assert_recent,
    error_message,
    make_client,
    make_pool,
    unique_email,
    unique_name,
)

CUSTOM_POLICY = {
    "MinimumLength": 10,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": False,
    "RequireSymbols": False,
    "TemporaryPasswordValidityDays": 3,
}


def schema_by_name(pool: dict) -> dict[str, dict]:
    return {a["Name"]: a for a in pool.get("SchemaAttributes", [])}


def test_create_user_pool_returns_id_arn_name_and_dates(idp):
    name = unique_name("pool")
    pool = idp.create_user_pool(PoolName=name)["UserPool"]
    assert POOL_ID_RE.match(pool["Id"]), pool["Id"]
    assert pool["Name"] == name
    assert re.fullmatch(rf"arn:aws:cognito-idp:us-east-1:\d+:userpool/{re.escape(pool['Id'])}",
                        pool["Arn"]), pool["Arn"]
    assert_recent(pool["CreationDate"])
    assert_recent(pool["LastModifiedDate"])


def test_pool_ids_are_unique(idp):
    ids = {make_pool(idp)["Id"] for _ in range(3)}
    assert len(ids) == 3


def test_pool_id_carries_the_callers_signing_region(cognate):
    # A signed request's SigV4 credential scope names the caller's region, and it is used.
    idp_eu = cognate.idp(region="eu-west-1")
    pool = make_pool(idp_eu)
    assert re.fullmatch(r"eu-west-1_[0-9A-Za-z]{9}", pool["Id"]), pool["Id"]
    assert pool["Arn"].startswith("arn:aws:cognito-idp:eu-west-1:")
    assert idp_eu.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]["Id"] == pool["Id"]


def test_describe_user_pool_echoes_policies_verification_and_username_settings(idp):
    created = make_pool(
        idp,
        Policies={"PasswordPolicy": CUSTOM_POLICY},
        AutoVerifiedAttributes=["email"],
        UsernameAttributes=["email"],
        UsernameConfiguration={"CaseSensitive": False},
    )
    pool = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert pool["Id"] == created["Id"]
    assert pool["Name"] == created["Name"]
    assert pool["Arn"] == created["Arn"]
    policy = pool["Policies"]["PasswordPolicy"]
    for key, value in CUSTOM_POLICY.items():
        assert policy[key] == value, (key, policy)
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameAttributes"] == ["email"]
    assert not pool.get("AliasAttributes")
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}


def test_describe_user_pool_lists_standard_and_custom_schema_attributes(idp):
    created = make_pool(
        idp,
        Schema=[
            {
                "Name": "tenant",
                "AttributeDataType": "String",
                "Mutable": True,
                "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"},
            },
            {
                "Name": "level",
                "AttributeDataType": "Number",
                "Mutable": True,
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "10"},
            },
            {"Name": "family_name", "AttributeDataType": "String", "Required": True,
             "Mutable": True},
        ],
    )
    schema = schema_by_name(idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"])
    assert "tenant" not in schema and "level" not in schema
    tenant = schema["custom:tenant"]
    assert tenant["AttributeDataType"] == "String"
    assert tenant["StringAttributeConstraints"] == {"MinLength": "1", "MaxLength": "64"}
    level = schema["custom:level"]
    assert level["AttributeDataType"] == "Number"
    assert level["NumberAttributeConstraints"] == {"MinValue": "0", "MaxValue": "10"}
    assert schema["family_name"]["Required"] is True
    for standard in ("sub", "email", "email_verified", "phone_number", "name"):
        assert standard in schema, f"standard attribute {standard} missing from SchemaAttributes"
    assert schema["sub"]["Mutable"] is False


def test_describe_user_pool_echoes_verification_message_template(idp):
    template = {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailMessage": "Your Acme code is {####}",
        "EmailSubject": "Acme verification",
    }
    created = make_pool(idp, VerificationMessageTemplate=template)
    pool = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    echoed = pool["VerificationMessageTemplate"]
    for key, value in template.items():
        assert echoed[key] == value, (key, echoed)


def test_describe_user_pool_echoes_lambda_config(idp):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up"
    created = make_pool(idp, LambdaConfig={"PreSignUp": arn})
    pool = idp.describe_user_pool(UserPoolId=created["Id"])["UserPool"]
    assert pool["LambdaConfig"]["PreSignUp"] == arn


def test_list_user_pools_paginates_one_at_a_time(idp):
    created = {make_pool(idp)["Id"] for _ in range(3)}
    seen: list[str] = []
    token = None
    for _ in range(10):  # bounded: 3 pages expected
        kwargs = {"MaxResults": 1}
        if token:
            kwargs["NextToken"] = token
        page = idp.list_user_pools(**kwargs)
        assert len(page["UserPools"]) <= 1, page["UserPools"]
        for description in page["UserPools"]:
            assert description["Name"]
            assert_recent(description["CreationDate"])
            seen.append(description["Id"])
        token = page.get("NextToken")
        if not token:
            break
    else:
        pytest.fail(f"ListUserPools kept returning NextToken; saw {seen}")
    assert len(seen) == len(set(seen)), f"duplicates across pages: {seen}"
    assert set(seen) == created


def test_list_user_pools_returns_everything_in_one_page_when_it_fits(idp):
    created = {make_pool(idp)["Id"] for _ in range(3)}
    page = idp.list_user_pools(MaxResults=60)
    assert {p["Id"] for p in page["UserPools"]} == created
    assert "NextToken" not in page


def test_boto3_paginator_walks_all_user_pools(idp):
    created = {make_pool(idp)["Id"] for _ in range(3)}
    paginator = idp.get_paginator("list_user_pools")
    seen = [p["Id"] for page in paginator.paginate(PaginationConfig={"PageSize": 1, "MaxItems": 10})
            for p in page["UserPools"]]
    assert sorted(seen) == sorted(created)


def test_cli_pages_through_user_pools_with_max_results_and_next_token(idp, aws):
    # CLI v1 turns auto-pagination off when --max-results is given (ListUserPools requires
    # it), so the CLI user pages by hand with --next-token.
    created = {make_pool(idp)["Id"] for _ in range(3)}
    seen: list[str] = []
    args = ["cognito-idp", "list-user-pools", "--max-results", "1"]
    token = None
    for _ in range(10):
        page = aws(*args, *(["--next-token", token] if token else []))
        assert len(page["UserPools"]) <= 1
        seen += [p["Id"] for p in page["UserPools"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(created)
    everything = aws("cognito-idp", "list-user-pools", "--max-results", "60")
    assert {p["Id"] for p in everything["UserPools"]} == created


def test_list_user_pools_max_results_above_60_is_invalid_parameter(idp):
    # botocore checks the minimum (1) itself; the maximum is the server's job
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.list_user_pools(MaxResults=61)


def test_update_user_pool_password_policy_takes_effect(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    app = App(idp, pool, client)
    idp.update_user_pool(
        UserPoolId=pool["Id"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": False,
                                     "RequireLowercase": True, "RequireNumbers": False,
                                     "RequireSymbols": False}},
    )
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert described["Policies"]["PasswordPolicy"]["RequireSymbols"] is False
    assert described["LastModifiedDate"] >= described["CreationDate"]

    with pytest.raises(idp.exceptions.InvalidPasswordException) as err:
        app.sign_up(unique_name(), password="short-pass1", email=unique_email())
    assert error_message(err.value) == \
        "Password did not conform with policy: Password not long enough"
    # 12 lower-case letters, no digit, no symbol: fine under the new policy
    app.sign_up(unique_name(), password="lowercaseonly", email=unique_email())


def test_update_user_pool_verification_message_takes_effect(cognate, idp, smtp_server):
    pool = make_pool(idp)
    app = App(idp, pool, make_client(idp, pool["Id"]))
    idp.update_user_pool(
        UserPoolId=pool["Id"],
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={
            "DefaultEmailOption": "CONFIRM_WITH_CODE",
            "EmailMessage": "Updated template, code {####} inside",
            "EmailSubject": "Updated subject",
        },
    )
    email = unique_email()
    app.sign_up(unique_name(), email=email)
    mail = smtp_server.wait_for_mail(email)
    assert mail.subject == "Updated subject"
    assert f"Updated template, code {mail.code} inside" in mail.body


def test_update_user_pool_of_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.update_user_pool(UserPoolId="us-east-1_NoSuchPol", AutoVerifiedAttributes=["email"])


def test_delete_user_pool_then_describe_is_resource_not_found(idp):
    pool = make_pool(idp)
    idp.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        idp.describe_user_pool(UserPoolId=pool["Id"])
    assert error_message(err.value) == f"User pool {pool['Id']} does not exist."
    assert pool["Id"] not in {p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}


def test_delete_unknown_user_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        idp.delete_user_pool(UserPoolId="us-east-1_NoSuchPol")
    assert error_message(err.value) == "User pool us-east-1_NoSuchPol does not exist."


def test_deleting_a_pool_removes_its_clients(idp):
    pool = make_pool(idp)
    client = make_client(idp, pool["Id"])
    idp.delete_user_pool(UserPoolId=pool["Id"])
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.sign_up(ClientId=client["ClientId"], Username=unique_name(), Password="Passw0rd!x")


@pytest.mark.parametrize("name", ["bad/name", "semi;colon", "quote\"d", "x" * 129],
                         ids=["slash", "semicolon", "quote", "too-long"])
def test_invalid_pool_name_is_invalid_parameter(idp, name):
    with pytest.raises(idp.exceptions.InvalidParameterException) as err:
        idp.create_user_pool(PoolName=name)
    assert "poolname" in error_message(err.value).lower()


@pytest.mark.parametrize("pool_id", ["nounderscore", "us-east-1_bad!chars"])
def test_malformed_pool_id_is_invalid_parameter(idp, pool_id):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.describe_user_pool(UserPoolId=pool_id)


def test_alias_and_username_attributes_together_are_invalid_parameter(idp):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool(PoolName=unique_name("pool"), AliasAttributes=["email"],
                             UsernameAttributes=["email"])


def test_password_policy_minimum_length_above_99_is_invalid_parameter(idp):
    # botocore rejects values below 6 itself; above 99 only the server can catch
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool(PoolName=unique_name("pool"),
                             Policies={"PasswordPolicy": {"MinimumLength": 100}})


def test_email_verification_message_without_placeholder_is_invalid_parameter(idp):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool(
            PoolName=unique_name("pool"),
            VerificationMessageTemplate={"EmailMessage": "There is no code in here"},
        )


def test_unknown_auto_verified_attribute_is_invalid_parameter(idp):
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.create_user_pool(PoolName=unique_name("pool"), AutoVerifiedAttributes=["nickname"])


MFA_WITHOUT_FACTOR = "SMS configuration and Auto verification for phone_number are required when MFA is required/optional"


@pytest.mark.parametrize("members, message", [
    # Cognito's own rule: MFA on needs a factor, and CreateUserPool can only give it SMS.
    pytest.param({"MfaConfiguration": "ON"}, MFA_WITHOUT_FACTOR, id="mfa-on"),
    pytest.param({"MfaConfiguration": "OPTIONAL"}, MFA_WITHOUT_FACTOR, id="mfa-optional"),
])
def test_mfa_without_a_factor_is_refused_not_stored(idp, members, message):
    """A pool that asks for MFA without a factor would otherwise hand out tokens without one:
    the request is refused and nothing changes."""
    name = unique_name("pool")
    with pytest.raises(idp.exceptions.InvalidParameterException) as refused:
        idp.create_user_pool(PoolName=name, **members)
    assert message in error_message(refused.value)
    assert name not in [p["Name"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]]
    pool = make_pool(idp)
    with pytest.raises(idp.exceptions.InvalidParameterException):
        idp.update_user_pool(UserPoolId=pool["Id"], **members)
    described = idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["MfaConfiguration"] == "OFF"
    assert described.get("DeviceConfiguration", {}).get("ChallengeRequiredOnNewDevice") in (None, False)
