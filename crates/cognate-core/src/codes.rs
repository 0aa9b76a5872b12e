//! One-time codes: six digits from a CSPRNG, stored as a salted SHA-256, compared in
//! constant time, with an expiry.

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::Timestamp;
use crate::ports::Rng;
use crate::user::StoredCode;

/// A freshly drawn code: the clear value (for the message) and what gets stored.
pub struct IssuedCode {
    pub value: String,
    pub stored: StoredCode,
}

pub fn six_digits(rng: &dyn Rng) -> String {
    digits(rng, 6)
}

/// `n` (at most 9) uniformly random decimal digits.
pub fn digits(rng: &dyn Rng, n: u32) -> String {
    let modulus = 10u32.pow(n.min(9));
    // 2^32 is not a multiple of the modulus: reject the tail to keep every code equally likely.
    let limit = u32::MAX - (u32::MAX % modulus);
    loop {
        let mut b = [0u8; 4];
        rng.fill(&mut b);
        let value = u32::from_le_bytes(b);
        if value < limit {
            return format!("{:0width$}", value % modulus, width = n.min(9) as usize);
        }
    }
}

pub fn hash(code: &str, salt: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(code.as_bytes());
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.finalize())
}

#[allow(clippy::too_many_arguments)]
pub fn issue(
    rng: &dyn Rng,
    pool_id: &str,
    sub: &str,
    purpose: &str,
    attribute: Option<&str>,
    now: Timestamp,
    ttl: std::time::Duration,
) -> IssuedCode {
    let value = six_digits(rng);
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let salt = base64::engine::general_purpose::STANDARD_NO_PAD.encode(salt);
    let stored = StoredCode {
        pool_id: pool_id.into(),
        sub: sub.into(),
        purpose: purpose.into(),
        code_hash: hash(&value, &salt),
        salt,
        attribute: attribute.map(str::to_string),
        pending: None,
        created: now,
        expires: now.plus(ttl),
    };
    IssuedCode { value, stored }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CodeCheck {
    Valid,
    Mismatch,
    Expired,
}

pub fn check(stored: &StoredCode, presented: &str, now: Timestamp) -> CodeCheck {
    let presented_hash = hash(presented, &stored.salt);
    if !bool::from(presented_hash.as_bytes().ct_eq(stored.code_hash.as_bytes())) {
        return CodeCheck::Mismatch;
    }
    if now >= stored.expires {
        return CodeCheck::Expired;
    }
    CodeCheck::Valid
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SeqRng;
    use std::time::Duration;

    #[test]
    fn codes_are_six_digits_and_stored_hashed() {
        let rng = SeqRng::default();
        let issued = issue(&rng, "p", "s", "signup", Some("email"), Timestamp(0), Duration::from_secs(60));
        assert_eq!(issued.value.len(), 6);
        assert!(issued.value.bytes().all(|b| b.is_ascii_digit()));
        assert!(!issued.stored.code_hash.contains(&issued.value));
        assert_eq!(check(&issued.stored, &issued.value, Timestamp(1000)), CodeCheck::Valid);
        assert_eq!(check(&issued.stored, "000000x", Timestamp(1000)), CodeCheck::Mismatch);
        assert_eq!(check(&issued.stored, &issued.value, Timestamp(60_000)), CodeCheck::Expired);
    }
}
