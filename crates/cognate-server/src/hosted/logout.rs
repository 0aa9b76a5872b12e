//! `GET /logout`: ends the browser's session, then goes to a registered sign-out URL, or back
//! to the sign-in form for a registered callback.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{cookie, redirect, set_cookie, SESSION_COOKIE};
use crate::oauth::Form;
use crate::AppState;

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let form = Form::parse(query.as_bytes());
    let client = match form.get("client_id") {
        Some(id) => match state.cognate.store.get_client(id).await {
            Ok(found) => found,
            Err(e) => return super::failure(&e.into()),
        },
        None => None,
    };
    let target = client.as_ref().and_then(|client| {
        let oauth = &client.settings.oauth;
        if let Some(uri) = form.get("logout_uri") {
            return oauth.logout_urls.iter().any(|u| u == uri).then(|| uri.to_string());
        }
        let callback = form.get("redirect_uri")?;
        oauth.callback_urls.iter().any(|u| u == callback).then(|| format!("/login?{query}"))
    });
    let Some(target) = target else {
        let id = form.get("client_id");
        return super::refusal_response(cognate_core::flows::Refusal::Page("invalid_request"), id);
    };
    if let Some(value) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = state.cognate.end_browser_session(&value).await {
            return super::failure(&e);
        }
    }
    let mut response = redirect(&target);
    set_cookie(&mut response, &state, SESSION_COOKIE, "", Some(0));
    response
}
