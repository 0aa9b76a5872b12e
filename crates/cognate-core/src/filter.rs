//! The `ListUsers` filter language: `attribute = "value"` or `attribute ^= "value"`.

use crate::error::DomainError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterOp {
    Equals,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    /// `username`, `email`, …, `cognito:user_status`, `status`, `sub`.
    pub attribute: String,
    pub op: FilterOp,
    pub value: String,
}

/// The attributes Cognito lets `ListUsers` filter on.
pub const SEARCHABLE: &[&str] = &[
    "username",
    "email",
    "phone_number",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "cognito:user_status",
    "status",
    "sub",
];

impl UserFilter {
    /// Whether the comparison ignores case (Cognito: only `cognito:user_status`).
    pub fn case_insensitive(&self) -> bool {
        self.attribute == "cognito:user_status"
    }

    /// Whether a user matches, as the SQL backends compare: what stores without a query
    /// language (the in-memory fake) use.
    pub fn matches(&self, user: &crate::user::User) -> bool {
        let value = match self.attribute.as_str() {
            "username" => Some(user.username.clone()),
            "sub" => Some(user.sub.clone()),
            "cognito:user_status" => Some(user.status.as_str().to_uppercase()),
            "status" => Some(if user.enabled { "Enabled" } else { "Disabled" }.to_string()),
            name => user.attribute(name).map(str::to_string),
        };
        let wanted = if self.case_insensitive() { self.value.to_uppercase() } else { self.value.clone() };
        match (value, &self.op) {
            (Some(v), FilterOp::Equals) => v == wanted,
            (Some(v), FilterOp::StartsWith) => v.starts_with(&wanted),
            (None, _) => false,
        }
    }
}

/// Parses a filter; an empty string means "no filter".
pub fn parse(input: &str) -> Result<Option<UserFilter>, DomainError> {
    let bad = || DomainError::invalid("Error while parsing filter.");
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let name_end = s.find(|c: char| c.is_whitespace() || c == '=' || c == '^').ok_or_else(bad)?;
    let attribute = &s[..name_end];
    let rest = s[name_end..].trim_start();
    let (op, rest) = if let Some(r) = rest.strip_prefix("^=") {
        (FilterOp::StartsWith, r)
    } else if let Some(r) = rest.strip_prefix('=') {
        (FilterOp::Equals, r)
    } else {
        return Err(bad());
    };
    let rest = rest.trim();
    let inner = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).ok_or_else(bad)?;
    let mut value = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next().ok_or_else(bad)?),
            '"' => return Err(bad()),
            c => value.push(c),
        }
    }
    if !SEARCHABLE.contains(&attribute) {
        return Err(DomainError::invalid(format!("Invalid search attribute: {attribute}")));
    }
    Ok(Some(UserFilter { attribute: attribute.into(), op, value }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cognito_filters() {
        let f = parse(r#"email ^= "al""#).unwrap().unwrap();
        assert_eq!((f.attribute.as_str(), f.op, f.value.as_str()), ("email", FilterOp::StartsWith, "al"));
        let f = parse(r#"cognito:user_status = "UNCONFIRMED""#).unwrap().unwrap();
        assert_eq!(f.op, FilterOp::Equals);
        assert!(f.case_insensitive());
        let f = parse(r#"name="a \"b\"""#).unwrap().unwrap();
        assert_eq!(f.value, "a \"b\"");
        assert_eq!(parse("  ").unwrap(), None);
        assert!(parse("email").is_err());
        assert!(parse(r#"email = unquoted"#).is_err());
        assert!(parse(r#"custom:x = "1""#).is_err());
        assert!(parse(r#"email > "a""#).is_err());
    }
}
