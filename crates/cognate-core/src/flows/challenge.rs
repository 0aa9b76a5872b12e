//! Challenges: SRP's PASSWORD_VERIFIER and NEW_PASSWORD_REQUIRED, answered through
//! RespondToAuthChallenge / AdminRespondToAuthChallenge.
//!
//! ```text
//! InitiateAuth(USER_SRP_AUTH, SRP_A) ──► PASSWORD_VERIFIER {SALT, SRP_B, SECRET_BLOCK}
//!        RespondToAuthChallenge(PASSWORD_CLAIM_SIGNATURE) ──► tokens
//!                                                        └─► NEW_PASSWORD_REQUIRED (FORCE_CHANGE_PASSWORD)
//!        RespondToAuthChallenge(NEW_PASSWORD) ──► CONFIRMED, tokens
//! ```
//!
//! The state between two steps lives in a session row (see `state.rs`).

use std::collections::BTreeMap;

use base64::Engine;

use super::auth::{param, AuthOutcome, Challenge};
use super::state::{invalid_session, FirstFactor, Proof, Step};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids;
use crate::password;
use crate::pool::UserPool;
use crate::signin::ChallengeName;
use crate::srp::{self, Verifier};
use crate::triggers::Metadata;
use crate::user::{Attributes, User, UserStatus, UserUpdate};

/// The answer to an SRP exchange (a user's PASSWORD_VERIFIER or a device's
/// DEVICE_PASSWORD_VERIFIER).
pub(crate) struct SrpClaim<'a> {
    /// The `SECRET_BLOCK` the server handed out: the session's key.
    pub block: &'a str,
    pub signature: &'a str,
    pub timestamp: &'a str,
}

impl<'a> SrpClaim<'a> {
    pub fn read(responses: &'a BTreeMap<String, String>) -> Result<Self> {
        let block = param(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?;
        let signature = param(responses, "PASSWORD_CLAIM_SIGNATURE")?;
        let timestamp = param(responses, "TIMESTAMP")?;
        if !srp::is_timestamp(timestamp) {
            return Err(DomainError::invalid("TIMESTAMP must look like \"Tue Mar 5 09:04:03 UTC 2024\"."));
        }
        Ok(Self { block, signature, timestamp })
    }
}

/// RespondToAuthChallenge / AdminRespondToAuthChallenge input, minus the wire.
pub struct RespondRequest {
    pub client_id: String,
    /// Set for the admin operation: the client must belong to it.
    pub pool_id: Option<String>,
    pub challenge_name: ChallengeName,
    pub responses: BTreeMap<String, String>,
    pub session: Option<String>,
    pub client_metadata: Metadata,
}

impl Cognate {
    /// USER_SRP_AUTH / ADMIN_USER_SRP_AUTH: the server's half of SRP. An unknown user gets a
    /// decoy challenge when the client hides user existence, failing only at the claim.
    pub(crate) async fn srp_start(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
    ) -> Result<AuthOutcome> {
        let username = param(params, "USERNAME")?;
        let client_public = srp::from_hex(param(params, "SRP_A")?)
            .ok_or_else(|| DomainError::invalid("SRP_A must be a hexadecimal number."))?;
        let user = self.find_user(&pool, username).await?;
        let names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &names)?;
        let suffix = srp::pool_suffix(&pool.id).to_string();
        let (user_id, verifier) = match &user {
            Some(user) => {
                if !user.enabled {
                    return Err(DomainError::not_authorized("User is disabled."));
                }
                self.pre_authentication(&pool, user, &client.client_id, &None).await?;
                // Only a look: the attempt itself is the answer to the challenge.
                self.check_user_lock(&pool, user).await?;
                match self.open_verifier(user) {
                    Some(v) => (user.username.clone(), v),
                    // No verifier (a password set before cognate kept them): the claim cannot
                    // succeed; the user signs in with USER_PASSWORD_AUTH once to get one.
                    None => (user.username.clone(), self.decoy_verifier(&pool, username, &suffix).await?.1),
                }
            }
            None if client.settings.prevents_user_existence_errors() => {
                self.check_hidden_lock(&pool, &self.decoy_user_id(&pool, username)).await?;
                self.decoy_verifier(&pool, username, &suffix).await?
            }
            None => return Err(DomainError::user_not_found()),
        };
        let mut b = [0u8; 32];
        self.rng.fill(&mut b);
        let v = verifier.verifier.clone();
        let challenge = self
            .offload(move || srp::server_challenge(&v, &client_public, &b))
            .await?
            .map_err(|_| DomainError::invalid("SRP_A must not be zero modulo N."))?;
        let step = Step::PasswordVerifier { key: challenge.key.to_vec() };
        let block = self.open_session(&client, &pool, user.as_ref(), &user_id, &step).await?;
        let parameters = BTreeMap::from([
            ("SALT".to_string(), srp::to_hex(&verifier.salt)),
            ("SRP_B".to_string(), srp::to_hex(&challenge.public)),
            ("SECRET_BLOCK".to_string(), block.clone()),
            ("USERNAME".to_string(), user_id.clone()),
            ("USER_ID_FOR_SRP".to_string(), user_id),
        ]);
        Ok(AuthOutcome::Challenge(Challenge::new(ChallengeName::PasswordVerifier, parameters, block)))
    }

    /// Opens the user's sealed SRP verifier; `None` when there is none or the key changed.
    pub(crate) fn open_verifier(&self, user: &User) -> Option<Verifier> {
        let sealed = user.srp_verifier.as_deref()?;
        let plain = String::from_utf8(self.sealer.open(sealed)?).ok()?;
        Verifier::decode(&plain)
    }

    /// After a successful password sign-in, gives users without a readable verifier (set
    /// before cognate kept them, imported, or sealed under a lost key) a fresh one, so SRP
    /// works for them from then on.
    pub(crate) async fn ensure_verifier(&self, pool: &UserPool, user: &User, password: &str) -> Result<()> {
        if self.open_verifier(user).is_some() {
            return Ok(());
        }
        let mut salt = [0u8; 16];
        self.rng.fill(&mut salt);
        let (suffix, name, pw) = (srp::pool_suffix(&pool.id).to_string(), user.username.clone(), password.to_string());
        let verifier = self.offload(move || Verifier::new(&salt, &suffix, &name, &pw).encode()).await?;
        let update =
            UserUpdate { srp_verifier: Some(Some(self.sealer.seal(verifier.as_bytes()))), ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        Ok(())
    }

    /// The UUID-shaped id a name with no user gets: in its decoy SRP challenge, and as the key
    /// of its sign-in failures (the same for password and SRP sign-ins, as a real user's are).
    pub(crate) fn decoy_user_id(&self, pool: &UserPool, typed: &str) -> String {
        let key = format!("{}\u{0}{}", pool.id, pool.settings.username_key(typed));
        let id_bytes = self.sealer.fingerprint(format!("srp-user\u{0}{key}").as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&id_bytes[..16]);
        ids::uuid_from(id)
    }

    /// The same user id and salt every time for the same name (so probing twice shows no
    /// difference), unpredictable without the server's key, and a verifier nobody can match.
    async fn decoy_verifier(&self, pool: &UserPool, typed: &str, suffix: &str) -> Result<(String, Verifier)> {
        let key = format!("{}\u{0}{}", pool.id, pool.settings.username_key(typed));
        let salt = self.sealer.fingerprint(format!("srp-salt\u{0}{key}").as_bytes());
        let user_id = self.decoy_user_id(pool, typed);
        let mut secret = [0u8; 32];
        self.rng.fill(&mut secret);
        let (suffix, uid, password) = (suffix.to_string(), user_id.clone(), ids::hex(&secret));
        let verifier = self.offload(move || Verifier::new(&salt[..16], &suffix, &uid, &password)).await?;
        Ok((user_id, verifier))
    }

    pub async fn respond_to_auth_challenge(&self, req: RespondRequest) -> Result<AuthOutcome> {
        let (client, pool) = match &req.pool_id {
            Some(pool_id) => {
                let client = self.client_in_pool(pool_id, &req.client_id).await?;
                (client, self.pool(pool_id).await?)
            }
            None => self.client_and_pool(&req.client_id).await?,
        };
        let session = req.session.as_deref();
        match req.challenge_name {
            ChallengeName::PasswordVerifier => self.srp_verify(client, pool, &req.responses, req.client_metadata).await,
            ChallengeName::NewPasswordRequired => {
                self.new_password(client, pool, session, &req.responses, req.client_metadata).await
            }
            ChallengeName::CustomChallenge => {
                self.custom_answer(client, pool, session, &req.responses, req.client_metadata).await
            }
            // EMAIL_OTP and SMS_OTP answer a second factor or a passwordless first one; the
            // session knows which.
            name @ (ChallengeName::SmsMfa
            | ChallengeName::SoftwareTokenMfa
            | ChallengeName::EmailOtp
            | ChallengeName::SmsOtp) => {
                self.mfa_answer(client, pool, name, session, &req.responses, req.client_metadata).await
            }
            ChallengeName::DeviceSrpAuth => self.device_srp_answer(client, pool, session, &req.responses).await,
            ChallengeName::WebAuthn => {
                self.webauthn_answer(client, pool, session, &req.responses, req.client_metadata).await
            }
            ChallengeName::DevicePasswordVerifier => {
                self.device_claim_answer(client, pool, &req.responses, req.client_metadata).await
            }
            name @ (ChallengeName::SelectChallenge | ChallengeName::Password | ChallengeName::PasswordSrp) => {
                self.select_challenge_answer(client, pool, name, session, &req.responses, req.client_metadata).await
            }
            ChallengeName::SelectMfaType => {
                self.select_mfa_answer(client, pool, session, &req.responses, req.client_metadata).await
            }
            ChallengeName::MfaSetup => {
                self.mfa_setup_answer(client, pool, session, &req.responses, req.client_metadata).await
            }
            other => Err(DomainError::UnsupportedOperation(format!(
                "The {other} challenge is not supported by cognate yet."
            ))),
        }
    }

    async fn srp_verify(
        &self,
        client: AppClient,
        pool: UserPool,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let username = param(responses, "USERNAME")?;
        let SrpClaim { block, signature, timestamp } = SrpClaim::read(responses)?;
        let open = self
            .session(&client, block, ChallengeName::PasswordVerifier)
            .await
            .map_err(|_| DomainError::incorrect_credentials())?;
        Self::check_secret_hash(
            &client,
            responses.get("SECRET_HASH").map(String::as_str),
            &[username, open.row.username.as_str()],
        )?;
        let user = match &open.row.sub {
            Some(sub) => self.store.get_user_by_sub(&pool.id, sub).await?,
            None => None,
        };
        // An unknown device is refused before the exchange is spent: Amplify forgets the key
        // and sends the same claim again without it.
        let device = match &user {
            Some(user) => self.presented_device(&pool, user, responses.get("DEVICE_KEY").map(String::as_str)).await?,
            None => None,
        };
        // Spent whatever the outcome: a claim cannot be tried twice against one exchange.
        self.spend_session(&open).await.map_err(|_| DomainError::incorrect_credentials())?;
        let Step::PasswordVerifier { key } = open.step else { return Err(invalid_session()) };
        let session = open.row;
        let block_bytes = base64::engine::general_purpose::STANDARD.decode(block).unwrap_or_default();
        let suffix = srp::pool_suffix(&pool.id);
        let valid = srp::claim_matches(&key, suffix, &session.username, &block_bytes, timestamp, signature);
        let Some(user) = user else {
            // A decoy (its session names the decoy id): fails like a real user's wrong claim.
            self.check_hidden_lock(&pool, &session.username).await?;
            self.record_hidden_failure(&pool, &session.username).await?;
            return Err(DomainError::incorrect_credentials());
        };
        // Checked again at the claim: sessions opened before a lock must not outlive it.
        let attempt = self.begin_attempt(&pool, &user).await?;
        if !valid {
            self.record_failure(&pool, &user).await?;
            return Err(DomainError::incorrect_credentials());
        }
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        self.clear_failures(&pool, &user, &attempt).await?;
        drop(attempt);
        let proof = Proof::first(FirstFactor::Srp).with_device(device);
        self.first_factor_proven(client, pool, user, client_metadata, proof).await
    }

    /// The challenge for a user holding a temporary password.
    pub(crate) async fn new_password_challenge(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: &User,
        proof: Proof,
    ) -> Result<Challenge> {
        let step = Step::NewPasswordRequired { proof };
        let session = self.open_session(client, pool, Some(user), &user.username, &step).await?;
        let mut shown = user.attributes.clone();
        shown.remove("sub");
        let required = missing_required(pool, &user.attributes);
        let parameters = BTreeMap::from([("USER_ID_FOR_SRP".to_string(), user.username.clone())]);
        Ok(Challenge {
            user_attributes: Some(shown),
            required_attributes: Some(required.into_iter().map(|a| format!("userAttributes.{a}")).collect()),
            ..Challenge::new(ChallengeName::NewPasswordRequired, parameters, session)
        })
    }

    async fn new_password(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let new_password = param(responses, "NEW_PASSWORD")?;
        let open = self.answered_session(&client, token, ChallengeName::NewPasswordRequired, responses).await?;
        let Step::NewPasswordRequired { proof } = open.step.clone() else { return Err(invalid_session()) };
        let mut user = self.session_user(&open).await?;
        if user.status != UserStatus::ForceChangePassword {
            return Err(invalid_session());
        }
        let supplied: Vec<(String, String)> = responses
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("userAttributes.").map(|name| (name.to_string(), v.clone())))
            .collect();
        // The same rules as UpdateUserAttributes: no *_verified flags, only writable attributes.
        self.check_edit(&pool, super::profile::Editor::User, Some(&client.client_id), &supplied).await?;
        let mut merged = user.attributes.clone();
        merged.extend(supplied.iter().cloned());
        if let Some(name) = missing_required(&pool, &merged).first() {
            return Err(DomainError::invalid(format!("Invalid attributes given, {name} is missing")));
        }
        password::check(&pool.settings.password_policy, new_password)?;
        self.spend_session(&open).await?;
        if !supplied.is_empty() {
            let editor = super::profile::Editor::User;
            let metadata = client_metadata.clone();
            self.update_user_attributes(&user, supplied, editor, Some(&client.client_id), metadata).await?;
            user = self.store.get_user_by_sub(&pool.id, &user.sub).await?.ok_or_else(invalid_session)?;
        }
        let (hash, verifier) = self.password_record(&pool.id, &user.username, new_password).await?;
        let now = self.clock.now();
        let update = UserUpdate {
            password_hash: Some(hash),
            srp_verifier: Some(Some(verifier)),
            status: Some(UserStatus::Confirmed),
            expected_status: Some(UserStatus::ForceChangePassword),
            ..Default::default()
        };
        self.store.update_user(&pool.id, &user.sub, &update, now).await.map_err(|_| invalid_session())?;
        user.status = UserStatus::Confirmed;
        let proof = Proof { new_password: true, ..proof };
        self.second_factor(client, pool, user, client_metadata, proof).await
    }
}

/// Required attributes (from the pool's schema) that `attributes` lacks.
fn missing_required(pool: &UserPool, attributes: &Attributes) -> Vec<String> {
    pool.settings
        .schema
        .iter()
        .filter(|a| a.required && !attributes.contains_key(&a.name))
        .map(|a| a.name.clone())
        .collect()
}
