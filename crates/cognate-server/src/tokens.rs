//! Signing keys and JWTs. Each pool has two RSA-2048 keys (id and access tokens, as in
//! Cognito), generated once, stored in the database, and cached here after parsing since
//! they never change. Tokens are RS256, signed and verified with ring.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use cognate_core::flows::TokenGrant;
use cognate_core::ids::{self, Timestamp};
use cognate_core::ports::{Rng, SigningKey, Store};
use cognate_core::DomainError;
use ring::signature::{RsaKeyPair, RsaPublicKeyComponents, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub struct PoolKey {
    pub kid: String,
    pair: RsaKeyPair,
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

pub struct PoolKeys {
    pub id: PoolKey,
    pub access: PoolKey,
}

impl PoolKeys {
    pub fn jwks(&self) -> Value {
        let jwk = |k: &PoolKey| json!({ "alg": "RS256", "e": URL_SAFE_NO_PAD.encode(&k.e), "kid": k.kid, "kty": "RSA", "n": URL_SAFE_NO_PAD.encode(&k.n), "use": "sig" });
        json!({ "keys": [jwk(&self.id), jwk(&self.access)] })
    }

    fn by_kid(&self, kid: &str) -> Option<&PoolKey> {
        [&self.id, &self.access].into_iter().find(|k| k.kid == kid)
    }
}

pub struct KeyRing {
    cache: Mutex<HashMap<String, Arc<PoolKeys>>>,
    /// Tokens whose signature was already checked, by the SHA-256 of the whole token. An RSA
    /// verification is most of GetUser's CPU, and apps present the same token again and again.
    verified: Mutex<HashMap<[u8; 32], Arc<Checked>>>,
    /// Where a new pool's keys come from (PKCS#8 DER).
    generate: fn() -> Result<Vec<u8>, DomainError>,
    /// When each pool's keys were last read again for an unknown key id.
    reloads: Mutex<HashMap<String, Timestamp>>,
}

/// How often an unknown key id may send an instance back to the store for a pool's keys.
pub const RELOAD_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

impl Default for KeyRing {
    fn default() -> Self {
        Self::with_generator(new_rsa_key)
    }
}

/// A token's pool and its verified claims.
type Checked = (String, Map<String, Value>);

/// Verified tokens remembered at most; the map is cleared when full (cheap, and a miss only
/// costs one verification).
const VERIFIED_CAPACITY: usize = 50_000;

fn internal(e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(e.to_string())
}

fn parse_key(stored: &SigningKey) -> Result<PoolKey, DomainError> {
    let pair = RsaKeyPair::from_pkcs8(&stored.private_der).map_err(|e| internal(format!("bad signing key: {e}")))?;
    let components = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    Ok(PoolKey { kid: stored.kid.clone(), pair, n: components.n, e: components.e })
}

/// A fresh RSA-2048 private key, PKCS#8 DER: what every new pool gets.
pub fn new_rsa_key() -> Result<Vec<u8>, DomainError> {
    use rsa::pkcs8::EncodePrivateKey;
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(internal)?;
    Ok(key.to_pkcs8_der().map_err(internal)?.as_bytes().to_vec())
}

impl KeyRing {
    /// A key ring whose new pools get keys from `generate`: for harnesses that make pools by
    /// the thousand (the fuzz targets), where a 2048-bit key generation per pool costs seconds.
    pub fn with_generator(generate: fn() -> Result<Vec<u8>, DomainError>) -> Self {
        Self { cache: Default::default(), verified: Default::default(), generate, reloads: Default::default() }
    }

    /// The pool's keys, generating and storing them on first use. Two instances racing here
    /// both generate, but the store keeps only the first key per use and both read it back.
    pub async fn for_pool(
        &self,
        store: &dyn Store,
        pool_id: &str,
        now: Timestamp,
    ) -> Result<Arc<PoolKeys>, DomainError> {
        if let Some(keys) = self.cache.lock().map_err(internal)?.get(pool_id) {
            return Ok(keys.clone());
        }
        let mut stored = store.get_signing_keys(pool_id).await?;
        for token_use in ["id", "access"] {
            if stored.iter().any(|k| k.token_use == token_use) {
                continue;
            }
            let der = tokio::task::spawn_blocking(self.generate).await.map_err(internal)??;
            let kid = STANDARD.encode(&Sha256::digest(&der)[..24]);
            let key = SigningKey {
                pool_id: pool_id.into(),
                kid,
                token_use: token_use.into(),
                private_der: der,
                created: now,
            };
            store.insert_signing_key(&key).await?;
            stored = store.get_signing_keys(pool_id).await?;
        }
        let find = |token_use: &str| {
            stored
                .iter()
                .find(|k| k.token_use == token_use)
                .ok_or_else(|| internal("signing key missing after insert"))
                .and_then(parse_key)
        };
        let keys = Arc::new(PoolKeys { id: find("id")?, access: find("access")? });
        self.cache.lock().map_err(internal)?.insert(pool_id.to_string(), keys.clone());
        Ok(keys)
    }

    /// The pool's keys read again from the store, at most once per [`RELOAD_INTERVAL`] per pool
    /// (tokens with made-up key ids must not turn into a database read each).
    pub async fn reload(&self, store: &dyn Store, pool_id: &str, now: Timestamp) -> Result<Arc<PoolKeys>, DomainError> {
        let due = {
            let mut reloads = self.reloads.lock().map_err(internal)?;
            let last = reloads.get(pool_id).copied();
            let due = last.is_none_or(|t: Timestamp| now >= t.plus(RELOAD_INTERVAL));
            if due {
                reloads.insert(pool_id.to_string(), now);
            }
            due
        };
        if due {
            self.cache.lock().map_err(internal)?.remove(pool_id);
        }
        self.for_pool(store, pool_id, now).await
    }

    /// The pool's keys if this instance has already loaded them.
    pub fn cached(&self, pool_id: &str) -> Option<Arc<PoolKeys>> {
        self.cache.lock().ok()?.get(pool_id).cloned()
    }

    /// Drops a deleted pool's keys and the tokens verified with them.
    pub fn forget(&self, pool_id: &str) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.remove(pool_id);
        }
        if let Ok(mut verified) = self.verified.lock() {
            verified.retain(|_, entry| entry.0 != pool_id);
        }
    }
}

fn sign(key: &PoolKey, claims: &Value) -> Result<String, DomainError> {
    let header = json!({ "kid": key.kid, "alg": "RS256" });
    let signing_input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut sig = vec![0u8; key.pair.public().modulus_len()];
    key.pair
        .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signing_input.as_bytes(), &mut sig)
        .map_err(internal)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

pub struct Minted {
    /// `None` for OAuth tokens granted without the `openid` scope.
    pub id_token: Option<String>,
    pub access_token: String,
    pub expires_in: u64,
}

fn attribute_claim(name: &str, value: &str) -> Value {
    match name {
        "email_verified" | "phone_number_verified" => json!(value == "true"),
        _ => json!(value),
    }
}

/// Mints the id and access tokens of a grant with Cognito's claims.
pub fn mint(keys: &PoolKeys, grant: &TokenGrant, issuer: &str, rng: &dyn Rng) -> Result<Minted, DomainError> {
    let settings = &grant.client.settings;
    let iat = grant.now.seconds();
    let auth_time = grant.auth_time.seconds();
    let event_id = ids::new_uuid(rng);
    let user = &grant.user;

    let mut id = Map::new();
    let readable = |name: &str| settings.read_attributes.as_ref().is_none_or(|r| r.iter().any(|a| a == name));
    for (name, value) in &user.attributes {
        if name != "sub" && readable(name) {
            id.insert(name.clone(), attribute_claim(name, value));
        }
    }
    let id_ttl = settings.id_token_ttl().as_secs();
    let access_ttl = settings.access_token_ttl().as_secs();
    id.extend([
        ("sub".into(), json!(user.sub)),
        ("iss".into(), json!(issuer)),
        ("cognito:username".into(), json!(user.username)),
        ("origin_jti".into(), json!(grant.origin_jti)),
        ("aud".into(), json!(grant.client.client_id)),
        ("event_id".into(), json!(event_id)),
        ("token_use".into(), json!("id")),
        ("auth_time".into(), json!(auth_time)),
        ("exp".into(), json!(iat + id_ttl as i64)),
        ("iat".into(), json!(iat)),
        ("jti".into(), json!(ids::new_uuid(rng))),
    ]);
    let overrides = &grant.overrides;
    // Groups come from the user's memberships unless PreTokenGeneration replaced them.
    let (groups, roles, preferred) = match &overrides.groups {
        Some(g) => (g.groups.clone(), g.roles.clone(), g.preferred_role.clone()),
        None => (
            grant.groups.iter().map(|g| g.name.clone()).collect(),
            grant.groups.iter().filter_map(|g| g.role_arn.clone()).collect(),
            cognate_core::group::preferred_role(&grant.groups).map(str::to_string),
        ),
    };
    if !groups.is_empty() {
        id.insert("cognito:groups".into(), json!(groups));
    }
    if !roles.is_empty() {
        id.insert("cognito:roles".into(), json!(roles));
    }
    if let Some(role) = &preferred {
        id.insert("cognito:preferred_role".into(), json!(role));
    }
    let apply = |claims: &mut Map<String, Value>, add: &[(String, String)], suppress: &[String]| {
        for (name, value) in add {
            if let Ok(value) = serde_json::from_str::<Value>(value) {
                claims.insert(name.clone(), value);
            }
        }
        // A claim both overridden and suppressed ends up suppressed, as on Cognito.
        for name in suppress {
            claims.remove(name);
        }
    };
    apply(&mut id, &overrides.id_add, &overrides.id_suppress);
    let mut scopes = match &grant.oauth {
        Some(oauth) => oauth.scopes.clone(),
        None => vec![cognate_core::flows::ACCESS_SCOPE.to_string()],
    };
    scopes.extend(overrides.scopes_add.iter().filter(|s| !s.is_empty()).cloned());
    scopes.retain(|s| !overrides.scopes_suppress.contains(s));
    scopes.dedup();
    let mut access = json!({
        "sub": user.sub,
        "iss": issuer,
        "client_id": grant.client.client_id,
        "origin_jti": grant.origin_jti,
        "event_id": event_id,
        "token_use": "access",
        "scope": scopes.join(" "),
        "auth_time": auth_time,
        "exp": iat + access_ttl as i64,
        "iat": iat,
        "jti": ids::new_uuid(rng),
        "username": user.username,
    });
    if let Value::Object(claims) = &mut access {
        if !groups.is_empty() {
            claims.insert("cognito:groups".into(), json!(groups));
        }
        if let Some(device) = &grant.device_key {
            claims.insert("device_key".into(), json!(device));
        }
        apply(claims, &overrides.access_add, &overrides.access_suppress);
        if scopes.is_empty() {
            claims.remove("scope");
        }
        if grant.oauth.is_some() {
            claims.insert("version".into(), json!(2));
        }
    }
    let access_token = sign(&keys.access, &access)?;
    let id_token = match &grant.oauth {
        Some(oauth) if !oauth.scopes.iter().any(|s| s == "openid") => None,
        Some(oauth) => {
            // OIDC core §3.1.3.6: the left half of the access token's SHA-256.
            let digest = Sha256::digest(access_token.as_bytes());
            id.insert("at_hash".into(), json!(URL_SAFE_NO_PAD.encode(&digest[..16])));
            if let Some(nonce) = &oauth.nonce {
                id.insert("nonce".into(), json!(nonce));
            }
            Some(sign(&keys.id, &Value::Object(id))?)
        }
        None => Some(sign(&keys.id, &Value::Object(id))?),
    };
    Ok(Minted { id_token, access_token, expires_in: access_ttl })
}

/// Mints the access token of a `client_credentials` grant: the client is the subject.
pub fn mint_machine(
    keys: &PoolKeys,
    grant: &cognate_core::flows::MachineGrant,
    issuer: &str,
    rng: &dyn Rng,
) -> Result<(String, u64), DomainError> {
    let iat = grant.now.seconds();
    let ttl = grant.client.settings.access_token_ttl().as_secs();
    let client_id = &grant.client.client_id;
    let mut claims = Map::new();
    claims.extend([
        ("sub".into(), json!(client_id)),
        ("token_use".into(), json!("access")),
        ("scope".into(), json!(grant.scopes.join(" "))),
        ("auth_time".into(), json!(iat)),
        ("iss".into(), json!(issuer)),
        ("exp".into(), json!(iat + ttl as i64)),
        ("iat".into(), json!(iat)),
        ("version".into(), json!(2)),
        ("jti".into(), json!(ids::new_uuid(rng))),
        ("client_id".into(), json!(client_id)),
    ]);
    let overrides = &grant.overrides;
    for (name, value) in &overrides.access_add {
        if let Ok(value) = serde_json::from_str::<Value>(value) {
            claims.insert(name.clone(), value);
        }
    }
    for name in &overrides.access_suppress {
        claims.remove(name);
    }
    Ok((sign(&keys.access, &Value::Object(claims))?, ttl))
}

/// The claims of a token whose signature and expiry were checked.
pub struct Verified {
    pub pool_id: String,
    pub claims: Map<String, Value>,
}

impl Verified {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
}

fn invalid_access_token() -> DomainError {
    DomainError::not_authorized("Invalid Access Token")
}

/// Splits a token and reads its unverified claims (to find the pool it names).
pub fn peek(token: &str) -> Result<(Value, Map<String, Value>), DomainError> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid_access_token());
    };
    let decode = |s: &str| -> Result<Value, DomainError> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| invalid_access_token())?;
        serde_json::from_slice(&bytes).map_err(|_| invalid_access_token())
    };
    let header = decode(h)?;
    let Value::Object(claims) = decode(c)? else { return Err(invalid_access_token()) };
    Ok((header, claims))
}

/// Verifies an access token issued by this server: signature, `token_use`, expiry.
pub async fn verify_access_token(state: &crate::AppState, token: &str) -> Result<Verified, DomainError> {
    let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let remembered = state.keys.verified.lock().ok().and_then(|m| m.get(&digest).cloned());
    let (pool_id, claims) = match remembered {
        Some(entry) => (entry.0.clone(), entry.1.clone()),
        None => {
            let (pool_id, claims) = verify_signature(state, token).await?;
            if let Ok(mut m) = state.keys.verified.lock() {
                if m.len() >= VERIFIED_CAPACITY {
                    m.clear();
                }
                m.insert(digest, Arc::new((pool_id.clone(), claims.clone())));
            }
            (pool_id, claims)
        }
    };
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    if state.cognate.clock.now().seconds() >= exp {
        return Err(DomainError::not_authorized("Access Token has expired"));
    }
    Ok(Verified { pool_id, claims })
}

async fn verify_signature(state: &crate::AppState, token: &str) -> Result<Checked, DomainError> {
    let (header, claims) = peek(token)?;
    let iss = claims.get("iss").and_then(Value::as_str).ok_or_else(invalid_access_token)?;
    let pool_id = iss.rsplit('/').next().unwrap_or_default().to_string();
    // Keys are only ever made for pools that exist; a cached key set needs no second look.
    let keys = match state.keys.cached(&pool_id) {
        Some(keys) => keys,
        None => {
            if pool_id.is_empty() || state.cognate.store.get_pool(&pool_id).await?.is_none() {
                return Err(invalid_access_token());
            }
            state.keys.for_pool(state.cognate.store.as_ref(), &pool_id, state.cognate.clock.now()).await?
        }
    };
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or_default();
    let keys = match keys.by_kid(kid) {
        Some(_) => keys,
        // Another instance may have stored keys this one has not seen (rotation): look again.
        None => state.keys.reload(state.cognate.store.as_ref(), &pool_id, state.cognate.clock.now()).await?,
    };
    let key = keys.by_kid(kid).ok_or_else(invalid_access_token)?;
    let (signing_input, sig) = token.rsplit_once('.').ok_or_else(invalid_access_token)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| invalid_access_token())?;
    RsaPublicKeyComponents { n: &key.n, e: &key.e }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signing_input.as_bytes(), &sig)
        .map_err(|_| invalid_access_token())?;
    if claims.get("token_use").and_then(Value::as_str) != Some("access") {
        return Err(invalid_access_token());
    }
    Ok((pool_id, claims))
}
