//! What every page with a form shares: the authorization it belongs to, the CSRF token,
//! rendering, and the end of a sign-in.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::flows::{Authorization, SignedIn};
use subtle::ConstantTimeEq;

use super::html::{self, alert, escape, Field};
use super::{authorization, cookie, granted_response, page, refusal_response, set_cookie, CSRF_COOKIE, SESSION_COOKIE};
use crate::oauth::Form;
use crate::AppState;

/// A page's request: its checked authorization and this browser's CSRF token.
pub struct Visit {
    pub authz: Authorization,
    pub look: html::Look,
    pub query: String,
    pub csrf: String,
    /// The token is new: the response sets the cookie.
    fresh: bool,
}

impl Visit {
    /// The authorization named by the query string, or the response that refuses it.
    pub async fn start(state: &AppState, headers: &HeaderMap, query: Option<String>) -> Result<Visit, Response> {
        let query = query.unwrap_or_default();
        let authz = match authorization(state, headers, &query).await {
            Ok(a) => a,
            Err(refusal) => return Err(refusal_response(refusal, super::params(&query).client_id.as_deref())),
        };
        let (csrf, fresh) = match cookie(headers, CSRF_COOKIE) {
            Some(c) => (c, false),
            None => (new_token(state, 24), true),
        };
        let look = super::look(state, &authz).await;
        Ok(Visit { authz, look, query, csrf, fresh })
    }

    /// [`Visit::start`] for a form post: its CSRF token must be this browser's.
    pub async fn post(
        state: &AppState,
        headers: &HeaderMap,
        query: Option<String>,
        form: &Form,
    ) -> Result<Visit, Response> {
        let mut visit = Self::start(state, headers, query).await?;
        let presented = form.get("_csrf").unwrap_or_default();
        if visit.fresh || !bool::from(visit.csrf.as_bytes().ct_eq(presented.as_bytes())) {
            // A form this browser was not served: shown again with a fresh token.
            visit.csrf = new_token(state, 24);
            visit.fresh = true;
            let again = super::login::form(&visit, "", Some("Your session has expired. Please sign in again."), None);
            return Err(visit.respond(state, StatusCode::FORBIDDEN, again));
        }
        Ok(visit)
    }

    /// The query string plus `name=value` (to carry the username to the next page).
    pub fn query_with(&self, name: &str, value: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair(name, value);
        let kept: String = form_urlencoded::parse(self.query.as_bytes())
            .filter(|(k, _)| k != name)
            .fold(form_urlencoded::Serializer::new(String::new()), |mut s, (k, v)| {
                s.append_pair(&k, &v);
                s
            })
            .finish();
        format!("{kept}&{}", q.finish())
    }

    /// A parameter of the query string.
    pub fn param(&self, name: &str) -> Option<String> {
        Form::parse(self.query.as_bytes()).get(name).map(str::to_string)
    }

    pub fn respond(&self, state: &AppState, status: StatusCode, body: String) -> Response {
        let mut response = page(status, body, Some(&self.authz.redirect_uri));
        if self.fresh {
            set_cookie(&mut response, state, CSRF_COOKIE, &self.csrf, None);
        }
        response
    }
}

pub fn new_token(state: &AppState, bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    state.cognate.rng.fill(&mut raw);
    cognate_core::ids::hex(&raw)
}

/// A page of one form.
pub struct PageForm<'a> {
    pub look: &'a html::Look,
    pub title: &'a str,
    /// The path the form posts to; the query string is the visit's.
    pub action: &'a str,
    pub query: &'a str,
    pub csrf: &'a str,
    pub intro: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub hidden: Vec<(&'a str, &'a str)>,
    pub fields: Vec<Field<'a>>,
    pub submit: &'a str,
    pub links: Vec<(String, &'a str)>,
}

impl PageForm<'_> {
    pub fn render(&self) -> String {
        let mut body = String::new();
        if let Some(intro) = self.intro {
            body.push_str(&format!("<p class=\"textDescription-customizable\">{}</p>\n", escape(intro)));
        }
        if let Some(notice) = self.notice {
            body.push_str(&format!("<p class=\"notice\" role=\"status\">{}</p>\n", escape(notice)));
        }
        body.push_str(&alert(self.error));
        body.push_str(&format!(
            "<form method=\"post\" action=\"{}?{}\" novalidate>\n<input type=\"hidden\" name=\"_csrf\" value=\"{}\">\n",
            escape(self.action),
            escape(self.query),
            escape(self.csrf)
        ));
        for (name, value) in &self.hidden {
            body.push_str(&format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">\n", escape(name), escape(value)));
        }
        for field in &self.fields {
            field.render(&mut body);
        }
        body.push_str(&format!(
            "<button class=\"submitButton-customizable\" type=\"submit\">{}</button>\n</form>\n",
            escape(self.submit)
        ));
        if !self.links.is_empty() {
            body.push_str("<nav class=\"links\" aria-label=\"Other options\"><ul>\n");
            for (href, text) in &self.links {
                body.push_str(&format!(
                    "<li><a class=\"redirect-customizable\" href=\"{}\">{}</a></li>\n",
                    escape(href),
                    escape(text)
                ));
            }
            body.push_str("</ul></nav>\n");
        }
        html::layout(self.title, &body, self.look)
    }
}

/// A text input with the defaults most fields share.
pub fn field<'a>(name: &'a str, label: &'a str, kind: &'a str, autocomplete: &'a str) -> Field<'a> {
    Field { name, label, kind, value: "", autocomplete, autofocus: false, invalid: false }
}

/// The end of every sign-in on the pages: the browser's session cookie, and the app's
/// answer (a code or tokens).
pub async fn complete(state: &AppState, authz: &Authorization, signed: &SignedIn) -> Response {
    let cookie_value = match state.cognate.open_browser_session(signed).await {
        Ok(v) => v,
        Err(e) => return super::failure(&e),
    };
    let mut response = match state.cognate.grant(authz, &signed.user, signed.auth_time).await {
        Ok(granted) => granted_response(state, authz, granted).await,
        Err(e) => return super::failure(&e),
    };
    let lifetime = cognate_core::flows::BROWSER_SESSION_LIFETIME.as_secs();
    set_cookie(&mut response, state, SESSION_COOKIE, &cookie_value, Some(lifetime));
    response
}

/// `SECRET_HASH` for the client's secret, as the pages sign their API calls.
pub fn secret_hash(authz: &Authorization, username: &str) -> Option<String> {
    authz
        .client
        .secret
        .as_deref()
        .map(|secret| cognate_core::secret_hash::compute(secret, username, &authz.client.client_id))
}
