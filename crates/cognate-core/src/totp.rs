//! Authenticator-app codes (RFC 6238): HMAC-SHA-1 over the 30-second step, six digits, one
//! step of clock skew either way, as Cognito accepts them.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::ids::Timestamp;
use crate::ports::Rng;

pub const STEP_SECONDS: u64 = 30;

/// A new shared secret: 160 bits, as RFC 4226 recommends and Cognito hands out.
pub fn new_secret(rng: &dyn Rng) -> [u8; 20] {
    let mut secret = [0u8; 20];
    rng.fill(&mut secret);
    secret
}

/// The code of `step` (RFC 4226 dynamic truncation, six digits).
pub fn code(secret: &[u8], step: u64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else { return String::new() };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let word = u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", word % 1_000_000)
}

pub fn step_at(now: Timestamp) -> u64 {
    (now.millis().max(0) as u64 / 1000) / STEP_SECONDS
}

/// The step whose code `presented` is, among the one containing `now` and its neighbours.
pub fn matching_step(secret: &[u8], presented: &str, now: Timestamp) -> Option<u64> {
    let current = step_at(now);
    let mut found = None;
    // Every candidate is computed and compared, so timing does not tell which one matched.
    for step in [current.saturating_sub(1), current, current + 1] {
        if bool::from(code(secret, step).as_bytes().ct_eq(presented.as_bytes())) {
            found = Some(step);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: what authenticator apps take as the secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(char::from(BASE32[((bits >> (35 - 5 * i)) & 31) as usize]));
        }
    }
    out
}

/// The bytes of an unpadded base32 secret; `None` for anything else.
pub fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut bits, mut held) = (0u64, 0u32);
    for c in text.bytes() {
        let value = BASE32.iter().position(|b| *b == c)? as u64;
        bits = (bits << 5) | value;
        held += 5;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // Appendix B, SHA-1 column, last six of the eight digits.
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code(secret, time / STEP_SECONDS), expected, "T = {time}");
        }
    }

    #[test]
    fn one_step_of_skew_either_way() {
        let secret = b"12345678901234567890";
        let now = Timestamp(1_111_111_111_000);
        let step = step_at(now);
        assert_eq!(matching_step(secret, &code(secret, step), now), Some(step));
        assert_eq!(matching_step(secret, &code(secret, step - 1), now), Some(step - 1));
        assert_eq!(matching_step(secret, &code(secret, step + 1), now), Some(step + 1));
        assert_eq!(matching_step(secret, &code(secret, step + 2), now), None);
        assert_eq!(matching_step(secret, &code(secret, step - 2), now), None);
    }

    #[test]
    fn base32_round_trips() {
        // RFC 4648 §10.
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"fooba"), "MZXW6YTB");
        assert_eq!(base32(b""), "");
        let secret = [7u8; 20];
        assert_eq!(base32(&secret).len(), 32);
        assert_eq!(unbase32(&base32(&secret)), Some(secret.to_vec()));
        assert_eq!(unbase32("MZXW6YTBOI"), Some(b"foobar".to_vec()));
        assert_eq!(unbase32("mzxw"), None);
    }
}
