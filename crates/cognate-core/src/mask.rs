//! Masked destinations for `CodeDeliveryDetails`, in Cognito's format.

/// `user@example.com` → `u***@e***.com`.
pub fn email(address: &str) -> String {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return "***".into();
    };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let (host, tld) = match domain.rsplit_once('.') {
        Some((host, tld)) => (host, format!(".{tld}")),
        None => (domain, String::new()),
    };
    format!("{}***@{}***{}", first(local), first(host), tld)
}

/// `+15555550100` → `+*******0100`.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(|c| c.is_ascii_digit()).collect();
    let keep = digits.len().saturating_sub(4);
    let mut out = String::from("+");
    out.extend(std::iter::repeat_n('*', keep));
    out.extend(&digits[keep..]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn masks_like_cognito() {
        assert_eq!(super::email("user@example.com"), "u***@e***.com");
        assert_eq!(super::email("a@b"), "a***@b***");
        assert_eq!(super::phone("+15555550100"), "+*******0100");
    }
}
