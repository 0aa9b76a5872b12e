//! Standard attributes and the checks applied to attributes a caller supplies.

use std::sync::LazyLock;

use regex::Regex;

use crate::error::DomainError;
use crate::pool::{AttributeDataType, PoolSettings, SchemaAttribute};
use crate::user::Attributes;

/// The OpenID Connect standard attributes Cognito keeps, with their data types.
pub const STANDARD: &[(&str, AttributeDataType)] = &[
    ("address", AttributeDataType::String),
    ("birthdate", AttributeDataType::String),
    ("email", AttributeDataType::String),
    ("email_verified", AttributeDataType::Boolean),
    ("family_name", AttributeDataType::String),
    ("gender", AttributeDataType::String),
    ("given_name", AttributeDataType::String),
    ("locale", AttributeDataType::String),
    ("middle_name", AttributeDataType::String),
    ("name", AttributeDataType::String),
    ("nickname", AttributeDataType::String),
    ("phone_number", AttributeDataType::String),
    ("phone_number_verified", AttributeDataType::Boolean),
    ("picture", AttributeDataType::String),
    ("preferred_username", AttributeDataType::String),
    ("profile", AttributeDataType::String),
    ("sub", AttributeDataType::String),
    ("updated_at", AttributeDataType::Number),
    ("website", AttributeDataType::String),
    ("zoneinfo", AttributeDataType::String),
];

pub fn is_standard(name: &str) -> bool {
    STANDARD.iter().any(|(n, _)| *n == name)
}

/// The schema Cognito reports for a standard attribute that the pool did not customise.
pub fn standard_schema(name: &str, data_type: AttributeDataType) -> SchemaAttribute {
    let string = data_type == AttributeDataType::String;
    SchemaAttribute {
        name: name.into(),
        data_type,
        developer_only: false,
        mutable: name != "sub",
        required: name == "sub",
        min_length: string.then(|| if name == "sub" { "1" } else { "0" }.into()),
        max_length: string.then(|| "2048".into()),
        min_value: None,
        max_value: None,
    }
}

static EMAIL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[^@\s]+@[^@\s]+$").expect("valid regex"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\+[0-9]{4,15}$").expect("valid regex"));

pub fn is_email(value: &str) -> bool {
    EMAIL.is_match(value)
}

/// E.164: a plus sign and up to fifteen digits.
pub fn is_phone(value: &str) -> bool {
    PHONE.is_match(value)
}

fn schema_error(detail: String) -> DomainError {
    DomainError::invalid(format!("Attributes did not conform to the schema: {detail}"))
}

/// Checks attributes supplied by a caller creating or updating a user: known names, value
/// formats, custom attribute constraints. `sub` and the `*_verified` flags are reserved.
pub fn validate_supplied(pool: &PoolSettings, attributes: &[(String, String)]) -> Result<(), DomainError> {
    for (name, value) in attributes {
        if name == "sub" {
            return Err(schema_error("sub: Attribute cannot be updated. (changing an immutable attribute)".into()));
        }
        let schema = if is_standard(name) {
            pool.custom_attribute(name).cloned()
        } else {
            match pool.custom_attribute(name) {
                Some(s) => Some(s.clone()),
                None => return Err(schema_error(format!("Type for attribute {{{name}}} could not be determined"))),
            }
        };
        if value.chars().count() > 2048 {
            return Err(schema_error(format!("{name}: String must be no longer than 2048 characters")));
        }
        match name.as_str() {
            "email" if !is_email(value) => return Err(DomainError::invalid("Invalid email address format.")),
            "phone_number" if !is_phone(value) => return Err(DomainError::invalid("Invalid phone number format.")),
            "email_verified" | "phone_number_verified" if value != "true" && value != "false" => {
                return Err(DomainError::invalid(format!("Invalid value for {name}: must be \"true\" or \"false\"")));
            }
            _ => {}
        }
        if let Some(schema) = schema {
            check_constraints(&schema, value)?;
        }
    }
    Ok(())
}

fn check_constraints(schema: &SchemaAttribute, value: &str) -> Result<(), DomainError> {
    let name = &schema.name;
    let parse = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<f64>().ok());
    match schema.data_type {
        AttributeDataType::String | AttributeDataType::DateTime => {
            let len = value.chars().count() as f64;
            if let Some(max) = parse(&schema.max_length) {
                if len > max {
                    return Err(schema_error(format!("{name}: String must be no longer than {max} characters")));
                }
            }
            if let Some(min) = parse(&schema.min_length) {
                if len < min {
                    return Err(schema_error(format!("{name}: String must be no shorter than {min} characters")));
                }
            }
        }
        AttributeDataType::Number => {
            let Ok(n) = value.parse::<f64>() else {
                return Err(schema_error(format!("{name}: Number is not in the valid format")));
            };
            if parse(&schema.max_value).is_some_and(|max| n > max)
                || parse(&schema.min_value).is_some_and(|min| n < min)
            {
                return Err(schema_error(format!("{name}: Number must be within the range")));
            }
        }
        AttributeDataType::Boolean => {
            if value != "true" && value != "false" && value != "1" && value != "0" {
                return Err(schema_error(format!("{name}: Boolean is not in the valid format")));
            }
        }
    }
    Ok(())
}

/// Required attributes the user record lacks, in Cognito's message.
pub fn check_required(pool: &PoolSettings, attributes: &Attributes) -> Result<(), DomainError> {
    for schema in pool.schema.iter().filter(|s| s.required && s.name != "sub") {
        if attributes.get(&schema.name).is_none_or(|v| v.is_empty()) {
            return Err(schema_error(format!("{}: The attribute is required", schema.name)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn rejects_unknown_and_malformed_attributes() {
        let mut pool = PoolSettings::default();
        assert!(validate_supplied(&pool, &attrs(&[("email", "a@b.co"), ("phone_number", "+15555550100")])).is_ok());
        assert!(validate_supplied(&pool, &attrs(&[("custom:tier", "gold")])).is_err());
        assert!(validate_supplied(&pool, &attrs(&[("phone_number", "555-0100")])).is_err());
        assert!(validate_supplied(&pool, &attrs(&[("email", "nope")])).is_err());
        assert!(validate_supplied(&pool, &attrs(&[("sub", "x")])).is_err());
        pool.schema.push(SchemaAttribute {
            name: "custom:tier".into(),
            data_type: AttributeDataType::String,
            developer_only: false,
            mutable: true,
            required: false,
            min_length: Some("1".into()),
            max_length: Some("4".into()),
            min_value: None,
            max_value: None,
        });
        assert!(validate_supplied(&pool, &attrs(&[("custom:tier", "gold")])).is_ok());
        assert!(validate_supplied(&pool, &attrs(&[("custom:tier", "platinum")])).is_err());
    }

    #[test]
    fn required_attributes_must_be_present() {
        let mut pool = PoolSettings::default();
        let mut email = standard_schema("email", AttributeDataType::String);
        email.required = true;
        pool.schema.push(email);
        let err = check_required(&pool, &Attributes::new()).unwrap_err();
        assert_eq!(
            err,
            DomainError::invalid("Attributes did not conform to the schema: email: The attribute is required")
        );
    }
}
