//! `/forgotPassword` (ask for a reset code) and `/confirmForgotPassword` (code and new
//! password), then back to the sign-in form.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::DomainError;

use super::forms::{field, secret_hash, PageForm, Visit};
use super::html::Field;
use crate::oauth::Form;
use crate::AppState;

fn ask_form(visit: &Visit, username: &str, error: Option<&str>) -> String {
    PageForm {
        look: &visit.look,
        title: "Forgot your password?",
        action: "/forgotPassword",
        query: &visit.query,
        csrf: &visit.csrf,
        intro: Some("Enter your username and we will send you a code to reset your password."),
        notice: None,
        error,
        hidden: vec![],
        fields: vec![Field {
            value: username,
            autofocus: true,
            invalid: error.is_some(),
            ..field("username", "Username", "text", "username")
        }],
        submit: "Reset my password",
        links: vec![(format!("/login?{}", visit.query), "Back to sign in")],
    }
    .render()
}

fn reset_form(state: &AppState, visit: &Visit, username: &str, error: Option<&str>) -> Response {
    let query = visit.query_with("username", username);
    let invalid = error.is_some();
    let body = PageForm {
        look: &visit.look,
        title: "Reset your password",
        action: "/confirmForgotPassword",
        query: &query,
        csrf: &visit.csrf,
        intro: Some("Enter the code we sent you and choose a new password."),
        notice: None,
        error,
        hidden: vec![("username", username)],
        fields: vec![
            Field { autofocus: true, invalid, ..field("code", "Code", "text", "one-time-code") },
            Field { invalid, ..field("password", "New password", "password", "new-password") },
        ],
        submit: "Change password",
        links: vec![(format!("/forgotPassword?{}", visit.query), "Send a new code")],
    }
    .render();
    visit.respond(state, StatusCode::OK, body)
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    match Visit::start(&state, &headers, query).await {
        Ok(visit) => {
            let body = ask_form(&visit, "", None);
            visit.respond(&state, StatusCode::OK, body)
        }
        Err(response) => response,
    }
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
    let username = posted.get("username").unwrap_or_default().trim().to_string();
    if username.is_empty() {
        return visit.respond(&state, StatusCode::OK, ask_form(&visit, "", Some("Please enter your username.")));
    }
    let secret = secret_hash(&visit.authz, &username);
    let client_id = visit.authz.client.client_id.clone();
    match state.cognate.forgot_password(&client_id, secret.as_deref(), &username, None).await {
        Ok(_) => reset_form(&state, &visit, &username, None),
        Err(e @ DomainError::Internal(_)) => super::failure(&e),
        Err(e) => visit.respond(&state, StatusCode::OK, ask_form(&visit, &username, Some(&e.to_string()))),
    }
}

pub async fn show_reset(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    match Visit::start(&state, &headers, query).await {
        Ok(visit) => {
            let username = visit.param("username").unwrap_or_default();
            reset_form(&state, &visit, &username, None)
        }
        Err(response) => response,
    }
}

pub async fn reset(
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
    let username = posted.get("username").unwrap_or_default().trim().to_string();
    let code = posted.get("code").unwrap_or_default().trim().to_string();
    let password = posted.get("password").unwrap_or_default().to_string();
    let secret = secret_hash(&visit.authz, &username);
    let client_id = visit.authz.client.client_id.clone();
    let done =
        state.cognate.confirm_forgot_password(&client_id, secret.as_deref(), &username, &code, &password, None).await;
    match done {
        Ok(()) => {
            let notice = Some("Your password has been changed. Sign in with your new password.");
            visit.respond(&state, StatusCode::OK, super::login::form(&visit, &username, None, notice))
        }
        Err(e @ DomainError::Internal(_)) => super::failure(&e),
        Err(e) => reset_form(&state, &visit, &username, Some(&e.to_string())),
    }
}
