//! Storage backends for cognate. Only this crate contains SQL.
//!
//! [`SqliteStore`] is the embedded default: one writer connection and a few reader
//! connections over a WAL database, each call run on tokio's blocking pool. rusqlite was
//! chosen over sqlx for SQLite because point lookups measured about ten times faster here
//! (`shared/reference/perf-limits.md` §4); PostgreSQL will get its own backend behind the
//! same `Store` trait.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod backup;
#[cfg(feature = "contract")]
pub mod contract;
mod migrations;
mod sqlite;

pub use sqlite::{Durability, SqliteStore};
