//! `GET /oauth2/authorize`: checks the request, then either answers at once for a browser
//! that is signed in already (single sign-on) or sends it to the sign-in form.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::{authorization, cookie, granted_response, redirect, refusal_response, SESSION_COOKIE};
use crate::AppState;

pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    let authz = match authorization(&state, &headers, &query).await {
        Ok(a) => a,
        Err(refusal) => return refusal_response(refusal, super::params(&query).client_id.as_deref()),
    };
    let prompt = crate::oauth::Form::parse(query.as_bytes()).get("prompt").map(str::to_string);
    let forced = prompt.as_deref() == Some("login");
    if let (Some(value), false) = (cookie(&headers, SESSION_COOKIE), forced) {
        match state.cognate.browser_session(&authz.pool.id, &value).await {
            Ok(Some((user, auth_time))) => match state.cognate.grant(&authz, &user, auth_time).await {
                Ok(granted) => return granted_response(&state, &authz, granted).await,
                Err(e) => return super::failure(&e),
            },
            Ok(None) => {}
            Err(e) => return super::failure(&e),
        }
    }
    if prompt.as_deref() == Some("none") {
        // OIDC core §3.1.2.6: no page may be shown, so the app hears that a sign-in is needed.
        let refusal = cognate_core::flows::Refusal::Redirect {
            redirect_uri: authz.redirect_uri.clone(),
            error: "login_required",
            state: authz.state.clone(),
            fragment: authz.response_type == cognate_core::flows::ResponseType::Token,
        };
        return refusal_response(refusal, None);
    }
    redirect(&format!("/login?{query}"))
}
