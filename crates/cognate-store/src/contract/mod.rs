//! The storage contract: what every backend, and the in-memory fake the flow tests use, must
//! do, as one suite (feature `contract`). `tests/contract.rs` runs it on each of them; a new
//! backend adds one test that calls [`run`].

#![allow(clippy::unwrap_used)] // a test suite: a failed step is a failed test

mod aggregates;
mod story;

use cognate_core::ids::Timestamp;
use cognate_core::pool::{PoolSettings, UserPool};
use cognate_core::ports::Store;
use cognate_core::user::*;

/// Everything the contract asks of a store, on a store of its own (it creates the pools
/// `us-east-1_A`, `_B`, `_P1`, `_P2`, `_G`, `_C`, `_R`, `_X`, `_M`, `_D`, `_W`, `_O`, `_O2` and `_UI`).
pub async fn run(store: &dyn Store) {
    story::story(store).await;
    aggregates::pools_and_clients(store).await;
    aggregates::groups(store).await;
    aggregates::attribute_changes(store).await;
    aggregates::rotation(store).await;
    aggregates::races(store).await;
    aggregates::second_factors(store).await;
    aggregates::devices(store).await;
    aggregates::passkeys(store).await;
    aggregates::oauth(store).await;
    aggregates::branding(store).await;
}

/// The suite's source, for the check that it calls every storage method.
pub const SOURCES: &[&str] = &[include_str!("mod.rs"), include_str!("story.rs"), include_str!("aggregates.rs")];

fn pool(id: &str) -> UserPool {
    UserPool {
        id: id.into(),
        name: "p".into(),
        created: Timestamp(1),
        modified: Timestamp(1),
        settings: PoolSettings::default(),
    }
}

fn user(pool_id: &str, sub: &str, username: &str, email: &str) -> NewUser {
    let mut attributes = Attributes::new();
    attributes.insert("sub".into(), sub.into());
    attributes.insert("email".into(), email.into());
    NewUser {
        user: User {
            pool_id: pool_id.into(),
            username: username.into(),
            sub: sub.into(),
            status: UserStatus::Unconfirmed,
            enabled: true,
            attributes,
            password_hash: Some("h".into()),
            srp_verifier: Some("sealed".into()),
            password_set: Timestamp(1),
            created: Timestamp(1),
            modified: Timestamp(1),
            mfa: UserMfa::default(),
        },
        username_key: username.to_lowercase(),
        aliases: Vec::new(),
    }
}

fn message(pool_id: &str, to: &str) -> OutboxMessage {
    OutboxMessage {
        pool_id: pool_id.into(),
        username: "u".into(),
        recipient: to.into(),
        medium: Medium::Email,
        kind: "SignUp".into(),
        subject: Some("s".into()),
        body: "Your code is 123456".into(),
        code: Some("123456".into()),
        created: Timestamp(5),
        keep_text: true,
        sealed: None,
    }
}

fn code(pool_id: &str, sub: &str, hash: &str) -> StoredCode {
    StoredCode {
        pool_id: pool_id.into(),
        sub: sub.into(),
        purpose: "signup".into(),
        code_hash: hash.into(),
        salt: "s".into(),
        attribute: Some("email".into()),
        pending: None,
        created: Timestamp(1),
        expires: Timestamp(100),
    }
}
