//! Second factors with the fake clock: codes, steps and session lifetimes.

use std::time::Duration;

use super::tests::{pool_and_client, signup, world, World};
use super::*;
use crate::pool::{EmailMfa, MfaConfig, MfaMode, PoolSettings};
use crate::signin::ChallengeName;
use crate::totp;
use crate::user::{AliasKind, MfaFactor};

fn pool_with(mode: MfaMode, email: bool) -> PoolSettings {
    PoolSettings {
        auto_verified_attributes: vec![AliasKind::Email],
        lambda_config: vec![(
            "PostAuthentication".into(),
            "arn:aws:lambda:us-east-1:123456789012:function:post".into(),
        )],
        mfa: MfaConfig { mode, software_token: true, email: email.then(EmailMfa::default), ..Default::default() },
        ..Default::default()
    }
}

/// A confirmed user `alice` in a fresh pool; returns the client id.
async fn alice(w: &World, settings: PoolSettings) -> (String, String) {
    let (pool_id, client_id) = pool_and_client(w, settings).await;
    w.cognate.sign_up(signup(&client_id, "alice", "alice@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_sign_up(&client_id, None, "alice", &code, false, None).await.unwrap();
    (pool_id, client_id)
}

fn challenge(outcome: AuthOutcome) -> Challenge {
    match outcome {
        AuthOutcome::Challenge(c) => c,
        AuthOutcome::Tokens(_) | AuthOutcome::SignedIn(_) => panic!("tokens where a challenge was expected"),
    }
}

async fn sign_in(w: &World, client_id: &str) -> Result<AuthOutcome> {
    w.cognate.initiate_auth(super::tests::password_auth(client_id, "alice", "Passw0rd!")).await
}

fn answer(client_id: &str, name: ChallengeName, session: &str, key: &str, value: &str) -> RespondRequest {
    RespondRequest {
        client_id: client_id.into(),
        pool_id: None,
        challenge_name: name,
        responses: [("USERNAME".to_string(), "alice".to_string()), (key.to_string(), value.to_string())].into(),
        session: Some(session.into()),
        client_metadata: None,
    }
}

/// Pairs an app for alice and turns it on; returns the secret's bytes.
async fn pair_app(w: &World, pool_id: &str) -> Vec<u8> {
    let user = w.cognate.admin_get_user(pool_id, "alice").await.unwrap();
    let (secret, session) = w.cognate.associate_software_token(TokenHolder::User(Box::new(user))).await.unwrap();
    assert!(session.is_none());
    let secret = totp::unbase32(&secret).unwrap();
    let user = w.cognate.admin_get_user(pool_id, "alice").await.unwrap();
    let code = totp::code(&secret, totp::step_at(w.cognate.clock.now()));
    w.cognate.verify_software_token(TokenHolder::User(Box::new(user)), &code, Some("phone".into())).await.unwrap();
    let on = FactorSetting { enabled: Some(true), preferred: Some(true) };
    let preference = MfaPreference { software_token: Some(on), ..Default::default() };
    w.cognate.admin_set_user_mfa_preference(pool_id, "alice", &preference).await.unwrap();
    secret
}

#[tokio::test]
async fn an_app_code_is_asked_for_checked_and_spent_once() {
    let w = world();
    let (pool_id, client_id) = alice(&w, pool_with(MfaMode::Optional, false)).await;
    let secret = pair_app(&w, &pool_id).await;
    let c = challenge(sign_in(&w, &client_id).await.unwrap());
    assert_eq!(c.name, ChallengeName::SoftwareTokenMfa);
    assert_eq!(c.parameters.get("FRIENDLY_DEVICE_NAME").map(String::as_str), Some("phone"));
    assert!(!w.triggers.sources().iter().any(|s| s.starts_with("PostAuthentication")), "not before the code");
    let session = c.session.unwrap();
    // The step VerifySoftwareToken used is spent already.
    let spent = totp::code(&secret, totp::step_at(w.cognate.clock.now()));
    let request = answer(&client_id, ChallengeName::SoftwareTokenMfa, &session, "SOFTWARE_TOKEN_MFA_CODE", &spent);
    let err = w.cognate.respond_to_auth_challenge(request).await.unwrap_err();
    assert_eq!(err, DomainError::ExpiredCode("Your software token has already been used once.".into()));
    w.clock.advance(Duration::from_secs(30));
    let fresh = totp::code(&secret, totp::step_at(w.cognate.clock.now()));
    let request = answer(&client_id, ChallengeName::SoftwareTokenMfa, &session, "SOFTWARE_TOKEN_MFA_CODE", &fresh);
    assert!(w.cognate.respond_to_auth_challenge(request).await.unwrap().tokens().is_some());
    assert!(w.triggers.sources().iter().any(|s| s == "PostAuthentication_Authentication"));
}

#[tokio::test]
async fn codes_outside_the_skew_window_do_not_match() {
    let w = world();
    let (pool_id, client_id) = alice(&w, pool_with(MfaMode::Optional, false)).await;
    let secret = pair_app(&w, &pool_id).await;
    w.clock.advance(Duration::from_secs(600));
    let session = challenge(sign_in(&w, &client_id).await.unwrap()).session.unwrap();
    let now = totp::step_at(w.cognate.clock.now());
    for step in [now - 2, now + 2] {
        let code = totp::code(&secret, step);
        let request = answer(&client_id, ChallengeName::SoftwareTokenMfa, &session, "SOFTWARE_TOKEN_MFA_CODE", &code);
        let err = w.cognate.respond_to_auth_challenge(request).await.unwrap_err();
        assert_eq!(err, DomainError::CodeMismatch("Invalid code received for user".into()));
    }
    let code = totp::code(&secret, now - 1);
    let request = answer(&client_id, ChallengeName::SoftwareTokenMfa, &session, "SOFTWARE_TOKEN_MFA_CODE", &code);
    assert!(w.cognate.respond_to_auth_challenge(request).await.is_ok(), "one step late is accepted");
}

#[tokio::test]
async fn an_mfa_session_expires_with_the_clients_session_validity() {
    let w = world();
    let (pool_id, client_id) = alice(&w, pool_with(MfaMode::Optional, false)).await;
    let secret = pair_app(&w, &pool_id).await;
    let session = challenge(sign_in(&w, &client_id).await.unwrap()).session.unwrap();
    w.clock.advance(Duration::from_secs(3 * 60));
    let code = totp::code(&secret, totp::step_at(w.cognate.clock.now()));
    let request = answer(&client_id, ChallengeName::SoftwareTokenMfa, &session, "SOFTWARE_TOKEN_MFA_CODE", &code);
    let err = w.cognate.respond_to_auth_challenge(request).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("Invalid session for the user, session is expired."));
}

#[tokio::test]
async fn an_emailed_code_takes_five_wrong_answers_then_the_session_is_gone() {
    let w = world();
    let (pool_id, client_id) = alice(&w, pool_with(MfaMode::Optional, true)).await;
    let on = FactorSetting { enabled: Some(true), preferred: None };
    let preference = MfaPreference { email: Some(on), ..Default::default() };
    w.cognate.admin_set_user_mfa_preference(&pool_id, "alice", &preference).await.unwrap();
    let c = challenge(sign_in(&w, &client_id).await.unwrap());
    assert_eq!(c.name, ChallengeName::EmailOtp);
    assert_eq!(c.parameters.get("CODE_DELIVERY_DESTINATION").map(String::as_str), Some("a***@e***.com"));
    let sent = w.mailer.sent.lock().unwrap().last().cloned().unwrap();
    assert_eq!((sent.kind.as_str(), sent.subject.as_deref()), ("Authentication", Some("Your authentication code")));
    let code = w.mailer.last_code();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let session = c.session.unwrap();
    for _ in 0..5 {
        let request = answer(&client_id, ChallengeName::EmailOtp, &session, "EMAIL_OTP_CODE", &wrong);
        let err = w.cognate.respond_to_auth_challenge(request).await.unwrap_err();
        assert_eq!(err, DomainError::CodeMismatch("Invalid code or auth state for the user.".into()));
    }
    let request = answer(&client_id, ChallengeName::EmailOtp, &session, "EMAIL_OTP_CODE", &code);
    let err = w.cognate.respond_to_auth_challenge(request).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("Invalid session for the user."));
}

#[tokio::test]
async fn mfa_on_without_a_factor_sets_up_an_app_inside_the_sign_in() {
    let w = world();
    let (pool_id, client_id) = alice(&w, pool_with(MfaMode::On, false)).await;
    let c = challenge(sign_in(&w, &client_id).await.unwrap());
    assert_eq!(c.name, ChallengeName::MfaSetup);
    assert_eq!(c.parameters.get("MFAS_CAN_SETUP").map(String::as_str), Some("[\"SOFTWARE_TOKEN_MFA\"]"));
    let first = c.session.unwrap();
    let (secret, second) = w.cognate.associate_software_token(TokenHolder::Session(first.clone())).await.unwrap();
    let second = second.unwrap();
    let err = w.cognate.associate_software_token(TokenHolder::Session(first)).await.unwrap_err();
    assert_eq!(err, DomainError::not_authorized("Invalid session for the user."), "spent");
    let secret = totp::unbase32(&secret).unwrap();
    let code = totp::code(&secret, totp::step_at(w.cognate.clock.now()));
    let third = w.cognate.verify_software_token(TokenHolder::Session(second), &code, None).await.unwrap().unwrap();
    let request = answer(&client_id, ChallengeName::MfaSetup, &third, "USERNAME", "alice");
    assert!(w.cognate.respond_to_auth_challenge(request).await.unwrap().tokens().is_some());
    let user = w.cognate.admin_get_user(&pool_id, "alice").await.unwrap();
    assert_eq!(user.mfa.choice.enabled, vec![MfaFactor::SoftwareToken]);
    assert_eq!(user.mfa.choice.preferred, Some(MfaFactor::SoftwareToken));
    assert!(user.mfa.totp_pending.is_none());
}
