//! Narrower checks, one aggregate each.

use std::time::Duration;

use cognate_core::client::{AppClient, ClientSettings};
use cognate_core::error::{Conflict, StoreError};
use cognate_core::ids::Timestamp;
use cognate_core::pool::UserPool;
use cognate_core::ports::{AttributeChange, Confirmation, Revocation, Store, Subject};
use cognate_core::user::*;

use super::*;

/// Pools and clients: updates replace, listings page by id, deletes cascade.
pub(super) async fn pools_and_clients(store: &dyn Store) {
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
pub(super) async fn groups(store: &dyn Store) {
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
pub(super) async fn attribute_changes(store: &dyn Store) {
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
pub(super) async fn rotation(store: &dyn Store) {
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
        scopes: Some("openid".into()),
    };
    store.insert_refresh_token(&token("r0")).await.unwrap();
    let grace = Duration::from_secs(10);
    assert!(store.rotate_refresh_token("r0", &token("r1"), Timestamp(100), grace).await.unwrap());
    assert_eq!(store.get_refresh_token("r0").await.unwrap().unwrap().rotated, Some(Timestamp(100)));
    assert_eq!(store.get_refresh_token("r1").await.unwrap().unwrap().scopes.as_deref(), Some("openid"));
    // Within the grace period the old token may be rotated again; its first rotation time stays.
    assert!(store.rotate_refresh_token("r0", &token("r2"), Timestamp(5_000), grace).await.unwrap());
    assert_eq!(store.get_refresh_token("r0").await.unwrap().unwrap().rotated, Some(Timestamp(100)));
    assert!(!store.rotate_refresh_token("r0", &token("r3"), Timestamp(20_000), grace).await.unwrap());
    assert!(store.get_refresh_token("r3").await.unwrap().is_none());
    store.revoke_refresh_tokens("us-east-1_R", &Revocation::User { sub: "r-finn".into() }).await.unwrap();
    assert!(!store.rotate_refresh_token("r1", &token("r4"), Timestamp(20_001), grace).await.unwrap());
}

/// Races: many writers at once, as instances sharing a database are. The unique indexes
/// decide, not a read before the write.
pub(super) async fn races(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_X")).await.unwrap();
    // One username signed up by twelve callers at once: one user.
    let signups = (0..12).map(|i| {
        let mut new = user("us-east-1_X", &format!("s-race-{i}"), "racer", &format!("r{i}@example.com"));
        new.username_key = "racer".into();
        async move { store.create_user(&new, None, None).await }
    });
    let results = futures_util::future::join_all(signups).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::Conflict(Conflict::Username))));
    assert_eq!(store.count_users("us-east-1_X").await.unwrap(), 1);

    // One email confirmed by six users at once: one owner, the others collide.
    for i in 0..6 {
        store
            .create_user(
                &user("us-east-1_X", &format!("s-alias-{i}"), &format!("a{i}"), "same@example.com"),
                None,
                None,
            )
            .await
            .unwrap();
    }
    let confirmations = (0..6).map(|i| async move {
        let confirmation = Confirmation {
            pool_id: "us-east-1_X".into(),
            sub: format!("s-alias-{i}"),
            expected: UserStatus::Unconfirmed,
            new_status: UserStatus::Confirmed,
            set_attributes: vec![("email_verified".into(), "true".into())],
            claims: vec![AliasClaim { kind: AliasKind::Email, value_key: "same@example.com".into(), force: false }],
            now: Timestamp(2),
        };
        store.confirm_user(&confirmation).await
    });
    let results = futures_util::future::join_all(confirmations).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::Conflict(Conflict::Alias(AliasKind::Email)))));
    let owner = store.get_user_by_alias("us-east-1_X", AliasKind::Email, "same@example.com").await.unwrap().unwrap();
    assert_eq!(owner.status, UserStatus::Confirmed);

    // Counters add up under concurrent failures.
    let failures = (0..10).map(|_| {
        store.record_signin_failure("us-east-1_X", Subject::User(&owner.sub), Timestamp(3), Duration::from_secs(900))
    });
    let mut counts: Vec<u32> = futures_util::future::join_all(failures).await.into_iter().map(|r| r.unwrap()).collect();
    counts.sort_unstable();
    assert_eq!(counts, (1..=10).collect::<Vec<u32>>());

    // One password check at a time for a user near a lock, across callers.
    let hold = Duration::from_secs(10);
    let holds = (0..6).map(|_| store.hold_signin("us-east-1_X", &owner.sub, Timestamp(4), hold));
    let taken = futures_util::future::join_all(holds).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(taken, 1);
    assert!(store.hold_signin("us-east-1_X", &owner.sub, Timestamp(10_004), hold).await.unwrap(), "holds run out");
    store
        .record_signin_failure("us-east-1_X", Subject::User(&owner.sub), Timestamp(5), Duration::from_secs(900))
        .await
        .unwrap();
    assert!(store.hold_signin("us-east-1_X", &owner.sub, Timestamp(6), hold).await.unwrap(), "a failure ends it");
    store.clear_signin_failures("us-east-1_X", &owner.sub).await.unwrap();
    assert!(!store.hold_signin("us-east-1_X", &owner.sub, Timestamp(7), hold).await.unwrap(), "nothing to hold");
}

/// Second factors: the user's choice, the authenticator app and its pending successor are
/// columns of their own, and a code's 30-second step is accepted once, by one caller.
pub(super) async fn second_factors(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_M")).await.unwrap();
    store.create_user(&user("us-east-1_M", "s-mfa", "mfa", "m@example.com"), None, None).await.unwrap();
    let fresh = store.get_user_by_sub("us-east-1_M", "s-mfa").await.unwrap().unwrap();
    assert_eq!(fresh.mfa, UserMfa::default());
    assert!(!store.spend_totp_step("us-east-1_M", "s-mfa", 5).await.unwrap(), "no app, nothing to spend");

    let pending = UserUpdate { totp_pending: Some(Some("sealed-new".into())), ..Default::default() };
    store.update_user("us-east-1_M", "s-mfa", &pending, Timestamp(20)).await.unwrap();
    let token = TotpToken { secret: "sealed-1".into(), name: Some("phone".into()), last_step: 7 };
    let verified = UserUpdate {
        totp: Some(Some(token.clone())),
        totp_pending: Some(None),
        mfa_choice: Some(MfaChoice { enabled: vec![MfaFactor::SoftwareToken], preferred: None }),
        ..Default::default()
    };
    store.update_user("us-east-1_M", "s-mfa", &verified, Timestamp(21)).await.unwrap();
    let choice = MfaChoice { enabled: vec![MfaFactor::Sms, MfaFactor::SoftwareToken], preferred: Some(MfaFactor::Sms) };
    let prefer = UserUpdate { mfa_choice: Some(choice.clone()), ..Default::default() };
    store.update_user("us-east-1_M", "s-mfa", &prefer, Timestamp(22)).await.unwrap();
    let user = store.get_user_by_sub("us-east-1_M", "s-mfa").await.unwrap().unwrap();
    assert_eq!(user.mfa, UserMfa { choice: choice.clone(), totp: Some(token), totp_pending: None });
    assert_eq!(user.modified, Timestamp(22));

    let spends = (0..6).map(|_| store.spend_totp_step("us-east-1_M", "s-mfa", 9));
    let spent = futures_util::future::join_all(spends).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
    assert_eq!(spent, 1, "one step, one caller");
    assert!(!store.spend_totp_step("us-east-1_M", "s-mfa", 8).await.unwrap(), "an earlier step is spent too");
    assert!(store.spend_totp_step("us-east-1_M", "s-mfa", 10).await.unwrap());
    let user = store.get_user_by_sub("us-east-1_M", "s-mfa").await.unwrap().unwrap();
    assert_eq!(user.mfa.totp.map(|t| t.last_step), Some(10));
    assert_eq!(user.modified, Timestamp(22), "spending a step is not a change of the user");

    let removed = UserUpdate { totp: Some(None), mfa_choice: Some(MfaChoice::default()), ..Default::default() };
    store.update_user("us-east-1_M", "s-mfa", &removed, Timestamp(23)).await.unwrap();
    let user = store.get_user_by_sub("us-east-1_M", "s-mfa").await.unwrap().unwrap();
    assert_eq!(user.mfa, UserMfa::default());
}

/// Devices: keyed per pool, listed per user by key, updated in place, gone with their user.
pub(super) async fn devices(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_D")).await.unwrap();
    store.create_user(&user("us-east-1_D", "s-dev", "dev", "d@example.com"), None, None).await.unwrap();
    store.create_user(&user("us-east-1_D", "s-other", "other", "o@example.com"), None, None).await.unwrap();
    let device = |key: &str, sub: &str| Device {
        pool_id: "us-east-1_D".into(),
        sub: sub.into(),
        key: key.into(),
        group_key: "-grp".into(),
        verifier: None,
        name: None,
        remembered: false,
        created: Timestamp(1),
        modified: Timestamp(1),
        last_authenticated: Timestamp(1),
    };
    for key in ["us-east-1_c", "us-east-1_a", "us-east-1_b"] {
        store.insert_device(&device(key, "s-dev")).await.unwrap();
    }
    store.insert_device(&device("us-east-1_z", "s-other")).await.unwrap();
    assert_eq!(
        store.insert_device(&device("us-east-1_a", "s-other")).await,
        Err(StoreError::Conflict(Conflict::Other)),
        "a key is taken once"
    );
    assert_eq!(
        store.insert_device(&device("us-east-1_q", "nobody")).await,
        Err(StoreError::Conflict(Conflict::Missing)),
        "a device belongs to a user"
    );
    let keys = |list: Vec<Device>| list.into_iter().map(|d| d.key).collect::<Vec<_>>();
    assert_eq!(
        keys(store.list_devices("us-east-1_D", "s-dev", None, 10).await.unwrap()),
        ["us-east-1_a", "us-east-1_b", "us-east-1_c"]
    );
    assert_eq!(
        keys(store.list_devices("us-east-1_D", "s-dev", Some("us-east-1_a"), 1).await.unwrap()),
        ["us-east-1_b"]
    );
    let confirmed = Device {
        verifier: Some("sealed-v".into()),
        name: Some("laptop".into()),
        remembered: true,
        modified: Timestamp(5),
        last_authenticated: Timestamp(6),
        ..device("us-east-1_b", "s-dev")
    };
    store.update_device(&confirmed).await.unwrap();
    assert_eq!(store.get_device("us-east-1_D", "us-east-1_b").await.unwrap(), Some(confirmed));
    assert_eq!(store.update_device(&device("us-east-1_nope", "s-dev")).await, Err(StoreError::NotFound));
    assert!(store.delete_device("us-east-1_D", "us-east-1_a").await.unwrap());
    assert!(!store.delete_device("us-east-1_D", "us-east-1_a").await.unwrap());
    store.delete_user("us-east-1_D", "s-dev").await.unwrap();
    assert!(store.list_devices("us-east-1_D", "s-dev", None, 10).await.unwrap().is_empty());
    assert!(store.get_device("us-east-1_D", "us-east-1_z").await.unwrap().is_some());
}

/// Passkeys: one registration per credential id in a pool, listed oldest first, the record
/// replaced when its counter moves, gone with their user.
pub(super) async fn passkeys(store: &dyn Store) {
    store.insert_pool(&pool("us-east-1_W")).await.unwrap();
    store.create_user(&user("us-east-1_W", "s-pk", "pk", "p@example.com"), None, None).await.unwrap();
    let passkey = |id: &str, created: i64| Passkey {
        pool_id: "us-east-1_W".into(),
        sub: "s-pk".into(),
        credential_id: id.into(),
        record: "r0".into(),
        name: "Passkey".into(),
        relying_party_id: "auth.example.com".into(),
        attachment: Some("platform".into()),
        transports: vec!["internal".into(), "hybrid".into()],
        created: Timestamp(created),
    };
    store.insert_passkey(&passkey("cred-b", 2)).await.unwrap();
    store.insert_passkey(&passkey("cred-a", 3)).await.unwrap();
    assert_eq!(store.insert_passkey(&passkey("cred-a", 4)).await, Err(StoreError::Conflict(Conflict::Other)));
    let listed = store.list_passkeys("us-east-1_W", "s-pk").await.unwrap();
    assert_eq!(listed.iter().map(|p| p.credential_id.as_str()).collect::<Vec<_>>(), ["cred-b", "cred-a"]);
    assert_eq!(listed[0], passkey("cred-b", 2));
    store.update_passkey("us-east-1_W", "cred-a", "r1").await.unwrap();
    assert_eq!(store.list_passkeys("us-east-1_W", "s-pk").await.unwrap()[1].record, "r1");
    assert_eq!(store.update_passkey("us-east-1_W", "nope", "r").await, Err(StoreError::NotFound));
    assert!(!store.delete_passkey("us-east-1_W", "someone-else", "cred-a").await.unwrap());
    assert!(store.delete_passkey("us-east-1_W", "s-pk", "cred-a").await.unwrap());
    store.delete_user("us-east-1_W", "s-pk").await.unwrap();
    assert!(store.list_passkeys("us-east-1_W", "s-pk").await.unwrap().is_empty());
}

/// Domains: a name is one pool's, a pool has one domain of each kind, and they go with their
/// pool. Resource servers: one per identifier in a pool, listed by identifier, scopes kept in
/// order and replaced whole.
pub(super) async fn oauth(store: &dyn Store) {
    use cognate_core::pool_domain::{CustomDomain, PoolDomain};
    use cognate_core::resource_server::{ResourceScope, ResourceServer};
    store.insert_pool(&pool("us-east-1_O")).await.unwrap();
    store.insert_pool(&pool("us-east-1_O2")).await.unwrap();
    let domain = |name: &str, pool_id: &str, custom: bool| PoolDomain {
        domain: name.into(),
        pool_id: pool_id.into(),
        custom: custom.then(|| CustomDomain {
            certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/c".into(),
            security_policy: Some("TLS_V1_2_2021".into()),
        }),
        managed_login_version: 1,
        created: Timestamp(5),
    };
    store.insert_domain(&domain("login", "us-east-1_O", false)).await.unwrap();
    assert_eq!(
        store.insert_domain(&domain("login", "us-east-1_O2", false)).await,
        Err(StoreError::Conflict(Conflict::Domain))
    );
    assert_eq!(
        store.insert_domain(&domain("second", "us-east-1_O", false)).await,
        Err(StoreError::Conflict(Conflict::PoolDomain))
    );
    assert_eq!(
        store.insert_domain(&domain("x", "us-east-1_Nowhere", false)).await,
        Err(StoreError::Conflict(Conflict::Missing))
    );
    store.insert_domain(&domain("auth.example.com", "us-east-1_O", true)).await.unwrap();
    assert_eq!(store.get_domain("login").await.unwrap(), Some(domain("login", "us-east-1_O", false)));
    assert_eq!(store.get_domain("nope").await.unwrap(), None);
    let both = store.pool_domains("us-east-1_O").await.unwrap();
    assert_eq!(both.len(), 2);
    let mut v2 = domain("auth.example.com", "us-east-1_O", true);
    v2.managed_login_version = 2;
    v2.custom = Some(CustomDomain { certificate_arn: "arn:other".into(), security_policy: None });
    store.update_domain(&v2).await.unwrap();
    assert_eq!(store.get_domain("auth.example.com").await.unwrap(), Some(v2));
    assert_eq!(store.update_domain(&domain("login", "us-east-1_O2", false)).await, Err(StoreError::NotFound));
    assert!(!store.delete_domain("us-east-1_O2", "login").await.unwrap());
    assert!(store.delete_domain("us-east-1_O", "login").await.unwrap());
    assert!(store.get_domain("login").await.unwrap().is_none());
    store.insert_domain(&domain("login", "us-east-1_O2", false)).await.unwrap();

    let server = |id: &str, scopes: &[&str]| ResourceServer {
        pool_id: "us-east-1_O".into(),
        identifier: id.into(),
        name: "API".into(),
        scopes: scopes.iter().map(|s| ResourceScope { name: s.to_string(), description: format!("{s} d") }).collect(),
        created: Timestamp(6),
    };
    store.insert_resource_server(&server("https://b.example.com", &["write", "read"])).await.unwrap();
    store.insert_resource_server(&server("a-api", &[])).await.unwrap();
    assert_eq!(
        store.insert_resource_server(&server("a-api", &["x"])).await,
        Err(StoreError::Conflict(Conflict::ResourceServer))
    );
    assert_eq!(
        store.insert_resource_server(&ResourceServer { pool_id: "us-east-1_Nowhere".into(), ..server("z", &[]) }).await,
        Err(StoreError::Conflict(Conflict::Missing))
    );
    assert_eq!(
        store.get_resource_server("us-east-1_O", "https://b.example.com").await.unwrap(),
        Some(server("https://b.example.com", &["write", "read"]))
    );
    assert_eq!(store.get_resource_server("us-east-1_O2", "a-api").await.unwrap(), None);
    let page = store.list_resource_servers("us-east-1_O", None, 1).await.unwrap();
    assert_eq!(page.iter().map(|s| s.identifier.as_str()).collect::<Vec<_>>(), ["a-api"]);
    let page = store.list_resource_servers("us-east-1_O", Some("a-api"), 5).await.unwrap();
    assert_eq!(page.iter().map(|s| s.identifier.as_str()).collect::<Vec<_>>(), ["https://b.example.com"]);
    let renamed = ResourceServer { name: "Renamed".into(), ..server("a-api", &["only"]) };
    store.update_resource_server(&renamed).await.unwrap();
    assert_eq!(store.get_resource_server("us-east-1_O", "a-api").await.unwrap(), Some(renamed));
    assert_eq!(store.update_resource_server(&server("gone", &[])).await, Err(StoreError::NotFound));
    assert!(store.delete_resource_server("us-east-1_O", "a-api").await.unwrap());
    assert!(!store.delete_resource_server("us-east-1_O", "a-api").await.unwrap());
    store.delete_pool("us-east-1_O").await.unwrap();
    assert!(store.get_domain("auth.example.com").await.unwrap().is_none());
    assert!(store.list_resource_servers("us-east-1_O", None, 10).await.unwrap().is_empty());
    assert!(store.get_domain("login").await.unwrap().is_some());
}

/// Branding: one UI customization per client (or `ALL`), replaced in place; one managed login
/// style per client; both go with their pool.
pub(super) async fn branding(store: &dyn Store) {
    use cognate_core::branding::{Branding, UiCustomization};
    store.insert_pool(&pool("us-east-1_UI")).await.unwrap();
    let ui = |client: &str, css: &str, at: i64| UiCustomization {
        pool_id: "us-east-1_UI".into(),
        client_id: client.into(),
        css: Some(css.into()),
        image: None,
        created: Timestamp(at),
        modified: Timestamp(at),
    };
    store.put_ui_customization(&ui("ALL", ".banner-customizable {}", 1)).await.unwrap();
    store.put_ui_customization(&ui("ALL", ".label-customizable {}", 5)).await.unwrap();
    let kept = store.get_ui_customization("us-east-1_UI", "ALL").await.unwrap().unwrap();
    assert_eq!(
        (kept.css.as_deref(), kept.created, kept.modified),
        (Some(".label-customizable {}"), Timestamp(1), Timestamp(5))
    );
    assert!(store.get_ui_customization("us-east-1_UI", "c1").await.unwrap().is_none());
    assert_eq!(
        store.put_ui_customization(&UiCustomization { pool_id: "us-east-1_Nowhere".into(), ..ui("c1", "", 1) }).await,
        Err(StoreError::Conflict(Conflict::Missing))
    );
    assert!(store.delete_ui_customization("us-east-1_UI", "ALL").await.unwrap());
    assert!(!store.delete_ui_customization("us-east-1_UI", "ALL").await.unwrap());
    let style = |id: &str, client: &str| Branding {
        pool_id: "us-east-1_UI".into(),
        id: id.into(),
        client_id: client.into(),
        cognito_values: false,
        settings: Some("{}".into()),
        assets: "[]".into(),
        created: Timestamp(2),
        modified: Timestamp(2),
    };
    store.insert_branding(&style("b1", "c1")).await.unwrap();
    assert_eq!(store.insert_branding(&style("b2", "c1")).await, Err(StoreError::Conflict(Conflict::Branding)));
    assert_eq!(store.get_branding("us-east-1_UI", "b1").await.unwrap(), Some(style("b1", "c1")));
    assert_eq!(store.get_client_branding("us-east-1_UI", "c1").await.unwrap(), Some(style("b1", "c1")));
    let changed = Branding { cognito_values: true, settings: None, modified: Timestamp(9), ..style("b1", "c1") };
    store.update_branding(&changed).await.unwrap();
    assert_eq!(store.get_branding("us-east-1_UI", "b1").await.unwrap(), Some(changed));
    assert_eq!(store.update_branding(&style("gone", "c9")).await, Err(StoreError::NotFound));
    store.put_ui_customization(&ui("c1", "", 3)).await.unwrap();
    store.delete_pool("us-east-1_UI").await.unwrap();
    assert!(store.get_client_branding("us-east-1_UI", "c1").await.unwrap().is_none());
    assert!(store.get_ui_customization("us-east-1_UI", "c1").await.unwrap().is_none());
    store.insert_pool(&pool("us-east-1_UI")).await.unwrap();
    store.insert_branding(&style("b3", "c3")).await.unwrap();
    assert!(store.delete_branding("us-east-1_UI", "b3").await.unwrap());
    assert!(!store.delete_branding("us-east-1_UI", "b3").await.unwrap());
}
