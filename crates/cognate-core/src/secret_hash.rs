//! `SecretHash` = base64(HMAC-SHA256(client secret, username + client id)).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub fn compute(client_secret: &str, username: &str, client_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    mac.update(client_id.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Constant-time check of a presented hash against any of the usernames it may cover.
pub fn matches(client_secret: &str, client_id: &str, presented: &str, usernames: &[&str]) -> bool {
    use subtle::ConstantTimeEq;
    usernames.iter().fold(false, |acc, username| {
        let expected = compute(client_secret, username, client_id);
        acc | bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_documented_construction() {
        // Computed independently with Python: base64(hmac.new(b"secret", b"alice" + b"client", sha256)).
        let h = compute("secret", "alice", "client");
        assert_eq!(h, "RTsve+FQ659UKyESgvLg9GYmZEL+QjzQsW/OjL77/b0=");
        assert_eq!(h.len(), 44);
        assert!(matches("secret", "client", &h, &["bob", "alice"]));
        assert!(!matches("secret", "client", &h, &["bob"]));
        assert!(!matches("other", "client", &h, &["alice"]));
    }
}
