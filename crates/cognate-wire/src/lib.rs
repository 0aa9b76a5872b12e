//! The AWS JSON 1.1 face of cognate: operation names, request parsing and validation,
//! response shapes, and the one table from errors to `__type` and HTTP status.
//!
//! Only this crate spells AWS member names (`UserPoolId`, `UserNotConfirmedException`).

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod client;
pub mod error;
pub mod hosting;
pub mod input;
pub mod operation;
pub mod pool;
pub mod rules;
pub mod trigger;
pub mod user;

pub use error::ApiError;
pub use input::Input;
pub use operation::Operation;
