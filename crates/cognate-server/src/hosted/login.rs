//! `/login`: the sign-in form (GET) and its submission (POST), with every authorization
//! parameter kept in the query string.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::flows::{AuthOutcome, Authorization};
use cognate_core::DomainError;
use subtle::ConstantTimeEq;

use super::html::{self, alert, escape, Field};
use super::{authorization, cookie, granted_response, page, refusal_response, set_cookie, CSRF_COOKIE, SESSION_COOKIE};
use crate::oauth::Form;
use crate::AppState;

/// The form, with what was typed and the error to announce.
struct LoginForm<'a> {
    query: &'a str,
    csrf: &'a str,
    username: &'a str,
    error: Option<&'a str>,
}

fn render(f: &LoginForm<'_>, authz: &Authorization) -> String {
    let mut body = String::new();
    body.push_str(&alert(f.error));
    body.push_str(&format!(
        "<form method=\"post\" action=\"/login?{}\" novalidate>\n<input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n",
        escape(f.query),
        escape(f.csrf)
    ));
    let invalid = f.error.is_some();
    Field {
        name: "username",
        label: "Username",
        kind: "text",
        value: f.username,
        autocomplete: "username",
        autofocus: f.username.is_empty(),
        invalid,
    }
    .render(&mut body);
    Field {
        name: "password",
        label: "Password",
        kind: "password",
        value: "",
        autocomplete: "current-password",
        autofocus: !f.username.is_empty(),
        invalid,
    }
    .render(&mut body);
    body.push_str("<button type=\"submit\">Sign in</button>\n</form>\n");
    let _ = authz;
    html::layout("Sign in", &body)
}

fn new_csrf(state: &AppState) -> String {
    let mut raw = [0u8; 24];
    state.cognate.rng.fill(&mut raw);
    cognate_core::ids::hex(&raw)
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let authz = match authorization(&state, &headers, &query).await {
        Ok(a) => a,
        Err(refusal) => return refusal_response(refusal, super::params(&query).client_id.as_deref()),
    };
    let (csrf, fresh) = match cookie(&headers, CSRF_COOKIE) {
        Some(c) => (c, false),
        None => (new_csrf(&state), true),
    };
    let hint = Form::parse(query.as_bytes()).get("login_hint").map(str::to_string).unwrap_or_default();
    let form = LoginForm { query: &query, csrf: &csrf, username: &hint, error: None };
    let mut response = page(StatusCode::OK, render(&form, &authz), Some(&authz.redirect_uri));
    if fresh {
        set_cookie(&mut response, &state, CSRF_COOKIE, &csrf, None);
    }
    response
}

pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query = query.unwrap_or_default();
    let authz = match authorization(&state, &headers, &query).await {
        Ok(a) => a,
        Err(refusal) => return refusal_response(refusal, super::params(&query).client_id.as_deref()),
    };
    let form = Form::parse(&body);
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    let presented = form.get("_csrf").unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(presented.as_bytes())) {
        // A form not served by cognate to this browser: shown again with a fresh token.
        let csrf = new_csrf(&state);
        let again = LoginForm {
            query: &query,
            csrf: &csrf,
            username: "",
            error: Some("Your session has expired. Please sign in again."),
        };
        let mut response = page(StatusCode::FORBIDDEN, render(&again, &authz), Some(&authz.redirect_uri));
        set_cookie(&mut response, &state, CSRF_COOKIE, &csrf, None);
        return response;
    }
    let username = form.get("username").unwrap_or_default().trim();
    let password = form.get("password").unwrap_or_default();
    let again = |error: &str| {
        let f = LoginForm { query: &query, csrf: &expected, username, error: Some(error) };
        page(StatusCode::OK, render(&f, &authz), Some(&authz.redirect_uri))
    };
    if username.is_empty() || password.is_empty() {
        return again("Please enter your username and password.");
    }
    match state.cognate.hosted_sign_in(&authz, username, password).await {
        Ok(AuthOutcome::SignedIn(signed)) => {
            let cookie_value = match state.cognate.open_browser_session(&signed).await {
                Ok(v) => v,
                Err(e) => return super::failure(&e),
            };
            let mut response = match state.cognate.grant(&authz, &signed.user, signed.auth_time).await {
                Ok(granted) => granted_response(&state, &authz, granted).await,
                Err(e) => return super::failure(&e),
            };
            let lifetime = cognate_core::flows::BROWSER_SESSION_LIFETIME.as_secs();
            set_cookie(&mut response, &state, SESSION_COOKIE, &cookie_value, Some(lifetime));
            response
        }
        Ok(AuthOutcome::Challenge(challenge)) => {
            again(&format!("This account needs the {} step, which these pages do not offer yet.", challenge.name))
        }
        Ok(AuthOutcome::Tokens(_)) => super::failure(&DomainError::Internal("tokens from a hosted sign-in".into())),
        Err(e @ DomainError::Internal(_)) => super::failure(&e),
        Err(DomainError::UserNotFound(_)) => again("Incorrect username or password."),
        Err(e) => again(&e.to_string()),
    }
}
