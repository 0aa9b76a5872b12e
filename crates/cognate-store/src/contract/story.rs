//! The contract's main story: one pool's life, from creation to deletion.

use std::time::Duration;

use cognate_core::client::{AppClient, ClientSettings};
use cognate_core::error::{Conflict, StoreError};
use cognate_core::filter;
use cognate_core::ids::Timestamp;
use cognate_core::ports::{Confirmation, OutboxQuery, Revocation, SigningKey, Store, Subject};
use cognate_core::user::*;

use super::*;

pub(super) async fn story(store: &dyn Store) {
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
        scopes: None,
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

    // A message its instance never delivered goes to another once its lease has run out, to
    // one claimant at a time, with its sealed text; a delivered one never does.
    let lease = std::time::Duration::from_secs(120);
    let earlier = store.claim_outbox(Timestamp(500_000), lease, 100).await.unwrap();
    assert!(!earlier.is_empty() && earlier.iter().all(|e| e.status == "pending"));
    for e in earlier {
        store.set_outbox_status(e.id, "logged").await.unwrap();
    }
    let t = |ms: i64| Timestamp(1_000_000 + ms);
    let sealed = OutboxMessage {
        sealed: Some("v1.sealed".into()),
        keep_text: false,
        created: t(0),
        ..message("us-east-1_A", "e@example.com")
    };
    let id = store.queue_message(&sealed).await.unwrap();
    assert!(store.claim_outbox(t(119_000), lease, 10).await.unwrap().is_empty(), "still leased");
    let claimed = store.claim_outbox(t(120_000), lease, 10).await.unwrap();
    assert_eq!(claimed.iter().map(|e| e.id).collect::<Vec<_>>(), vec![id], "only the undelivered message");
    assert_eq!(claimed[0].message.sealed.as_deref(), Some("v1.sealed"));
    assert_eq!((claimed[0].message.body.as_str(), claimed[0].status.as_str()), ("", "pending"));
    assert!(store.claim_outbox(t(120_001), lease, 10).await.unwrap().is_empty(), "claimed once");
    let again = store.claim_outbox(t(240_000), lease, 10).await.unwrap();
    assert_eq!(again.len(), 1, "the claimant's lease runs out too");
    store.set_outbox_status(id, "sent").await.unwrap();
    assert!(store.claim_outbox(t(999_000), lease, 10).await.unwrap().is_empty());
    let out = store.list_outbox(&OutboxQuery { last: Some(1), ..Default::default() }).await.unwrap();
    assert_eq!((out[0].status.as_str(), out[0].message.sealed.as_deref()), ("sent", None), "the sealed text goes");

    // Facts about the database: the first value stays.
    assert_eq!(store.claim_meta("sealing-key", "one").await.unwrap(), "one");
    assert_eq!(store.claim_meta("sealing-key", "two").await.unwrap(), "one");
    store.set_meta("sealing-key", "three").await.unwrap();
    assert_eq!(store.claim_meta("sealing-key", "four").await.unwrap(), "three");

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
