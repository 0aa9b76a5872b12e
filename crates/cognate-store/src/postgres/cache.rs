//! Pools and app clients, remembered for a moment: nearly every request reads its pool or
//! client, and they change rarely. A change made through this instance is seen at once; one
//! made through another instance within [`TTL`]. Absent pools are never remembered, so a pool
//! created elsewhere is found at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long another instance's change may go unseen.
pub const TTL: Duration = Duration::from_secs(1);

/// Entries kept at most; the map is emptied when full (a miss costs one read).
const CAPACITY: usize = 10_000;

pub(super) struct Recent<T> {
    entries: Mutex<HashMap<String, (Instant, T)>>,
}

impl<T: Clone> Recent<T> {
    pub fn new() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }

    pub fn get(&self, key: &str) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(key).filter(|(at, _)| at.elapsed() < TTL).map(|(_, value)| value.clone())
    }

    pub fn put(&self, key: &str, value: T) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key.to_string(), (Instant::now(), value));
    }

    pub fn forget(&self, key: &str) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }

    /// Forgets every entry `gone` picks (what a cascade took with it).
    pub fn forget_all(&self, gone: impl Fn(&T) -> bool) {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|_, (_, value)| !gone(value));
    }
}
