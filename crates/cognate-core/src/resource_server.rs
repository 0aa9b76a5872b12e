//! Resource servers: the APIs a pool issues custom scopes for (`<identifier>/<scope>`).

use serde::{Deserialize, Serialize};

use crate::ids::Timestamp;

/// At most this many resource servers per pool (Cognito's quota).
pub const MAX_PER_POOL: usize = 25;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceServer {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<ResourceScope>,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceScope {
    pub name: String,
    pub description: String,
}

impl ResourceServer {
    pub fn defines(&self, scope_name: &str) -> bool {
        self.scopes.iter().any(|s| s.name == scope_name)
    }

    /// The scopes as they appear in tokens: `<identifier>/<name>`.
    pub fn scope_strings(&self) -> impl Iterator<Item = String> + '_ {
        self.scopes.iter().map(|s| format!("{}/{}", self.identifier, s.name))
    }
}
