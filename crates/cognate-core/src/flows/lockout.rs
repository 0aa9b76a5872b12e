//! Sign-in lockout as Cognito documents it: five free failures, then a lock of one second
//! that doubles with every further failure (at most 15 minutes). Attempts while locked are
//! refused without being counted; 15 quiet minutes or a success forget the failures. The
//! count lives in the store, so it survives restarts and is shared by every instance.
//!
//! A failure is recorded only after the password was checked, so attempts that run at the
//! same time would all pass the check; each instance therefore also counts the attempts in
//! flight per user: beyond the free failures only one attempt at a time is let through. Across
//! instances, the store holds the last free check (and every later one) for one caller at a
//! time (`hold_signin`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Cognate;
use crate::error::{DomainError, Result};
use crate::ids::Timestamp;
use crate::pool::UserPool;
use crate::ports::Subject;
use crate::user::{SignInFailures, User};

use super::LockoutPolicy;

/// Until when `failures` keep the user locked, if they do.
pub fn locked_until(policy: &LockoutPolicy, failures: SignInFailures) -> Option<Timestamp> {
    let over = failures.count.checked_sub(policy.free_failures)?;
    let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
    let lock = policy.first_lock.saturating_mul(factor).min(policy.max_lock);
    Some(failures.last.plus(lock))
}

fn forgotten(policy: &LockoutPolicy, failures: SignInFailures, now: Timestamp) -> bool {
    now >= failures.last.plus(policy.quiet)
}

fn locked() -> DomainError {
    DomainError::not_authorized("Password attempts exceeded")
}

/// How long an instance may keep a user's last free password check to itself: longer than a
/// check takes, short enough that an instance dying mid-check does not lock the user long.
const SIGNIN_HOLD: std::time::Duration = std::time::Duration::from_secs(10);

/// Sign-in attempts running in this process, per (pool, sub).
pub type InFlight = Arc<Mutex<HashMap<(String, String), u32>>>;

/// One attempt in flight; dropping it ends the attempt.
pub(crate) struct Attempt {
    in_flight: InFlight,
    key: (String, String),
    /// Failures were on record when the attempt began (so a success has some to forget).
    pub had_failures: bool,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

impl Cognate {
    /// The failures that still count, or the lockout error while they lock.
    fn check_lock(&self, recorded: Option<SignInFailures>) -> Result<Option<SignInFailures>> {
        let now = self.clock.now();
        let policy = &self.config.lockout;
        let recorded = recorded.filter(|f| !forgotten(policy, *f, now));
        if let Some(until) = recorded.and_then(|f| locked_until(policy, f)) {
            if now < until {
                return Err(locked());
            }
        }
        Ok(recorded)
    }

    /// Refuses while the user is locked out, without starting an attempt.
    pub(crate) async fn check_user_lock(&self, pool: &UserPool, user: &User) -> Result<()> {
        self.check_lock(self.store.get_signin_failures(&pool.id, Subject::User(&user.sub)).await?).map(|_| ())
    }

    /// Starts a password attempt, or refuses it while the user is locked out.
    pub(crate) async fn begin_attempt(&self, pool: &UserPool, user: &User) -> Result<Attempt> {
        let policy = &self.config.lockout;
        let recorded = self.check_lock(self.store.get_signin_failures(&pool.id, Subject::User(&user.sub)).await?)?;
        let key = (pool.id.clone(), user.sub.clone());
        let failed = recorded.map_or(0, |f| f.count);
        let attempt = {
            let mut map = self.in_flight.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let running = map.get(&key).copied().unwrap_or(0);
            if running > 0 && failed + running >= policy.free_failures {
                return Err(locked());
            }
            map.insert(key.clone(), running + 1);
            Attempt { in_flight: self.in_flight.clone(), key, had_failures: recorded.is_some() || running > 0 }
        };
        // One failure from a lock, other instances' attempts count too: the store lets one
        // through at a time. A hold ends with the attempt's failure or success, or runs out.
        if failed + 1 >= policy.free_failures
            && !self.store.hold_signin(&pool.id, &user.sub, self.clock.now(), SIGNIN_HOLD).await?
        {
            return Err(locked());
        }
        Ok(attempt)
    }

    /// For a name no user has, when the client hides that: refused while "locked", exactly as
    /// a real user with as many wrong passwords would be. `key` is the name's decoy user id.
    pub(crate) async fn check_hidden_lock(&self, pool: &UserPool, key: &str) -> Result<()> {
        self.check_lock(self.store.get_signin_failures(&pool.id, Subject::Name(key)).await?).map(|_| ())
    }

    pub(crate) async fn record_hidden_failure(&self, pool: &UserPool, key: &str) -> Result<()> {
        let quiet = self.config.lockout.quiet;
        self.store.record_signin_failure(&pool.id, Subject::Name(key), self.clock.now(), quiet).await?;
        Ok(())
    }

    pub(crate) async fn record_failure(&self, pool: &UserPool, user: &User) -> Result<()> {
        let quiet = self.config.lockout.quiet;
        self.store.record_signin_failure(&pool.id, Subject::User(&user.sub), self.clock.now(), quiet).await?;
        Ok(())
    }

    /// Forgets failures after a successful sign-in. Most users have none, so the write is
    /// skipped unless some were on record or another attempt ran alongside (and may have
    /// recorded one).
    pub(crate) async fn clear_failures(&self, pool: &UserPool, user: &User, attempt: &Attempt) -> Result<()> {
        let others = self.in_flight.lock().map(|m| m.get(&attempt.key).copied().unwrap_or(0) > 1).unwrap_or(true);
        if attempt.had_failures || others {
            self.store.clear_signin_failures(&pool.id, &user.sub).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(count: u32, last_ms: i64) -> SignInFailures {
        SignInFailures { count, last: Timestamp(last_ms) }
    }

    #[test]
    fn five_failures_are_free_then_the_lock_doubles_up_to_fifteen_minutes() {
        let p = LockoutPolicy::default();
        assert_eq!(locked_until(&p, at(4, 1000)), None);
        assert_eq!(locked_until(&p, at(5, 1000)), Some(Timestamp(2000)));
        assert_eq!(locked_until(&p, at(6, 1000)), Some(Timestamp(3000)));
        assert_eq!(locked_until(&p, at(7, 1000)), Some(Timestamp(5000)));
        assert_eq!(locked_until(&p, at(20, 0)), Some(Timestamp(900_000)));
        assert_eq!(locked_until(&p, at(u32::MAX, 0)), Some(Timestamp(900_000)));
    }
}
