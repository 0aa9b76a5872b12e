"""Devices with boto3 and pycognito's device SRP: ``DeviceConfiguration``,
``NewDeviceMetadata`` after sign-in, ConfirmDevice with a verifier computed by pycognito
(``generate_hash_device``), the ``device_key`` claim, DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER
standing in for the second factor on a remembered device, and List/Get/UpdateStatus/Forget with
their Admin variants.
"""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from pycognito.aws_srp import AWSSRP, generate_hash_device, long_to_hex

from helpers import PASSWORD, App, assert_recent, confirmed_user, decode_jwt_unverified, error_message, make_app

FLOWS = {"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}


def device_app(idp: Any, challenge: bool = True, prompt: bool = False) -> App:
    return make_app(idp, pool={"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": challenge,
                                                       "DeviceOnlyRememberedOnUserPrompt": prompt}},
                    client=FLOWS)


def confirm_new_device(app: App, result: dict, name: str = "laptop") -> tuple[str, str, str]:
    """ConfirmDevice with pycognito's verifier; returns (key, group key, device password)."""
    meta = result["NewDeviceMetadata"]
    key, group = meta["DeviceKey"], meta["DeviceGroupKey"]
    password, config = generate_hash_device(group, key)
    answer = app.idp.confirm_device(AccessToken=result["AccessToken"], DeviceKey=key, DeviceName=name,
                                    DeviceSecretVerifierConfig=config)
    assert answer["UserConfirmationNecessary"] is False
    return key, group, password


def test_a_sign_in_on_a_tracked_pool_announces_a_new_device(idp, cognate):
    app = device_app(idp)
    user = confirmed_user(app, cognate)
    result = app.tokens(user.username)
    meta = result["NewDeviceMetadata"]
    region = app.pool_id.split("_")[0]
    assert meta["DeviceKey"].startswith(f"{region}_") and meta["DeviceGroupKey"]
    assert decode_jwt_unverified(result["AccessToken"])["device_key"] == meta["DeviceKey"]
    key, _, _ = confirm_new_device(app, result)
    devices = idp.list_devices(AccessToken=result["AccessToken"])["Devices"]
    assert [d["DeviceKey"] for d in devices] == [key]
    attributes = {a["Name"]: a["Value"] for a in devices[0]["DeviceAttributes"]}
    assert attributes == {"device_status": "valid", "device_name": "laptop",
                          "dev:device_remembered_status": "remembered"}
    # A sign-in naming the device gets no new one.
    again = app.password_auth(user.username, DEVICE_KEY=key)["AuthenticationResult"]
    assert "NewDeviceMetadata" not in again
    assert decode_jwt_unverified(again["AccessToken"])["device_key"] == key


def test_pools_without_tracking_announce_nothing(idp, cognate):
    app = make_app(idp, client=FLOWS)
    user = confirmed_user(app, cognate)
    result = app.tokens(user.username)
    assert "NewDeviceMetadata" not in result
    assert "device_key" not in decode_jwt_unverified(result["AccessToken"])


def test_an_unknown_device_key_is_refused_as_amplify_expects(idp, cognate):
    app = device_app(idp)
    user = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.ResourceNotFoundException) as err:
        app.password_auth(user.username, DEVICE_KEY=f"{app.pool_id.split('_')[0]}_00000000-0000-4000-8000-000000000000")
    assert "Device does not exist." in error_message(err.value)


def test_remembered_devices_prove_themselves_in_place_of_the_second_factor(idp, cognate):
    app = device_app(idp)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="ON",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    user = confirmed_user(app, cognate)
    # First sign-in: MFA set up, a new device announced with the tokens.
    setup = app.password_auth(user.username)
    assert setup["ChallengeName"] == "MFA_SETUP"
    associated = idp.associate_software_token(Session=setup["Session"])
    verified = idp.verify_software_token(Session=associated["Session"],
                                         UserCode=pyotp.TOTP(associated["SecretCode"]).now())
    first = idp.respond_to_auth_challenge(ClientId=app.client_id, ChallengeName="MFA_SETUP",
                                          Session=verified["Session"],
                                          ChallengeResponses={"USERNAME": user.username})["AuthenticationResult"]
    key, group, device_password = confirm_new_device(app, first)
    # pycognito signs in with SRP, meets DEVICE_SRP_AUTH and answers it with the device's SRP.
    srp = AWSSRP(username=user.username, password=PASSWORD, pool_id=app.pool_id, client_id=app.client_id,
                 client=idp, device_key=key, device_group_key=group, device_password=device_password)
    params = srp.get_auth_params()
    params["DEVICE_KEY"] = key
    started = idp.initiate_auth(ClientId=app.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=params)
    claim = srp.process_challenge(started["ChallengeParameters"], params)
    claim["DEVICE_KEY"] = key
    device_step = idp.respond_to_auth_challenge(ClientId=app.client_id, ChallengeName="PASSWORD_VERIFIER",
                                                ChallengeResponses=claim)
    assert device_step["ChallengeName"] == "DEVICE_SRP_AUTH"
    # pycognito answers without the Session, as the AWS examples do.
    verifier = idp.respond_to_auth_challenge(
        ClientId=app.client_id, ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses={"USERNAME": user.username, "DEVICE_KEY": key, "SRP_A": long_to_hex(srp.large_a_value)})
    assert verifier["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    assert set(verifier["ChallengeParameters"]) >= {"SRP_B", "SALT", "SECRET_BLOCK", "USERNAME"}
    answer = srp.process_device_challenge(verifier["ChallengeParameters"])
    done = idp.respond_to_auth_challenge(ClientId=app.client_id, ChallengeName="DEVICE_PASSWORD_VERIFIER",
                                         ChallengeResponses=answer)
    tokens = done["AuthenticationResult"]
    assert decode_jwt_unverified(tokens["AccessToken"])["device_key"] == key
    # A wrong device password fails like a wrong password.
    impostor = AWSSRP(username=user.username, password=PASSWORD, pool_id=app.pool_id, client_id=app.client_id,
                      client=idp, device_key=key, device_group_key=group, device_password="not-the-one")
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        impostor.authenticate_user()


def test_forgotten_or_unremembered_devices_do_not_skip_mfa(idp, cognate):
    app = device_app(idp, prompt=True)
    idp.set_user_pool_mfa_config(UserPoolId=app.pool_id, MfaConfiguration="OPTIONAL",
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)
    meta = first["NewDeviceMetadata"]
    _, config = generate_hash_device(meta["DeviceGroupKey"], meta["DeviceKey"])
    necessary = idp.confirm_device(AccessToken=first["AccessToken"], DeviceKey=meta["DeviceKey"],
                                   DeviceSecretVerifierConfig=config)
    assert necessary["UserConfirmationNecessary"] is True
    access = first["AccessToken"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]
    idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True})
    # Not remembered until the user says so: the second factor is asked for.
    assert app.password_auth(user.username, DEVICE_KEY=meta["DeviceKey"])["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    idp.update_device_status(AccessToken=access, DeviceKey=meta["DeviceKey"], DeviceRememberedStatus="remembered")
    assert app.password_auth(user.username, DEVICE_KEY=meta["DeviceKey"])["ChallengeName"] == "DEVICE_SRP_AUTH"
    idp.forget_device(AccessToken=access, DeviceKey=meta["DeviceKey"])
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        app.password_auth(user.username, DEVICE_KEY=meta["DeviceKey"])


def test_admin_device_operations(idp, cognate):
    app = device_app(idp)
    user = confirmed_user(app, cognate)
    keys = sorted(app.tokens(user.username)["NewDeviceMetadata"]["DeviceKey"] for _ in range(3))
    listed = idp.admin_list_devices(UserPoolId=app.pool_id, Username=user.username, Limit=2)
    assert [d["DeviceKey"] for d in listed["Devices"]] == keys[:2]
    rest = idp.admin_list_devices(UserPoolId=app.pool_id, Username=user.username, Limit=2,
                                  PaginationToken=listed["PaginationToken"])
    assert [d["DeviceKey"] for d in rest["Devices"]] == keys[2:]
    got = idp.admin_get_device(UserPoolId=app.pool_id, Username=user.username, DeviceKey=keys[0])["Device"]
    assert got["DeviceKey"] == keys[0]
    assert_recent(got["DeviceCreateDate"])
    assert_recent(got["DeviceLastAuthenticatedDate"])
    idp.admin_update_device_status(UserPoolId=app.pool_id, Username=user.username, DeviceKey=keys[0],
                                   DeviceRememberedStatus="remembered")
    got = idp.admin_get_device(UserPoolId=app.pool_id, Username=user.username, DeviceKey=keys[0])["Device"]
    assert {"Name": "dev:device_remembered_status", "Value": "remembered"} in got["DeviceAttributes"]
    idp.admin_forget_device(UserPoolId=app.pool_id, Username=user.username, DeviceKey=keys[0])
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_get_device(UserPoolId=app.pool_id, Username=user.username, DeviceKey=keys[0])
    # Another user's device is not yours to see.
    other = confirmed_user(app, cognate)
    with pytest.raises(idp.exceptions.ResourceNotFoundException):
        idp.admin_get_device(UserPoolId=app.pool_id, Username=other.username, DeviceKey=keys[1])


def test_a_refresh_keeps_the_device_it_names(idp, cognate):
    app = device_app(idp)
    user = confirmed_user(app, cognate)
    first = app.tokens(user.username)
    key = first["NewDeviceMetadata"]["DeviceKey"]
    refreshed = idp.initiate_auth(ClientId=app.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                  AuthParameters={"REFRESH_TOKEN": first["RefreshToken"], "DEVICE_KEY": key})
    result = refreshed["AuthenticationResult"]
    assert decode_jwt_unverified(result["AccessToken"])["device_key"] == key
    assert "NewDeviceMetadata" not in result
