//! In-memory fakes of the ports, for the domain's unit tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::client::AppClient;
use crate::error::{Conflict, StoreError};
use crate::filter::UserFilter;
use crate::group::Group;
use crate::ids::Timestamp;
use crate::pool::UserPool;
use crate::ports::*;
use crate::user::*;

/// Deterministic "random" bytes from a counter.
#[derive(Default)]
pub struct SeqRng(AtomicU64);

impl Rng for SeqRng {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            let n = self.0.fetch_add(1, Ordering::Relaxed);
            *b = (n.wrapping_mul(2654435761) >> 7) as u8;
        }
    }
}

#[derive(Default)]
pub struct FakeClock(pub AtomicI64);

impl FakeClock {
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(1_700_000_000_000 + self.0.load(Ordering::SeqCst))
    }
}

/// Stores passwords as `plain:<password>`: fast, and obviously not for production.
pub struct PlainPasswords;

#[async_trait]
impl Passwords for PlainPasswords {
    async fn hash(&self, password: &str) -> Result<String, String> {
        Ok(format!("plain:{password}"))
    }
    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String> {
        Ok(hash == format!("plain:{password}"))
    }
}

#[derive(Default)]
pub struct FakeMailer {
    pub sent: Mutex<Vec<OutboxMessage>>,
    pub fail: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn deliver(&self, message: &OutboxMessage) -> Result<Delivery, String> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("smtp down".into());
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery::Sent)
    }
}

impl FakeMailer {
    pub fn last_code(&self) -> String {
        let sent = self.sent.lock().unwrap();
        let body = &sent.last().expect("a message was sent").body;
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_string()
    }
}

/// Seals by tagging (the fake keeps nothing secret).
pub struct PlainSealer;

impl Sealer for PlainSealer {
    fn seal(&self, plain: &[u8]) -> String {
        format!("plain:{}", String::from_utf8_lossy(plain))
    }
    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        sealed.strip_prefix("plain:").map(|s| s.as_bytes().to_vec())
    }
    fn fingerprint(&self, data: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(data).into()
    }
}

/// Runs jobs inline.
pub struct InlineCpu;

#[async_trait]
impl Cpu for InlineCpu {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) {
        job()
    }
}

/// Scripted trigger answers, and a record of what was invoked.
#[derive(Default)]
pub struct FakeTriggers {
    pub answers: Mutex<HashMap<String, Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError>>>,
    pub calls: Mutex<Vec<crate::triggers::Invocation>>,
}

impl FakeTriggers {
    pub fn answer(
        &self,
        trigger: &str,
        answer: Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError>,
    ) {
        self.answers.lock().unwrap().insert(trigger.into(), answer);
    }

    pub fn sources(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|c| c.source.clone()).collect()
    }
}

#[async_trait]
impl crate::triggers::Triggers for FakeTriggers {
    async fn invoke(
        &self,
        invocation: &crate::triggers::Invocation,
    ) -> Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError> {
        self.calls.lock().unwrap().push(invocation.clone());
        self.answers.lock().unwrap().get(invocation.trigger.name()).cloned().unwrap_or_else(|| Ok(Default::default()))
    }
}

mod store;
pub use store::MemStore;

/// A WebAuthn implementation that refuses every ceremony (the conformance suite drives the
/// real one with a software authenticator).
pub struct NoPasskeys;

impl Passkeys for NoPasskeys {
    fn start_registration(
        &self,
        _: &RelyingParty,
        _: &PasskeyUser,
        _: &[String],
    ) -> Result<(String, String), PasskeyError> {
        Err(PasskeyError::Rejected("no passkeys in the flow tests".into()))
    }
    fn finish_registration(&self, _: &RelyingParty, _: &str, _: &str) -> Result<NewPasskey, PasskeyError> {
        Err(PasskeyError::Rejected("no passkeys in the flow tests".into()))
    }
    fn start_authentication(&self, _: &RelyingParty, _: &[String]) -> Result<(String, String), PasskeyError> {
        Err(PasskeyError::Rejected("no passkeys in the flow tests".into()))
    }
    fn finish_authentication(
        &self,
        _: &RelyingParty,
        _: &str,
        _: &str,
        _: &[String],
    ) -> Result<(String, Option<String>), PasskeyError> {
        Err(PasskeyError::Rejected("no passkeys in the flow tests".into()))
    }
}
