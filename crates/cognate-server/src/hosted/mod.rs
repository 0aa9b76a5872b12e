//! The hosted pages (Cognito's managed login): `/oauth2/authorize`, `/login`, `/logout` and
//! the error page, server-rendered, with the single sign-on cookie and CSRF protection.
//!
//! They answer at the root of cognate's listener, the pool found from `client_id`, and by
//! host name: `<domain>.auth.localhost`, `<domain>.auth.<region>.amazoncognito.com` or a
//! custom domain, whose pool must then be the client's.

mod authorize;
mod branding;
mod forms;
mod html;
mod login;
mod logout;
mod recovery;
mod signup;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cognate_core::flows::{Authorization, AuthorizeParams, Granted, Refusal};
use cognate_core::DomainError;

use crate::AppState;

pub use html::escape;

/// The single sign-on cookie (Cognito's name).
const SESSION_COOKIE: &str = "cognito";
/// The CSRF cookie, matched by the `_csrf` field of every form.
const CSRF_COOKIE: &str = "XSRF-TOKEN";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth2/authorize", get(authorize::authorize))
        .route("/authorize", get(authorize::authorize))
        .route("/login", get(login::show).post(login::submit))
        .route("/login/challenge", post(login::answer))
        .route("/signup", get(signup::show).post(signup::submit))
        .route("/confirm", get(signup::show_confirm).post(signup::confirm))
        .route("/resendcode", get(signup::resend))
        .route("/forgotPassword", get(recovery::show).post(recovery::submit))
        .route("/confirmForgotPassword", get(recovery::show_reset).post(recovery::reset))
        .route("/confirmforgotPassword", get(recovery::show_reset).post(recovery::reset))
        .route("/logout", get(logout::logout))
        .route("/error", get(error_page))
        .route("/static/hosted.css", get(stylesheet))
        .route("/ui/{pool_id}/{file}", get(branding::stylesheet))
        .route("/ui/{pool_id}/{client_id}/logo", get(branding::logo))
}

/// How a client's pages look: a stylesheet when it has CSS or branding colours, a logo
/// when it has one. Failures leave the pages plain.
async fn look(state: &AppState, authz: &Authorization) -> html::Look {
    let (pool_id, client_id) = (&authz.pool.id, &authz.client.client_id);
    let Ok((style, ui)) = state.cognate.page_branding(pool_id, client_id).await else { return html::Look::default() };
    let has_logo = ui.as_ref().is_some_and(|u| u.image.is_some())
        || style.as_ref().is_some_and(|s| branding::logo_asset(s).is_some());
    let has_css = ui.as_ref().is_some_and(|u| u.css.is_some()) || style.is_some();
    html::Look {
        stylesheet: has_css.then(|| format!("/ui/{pool_id}/{client_id}.css")),
        logo: has_logo.then(|| format!("/ui/{pool_id}/{client_id}/logo")),
    }
}

/// The query string as authorization parameters.
fn params(query: &str) -> AuthorizeParams {
    let form = crate::oauth::Form::parse(query.as_bytes());
    let get = |name: &str| form.get(name).map(str::to_string);
    AuthorizeParams {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        state: get("state"),
        scope: get("scope"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        nonce: get("nonce"),
        identity_provider: get("identity_provider"),
    }
}

/// The user pool domain a request's `Host` names, if any: `None` on cognate's own name.
async fn host_domain(state: &AppState, headers: &HeaderMap) -> Result<Option<String>, DomainError> {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else { return Ok(None) };
    let host =
        host.rsplit_once(':').map_or(host, |(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { host });
    let host = host.to_ascii_lowercase();
    if let Some(prefix) = host.strip_suffix(".auth.localhost") {
        return Ok(Some(prefix.to_string()));
    }
    if let Some(rest) = host.strip_suffix(".amazoncognito.com") {
        if let Some((prefix, _region)) = rest.split_once(".auth.") {
            return Ok(Some(prefix.to_string()));
        }
    }
    if host.contains('.') && state.cognate.describe_domain(&host).await?.is_some() {
        return Ok(Some(host));
    }
    Ok(None)
}

/// Checks the request against the client's registration, and against the pool of the host
/// name it came in on.
async fn authorization(state: &AppState, headers: &HeaderMap, query: &str) -> Result<Authorization, Refusal> {
    // RFC 6749 §3.1: a parameter sent twice makes the request invalid.
    if crate::oauth::Form::parse(query.as_bytes()).has_repeats() {
        return Err(Refusal::Page("invalid_request"));
    }
    let authz = state.cognate.authorization(&params(query)).await?;
    if let Some(domain) = host_domain(state, headers).await? {
        let owner = state.cognate.describe_domain(&domain).await?;
        if owner.is_none_or(|d| d.pool_id != authz.pool.id) {
            return Err(Refusal::Page("invalid_request"));
        }
    }
    Ok(authz)
}

/// Where a refused request goes: the error page, or back to the app with `error`.
fn refusal_response(refusal: Refusal, client_id: Option<&str>) -> Response {
    match refusal {
        Refusal::Page(error) => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("error", error);
            if let Some(id) = client_id {
                query.append_pair("client_id", id);
            }
            redirect(&format!("/error?{}", query.finish()))
        }
        Refusal::Redirect { redirect_uri, error, state, fragment } => {
            let mut pairs = vec![("error", error.to_string())];
            if let Some(state) = state {
                pairs.push(("state", state));
            }
            redirect(&append_to(&redirect_uri, &pairs, fragment))
        }
        Refusal::Failed(e) => failure(&e),
    }
}

/// A page for an error that is not the request's.
fn failure(e: &DomainError) -> Response {
    tracing::error!(error = %e, "hosted page failed");
    let body = html::layout(
        "Something went wrong",
        "<p role=\"alert\">An internal error occurred. Try again.</p>",
        &html::Look::default(),
    );
    page(StatusCode::INTERNAL_SERVER_ERROR, body, None)
}

/// `uri` with parameters added to its query (or, for implicit grants, its fragment).
fn append_to(uri: &str, pairs: &[(&str, String)], fragment: bool) -> String {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        encoded.append_pair(k, v);
    }
    let encoded = encoded.finish();
    if fragment {
        format!("{uri}#{encoded}")
    } else if uri.contains('?') {
        format!("{uri}&{encoded}")
    } else {
        format!("{uri}?{encoded}")
    }
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The app's answer for a granted authorization.
async fn granted_response(state: &AppState, authz: &Authorization, granted: Granted) -> Response {
    let state_pair = authz.state.clone().map(|s| ("state", s));
    match granted {
        Granted::Code(code) => {
            let mut pairs = vec![("code", code)];
            pairs.extend(state_pair);
            redirect(&append_to(&authz.redirect_uri, &pairs, false))
        }
        Granted::Tokens(grant) => match crate::oauth::token::mint_user_tokens(state, *grant).await {
            Ok((minted, _)) => {
                let mut pairs = Vec::new();
                if let Some(id) = minted.id_token {
                    pairs.push(("id_token", id));
                }
                pairs.push(("access_token", minted.access_token));
                pairs.push(("expires_in", minted.expires_in.to_string()));
                pairs.push(("token_type", "Bearer".to_string()));
                pairs.extend(state_pair);
                redirect(&append_to(&authz.redirect_uri, &pairs, true))
            }
            Err(e) => failure(&e),
        },
    }
}

/// A page with the headers every page carries: no caching, no framing, and a policy that
/// allows only the stylesheet and form posts to cognate and to the app's redirect.
fn page(status: StatusCode, body: String, form_target: Option<&str>) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    // A form's redirect after posting is checked against form-action too.
    let form_action = match form_target.and_then(origin_of) {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_string(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The CSP source for a redirect URI: `scheme://host[:port]`, or `scheme:` for app schemes.
fn origin_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) {
        return None;
    }
    if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
        let authority = rest.split(['/', '?', '#']).next()?;
        let safe = authority.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        return safe.then(|| format!("{scheme}://{authority}"));
    }
    Some(format!("{scheme}:"))
}

/// A cookie's value from the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

fn set_cookie(response: &mut Response, state: &AppState, name: &str, value: &str, max_age: Option<u64>) {
    let secure = if state.public_url.starts_with("https://") { "; Secure" } else { "" };
    let age = max_age.map(|a| format!("; Max-Age={a}")).unwrap_or_default();
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}");
    if let Ok(v) = HeaderValue::from_str(&text) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

async fn error_page(axum::extract::RawQuery(query): axum::extract::RawQuery) -> Response {
    let form = crate::oauth::Form::parse(query.unwrap_or_default().as_bytes());
    let detail = match form.get("error") {
        Some("redirect_mismatch") => "The redirect URI is not registered for this app client.",
        Some(_) | None => "The request is not valid for this app client.",
    };
    let body =
        format!("<p role=\"alert\">An error was encountered with the requested page.</p>\n<p>{}</p>", escape(detail));
    page(StatusCode::BAD_REQUEST, html::layout("Error", &body, &html::Look::default()), None)
}

async fn stylesheet() -> Response {
    let mut response = html::STYLESHEET.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    response
}
