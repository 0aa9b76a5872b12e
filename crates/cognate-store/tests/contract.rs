//! The storage contract (`cognate_store::contract`) on every store: SQLite in memory and on
//! disk, and the in-memory fake the flow tests run on.

use cognate_core::ports::stores::*;
use cognate_store::{contract, SqliteStore};

/// Every method of the `Store` port appears in the contract, so a new method cannot go
/// untested on one backend.
#[test]
fn the_contract_calls_every_store_method() {
    let port = include_str!("../../cognate-core/src/ports.rs");
    let store = &port[port.find("pub trait Store").expect("the Store trait")..];
    let contract = cognate_store::contract::SOURCES.concat();
    let missing: Vec<&str> = store
        .split("async fn ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .filter(|name| !contract.contains(&format!(".{name}(")))
        .collect();
    assert!(missing.is_empty(), "Store methods the contract never calls: {missing:?}");
}

/// The fake the flow tests run on must keep the same promises as the real stores.
#[tokio::test]
async fn the_flow_tests_fake_honours_the_contract() {
    contract::run(&cognate_core::testkit::MemStore::default()).await;
}

#[tokio::test]
async fn sqlite_in_memory_honours_the_contract() {
    contract::run(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_disk_honours_the_contract_and_persists() {
    let dir = std::env::temp_dir().join(format!("cognate-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cognate.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        contract::run(&store).await;
        store.close().unwrap();
    }
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.count_users("us-east-1_B").await.unwrap(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// PostgreSQL at `COGNATE_TEST_PG_URL` (default: the local server, user postgres), in a
/// database of the test's own that is dropped afterwards. Skipped with a notice when there is
/// no server, unless `COGNATE_REQUIRE_PG=1` (CI) makes that a failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_honours_the_contract() {
    let Some(db) = pg::TestDatabase::create("contract").await else { return };
    {
        let store = cognate_store::PgStore::connect(&db.url, Default::default()).await.unwrap();
        contract::run(&store).await;
        // A second connect finds the schema current and migrates nothing.
        let again = cognate_store::PgStore::connect_current(&db.url, Default::default()).await.unwrap();
        assert_eq!(again.count_users("us-east-1_B").await.unwrap(), 1);
        // Bulk import (COPY): values with quotes, commas and newlines come back as they went in.
        let users = bulk_users("us-east-1_B");
        again.import_users(users.clone()).await.unwrap();
        for new in &users {
            let found = again.get_user_by_username("us-east-1_B", &new.username_key).await.unwrap();
            assert_eq!(found.as_ref(), Some(&new.user));
        }
        let mut twin = users[0].clone();
        twin.user.sub = "another-sub".into();
        let clash = again.import_users(vec![twin]).await.unwrap_err();
        assert_eq!(clash, cognate_core::error::StoreError::Conflict(cognate_core::error::Conflict::Username));
    }
    db.drop().await;
}

mod pg;

fn bulk_users(pool_id: &str) -> Vec<cognate_core::user::NewUser> {
    use cognate_core::ids::Timestamp;
    use cognate_core::user::{Attributes, NewUser, User, UserMfa, UserStatus};
    (0..3)
        .map(|i| {
            let mut attributes = Attributes::new();
            attributes.insert("sub".into(), format!("bulk-sub-{i}"));
            attributes.insert("name".into(), format!("O'Brien, \"Bob\" {i}\nsecond line"));
            NewUser {
                user: User {
                    pool_id: pool_id.into(),
                    username: format!("Bulk,{i}"),
                    sub: format!("bulk-sub-{i}"),
                    status: UserStatus::Confirmed,
                    enabled: i != 1,
                    attributes,
                    password_hash: (i != 2).then(|| "$argon2id$v=19$h".into()),
                    srp_verifier: None,
                    password_set: Timestamp(7),
                    created: Timestamp(5),
                    modified: Timestamp(6),
                    mfa: UserMfa::default(),
                },
                username_key: format!("bulk,{i}"),
                aliases: Vec::new(),
            }
        })
        .collect()
}
