//! Argon2id password hashing. The default cost is OWASP's minimum (19 MiB, t=2, p=1).
//! Verification reads the cost from each stored PHC string, so changing the cost never locks
//! anyone out.
//!
//! Hashes run on a few dedicated threads, one per core, never on the async workers: more
//! threads would not hash faster, every extra runnable thread delays the async workers that
//! serve everything else, and each thread that ever hashed keeps its 19 MiB in its malloc
//! arena (on tokio's blocking pool that grew the process past a gigabyte under load).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use async_trait::async_trait;
use cognate_core::ports::Passwords;
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

    fn hasher(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
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

#[async_trait]
impl Passwords for Argon2Passwords {
    async fn hash(&self, password: &str) -> Result<String, String> {
        let password = password.to_owned();
        let hasher = self.hasher();
        self.run(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
            hasher.hash_password_with_salt(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
        })
        .await?
    }

    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String> {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        self.run(move || Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()).await
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
    }
}
