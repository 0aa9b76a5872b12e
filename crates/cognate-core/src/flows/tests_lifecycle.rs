//! Flow tests for the lifecycle after sign-up: SRP, challenges, lockout, admin-created users,
//! password recovery and sign-out, with in-memory ports and a fake clock.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use num_bigint_dig::BigUint;

use super::tests::{email_pool, password_auth, pool_and_client, signup, world, World};
use super::*;
use crate::srp;
use crate::user::UserStatus;

async fn confirmed(w: &World, client_id: &str, name: &str) {
    w.cognate.sign_up(signup(client_id, name, &format!("{name}@example.com"))).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_sign_up(client_id, None, name, &code, false, None).await.unwrap();
}

fn challenge(outcome: AuthOutcome) -> Challenge {
    match outcome {
        AuthOutcome::Challenge(c) => c,
        AuthOutcome::Tokens(_) | AuthOutcome::SignedIn(_) => panic!("expected a challenge"),
    }
}

/// The whole SRP exchange as a client does it; returns the outcome of the claim.
async fn srp_sign_in(w: &World, pool_id: &str, client_id: &str, name: &str, password: &str) -> Result<AuthOutcome> {
    let a = BigUint::from_bytes_be(&[0x5a; 64]);
    let start = AuthRequest {
        client_id: client_id.into(),
        pool_id: None,
        flow: crate::signin::AuthFlow::UserSrpAuth,
        parameters: BTreeMap::from([
            ("USERNAME".to_string(), name.to_string()),
            ("SRP_A".to_string(), srp::to_hex(&srp::client::public(&a))),
        ]),
        client_metadata: None,
        session: None,
    };
    let c = challenge(w.cognate.initiate_auth(start).await?);
    assert_eq!(c.name, crate::signin::ChallengeName::PasswordVerifier);
    let p = &c.parameters;
    let user_id = &p["USER_ID_FOR_SRP"];
    let salt = srp::from_hex(&p["SALT"]).unwrap();
    let b = srp::from_hex(&p["SRP_B"]).unwrap();
    let suffix = srp::pool_suffix(pool_id);
    let key = srp::client::key(&a, &b, &salt, suffix, user_id, password);
    let block = base64::engine::general_purpose::STANDARD.decode(&p["SECRET_BLOCK"]).unwrap();
    let ts = "Sun Nov 22 07:04:03 UTC 2026";
    let signature = srp::client::sign(&key, suffix, user_id, &block, ts);
    let respond = RespondRequest {
        client_id: client_id.into(),
        pool_id: None,
        challenge_name: crate::signin::ChallengeName::PasswordVerifier,
        responses: BTreeMap::from([
            ("USERNAME".to_string(), user_id.clone()),
            ("PASSWORD_CLAIM_SECRET_BLOCK".to_string(), p["SECRET_BLOCK"].clone()),
            ("PASSWORD_CLAIM_SIGNATURE".to_string(), signature),
            ("TIMESTAMP".to_string(), ts.to_string()),
        ]),
        session: None,
        client_metadata: None,
    };
    w.cognate.respond_to_auth_challenge(respond).await
}

async fn srp_pool(w: &World) -> (String, String) {
    let (pool_id, client_id) = pool_and_client(w, email_pool()).await;
    let mut client = w.cognate.store.get_client(&client_id).await.unwrap().unwrap();
    client.settings.explicit_auth_flows =
        Some(vec!["ALLOW_USER_SRP_AUTH".into(), "ALLOW_USER_PASSWORD_AUTH".into(), "ALLOW_REFRESH_TOKEN_AUTH".into()]);
    w.cognate.store.update_client(&client).await.unwrap();
    (pool_id, client_id)
}

#[tokio::test]
async fn srp_signs_in_with_the_right_password_only() {
    let w = world();
    let (pool_id, client_id) = srp_pool(&w).await;
    confirmed(&w, &client_id, "sam").await;
    let grant = srp_sign_in(&w, &pool_id, &client_id, "sam", "Passw0rd!").await.unwrap().tokens().unwrap();
    assert_eq!(grant.user.username, "sam");
    let err = srp_sign_in(&w, &pool_id, &client_id, "sam", "wrong").await.unwrap_err();
    assert_eq!(err, DomainError::incorrect_credentials());
}

#[tokio::test]
async fn srp_for_an_unknown_user_is_a_decoy_when_existence_is_hidden() {
    let w = world();
    let (pool_id, client_id) = srp_pool(&w).await;
    let err = srp_sign_in(&w, &pool_id, &client_id, "ghost", "whatever").await.unwrap_err();
    assert_eq!(err, DomainError::user_not_found());
    let mut client = w.cognate.store.get_client(&client_id).await.unwrap().unwrap();
    client.settings.prevent_user_existence_errors = Some("ENABLED".into());
    w.cognate.store.update_client(&client).await.unwrap();
    let err = srp_sign_in(&w, &pool_id, &client_id, "ghost", "whatever").await.unwrap_err();
    assert_eq!(err, DomainError::incorrect_credentials());
}

#[tokio::test]
async fn lockout_doubles_and_is_forgotten_after_a_success() {
    let w = world();
    let (_pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    confirmed(&w, &client_id, "lou").await;
    let attempt = |pw: &'static str| w.cognate.initiate_auth(password_auth(&client_id, "lou", pw));
    for _ in 0..5 {
        assert_eq!(attempt("wrong").await.unwrap_err(), DomainError::incorrect_credentials());
    }
    let locked = DomainError::not_authorized("Password attempts exceeded");
    assert_eq!(attempt("Passw0rd!").await.unwrap_err(), locked);
    w.clock.advance(Duration::from_millis(1000));
    assert_eq!(attempt("wrong").await.unwrap_err(), DomainError::incorrect_credentials());
    // Sixth failure: two seconds.
    w.clock.advance(Duration::from_millis(1999));
    assert_eq!(attempt("Passw0rd!").await.unwrap_err(), locked);
    w.clock.advance(Duration::from_millis(1));
    assert!(attempt("Passw0rd!").await.unwrap().tokens().is_some());
    // The success forgot them: five more failures are free again.
    for _ in 0..4 {
        assert_eq!(attempt("wrong").await.unwrap_err(), DomainError::incorrect_credentials());
    }
    assert!(attempt("Passw0rd!").await.is_ok());
}

#[tokio::test]
async fn fifteen_quiet_minutes_forget_failures() {
    let w = world();
    let (_pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    confirmed(&w, &client_id, "kim").await;
    for _ in 0..4 {
        w.cognate.initiate_auth(password_auth(&client_id, "kim", "wrong")).await.unwrap_err();
    }
    w.clock.advance(Duration::from_secs(15 * 60));
    w.cognate.initiate_auth(password_auth(&client_id, "kim", "wrong")).await.unwrap_err();
    // Only one failure counts now, so the right password is not locked out.
    assert!(w.cognate.initiate_auth(password_auth(&client_id, "kim", "Passw0rd!")).await.is_ok());
}

fn create(pool_id: &str, name: &str, temporary: Option<&str>) -> AdminCreateUserRequest {
    AdminCreateUserRequest {
        pool_id: pool_id.into(),
        username: name.into(),
        attributes: vec![("email".into(), format!("{name}@example.com")), ("email_verified".into(), "true".into())],
        validation_data: None,
        temporary_password: temporary.map(str::to_string),
        force_alias_creation: false,
        message_action: None,
        delivery_mediums: vec![crate::user::Medium::Email],
        client_metadata: None,
    }
}

fn answer_new_password(client_id: &str, c: &Challenge, name: &str, password: &str) -> RespondRequest {
    RespondRequest {
        client_id: client_id.into(),
        pool_id: None,
        challenge_name: crate::signin::ChallengeName::NewPasswordRequired,
        responses: BTreeMap::from([
            ("USERNAME".to_string(), name.to_string()),
            ("NEW_PASSWORD".to_string(), password.to_string()),
        ]),
        session: c.session.clone(),
        client_metadata: None,
    }
}

#[tokio::test]
async fn admin_created_users_must_choose_a_password() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    let user = w.cognate.admin_create_user(create(&pool_id, "ann", None)).await.unwrap();
    assert_eq!(user.status, UserStatus::ForceChangePassword);
    let body = w.mailer.sent.lock().unwrap().last().unwrap().body.clone();
    let temporary = body.rsplit(' ').next().unwrap().trim_end_matches('.').to_string();
    assert!(body.starts_with("Your username is ann and temporary password is "), "{body}");
    let c = challenge(w.cognate.initiate_auth(password_auth(&client_id, "ann", &temporary)).await.unwrap());
    assert_eq!(c.name, crate::signin::ChallengeName::NewPasswordRequired);
    let weak = w.cognate.respond_to_auth_challenge(answer_new_password(&client_id, &c, "ann", "weak")).await;
    assert!(matches!(weak, Err(DomainError::InvalidPassword(_))));
    let done = w.cognate.respond_to_auth_challenge(answer_new_password(&client_id, &c, "ann", "N3w-passw0rd")).await;
    assert!(done.unwrap().tokens().is_some());
    let again = w.cognate.respond_to_auth_challenge(answer_new_password(&client_id, &c, "ann", "N3w-passw0rd")).await;
    assert_eq!(again.unwrap_err(), DomainError::not_authorized("Invalid session for the user."));
    assert_eq!(w.cognate.admin_get_user(&pool_id, "ann").await.unwrap().status, UserStatus::Confirmed);
}

#[tokio::test]
async fn sessions_and_temporary_passwords_expire() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.admin_create_user(create(&pool_id, "bo", Some("Temp-passw0rd"))).await.unwrap();
    let c = challenge(w.cognate.initiate_auth(password_auth(&client_id, "bo", "Temp-passw0rd")).await.unwrap());
    w.clock.advance(Duration::from_secs(3 * 60));
    let late = w.cognate.respond_to_auth_challenge(answer_new_password(&client_id, &c, "bo", "N3w-passw0rd")).await;
    assert_eq!(late.unwrap_err(), DomainError::not_authorized("Invalid session for the user, session is expired."));
    w.clock.advance(Duration::from_secs(7 * 86_400));
    let err = w.cognate.initiate_auth(password_auth(&client_id, "bo", "Temp-passw0rd")).await.unwrap_err();
    assert_eq!(
        err,
        DomainError::not_authorized("Temporary password has expired and must be reset by an administrator.")
    );
}

#[tokio::test]
async fn forgot_password_codes_last_an_hour_and_are_spent_once() {
    let w = world();
    let (_pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    confirmed(&w, &client_id, "fay").await;
    w.cognate.forgot_password(&client_id, None, "fay", None).await.unwrap();
    let code = w.mailer.last_code();
    w.clock.advance(Duration::from_secs(3600));
    let err = w.cognate.confirm_forgot_password(&client_id, None, "fay", &code, "N3w-passw0rd", None).await;
    assert!(matches!(err, Err(DomainError::ExpiredCode(_))));
    w.cognate.forgot_password(&client_id, None, "fay", None).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_forgot_password(&client_id, None, "fay", &code, "N3w-passw0rd", None).await.unwrap();
    let err = w.cognate.confirm_forgot_password(&client_id, None, "fay", &code, "Other-passw0rd", None).await;
    assert!(matches!(err, Err(DomainError::ExpiredCode(_))));
    assert!(w.cognate.initiate_auth(password_auth(&client_id, "fay", "N3w-passw0rd")).await.is_ok());
}

#[tokio::test]
async fn global_sign_out_revokes_every_sign_in_and_revoke_token_one() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    confirmed(&w, &client_id, "gus").await;
    let sign_in = || async { w.cognate.initiate_auth(password_auth(&client_id, "gus", "Passw0rd!")).await };
    let first = sign_in().await.unwrap().tokens().unwrap();
    let second = sign_in().await.unwrap().tokens().unwrap();
    w.cognate.revoke_token(&client_id, None, first.refresh_token.as_deref().unwrap()).await.unwrap();
    let err = w.cognate.token_user(&pool_id, &first.user.sub, Some(&first.origin_jti)).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("Access Token has been revoked"));
    assert!(w.cognate.token_user(&pool_id, &second.user.sub, Some(&second.origin_jti)).await.is_ok());
    w.cognate.admin_user_global_sign_out(&pool_id, "gus").await.unwrap();
    assert!(w.cognate.token_user(&pool_id, &second.user.sub, Some(&second.origin_jti)).await.is_err());
    let third = sign_in().await.unwrap().tokens().unwrap();
    assert!(w.cognate.token_user(&pool_id, &third.user.sub, Some(&third.origin_jti)).await.is_ok());
}

#[tokio::test]
async fn a_password_sign_in_gives_users_without_a_verifier_one() {
    let w = world();
    let (pool_id, client_id) = srp_pool(&w).await;
    confirmed(&w, &client_id, "old").await;
    let user = w.cognate.admin_get_user(&pool_id, "old").await.unwrap();
    let forget = crate::user::UserUpdate { srp_verifier: Some(None), ..Default::default() };
    w.cognate.store.update_user(&pool_id, &user.sub, &forget, w.cognate.clock.now()).await.unwrap();
    let err = srp_sign_in(&w, &pool_id, &client_id, "old", "Passw0rd!").await.unwrap_err();
    assert_eq!(err, DomainError::incorrect_credentials());
    w.cognate.initiate_auth(password_auth(&client_id, "old", "Passw0rd!")).await.unwrap();
    assert!(srp_sign_in(&w, &pool_id, &client_id, "old", "Passw0rd!").await.unwrap().tokens().is_some());
    let after = w.cognate.admin_get_user(&pool_id, "old").await.unwrap();
    assert_eq!(after.modified, user.modified, "a new verifier is not a change of the user");
}

#[tokio::test]
async fn an_srp_claim_is_refused_while_the_user_is_locked_even_from_an_older_session() {
    let w = world();
    let (pool_id, client_id) = srp_pool(&w).await;
    confirmed(&w, &client_id, "liz").await;
    for _ in 0..5 {
        w.cognate.initiate_auth(password_auth(&client_id, "liz", "wrong")).await.unwrap_err();
    }
    // The lock is checked at the claim, not only when the challenge was opened.
    let err = srp_sign_in(&w, &pool_id, &client_id, "liz", "Passw0rd!").await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("Password attempts exceeded"));
}

#[tokio::test]
async fn attempts_in_flight_count_towards_the_lockout() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    confirmed(&w, &client_id, "fay").await;
    let pool = w.cognate.pool(&pool_id).await.unwrap();
    let user = w.cognate.admin_get_user(&pool_id, "fay").await.unwrap();
    let running: Vec<_> = hold_attempts(&w, &pool, &user, 5).await;
    let err = w.cognate.begin_attempt(&pool, &user).await.err().unwrap();
    assert_eq!(err, DomainError::not_authorized("Password attempts exceeded"));
    drop(running);
    assert!(w.cognate.begin_attempt(&pool, &user).await.is_ok());
}

async fn hold_attempts(
    w: &World,
    pool: &crate::pool::UserPool,
    user: &crate::user::User,
    n: usize,
) -> Vec<super::lockout::Attempt> {
    let mut held = Vec::new();
    for _ in 0..n {
        held.push(w.cognate.begin_attempt(pool, user).await.unwrap());
    }
    held
}

#[tokio::test]
async fn a_code_sent_for_one_email_does_not_verify_another() {
    let w = world();
    let settings =
        crate::pool::PoolSettings { alias_attributes: vec![crate::user::AliasKind::Email], ..Default::default() };
    let (pool_id, client_id) = pool_and_client(&w, settings).await;
    w.cognate.sign_up(signup(&client_id, "eve", "eve@evil.example")).await.unwrap();
    w.cognate.admin_confirm_sign_up(&pool_id, "eve", None).await.unwrap();
    let eve = w.cognate.admin_get_user(&pool_id, "eve").await.unwrap();
    w.cognate.get_user_attribute_verification_code(&eve, "email", None, None).await.unwrap();
    let code = w.mailer.last_code();
    let change = vec![("email".to_string(), "ceo@corp.example".to_string())];
    w.cognate.update_user_attributes(&eve, change, Editor::User, None, None).await.unwrap();
    let eve = w.cognate.admin_get_user(&pool_id, "eve").await.unwrap();
    let err = w.cognate.verify_user_attribute(&eve, "email", &code).await.unwrap_err();
    assert!(matches!(err, DomainError::ExpiredCode(_)), "{err:?}");
    let eve = w.cognate.admin_get_user(&pool_id, "eve").await.unwrap();
    assert_eq!(eve.attribute("email_verified"), Some("false"));
}

#[tokio::test]
async fn verified_flags_cannot_be_set_while_choosing_a_new_password() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.admin_create_user(create(&pool_id, "ivy", Some("Temp-passw0rd"))).await.unwrap();
    let c = challenge(w.cognate.initiate_auth(password_auth(&client_id, "ivy", "Temp-passw0rd")).await.unwrap());
    let mut answer = answer_new_password(&client_id, &c, "ivy", "N3w-passw0rd");
    answer.responses.insert("userAttributes.email".into(), "ceo@corp.example".into());
    answer.responses.insert("userAttributes.email_verified".into(), "true".into());
    let err = w.cognate.respond_to_auth_challenge(answer).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("A client attempted to write unauthorized attribute"));
    let ivy = w.cognate.admin_get_user(&pool_id, "ivy").await.unwrap();
    assert_eq!((ivy.status, ivy.attribute("email")), (UserStatus::ForceChangePassword, Some("ivy@example.com")));
}

#[tokio::test]
async fn a_hidden_unknown_name_reaches_the_same_attempt_limits_as_a_real_user() {
    let w = world();
    let (_pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    let mut client = w.cognate.store.get_client(&client_id).await.unwrap().unwrap();
    client.settings.prevent_user_existence_errors = Some("ENABLED".into());
    w.cognate.store.update_client(&client).await.unwrap();
    w.cognate.sign_up(signup(&client_id, "real", "real@example.com")).await.unwrap();
    let c = &w.cognate;
    let limit = DomainError::attempt_limit();
    let mismatch = DomainError::CodeMismatch("Invalid verification code provided, please try again.".into());
    for name in ["real", "ghost"] {
        for _ in 0..5 {
            c.resend_confirmation_code(&client_id, None, name, None).await.unwrap();
        }
        assert_eq!(c.resend_confirmation_code(&client_id, None, name, None).await.unwrap_err(), limit, "{name}");
        for _ in 0..15 {
            assert_eq!(c.confirm_sign_up(&client_id, None, name, "000000", false, None).await.unwrap_err(), mismatch);
        }
        let err = c.confirm_sign_up(&client_id, None, name, "000000", false, None).await.unwrap_err();
        assert_eq!(err, limit, "{name}");
    }
    confirmed(&w, &client_id, "known").await;
    // A real user who asked for no reset code answers like a made-up name.
    for name in ["known", "nobody"] {
        let err = c.confirm_forgot_password(&client_id, None, name, "000000", "N3w-Passw0rd!", None).await;
        assert_eq!(err.unwrap_err(), mismatch, "{name}");
    }
    for name in ["known", "nobody"] {
        for _ in 0..10 {
            c.forgot_password(&client_id, None, name, None).await.unwrap();
        }
        assert_eq!(c.forgot_password(&client_id, None, name, None).await.unwrap_err(), limit, "{name}");
    }
    // An hour later the counts start again, for names as for users.
    w.clock.advance(Duration::from_secs(3600));
    c.forgot_password(&client_id, None, "nobody", None).await.unwrap();
    c.resend_confirmation_code(&client_id, None, "ghost", None).await.unwrap();
}

#[tokio::test]
async fn a_hidden_unknown_name_is_locked_out_like_a_real_user() {
    let w = world();
    let (pool_id, client_id) = srp_pool(&w).await;
    let mut client = w.cognate.store.get_client(&client_id).await.unwrap().unwrap();
    client.settings.prevent_user_existence_errors = Some("ENABLED".into());
    w.cognate.store.update_client(&client).await.unwrap();
    confirmed(&w, &client_id, "rae").await;
    let locked = DomainError::not_authorized("Password attempts exceeded");
    for name in ["rae", "ghost"] {
        // Three wrong passwords, two wrong SRP claims: five failures, shared by both flows.
        for _ in 0..3 {
            let err = w.cognate.initiate_auth(password_auth(&client_id, name, "wrong")).await.unwrap_err();
            assert_eq!(err, DomainError::incorrect_credentials(), "{name}");
        }
        for _ in 0..2 {
            let err = srp_sign_in(&w, &pool_id, &client_id, name, "wrong").await.unwrap_err();
            assert_eq!(err, DomainError::incorrect_credentials(), "{name}");
        }
        let err = w.cognate.initiate_auth(password_auth(&client_id, name, "wrong")).await.unwrap_err();
        assert_eq!(err, locked, "{name}");
        assert_eq!(srp_sign_in(&w, &pool_id, &client_id, name, "wrong").await.unwrap_err(), locked, "{name}");
    }
    // A second later the lock is over for both, and the next failure locks for two seconds.
    w.clock.advance(Duration::from_secs(1));
    for name in ["rae", "ghost"] {
        let err = w.cognate.initiate_auth(password_auth(&client_id, name, "wrong")).await.unwrap_err();
        assert_eq!(err, DomainError::incorrect_credentials(), "{name}");
    }
    w.clock.advance(Duration::from_millis(1999));
    for name in ["rae", "ghost"] {
        let err = w.cognate.initiate_auth(password_auth(&client_id, name, "wrong")).await.unwrap_err();
        assert_eq!(err, locked, "{name}");
    }
}

#[tokio::test]
async fn a_message_its_instance_never_delivered_is_delivered_once_its_lease_runs_out() {
    use crate::ports::OutboxQuery;
    use crate::user::{Medium, OutboxMessage, SealedText};
    let mut w = world();
    w.cognate.config.keep_message_text = false;
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    // Delivered on the request path: nothing of the text stays, sealed or not.
    w.cognate.sign_up(signup(&client_id, "ann", "ann@example.com")).await.unwrap();
    let out = w.cognate.store.list_outbox(&OutboxQuery::default()).await.unwrap();
    assert_eq!(
        (out[0].status.as_str(), out[0].message.body.as_str(), out[0].message.sealed.as_deref()),
        ("sent", "", None)
    );

    // Queued by an instance that died before delivering: sealed, pending.
    let text = SealedText {
        subject: Some("Your code".into()),
        body: "Your code is 123456".into(),
        code: Some("123456".into()),
    };
    let lost = OutboxMessage {
        pool_id: pool_id.clone(),
        username: "bob".into(),
        recipient: "bob@example.com".into(),
        medium: Medium::Email,
        kind: "SignUp".into(),
        subject: None,
        body: String::new(),
        code: None,
        created: w.cognate.clock.now(),
        keep_text: false,
        sealed: Some(w.cognate.seal_text(&text)),
    };
    w.cognate.store.queue_message(&lost).await.unwrap();
    let garbled =
        OutboxMessage { recipient: "eve@example.com".into(), sealed: Some("other-key:…".into()), ..lost.clone() };
    w.cognate.store.queue_message(&garbled).await.unwrap();
    assert_eq!(w.cognate.redeliver(10).await.unwrap(), 0, "its instance still holds it");
    w.clock.advance(w.cognate.config.delivery_lease);
    assert_eq!(w.cognate.redeliver(10).await.unwrap(), 2);
    let sent = w.mailer.sent.lock().unwrap().clone();
    let bob = sent.iter().find(|m| m.recipient == "bob@example.com").expect("delivered");
    assert_eq!((bob.body.as_str(), bob.subject.as_deref()), ("Your code is 123456", Some("Your code")));
    assert!(!sent.iter().any(|m| m.recipient == "eve@example.com"), "not readable with this key");
    let out = w.cognate.store.list_outbox(&OutboxQuery::default()).await.unwrap();
    let status = |to: &str| out.iter().find(|e| e.message.recipient == to).unwrap().status.clone();
    assert_eq!((status("bob@example.com"), status("eve@example.com")), ("sent".into(), "failed".into()));
    w.clock.advance(w.cognate.config.delivery_lease * 2);
    assert_eq!(w.cognate.redeliver(10).await.unwrap(), 0, "delivered once");
}
