"""Groups: Create/Get/List/Update/DeleteGroup, memberships (AdminAddUserToGroup,
AdminRemoveUserFromGroup, ListUsersInGroup, AdminListGroupsForUser) and the group claims in
tokens (``cognito:groups``, ``cognito:roles``, ``cognito:preferred_role``), after a refresh and
through PreTokenGeneration V1 (``groupConfiguration`` / ``groupOverrideDetails``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

import pytest

from helpers import (
    App,
    admin_create_user,
    assert_empty_response,
    assert_recent,
    attr_map,
    confirmed_user,
    error_message,
    make_app,
    refresh_auth,
    unique_name,
)
from trigger_helpers import ACCOUNT, arn, trigger_config, verified_claims

GROUP_NOT_FOUND = "Group not found."
USER_NOT_FOUND = "User does not exist."
UNKNOWN_POOL = "us-east-1_NoSuchPol"
GROUP_KEYS = {"GroupName", "UserPoolId", "Description", "RoleArn", "Precedence",
              "LastModifiedDate", "CreationDate"}
USER_KEYS = {"Username", "Attributes", "UserCreateDate", "UserLastModifiedDate", "Enabled",
             "UserStatus"}
GROUP_CLAIMS = ("cognito:groups", "cognito:roles", "cognito:preferred_role")


def role(name: str) -> str:
    """``arn:aws:iam::123456789012:role/<name>``."""
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


# --------------------------------------------------------------------------- helpers


def create_group(app: App, name: str | None = None, **kwargs: Any) -> dict:
    """CreateGroup in ``app``'s pool (unique name unless given); returns the ``Group``."""
    params: dict[str, Any] = {"UserPoolId": app.pool_id,
                              "GroupName": name or unique_name("group")}
    params.update(kwargs)
    return app.idp.create_group(**params)["Group"]


def add(app: App, username: str, group: str) -> dict:
    return app.idp.admin_add_user_to_group(UserPoolId=app.pool_id, Username=username,
                                           GroupName=group)


def remove(app: App, username: str, group: str) -> dict:
    return app.idp.admin_remove_user_from_group(UserPoolId=app.pool_id, Username=username,
                                                GroupName=group)


def pages(call: Callable[..., dict], key: str, limit: int | None = None,
          **params: Any) -> list[list[dict]]:
    """Every page of a ``NextToken``/``Limit`` listing (bounded to 50 pages)."""
    result: list[list[dict]] = []
    token: str | None = None
    for _ in range(50):
        kwargs = dict(params)
        if limit is not None:
            kwargs["Limit"] = limit
        if token is not None:
            kwargs["NextToken"] = token
        response = call(**kwargs)
        assert key in response, response
        result.append(response[key])
        token = response.get("NextToken")
        if not token:
            return result
    raise AssertionError(f"{key}: pagination did not end within 50 pages")


def flat(all_pages: list[list[dict]]) -> list[dict]:
    return [item for page in all_pages for item in page]


def group_names_of(app: App, username: str) -> list[str]:
    """AdminListGroupsForUser (all pages), as group names."""
    listed = flat(pages(app.idp.admin_list_groups_for_user, "Groups",
                        UserPoolId=app.pool_id, Username=username))
    return [g["GroupName"] for g in listed]


def members(app: App, group: str) -> list[str]:
    """ListUsersInGroup (all pages), as usernames."""
    listed = flat(pages(app.idp.list_users_in_group, "Users",
                        UserPoolId=app.pool_id, GroupName=group))
    return [u["Username"] for u in listed]


def assert_group_shape(group: dict, app: App, name: str) -> None:
    assert set(group) <= GROUP_KEYS, sorted(group)
    assert group["GroupName"] == name
    assert group["UserPoolId"] == app.pool_id
    assert isinstance(group["CreationDate"], datetime), group
    assert isinstance(group["LastModifiedDate"], datetime), group


def group_claims(claims: dict) -> dict:
    return {k: claims[k] for k in GROUP_CLAIMS if k in claims}


@pytest.fixture
def app(idp) -> App:
    return make_app(idp)


# =========================================================================== CreateGroup / GetGroup


def test_create_group_returns_the_group_with_its_dates(app):
    group = create_group(app, "admins", Description="Administrators",
                         RoleArn=role("AdminRole"), Precedence=3)
    assert_group_shape(group, app, "admins")
    assert group["Description"] == "Administrators"
    assert group["RoleArn"] == role("AdminRole")
    assert group["Precedence"] == 3
    assert_recent(group["CreationDate"])
    assert_recent(group["LastModifiedDate"])


def test_create_group_with_only_a_name_has_no_optional_members(app):
    group = create_group(app, "plain")
    assert_group_shape(group, app, "plain")
    for member in ("Description", "RoleArn", "Precedence"):
        assert member not in group, group


def test_create_group_keeps_precedence_zero(app):
    group = create_group(app, "first", Precedence=0)
    assert group["Precedence"] == 0
    assert app.idp.get_group(UserPoolId=app.pool_id, GroupName="first")["Group"][
        "Precedence"] == 0


def test_get_group_returns_what_create_group_returned(app):
    created = create_group(app, "readers", Description="Read only", RoleArn=role("Reader"),
                           Precedence=10)
    got = app.idp.get_group(UserPoolId=app.pool_id, GroupName="readers")["Group"]
    assert got == created


def test_duplicate_group_name_is_group_exists(app):
    create_group(app, "editors")
    with pytest.raises(app.idp.exceptions.GroupExistsException) as err:
        create_group(app, "editors", Description="again")
    assert error_message(err.value) == "A group with the name editors already exists."
    listed = app.idp.list_groups(UserPoolId=app.pool_id)["Groups"]
    assert [g["GroupName"] for g in listed] == ["editors"]
    assert "Description" not in listed[0], "the first group is unchanged"


def test_the_same_group_name_may_exist_in_two_pools(idp):
    first, second = make_app(idp), make_app(idp)
    create_group(first, "staff", Precedence=1)
    created = create_group(second, "staff", Precedence=2)
    assert created["UserPoolId"] == second.pool_id
    assert idp.get_group(UserPoolId=first.pool_id, GroupName="staff")["Group"]["Precedence"] == 1
    assert idp.get_group(UserPoolId=second.pool_id, GroupName="staff")["Group"][
        "Precedence"] == 2


def test_create_group_in_unknown_pool_is_resource_not_found(idp):
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.create_group(UserPoolId=UNKNOWN_POOL, GroupName="admins")


def test_create_group_with_an_invalid_role_arn_is_invalid_parameter(app):
    with pytest.raises(app.idp.exceptions.InvalidParameterException):
        create_group(app, "broken", RoleArn="this-is-not-an-arn-at-all")
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException):
        app.idp.get_group(UserPoolId=app.pool_id, GroupName="broken")


def test_get_unknown_group_is_resource_not_found(app):
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException) as err:
        app.idp.get_group(UserPoolId=app.pool_id, GroupName="nobody-made-this")
    assert error_message(err.value) == GROUP_NOT_FOUND


def test_create_group_with_the_aws_cli(app, aws):
    out = aws("cognito-idp", "create-group", "--user-pool-id", app.pool_id,
              "--group-name", "cli-group", "--description", "made by the CLI",
              "--role-arn", role("CliRole"), "--precedence", "7")
    group = out["Group"]
    assert group["GroupName"] == "cli-group"
    assert group["UserPoolId"] == app.pool_id
    assert group["Description"] == "made by the CLI"
    assert group["RoleArn"] == role("CliRole")
    assert group["Precedence"] == 7
    assert isinstance(group["CreationDate"], (int, float, str)), group
    got = app.idp.get_group(UserPoolId=app.pool_id, GroupName="cli-group")["Group"]
    assert got["Description"] == "made by the CLI"


# =========================================================================== ListGroups


def test_list_groups_is_sorted_by_name(app):
    for name in ("delta", "alpha", "charlie", "bravo"):
        create_group(app, name)
    listed = app.idp.list_groups(UserPoolId=app.pool_id)
    assert [g["GroupName"] for g in listed["Groups"]] == ["alpha", "bravo", "charlie", "delta"]
    assert "NextToken" not in listed
    for group in listed["Groups"]:
        assert_group_shape(group, app, group["GroupName"])


def test_list_groups_paginates_with_limit(app):
    names = ["echo", "alpha", "delta", "bravo", "charlie"]
    for name in names:
        create_group(app, name)
    all_pages = pages(app.idp.list_groups, "Groups", limit=2, UserPoolId=app.pool_id)
    assert [len(page) for page in all_pages] == [2, 2, 1]
    assert [g["GroupName"] for g in flat(all_pages)] == sorted(names)


def test_list_groups_of_a_pool_without_groups_is_empty(app):
    listed = app.idp.list_groups(UserPoolId=app.pool_id)
    assert listed["Groups"] == []
    assert "NextToken" not in listed


def test_list_groups_only_lists_the_pools_own_groups(idp):
    first, second = make_app(idp), make_app(idp)
    create_group(first, "mine")
    create_group(second, "theirs")
    assert [g["GroupName"] for g in idp.list_groups(UserPoolId=first.pool_id)["Groups"]] == [
        "mine"]


# =========================================================================== UpdateGroup


def test_update_group_changes_its_fields_and_keeps_its_members(app):
    created = create_group(app, "ops", Description="Operations", RoleArn=role("OpsRole"),
                           Precedence=5)
    user = admin_create_user(app)
    add(app, user.username, "ops")

    updated = app.idp.update_group(UserPoolId=app.pool_id, GroupName="ops",
                                   Description="Site reliability", RoleArn=role("SreRole"),
                                   Precedence=1)["Group"]
    assert_group_shape(updated, app, "ops")
    assert updated["Description"] == "Site reliability"
    assert updated["RoleArn"] == role("SreRole")
    assert updated["Precedence"] == 1
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]

    got = app.idp.get_group(UserPoolId=app.pool_id, GroupName="ops")["Group"]
    assert got["Description"] == "Site reliability"
    assert got["RoleArn"] == role("SreRole")
    assert got["Precedence"] == 1
    assert members(app, "ops") == [user.username]
    assert group_names_of(app, user.username) == ["ops"]


def test_update_unknown_group_is_resource_not_found(app):
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException):
        app.idp.update_group(UserPoolId=app.pool_id, GroupName="ghosts", Description="boo")


# =========================================================================== DeleteGroup


def test_delete_group_removes_it_and_its_memberships(app):
    create_group(app, "temp")
    create_group(app, "keep")
    user = admin_create_user(app)
    add(app, user.username, "temp")
    add(app, user.username, "keep")

    assert_empty_response(app.idp.delete_group(UserPoolId=app.pool_id, GroupName="temp"))
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException) as err:
        app.idp.get_group(UserPoolId=app.pool_id, GroupName="temp")
    assert error_message(err.value) == GROUP_NOT_FOUND
    assert [g["GroupName"] for g in app.idp.list_groups(UserPoolId=app.pool_id)["Groups"]] == [
        "keep"]
    assert group_names_of(app, user.username) == ["keep"]

    # A new group with the old name starts empty.
    create_group(app, "temp")
    assert members(app, "temp") == []


def test_delete_unknown_group_is_resource_not_found(app):
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException):
        app.idp.delete_group(UserPoolId=app.pool_id, GroupName="ghosts")


# =========================================================================== memberships


def test_add_user_to_group_returns_empty_and_is_idempotent(app):
    create_group(app, "team")
    user = admin_create_user(app)
    assert_empty_response(add(app, user.username, "team"))
    assert_empty_response(add(app, user.username, "team"))
    assert members(app, "team") == [user.username]
    assert group_names_of(app, user.username) == ["team"]


def test_add_unknown_user_to_group_is_user_not_found(app):
    create_group(app, "team")
    with pytest.raises(app.idp.exceptions.UserNotFoundException) as err:
        add(app, unique_name("ghost"), "team")
    assert error_message(err.value) == USER_NOT_FOUND
    assert members(app, "team") == []


def test_add_user_to_unknown_group_is_resource_not_found(app):
    user = admin_create_user(app)
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException) as err:
        add(app, user.username, "no-such-group")
    assert error_message(err.value) == GROUP_NOT_FOUND
    assert group_names_of(app, user.username) == []


def test_remove_user_from_group_returns_empty_and_drops_the_membership(app):
    create_group(app, "a")
    create_group(app, "b")
    user, other = admin_create_user(app), admin_create_user(app)
    for name in ("a", "b"):
        add(app, user.username, name)
    add(app, other.username, "a")

    assert_empty_response(remove(app, user.username, "a"))
    assert members(app, "a") == [other.username]
    assert group_names_of(app, user.username) == ["b"]
    app.idp.get_group(UserPoolId=app.pool_id, GroupName="a")  # the group itself stays


def test_list_users_in_group_returns_user_types(app):
    create_group(app, "crew")
    user = admin_create_user(app)
    add(app, user.username, "crew")
    response = app.idp.list_users_in_group(UserPoolId=app.pool_id, GroupName="crew")
    assert "NextToken" not in response
    (listed,) = response["Users"]
    assert set(listed) <= USER_KEYS | {"MFAOptions"}, sorted(listed)
    assert listed["Username"] == user.username
    assert listed["Enabled"] is True
    assert listed["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert_recent(listed["UserCreateDate"])
    assert_recent(listed["UserLastModifiedDate"])
    attributes = attr_map(listed["Attributes"])
    assert attributes["email"] == user.email
    assert attributes["sub"] == user.sub


def test_list_users_in_an_empty_group_is_empty(app):
    create_group(app, "nobody")
    response = app.idp.list_users_in_group(UserPoolId=app.pool_id, GroupName="nobody")
    assert response["Users"] == []
    assert "NextToken" not in response


def test_list_users_in_group_paginates_with_limit(app):
    create_group(app, "many")
    usernames = {admin_create_user(app).username for _ in range(3)}
    admin_create_user(app)  # not a member
    for username in usernames:
        add(app, username, "many")
    all_pages = pages(app.idp.list_users_in_group, "Users", limit=2,
                      UserPoolId=app.pool_id, GroupName="many")
    assert len(all_pages) >= 2, all_pages
    assert all(len(page) <= 2 for page in all_pages), all_pages
    listed = [u["Username"] for u in flat(all_pages)]
    assert len(listed) == len(set(listed)), f"a user listed twice: {listed}"
    assert set(listed) == usernames


def test_list_users_in_unknown_group_is_resource_not_found(app):
    with pytest.raises(app.idp.exceptions.ResourceNotFoundException):
        app.idp.list_users_in_group(UserPoolId=app.pool_id, GroupName="no-such-group")


def test_admin_list_groups_for_user_returns_group_types(app):
    create_group(app, "alpha", Description="First", RoleArn=role("Alpha"), Precedence=2)
    create_group(app, "beta")
    create_group(app, "gamma")  # the user is not in this one
    user = admin_create_user(app)
    add(app, user.username, "alpha")
    add(app, user.username, "beta")

    response = app.idp.admin_list_groups_for_user(UserPoolId=app.pool_id,
                                                  Username=user.username)
    assert "NextToken" not in response
    by_name = {g["GroupName"]: g for g in response["Groups"]}
    assert set(by_name) == {"alpha", "beta"}
    for name, group in by_name.items():
        assert_group_shape(group, app, name)
    assert by_name["alpha"]["Description"] == "First"
    assert by_name["alpha"]["RoleArn"] == role("Alpha")
    assert by_name["alpha"]["Precedence"] == 2


def test_admin_list_groups_for_a_user_in_no_group_is_empty(app):
    create_group(app, "lonely")
    user = admin_create_user(app)
    response = app.idp.admin_list_groups_for_user(UserPoolId=app.pool_id,
                                                  Username=user.username)
    assert response["Groups"] == []
    assert "NextToken" not in response


def test_admin_list_groups_for_user_paginates_with_limit(app):
    names = {"g1", "g2", "g3", "g4", "g5"}
    user = admin_create_user(app)
    for name in sorted(names):
        create_group(app, name)
        add(app, user.username, name)
    all_pages = pages(app.idp.admin_list_groups_for_user, "Groups", limit=2,
                      UserPoolId=app.pool_id, Username=user.username)
    assert len(all_pages) >= 3, all_pages
    assert all(len(page) <= 2 for page in all_pages), all_pages
    listed = [g["GroupName"] for g in flat(all_pages)]
    assert len(listed) == len(set(listed)), f"a group listed twice: {listed}"
    assert set(listed) == names


def test_admin_list_groups_for_unknown_user_is_user_not_found(app):
    with pytest.raises(app.idp.exceptions.UserNotFoundException):
        app.idp.admin_list_groups_for_user(UserPoolId=app.pool_id, Username=unique_name("ghost"))


def test_admin_list_groups_for_user_with_the_aws_cli(app, aws):
    create_group(app, "cli-a", Precedence=1)
    create_group(app, "cli-b")
    user = admin_create_user(app)
    add(app, user.username, "cli-a")
    add(app, user.username, "cli-b")
    out = aws("cognito-idp", "admin-list-groups-for-user", "--user-pool-id", app.pool_id,
              "--username", user.username)
    assert sorted(g["GroupName"] for g in out["Groups"]) == ["cli-a", "cli-b"]
    assert all(g["UserPoolId"] == app.pool_id for g in out["Groups"])


def test_deleting_a_user_removes_its_memberships(app):
    create_group(app, "club")
    leaving, staying = admin_create_user(app), admin_create_user(app)
    add(app, leaving.username, "club")
    add(app, staying.username, "club")
    app.idp.admin_delete_user(UserPoolId=app.pool_id, Username=leaving.username)
    assert members(app, "club") == [staying.username]

    # A new user with the same name does not inherit the old memberships.
    admin_create_user(app, username=leaving.username)
    assert group_names_of(app, leaving.username) == []
    assert members(app, "club") == [staying.username]


# =========================================================================== claims in tokens

# Expected order: Precedence ascending (0 counts), then the groups without one, by name.
ORDERED = ["zeta", "mid", "alpha", "aardvark", "beta"]
PREFERRED = role("MidRole")  # the lowest Precedence among the groups with a RoleArn
ROLES = sorted([role("MidRole"), role("AlphaRole"), role("BetaRole")])


def make_groups(app: App) -> None:
    """Groups of the claim tests, created in an order that is neither by name nor precedence."""
    create_group(app, "alpha", Precedence=5, RoleArn=role("AlphaRole"))
    create_group(app, "beta", RoleArn=role("BetaRole"))
    create_group(app, "zeta", Precedence=0)
    create_group(app, "aardvark")
    create_group(app, "mid", Precedence=3, RoleArn=role("MidRole"))
    create_group(app, "unused", Precedence=1, RoleArn=role("UnusedRole"))


def join_all(app: App, username: str) -> None:
    for name in ("beta", "alpha", "aardvark", "mid", "zeta"):
        add(app, username, name)


def assert_grouped_tokens(server: Any, app: App, tokens: dict) -> None:
    """Both tokens carry the ordered groups; the ID token also the roles and preferred role."""
    id_claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ORDERED
    assert sorted(id_claims["cognito:roles"]) == ROLES
    assert id_claims["cognito:preferred_role"] == PREFERRED
    access = verified_claims(server, app, tokens["AccessToken"])
    assert access["cognito:groups"] == ORDERED


def test_a_user_in_no_group_has_no_group_claims(cognate, app):
    make_groups(app)  # groups exist, but the user is in none of them
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    id_claims = verified_claims(cognate, app, tokens["IdToken"], audience=app.client_id)
    access = verified_claims(cognate, app, tokens["AccessToken"])
    assert group_claims(id_claims) == {}
    assert group_claims(access) == {}


def test_tokens_carry_groups_by_precedence_with_roles_and_preferred_role(cognate, app):
    make_groups(app)
    user = confirmed_user(app, cognate)
    join_all(app, user.username)
    assert_grouped_tokens(cognate, app, app.tokens(user.username))


def test_a_single_group_without_role_gives_groups_only(cognate, app):
    create_group(app, "solo", Precedence=2)
    user = confirmed_user(app, cognate)
    add(app, user.username, "solo")
    tokens = app.tokens(user.username)
    id_claims = verified_claims(cognate, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["solo"]
    assert "cognito:preferred_role" not in id_claims
    assert id_claims.get("cognito:roles") in (None, [])
    assert verified_claims(cognate, app, tokens["AccessToken"])["cognito:groups"] == ["solo"]


def test_refreshed_tokens_reflect_the_current_groups(cognate, app):
    make_groups(app)
    user = confirmed_user(app, cognate)
    tokens = app.tokens(user.username)
    assert "cognito:groups" not in verified_claims(cognate, app, tokens["AccessToken"])

    join_all(app, user.username)
    assert_grouped_tokens(cognate, app, refresh_auth(app, tokens["RefreshToken"]))

    remove(app, user.username, "mid")
    app.idp.delete_group(UserPoolId=app.pool_id, GroupName="zeta")
    refreshed = refresh_auth(app, tokens["RefreshToken"])
    id_claims = verified_claims(cognate, app, refreshed["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["alpha", "aardvark", "beta"]
    assert sorted(id_claims["cognito:roles"]) == sorted([role("AlphaRole"), role("BetaRole")])
    assert id_claims["cognito:preferred_role"] == role("AlphaRole")
    access = verified_claims(cognate, app, refreshed["AccessToken"])
    assert access["cognito:groups"] == ["alpha", "aardvark", "beta"]

    for name in ("alpha", "aardvark", "beta"):
        remove(app, user.username, name)
    emptied = refresh_auth(app, tokens["RefreshToken"])
    id_claims = verified_claims(cognate, app, emptied["IdToken"], audience=app.client_id)
    assert group_claims(id_claims) == {}
    assert group_claims(verified_claims(cognate, app, emptied["AccessToken"])) == {}


def test_precedence_changes_reorder_the_groups_after_a_refresh(cognate, app):
    create_group(app, "first", Precedence=1, RoleArn=role("FirstRole"))
    create_group(app, "second", Precedence=2, RoleArn=role("SecondRole"))
    user = confirmed_user(app, cognate)
    add(app, user.username, "first")
    add(app, user.username, "second")
    tokens = app.tokens(user.username)
    id_claims = verified_claims(cognate, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["first", "second"]
    assert id_claims["cognito:preferred_role"] == role("FirstRole")

    app.idp.update_group(UserPoolId=app.pool_id, GroupName="second", Precedence=0,
                         RoleArn=role("SecondRole"))
    refreshed = refresh_auth(app, tokens["RefreshToken"])
    id_claims = verified_claims(cognate, app, refreshed["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["second", "first"]
    assert id_claims["cognito:preferred_role"] == role("SecondRole")


# =========================================================================== PreTokenGeneration V1


@pytest.fixture
def server(start_cognate, lambda_stub):
    """cognate whose default Invoke API endpoint is the stub."""
    return start_cognate(config=trigger_config(endpoint=lambda_stub.url))


def pre_token_app(server: Any, function: str = "claims") -> App:
    return make_app(server.idp(), pool={"LambdaConfig": {"PreTokenGeneration": arn(function)}})


def test_pre_token_generation_v1_sees_the_group_configuration(server, lambda_stub):
    lambda_stub.register("claims", lambda event: event)
    app = pre_token_app(server)
    make_groups(app)
    user = confirmed_user(app, server)
    join_all(app, user.username)
    tokens = app.tokens(user.username)

    event = lambda_stub.last_event("claims")
    assert event["triggerSource"] == "TokenGeneration_Authentication"
    config = event["request"]["groupConfiguration"]
    assert sorted(config["groupsToOverride"]) == sorted(ORDERED)
    assert sorted(config["iamRolesToOverride"]) == ROLES
    assert config["preferredRole"] == PREFERRED
    assert_grouped_tokens(server, app, tokens)  # an echoed event changes nothing


def test_pre_token_generation_v1_group_configuration_of_a_user_in_no_group(server,
                                                                           lambda_stub):
    lambda_stub.register("claims", lambda event: event)
    app = pre_token_app(server)
    user = confirmed_user(app, server)
    app.tokens(user.username)
    config = lambda_stub.last_event("claims")["request"]["groupConfiguration"]
    assert not config.get("groupsToOverride"), config
    assert not config.get("iamRolesToOverride"), config
    assert config.get("preferredRole") is None, config


def override_groups(event: dict) -> dict:
    event["response"]["claimsOverrideDetails"] = {
        "groupOverrideDetails": {"groupsToOverride": ["x"]},
    }
    return event


def test_pre_token_generation_v1_group_override_replaces_cognito_groups(server, lambda_stub):
    lambda_stub.register("claims", override_groups)
    app = pre_token_app(server)
    create_group(app, "real", Precedence=1)
    user = confirmed_user(app, server)
    add(app, user.username, "real")

    tokens = app.tokens(user.username)
    id_claims = verified_claims(server, app, tokens["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["x"]
    assert group_names_of(app, user.username) == ["real"], "the override changes no membership"

    refreshed = refresh_auth(app, tokens["RefreshToken"])
    assert lambda_stub.last_event("claims")["triggerSource"] == "TokenGeneration_RefreshTokens"
    assert lambda_stub.last_event("claims")["request"]["groupConfiguration"][
        "groupsToOverride"] == ["real"]
    id_claims = verified_claims(server, app, refreshed["IdToken"], audience=app.client_id)
    assert id_claims["cognito:groups"] == ["x"]


LOCAL_OVERRIDE = '''\
def lambda_handler(event, context):
    seen = sorted(event["request"]["groupConfiguration"]["groupsToOverride"] or [])
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"seen_groups": ",".join(seen)},
        "groupOverrideDetails": {"groupsToOverride": ["x"]},
    }
    return event
'''


def test_local_python_pre_token_handler_sees_and_overrides_groups(start_cognate, tmp_path):
    (tmp_path / "group_override.py").write_text(LOCAL_OVERRIDE)
    server = start_cognate(config=trigger_config(functions={
        "groupOverride": {"runtime": "python3",
                          "handler": f"{tmp_path / 'group_override'}.lambda_handler"},
    }))
    app = pre_token_app(server, "groupOverride")
    create_group(app, "b-team", Precedence=2)
    create_group(app, "a-team", Precedence=1)
    user = confirmed_user(app, server)
    add(app, user.username, "b-team")
    add(app, user.username, "a-team")

    id_claims = verified_claims(server, app, app.tokens(user.username)["IdToken"],
                                audience=app.client_id)
    assert id_claims["seen_groups"] == "a-team,b-team"
    assert id_claims["cognito:groups"] == ["x"]
