//! The whole request path: `X-Amz-Target` + body through the real router, store and flows.
//!
//! Input: the first line is the `X-Amz-Target` value, the rest is the body. `$POOL`, `$CLIENT`,
//! `$USER`, `$ACCESS` and `$REFRESH` in a UTF-8 body are replaced by a live pool, app client,
//! user and that user's tokens, so mutations reach past "resource not found".
//!
//! The pool is made once, before fuzzing starts (its RSA signing keys take seconds to make
//! in an instrumented build). Operations that would delete or reconfigure it get a throwaway
//! pool and client instead; after any other call that may have changed the user (anything but
//! a read) the next input gets a fresh user and tokens.
//!
//! Every answer must be a success (200, a JSON object) or an AWS error: a 4xx/5xx status, a
//! JSON `{"__type", "message"}` whose `__type` matches `x-amzn-ErrorType`. An
//! `InternalErrorException` is a failure too: it means a request reached a state the code did
//! not expect.

#![no_main]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::Router;
use cognate_core::flows::CoreConfig;
use cognate_core::Cognate;
use cognate_server::delivery::Courier;
use cognate_server::lambda::LambdaRunner;
use cognate_server::passwords::Argon2Passwords;
use cognate_server::sealing::{BlockingCpu, KeySealer};
use cognate_server::system::{OsRng, SystemClock};
use cognate_server::tokens::KeyRing;
use cognate_server::AppState;
use cognate_store::SqliteStore;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use tower::ServiceExt;

const PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// The conformance suite's password, which the seeds (from its base requests) use.
const PASSWORD: &str = "Corr3ct-Horse!";

/// Operations that would spend or reconfigure the fixture's pool or client: they get the spare.
const POOL_CHANGES: &[&str] = &["DeleteUserPool", "UpdateUserPool", "DeleteUserPoolClient", "UpdateUserPoolClient"];
/// Operations that change nothing (by their name), after which the user is still as made.
const READS: &[&str] = &["Get", "List", "Describe", "AdminGet", "AdminList"];

struct Harness {
    runtime: tokio::runtime::Runtime,
    app: Router,
    /// Placeholder → live value.
    fixture: Mutex<HashMap<&'static str, String>>,
    /// The user may have been changed: make a new one before the next input uses it.
    user_spent: Mutex<bool>,
    /// A second pool and client for `POOL_CHANGES`; `None` once deleted (a new pool costs an
    /// RSA key generation, so it is only replaced when spent).
    spare: Mutex<Option<(String, String)>>,
    users: std::sync::atomic::AtomicU64,
    /// Random per process: fixture names are unguessable.
    salt: std::collections::hash_map::RandomState,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        // Internal errors are logged with their cause; show them next to the crash report.
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::ERROR)
            .with_writer(std::io::stderr)
            .try_init();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let store = SqliteStore::in_memory().expect("in-memory store");
        let state = AppState {
            cognate: Cognate {
                store: Arc::new(store),
                clock: Arc::new(SystemClock),
                rng: Arc::new(OsRng),
                passwords: Arc::new(Argon2Passwords::new(8, 1, 1).expect("argon2 cost")),
                mailer: Arc::new(Courier::new(None, "fuzz@example.com", None, false).expect("courier")),
                triggers: Arc::new(LambdaRunner::new(HashMap::new(), None, Duration::from_secs(1))),
                sealer: Arc::new(KeySealer::ephemeral()),
                cpu: Arc::new(BlockingCpu),
                passkeys: Arc::new(cognate_server::passkeys::WebAuthnPasskeys),
                dummy_hash: Default::default(),
                in_flight: Default::default(),
                config: CoreConfig::default(),
            },
            keys: Arc::new(KeyRing::with_generator(reused_key)),
            public_url: "http://127.0.0.1:9229".into(),
            account_id: "000000000000".into(),
            admin: None,
            limits: None,
            http: Default::default(),
        };
        let mut harness = Harness {
            runtime,
            app: cognate_server::app(state),
            fixture: Mutex::new(HashMap::new()),
            user_spent: Mutex::new(false),
            spare: Mutex::new(None),
            users: Default::default(),
            salt: Default::default(),
        };
        let fixture = harness.runtime.block_on(harness.build_fixture());
        harness.fixture = Mutex::new(fixture);
        harness
    })
}

/// Two RSA keys, handed out in turn (so a pool's id and access keys differ), for every pool:
/// generating one costs seconds in an instrumented build, and the fuzzer makes pools all the
/// time.
fn reused_key() -> Result<Vec<u8>, cognate_core::DomainError> {
    static KEYS: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let keys = KEYS.get_or_init(|| {
        let key = || cognate_server::tokens::new_rsa_key().expect("an RSA key");
        [key(), key()]
    });
    Ok(keys[NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2].clone())
}

impl Harness {
    async fn call(&self, target: Option<&[u8]>, body: Vec<u8>) -> (StatusCode, Option<String>, Vec<u8>) {
        let mut request = Request::post("/").body(Body::from(body)).expect("request");
        if let Some(value) = target.and_then(|t| HeaderValue::from_bytes(t).ok()) {
            request.headers_mut().insert("x-amz-target", value);
        }
        request.headers_mut().insert("content-type", HeaderValue::from_static("application/x-amz-json-1.1"));
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let response = self.app.clone().oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let error_type =
            response.headers().get("x-amzn-errortype").map(|v| v.to_str().expect("ASCII error type").to_string());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("a complete body");
        (status, error_type, bytes.to_vec())
    }

    async fn op(&self, name: &str, body: Value) -> Value {
        let target = format!("{PREFIX}{name}");
        let (status, _, bytes) = self.call(Some(target.as_bytes()), body.to_string().into_bytes()).await;
        let value: Value = serde_json::from_slice(&bytes).expect("JSON");
        assert_eq!(status, StatusCode::OK, "fixture step {name} failed: {value}");
        value
    }

    /// A pool and a client with every flow.
    async fn pool_and_client(&self) -> (String, String) {
        let pool = self.op("CreateUserPool", json!({"PoolName": "fuzz", "AliasAttributes": ["email"]})).await;
        let pool_id = pool["UserPool"]["Id"].as_str().expect("pool id").to_string();
        let client = self
            .op(
                "CreateUserPoolClient",
                json!({"UserPoolId": pool_id, "ClientName": "fuzz", "ExplicitAuthFlows": [
                    "ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
                    "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]}),
            )
            .await;
        (pool_id, client["UserPoolClient"]["ClientId"].as_str().expect("client id").to_string())
    }

    /// A confirmed user with a permanent password, signed in.
    async fn user(&self, pool_id: &str, client_id: &str) -> [(&'static str, String); 3] {
        // A name (and email alias) the fuzzer cannot have taken first.
        let n = self.users.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("fixture-{n}-{:016x}", std::hash::BuildHasher::hash_one(&self.salt, n));
        self.op(
            "AdminCreateUser",
            json!({"UserPoolId": pool_id, "Username": name, "MessageAction": "SUPPRESS",
                   "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")},
                                      {"Name": "email_verified", "Value": "true"}]}),
        )
        .await;
        self.op(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool_id, "Username": name, "Password": PASSWORD, "Permanent": true}),
        )
        .await;
        let auth = self
            .op(
                "AdminInitiateAuth",
                json!({"UserPoolId": pool_id, "ClientId": client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                       "AuthParameters": {"USERNAME": name, "PASSWORD": PASSWORD}}),
            )
            .await;
        let token = |name: &str| auth["AuthenticationResult"][name].as_str().expect("token").to_string();
        [("$ACCESS", token("AccessToken")), ("$REFRESH", token("RefreshToken")), ("$USER", name)]
    }

    async fn build_fixture(&self) -> HashMap<&'static str, String> {
        let (pool_id, client_id) = self.pool_and_client().await;
        let mut fixture: HashMap<_, _> = self.user(&pool_id, &client_id).await.into();
        fixture.insert("$POOL", pool_id);
        fixture.insert("$CLIENT", client_id);
        fixture
    }

    async fn run(&self, data: &[u8]) {
        let (target, body) = match data.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(&data[..i]), &data[i + 1..]),
            None => (None, data),
        };
        let name = target.and_then(|t| std::str::from_utf8(t).ok()).unwrap_or("");
        let op = name.strip_prefix(PREFIX).unwrap_or(name);
        let (body, names_user) = match std::str::from_utf8(body) {
            Ok(text) if text.contains('$') => (
                self.substitute(op, text).await.into_bytes(),
                ["$USER", "$ACCESS", "$REFRESH"].iter().any(|p| text.contains(p)),
            ),
            _ => (body.to_vec(), false),
        };
        let (status, error_type, bytes) = self.call(target, body).await;
        check(status, error_type.as_deref(), &bytes);
        if POOL_CHANGES.contains(&op) {
            if status == StatusCode::OK && op.starts_with("Delete") {
                *self.spare.lock().expect("lock") = None;
            }
        } else if names_user
            && !READS.iter().any(|read| op.starts_with(read))
            && (status == StatusCode::OK || op.contains("Auth"))
        {
            // A failed sign-in counts too: five of them lock the user. (A new user costs a
            // password hash, an SRP verifier and two signatures; making one after every failure
            // would cut the rate tenfold.)
            *self.user_spent.lock().expect("lock") = true;
        }
    }

    async fn substitute(&self, op: &str, text: &str) -> String {
        let mut values = self.fixture.lock().expect("lock").clone();
        if POOL_CHANGES.contains(&op) {
            let spare = self.spare.lock().expect("lock").clone();
            let (pool_id, client_id) = match spare {
                Some(spare) => spare,
                None => {
                    let made = self.pool_and_client().await;
                    *self.spare.lock().expect("lock") = Some(made.clone());
                    made
                }
            };
            values.insert("$POOL", pool_id);
            values.insert("$CLIENT", client_id);
        } else if std::mem::take(&mut *self.user_spent.lock().expect("lock")) {
            let fresh = self.user(&values["$POOL"], &values["$CLIENT"]).await;
            values.extend(fresh.clone());
            self.fixture.lock().expect("lock").extend(fresh);
        }
        let mut text = text.to_string();
        for (placeholder, value) in &values {
            text = text.replace(placeholder, value);
        }
        text
    }
}

fn check(status: StatusCode, error_type: Option<&str>, bytes: &[u8]) {
    let value: Value = serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!("status {status}: the body is not JSON ({e}): {:?}", String::from_utf8_lossy(bytes))
    });
    let object = value.as_object().unwrap_or_else(|| panic!("status {status}: the body is not an object: {value}"));
    if status == StatusCode::OK {
        assert!(error_type.is_none(), "a success with an error type: {value}");
        return;
    }
    assert!(status.is_client_error() || status.is_server_error(), "status {status} is neither success nor error");
    let aws_type = object.get("__type").and_then(Value::as_str).unwrap_or_else(|| panic!("no __type: {value}"));
    assert!(!aws_type.is_empty() && aws_type.bytes().all(|b| b.is_ascii_alphanumeric()), "odd __type {aws_type:?}");
    assert!(object.get("message").is_some_and(Value::is_string), "no message: {value}");
    assert_eq!(error_type, Some(aws_type), "x-amzn-ErrorType and __type differ");
    assert_ne!(aws_type, "InternalErrorException", "an internal error (its cause is logged above): {value}");
}

fuzz_target!(init: { harness(); }, |data: &[u8]| {
    let harness = harness();
    harness.runtime.block_on(harness.run(data));
});
