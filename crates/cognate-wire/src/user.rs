//! User shapes: `UserType`, `AdminGetUser` and `GetUser` responses, `CodeDeliveryDetails`.

use cognate_core::flows::CodeDelivery;
use cognate_core::user::{MfaFactor, User};
use serde_json::{json, Value};

use crate::pool::timestamp;

/// `[{"Name", "Value"}]`, `sub` first as Cognito lists it, optionally restricted.
pub fn attributes_json(user: &User, only: Option<&[String]>) -> Value {
    let keep = |name: &str| only.is_none_or(|names| names.iter().any(|n| n == name));
    let mut list: Vec<Value> = Vec::with_capacity(user.attributes.len());
    if let Some(sub) = user.attributes.get("sub").filter(|_| keep("sub")) {
        list.push(json!({ "Name": "sub", "Value": sub }));
    }
    for (name, value) in user.attributes.iter().filter(|(n, _)| n.as_str() != "sub" && keep(n)) {
        list.push(json!({ "Name": name, "Value": value }));
    }
    Value::Array(list)
}

/// `UserType` (ListUsers and AdminCreateUser).
pub fn user_type_json(user: &User, only: Option<&[String]>) -> Value {
    json!({
        "Username": user.username,
        "Attributes": attributes_json(user, only),
        "UserCreateDate": timestamp(user.created),
        "UserLastModifiedDate": timestamp(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    })
}

pub fn admin_get_user_json(user: &User) -> Value {
    let mut out = json!({
        "Username": user.username,
        "UserAttributes": attributes_json(user, None),
        "UserCreateDate": timestamp(user.created),
        "UserLastModifiedDate": timestamp(user.modified),
        "Enabled": user.enabled,
        "UserStatus": user.status.as_str(),
    });
    add_mfa_settings(&mut out, user);
    out
}

/// `UserMFASettingList`, `PreferredMfaSetting` and the legacy `MFAOptions`, each only when
/// there is something to say (Cognito leaves them out for a user without second factors).
pub fn add_mfa_settings(out: &mut Value, user: &User) {
    let choice = &user.mfa.choice;
    if !choice.enabled.is_empty() {
        out["UserMFASettingList"] = json!(choice.enabled.iter().map(|f| f.as_str()).collect::<Vec<_>>());
    }
    if let Some(preferred) = choice.preferred {
        out["PreferredMfaSetting"] = json!(preferred.as_str());
    }
    if choice.is_enabled(MfaFactor::Sms) {
        out["MFAOptions"] = json!([{ "DeliveryMedium": "SMS", "AttributeName": "phone_number" }]);
    }
}

pub fn code_delivery_json(d: &CodeDelivery) -> Value {
    json!({ "Destination": d.destination, "DeliveryMedium": d.medium.as_str(), "AttributeName": d.attribute })
}

/// `GroupType`.
pub fn group_json(g: &cognate_core::group::Group) -> Value {
    let mut out = json!({
        "GroupName": g.name,
        "UserPoolId": g.pool_id,
        "LastModifiedDate": timestamp(g.modified),
        "CreationDate": timestamp(g.created),
    });
    if let Some(d) = &g.description {
        out["Description"] = json!(d);
    }
    if let Some(r) = &g.role_arn {
        out["RoleArn"] = json!(r);
    }
    if let Some(p) = g.precedence {
        out["Precedence"] = json!(p);
    }
    out
}

/// `DeviceType`.
pub fn device_json(d: &cognate_core::user::Device) -> Value {
    let mut attributes = vec![json!({ "Name": "device_status", "Value": "valid" })];
    if let Some(name) = &d.name {
        attributes.push(json!({ "Name": "device_name", "Value": name }));
    }
    let remembered = if d.remembered { "remembered" } else { "not_remembered" };
    attributes.push(json!({ "Name": "dev:device_remembered_status", "Value": remembered }));
    json!({
        "DeviceKey": d.key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": timestamp(d.created),
        "DeviceLastModifiedDate": timestamp(d.modified),
        "DeviceLastAuthenticatedDate": timestamp(d.last_authenticated),
    })
}
