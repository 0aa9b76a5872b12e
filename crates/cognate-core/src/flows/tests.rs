//! Flow tests with in-memory ports and a fake clock.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use crate::client::ClientSettings;
use crate::pool::PoolSettings;
use crate::testkit::*;
use crate::user::{AliasKind, UserStatus};

pub(super) struct World {
    pub cognate: Cognate,
    pub clock: Arc<FakeClock>,
    pub mailer: Arc<FakeMailer>,
    pub triggers: Arc<FakeTriggers>,
}

pub(super) fn world() -> World {
    let clock = Arc::new(FakeClock::default());
    let mailer = Arc::new(FakeMailer::default());
    let triggers = Arc::new(FakeTriggers::default());
    let cognate = Cognate {
        store: Arc::new(MemStore::default()),
        clock: clock.clone(),
        rng: Arc::new(SeqRng::default()),
        passwords: Arc::new(PlainPasswords),
        mailer: mailer.clone(),
        triggers: triggers.clone(),
        sealer: Arc::new(PlainSealer),
        cpu: Arc::new(InlineCpu),
        passkeys: Arc::new(NoPasskeys),
        config: CoreConfig::default(),
        dummy_hash: Default::default(),
        in_flight: Default::default(),
    };
    World { cognate, clock, mailer, triggers }
}

pub(super) async fn pool_and_client(w: &World, settings: PoolSettings) -> (String, String) {
    let pool = w.cognate.create_pool("p".into(), settings, None).await.unwrap();
    let client_settings = ClientSettings {
        explicit_auth_flows: Some(vec!["ALLOW_USER_PASSWORD_AUTH".into(), "ALLOW_REFRESH_TOKEN_AUTH".into()]),
        ..Default::default()
    };
    let client = w.cognate.create_client(&pool.id, "c".into(), false, client_settings).await.unwrap();
    (pool.id, client.client_id)
}

pub(super) fn email_pool() -> PoolSettings {
    PoolSettings { auto_verified_attributes: vec![AliasKind::Email], ..Default::default() }
}

pub(super) fn signup(client_id: &str, username: &str, email: &str) -> SignUpRequest {
    SignUpRequest {
        client_id: client_id.into(),
        secret_hash: None,
        username: username.into(),
        password: Some("Passw0rd!".into()),
        attributes: vec![("email".into(), email.into())],
        validation_data: None,
        client_metadata: None,
    }
}

pub(super) fn password_auth(client_id: &str, username: &str, password: &str) -> AuthRequest {
    AuthRequest {
        client_id: client_id.into(),
        pool_id: None,
        flow: crate::signin::AuthFlow::UserPasswordAuth,
        parameters: [("USERNAME".to_string(), username.to_string()), ("PASSWORD".to_string(), password.to_string())]
            .into(),
        client_metadata: None,
        session: None,
    }
}

#[tokio::test]
async fn sign_up_confirm_sign_in() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    let result = w.cognate.sign_up(signup(&client_id, "alice", "alice@example.com")).await.unwrap();
    assert!(!result.confirmed);
    assert_eq!(result.delivery.unwrap().destination, "a***@e***.com");
    let err = w.cognate.initiate_auth(password_auth(&client_id, "alice", "Passw0rd!")).await.unwrap_err();
    assert_eq!(err, DomainError::UserNotConfirmed("User is not confirmed.".into()));
    let err = w.cognate.initiate_auth(password_auth(&client_id, "alice", "wrong")).await.unwrap_err();
    assert_eq!(err, DomainError::incorrect_credentials());
    let code = w.mailer.last_code();
    let user = w.cognate.confirm_sign_up(&client_id, None, "alice", &code, false, None).await.unwrap();
    assert_eq!(user.status, UserStatus::Confirmed);
    assert_eq!(user.attribute("email_verified"), Some("true"));
    let err = w.cognate.confirm_sign_up(&client_id, None, "alice", &code, false, None).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("User cannot be confirmed. Current status is CONFIRMED"));
    let grant =
        w.cognate.initiate_auth(password_auth(&client_id, "alice", "Passw0rd!")).await.unwrap().tokens().unwrap();
    assert!(grant.refresh_token.is_some());
    let stored = w.cognate.admin_get_user(&pool_id, "alice").await.unwrap();
    assert_eq!(stored.status, UserStatus::Confirmed);
}

#[tokio::test]
async fn codes_expire_and_resend_replaces_them() {
    let w = world();
    let (_, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.sign_up(signup(&client_id, "bob", "bob@example.com")).await.unwrap();
    let first = w.mailer.last_code();
    w.cognate.resend_confirmation_code(&client_id, None, "bob", None).await.unwrap();
    let second = w.mailer.last_code();
    if first != second {
        let err = w.cognate.confirm_sign_up(&client_id, None, "bob", &first, false, None).await.unwrap_err();
        assert!(matches!(err, DomainError::CodeMismatch(_)));
    }
    w.clock.advance(Duration::from_secs(24 * 3600));
    let err = w.cognate.confirm_sign_up(&client_id, None, "bob", &second, false, None).await.unwrap_err();
    assert!(matches!(err, DomainError::ExpiredCode(_)));
}

#[tokio::test]
async fn brute_force_is_stopped_by_the_attempt_limit() {
    let w = world();
    let (_, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.sign_up(signup(&client_id, "carol", "carol@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..15 {
        let err = w.cognate.confirm_sign_up(&client_id, None, "carol", wrong, false, None).await.unwrap_err();
        assert!(matches!(err, DomainError::CodeMismatch(_)));
    }
    let err = w.cognate.confirm_sign_up(&client_id, None, "carol", &code, false, None).await.unwrap_err();
    assert_eq!(err, DomainError::attempt_limit());
    w.clock.advance(Duration::from_secs(3601));
    w.cognate.confirm_sign_up(&client_id, None, "carol", &code, false, None).await.unwrap();
}

#[tokio::test]
async fn failed_delivery_leaves_no_user() {
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, email_pool()).await;
    w.mailer.fail.store(true, Ordering::SeqCst);
    let err = w.cognate.sign_up(signup(&client_id, "dave", "dave@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::CodeDeliveryFailure(_)));
    let err = w.cognate.admin_get_user(&pool_id, "dave").await.unwrap_err();
    assert!(matches!(err, DomainError::UserNotFound(_)));
    w.mailer.fail.store(false, Ordering::SeqCst);
    w.cognate.sign_up(signup(&client_id, "dave", "dave@example.com")).await.unwrap();
}

#[tokio::test]
async fn email_as_username_is_unique_and_signs_in() {
    let w = world();
    let settings = PoolSettings { username_attributes: vec![AliasKind::Email], ..email_pool() };
    let (pool_id, client_id) = pool_and_client(&w, settings).await;
    let mut req = signup(&client_id, "erin@example.com", "erin@example.com");
    req.attributes.clear();
    let res = w.cognate.sign_up(req).await.unwrap();
    let user = w.cognate.admin_get_user(&pool_id, "erin@example.com").await.unwrap();
    assert_eq!(user.username, res.sub);
    let mut dup = signup(&client_id, "erin@example.com", "erin@example.com");
    dup.attributes.clear();
    let err = w.cognate.sign_up(dup).await.unwrap_err();
    assert_eq!(err, DomainError::UsernameExists("An account with the given email already exists.".into()));
    let bad = signup(&client_id, "not-an-email", "x@example.com");
    assert!(matches!(w.cognate.sign_up(bad).await.unwrap_err(), DomainError::InvalidParameter(_)));
}

#[tokio::test]
async fn alias_conflicts_and_forced_moves() {
    let w = world();
    let settings = PoolSettings { alias_attributes: vec![AliasKind::Email], ..email_pool() };
    let (pool_id, client_id) = pool_and_client(&w, settings).await;
    w.cognate.sign_up(signup(&client_id, "first", "same@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_sign_up(&client_id, None, "first", &code, false, None).await.unwrap();
    w.cognate.sign_up(signup(&client_id, "second", "same@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    let err = w.cognate.confirm_sign_up(&client_id, None, "second", &code, false, None).await.unwrap_err();
    assert_eq!(err, DomainError::AliasExists("An account with the email already exists.".into()));
    w.cognate.confirm_sign_up(&client_id, None, "second", &code, true, None).await.unwrap();
    let first = w.cognate.admin_get_user(&pool_id, "first").await.unwrap();
    assert_eq!(first.attribute("email_verified"), Some("false"));
    let by_alias = w.cognate.admin_get_user(&pool_id, "same@example.com").await.unwrap();
    assert_eq!(by_alias.username, "second");
    let err = w.cognate.sign_up(signup(&client_id, "x@example.com", "x@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::InvalidParameter(_)));
}

#[tokio::test]
async fn case_insensitive_pools_fold_usernames() {
    let w = world();
    let settings = PoolSettings { case_sensitive: Some(false), ..email_pool() };
    let (_, client_id) = pool_and_client(&w, settings).await;
    w.cognate.sign_up(signup(&client_id, "Alice", "a@example.com")).await.unwrap();
    let err = w.cognate.sign_up(signup(&client_id, "alice", "a@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::UsernameExists(_)));
}

#[tokio::test]
async fn secret_hash_is_required_for_secret_clients() {
    let w = world();
    let pool = w.cognate.create_pool("p".into(), email_pool(), None).await.unwrap();
    let client = w.cognate.create_client(&pool.id, "c".into(), true, ClientSettings::default()).await.unwrap();
    let err = w.cognate.sign_up(signup(&client.client_id, "frank", "f@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::NotAuthorized(m) if m.contains("configured for secret")));
    let mut req = signup(&client.client_id, "frank", "f@example.com");
    req.secret_hash = Some(crate::secret_hash::compute(client.secret.as_deref().unwrap(), "frank", &client.client_id));
    w.cognate.sign_up(req).await.unwrap();
}

#[tokio::test]
async fn refresh_keeps_the_session_facts() {
    let w = world();
    let (_, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.sign_up(signup(&client_id, "gina", "g@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_sign_up(&client_id, None, "gina", &code, false, None).await.unwrap();
    let grant =
        w.cognate.initiate_auth(password_auth(&client_id, "gina", "Passw0rd!")).await.unwrap().tokens().unwrap();
    w.clock.advance(Duration::from_secs(60));
    let refresh = AuthRequest {
        client_id: client_id.clone(),
        pool_id: None,
        flow: crate::signin::AuthFlow::RefreshTokenAuth,
        parameters: [("REFRESH_TOKEN".to_string(), grant.refresh_token.clone().unwrap())].into(),
        client_metadata: None,
        session: None,
    };
    let again = w.cognate.initiate_auth(refresh).await.unwrap().tokens().unwrap();
    assert_eq!(again.origin_jti, grant.origin_jti);
    assert_eq!(again.auth_time, grant.auth_time);
    assert!(again.refresh_token.is_none());
}

fn pool_with(trigger: &str) -> PoolSettings {
    PoolSettings {
        lambda_config: vec![(trigger.into(), format!("arn:aws:lambda:us-east-1:123456789012:function:{trigger}"))],
        ..email_pool()
    }
}

#[tokio::test]
async fn pre_sign_up_can_confirm_and_verify() {
    use crate::triggers::TriggerResponse;
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, pool_with("PreSignUp")).await;
    let answer = TriggerResponse { auto_confirm_user: true, auto_verify_email: true, ..Default::default() };
    w.triggers.answer("PreSignUp", Ok(answer));
    let mut req = signup(&client_id, "hank", "hank@example.com");
    req.client_metadata = Some([("k".to_string(), "v".to_string())].into());
    let res = w.cognate.sign_up(req).await.unwrap();
    assert!(res.confirmed);
    assert!(res.delivery.is_none());
    assert!(w.mailer.sent.lock().unwrap().is_empty());
    let user = w.cognate.admin_get_user(&pool_id, "hank").await.unwrap();
    assert_eq!((user.status, user.attribute("email_verified")), (UserStatus::Confirmed, Some("true")));
    let call = w.triggers.calls.lock().unwrap()[0].clone();
    assert_eq!(call.source, "PreSignUp_SignUp");
    assert_eq!(call.client_id.as_deref(), Some(client_id.as_str()));
    assert_eq!(call.request.client_metadata.unwrap()["k"], "v");
    assert!(!call.request.user_attributes.contains_key("sub"));
}

#[tokio::test]
async fn a_failing_pre_sign_up_creates_nobody() {
    use crate::triggers::TriggerError;
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, pool_with("PreSignUp")).await;
    w.triggers.answer("PreSignUp", Err(TriggerError::Failed("Domain not allowed.".into())));
    let err = w.cognate.sign_up(signup(&client_id, "ivan", "ivan@example.com")).await.unwrap_err();
    assert_eq!(err, DomainError::UserLambdaValidation("PreSignUp failed with error Domain not allowed..".into()));
    assert!(matches!(w.cognate.admin_get_user(&pool_id, "ivan").await, Err(DomainError::UserNotFound(_))));
    w.triggers.answer("PreSignUp", Err(TriggerError::Timeout));
    let err = w.cognate.sign_up(signup(&client_id, "ivan", "ivan@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::UnexpectedLambda(m) if m.contains("Socket timeout")));
}

#[tokio::test]
async fn post_confirmation_failure_leaves_the_user_confirmed() {
    use crate::triggers::TriggerError;
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, pool_with("PostConfirmation")).await;
    w.cognate.sign_up(signup(&client_id, "jo", "jo@example.com")).await.unwrap();
    w.triggers.answer("PostConfirmation", Err(TriggerError::Failed("boom".into())));
    let code = w.mailer.last_code();
    let err = w.cognate.confirm_sign_up(&client_id, None, "jo", &code, false, None).await.unwrap_err();
    assert!(matches!(err, DomainError::UserLambdaValidation(_)));
    assert_eq!(w.cognate.admin_get_user(&pool_id, "jo").await.unwrap().status, UserStatus::Confirmed);
    let call = w.triggers.calls.lock().unwrap().last().cloned().unwrap();
    assert_eq!(call.request.user_attributes["cognito:user_status"], "CONFIRMED");
}

#[tokio::test]
async fn custom_message_replaces_the_text_and_keeps_the_code() {
    use crate::triggers::TriggerResponse;
    let w = world();
    let (_, client_id) = pool_and_client(&w, pool_with("CustomMessage")).await;
    let answer = TriggerResponse {
        email_message: Some("Welcome! Code: {####}".into()),
        email_subject: Some("Hi".into()),
        ..Default::default()
    };
    w.triggers.answer("CustomMessage", Ok(answer));
    w.cognate.sign_up(signup(&client_id, "kim", "kim@example.com")).await.unwrap();
    let sent = w.mailer.sent.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent.subject.as_deref(), Some("Hi"));
    assert!(sent.body.starts_with("Welcome! Code: ") && !sent.body.contains("{####}"));
    let lost = TriggerResponse { email_message: Some("no code here".into()), ..Default::default() };
    w.triggers.answer("CustomMessage", Ok(lost));
    let err = w.cognate.sign_up(signup(&client_id, "lee", "lee@example.com")).await.unwrap_err();
    assert!(matches!(err, DomainError::InvalidLambdaResponse(_)));
}

#[tokio::test]
async fn user_migration_creates_the_user_on_first_sign_in() {
    use crate::triggers::{MigratedUser, TriggerResponse};
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, pool_with("UserMigration")).await;
    let migrated = MigratedUser {
        user_attributes: [("email".to_string(), "mo@example.com".to_string())].into(),
        final_user_status: Some("CONFIRMED".into()),
        ..Default::default()
    };
    w.triggers.answer("UserMigration", Ok(TriggerResponse { migration: Some(migrated), ..Default::default() }));
    let grant =
        w.cognate.initiate_auth(password_auth(&client_id, "mo", "Old-passw0rd")).await.unwrap().tokens().unwrap();
    assert_eq!(grant.user.username, "mo");
    let user = w.cognate.admin_get_user(&pool_id, "mo").await.unwrap();
    assert_eq!(user.status, UserStatus::Confirmed);
    w.cognate.initiate_auth(password_auth(&client_id, "mo", "Old-passw0rd")).await.unwrap();
    assert_eq!(w.triggers.sources(), vec!["UserMigration_Authentication"]);
}

#[tokio::test]
async fn user_migration_on_forgot_password_creates_a_user_awaiting_a_reset() {
    use crate::triggers::{MigratedUser, TriggerResponse};
    let w = world();
    let (pool_id, client_id) = pool_and_client(&w, pool_with("UserMigration")).await;
    let migrated = MigratedUser {
        user_attributes: [
            ("email".to_string(), "ray@example.com".to_string()),
            ("email_verified".to_string(), "true".to_string()),
        ]
        .into(),
        final_user_status: Some("CONFIRMED".into()),
        ..Default::default()
    };
    w.triggers.answer("UserMigration", Ok(TriggerResponse { migration: Some(migrated), ..Default::default() }));
    let delivery = w.cognate.forgot_password(&client_id, None, "ray", None).await.unwrap();
    assert_eq!(delivery.destination, "r***@e***.com");
    let user = w.cognate.admin_get_user(&pool_id, "ray").await.unwrap();
    assert_eq!((user.status, user.password_hash.is_none()), (UserStatus::ResetRequired, true));
    let err = w.cognate.initiate_auth(password_auth(&client_id, "ray", "anything")).await.unwrap_err();
    assert!(matches!(err, DomainError::PasswordResetRequired(_)));
    let code = w.mailer.last_code();
    w.cognate.confirm_forgot_password(&client_id, None, "ray", &code, "N3w-passw0rd", None).await.unwrap();
    assert!(w.cognate.initiate_auth(password_auth(&client_id, "ray", "N3w-passw0rd")).await.is_ok());
    assert_eq!(w.triggers.sources()[0], "UserMigration_ForgotPassword");
}

#[tokio::test]
async fn production_outbox_keeps_no_code() {
    use crate::ports::OutboxQuery;
    let mut w = world();
    w.cognate.config.keep_message_text = false;
    let (_, client_id) = pool_and_client(&w, email_pool()).await;
    w.cognate.sign_up(signup(&client_id, "max", "max@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    assert!(w.mailer.sent.lock().unwrap().last().unwrap().body.contains(&code), "the mail has the code");
    let outbox = w.cognate.store.list_outbox(&OutboxQuery::default()).await.unwrap();
    let kept = &outbox.last().unwrap().message;
    assert_eq!((kept.recipient.as_str(), kept.kind.as_str()), ("max@example.com", "SignUp"));
    assert_eq!((kept.subject.as_deref(), kept.body.as_str()), (None, ""));
    w.cognate.config.keep_message_text = true;
    w.cognate.resend_confirmation_code(&client_id, None, "max", None).await.unwrap();
    let outbox = w.cognate.store.list_outbox(&OutboxQuery::default()).await.unwrap();
    assert!(outbox.last().unwrap().message.body.contains(&w.mailer.last_code()), "local development reads it");
}
