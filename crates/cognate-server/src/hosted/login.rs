//! `/login`: the sign-in form, and `/login/challenge`: the steps a sign-in may ask for next
//! (a new password, an MFA code, choosing a factor, setting up an authenticator app).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::flows::{AuthOutcome, Challenge, RespondRequest, TokenHolder};
use cognate_core::signin::ChallengeName;
use cognate_core::DomainError;

use super::forms::{complete, field, secret_hash, PageForm, Visit};
use super::html::Field;
use crate::oauth::Form;
use crate::AppState;

/// The sign-in form; `username` keeps what was typed.
pub fn form(visit: &Visit, username: &str, error: Option<&str>, notice: Option<&str>) -> String {
    let invalid = error.is_some();
    let signup = format!("/signup?{}", visit.query);
    let forgot = format!("/forgotPassword?{}", visit.query);
    let mut links = vec![(forgot, "Forgot your password?")];
    if !visit.authz.pool.settings.allow_admin_create_user_only {
        links.push((signup, "Need an account? Sign up"));
    }
    PageForm {
        look: &visit.look,
        title: "Sign in",
        action: "/login",
        query: &visit.query,
        csrf: &visit.csrf,
        intro: None,
        notice,
        error,
        hidden: vec![],
        fields: vec![
            Field {
                value: username,
                autofocus: username.is_empty(),
                invalid,
                ..field("username", "Username", "text", "username")
            },
            Field {
                autofocus: !username.is_empty(),
                invalid,
                ..field("password", "Password", "password", "current-password")
            },
        ],
        submit: "Sign in",
        links,
    }
    .render()
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let visit = match Visit::start(&state, &headers, query).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let hint = visit.param("login_hint").unwrap_or_default();
    let body = form(&visit, &hint, None, None);
    visit.respond(&state, StatusCode::OK, body)
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let posted = Form::parse(&body);
    let visit = match Visit::post(&state, &headers, query, &posted).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let username = posted.get("username").unwrap_or_default().trim();
    let password = posted.get("password").unwrap_or_default();
    let again = |error: &str| visit.respond(&state, StatusCode::OK, form(&visit, username, Some(error), None));
    if username.is_empty() || password.is_empty() {
        return again("Please enter your username and password.");
    }
    let outcome = state.cognate.hosted_sign_in(&visit.authz, username, password).await;
    match outcome {
        Err(DomainError::UserNotConfirmed(_)) => {
            // Cognito's pages send an unconfirmed user to the code page, with a fresh code.
            let secret = secret_hash(&visit.authz, username);
            let client_id = &visit.authz.client.client_id;
            match state.cognate.resend_confirmation_code(client_id, secret.as_deref(), username, None).await {
                Ok(_) => super::signup::confirm_form(&state, &visit, username, None, true),
                Err(e) => outcome_response(&state, &visit, username, Err(e)).await,
            }
        }
        other => outcome_response(&state, &visit, username, other).await,
    }
}

/// Where a sign-in step leads: the app, the next step, or the same page with the error.
async fn outcome_response(
    state: &AppState,
    visit: &Visit,
    username: &str,
    outcome: Result<AuthOutcome, DomainError>,
) -> Response {
    match outcome {
        Ok(AuthOutcome::SignedIn(signed)) => complete(state, &visit.authz, &signed).await,
        Ok(AuthOutcome::Challenge(challenge)) => challenge_page(state, visit, username, challenge, None, None).await,
        Ok(AuthOutcome::Tokens(_)) => super::failure(&DomainError::Internal("tokens from a hosted sign-in".into())),
        Err(e @ DomainError::Internal(_)) => super::failure(&e),
        Err(DomainError::UserNotFound(_)) => {
            visit.respond(state, StatusCode::OK, form(visit, username, Some("Incorrect username or password."), None))
        }
        Err(e) => visit.respond(state, StatusCode::OK, form(visit, username, Some(&e.to_string()), None)),
    }
}

/// The name a challenge's answers carry as `USERNAME`.
fn challenge_user(challenge: &Challenge, typed: &str) -> String {
    challenge
        .parameters
        .get("USER_ID_FOR_SRP")
        .or_else(|| challenge.parameters.get("USERNAME"))
        .cloned()
        .unwrap_or_else(|| typed.to_string())
}

/// The page of one challenge. MFA_SETUP first associates an authenticator app with the
/// sign-in's session, which gives the next session.
async fn challenge_page(
    state: &AppState,
    visit: &Visit,
    typed: &str,
    challenge: Challenge,
    error: Option<&str>,
    known_secret: Option<String>,
) -> Response {
    let username = challenge_user(&challenge, typed);
    let invalid = error.is_some();
    let mut session = challenge.session.clone().unwrap_or_default();
    let name = challenge.name;
    let mut secret_text = String::new();
    let (intro, fields): (&str, Vec<Field<'_>>) = match name {
        ChallengeName::NewPasswordRequired => (
            "Your password must be changed before you sign in.",
            vec![Field {
                autofocus: true,
                invalid,
                ..field("new_password", "New password", "password", "new-password")
            }],
        ),
        ChallengeName::SoftwareTokenMfa => ("Enter the code from your authenticator app.", vec![code_field(invalid)]),
        ChallengeName::SmsMfa | ChallengeName::SmsOtp => {
            ("Enter the code we sent to your phone.", vec![code_field(invalid)])
        }
        ChallengeName::EmailOtp => ("Enter the code we sent to your email address.", vec![code_field(invalid)]),
        ChallengeName::SelectMfaType => (
            "Choose how to receive your sign-in code: SMS_MFA (text message), SOFTWARE_TOKEN_MFA \
             (authenticator app) or EMAIL_OTP (email).",
            vec![Field { autofocus: true, invalid, ..field("answer", "Method", "text", "off") }],
        ),
        ChallengeName::MfaSetup => {
            match known_secret {
                // A wrong code: the same key again (it is in the user's app already).
                Some(secret) => secret_text = secret,
                None => match state.cognate.associate_software_token(TokenHolder::Session(session.clone())).await {
                    Ok((secret, next)) => {
                        session = next.unwrap_or(session);
                        secret_text = secret;
                    }
                    Err(e) => {
                        return visit.respond(state, StatusCode::OK, form(visit, typed, Some(&e.to_string()), None))
                    }
                },
            }
            ("Add this key to your authenticator app, then enter the code it shows.", vec![code_field(invalid)])
        }
        _ => {
            let message = format!("This account needs the {name} step, which the hosted pages do not offer.");
            return visit.respond(state, StatusCode::OK, form(visit, typed, Some(&message), None));
        }
    };
    let title = match name {
        ChallengeName::NewPasswordRequired => "Change your password",
        ChallengeName::MfaSetup => "Set up an authenticator app",
        ChallengeName::SelectMfaType => "Choose a sign-in method",
        _ => "Enter your code",
    };
    let mut body = PageForm {
        look: &visit.look,
        title,
        action: "/login/challenge",
        query: &visit.query,
        csrf: &visit.csrf,
        intro: Some(intro),
        notice: None,
        error,
        hidden: if secret_text.is_empty() {
            vec![("session", &session), ("challenge", name.as_str()), ("username", &username)]
        } else {
            vec![("session", &session), ("challenge", name.as_str()), ("username", &username), ("secret", &secret_text)]
        },
        fields,
        submit: "Continue",
        links: vec![],
    }
    .render();
    if !secret_text.is_empty() {
        let shown = format!("<p>Key: <code id=\"totp-secret\">{}</code></p>\n<form", super::escape(&secret_text));
        body = body.replacen("<form", &shown, 1);
    }
    visit.respond(state, StatusCode::OK, body)
}

fn code_field(invalid: bool) -> Field<'static> {
    Field { autofocus: true, invalid, ..field("code", "Code", "text", "one-time-code") }
}

pub async fn answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let posted = Form::parse(&body);
    let visit = match Visit::post(&state, &headers, query, &posted).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let username = posted.get("username").unwrap_or_default().to_string();
    let session = posted.get("session").unwrap_or_default().to_string();
    let Some(name) = posted.get("challenge").and_then(ChallengeName::parse) else {
        return visit.respond(&state, StatusCode::BAD_REQUEST, form(&visit, "", Some("Please sign in again."), None));
    };
    let typed = |member: &str| posted.get(member).unwrap_or_default().trim().to_string();
    let mut responses = BTreeMap::from([("USERNAME".to_string(), username.clone())]);
    let mut session = session;
    match name {
        ChallengeName::NewPasswordRequired => {
            responses.insert("NEW_PASSWORD".into(), posted.get("new_password").unwrap_or_default().to_string());
        }
        ChallengeName::SoftwareTokenMfa => {
            responses.insert("SOFTWARE_TOKEN_MFA_CODE".into(), typed("code"));
        }
        ChallengeName::SmsMfa => {
            responses.insert("SMS_MFA_CODE".into(), typed("code"));
        }
        ChallengeName::SmsOtp => {
            responses.insert("SMS_OTP_CODE".into(), typed("code"));
        }
        ChallengeName::EmailOtp => {
            responses.insert("EMAIL_OTP_CODE".into(), typed("code"));
        }
        ChallengeName::SelectMfaType => {
            responses.insert("ANSWER".into(), typed("answer"));
        }
        ChallengeName::MfaSetup => {
            let holder = TokenHolder::Session(session.clone());
            match state.cognate.verify_software_token(holder, &typed("code"), None).await {
                Ok(next) => session = next.unwrap_or(session),
                Err(e) => {
                    let retry = Challenge {
                        name,
                        parameters: BTreeMap::new(),
                        session: Some(session),
                        user_attributes: None,
                        required_attributes: None,
                        available: None,
                    };
                    let secret = posted.get("secret").map(str::to_string);
                    return retry_page(&state, &visit, &username, retry, &e, secret).await;
                }
            }
        }
        _ => {
            return visit.respond(
                &state,
                StatusCode::BAD_REQUEST,
                form(&visit, "", Some("Please sign in again."), None),
            )
        }
    }
    if let Some(hash) = secret_hash(&visit.authz, &username) {
        responses.insert("SECRET_HASH".into(), hash);
    }
    let request = RespondRequest {
        client_id: visit.authz.client.client_id.clone(),
        pool_id: None,
        challenge_name: name,
        responses,
        session: Some(session.clone()),
        client_metadata: None,
    };
    match state.cognate.respond_to_auth_challenge(request).await {
        // A wrong code keeps the session for another try (the sign-in step is put back).
        Err(
            e @ (DomainError::CodeMismatch(_) | DomainError::InvalidPassword(_) | DomainError::InvalidParameter(_)),
        ) => {
            let retry = Challenge {
                name,
                parameters: BTreeMap::new(),
                session: Some(session),
                user_attributes: None,
                required_attributes: None,
                available: None,
            };
            retry_page(&state, &visit, &username, retry, &e, None).await
        }
        other => outcome_response(&state, &visit, &username, other).await,
    }
}

async fn retry_page(
    state: &AppState,
    visit: &Visit,
    username: &str,
    challenge: Challenge,
    e: &DomainError,
    secret: Option<String>,
) -> Response {
    if let DomainError::Internal(_) = e {
        return super::failure(e);
    }
    let message = match e {
        DomainError::EnableSoftwareTokenMfa(_) => {
            "Invalid code. Enter the code your authenticator app shows now.".into()
        }
        other => other.to_string(),
    };
    challenge_page(state, visit, username, challenge, Some(&message), secret).await
}
