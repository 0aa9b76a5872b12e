//! The WebAuthn ceremonies behind [`Passkeys`], done by webauthn-rs: attestation on
//! registration, assertion (signature, challenge, origin, RP ID hash, user verification and the
//! signature counter) on sign-in. Its ceremony states and credentials are kept as JSON.

use cognate_core::ports::{NewPasskey, PasskeyError, PasskeyUser, Passkeys, RelyingParty};
use serde_json::Value;
use webauthn_rs::prelude::{
    Passkey, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid,
    Webauthn, WebauthnBuilder, WebauthnError,
};

pub struct WebAuthnPasskeys;

fn rejected(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Rejected(e.to_string())
}

fn webauthn(rp: &RelyingParty) -> Result<Webauthn, PasskeyError> {
    // Pages of the RP ID's domain and its subdomains, on any port, may use its passkeys; plain
    // http only for localhost, as browsers allow.
    let scheme = if rp.id == "localhost" { "http" } else { "https" };
    let origin = Url::parse(&format!("{scheme}://{}", rp.id)).map_err(rejected)?;
    WebauthnBuilder::new(&rp.id, &origin)
        .and_then(|b| b.rp_name(&rp.id).allow_subdomains(true).allow_any_port(true).build())
        .map_err(|e| PasskeyError::RelyingPartyMismatch(format!("The relying party {} cannot be used: {e}", rp.id)))
}

fn ceremony_error(e: WebauthnError) -> PasskeyError {
    match e {
        WebauthnError::MismatchedChallenge | WebauthnError::ChallengeNotFound => {
            PasskeyError::ChallengeNotFound("The challenge of this ceremony was not found or has expired.".into())
        }
        WebauthnError::InvalidRPOrigin => {
            PasskeyError::OriginNotAllowed("The origin of the credential is not allowed for this relying party.".into())
        }
        WebauthnError::InvalidRPIDHash => {
            PasskeyError::RelyingPartyMismatch("The credential was made for another relying party.".into())
        }
        WebauthnError::COSEKeyInvalidAlgorithm
        | WebauthnError::COSEKeyInvalidType
        | WebauthnError::COSEKeyEDUnsupported
        | WebauthnError::CredentialInsecureCryptography
        | WebauthnError::CredentialAlteredAlgFromRequest => {
            PasskeyError::CredentialNotSupported("The credential's algorithm is not supported.".into())
        }
        other => rejected(other),
    }
}

fn load<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(text).map_err(|e| rejected(format!("unreadable: {e}")))
}

fn save<T: serde::Serialize>(value: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(rejected)
}

fn parse<T: serde::de::DeserializeOwned>(response: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(response)
        .map_err(|e| PasskeyError::Rejected(format!("The credential is not a WebAuthn response: {e}")))
}

impl Passkeys for WebAuthnPasskeys {
    fn start_registration(
        &self,
        rp: &RelyingParty,
        user: &PasskeyUser,
        existing: &[String],
    ) -> Result<(String, String), PasskeyError> {
        let handle = Uuid::parse_str(&user.sub).map_err(rejected)?;
        let exclude = existing
            .iter()
            .map(|record| load::<Passkey>(record).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (options, state) = webauthn(rp)?
            .start_passkey_registration(handle, &user.name, &user.name, Some(exclude))
            .map_err(ceremony_error)?;
        // Cognito answers the inner `publicKey` object.
        let options = serde_json::to_value(&options).map_err(rejected)?;
        let inner = options.get("publicKey").cloned().unwrap_or(options);
        Ok((inner.to_string(), save(&state)?))
    }

    fn finish_registration(&self, rp: &RelyingParty, response: &str, state: &str) -> Result<NewPasskey, PasskeyError> {
        let state: PasskeyRegistration = load(state)?;
        let credential: RegisterPublicKeyCredential = parse(response)?;
        let passkey = webauthn(rp)?.finish_passkey_registration(&credential, &state).map_err(ceremony_error)?;
        // Attachment and transports are for ListWebAuthnCredentials; the library does not keep them.
        let raw: Value = serde_json::from_str(response).unwrap_or_default();
        let attachment = raw.get("authenticatorAttachment").and_then(Value::as_str).map(str::to_string);
        let transports = raw
            .pointer("/response/transports")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        let credential_id = serde_json::to_value(passkey.cred_id())
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        Ok(NewPasskey { credential_id, record: save(&passkey)?, attachment, transports })
    }

    fn start_authentication(&self, rp: &RelyingParty, records: &[String]) -> Result<(String, String), PasskeyError> {
        let passkeys = records.iter().map(|r| load::<Passkey>(r)).collect::<Result<Vec<_>, _>>()?;
        let (options, state) = webauthn(rp)?.start_passkey_authentication(&passkeys).map_err(ceremony_error)?;
        let options = serde_json::to_value(&options).map_err(rejected)?;
        let inner = options.get("publicKey").cloned().unwrap_or(options);
        Ok((inner.to_string(), save(&state)?))
    }

    fn finish_authentication(
        &self,
        rp: &RelyingParty,
        response: &str,
        state: &str,
        records: &[String],
    ) -> Result<(String, Option<String>), PasskeyError> {
        let state: PasskeyAuthentication = load(state)?;
        let credential: PublicKeyCredential = parse(response)?;
        let result = webauthn(rp)?.finish_passkey_authentication(&credential, &state).map_err(ceremony_error)?;
        for record in records {
            let mut passkey: Passkey = load(record)?;
            if let Some(changed) = passkey.update_credential(&result) {
                let id = serde_json::to_value(passkey.cred_id())
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let updated = if changed { Some(save(&passkey)?) } else { None };
                return Ok((id, updated));
            }
        }
        Err(rejected("the credential is not one of the user's"))
    }
}
