//! Passkeys: registration by a signed-in user (StartWebAuthnRegistration,
//! CompleteWebAuthnRegistration), their list and removal, and the WEB_AUTHN first factor of
//! choice-based sign-in. The ceremonies themselves are the [`Passkeys`](crate::ports::Passkeys)
//! port's; this module keeps their state between steps and the credentials.

use std::collections::BTreeMap;

use base64::Engine;

use super::auth::{hash_refresh_token, param, AuthOutcome, Challenge};
use super::state::{invalid_session, FirstFactor, Proof, Step, StepKind};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result, StoreError};
use crate::pool::{FirstAuthFactor, UserPool};
use crate::ports::{PasskeyError, PasskeyUser, RelyingParty};
use crate::signin::ChallengeName;
use crate::triggers::Metadata;
use crate::user::{Passkey, User};

/// Cognito's limit of passkeys per user.
pub const MAX_PASSKEYS: usize = 20;

/// A page of ListWebAuthnCredentials.
pub struct PasskeyPage {
    pub passkeys: Vec<Passkey>,
    pub next: Option<String>,
}

fn ceremony_error(e: PasskeyError) -> DomainError {
    match e {
        PasskeyError::ChallengeNotFound(m) => DomainError::WebAuthnChallengeNotFound(m),
        PasskeyError::RelyingPartyMismatch(m) => DomainError::WebAuthnRelyingPartyMismatch(m),
        PasskeyError::OriginNotAllowed(m) => DomainError::WebAuthnOriginNotAllowed(m),
        PasskeyError::CredentialNotSupported(m) => DomainError::WebAuthnCredentialNotSupported(m),
        PasskeyError::Rejected(m) => DomainError::invalid(format!("The credential was not accepted: {m}")),
    }
}

impl Cognate {
    /// The pool's relying party, when passkeys are a first factor it allows.
    fn relying_party(&self, pool: &UserPool) -> Result<RelyingParty> {
        if !pool.settings.allows_first_factor(FirstAuthFactor::WebAuthn) {
            return Err(DomainError::WebAuthnNotEnabled(
                "Passkeys are not enabled for this user pool: add WEB_AUTHN to Policies.SignInPolicy.\
                 AllowedFirstAuthFactors."
                    .into(),
            ));
        }
        let config = pool.settings.mfa.web_authn.clone().unwrap_or_default();
        let id = config.relying_party_id.ok_or_else(|| {
            DomainError::WebAuthnConfigurationMissing(
                "The user pool has no relying party: set WebAuthnConfiguration.RelyingPartyId with \
                 SetUserPoolMfaConfig."
                    .into(),
            )
        })?;
        Ok(RelyingParty { id })
    }

    /// The registration in progress for a user is kept under a name derived from the user, so a
    /// newer start replaces an older one.
    fn registration_token(&self, pool_id: &str, sub: &str) -> String {
        let name = format!("webauthn-registration\u{0}{pool_id}\u{0}{sub}");
        base64::engine::general_purpose::STANDARD.encode(self.sealer.fingerprint(name.as_bytes()))
    }

    /// StartWebAuthnRegistration: the `CredentialCreationOptions` document, as JSON text.
    pub async fn start_webauthn_registration(&self, user: &User, client_id: Option<&str>) -> Result<String> {
        let pool = self.pool(&user.pool_id).await?;
        let rp = self.relying_party(&pool)?;
        let existing = self.store.list_passkeys(&pool.id, &user.sub).await?;
        if existing.len() >= MAX_PASSKEYS {
            return Err(DomainError::LimitExceeded(format!("A user can register at most {MAX_PASSKEYS} passkeys.")));
        }
        let records: Vec<String> = existing.iter().filter_map(|p| self.open_record(p)).collect();
        let who = PasskeyUser { sub: user.sub.clone(), name: user.username.clone() };
        let (options, state) = self.passkeys.start_registration(&rp, &who, &records).map_err(ceremony_error)?;
        let client = self.token_client(&pool, client_id).await?;
        let token = self.registration_token(&pool.id, &user.sub);
        self.store.delete_auth_session(&hash_refresh_token(&token)).await?;
        let step = Step::WebAuthnRegistration { state };
        self.open_session_as(&client, &pool, Some(user), &user.username, &step, token).await?;
        Ok(options)
    }

    /// The app client an access token was issued to.
    async fn token_client(&self, pool: &UserPool, client_id: Option<&str>) -> Result<AppClient> {
        let client_id = client_id.ok_or_else(|| DomainError::not_authorized("Invalid Access Token"))?;
        self.client_in_pool(&pool.id, client_id).await
    }

    /// CompleteWebAuthnRegistration: checks the authenticator's response and keeps the passkey.
    pub async fn complete_webauthn_registration(
        &self,
        user: &User,
        client_id: Option<&str>,
        credential: &str,
    ) -> Result<()> {
        let pool = self.pool(&user.pool_id).await?;
        let rp = self.relying_party(&pool)?;
        let token = self.registration_token(&pool.id, &user.sub);
        let open = self.session_for(&token, StepKind::Registration).await.map_err(|_| {
            DomainError::WebAuthnChallengeNotFound(
                "No passkey registration is in progress for the user, or it expired: call \
                 StartWebAuthnRegistration again."
                    .into(),
            )
        })?;
        if Some(open.row.client_id.as_str()) != client_id {
            return Err(DomainError::WebAuthnClientMismatch(
                "The registration was started by another app client.".into(),
            ));
        }
        let Step::WebAuthnRegistration { state } = open.step.clone() else { return Err(invalid_session()) };
        self.spend_session(&open).await?;
        let made = self.passkeys.finish_registration(&rp, credential, &state).map_err(ceremony_error)?;
        let count = self.store.list_passkeys(&pool.id, &user.sub).await?.len();
        if count >= MAX_PASSKEYS {
            return Err(DomainError::LimitExceeded(format!("A user can register at most {MAX_PASSKEYS} passkeys.")));
        }
        let name = match made.attachment.as_deref() {
            Some("cross-platform") => "Roaming passkey",
            _ => "Passkey",
        };
        let passkey = Passkey {
            pool_id: pool.id.clone(),
            sub: user.sub.clone(),
            credential_id: made.credential_id,
            record: self.sealer.seal(made.record.as_bytes()),
            name: name.into(),
            relying_party_id: rp.id,
            attachment: made.attachment,
            transports: made.transports,
            created: self.clock.now(),
        };
        match self.store.insert_passkey(&passkey).await {
            Err(StoreError::Conflict(_)) => Err(DomainError::invalid("This passkey is registered already.")),
            other => other.map_err(Into::into),
        }
    }

    /// The stored record in the clear (it holds the public key and the counter; sealed at rest
    /// so that the database alone cannot be edited into accepting another key).
    fn open_record(&self, passkey: &Passkey) -> Option<String> {
        self.sealer.open(&passkey.record).and_then(|b| String::from_utf8(b).ok())
    }

    pub async fn list_webauthn_credentials(
        &self,
        user: &User,
        after: Option<&str>,
        limit: usize,
    ) -> Result<PasskeyPage> {
        let all = self.store.list_passkeys(&user.pool_id, &user.sub).await?;
        let start = match after {
            Some(id) => all.iter().position(|p| p.credential_id == id).map_or(all.len(), |i| i + 1),
            None => 0,
        };
        let passkeys: Vec<Passkey> = all.into_iter().skip(start).take(limit).collect();
        let next = (passkeys.len() == limit).then(|| passkeys.last().map(|p| p.credential_id.clone())).flatten();
        Ok(PasskeyPage { passkeys, next })
    }

    pub async fn delete_webauthn_credential(&self, user: &User, credential_id: &str) -> Result<()> {
        if !self.store.delete_passkey(&user.pool_id, &user.sub, credential_id).await? {
            return Err(DomainError::ResourceNotFound("The passkey does not exist.".into()));
        }
        Ok(())
    }

    /// Whether WEB_AUTHN can be offered to the user.
    pub(crate) async fn has_passkeys(&self, pool: &UserPool, user: &User) -> Result<bool> {
        if !pool.settings.allows_first_factor(FirstAuthFactor::WebAuthn) {
            return Ok(false);
        }
        Ok(!self.store.list_passkeys(&pool.id, &user.sub).await?.is_empty())
    }

    /// The WEB_AUTHN challenge: request options for the user's passkeys.
    pub(crate) async fn webauthn_challenge(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: &User,
    ) -> Result<AuthOutcome> {
        let rp = self.relying_party(pool)?;
        let records: Vec<String> =
            self.store.list_passkeys(&pool.id, &user.sub).await?.iter().filter_map(|p| self.open_record(p)).collect();
        let (options, state) = self.passkeys.start_authentication(&rp, &records).map_err(ceremony_error)?;
        let step = Step::WebAuthn { proof: Proof::first(FirstFactor::WebAuthn), state };
        let session = self.open_session(client, pool, Some(user), &user.username, &step).await?;
        let parameters = BTreeMap::from([
            ("CREDENTIAL_REQUEST_OPTIONS".to_string(), options),
            ("USERNAME".to_string(), user.username.clone()),
        ]);
        Ok(AuthOutcome::Challenge(Challenge::new(ChallengeName::WebAuthn, parameters, session)))
    }

    /// WEB_AUTHN answered with the authenticator's assertion (`CREDENTIAL`).
    pub(crate) async fn webauthn_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let credential = param(responses, "CREDENTIAL")?;
        let open = self.answered_session(&client, token, ChallengeName::WebAuthn, responses).await?;
        let Step::WebAuthn { proof, state } = open.step.clone() else { return Err(invalid_session()) };
        self.spend_session(&open).await?;
        let user = self.session_user(&open).await?;
        let rp = self.relying_party(&pool)?;
        let stored = self.store.list_passkeys(&pool.id, &user.sub).await?;
        let records: Vec<String> = stored.iter().filter_map(|p| self.open_record(p)).collect();
        let (used, updated) = self
            .passkeys
            .finish_authentication(&rp, credential, &state, &records)
            .map_err(|_| DomainError::not_authorized("Incorrect username or password."))?;
        if let Some(record) = updated {
            self.store.update_passkey(&pool.id, &used, &self.sealer.seal(record.as_bytes())).await?;
        }
        self.first_factor_proven(client, pool, user, client_metadata, proof).await
    }
}
