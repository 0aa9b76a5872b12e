//! Argon2id password hashing. The default cost is OWASP's minimum (19 MiB, t=2, p=1).
//! Verification reads the cost from each stored PHC string, so changing the cost never locks
//! anyone out.
//!
//! Hashes run on a few dedicated threads, one per core, never on the async workers: more
//! threads would not hash faster, and every extra runnable thread delays the async workers
//! that serve everything else. Each thread keeps one argon2 work area and reuses it: letting
//! the crate allocate 19 MiB per hash grew the process to 400 MiB–1.4 GiB under load.
//!
//! Hashes are PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), as the `password-hash`
//! crate writes them.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use std::cell::RefCell;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use cognate_core::ports::Passwords;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct Argon2Passwords {
    params: Params,
    jobs: mpsc::Sender<Job>,
}

impl Default for Argon2Passwords {
    fn default() -> Self {
        Self::with_params(Params::default())
    }
}

impl Argon2Passwords {
    /// `memory_kib` ≥ 8 × `parallelism`, `iterations` ≥ 1.
    pub fn new(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self, String> {
        let params = Params::new(memory_kib, iterations, parallelism, None).map_err(|e| e.to_string())?;
        Ok(Self::with_params(params))
    }

    fn with_params(params: Params) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        for i in 0..threads {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new().name(format!("cognate-argon2-{i}")).spawn(move || loop {
                // The lock is held only while waiting for the next job, not while hashing.
                let job = match queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(),
                    Err(_) => return,
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self { params, jobs }
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(work());
            }))
            .map_err(|_| "the password hashing threads are gone".to_string())?;
        rx.await.map_err(|_| "a password hashing thread failed".to_string())
    }
}

thread_local! {
    /// This hashing thread's argon2 work area, grown to the largest cost seen.
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Computes argon2id into `out` using the thread's work area.
fn compute(argon2: &Argon2<'_>, params: &Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), String> {
    WORK_AREA.with(|area| {
        let mut area = area.borrow_mut();
        let blocks = params.block_count();
        if area.len() < blocks {
            area.resize(blocks, Block::new());
        }
        argon2.hash_password_into_with_memory(password, salt, out, &mut area[..blocks]).map_err(|e| e.to_string())
    })
}

fn hash_phc(params: &Params, password: &[u8]) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let mut out = [0u8; 32];
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    compute(&argon2, params, password, &salt, &mut out)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// `Ok(false)` for a wrong password and for anything that is not an argon2id PHC string.
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let parts: Vec<&str> = phc.split('$').collect();
    let ["", "argon2id", "v=19", costs, salt, hash] = parts.as_slice() else { return false };
    let mut cost = [0u32; 3];
    for (i, (name, value)) in costs.split(',').filter_map(|kv| kv.split_once('=')).enumerate().take(3) {
        if name != ["m", "t", "p"][i] {
            return false;
        }
        match value.parse() {
            Ok(v) => cost[i] = v,
            Err(_) => return false,
        }
    }
    let (Ok(salt), Ok(expected)) = (STANDARD_NO_PAD.decode(salt), STANDARD_NO_PAD.decode(hash)) else { return false };
    let Ok(params) = Params::new(cost[0], cost[1], cost[2], Some(expected.len())) else { return false };
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0u8; expected.len()];
    compute(&argon2, &params, password, &salt, &mut out).is_ok() && bool::from(out.ct_eq(&expected))
}

#[async_trait]
impl Passwords for Argon2Passwords {
    async fn hash(&self, password: &str) -> Result<String, String> {
        let password = password.to_owned();
        let params = self.params.clone();
        self.run(move || hash_phc(&params, password.as_bytes())).await?
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.run(move || verify_phc(password.as_bytes(), &hash)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_phc_strings() {
        let p = Argon2Passwords::default();
        let h = p.hash("Passw0rd!").await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("Passw0rd!", &h).await.unwrap());
        assert!(!p.verify("wrong", &h).await.unwrap());
        assert!(!p.verify("Passw0rd!", "garbage").await.unwrap());
        // A hash made at another cost still verifies.
        let cheap = Argon2Passwords::new(8, 1, 1).unwrap();
        let h2 = cheap.hash("Passw0rd!").await.unwrap();
        assert!(h2.contains("m=8,t=1,p=1"));
        assert!(p.verify("Passw0rd!", &h2).await.unwrap());
        // Hashes written by the password-hash crate (earlier cognate versions) still verify.
        use argon2::PasswordHasher;
        let legacy = Argon2::default().hash_password_with_salt(b"Passw0rd!", b"saltsaltsaltsalt").unwrap().to_string();
        assert!(p.verify("Passw0rd!", &legacy).await.unwrap());
        assert!(!p.verify("Passw0rd?", &legacy).await.unwrap());
        // And ours verify with the crate's own verifier.
        use argon2::PasswordVerifier;
        assert!(Argon2::default().verify_password(b"Passw0rd!", h.as_str()).is_ok());
    }
}
