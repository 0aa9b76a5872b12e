//! Cognito's SRP-6a variant (USER_SRP_AUTH): the 3072-bit group of RFC 5054 with g = 2,
//! SHA-256, Java-style signed padding of every number before hashing, an HKDF-derived key
//! and an HMAC "password claim" over the pool, the user, the secret block and a timestamp.
//! The server side, and a client for tests and the load generator; real clients are
//! amazon-cognito-identity-js, pycognito and the SDKs.
//!
//! Numbers cross the wire and the hashes as `BigUint`; the exponentiations run in
//! crypto-bigint's fixed-size Montgomery arithmetic, constant-time wherever the exponent is
//! secret (`x`, `b`), and `g^e` looks its factors up in a table of powers of g built once.

use std::sync::OnceLock;

use base64::Engine;
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Limb, Odd, Uint, Word, U256, U3072};
use hmac::{Hmac, KeyInit, Mac};
use num_bigint_dig::BigUint;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const LIMBS: usize = U3072::LIMBS;
type Monty = FixedMontyForm<LIMBS>;

type HmacSha256 = Hmac<Sha256>;

/// N, the RFC 5054 3072-bit prime, in hex.
pub const N_HEX: &str = concat!(
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
    params: FixedMontyParams<LIMBS>,
    /// `k = H(N, g)` and `g`, in Montgomery form, converted once.
    k_monty: Monty,
    g_monty: Monty,
    powers_of_g: PowersOfG,
}

fn group() -> &'static Group {
    static GROUP: OnceLock<Group> = OnceLock::new();
    GROUP.get_or_init(|| {
        let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
        let g = BigUint::from(2u32);
        let k = hash_numbers(&[&n, &g]);
        // N is odd (a safe prime), so `Odd::new` always succeeds.
        let params = FixedMontyParams::new_vartime(Odd::new(U3072::from_be_hex(N_HEX)).expect("N is odd"));
        let g_monty = Monty::new(&U3072::from_u64(2), &params);
        let k_monty = Monty::new(&fixed(&k), &params);
        let powers_of_g = PowersOfG::new(&g_monty);
        Group { n, params, k_monty, g_monty, powers_of_g }
    })
}

/// Builds the group's tables now rather than on the first sign-up or SRP sign-in (~10 ms).
pub fn prepare() {
    group();
}

/// Bits per digit of the exponent in the table of powers of g: 43 digits of 6 bits cover a
/// 256-bit exponent with 42 multiplications and no squaring, against the ~320 of a generic
/// exponentiation; the table is 43 × 64 numbers (1 MiB), built once (~2,800 multiplications,
/// about 10 ms). Measured (`cognate-bench srp`): 5 bits spend more on multiplications, 7 and
/// 8 more on reading every entry of a row.
const DIGIT_BITS: u32 = 6;
const DIGITS: usize = 256_usize.div_ceil(DIGIT_BITS as usize);

/// `rows[i][d] = g^(d · 2^(6i))` in Montgomery form, so `g^e = Π rows[i][digit_i(e)]`.
struct PowersOfG {
    rows: Vec<[U3072; 1 << DIGIT_BITS]>,
}

impl PowersOfG {
    fn new(g: &Monty) -> Self {
        let one = *Monty::one(g.params()).as_montgomery();
        let mut rows = Vec::with_capacity(DIGITS);
        let mut base = *g;
        for _ in 0..DIGITS {
            let mut row = [one; 1 << DIGIT_BITS];
            let mut power = Monty::one(g.params());
            for entry in row.iter_mut().skip(1) {
                power = power.mul(&base);
                *entry = *power.as_montgomery();
            }
            rows.push(row);
            base = power.mul(&base); // base^(2^DIGIT_BITS)
        }
        Self { rows }
    }

    /// `g^e` in constant time: the same multiplications for every `e`, and every entry of a
    /// row is read (masked with all ones for the digit's entry, zero for the others) to pick
    /// one, so neither branches nor memory accesses depend on `e`.
    fn pow(&self, e: &U256, params: &FixedMontyParams<LIMBS>) -> Monty {
        let words = e.as_words();
        let mut acc: Option<Monty> = None;
        for (i, row) in self.rows.iter().enumerate() {
            let mut digit: Word = 0;
            for bit in 0..DIGIT_BITS {
                let at = i as u32 * DIGIT_BITS + bit;
                if at < 256 {
                    digit |= ((words[(at / Word::BITS) as usize] >> (at % Word::BITS)) & 1) << bit;
                }
            }
            let mut picked: [Word; LIMBS] = [0; LIMBS];
            for (d, entry) in row.iter().enumerate() {
                let mask = Word::from((d as Word).ct_eq(&digit).unwrap_u8()).wrapping_neg();
                for (out, limb) in picked.iter_mut().zip(entry.as_words()) {
                    *out |= limb & mask;
                }
            }
            let factor = Monty::from_montgomery(U3072::from_words(picked), params);
            acc = Some(match acc {
                None => factor,
                Some(acc) => acc.mul(&factor),
            });
        }
        acc.unwrap_or_else(|| Monty::one(params))
    }
}

/// A number as a fixed-size integer of up to 3,072 bits (callers pass numbers that fit:
/// below N, or a hash-sized exponent).
fn fixed<const L: usize>(n: &BigUint) -> Uint<L> {
    const MAX: usize = 384;
    let width = L * Limb::BYTES;
    let bytes = n.to_bytes_be();
    let tail = &bytes[bytes.len().saturating_sub(width)..];
    let mut buf = [0u8; MAX];
    buf[MAX - tail.len()..].copy_from_slice(tail);
    Uint::from_be_slice(&buf[MAX - width..])
}

fn monty(n: &BigUint) -> Monty {
    Monty::new(&fixed(n), &group().params)
}

fn to_big(m: &Monty) -> BigUint {
    BigUint::from_bytes_be(&m.retrieve().to_be_bytes())
}

/// `g^e mod N` for a secret exponent of at most 256 bits.
fn pow_g(e: &U256) -> Monty {
    let gr = group();
    gr.powers_of_g.pow(e, &gr.params)
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
    /// `salt` is 16 random bytes. One table exponentiation, `g^x` (51 multiplications).
    pub fn new(salt: &[u8], pool_suffix: &str, user_id: &str, password: &str) -> Self {
        let salt = BigUint::from_bytes_be(salt);
        let x = private_key(&salt, pool_suffix, user_id, password);
        let verifier = to_big(&pow_g(&fixed::<{ U256::LIMBS }>(&x)));
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
/// (32 random bytes). Costs `g^b` from the table, `v^u` (u is public, so variable-time) and
/// the constant-time `(A·v^u)^b`, each exponent 256 bits.
pub fn server_challenge(verifier: &BigUint, client_public: &BigUint, b: &[u8]) -> Result<ServerChallenge, SrpError> {
    let gr = group();
    let client_public_mod_n = client_public % &gr.n;
    if client_public_mod_n == BigUint::default() {
        return Err(SrpError::IllegalParameter);
    }
    let b = fixed::<{ U256::LIMBS }>(&BigUint::from_bytes_be(b));
    let v = monty(&(verifier % &gr.n));
    let public = to_big(&gr.k_monty.mul(&v).add(&pow_g(&b)));
    let u = hash_numbers(&[client_public, &public]);
    if u == BigUint::default() {
        return Err(SrpError::IllegalParameter);
    }
    let s = monty(&client_public_mod_n).mul(&v.pow_vartime(&fixed::<{ U256::LIMBS }>(&u))).pow(&b);
    Ok(ServerChallenge { public, key: derive_key(&to_big(&s), &u) })
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

/// The client's side, written from the clients' source: for the tests and the load
/// generator, which sign in by SRP without a browser. Variable-time: its secrets are not real.
pub mod client {
    use super::*;
    use crypto_bigint::U1024;

    /// `A = g^a` for an `a` of at most 1024 bits (amazon-cognito-identity-js draws 128 bytes).
    pub fn public(a: &BigUint) -> BigUint {
        to_big(&group().g_monty.pow_vartime(&fixed::<{ U1024::LIMBS }>(a)))
    }

    /// The key for the server's `B`: `S = (B - k·g^x)^(a + u·x)`.
    pub fn key(
        a: &BigUint,
        server_public: &BigUint,
        salt: &BigUint,
        pool_suffix: &str,
        user_id: &str,
        password: &str,
    ) -> [u8; 16] {
        Client { a: a.clone(), public: public(a) }.key(server_public, salt, pool_suffix, user_id, password)
    }

    /// One `a` and its `A`, reused across sign-ins by the load generator (a real client
    /// draws a new `a` each time; the server's work is the same).
    pub struct Client {
        a: BigUint,
        public: BigUint,
    }

    impl Client {
        pub fn new(a: BigUint) -> Self {
            let public = public(&a);
            Self { a, public }
        }

        /// `SRP_A`.
        pub fn public(&self) -> &BigUint {
            &self.public
        }

        pub fn key(
            &self,
            server_public: &BigUint,
            salt: &BigUint,
            pool_suffix: &str,
            user_id: &str,
            password: &str,
        ) -> [u8; 16] {
            let gr = group();
            let u = hash_numbers(&[&self.public, server_public]);
            let x = private_key(salt, pool_suffix, user_id, password);
            let kgx = gr.k_monty.mul(&pow_g(&fixed::<{ U256::LIMBS }>(&x)));
            let base = monty(&(server_public % &gr.n)).sub(&kgx);
            let s = base.pow_vartime(&fixed::<{ U1024::LIMBS }>(&(&self.a + &u * &x)));
            derive_key(&to_big(&s), &u)
        }
    }

    /// `TIMESTAMP` for a time in seconds since the epoch: `EEE MMM d HH:mm:ss UTC yyyy`.
    pub fn timestamp(unix_seconds: u64) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let days = unix_seconds / 86_400;
        let secs = unix_seconds % 86_400;
        let (year, month, day) = crate::ids::civil_date(days as i64);
        format!(
            "{} {} {} {:02}:{:02}:{:02} UTC {}",
            DAYS[(days % 7) as usize],
            MONTHS[(month - 1) as usize],
            day,
            secs / 3_600,
            secs / 60 % 60,
            secs % 60,
            year
        )
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for a key.
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

    fn two() -> BigUint {
        BigUint::from(2u32)
    }

    #[test]
    fn the_group_is_rfc_5054_3072_bit_and_k_matches_the_clients() {
        let gr = group();
        assert_eq!(gr.n.bits(), 3072);
        // k = H(00‖N ‖ 02), as amazon-cognito-identity-js computes it.
        let expected = Sha256::new().chain_update(padded(&gr.n)).chain_update([2u8]).finalize();
        assert_eq!(to_big(&gr.k_monty), BigUint::from_bytes_be(&expected));
        assert_eq!(padded(&gr.n)[0], 0, "N has its top bit set, so it is hashed with a zero byte");
    }

    /// The table and the fixed-size arithmetic against a second library's `modpow`.
    #[test]
    fn exponentiations_agree_with_num_bigint() {
        let gr = group();
        let mut seed = Sha256::digest(b"srp");
        for round in 0..8 {
            seed = Sha256::digest(seed);
            let e = BigUint::from_bytes_be(&seed);
            let e = if round == 0 { BigUint::default() } else { e };
            let expected = two().modpow(&e, &gr.n);
            assert_eq!(to_big(&pow_g(&fixed::<{ U256::LIMBS }>(&e))), expected, "g^e, round {round}");
            assert_eq!(client::public(&e), expected);
            let base = BigUint::from_bytes_be(&Sha256::digest(seed).repeat(12)) % &gr.n;
            assert_eq!(to_big(&monty(&base).pow(&fixed::<{ U256::LIMBS }>(&e))), base.modpow(&e, &gr.n));
        }
        let all_ones = BigUint::from_bytes_be(&[0xff; 32]);
        assert_eq!(to_big(&pow_g(&fixed::<{ U256::LIMBS }>(&all_ones))), two().modpow(&all_ones, &gr.n));
    }

    /// The whole exchange against the textbook formulas in num-bigint: B, u, S and the key.
    #[test]
    fn the_server_side_matches_the_textbook_formulas() {
        let gr = group();
        let v = Verifier::new(&[7u8; 16], "AbCdEf", "alice", "Passw0rd!");
        let x = private_key(&v.salt, "AbCdEf", "alice", "Passw0rd!");
        assert_eq!(v.verifier, two().modpow(&x, &gr.n));
        let a = BigUint::from_bytes_be(&[0x42; 128]);
        let big_a = two().modpow(&a, &gr.n);
        let b_bytes = [0x24u8; 32];
        let b = BigUint::from_bytes_be(&b_bytes);
        let challenge = server_challenge(&v.verifier, &big_a, &b_bytes).unwrap();
        let expected_b = (to_big(&gr.k_monty) * &v.verifier + two().modpow(&b, &gr.n)) % &gr.n;
        assert_eq!(challenge.public, expected_b);
        let u = hash_numbers(&[&big_a, &expected_b]);
        let s = (&big_a * v.verifier.modpow(&u, &gr.n)).modpow(&b, &gr.n);
        assert_eq!(challenge.key, derive_key(&s, &u));
        // An A at or above N is taken mod N, as the clients' arithmetic would.
        let above = &big_a + &gr.n;
        let shifted = server_challenge(&v.verifier, &above, &b_bytes).unwrap();
        let u2 = hash_numbers(&[&above, &expected_b]);
        let s2 = (&big_a * v.verifier.modpow(&u2, &gr.n)).modpow(&b, &gr.n);
        assert_eq!(shifted.key, derive_key(&s2, &u2));
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
    fn client_timestamps_are_the_clients_format() {
        assert_eq!(client::timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(client::timestamp(1_709_629_443), "Tue Mar 5 09:04:03 UTC 2024");
        assert_eq!(client::timestamp(1_795_417_443), "Mon Nov 23 07:04:03 UTC 2026");
        assert!(is_timestamp(&client::timestamp(1_795_417_443)));
    }

    #[test]
    fn pool_suffix_is_the_part_after_the_region() {
        assert_eq!(pool_suffix("us-east-1_AbC123"), "AbC123");
        assert_eq!(pool_suffix("local"), "local");
    }
}
