//! The authorization server on the fakes: requests checked, codes spent once, PKCE, the
//! browser session, and machine tokens.

use std::time::Duration;

use super::tests::{signup, world, World};
use super::*;
use crate::client::ClientSettings;
use crate::oauth::{OAuthError, OAuthFlow, OAuthSettings};
use crate::pool::PoolSettings;
use crate::resource_server::ResourceScope;
use crate::user::AliasKind;

const CALLBACK: &str = "https://app.example.com/cb";

fn web_client() -> ClientSettings {
    ClientSettings {
        oauth: OAuthSettings {
            enabled: true,
            flows: vec![OAuthFlow::Code],
            scopes: vec!["openid".into(), "email".into(), "orders/read".into()],
            callback_urls: vec![CALLBACK.into()],
            identity_providers: vec!["COGNITO".into()],
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A pool with the `orders` resource server, a web client and a confirmed `alice`.
async fn setup(w: &World) -> (String, AppClient) {
    let settings = PoolSettings { auto_verified_attributes: vec![AliasKind::Email], ..Default::default() };
    let pool = w.cognate.create_pool("p".into(), settings, None).await.unwrap();
    let read = ResourceScope { name: "read".into(), description: "Read".into() };
    w.cognate.create_resource_server(&pool.id, "orders".into(), "Orders".into(), vec![read]).await.unwrap();
    let client = w.cognate.create_client(&pool.id, "web".into(), false, web_client()).await.unwrap();
    w.cognate.sign_up(signup(&client.client_id, "alice", "alice@example.com")).await.unwrap();
    let code = w.mailer.last_code();
    w.cognate.confirm_sign_up(&client.client_id, None, "alice", &code, false, None).await.unwrap();
    (pool.id, client)
}

fn params(client_id: &str) -> AuthorizeParams {
    AuthorizeParams {
        client_id: Some(client_id.into()),
        redirect_uri: Some(CALLBACK.into()),
        response_type: Some("code".into()),
        state: Some("s1".into()),
        ..Default::default()
    }
}

async fn signed_in(w: &World, authz: &Authorization) -> SignedIn {
    match w.cognate.hosted_sign_in(authz, "alice", "Passw0rd!").await.unwrap() {
        AuthOutcome::SignedIn(s) => *s,
        _ => panic!("expected a completed sign-in"),
    }
}

#[tokio::test]
async fn untrusted_requests_never_redirect_and_the_rest_go_back_to_the_app() {
    let w = world();
    let (_, client) = setup(&w).await;
    let id = &client.client_id;
    let refused = |p: AuthorizeParams| {
        let c = &w.cognate;
        async move { c.authorization(&p).await.unwrap_err() }
    };
    assert_eq!(
        refused(AuthorizeParams { client_id: Some("nope".into()), ..params(id) }).await,
        Refusal::Page("invalid_request")
    );
    assert_eq!(
        refused(AuthorizeParams { redirect_uri: Some("https://evil.example.com/cb".into()), ..params(id) }).await,
        Refusal::Page("redirect_mismatch")
    );
    let back =
        |error| Refusal::Redirect { redirect_uri: CALLBACK.into(), error, state: Some("s1".into()), fragment: false };
    assert_eq!(refused(AuthorizeParams { response_type: None, ..params(id) }).await, back("invalid_request"));
    assert_eq!(refused(AuthorizeParams { scope: Some("phone".into()), ..params(id) }).await, back("invalid_scope"));
    assert_eq!(refused(AuthorizeParams { scope: Some("email".into()), ..params(id) }).await, back("invalid_scope"));
    let plain = AuthorizeParams {
        code_challenge: Some("x".repeat(43)),
        code_challenge_method: Some("plain".into()),
        ..params(id)
    };
    assert_eq!(refused(plain).await, back("invalid_request"));
    let implicit = AuthorizeParams { response_type: Some("token".into()), ..params(id) };
    assert!(matches!(refused(implicit).await, Refusal::Redirect { error: "unauthorized_client", fragment: true, .. }));
    let authz = w.cognate.authorization(&params(id)).await.unwrap();
    assert_eq!(authz.scopes, ["openid", "email", "orders/read"], "all the client's scopes, Cognito's order");
}

#[tokio::test]
async fn a_code_is_spent_once_and_checks_pkce_and_the_redirect() {
    let w = world();
    let (_, client) = setup(&w).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let p = AuthorizeParams {
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        code_challenge_method: Some("S256".into()),
        scope: Some("openid orders/read".into()),
        nonce: Some("n".into()),
        ..params(&client.client_id)
    };
    let authz = w.cognate.authorization(&p).await.unwrap();
    let who = signed_in(&w, &authz).await;
    let code = |granted| match granted {
        Granted::Code(c) => c,
        Granted::Tokens(_) => panic!("expected a code"),
    };
    let auth = ClientAuth { client_id: &client.client_id, secret: None };
    let first = code(w.cognate.grant(&authz, &who.user, who.auth_time).await.unwrap());
    let wrong = w.cognate.redeem_code(&auth, &first, Some(CALLBACK), Some("not-the-verifier")).await;
    assert_eq!(wrong.unwrap_err(), OAuthError::InvalidGrant);
    assert_eq!(
        w.cognate.redeem_code(&auth, &first, Some(CALLBACK), Some(verifier)).await.unwrap_err(),
        OAuthError::InvalidGrant,
        "a failed attempt spends the code"
    );
    let second = code(w.cognate.grant(&authz, &who.user, who.auth_time).await.unwrap());
    let other = w.cognate.redeem_code(&auth, &second, Some("https://app.example.com/other"), Some(verifier)).await;
    assert_eq!(other.unwrap_err(), OAuthError::InvalidRedirect);
    let third = code(w.cognate.grant(&authz, &who.user, who.auth_time).await.unwrap());
    w.clock.advance(Duration::from_secs(301));
    assert_eq!(
        w.cognate.redeem_code(&auth, &third, Some(CALLBACK), Some(verifier)).await.unwrap_err(),
        OAuthError::InvalidGrant,
        "codes live five minutes"
    );
    let fourth = code(w.cognate.grant(&authz, &who.user, who.auth_time).await.unwrap());
    let grant = w.cognate.redeem_code(&auth, &fourth, Some(CALLBACK), Some(verifier)).await.unwrap();
    let oauth = grant.oauth.clone().unwrap();
    assert_eq!(
        (oauth.scopes.as_slice(), oauth.nonce.as_deref()),
        (&["openid".to_string(), "orders/read".to_string()][..], Some("n"))
    );
    assert_eq!(grant.auth_time, who.auth_time);
    let refresh = grant.refresh_token.unwrap();
    let refreshed = w.cognate.redeem_refresh_token(&auth, &refresh).await.unwrap();
    assert_eq!(refreshed.oauth.unwrap().scopes, ["openid", "orders/read"], "a refresh keeps the scopes");
    assert!(refreshed.refresh_token.is_none());
}

#[tokio::test]
async fn the_browser_session_lasts_an_hour_and_ends_at_logout() {
    let w = world();
    let (pool_id, client) = setup(&w).await;
    let authz = w.cognate.authorization(&params(&client.client_id)).await.unwrap();
    let who = signed_in(&w, &authz).await;
    let cookie = w.cognate.open_browser_session(&who).await.unwrap();
    let (user, _) = w.cognate.browser_session(&pool_id, &cookie).await.unwrap().unwrap();
    assert_eq!(user.username, "alice");
    assert!(w.cognate.browser_session("us-east-1_Other", &cookie).await.unwrap().is_none(), "one pool's");
    w.cognate.end_browser_session(&cookie).await.unwrap();
    assert!(w.cognate.browser_session(&pool_id, &cookie).await.unwrap().is_none());
    let again = w.cognate.open_browser_session(&who).await.unwrap();
    w.clock.advance(Duration::from_secs(3601));
    assert!(w.cognate.browser_session(&pool_id, &again).await.unwrap().is_none());
}

#[tokio::test]
async fn machine_tokens_get_active_custom_scopes_only() {
    let w = world();
    let (pool_id, _) = setup(&w).await;
    let settings = ClientSettings {
        oauth: OAuthSettings {
            enabled: true,
            flows: vec![OAuthFlow::ClientCredentials],
            scopes: vec!["orders/read".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    let client = w.cognate.create_client(&pool_id, "svc".into(), true, settings).await.unwrap();
    let secret = client.secret.clone().unwrap();
    let auth = ClientAuth { client_id: &client.client_id, secret: Some(&secret) };
    let grant = w.cognate.client_credentials(&auth, None, None).await.unwrap();
    assert_eq!(grant.scopes, ["orders/read"]);
    let bad = ClientAuth { client_id: &client.client_id, secret: Some("wrong") };
    assert_eq!(w.cognate.client_credentials(&bad, None, None).await.unwrap_err(), OAuthError::InvalidClient);
    assert_eq!(
        w.cognate.client_credentials(&auth, Some("orders/write"), None).await.unwrap_err(),
        OAuthError::InvalidScope
    );
    w.cognate.update_resource_server(&pool_id, "orders", "Orders".into(), vec![]).await.unwrap();
    assert_eq!(
        w.cognate.client_credentials(&auth, None, None).await.unwrap_err(),
        OAuthError::InvalidScope,
        "an inactive scope is not granted"
    );
}
