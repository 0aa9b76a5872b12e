//! Cognito's SRP-6a variant (USER_SRP_AUTH): the 3072-bit group of RFC 5054 with g = 2,
//! SHA-256, Java-style signed padding of every number before hashing, an HKDF-derived key
//! and an HMAC "password claim" over the pool, the user, the secret block and a timestamp.
//! The server side only; clients are amazon-cognito-identity-js, pycognito and the SDKs.

use std::sync::OnceLock;

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use num_bigint_dig::BigUint;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05",
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB",
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718",
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33",
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864",
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2",
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

fn group() -> &'static Group {
    static GROUP: OnceLock<Group> = OnceLock::new();
    GROUP.get_or_init(|| {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
        let g = BigUint::from(2u32);
        let k = hash_numbers(&[&n, &g]);
        Group { n, g, k }
    })
}

/// Big-endian bytes with a leading zero byte when the top bit is set: what the clients hash
/// (they format numbers like Java's signed `BigInteger.toByteArray`).
pub fn padded(n: &BigUint) -> Vec<u8> {
    let bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| *b >= 0x80) {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(0);
        out.extend_from_slice(&bytes);
        out
    } else {
        bytes
    }
}

fn hash_numbers(numbers: &[&BigUint]) -> BigUint {
    let mut h = Sha256::new();
    for n in numbers {
        h.update(padded(n));
    }
    BigUint::from_bytes_be(&h.finalize())
}

/// Lower-case hex without leading zeros, as the clients send and expect numbers.
pub fn to_hex(n: &BigUint) -> String {
    n.to_str_radix(16)
}

pub fn from_hex(s: &str) -> Option<BigUint> {
    if s.is_empty() || s.len() > 2048 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(s.as_bytes(), 16)
}

/// The part of a pool id after the region: `us-east-1_AbC` → `AbC`.
pub fn pool_suffix(pool_id: &str) -> &str {
    pool_id.split_once('_').map_or(pool_id, |(_, s)| s)
}

/// `x = H(salt ‖ H(poolSuffix ‖ userId ‖ ":" ‖ password))`.
fn private_key(salt: &BigUint, pool_suffix: &str, user_id: &str, password: &str) -> BigUint {
    let inner = Sha256::new()
        .chain_update(pool_suffix.as_bytes())
        .chain_update(user_id.as_bytes())
        .chain_update(b":")
        .chain_update(password.as_bytes())
        .finalize();
    let outer = Sha256::new().chain_update(padded(salt)).chain_update(inner).finalize();
    BigUint::from_bytes_be(&outer)
}

/// What a server keeps instead of the password: the salt and `v = g^x mod N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub salt: BigUint,
    pub verifier: BigUint,
}

impl Verifier {
    /// `salt` is 16 random bytes. One modular exponentiation with a 256-bit exponent (~1 ms).
    pub fn new(salt: &[u8], pool_suffix: &str, user_id: &str, password: &str) -> Self {
        let gr = group();
        let salt = BigUint::from_bytes_be(salt);
        let x = private_key(&salt, pool_suffix, user_id, password);
        let verifier = gr.g.modpow(&x, &gr.n);
        Self { salt, verifier }
    }

    /// `salt:verifier` in hex, the form sealed into storage.
    pub fn encode(&self) -> String {
        format!("{}:{}", to_hex(&self.salt), to_hex(&self.verifier))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (salt, verifier) = s.split_once(':')?;
        Some(Self { salt: from_hex(salt)?, verifier: from_hex(verifier)? })
    }
}

/// The server's half of one exchange, ready for the client's claim.
#[derive(Debug, Clone)]
pub struct ServerChallenge {
    /// `B`, sent as `SRP_B`.
    pub public: BigUint,
    /// The 16-byte key both sides derive; the claim is checked against it.
    pub key: [u8; 16],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrpError {
    /// `A ≡ 0 (mod N)`, or `u = 0`: the exchange would leak the key.
    IllegalParameter,
}

/// Computes `B = k·v + g^b` and the shared key for the client's `A`, given a secret `b`
/// (32 random bytes). Costs three modular exponentiations, two with a 256-bit exponent.
pub fn server_challenge(verifier: &BigUint, client_public: &BigUint, b: &[u8]) -> Result<ServerChallenge, SrpError> {
    let gr = group();
    if (client_public % &gr.n) == BigUint::default() {
        return Err(SrpError::IllegalParameter);
    }
    let b = BigUint::from_bytes_be(b);
    let public = (&gr.k * verifier + gr.g.modpow(&b, &gr.n)) % &gr.n;
    let u = hash_numbers(&[client_public, &public]);
    if u == BigUint::default() {
        return Err(SrpError::IllegalParameter);
    }
    let s = (client_public * verifier.modpow(&u, &gr.n)).modpow(&b, &gr.n);
    Ok(ServerChallenge { public, key: derive_key(&s, &u) })
}

/// Single-block HKDF-SHA256 with Cognito's info string.
fn derive_key(s: &BigUint, u: &BigUint) -> [u8; 16] {
    let mut extract = HmacSha256::new_from_slice(&padded(u)).expect("HMAC takes any key length");
    extract.update(&padded(s));
    let prk = extract.finalize().into_bytes();
    let mut expand = HmacSha256::new_from_slice(&prk).expect("HMAC takes any key length");
    expand.update(b"Caldera Derived Key\x01");
    let okm = expand.finalize().into_bytes();
    let mut key = [0u8; 16];
    key.copy_from_slice(&okm[..16]);
    key
}

/// Checks `PASSWORD_CLAIM_SIGNATURE` = base64(HMAC(key, poolSuffix ‖ userId ‖ secretBlock ‖
/// timestamp)) in constant time.
pub fn claim_matches(
    key: &[u8],
    pool_suffix: &str,
    user_id: &str,
    secret_block: &[u8],
    timestamp: &str,
    signature_b64: &str,
) -> bool {
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature_b64.trim()) else {
        return false;
    };
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(pool_suffix.as_bytes());
    mac.update(user_id.as_bytes());
    mac.update(secret_block);
    mac.update(timestamp.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

/// Whether a `TIMESTAMP` has the clients' shape, `EEE MMM d HH:mm:ss UTC yyyy` in English,
/// e.g. `Tue Mar 5 09:04:03 UTC 2024` (the day without a leading zero; some SDKs pad it).
pub fn is_timestamp(s: &str) -> bool {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts: Vec<&str> = s.split(' ').collect();
    let [weekday, month, day, time, zone, year] = parts.as_slice() else { return false };
    let number = |t: &str, len: std::ops::RangeInclusive<usize>, max: u32| {
        len.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) && t.parse::<u32>().is_ok_and(|n| n <= max)
    };
    let clock: Vec<&str> = time.split(':').collect();
    DAYS.contains(weekday)
        && MONTHS.contains(month)
        && number(day, 1..=2, 31)
        && day.parse::<u32>().is_ok_and(|d| d >= 1)
        && clock.len() == 3
        && number(clock[0], 2..=2, 23)
        && number(clock[1], 2..=2, 59)
        && number(clock[2], 2..=2, 60)
        && *zone == "UTC"
        && number(year, 4..=4, 9999)
}

#[cfg(test)]
pub(crate) mod client {
    //! The client's side, written from the clients' source, to test the server against.
    use super::*;

    pub fn public(a: &BigUint) -> BigUint {
        let gr = group();
        gr.g.modpow(a, &gr.n)
    }

    pub fn key(
        a: &BigUint,
        server_public: &BigUint,
        salt: &BigUint,
        pool_suffix: &str,
        user_id: &str,
        password: &str,
    ) -> [u8; 16] {
        let gr = group();
        let big_a = public(a);
        let u = hash_numbers(&[&big_a, server_public]);
        let x = private_key(salt, pool_suffix, user_id, password);
        let gx = gr.g.modpow(&x, &gr.n);
        let kgx = (&gr.k * gx) % &gr.n;
        let base = (server_public + &gr.n - kgx) % &gr.n;
        let s = base.modpow(&(a + &u * &x), &gr.n);
        derive_key(&s, &u)
    }

    pub fn sign(key: &[u8], pool_suffix: &str, user_id: &str, secret_block: &[u8], timestamp: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(pool_suffix.as_bytes());
        mac.update(user_id.as_bytes());
        mac.update(secret_block);
        mac.update(timestamp.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_rfc_5054_3072_bit_and_k_matches_the_clients() {
        let gr = group();
        assert_eq!(gr.n.bits(), 3072);
        // k = H(00‖N ‖ 02), as amazon-cognito-identity-js computes it.
        let expected = Sha256::new().chain_update(padded(&gr.n)).chain_update([2u8]).finalize();
        assert_eq!(gr.k, BigUint::from_bytes_be(&expected));
        assert_eq!(padded(&gr.n)[0], 0, "N has its top bit set, so it is hashed with a zero byte");
    }

    #[test]
    fn padding_follows_java_signed_bytes() {
        assert_eq!(padded(&BigUint::from(0x7fu32)), vec![0x7f]);
        assert_eq!(padded(&BigUint::from(0x80u32)), vec![0x00, 0x80]);
        assert_eq!(padded(&BigUint::default()), vec![0x00]);
    }

    #[test]
    fn client_and_server_derive_the_same_key() {
        let v = Verifier::new(&[7u8; 16], "AbCdEf", "alice", "Passw0rd!");
        let a = BigUint::from_bytes_be(&[0x42; 128]);
        let challenge = server_challenge(&v.verifier, &client::public(&a), &[0x24; 32]).unwrap();
        let key = client::key(&a, &challenge.public, &v.salt, "AbCdEf", "alice", "Passw0rd!");
        assert_eq!(key, challenge.key);
        let ts = "Tue Mar 5 09:04:03 UTC 2024";
        let sig = client::sign(&key, "AbCdEf", "alice", b"block", ts);
        assert!(claim_matches(&challenge.key, "AbCdEf", "alice", b"block", ts, &sig));
        assert!(!claim_matches(&challenge.key, "AbCdEf", "alice", b"other", ts, &sig));
        assert!(!claim_matches(&challenge.key, "AbCdEf", "alice", b"block", ts, "not base64!"));
    }

    #[test]
    fn a_wrong_password_gives_another_key() {
        let v = Verifier::new(&[7u8; 16], "AbCdEf", "alice", "Passw0rd!");
        let a = BigUint::from_bytes_be(&[0x42; 128]);
        let challenge = server_challenge(&v.verifier, &client::public(&a), &[0x24; 32]).unwrap();
        let key = client::key(&a, &challenge.public, &v.salt, "AbCdEf", "alice", "wrong");
        assert_ne!(key, challenge.key);
    }

    #[test]
    fn a_public_value_of_zero_mod_n_is_refused() {
        let v = Verifier::new(&[7u8; 16], "p", "u", "pw");
        assert!(server_challenge(&v.verifier, &BigUint::default(), &[1; 32]).is_err());
        assert!(server_challenge(&v.verifier, &group().n, &[1; 32]).is_err());
        assert!(server_challenge(&v.verifier, &(&group().n * 2u32), &[1; 32]).is_err());
    }

    #[test]
    fn verifiers_round_trip_through_their_encoding() {
        let v = Verifier::new(&[0, 0, 9, 200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "p", "u", "pw");
        assert_eq!(Verifier::decode(&v.encode()), Some(v));
        assert_eq!(Verifier::decode("zz:11"), None);
        assert_eq!(Verifier::decode("11"), None);
    }

    #[test]
    fn timestamps_have_the_clients_shape() {
        assert!(is_timestamp("Tue Mar 5 09:04:03 UTC 2024"));
        assert!(is_timestamp("Sun Nov 22 07:04:03 UTC 2026"));
        assert!(is_timestamp("Sun Nov 02 07:04:03 UTC 2026"));
        assert!(!is_timestamp("2024-03-05T09:04:03Z"));
        assert!(!is_timestamp("Tue Mar 5 9:04:03 UTC 2024"));
        assert!(!is_timestamp("Tue Mar 5 09:04:03 GMT 2024"));
        assert!(!is_timestamp("Tue Mar 0 09:04:03 UTC 2024"));
        assert!(!is_timestamp(""));
    }

    #[test]
    fn pool_suffix_is_the_part_after_the_region() {
        assert_eq!(pool_suffix("us-east-1_AbC123"), "AbC123");
        assert_eq!(pool_suffix("local"), "local");
    }
}
