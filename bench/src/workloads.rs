//! The workloads, the fixture they run against, and how each server is filled with users.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use cognate_core::ids::Timestamp;
use cognate_core::pool::PoolSettings;
use cognate_core::ports::{Clock, Passwords};
use cognate_core::srp;
use cognate_core::user::{Attributes, NewUser, User, UserStatus};
use serde_json::{json, Value};

use crate::client::Idp;
use crate::servers::{Kind, Running};

pub const WORKLOADS: &[&str] =
    &["signup", "signin", "srp-signin", "change-password", "getuser", "admingetuser", "listusers", "mixed"];
pub const PASSWORD: &str = "Bench-passw0rd!";
/// change-password moves each user between the two passwords.
const OTHER_PASSWORD: &str = "Bench-passw0rd?";
/// ChangePassword calls Cognito allows per user per hour (cognate enforces it too).
pub const CHANGES_PER_USER: u32 = 5;

/// Whether a peer offers what a workload needs (it is reported as unsupported otherwise).
pub fn supports(kind: Kind, workload: &str) -> bool {
    // cognito-local 5.3 answers USER_SRP_AUTH with "Unsupported: … InitAuth with
    // AuthFlow=USER_SRP_AUTH".
    !(kind == Kind::CognitoLocal && workload == "srp-signin")
}
/// Users created through the API before any workload: who signs in, whose tokens GetUser uses.
pub const FIXTURE_USERS: usize = 100;

pub struct Fixture {
    pub idp: Idp,
    pub pool: String,
    pub client: String,
    pub users: Vec<String>,
    pub tokens: Vec<String>,
    pub run: String,
    signups: AtomicU64,
    /// The load generator's side of SRP: one `a` for the run.
    srp: srp::client::Client,
    /// Users with a token and changes left, for change-password (each is taken by one
    /// client at a time, so its current password is known).
    changers: Mutex<VecDeque<Changer>>,
    changers_made: AtomicU64,
}

struct Changer {
    password: &'static str,
    token: String,
    changes: u32,
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn sha2_of(text: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).to_vec()
}

impl Fixture {
    pub async fn create(urls: &[String], run: &str) -> anyhow::Result<Arc<Fixture>> {
        let idp = Idp::spread(urls);
        let pool = idp
            .call(
                "CreateUserPool",
                json!({
                    "PoolName": format!("bench-{run}"),
                    "Policies": { "PasswordPolicy": { "MinimumLength": 6, "RequireUppercase": false,
                        "RequireLowercase": false, "RequireNumbers": false, "RequireSymbols": false } },
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("CreateUserPool: {e}"))?;
        let pool = pool["UserPool"]["Id"].as_str().context("no pool id")?.to_string();
        let client = idp
            .call(
                "CreateUserPoolClient",
                json!({
                    "UserPoolId": pool,
                    "ClientName": "bench",
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
                        "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("CreateUserPoolClient: {e}"))?;
        let client = client["UserPoolClient"]["ClientId"].as_str().context("no client id")?.to_string();
        let mut fixture = Fixture {
            idp,
            pool,
            client,
            users: Vec::new(),
            tokens: Vec::new(),
            run: run.into(),
            signups: AtomicU64::new(0),
            srp: srp::client::Client::new(num_bigint_dig::BigUint::from_bytes_be(&sha2_of(run))),
            changers: Mutex::new(VecDeque::new()),
            changers_made: AtomicU64::new(0),
        };
        for i in 0..FIXTURE_USERS {
            let username = format!("fixture-{i}");
            fixture
                .sign_up_confirmed(&username, &format!("fixture-{i}@bench.example"))
                .await
                .map_err(anyhow::Error::msg)?;
            fixture.users.push(username);
        }
        for username in fixture.users.clone() {
            let token = fixture.sign_in(&username).await.map_err(anyhow::Error::msg)?;
            fixture.tokens.push(token);
        }
        Ok(Arc::new(fixture))
    }

    async fn sign_up_confirmed(&self, username: &str, email: &str) -> Result<(), String> {
        self.idp
            .call(
                "SignUp",
                json!({ "ClientId": self.client, "Username": username, "Password": PASSWORD,
                        "UserAttributes": [{ "Name": "email", "Value": email }] }),
            )
            .await
            .map_err(err)?;
        self.idp
            .call("AdminConfirmSignUp", json!({ "UserPoolId": self.pool, "Username": username }))
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn sign_in(&self, username: &str) -> Result<String, String> {
        let r = self
            .idp
            .call(
                "InitiateAuth",
                json!({ "ClientId": self.client, "AuthFlow": "USER_PASSWORD_AUTH",
                        "AuthParameters": { "USERNAME": username, "PASSWORD": PASSWORD } }),
            )
            .await
            .map_err(err)?;
        r["AuthenticationResult"]["AccessToken"].as_str().map(str::to_string).ok_or_else(|| "no access token".into())
    }

    /// USER_SRP_AUTH, then PASSWORD_VERIFIER answered as amazon-cognito-identity-js does.
    async fn srp_sign_in(&self, username: &str) -> Result<(), String> {
        let challenge = self
            .idp
            .call(
                "InitiateAuth",
                json!({ "ClientId": self.client, "AuthFlow": "USER_SRP_AUTH",
                        "AuthParameters": { "USERNAME": username, "SRP_A": srp::to_hex(self.srp.public()) } }),
            )
            .await
            .map_err(err)?;
        let p = &challenge["ChallengeParameters"];
        let text = |name: &str| p[name].as_str().ok_or_else(|| format!("no {name} in the challenge"));
        let (salt, server_public, block, user_id) =
            (text("SALT")?, text("SRP_B")?, text("SECRET_BLOCK")?, text("USER_ID_FOR_SRP")?);
        let number = |hex: &str| srp::from_hex(hex).ok_or_else(|| format!("not a hex number: {hex:.20}"));
        let (salt, server_public) = (number(salt)?, number(server_public)?);
        let suffix = srp::pool_suffix(&self.pool);
        // The client's arithmetic is the load generator's, on the same cores: off the runtime.
        let (srp_client, user, suffix_owned) = (&self.srp, user_id.to_string(), suffix.to_string());
        let key = tokio::task::block_in_place(|| srp_client.key(&server_public, &salt, &suffix_owned, &user, PASSWORD));
        use base64::Engine;
        // moto's SECRET_BLOCK is a UUID, not base64; Node's Buffer.from(…, "base64") skips the
        // characters it cannot read, so amazon-cognito-identity-js signs over what is left.
        let readable: String = block.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '+' || *c == '/').collect();
        let block_bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(&readable[..readable.len() / 4 * 4])
            .map_err(err)?;
        let now = u64::try_from(cognate_server::system::SystemClock.now().seconds()).unwrap_or(0);
        let timestamp = srp::client::timestamp(now);
        let signature = srp::client::sign(&key, suffix, user_id, &block_bytes, &timestamp);
        let mut answer = json!({
            "ClientId": self.client,
            "ChallengeName": "PASSWORD_VERIFIER",
            // The challenge's USERNAME, as boto3-based clients answer: moto finds users only by
            // name, while its USER_ID_FOR_SRP is an id of its own (Cognito takes either).
            "ChallengeResponses": { "USERNAME": p["USERNAME"].as_str().unwrap_or(user_id), "TIMESTAMP": timestamp,
                "PASSWORD_CLAIM_SECRET_BLOCK": block, "PASSWORD_CLAIM_SIGNATURE": signature },
        });
        if let Some(session) = challenge["Session"].as_str() {
            answer["Session"] = json!(session);
        }
        let r = self.idp.call("RespondToAuthChallenge", answer).await.map_err(err)?;
        r["AuthenticationResult"]["AccessToken"].as_str().map(|_| ()).ok_or_else(|| "no access token".into())
    }

    /// Creates `count` more users for change-password, each signed in once.
    pub async fn prepare_changers(self: &Arc<Self>, count: usize, concurrency: usize) -> anyhow::Result<()> {
        let mut tasks = Vec::new();
        let next = Arc::new(AtomicU64::new(0));
        for _ in 0..concurrency.max(1) {
            let (fixture, next) = (self.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < count as u64 {
                    let n = fixture.changers_made.fetch_add(1, Ordering::Relaxed);
                    let username = format!("c{}-{n}", fixture.run);
                    fixture.sign_up_confirmed(&username, &format!("{username}@bench.example")).await?;
                    let token = fixture.sign_in(&username).await?;
                    let changer = Changer { password: PASSWORD, token, changes: 0 };
                    fixture.changers.lock().map_err(err)?.push_back(changer);
                }
                Ok::<(), String>(())
            }));
        }
        for t in tasks {
            t.await?.map_err(anyhow::Error::msg)?;
        }
        Ok(())
    }

    async fn change_password(&self) -> Result<(), String> {
        let taken = self.changers.lock().map_err(err)?.pop_front();
        let Some(mut changer) = taken else {
            return Err("change-password ran out of prepared users (raise the estimate)".into());
        };
        let proposed = if changer.password == PASSWORD { OTHER_PASSWORD } else { PASSWORD };
        let outcome = self
            .idp
            .call(
                "ChangePassword",
                json!({ "AccessToken": changer.token, "PreviousPassword": changer.password,
                        "ProposedPassword": proposed }),
            )
            .await
            .map_err(err);
        if outcome.is_ok() {
            changer.password = proposed;
            changer.changes += 1;
        }
        if changer.changes < CHANGES_PER_USER {
            self.changers.lock().map_err(err)?.push_back(changer);
        }
        outcome.map(|_| ())
    }

    /// One operation of a workload; `seq` numbers the operations of a run.
    pub async fn op(&self, workload: &str, seq: u64) -> Result<(), String> {
        let pick = |list: &Vec<String>| list[(seq as usize) % list.len()].clone();
        match workload {
            "signup" => {
                let n = self.signups.fetch_add(1, Ordering::Relaxed);
                let username = format!("s{}-{n}", self.run);
                self.sign_up_confirmed(&username, &format!("{username}@bench.example")).await
            }
            "signin" => self.sign_in(&pick(&self.users)).await.map(|_| ()),
            "srp-signin" => self.srp_sign_in(&pick(&self.users)).await,
            "change-password" => self.change_password().await,
            "getuser" => {
                self.idp.call("GetUser", json!({ "AccessToken": pick(&self.tokens) })).await.map(|_| ()).map_err(err)
            }
            "admingetuser" => self
                .idp
                .call("AdminGetUser", json!({ "UserPoolId": self.pool, "Username": pick(&self.users) }))
                .await
                .map(|_| ())
                .map_err(err),
            "listusers" => {
                let prefix = format!("fixture-{}", seq % 10);
                let r = self
                    .idp
                    .call(
                        "ListUsers",
                        json!({ "UserPoolId": self.pool, "Filter": format!("email ^= \"{prefix}\""), "Limit": 10 }),
                    )
                    .await
                    .map_err(err)?;
                match r["Users"].as_array() {
                    Some(users) if !users.is_empty() => Ok(()),
                    _ => Err("ListUsers found nobody".into()),
                }
            }
            "mixed" => {
                // A blend weighted towards reads, as apps behave: 40% GetUser, 20% AdminGetUser,
                // 20% sign-in, 10% ListUsers, 10% sign-up.
                let w = match seq % 10 {
                    0..=3 => "getuser",
                    4 | 5 => "admingetuser",
                    6 | 7 => "signin",
                    8 => "listusers",
                    _ => "signup",
                };
                Box::pin(self.op(w, seq / 10)).await
            }
            other => Err(format!("unknown workload {other}")),
        }
    }
}

/// Adds users until the pool holds `target` beyond the fixture, by the fastest path each
/// server offers: cognate's store bulk import, cognito-local's database file, moto's API.
pub async fn prefill(server: &mut Running, fixture: &Fixture, from: usize, target: usize) -> anyhow::Result<()> {
    if target <= from {
        return Ok(());
    }
    match server.spec.kind {
        Kind::Cognate => prefill_cognate(server, fixture, from, target).await,
        Kind::CognitoLocal => prefill_cognito_local(server, fixture, from, target).await,
        Kind::Moto => {
            let next = Arc::new(AtomicU64::new(from as u64));
            let mut tasks = Vec::new();
            for _ in 0..16 {
                let next = next.clone();
                let idp = Idp::new(&server.url);
                let (pool, client) = (fixture.pool.clone(), fixture.client.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                        if i >= target {
                            return Ok::<(), String>(());
                        }
                        let username = format!("bulk-{i}");
                        let body = json!({ "ClientId": client, "Username": username, "Password": PASSWORD,
                            "UserAttributes": [{ "Name": "email", "Value": format!("bulk-{i}@bench.example") }] });
                        idp.call("SignUp", body).await.map_err(err)?;
                        idp.call("AdminConfirmSignUp", json!({ "UserPoolId": pool, "Username": username }))
                            .await
                            .map_err(err)?;
                    }
                }));
            }
            for t in tasks {
                t.await?.map_err(anyhow::Error::msg)?;
            }
            Ok(())
        }
    }
}

/// Where bulk users go: the server's own store, written directly.
enum Bulk {
    Sqlite(cognate_store::SqliteStore),
    Postgres(cognate_store::PgStore),
}

impl Bulk {
    async fn import(&self, users: Vec<NewUser>) -> anyhow::Result<()> {
        match self {
            Bulk::Sqlite(s) => s.import_users(users).await?,
            Bulk::Postgres(s) => s.import_users(users).await?,
        }
        Ok(())
    }
}

async fn prefill_cognate(server: &Running, fixture: &Fixture, from: usize, target: usize) -> anyhow::Result<()> {
    let store = match &server.spec.database_url {
        Some(url) => Bulk::Postgres(
            cognate_store::PgStore::connect(
                url,
                cognate_store::PgOptions { timeout: std::time::Duration::from_secs(600), ..Default::default() },
            )
            .await?,
        ),
        None => Bulk::Sqlite(cognate_store::SqliteStore::open(&server.data_dir().join("cognate.db"))?),
    };
    // One hash for every bulk user: they share a password, and verifying costs the same.
    let hash =
        cognate_server::passwords::Argon2Passwords::default().hash(PASSWORD).await.map_err(anyhow::Error::msg)?;
    let settings = PoolSettings::default();
    let rng = cognate_server::system::OsRng;
    let mut i = from;
    while i < target {
        let end = (i + 20_000).min(target);
        let users = (i..end)
            .map(|n| {
                let sub = cognate_core::ids::new_uuid(&rng);
                let username = format!("bulk-{n}");
                let mut attributes = Attributes::new();
                attributes.insert("sub".into(), sub.clone());
                attributes.insert("email".into(), format!("bulk-{n}@bench.example"));
                attributes.insert("email_verified".into(), "false".into());
                NewUser {
                    username_key: settings.username_key(&username),
                    aliases: Vec::new(),
                    user: User {
                        pool_id: fixture.pool.clone(),
                        username,
                        sub,
                        status: UserStatus::Confirmed,
                        enabled: true,
                        attributes,
                        password_hash: Some(hash.clone()),
                        srp_verifier: None,
                        password_set: Timestamp(1_770_000_000_000),
                        created: Timestamp(1_770_000_000_000),
                        modified: Timestamp(1_770_000_000_000),
                        mfa: Default::default(),
                    },
                }
            })
            .collect();
        store.import(users).await?;
        i = end;
    }
    match &store {
        Bulk::Sqlite(s) => s.close()?,
        Bulk::Postgres(s) => s.settle_after_import().await?,
    }
    Ok(())
}

async fn prefill_cognito_local(
    server: &mut Running,
    fixture: &Fixture,
    from: usize,
    target: usize,
) -> anyhow::Result<()> {
    // cognito-local keeps each pool in .cognito/db/<pool>.json and reads it at start-up:
    // stop it, add users shaped like one it created itself, start it again.
    let spec = server.spec.clone();
    let path = spec.work.join(".cognito/db").join(format!("{}.json", fixture.pool));
    server.stop().await;
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    // Its writes are not atomic: a file cut off by the stop can carry a stale tail after the
    // last complete document, so read the first JSON value and ignore the rest.
    let mut db: Value = serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .next()
        .context("empty cognito-local database")??;
    let template = db["Users"]["fixture-0"].clone();
    let users = db["Users"].as_object_mut().context("no Users in the cognito-local database")?;
    for n in from..target {
        let mut u = template.clone();
        let username = format!("bulk-{n}");
        u["Username"] = json!(username);
        u["Attributes"] = json!([
            { "Name": "sub", "Value": format!("00000000-0000-4000-8000-{n:012}") },
            { "Name": "email", "Value": format!("bulk-{n}@bench.example") },
        ]);
        users.insert(username, u);
    }
    std::fs::write(&path, serde_json::to_vec(&db)?)?;
    // Same port: the fixture's client keeps talking to the same URL.
    let port = server.port();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    *server = crate::servers::start_on(&spec, port).await?;
    Ok(())
}
