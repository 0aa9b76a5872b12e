//! Argon2id password hashing (OWASP's minimum: 19 MiB, t=2, p=1), run on the blocking pool
//! so slow hashes never stall the async workers.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use async_trait::async_trait;
use cognate_core::ports::Passwords;

pub struct Argon2Passwords;

#[async_trait]
impl Passwords for Argon2Passwords {
    async fn hash(&self, password: &str) -> Result<String, String> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            Argon2::default()
                .hash_password_with_salt(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())?
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || {
            Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
        })
        .await
        .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_phc_strings() {
        let p = Argon2Passwords;
        let h = p.hash("Passw0rd!").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("Passw0rd!", &h).await.unwrap());
        assert!(!p.verify("wrong", &h).await.unwrap());
        assert!(!p.verify("Passw0rd!", "garbage").await.unwrap());
    }
}
