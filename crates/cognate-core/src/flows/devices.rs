//! Devices, when the pool's `DeviceConfiguration` tracks them:
//!
//! ```text
//! sign-in without DEVICE_KEY ──► tokens + NewDeviceMetadata {DeviceKey, DeviceGroupKey}
//! ConfirmDevice(DeviceSecretVerifierConfig) ──► the device's SRP verifier kept (sealed)
//! sign-in with a remembered DEVICE_KEY, second factor due ──► DEVICE_SRP_AUTH
//!     RespondToAuthChallenge(DEVICE_SRP_AUTH, SRP_A) ──► DEVICE_PASSWORD_VERIFIER {SRP_B, SALT, SECRET_BLOCK}
//!     RespondToAuthChallenge(DEVICE_PASSWORD_VERIFIER, claim) ──► tokens
//! ```
//!
//! The device's SRP is the user's with the pool's suffix replaced by the device group key and
//! the username by the device key.

use std::collections::BTreeMap;

use base64::Engine;

use super::auth::{param, AuthOutcome, Challenge, NewDevice};
use super::challenge::SrpClaim;
use super::state::{invalid_session, Proof, Step};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result, StoreError};
use crate::ids;
use crate::pool::UserPool;
use crate::signin::ChallengeName;
use crate::srp::{self, Verifier};
use crate::triggers::Metadata;
use crate::user::{Device, User};

/// What ConfirmDevice / UpdateDeviceStatus tell about a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RememberedStatus {
    Remembered,
    NotRemembered,
}

/// A page of ListDevices.
pub struct DevicePage {
    pub devices: Vec<Device>,
    pub next: Option<String>,
}

fn no_device() -> DomainError {
    // Amplify matches this text to forget a device the server no longer knows, then retries.
    DomainError::ResourceNotFound("Device does not exist.".into())
}

impl Cognate {
    /// The device a client named by `DEVICE_KEY`, when it is this user's; an unknown key is
    /// `ResourceNotFoundException` "Device does not exist.". Without tracking the key is ignored.
    pub(crate) async fn presented_device(
        &self,
        pool: &UserPool,
        user: &User,
        key: Option<&str>,
    ) -> Result<Option<String>> {
        let Some(key) = key.filter(|k| !k.is_empty()) else { return Ok(None) };
        if pool.settings.devices.is_none() {
            return Ok(None);
        }
        match self.store.get_device(&pool.id, key).await? {
            Some(device) if device.sub == user.sub => Ok(Some(device.key)),
            _ => Err(no_device()),
        }
    }

    /// The device of the tokens about to be issued: the one the client named (marked as just
    /// used), or a new one, announced in `NewDeviceMetadata`.
    pub(crate) async fn device_for_tokens(
        &self,
        pool: &UserPool,
        user: &User,
        proof: &Proof,
    ) -> Result<(Option<String>, Option<NewDevice>)> {
        if pool.settings.devices.is_none() {
            return Ok((None, None));
        }
        let now = self.clock.now();
        if let Some(key) = &proof.device {
            if let Some(device) = self.store.get_device(&pool.id, key).await?.filter(|d| d.sub == user.sub) {
                let used = Device { last_authenticated: now, ..device };
                self.store.update_device(&used).await?;
                return Ok((Some(key.clone()), None));
            }
        }
        let region = pool.id.split('_').next().unwrap_or(&self.config.region);
        let key = format!("{region}_{}", ids::new_uuid(self.rng.as_ref()));
        // No `_` in it: clients split pool-like names at the first underscore.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let group_key = format!("-{}", ids::random_string(self.rng.as_ref(), ALPHABET, 8));
        let device = Device {
            pool_id: pool.id.clone(),
            sub: user.sub.clone(),
            key: key.clone(),
            group_key: group_key.clone(),
            verifier: None,
            name: None,
            remembered: false,
            created: now,
            modified: now,
            last_authenticated: now,
        };
        self.store.insert_device(&device).await?;
        Ok((Some(key.clone()), Some(NewDevice { key, group_key })))
    }

    /// Whether a remembered device may prove itself in place of the second factor.
    pub(crate) async fn device_may_stand_in(&self, pool: &UserPool, user: &User, proof: &Proof) -> Result<bool> {
        let Some(config) = pool.settings.devices else { return Ok(false) };
        let Some(key) = &proof.device else { return Ok(false) };
        if !config.challenge_required_on_new_device {
            return Ok(false);
        }
        let device = self.store.get_device(&pool.id, key).await?;
        Ok(device.is_some_and(|d| d.sub == user.sub && d.remembered && d.verifier.is_some()))
    }

    pub(crate) async fn device_srp_challenge(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: &User,
        proof: Proof,
    ) -> Result<AuthOutcome> {
        let parameters = BTreeMap::from([("USERNAME".to_string(), user.username.clone())]);
        let key = proof.device.clone().unwrap_or_default();
        let token = self.device_session_token(pool, user, &key);
        // One pending device proof per user and device: a newer sign-in replaces it.
        self.store.delete_auth_session(&super::auth::hash_refresh_token(&token)).await?;
        let step = Step::DeviceSrpAuth { proof };
        let session = self.open_session_as(client, pool, Some(user), &user.username, &step, token).await?;
        Ok(AuthOutcome::Challenge(Challenge::new(ChallengeName::DeviceSrpAuth, parameters, session)))
    }

    /// The `Session` of a DEVICE_SRP_AUTH challenge, derived from the user and device under the
    /// server's key: clients that answer without sending it back (the AWS examples, pycognito)
    /// name the same session by `USERNAME` and `DEVICE_KEY`.
    fn device_session_token(&self, pool: &UserPool, user: &User, key: &str) -> String {
        let name = format!("device-srp\u{0}{}\u{0}{}\u{0}{key}", pool.id, user.sub);
        base64::engine::general_purpose::STANDARD.encode(self.sealer.fingerprint(name.as_bytes()))
    }

    /// DEVICE_SRP_AUTH answered with the device's `SRP_A`: the server's half of the exchange.
    pub(crate) async fn device_srp_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
    ) -> Result<AuthOutcome> {
        let key = param(responses, "DEVICE_KEY")?;
        let derived;
        let token = match token.filter(|t| !t.is_empty()) {
            Some(token) => token,
            None => {
                let user =
                    self.require_user(&pool, param(responses, "USERNAME")?).await.map_err(|_| invalid_session())?;
                derived = self.device_session_token(&pool, &user, key);
                &derived
            }
        };
        let open = self.answered_session(&client, Some(token), ChallengeName::DeviceSrpAuth, responses).await?;
        let Step::DeviceSrpAuth { proof } = open.step.clone() else { return Err(invalid_session()) };
        let client_public = srp::from_hex(param(responses, "SRP_A")?)
            .ok_or_else(|| DomainError::invalid("SRP_A must be a hexadecimal number."))?;
        if proof.device.as_deref() != Some(key) {
            return Err(no_device());
        }
        let device = self.store.get_device(&pool.id, key).await?.ok_or_else(no_device)?;
        let verifier = device
            .verifier
            .as_deref()
            .and_then(|sealed| self.sealer.open(sealed))
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|text| Verifier::decode(&text))
            .ok_or_else(no_device)?;
        self.spend_session(&open).await?;
        let mut b = [0u8; 32];
        self.rng.fill(&mut b);
        let v = verifier.verifier.clone();
        let challenge = self
            .offload(move || srp::server_challenge(&v, &client_public, &b))
            .await?
            .map_err(|_| DomainError::invalid("SRP_A must not be zero modulo N."))?;
        let user = self.store.get_user_by_sub(&pool.id, &device.sub).await?.ok_or_else(invalid_session)?;
        let step = Step::DevicePasswordVerifier { proof, key: challenge.key.to_vec() };
        let block = self.open_session(&client, &pool, Some(&user), &user.username, &step).await?;
        let parameters = BTreeMap::from([
            ("SALT".to_string(), srp::to_hex(&verifier.salt)),
            ("SRP_B".to_string(), srp::to_hex(&challenge.public)),
            ("SECRET_BLOCK".to_string(), block.clone()),
            ("USERNAME".to_string(), user.username.clone()),
            ("DEVICE_KEY".to_string(), device.key.clone()),
        ]);
        Ok(AuthOutcome::Challenge(Challenge::new(ChallengeName::DevicePasswordVerifier, parameters, block)))
    }

    /// DEVICE_PASSWORD_VERIFIER answered with the device's claim: tokens, the device standing
    /// in for the second factor.
    pub(crate) async fn device_claim_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let SrpClaim { block, signature, timestamp } = SrpClaim::read(responses)?;
        let key = param(responses, "DEVICE_KEY")?;
        let open = self
            .answered_session(&client, Some(block), ChallengeName::DevicePasswordVerifier, responses)
            .await
            .map_err(|_| DomainError::incorrect_credentials())?;
        let Step::DevicePasswordVerifier { proof, key: session_key } = open.step.clone() else {
            return Err(invalid_session());
        };
        self.spend_session(&open).await.map_err(|_| DomainError::incorrect_credentials())?;
        if proof.device.as_deref() != Some(key) {
            return Err(DomainError::incorrect_credentials());
        }
        let device = self.store.get_device(&pool.id, key).await?.ok_or_else(no_device)?;
        let block_bytes = base64::engine::general_purpose::STANDARD.decode(block).unwrap_or_default();
        if !srp::claim_matches(&session_key, &device.group_key, &device.key, &block_bytes, timestamp, signature) {
            return Err(DomainError::incorrect_credentials());
        }
        let user = self.store.get_user_by_sub(&pool.id, &device.sub).await?.ok_or_else(invalid_session)?;
        let proof = Proof { device_authenticated: true, ..proof };
        self.issue_tokens(client, pool, user, client_metadata, proof).await
    }

    /// The user's device `key`, or "Device does not exist.".
    async fn users_device(&self, user: &User, key: &str) -> Result<Device> {
        match self.store.get_device(&user.pool_id, key).await? {
            Some(device) if device.sub == user.sub => Ok(device),
            _ => Err(no_device()),
        }
    }

    /// ConfirmDevice: the device's verifier (`PasswordVerifier`, `Salt`, base64) and name.
    /// Returns `UserConfirmationNecessary`.
    pub async fn confirm_device(
        &self,
        user: &User,
        key: &str,
        secret: Option<(&str, &str)>,
        name: Option<String>,
    ) -> Result<bool> {
        // Without tracking there are no devices: the key is unknown either way.
        let device = self.users_device(user, key).await?;
        let pool = self.pool(&user.pool_id).await?;
        let config = pool.settings.devices.ok_or_else(no_device)?;
        let verifier = match secret {
            Some((password_verifier, salt)) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let (Ok(verifier), Ok(salt)) = (b64.decode(password_verifier), b64.decode(salt)) else {
                    return Err(DomainError::invalid("DeviceSecretVerifierConfig must hold base64 values."));
                };
                if verifier.is_empty() || salt.is_empty() {
                    return Err(DomainError::invalid("DeviceSecretVerifierConfig must hold base64 values."));
                }
                let encoded = Verifier {
                    salt: num_bigint_dig::BigUint::from_bytes_be(&salt),
                    verifier: num_bigint_dig::BigUint::from_bytes_be(&verifier),
                }
                .encode();
                Some(self.sealer.seal(encoded.as_bytes()))
            }
            None => device.verifier.clone(),
        };
        let prompt = config.only_remembered_on_user_prompt;
        let confirmed = Device {
            verifier,
            name: name.or(device.name.clone()),
            remembered: !prompt,
            modified: self.clock.now(),
            ..device
        };
        self.store.update_device(&confirmed).await.map_err(|e| match e {
            StoreError::NotFound => no_device(),
            other => other.into(),
        })?;
        Ok(prompt)
    }

    /// The user `username` of `pool_id` (for the Admin device operations).
    pub async fn device_owner(&self, pool_id: &str, username: &str) -> Result<User> {
        let pool = self.pool(pool_id).await?;
        self.require_user(&pool, username).await
    }

    pub async fn update_device_status(&self, user: &User, key: &str, status: RememberedStatus) -> Result<()> {
        let device = self.users_device(user, key).await?;
        let updated =
            Device { remembered: status == RememberedStatus::Remembered, modified: self.clock.now(), ..device };
        self.store.update_device(&updated).await.map_err(|e| match e {
            StoreError::NotFound => no_device(),
            other => other.into(),
        })
    }

    pub async fn get_device(&self, user: &User, key: &str) -> Result<Device> {
        self.users_device(user, key).await
    }

    pub async fn list_devices(&self, user: &User, after: Option<&str>, limit: usize) -> Result<DevicePage> {
        let devices = self.store.list_devices(&user.pool_id, &user.sub, after, limit).await?;
        let next = (devices.len() == limit).then(|| devices.last().map(|d| d.key.clone())).flatten();
        Ok(DevicePage { devices, next })
    }

    pub async fn forget_device(&self, user: &User, key: &str) -> Result<()> {
        self.users_device(user, key).await?;
        if !self.store.delete_device(&user.pool_id, key).await? {
            return Err(no_device());
        }
        Ok(())
    }
}
