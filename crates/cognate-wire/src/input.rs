//! A request body, read member by member with the model's constraints. Type mismatches are
//! `SerializationException`; constraint failures are `InvalidParameterException` worded as
//! AWS words them ("1 validation error detected: Value 'x' at 'poolName' failed to satisfy
//! constraint: ...").

use std::collections::BTreeMap;

use cognate_core::DomainError;
use serde_json::{Map, Value};

use crate::error::{ApiError, ProtocolError};
use crate::rules::Rule;

pub type WireResult<T> = Result<T, ApiError>;

#[derive(Debug, Clone, Default)]
pub struct Input {
    map: Map<String, Value>,
    /// Dotted path of this object inside the request, for error messages.
    path: String,
}

/// `UserPoolId` → `userPoolId`, the spelling AWS uses in validation messages.
fn member_path(prefix: &str, name: &str) -> String {
    let mut chars = name.chars();
    let lower: String = chars.next().map(|c| c.to_ascii_lowercase()).into_iter().chain(chars).collect();
    if prefix.is_empty() {
        lower
    } else {
        format!("{prefix}.{lower}")
    }
}

pub fn validation_error(path: &str, value: Option<&str>, constraint: &str) -> ApiError {
    // Huge values are not echoed whole: the message also travels in a response header.
    let value = match value {
        Some(v) if v.chars().count() > 256 => format!("Value '{}...' at", v.chars().take(256).collect::<String>()),
        Some(v) => format!("Value '{v}' at"),
        None => "Value at".to_string(),
    };
    ApiError::Domain(DomainError::InvalidParameter(format!(
        "1 validation error detected: {value} '{path}' failed to satisfy constraint: {constraint}"
    )))
}

fn type_error(path: &str, expected: &str) -> ApiError {
    ApiError::Protocol(ProtocolError::Serialization(format!("Expected {expected} for member '{path}'")))
}

pub fn check_rule(path: &str, value: &str, rule: &Rule) -> WireResult<()> {
    let shown = (!rule.sensitive).then_some(value);
    let len = value.chars().count();
    if len < rule.min {
        return Err(validation_error(
            path,
            shown,
            &format!("Member must have length greater than or equal to {}", rule.min),
        ));
    }
    if len > rule.max {
        return Err(validation_error(
            path,
            shown,
            &format!("Member must have length less than or equal to {}", rule.max),
        ));
    }
    if !rule.matches(value) {
        return Err(validation_error(
            path,
            shown,
            &format!("Member must satisfy regular expression pattern: {}", rule.pattern_text),
        ));
    }
    Ok(())
}

impl Input {
    pub fn parse(body: &[u8]) -> WireResult<Input> {
        let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Input { map, path: String::new() }),
            Ok(_) => Err(ProtocolError::Serialization("The request body must be a JSON object".into()).into()),
            Err(e) => Err(ProtocolError::Serialization(format!("Malformed JSON: {e}")).into()),
        }
    }

    pub fn from_map(map: Map<String, Value>) -> Input {
        Input { map, path: String::new() }
    }

    pub fn raw(&self) -> &Map<String, Value> {
        &self.map
    }

    pub fn has(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(|v| !v.is_null())
    }

    fn path(&self, name: &str) -> String {
        member_path(&self.path, name)
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, name: &str, rule: &Rule) -> WireResult<Option<String>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => {
                check_rule(&self.path(name), s, rule)?;
                Ok(Some(s.clone()))
            }
            Some(_) => Err(type_error(&self.path(name), "a string")),
        }
    }

    pub fn req_str(&self, name: &str, rule: &Rule) -> WireResult<String> {
        self.opt_str(name, rule)?.ok_or_else(|| {
            ApiError::Domain(DomainError::InvalidParameter(format!(
                "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
                self.path(name)
            )))
        })
    }

    pub fn opt_bool(&self, name: &str) -> WireResult<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(type_error(&self.path(name), "a boolean")),
        }
    }

    pub fn opt_int(&self, name: &str, min: i64, max: i64) -> WireResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) => {
                let Some(v) = n.as_i64() else { return Err(type_error(&self.path(name), "an integer")) };
                let text = v.to_string();
                if v < min {
                    return Err(validation_error(
                        &self.path(name),
                        Some(&text),
                        &format!("Member must have value greater than or equal to {min}"),
                    ));
                }
                if v > max {
                    return Err(validation_error(
                        &self.path(name),
                        Some(&text),
                        &format!("Member must have value less than or equal to {max}"),
                    ));
                }
                Ok(Some(v))
            }
            Some(_) => Err(type_error(&self.path(name), "an integer")),
        }
    }

    pub fn opt_enum(&self, name: &str, allowed: &[&str]) -> WireResult<Option<String>> {
        let Some(v) = self.opt_str(name, &crate::rules::ANY)? else { return Ok(None) };
        if !allowed.contains(&v.as_str()) {
            return Err(validation_error(
                &self.path(name),
                Some(&v),
                &format!("Member must satisfy enum value set: [{}]", allowed.join(", ")),
            ));
        }
        Ok(Some(v))
    }

    fn list(&self, name: &str) -> WireResult<Option<&Vec<Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(type_error(&self.path(name), "a list")),
        }
    }

    pub fn opt_str_list(&self, name: &str, rule: &Rule, max_items: usize) -> WireResult<Option<Vec<String>>> {
        let Some(items) = self.list(name)? else { return Ok(None) };
        if items.len() > max_items {
            return Err(validation_error(
                &self.path(name),
                None,
                &format!("Member must have length less than or equal to {max_items}"),
            ));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}.{}.member", self.path(name), i + 1);
            let Value::String(s) = item else { return Err(type_error(&path, "a string")) };
            check_rule(&path, s, rule)?;
            out.push(s.clone());
        }
        Ok(Some(out))
    }

    pub fn opt_enum_list(&self, name: &str, allowed: &[&str]) -> WireResult<Option<Vec<String>>> {
        let Some(items) = self.opt_str_list(name, &crate::rules::ANY, usize::MAX)? else { return Ok(None) };
        for item in &items {
            if !allowed.contains(&item.as_str()) {
                return Err(validation_error(
                    &self.path(name),
                    Some(&format!("[{}]", items.join(", "))),
                    &format!(
                        "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        Ok(Some(items))
    }

    pub fn opt_object(&self, name: &str) -> WireResult<Option<Input>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Input { map: map.clone(), path: self.path(name) })),
            Some(_) => Err(type_error(&self.path(name), "an object")),
        }
    }

    pub fn opt_object_list(&self, name: &str) -> WireResult<Option<Vec<Input>>> {
        let Some(items) = self.list(name)? else { return Ok(None) };
        let base = self.path(name);
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(Input { map: map.clone(), path: format!("{base}.{}.member", i + 1) }),
                _ => Err(type_error(&base, "a list of objects")),
            })
            .collect::<WireResult<Vec<_>>>()
            .map(Some)
    }

    /// `[{"Name": ..., "Value": ...}]` attribute lists.
    pub fn opt_attributes(&self, name: &str) -> WireResult<Option<Vec<(String, String)>>> {
        let Some(items) = self.opt_object_list(name)? else { return Ok(None) };
        items
            .iter()
            .map(|item| {
                let attr = item.req_str("Name", &crate::rules::ATTRIBUTE_NAME)?;
                let value = item.opt_str("Value", &crate::rules::ATTRIBUTE_VALUE)?.unwrap_or_default();
                Ok((attr, value))
            })
            .collect::<WireResult<Vec<_>>>()
            .map(Some)
    }

    /// String → string maps (`ClientMetadata`).
    pub fn opt_string_map(&self, name: &str) -> WireResult<Option<BTreeMap<String, String>>> {
        self.string_map(name, &crate::rules::MAP_STRING)
    }

    /// Maps whose values are secrets (`AuthParameters`, `ChallengeResponses`): never echoed.
    pub fn opt_secret_map(&self, name: &str) -> WireResult<Option<BTreeMap<String, String>>> {
        self.string_map(name, &crate::rules::SECRET_STRING)
    }

    fn string_map(&self, name: &str, values: &Rule) -> WireResult<Option<BTreeMap<String, String>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => {
                        check_rule(&format!("{}.key", self.path(name)), k, &crate::rules::MAP_STRING)?;
                        check_rule(&self.path(name), s, values)?;
                        Ok((k.clone(), s.clone()))
                    }
                    _ => Err(type_error(&format!("{}.{k}", self.path(name)), "a string")),
                })
                .collect::<WireResult<BTreeMap<_, _>>>()
                .map(Some),
            Some(_) => Err(type_error(&self.path(name), "a map")),
        }
    }

    /// Checks that a member, if present, is an object (for members stored but not read).
    pub fn expect_object(&self, name: &str) -> WireResult<()> {
        self.opt_object(name).map(|_| ())
    }

    /// The context members of the user-facing and admin calls, which cognate checks but does
    /// not act on: `AnalyticsMetadata`, `UserContextData` (sensitive) and `ContextData`.
    pub fn check_context(&self) -> WireResult<()> {
        use crate::rules::{MAP_STRING, SECRET_STRING};
        if let Some(a) = self.opt_object("AnalyticsMetadata")? {
            a.opt_str("AnalyticsEndpointId", &MAP_STRING)?;
        }
        if let Some(u) = self.opt_object("UserContextData")? {
            u.opt_str("IpAddress", &SECRET_STRING)?;
            u.opt_str("EncodedData", &SECRET_STRING)?;
        }
        if let Some(c) = self.opt_object("ContextData")? {
            c.req_str("IpAddress", &MAP_STRING)?;
            c.req_str("ServerName", &MAP_STRING)?;
            c.req_str("ServerPath", &MAP_STRING)?;
            c.opt_str("EncodedData", &MAP_STRING)?;
            let headers = c
                .opt_object_list("HttpHeaders")?
                .ok_or_else(|| validation_error(&c.path("HttpHeaders"), None, "Member must not be null"))?;
            for h in headers {
                h.opt_str("headerName", &MAP_STRING)?;
                h.opt_str("headerValue", &MAP_STRING)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> Input {
        Input::parse(json.as_bytes()).unwrap()
    }

    fn message(e: ApiError) -> String {
        e.parts().2
    }

    #[test]
    fn validation_messages_name_the_member() {
        let i = input(r#"{"PoolName": "bad/name", "UserPoolId": 5}"#);
        let e = i.req_str("PoolName", &crate::rules::POOL_NAME).unwrap_err();
        assert_eq!(
            message(e),
            r"1 validation error detected: Value 'bad/name' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+"
        );
        let e = i.req_str("UserPoolId", &crate::rules::POOL_ID).unwrap_err();
        assert_eq!(e.parts().0, "SerializationException");
        let e = i.req_str("Username", &crate::rules::USERNAME).unwrap_err();
        assert!(message(e).contains("'username' failed to satisfy constraint: Member must not be null"));
    }

    #[test]
    fn malformed_bodies_are_serialization_errors() {
        assert_eq!(Input::parse(b"{nope").unwrap_err().parts().0, "SerializationException");
        assert_eq!(Input::parse(b"[1]").unwrap_err().parts().0, "SerializationException");
        assert!(Input::parse(b"").is_ok());
    }

    #[test]
    fn attribute_lists_and_maps() {
        let i = input(r#"{"UserAttributes": [{"Name": "email", "Value": "a@b.c"}], "ClientMetadata": {"k": "v"}}"#);
        assert_eq!(i.opt_attributes("UserAttributes").unwrap().unwrap(), vec![("email".into(), "a@b.c".into())]);
        assert_eq!(i.opt_string_map("ClientMetadata").unwrap().unwrap()["k"], "v");
        let bad = input(r#"{"ClientMetadata": {"k": 1}}"#);
        assert!(bad.opt_string_map("ClientMetadata").is_err());
    }
}
