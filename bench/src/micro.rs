//! `cognate-bench srp`: the SRP arithmetic alone, one thread, against the alternatives that
//! were measured before choosing it. Medians of repeated batches, in microseconds of CPU.

use std::time::Instant;

use cognate_core::srp;
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U256, U3072};
use num_bigint_dig::BigUint;
use serde_json::{json, Value};

fn median_micros<T>(batch: u32, mut f: impl FnMut(u32) -> T) -> f64 {
    let mut samples = Vec::new();
    let mut n = 0;
    for _ in 0..9 {
        let started = Instant::now();
        for _ in 0..batch {
            std::hint::black_box(f(n));
            n += 1;
        }
        samples.push(started.elapsed().as_secs_f64() * 1e6 / f64::from(batch));
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn seed(n: u32, label: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(format!("{label}-{n}").as_bytes()).into()
}

pub fn run(batch: u32) -> Value {
    let n = BigUint::parse_bytes(srp::N_HEX.as_bytes(), 16).unwrap_or_default();
    let g = BigUint::from(2u32);
    let params = FixedMontyParams::new_vartime(Odd::new(U3072::from_be_hex(srp::N_HEX)).expect("N is odd"));
    let g_monty = FixedMontyForm::new(&U3072::from_u64(2), &params);
    // Build the table of powers of g before timing anything: a server does it once.
    let warm = srp::Verifier::new(&[1; 16], "warm", "up", "pw");
    let a = srp::client::Client::new(BigUint::from_bytes_be(&seed(0, "a")));
    let mut rows = Vec::new();
    let mut add = |name: &str, what: &str, micros: f64| {
        eprintln!("   {name:<44} {micros:>9.1} µs");
        rows.push(json!({ "name": name, "what": what, "micros": micros }));
    };
    add(
        "verifier g^x (table, constant-time)",
        "cognate: SignUp, password changes and resets",
        median_micros(batch, |i| srp::Verifier::new(&seed(i, "salt")[..16], "Pool", "user", "pw")),
    );
    add(
        "g^x, crypto-bigint pow (no table, constant-time)",
        "alternative",
        median_micros(batch, |i| g_monty.pow(&U256::from_be_slice(&seed(i, "x")))),
    );
    add(
        "g^x, num-bigint-dig modpow (variable-time)",
        "before: cognate up to issue 12",
        median_micros(batch, |i| g.modpow(&BigUint::from_bytes_be(&seed(i, "x")), &n)),
    );
    add(
        "server challenge (g^b, v^u, (A·v^u)^b)",
        "cognate: InitiateAuth USER_SRP_AUTH",
        median_micros(batch, |i| srp::server_challenge(&warm.verifier, a.public(), &seed(i, "b"))),
    );
    let old_challenge = |i: u32| {
        let b = BigUint::from_bytes_be(&seed(i, "b"));
        let k = BigUint::from_bytes_be(&seed(0, "k"));
        let public = (&k * &warm.verifier + g.modpow(&b, &n)) % &n;
        let u = BigUint::from_bytes_be(&seed(i, "u"));
        (a.public() * warm.verifier.modpow(&u, &n)).modpow(&b, &n) + public
    };
    add(
        "server challenge, num-bigint-dig modpow",
        "before: cognate up to issue 12",
        median_micros(batch, old_challenge),
    );
    let challenge = srp::server_challenge(&warm.verifier, a.public(), &seed(1, "b")).ok();
    if let Some(c) = challenge {
        add(
            "client key (load generator, variable-time)",
            "bench/ only",
            median_micros(batch, |_| a.key(&c.public, &warm.salt, "warm", "up", "pw")),
        );
    }
    json!({ "batch": batch, "rows": rows })
}
