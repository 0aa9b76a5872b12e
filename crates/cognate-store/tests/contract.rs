//! The storage contract, run against the SQLite backend (in memory and on disk). A future
//! PostgreSQL backend runs the same story.

use std::time::Duration;

use cognate_core::client::{AppClient, ClientSettings};
use cognate_core::error::{Conflict, StoreError};
use cognate_core::filter;
use cognate_core::ids::Timestamp;
use cognate_core::pool::{PoolSettings, UserPool};
use cognate_core::ports::stores::*;
use cognate_core::ports::{AttributeChange, Confirmation, OutboxQuery, Revocation, SigningKey, Store, Subject};
use cognate_core::user::*;
use cognate_store::SqliteStore;

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

/// Pools and clients: updates replace, listings page by id, deletes cascade.
async fn pools_and_clients(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_P1")).await.unwrap();
    store.insert_pool(&pool("us-east-1_P2")).await.unwrap();
    let renamed = UserPool { name: "renamed".into(), modified: Timestamp(9), ..pool("us-east-1_P1") };
    store.update_pool(&UserPool { created: Timestamp(7), ..renamed.clone() }).await.unwrap();
    assert_eq!(store.get_pool("us-east-1_P1").await.unwrap(), Some(renamed), "created stays");
    assert_eq!(store.update_pool(&pool("us-east-1_Nowhere")).await, Err(StoreError::NotFound));
    let page = store.list_pools(Some("us-east-1_P1"), 1).await.unwrap();
    assert_eq!(page.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["us-east-1_P2"]);
    let client = |id: &str| AppClient {
        client_id: id.into(),
        pool_id: "us-east-1_P1".into(),
        name: "c".into(),
        secret: None,
        created: Timestamp(1),
        modified: Timestamp(1),
        settings: ClientSettings::default(),
    };
    for id in ["p1c1", "p1c2", "p1c3"] {
        store.insert_client(&client(id)).await.unwrap();
    }
    // An update changes the name and settings; the secret and creation time stay.
    let updated = AppClient { name: "web".into(), modified: Timestamp(8), ..client("p1c2") };
    store
        .update_client(&AppClient { secret: Some("s".into()), created: Timestamp(7), ..updated.clone() })
        .await
        .unwrap();
    assert_eq!(store.get_client("p1c2").await.unwrap(), Some(updated));
    assert_eq!(store.update_client(&client("nowhere")).await, Err(StoreError::NotFound));
    let listed = store.list_clients("us-east-1_P1", Some("p1c1"), 60).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.client_id.as_str()).collect::<Vec<_>>(), ["p1c2", "p1c3"]);
    assert!(store.list_clients("us-east-1_P2", None, 60).await.unwrap().is_empty());
    store.delete_client("us-east-1_P1", "p1c1").await.unwrap();
    assert_eq!(store.get_client("p1c1").await.unwrap(), None);
    store.delete_pool("us-east-1_P1").await.unwrap();
    assert_eq!(store.get_client("p1c2").await.unwrap(), None);
}

/// Group names are unique per pool; memberships need the group and the user; listings page by
/// name or sub; deleting a group ends its memberships.
async fn groups(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_G")).await.unwrap();
    let group = |name: &str, precedence: u32| cognate_core::group::Group {
        pool_id: "us-east-1_G".into(),
        name: name.into(),
        description: None,
        role_arn: None,
        precedence: Some(precedence),
        created: Timestamp(1),
        modified: Timestamp(1),
    };
    store.insert_group(&group("admins", 1)).await.unwrap();
    store.insert_group(&group("staff", 2)).await.unwrap();
    assert_eq!(store.insert_group(&group("admins", 3)).await, Err(StoreError::Conflict(Conflict::Group)));
    assert_eq!(store.add_to_group("us-east-1_G", "admins", "no-such-sub").await, Err(StoreError::NotFound));
    let described = cognate_core::group::Group { description: Some("d".into()), ..group("admins", 5) };
    store.update_group(&described).await.unwrap();
    assert_eq!(store.get_group("us-east-1_G", "admins").await.unwrap(), Some(described));
    let names = |groups: Vec<cognate_core::group::Group>| groups.into_iter().map(|g| g.name).collect::<Vec<_>>();
    assert_eq!(names(store.list_groups("us-east-1_G", Some("admins"), 60).await.unwrap()), ["staff"]);

    for (sub, name) in [("g-1", "one"), ("g-2", "two")] {
        store.create_user(&user("us-east-1_G", sub, name, &format!("{name}@example.com")), None, None).await.unwrap();
        store.add_to_group("us-east-1_G", "admins", sub).await.unwrap();
    }
    store.add_to_group("us-east-1_G", "admins", "g-1").await.unwrap(); // already a member: fine
    store.add_to_group("us-east-1_G", "staff", "g-1").await.unwrap();
    let members = store.list_group_members("us-east-1_G", "admins", None, 60).await.unwrap();
    assert_eq!(members.iter().map(|u| u.sub.as_str()).collect::<Vec<_>>(), ["g-1", "g-2"]);
    let after = store.list_group_members("us-east-1_G", "admins", Some("g-1"), 60).await.unwrap();
    assert_eq!(after.iter().map(|u| u.sub.as_str()).collect::<Vec<_>>(), ["g-2"]);
    assert_eq!(names(store.list_user_groups("us-east-1_G", "g-1", None, 60).await.unwrap()), ["admins", "staff"]);
    store.remove_from_group("us-east-1_G", "staff", "g-1").await.unwrap();
    assert_eq!(names(store.list_user_groups("us-east-1_G", "g-1", None, 60).await.unwrap()), ["admins"]);
    store.delete_group("us-east-1_G", "admins").await.unwrap();
    assert_eq!(store.get_group("us-east-1_G", "admins").await.unwrap(), None);
    assert!(store.list_user_groups("us-east-1_G", "g-1", None, 60).await.unwrap().is_empty());
}

/// An attribute change sets and removes attributes, moves aliases and queues its messages in
/// one transaction; a claim on an alias another user holds refuses the whole change.
async fn attribute_changes(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_C")).await.unwrap();
    let mut dana = user("us-east-1_C", "c-dana", "dana", "d@example.com");
    dana.aliases.push(AliasClaim { kind: AliasKind::Email, value_key: "d@example.com".into(), force: false });
    store.create_user(&dana, None, None).await.unwrap();
    store.create_user(&user("us-east-1_C", "c-eve", "eve", "e@example.com"), None, None).await.unwrap();
    let change = AttributeChange {
        pool_id: "us-east-1_C".into(),
        sub: "c-eve".into(),
        set: vec![("email".into(), "d@example.com".into()), ("name".into(), "Eve".into())],
        claims: vec![AliasClaim { kind: AliasKind::Email, value_key: "d@example.com".into(), force: false }],
        ..Default::default()
    };
    assert_eq!(store.change_attributes(&change).await, Err(StoreError::Conflict(Conflict::Alias(AliasKind::Email))));
    let eve = store.get_user_by_sub("us-east-1_C", "c-eve").await.unwrap().unwrap();
    assert_eq!((eve.attribute("email"), eve.attribute("name")), (Some("e@example.com"), None), "nothing applied");

    let change = AttributeChange {
        pool_id: "us-east-1_C".into(),
        sub: "c-eve".into(),
        set: vec![("name".into(), "Eve".into())],
        remove: vec!["email".into()],
        codes: vec![StoredCode { purpose: "verify:email".into(), ..code("us-east-1_C", "c-eve", "hv") }],
        messages: vec![message("us-east-1_C", "e2@example.com"), message("us-east-1_C", "e3@example.com")],
        now: Timestamp(20),
        ..Default::default()
    };
    let ids = store.change_attributes(&change).await.unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "outbox ids in order");
    let eve = store.get_user_by_sub("us-east-1_C", "c-eve").await.unwrap().unwrap();
    assert_eq!((eve.attribute("email"), eve.attribute("name")), (None, Some("Eve")));
    assert!(store.get_code("us-east-1_C", "c-eve", "verify:email").await.unwrap().is_some());

    // Dana lets the address go; Eve takes it.
    let release = AttributeChange {
        pool_id: "us-east-1_C".into(),
        sub: "c-dana".into(),
        releases: vec![AliasKind::Email],
        set: vec![("email".into(), "d2@example.com".into())],
        ..Default::default()
    };
    store.change_attributes(&release).await.unwrap();
    let take = AttributeChange {
        pool_id: "us-east-1_C".into(),
        sub: "c-eve".into(),
        set: vec![("email".into(), "d@example.com".into())],
        claims: vec![AliasClaim { kind: AliasKind::Email, value_key: "d@example.com".into(), force: false }],
        spend_codes: vec!["verify:email".into()],
        ..Default::default()
    };
    store.change_attributes(&take).await.unwrap();
    let holder = store.get_user_by_alias("us-east-1_C", AliasKind::Email, "d@example.com").await.unwrap().unwrap();
    assert_eq!(holder.sub, "c-eve");
    assert!(store.get_code("us-east-1_C", "c-eve", "verify:email").await.unwrap().is_none(), "code spent");
}

/// Rotation replaces a refresh token once; the old one works again only within the grace
/// period, and never once revoked.
async fn rotation(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_R")).await.unwrap();
    store.create_user(&user("us-east-1_R", "r-finn", "finn", "f@example.com"), None, None).await.unwrap();
    let token = |hash: &str| RefreshToken {
        token_hash: hash.into(),
        pool_id: "us-east-1_R".into(),
        client_id: "c".into(),
        sub: "r-finn".into(),
        origin_jti: "o-r".into(),
        revoked: false,
        rotated: None,
        auth_time: Timestamp(1),
        created: Timestamp(1),
        expires: Timestamp(1_000_000),
    };
    store.insert_refresh_token(&token("r0")).await.unwrap();
    let grace = Duration::from_secs(10);
    assert!(store.rotate_refresh_token("r0", &token("r1"), Timestamp(100), grace).await.unwrap());
    assert_eq!(store.get_refresh_token("r0").await.unwrap().unwrap().rotated, Some(Timestamp(100)));
    assert!(store.get_refresh_token("r1").await.unwrap().is_some());
    // Within the grace period the old token may be rotated again; its first rotation time stays.
    assert!(store.rotate_refresh_token("r0", &token("r2"), Timestamp(5_000), grace).await.unwrap());
    assert_eq!(store.get_refresh_token("r0").await.unwrap().unwrap().rotated, Some(Timestamp(100)));
    assert!(!store.rotate_refresh_token("r0", &token("r3"), Timestamp(20_000), grace).await.unwrap());
    assert!(store.get_refresh_token("r3").await.unwrap().is_none());
    store.revoke_refresh_tokens("us-east-1_R", &Revocation::User { sub: "r-finn".into() }).await.unwrap();
    assert!(!store.rotate_refresh_token("r1", &token("r4"), Timestamp(20_001), grace).await.unwrap());
}

/// Every method of the `Store` port appears in this contract, so a new method cannot go
/// untested on one backend.
#[test]
fn the_contract_calls_every_store_method() {
    let port = include_str!("../../cognate-core/src/ports.rs");
    let store = &port[port.find("pub trait Store").expect("the Store trait")..];
    let contract = include_str!("contract.rs");
    let missing: Vec<&str> = store
        .split("async fn ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .filter(|name| !contract.contains(&format!(".{name}(")))
        .collect();
    assert!(missing.is_empty(), "Store methods the contract never calls: {missing:?}");
}

/// Everything the contract asks of a store.
async fn contract(store: &dyn Store) {
    story(store).await;
    pools_and_clients(store).await;
    groups(store).await;
    attribute_changes(store).await;
    rotation(store).await;
}

async fn story(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_A")).await.unwrap();
    assert_eq!(store.insert_pool(&pool("us-east-1_A")).await, Err(StoreError::Conflict(Conflict::Pool)));
    store.insert_pool(&pool("us-east-1_B")).await.unwrap();
    let page = store.list_pools(None, 1).await.unwrap();
    assert_eq!(page[0].id, "us-east-1_A");
    assert_eq!(store.list_pools(Some("us-east-1_A"), 10).await.unwrap().len(), 1);

    let client = AppClient {
        pool_id: "us-east-1_A".into(),
        client_id: "c1".into(),
        name: "c".into(),
        secret: None,
        created: Timestamp(1),
        modified: Timestamp(1),
        settings: ClientSettings::default(),
    };
    store.insert_client(&client).await.unwrap();
    assert_eq!(store.get_client("c1").await.unwrap().unwrap(), client);
    assert_eq!(store.insert_client(&client).await, Err(StoreError::Conflict(Conflict::Client)));

    // Usernames are unique per pool by key; aliases are unique per pool and kind.
    let mut alice = user("us-east-1_A", "s-alice", "Alice", "a@example.com");
    alice.aliases.push(AliasClaim { kind: AliasKind::Email, value_key: "a@example.com".into(), force: false });
    let id = store
        .create_user(
            &alice,
            Some(&code("us-east-1_A", "s-alice", "h1")),
            Some(&message("us-east-1_A", "a@example.com")),
        )
        .await
        .unwrap();
    assert!(id.is_some());
    let dup = user("us-east-1_A", "s-other", "alice", "x@example.com");
    assert_eq!(store.create_user(&dup, None, None).await.unwrap_err(), StoreError::Conflict(Conflict::Username));
    let mut alias_dup = user("us-east-1_A", "s-bob", "bob", "a@example.com");
    alias_dup.aliases.push(AliasClaim { kind: AliasKind::Email, value_key: "a@example.com".into(), force: false });
    assert_eq!(
        store.create_user(&alias_dup, None, None).await.unwrap_err(),
        StoreError::Conflict(Conflict::Alias(AliasKind::Email))
    );
    // A failed insert leaves nothing behind.
    assert!(store.get_user_by_sub("us-east-1_A", "s-bob").await.unwrap().is_none());
    // The same username in another pool is fine.
    store.create_user(&user("us-east-1_B", "s-alice-b", "alice", "a@example.com"), None, None).await.unwrap();

    let found = store.get_user_by_alias("us-east-1_A", AliasKind::Email, "a@example.com").await.unwrap().unwrap();
    assert_eq!(found.sub, "s-alice");
    assert_eq!(store.get_user_by_username("us-east-1_A", "alice").await.unwrap().unwrap().username, "Alice");
    assert_eq!(store.get_code("us-east-1_A", "s-alice", "signup").await.unwrap().unwrap().code_hash, "h1");
    store.replace_code(&code("us-east-1_A", "s-alice", "h2"), None).await.unwrap();
    assert_eq!(store.get_code("us-east-1_A", "s-alice", "signup").await.unwrap().unwrap().code_hash, "h2");

    // Attempt windows restart once they have passed.
    let hour = Duration::from_secs(3600);
    for expected in 1..=3 {
        assert_eq!(
            store
                .bump_attempts("us-east-1_A", Subject::User("s-alice"), "confirm", Timestamp(1000), hour)
                .await
                .unwrap(),
            expected
        );
    }
    assert_eq!(
        store
            .bump_attempts("us-east-1_A", Subject::User("s-alice"), "confirm", Timestamp(1000 + 3_600_000), hour)
            .await
            .unwrap(),
        1
    );
    // Names that match no user count the same way, apart from users and from each other.
    for expected in 1..=2 {
        let n =
            store.bump_attempts("us-east-1_A", Subject::Name("ghost"), "confirm", Timestamp(1000), hour).await.unwrap();
        assert_eq!(n, expected);
    }
    assert_eq!(
        store.bump_attempts("us-east-1_A", Subject::Name("s-alice"), "confirm", Timestamp(1000), hour).await.unwrap(),
        1
    );
    assert_eq!(
        store.bump_attempts("us-east-1_A", Subject::Name("ghost"), "resend", Timestamp(1000), hour).await.unwrap(),
        1
    );
    let later = Timestamp(1000 + 3_600_000);
    assert_eq!(store.bump_attempts("us-east-1_A", Subject::Name("ghost"), "confirm", later, hour).await.unwrap(), 1);

    // Confirmation is conditional on status and moves forced aliases.
    let carol = user("us-east-1_A", "s-carol", "carol", "a@example.com");
    store.create_user(&carol, None, None).await.unwrap();
    let mut confirm = Confirmation {
        pool_id: "us-east-1_A".into(),
        sub: "s-carol".into(),
        expected: UserStatus::Unconfirmed,
        new_status: UserStatus::Confirmed,
        set_attributes: vec![("email_verified".into(), "true".into())],
        claims: vec![AliasClaim { kind: AliasKind::Email, value_key: "a@example.com".into(), force: false }],
        now: Timestamp(9),
    };
    assert_eq!(
        store.confirm_user(&confirm).await.unwrap_err(),
        StoreError::Conflict(Conflict::Alias(AliasKind::Email))
    );
    assert_eq!(store.get_user_by_sub("us-east-1_A", "s-carol").await.unwrap().unwrap().status, UserStatus::Unconfirmed);
    confirm.claims[0].force = true;
    store.confirm_user(&confirm).await.unwrap();
    let carol = store.get_user_by_sub("us-east-1_A", "s-carol").await.unwrap().unwrap();
    assert_eq!((carol.status, carol.attribute("email_verified")), (UserStatus::Confirmed, Some("true")));
    let alice = store.get_user_by_sub("us-east-1_A", "s-alice").await.unwrap().unwrap();
    assert_eq!(alice.attribute("email_verified"), Some("false"));
    assert_eq!(
        store.get_user_by_alias("us-east-1_A", AliasKind::Email, "a@example.com").await.unwrap().unwrap().sub,
        "s-carol"
    );
    assert_eq!(store.confirm_user(&confirm).await.unwrap_err(), StoreError::Conflict(Conflict::Status));

    // Listing with filters and pagination.
    let all = store.list_users("us-east-1_A", None, None, 60).await.unwrap();
    assert_eq!(all.len(), 2);
    let f = filter::parse(r#"cognito:user_status = "confirmed""#).unwrap().unwrap();
    assert_eq!(store.list_users("us-east-1_A", Some(&f), None, 60).await.unwrap().len(), 1);
    let f = filter::parse(r#"email ^= "a@""#).unwrap().unwrap();
    assert_eq!(store.list_users("us-east-1_A", Some(&f), None, 60).await.unwrap().len(), 2);
    let f = filter::parse(r#"username = "carol""#).unwrap().unwrap();
    assert_eq!(store.list_users("us-east-1_A", Some(&f), None, 60).await.unwrap()[0].sub, "s-carol");
    let first = store.list_users("us-east-1_A", None, None, 1).await.unwrap();
    let second = store.list_users("us-east-1_A", None, Some(&first[0].sub), 1).await.unwrap();
    assert_ne!(first[0].sub, second[0].sub);

    // Refresh tokens and the outbox.
    let token = RefreshToken {
        token_hash: "th".into(),
        pool_id: "us-east-1_A".into(),
        client_id: "c1".into(),
        sub: "s-carol".into(),
        origin_jti: "o".into(),
        revoked: false,
        rotated: None,
        auth_time: Timestamp(3),
        created: Timestamp(3),
        expires: Timestamp(99),
    };
    store.insert_refresh_token(&token).await.unwrap();
    assert_eq!(store.get_refresh_token("th").await.unwrap().unwrap(), token);
    store
        .insert_refresh_token(&RefreshToken { token_hash: "th2".into(), origin_jti: "o2".into(), ..token.clone() })
        .await
        .unwrap();
    assert!(!store.get_token_user("us-east-1_A", "s-carol", "o").await.unwrap().unwrap().1);
    let origin = Revocation::Origin { origin_jti: "o".into() };
    assert_eq!(store.revoke_refresh_tokens("us-east-1_A", &origin).await.unwrap(), 1);
    assert!(store.get_token_user("us-east-1_A", "s-carol", "o").await.unwrap().unwrap().1);
    assert!(!store.get_token_user("us-east-1_A", "s-carol", "o2").await.unwrap().unwrap().1);
    let (carol, revoked) = store.get_token_user("us-east-1_A", "s-carol", "o").await.unwrap().unwrap();
    assert_eq!((carol.username.as_str(), revoked), ("carol", true));
    assert!(!store.get_token_user("us-east-1_A", "s-carol", "o2").await.unwrap().unwrap().1);
    assert!(store.get_token_user("us-east-1_A", "nobody", "o2").await.unwrap().is_none());
    assert!(store.get_refresh_token("th").await.unwrap().unwrap().revoked);
    let everyone = Revocation::User { sub: "s-carol".into() };
    assert_eq!(store.revoke_refresh_tokens("us-east-1_A", &everyone).await.unwrap(), 1);
    assert!(store.get_token_user("us-east-1_A", "s-carol", "o2").await.unwrap().unwrap().1);

    // Password, status and enabled changes are conditional and column-wise.
    let update = UserUpdate {
        password_hash: Some("h2".into()),
        srp_verifier: Some(Some("v2".into())),
        status: Some(UserStatus::ForceChangePassword),
        ..Default::default()
    };
    store.update_user("us-east-1_A", "s-carol", &update, Timestamp(50)).await.unwrap();
    let carol = store.get_user_by_sub("us-east-1_A", "s-carol").await.unwrap().unwrap();
    assert_eq!(
        (carol.password_hash.as_deref(), carol.srp_verifier.as_deref(), carol.status, carol.password_set),
        (Some("h2"), Some("v2"), UserStatus::ForceChangePassword, Timestamp(50))
    );
    let guarded =
        UserUpdate { enabled: Some(false), expected_status: Some(UserStatus::Confirmed), ..Default::default() };
    assert_eq!(
        store.update_user("us-east-1_A", "s-carol", &guarded, Timestamp(51)).await,
        Err(StoreError::Conflict(Conflict::Status))
    );
    let disable = UserUpdate { enabled: Some(false), ..Default::default() };
    store.update_user("us-east-1_A", "s-carol", &disable, Timestamp(52)).await.unwrap();
    let carol = store.get_user_by_sub("us-east-1_A", "s-carol").await.unwrap().unwrap();
    assert!(!carol.enabled);
    assert_eq!(carol.password_hash.as_deref(), Some("h2"), "untouched columns keep their value");
    assert!(matches!(
        store.update_user("us-east-1_A", "nobody", &disable, Timestamp(52)).await,
        Err(StoreError::NotFound)
    ));

    // Challenge sessions are spent once.
    let session = AuthSession {
        id_hash: "sh".into(),
        pool_id: "us-east-1_A".into(),
        client_id: "c1".into(),
        sub: None,
        username: "ghost".into(),
        challenge: "PASSWORD_VERIFIER".into(),
        state: "k".into(),
        expires: Timestamp(1_000),
    };
    store.insert_auth_session(&session).await.unwrap();
    assert_eq!(store.get_auth_session("sh").await.unwrap(), Some(session));
    assert!(store.delete_auth_session("sh").await.unwrap());
    assert!(!store.delete_auth_session("sh").await.unwrap());
    assert_eq!(store.get_auth_session("sh").await.unwrap(), None);

    // Sign-in failures count up, restart after a quiet period and clear.
    let quiet = Duration::from_millis(100);
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::User("s-carol"), Timestamp(10), quiet).await.unwrap(),
        1
    );
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::User("s-carol"), Timestamp(60), quiet).await.unwrap(),
        2
    );
    assert_eq!(
        store.get_signin_failures("us-east-1_A", Subject::User("s-carol")).await.unwrap(),
        Some(SignInFailures { count: 2, last: Timestamp(60) })
    );
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::User("s-carol"), Timestamp(160), quiet).await.unwrap(),
        1
    );
    store.clear_signin_failures("us-east-1_A", "s-carol").await.unwrap();
    assert_eq!(store.get_signin_failures("us-east-1_A", Subject::User("s-carol")).await.unwrap(), None);
    // Names with no user keep their own failures, with the same quiet period.
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::Name("ghost"), Timestamp(10), quiet).await.unwrap(),
        1
    );
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::Name("ghost"), Timestamp(60), quiet).await.unwrap(),
        2
    );
    assert_eq!(
        store.get_signin_failures("us-east-1_A", Subject::Name("ghost")).await.unwrap(),
        Some(SignInFailures { count: 2, last: Timestamp(60) })
    );
    assert_eq!(store.get_signin_failures("us-east-1_A", Subject::Name("s-carol")).await.unwrap(), None);
    assert_eq!(
        store.record_signin_failure("us-east-1_A", Subject::Name("ghost"), Timestamp(160), quiet).await.unwrap(),
        1
    );

    // Codes are spent once.
    store.replace_code(&code("us-east-1_A", "s-carol", "once"), None).await.unwrap();
    assert!(!store.delete_code("us-east-1_A", "s-carol", "signup", "replaced").await.unwrap());
    assert!(store.delete_code("us-east-1_A", "s-carol", "signup", "once").await.unwrap());
    assert!(!store.delete_code("us-east-1_A", "s-carol", "signup", "once").await.unwrap());
    store
        .replace_code(&code("us-east-1_A", "s-carol", "h3"), Some(&message("us-east-1_A", "c@example.com")))
        .await
        .unwrap();
    let out = store
        .list_outbox(&OutboxQuery { recipient: Some("c@example.com".into()), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(out.len(), 1);
    store.set_outbox_status(out[0].id, "sent").await.unwrap();
    let out = store.list_outbox(&OutboxQuery { last: Some(1), ..Default::default() }).await.unwrap();
    assert_eq!((out.len(), out[0].status.as_str()), (1, "sent"));
    assert_eq!(out[0].message, message("us-east-1_A", "c@example.com"), "the whole message is kept");
    // A message whose text must not be kept leaves only who, what kind and when.
    let secret = OutboxMessage { keep_text: false, ..message("us-east-1_A", "d@example.com") };
    store.queue_message(&secret).await.unwrap();
    let out = store.list_outbox(&OutboxQuery { last: Some(1), ..Default::default() }).await.unwrap();
    let kept = &out[0].message;
    assert_eq!((kept.recipient.as_str(), kept.kind.as_str()), ("d@example.com", "SignUp"));
    assert_eq!((kept.subject.as_deref(), kept.body.as_str(), kept.keep_text), (None, "", false));
    assert_eq!(kept.code, None, "nor its code");
    // Text kept earlier can be forgotten all at once; the delivery log stays.
    assert!(store.forget_outbox_text().await.unwrap() >= 1);
    assert_eq!(store.forget_outbox_text().await.unwrap(), 0);
    let all = store.list_outbox(&OutboxQuery::default()).await.unwrap();
    assert!(all.iter().all(|e| e.message.body.is_empty()
        && e.message.subject.is_none()
        && e.message.code.is_none()
        && !e.message.keep_text));
    assert!(all.iter().any(|e| e.message.recipient == "c@example.com"));

    // Signing keys: the first key per use wins.
    let key = SigningKey {
        pool_id: "us-east-1_A".into(),
        kid: "k1".into(),
        token_use: "id".into(),
        private_der: vec![1],
        created: Timestamp(1),
    };
    assert!(store.insert_signing_key(&key).await.unwrap());
    assert!(!store.insert_signing_key(&SigningKey { kid: "k2".into(), ..key }).await.unwrap());
    assert_eq!(store.get_signing_keys("us-east-1_A").await.unwrap()[0].kid, "k1");

    // Deleting users and pools cascades.
    store.delete_user("us-east-1_A", "s-carol").await.unwrap();
    assert!(store.get_refresh_token("th").await.unwrap().is_none());
    assert!(store.get_user_by_alias("us-east-1_A", AliasKind::Email, "a@example.com").await.unwrap().is_none());
    store.delete_pool("us-east-1_A").await.unwrap();
    assert!(store.get_pool("us-east-1_A").await.unwrap().is_none());
    assert!(store.get_client("c1").await.unwrap().is_none());
    assert_eq!(store.count_users("us-east-1_A").await.unwrap(), 0);
    assert_eq!(store.count_users("us-east-1_B").await.unwrap(), 1);
}

/// The fake the flow tests run on must keep the same promises as the real stores.
#[tokio::test]
async fn the_flow_tests_fake_honours_the_contract() {
    contract(&cognate_core::testkit::MemStore::default()).await;
}

#[tokio::test]
async fn sqlite_in_memory_honours_the_contract() {
    contract(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_disk_honours_the_contract_and_persists() {
    let dir = std::env::temp_dir().join(format!("cognate-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cognate.db");
    {
        let store = SqliteStore::open(&path).unwrap();
        contract(&store).await;
        store.close().unwrap();
    }
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.count_users("us-east-1_B").await.unwrap(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
