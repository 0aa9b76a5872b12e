//! Identifiers and timestamps.

use std::fmt;

/// Milliseconds since the Unix epoch. The wire layer turns it into epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn seconds(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn plus(self, d: std::time::Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
    }
}

/// The civil date (year, month 1–12, day 1–31) of a day counted from 1970-01-01 (Howard
/// Hinnant's algorithm): for dates the wire formats spell out (SigV4, SRP's `TIMESTAMP`).
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const LOWER_ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Maps random bytes onto an alphabet without modulo bias (rejection sampling).
pub fn random_string(rng: &dyn crate::ports::Rng, alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        rng.fill(&mut buf);
        for &b in &buf {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// `us-east-1_` followed by nine alphanumerics, as Cognito's pool ids look.
pub fn new_pool_id(rng: &dyn crate::ports::Rng, region: &str) -> String {
    format!("{region}_{}", random_string(rng, ALNUM, 9))
}

/// 26 lowercase alphanumerics, as Cognito's app client ids look.
pub fn new_client_id(rng: &dyn crate::ports::Rng) -> String {
    random_string(rng, LOWER_ALNUM, 26)
}

/// 51 lowercase alphanumerics, the length of the secrets Cognito generates.
pub fn new_client_secret(rng: &dyn crate::ports::Rng) -> String {
    random_string(rng, LOWER_ALNUM, 51)
}

/// A random (version 4) UUID in its canonical lowercase form.
pub fn new_uuid(rng: &dyn crate::ports::Rng) -> String {
    let mut b = [0u8; 16];
    rng.fill(&mut b);
    uuid_from(b)
}

/// A UUID-shaped string from 16 bytes (a decoy user id for SRP), version 4 bits set.
pub fn uuid_from(mut b: [u8; 16]) -> String {
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|x| format!("{x:02x}")).collect()
}

/// The bytes of an even-length hex string; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len() / 2).map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

/// A temporary password that satisfies `policy`: one of each class, then random characters.
pub fn temporary_password(rng: &dyn crate::ports::Rng, policy: &crate::pool::PasswordPolicy) -> String {
    let length = (policy.minimum_length as usize).max(12);
    let mut out = String::new();
    out.push_str(&random_string(rng, b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1));
    out.push_str(&random_string(rng, b"abcdefghijkmnopqrstuvwxyz", 1));
    out.push_str(&random_string(rng, b"23456789", 1));
    out.push_str(&random_string(rng, b"^$*.!@#%&-_=+", 1));
    out.push_str(&random_string(rng, ALNUM, length - 4));
    out
}

pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::SeqRng;

    #[test]
    fn ids_have_cognitos_shapes() {
        let rng = SeqRng::default();
        let pool = new_pool_id(&rng, "us-east-1");
        assert!(pool.starts_with("us-east-1_"));
        assert_eq!(pool.len(), "us-east-1_".len() + 9);
        let client = new_client_id(&rng);
        assert_eq!(client.len(), 26);
        assert!(client.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        assert!(is_uuid(&new_uuid(&rng)));
        assert!(!is_uuid("not-a-uuid"));
    }
}
