//! The domain core of cognate: user pools, app clients, users, codes, aliases, password
//! policies and the sign-up / confirmation / sign-in flows.
//!
//! It knows nothing of HTTP, JSON wire shapes or SQL. It reaches storage, delivery, time,
//! randomness and password hashing only through the traits in [`ports`], so every rule can
//! be unit-tested with a fake clock and in-memory fakes.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod attributes;
pub mod branding;
pub mod client;
pub mod codes;
pub mod error;
pub mod fields;
pub mod filter;
pub mod flows;
pub mod group;
pub mod ids;
pub mod mask;
pub mod oauth;
pub mod password;
pub mod pool;
pub mod pool_domain;
pub mod ports;
pub mod resource_server;
pub mod secret_hash;
pub mod signin;
pub mod srp;
pub mod totp;
pub mod triggers;
pub mod user;

/// In-memory fakes of every port: for the flow tests here and, with the `testkit` feature,
/// for the storage contract that every backend and this fake must pass.
#[cfg(any(test, feature = "testkit"))]
#[allow(clippy::unwrap_used)]
pub mod testkit;

pub use error::DomainError;
pub use flows::Cognate;
