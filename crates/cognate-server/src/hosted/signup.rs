//! `/signup`, `/confirm` (the emailed or texted code) and `/resendcode`. A browser that signs
//! up and confirms here lands signed in, back at the app with a code.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::flows::SignUpRequest;
use cognate_core::user::AliasKind;
use cognate_core::DomainError;

use super::forms::{complete, field, secret_hash, PageForm, Visit};
use super::html::Field;
use super::{cookie, set_cookie};
use crate::oauth::Form;
use crate::AppState;

/// The cookie that remembers which browser signed up, until it confirms.
const SIGN_UP_COOKIE: &str = "cognito-signup";

/// The inputs of the form: the username (unless the pool signs in by email or phone), the
/// email address and phone number where the pool needs them, other required attributes,
/// and the password.
fn inputs(visit: &Visit) -> Vec<(String, String, &'static str, &'static str)> {
    let settings = &visit.authz.pool.settings;
    let by = |kind: AliasKind| settings.username_attributes.contains(&kind);
    let needs = |name: &str, kind: AliasKind| {
        by(kind)
            || settings.auto_verified_attributes.contains(&kind)
            || settings.schema.iter().any(|s| s.required && s.name == name)
    };
    let mut list = Vec::new();
    if settings.username_attributes.is_empty() {
        list.push(("username".into(), "Username".into(), "text", "username"));
    }
    if needs("email", AliasKind::Email) {
        list.push(("email".into(), "Email".into(), "email", "email"));
    }
    if needs("phone_number", AliasKind::PhoneNumber) {
        list.push(("phone_number".into(), "Phone number".into(), "tel", "tel"));
    }
    for schema in
        settings.schema.iter().filter(|s| s.required && !matches!(s.name.as_str(), "sub" | "email" | "phone_number"))
    {
        list.push((schema.name.clone(), schema.name.replace('_', " "), "text", "off"));
    }
    list.push(("password".into(), "Password".into(), "password", "new-password"));
    list
}

fn sign_up_form(visit: &Visit, posted: Option<&Form>, error: Option<&str>) -> String {
    let inputs = inputs(visit);
    let values: Vec<String> = inputs
        .iter()
        .map(|(name, ..)| match (posted, name.as_str()) {
            (_, "password") | (None, _) => String::new(),
            (Some(f), n) => f.get(n).unwrap_or_default().to_string(),
        })
        .collect();
    let fields = inputs
        .iter()
        .zip(&values)
        .enumerate()
        .map(|(i, ((name, label, kind, auto), value))| Field {
            value,
            autofocus: i == 0,
            invalid: error.is_some(),
            ..field(name, label, kind, auto)
        })
        .collect();
    PageForm {
        look: &visit.look,
        title: "Sign up",
        action: "/signup",
        query: &visit.query,
        csrf: &visit.csrf,
        intro: None,
        notice: None,
        error,
        hidden: vec![],
        fields,
        submit: "Sign up",
        links: vec![(format!("/login?{}", visit.query), "Already have an account? Sign in")],
    }
    .render()
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let visit = match Visit::start(&state, &headers, query).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if visit.authz.pool.settings.allow_admin_create_user_only {
        let body = super::login::form(&visit, "", Some("Sign-up is not available. Contact your administrator."), None);
        return visit.respond(&state, StatusCode::OK, body);
    }
    let body = sign_up_form(&visit, None, None);
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
    let settings = &visit.authz.pool.settings;
    // Pools that sign in by email or phone make the user's id the username, as the SDKs do.
    let username = match (posted.get("username"), settings.username_attributes.first()) {
        (Some(name), _) => name.trim().to_string(),
        (None, Some(AliasKind::PhoneNumber)) => posted.get("phone_number").unwrap_or_default().trim().to_string(),
        (None, _) => posted.get("email").unwrap_or_default().trim().to_string(),
    };
    let attributes: Vec<(String, String)> = inputs(&visit)
        .into_iter()
        .filter(|(name, ..)| name != "username" && name != "password")
        .filter_map(|(name, ..)| posted.get(&name).map(|v| (name, v.trim().to_string())))
        .collect();
    let request = SignUpRequest {
        client_id: visit.authz.client.client_id.clone(),
        secret_hash: secret_hash(&visit.authz, &username),
        username: username.clone(),
        password: posted.get("password").map(str::to_string),
        attributes,
        validation_data: None,
        client_metadata: None,
    };
    let again =
        |message: &str| visit.respond(&state, StatusCode::OK, sign_up_form(&visit, Some(&posted), Some(message)));
    if username.is_empty() || request.password.is_none() {
        return again("Please fill in every field.");
    }
    let result = match state.cognate.sign_up(request).await {
        Ok(r) => r,
        Err(e @ DomainError::Internal(_)) => return super::failure(&e),
        Err(e) => return again(&e.to_string()),
    };
    let user = match state.cognate.store.get_user_by_sub(&visit.authz.pool.id, &result.sub).await {
        Ok(Some(u)) => u,
        Ok(None) => return super::failure(&DomainError::Internal("the new user is gone".into())),
        Err(e) => return super::failure(&e.into()),
    };
    let hold = match state.cognate.hold_sign_up(&visit.authz, &user).await {
        Ok(h) => h,
        Err(e) => return super::failure(&e),
    };
    if result.confirmed {
        // Confirmed at once (a PreSignUp function): signed in straight away.
        return match state.cognate.take_sign_up_hold(&visit.authz, &hold, &user).await {
            Ok(Some(signed)) => complete(&state, &visit.authz, &signed).await,
            Ok(None) => visit.respond(&state, StatusCode::OK, super::login::form(&visit, &username, None, None)),
            Err(e) => super::failure(&e),
        };
    }
    let mut response = confirm_form(&state, &visit, &user.username, None, false);
    set_cookie(&mut response, &state, SIGN_UP_COOKIE, &hold, Some(86_400));
    response
}

/// The code page. `resent` says a new code just went out (an unconfirmed user signing in).
pub fn confirm_form(state: &AppState, visit: &Visit, username: &str, error: Option<&str>, resent: bool) -> Response {
    let query = visit.query_with("username", username);
    let resend = format!("/resendcode?{query}");
    let notice = resent.then_some("Your account is not confirmed yet. We sent you a new code.");
    let body = PageForm {
        look: &visit.look,
        title: "Confirm your account",
        action: "/confirm",
        query: &query,
        csrf: &visit.csrf,
        intro: Some("Enter the code we sent you."),
        notice,
        error,
        hidden: vec![("username", username)],
        fields: vec![Field {
            autofocus: true,
            invalid: error.is_some(),
            ..field("code", "Code", "text", "one-time-code")
        }],
        submit: "Confirm account",
        links: vec![(resend, "Send a new code")],
    }
    .render();
    visit.respond(state, StatusCode::OK, body)
}

pub async fn show_confirm(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let visit = match Visit::start(&state, &headers, query).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let username = visit.param("username").unwrap_or_default();
    confirm_form(&state, &visit, &username, None, false)
}

pub async fn confirm(
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
    let secret = secret_hash(&visit.authz, &username);
    let client_id = visit.authz.client.client_id.clone();
    let user = match state.cognate.confirm_sign_up(&client_id, secret.as_deref(), &username, &code, false, None).await {
        Ok(user) => user,
        Err(e @ DomainError::Internal(_)) => return super::failure(&e),
        Err(e) => return confirm_form(&state, &visit, &username, Some(&e.to_string()), false),
    };
    let held = match cookie(&headers, SIGN_UP_COOKIE) {
        Some(hold) => state.cognate.take_sign_up_hold(&visit.authz, &hold, &user).await,
        None => Ok(None),
    };
    let mut response = match held {
        Ok(Some(signed)) => complete(&state, &visit.authz, &signed).await,
        // Confirmed in another browser than the one that signed up: a sign-in is needed.
        Ok(None) => {
            let body =
                super::login::form(&visit, &username, None, Some("Your account is confirmed. Sign in to continue."));
            visit.respond(&state, StatusCode::OK, body)
        }
        Err(e) => return super::failure(&e),
    };
    set_cookie(&mut response, &state, SIGN_UP_COOKIE, "", Some(0));
    response
}

/// `/resendcode`: a new code, then the code page again.
pub async fn resend(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let visit = match Visit::start(&state, &headers, query).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let username = visit.param("username").unwrap_or_default();
    let secret = secret_hash(&visit.authz, &username);
    let client_id = visit.authz.client.client_id.clone();
    match state.cognate.resend_confirmation_code(&client_id, secret.as_deref(), &username, None).await {
        Ok(_) => confirm_form(&state, &visit, &username, None, false),
        Err(e @ DomainError::Internal(_)) => super::failure(&e),
        Err(e) => confirm_form(&state, &visit, &username, Some(&e.to_string()), false),
    }
}
