//! The real clock and randomness.

use cognate_core::ids::Timestamp;
use cognate_core::ports::{Clock, Rng};

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place that reads the wall clock.
    fn now(&self) -> Timestamp {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Timestamp(i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The operating system's CSPRNG.
pub struct OsRng;

impl Rng for OsRng {
    fn fill(&self, buf: &mut [u8]) {
        // The OS generator failing means the machine cannot do cryptography at all.
        getrandom::fill(buf).expect("the operating system's random number generator failed");
    }
}
