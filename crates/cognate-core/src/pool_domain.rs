//! User pool domains: the names the hosted login pages and the OAuth endpoints answer on.

use crate::ids::Timestamp;

/// A prefix domain (`<prefix>.auth.<region>.amazoncognito.com`) or a custom one
/// (a fully qualified name with an ACM certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolDomain {
    /// The prefix alone, or the custom domain's full name; lower case.
    pub domain: String,
    pub pool_id: String,
    /// `CustomDomainConfig` for a custom domain; `None` for a prefix domain.
    pub custom: Option<CustomDomain>,
    /// `1`: hosted UI (classic); `2`: managed login.
    pub managed_login_version: u8,
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub certificate_arn: String,
    pub security_policy: Option<String>,
}

impl PoolDomain {
    pub fn is_custom(&self) -> bool {
        self.custom.is_some()
    }
}

/// Words Cognito keeps out of prefix domains.
pub const RESERVED_WORDS: [&str; 3] = ["aws", "amazon", "cognito"];

/// The first reserved word a prefix contains.
pub fn reserved_word(prefix: &str) -> Option<&'static str> {
    RESERVED_WORDS.into_iter().find(|w| prefix.contains(w))
}
