//! Storage backends for cognate. Only this crate contains SQL.
//!
//! [`SqliteStore`] is the embedded default: one writer connection and a few reader
//! connections over a WAL database, each call run on tokio's blocking pool. rusqlite was
//! chosen over sqlx for SQLite because point lookups measured about ten times faster here
//! (`shared/reference/perf-limits.md` §4).
//!
//! [`PgStore`] is the backend for several instances on one PostgreSQL: tokio-postgres with a
//! deadpool connection pool, TLS by rustls.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod backup;
#[cfg(feature = "contract")]
pub mod contract;
mod migrations;
mod postgres;
mod sqlite;

pub use migrations::SQLITE_VERSION;
pub use postgres::{redact, PgOptions, PgStore, POSTGRES_VERSION};
pub use sqlite::{Durability, SqliteStore};
