//! `cognate-bench srp`: the SRP arithmetic alone, one thread, against the alternatives that
//! were measured before choosing it. Medians of repeated batches, in microseconds of CPU.

use std::time::Instant;

use cognate_core::srp;
use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
use crypto_bigint::{Odd, U256, U3072};
use num_bigint_dig::BigUint;
use serde_json::{json, Value};

/// One row: a name, what it stands for, and the operation (given a counter for fresh inputs).
type Row<'a> = (&'a str, &'a str, Box<dyn FnMut(u32) + 'a>);

/// Times every row in turn, `rounds` times over, so that a machine whose speed drifts (shared
/// cores) slows every row alike; reports each row's median and best batch.
fn measure(rows: &mut [Row<'_>], batch: u32, rounds: usize) -> Vec<Value> {
    let mut samples = vec![Vec::new(); rows.len()];
    let mut n = 0;
    for _ in 0..rounds {
        for (i, (_, _, op)) in rows.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..batch {
                op(n);
                n += 1;
            }
            samples[i].push(started.elapsed().as_secs_f64() * 1e6 / f64::from(batch));
        }
    }
    rows.iter()
        .zip(samples.iter_mut())
        .map(|((name, what, _), s)| {
            s.sort_by(f64::total_cmp);
            let (median, best) = (s[s.len() / 2], s[0]);
            eprintln!("   {name:<48} median {median:>8.1} µs  best {best:>8.1} µs");
            json!({ "name": name, "what": what, "median_micros": median, "best_micros": best })
        })
        .collect()
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
    let challenge = srp::server_challenge(&warm.verifier, a.public(), &seed(1, "b")).ok();
    let old_challenge = |i: u32| {
        let b = BigUint::from_bytes_be(&seed(i, "b"));
        let k = BigUint::from_bytes_be(&seed(0, "k"));
        let public = (&k * &warm.verifier + g.modpow(&b, &n)) % &n;
        let u = BigUint::from_bytes_be(&seed(i, "u"));
        (a.public() * warm.verifier.modpow(&u, &n)).modpow(&b, &n) + public
    };
    let mut rows: Vec<Row<'_>> = vec![
        (
            "verifier g^x (table, constant-time)",
            "cognate: SignUp, password changes and resets",
            Box::new(|i| {
                std::hint::black_box(srp::Verifier::new(&seed(i, "salt")[..16], "Pool", "user", "pw"));
            }),
        ),
        (
            "g^x, crypto-bigint pow (no table, constant-time)",
            "alternative",
            Box::new(|i| {
                std::hint::black_box(g_monty.pow(&U256::from_be_slice(&seed(i, "x"))));
            }),
        ),
        (
            "g^x, num-bigint-dig modpow (variable-time)",
            "before issue 12",
            Box::new(|i| {
                std::hint::black_box(g.modpow(&BigUint::from_bytes_be(&seed(i, "x")), &n));
            }),
        ),
        (
            "server challenge (g^b, v^u, (A·v^u)^b)",
            "cognate: InitiateAuth USER_SRP_AUTH",
            Box::new(|i| {
                let _ = std::hint::black_box(srp::server_challenge(&warm.verifier, a.public(), &seed(i, "b")));
            }),
        ),
        (
            "server challenge, num-bigint-dig modpow",
            "before issue 12",
            Box::new(|i| {
                std::hint::black_box(old_challenge(i));
            }),
        ),
    ];
    if let Some(c) = &challenge {
        rows.push((
            "client key (load generator, variable-time)",
            "bench/ only",
            Box::new(|_| {
                std::hint::black_box(a.key(&c.public, &warm.salt, "warm", "up", "pw"));
            }),
        ));
    }
    let rows = measure(&mut rows, batch, 15);
    json!({ "batch": batch, "rows": rows })
}
