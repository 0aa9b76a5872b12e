//! Password policy checks, reporting the first failing rule as Cognito does.

use crate::error::DomainError;
use crate::pool::PasswordPolicy;

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

pub fn check(policy: &PasswordPolicy, password: &str) -> Result<(), DomainError> {
    let fail =
        |reason: &str| Err(DomainError::InvalidPassword(format!("Password did not conform with policy: {reason}")));
    if password.chars().count() < policy.minimum_length as usize {
        return fail("Password not long enough");
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_failing_rule() {
        let p = PasswordPolicy::default();
        let msg = |pw: &str| match check(&p, pw) {
            Err(DomainError::InvalidPassword(m)) => m,
            other => panic!("unexpected {other:?}"),
        };
        assert!(msg("Ab1!").ends_with("Password not long enough"));
        assert!(msg("ABCDEFG1!").ends_with("lowercase characters"));
        assert!(msg("abcdefg1!").ends_with("uppercase characters"));
        assert!(msg("Abcdefgh!").ends_with("numeric characters"));
        assert!(msg("Abcdefgh1").ends_with("symbol characters"));
        assert!(check(&p, "Abcdefg1!").is_ok());
        let lax = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
            ..p
        };
        assert!(check(&lax, "aaaaaa").is_ok());
    }
}
