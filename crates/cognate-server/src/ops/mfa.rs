//! Second factors: SetUserPoolMfaConfig, GetUserPoolMfaConfig, AssociateSoftwareToken,
//! VerifySoftwareToken, SetUserMFAPreference and their Admin variants.

use cognate_core::flows::{FactorSetting, MfaPreference, TokenHolder};
use cognate_core::pool::{EmailMfa, MfaConfig, MfaMode, UserPool, WebAuthnConfig};
use cognate_core::DomainError;
use cognate_wire::{pool, rules, ApiError, Input};
use serde_json::{json, Map, Value};

use super::{Ctx, OpResult};

pub async fn set_user_pool_mfa_config(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let mut config = MfaConfig::default();
    let mut sms_message = None;
    if let Some(sms) = input.opt_object("SmsMfaConfiguration")? {
        config.sms = true;
        sms_message = sms.opt_str("SmsAuthenticationMessage", &rules::SMS_MESSAGE)?;
        if let Some(sns) = sms.opt_object("SmsConfiguration")? {
            pool::check_sms_configuration(&sns)?;
            config.sms_configuration = Some(Value::Object(sns.raw().clone()).to_string());
        }
    }
    if let Some(token) = input.opt_object("SoftwareTokenMfaConfiguration")? {
        config.software_token = token.opt_bool("Enabled")?.unwrap_or(false);
    }
    if let Some(email) = input.opt_object("EmailMfaConfiguration")? {
        config.email = Some(EmailMfa {
            message: email.opt_str("Message", &rules::EMAIL_MESSAGE)?,
            subject: email.opt_str("Subject", &rules::EMAIL_SUBJECT)?,
        });
    }
    if let Some(web) = input.opt_object("WebAuthnConfiguration")? {
        let factor = web.opt_enum("FactorConfiguration", &["SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION"])?;
        if factor.as_deref() == Some("MULTI_FACTOR_WITH_USER_VERIFICATION") {
            return Err(DomainError::invalid(
                "WebAuthnConfiguration.FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION is not supported by \
                 cognate yet (passkeys are not a second factor here); use SINGLE_FACTOR",
            )
            .into());
        }
        config.web_authn = Some(WebAuthnConfig {
            relying_party_id: web.opt_str("RelyingPartyId", &rules::RELYING_PARTY_ID)?,
            user_verification: web.opt_enum("UserVerification", &["required", "preferred"])?,
        });
    }
    config.mode = pool::mfa_mode(input)?.unwrap_or(MfaMode::Off);
    let updated = ctx.state.cognate.set_pool_mfa_config(&pool_id, config, sms_message).await?;
    Ok(mfa_config_json(&updated))
}

pub async fn get_user_pool_mfa_config(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let found = ctx.state.cognate.pool(&pool_id).await?;
    Ok(mfa_config_json(&found))
}

/// The members of `GetUserPoolMfaConfigResponse`, each only when it is configured.
fn mfa_config_json(pool: &UserPool) -> Value {
    let mfa = &pool.settings.mfa;
    let mut out = json!({ "MfaConfiguration": mfa.mode.as_str() });
    if mfa.sms {
        let mut sms = Map::new();
        if let Some(m) = &pool.settings.templates.sms_authentication_message {
            sms.insert("SmsAuthenticationMessage".into(), json!(m));
        }
        let pool_sns = serde_json::from_str::<Map<String, Value>>(&pool.settings.passthrough)
            .ok()
            .and_then(|p| p.get("SmsConfiguration").cloned());
        let sns = mfa.sms_configuration.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()).or(pool_sns);
        if let Some(sns) = sns {
            sms.insert("SmsConfiguration".into(), sns);
        }
        out["SmsMfaConfiguration"] = Value::Object(sms);
    }
    if mfa.software_token {
        out["SoftwareTokenMfaConfiguration"] = json!({ "Enabled": true });
    }
    if let Some(email) = &mfa.email {
        let mut e = Map::new();
        if let Some(m) = &email.message {
            e.insert("Message".into(), json!(m));
        }
        if let Some(s) = &email.subject {
            e.insert("Subject".into(), json!(s));
        }
        out["EmailMfaConfiguration"] = Value::Object(e);
    }
    if let Some(web) = &mfa.web_authn {
        let mut w = Map::new();
        if let Some(rp) = &web.relying_party_id {
            w.insert("RelyingPartyId".into(), json!(rp));
        }
        w.insert("UserVerification".into(), json!(web.user_verification.as_deref().unwrap_or("preferred")));
        out["WebAuthnConfiguration"] = Value::Object(w);
    }
    out
}

/// `AccessToken` or `Session`, but not both.
async fn holder(ctx: &Ctx<'_>, input: &Input) -> Result<TokenHolder, ApiError> {
    let session = input.opt_str("Session", &rules::SESSION)?;
    match (input.has("AccessToken"), session) {
        (true, Some(_)) => {
            Err(DomainError::invalid("Only one of AccessToken or Session can be given, not both.").into())
        }
        (true, None) => Ok(TokenHolder::User(Box::new(super::access_user(ctx, input).await?))),
        (false, Some(session)) => Ok(TokenHolder::Session(session)),
        (false, None) => Err(DomainError::invalid("Either AccessToken or Session is required.").into()),
    }
}

pub async fn associate_software_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let holder = holder(ctx, input).await?;
    let (secret, session) = ctx.state.cognate.associate_software_token(holder).await?;
    let mut out = json!({ "SecretCode": secret });
    if let Some(session) = session {
        out["Session"] = json!(session);
    }
    Ok(out)
}

pub async fn verify_software_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let code = input.req_str("UserCode", &rules::USER_CODE)?;
    let name = input.opt_str("FriendlyDeviceName", &rules::MAP_STRING)?;
    let holder = holder(ctx, input).await?;
    let session = ctx.state.cognate.verify_software_token(holder, &code, name).await?;
    let mut out = json!({ "Status": "SUCCESS" });
    if let Some(session) = session {
        out["Session"] = json!(session);
    }
    Ok(out)
}

fn preference(input: &Input) -> Result<MfaPreference, ApiError> {
    let setting = |name: &str| -> Result<Option<FactorSetting>, ApiError> {
        Ok(match input.opt_object(name)? {
            Some(s) => Some(FactorSetting { enabled: s.opt_bool("Enabled")?, preferred: s.opt_bool("PreferredMfa")? }),
            None => None,
        })
    };
    if let Some(web) = input.opt_object("WebAuthnMfaSettings")? {
        if web.opt_bool("Enabled")? == Some(true) {
            return Err(DomainError::invalid(
                "WebAuthnMfaSettings is not supported by cognate yet (passkeys are not a second factor here).",
            )
            .into());
        }
    }
    Ok(MfaPreference {
        sms: setting("SMSMfaSettings")?,
        software_token: setting("SoftwareTokenMfaSettings")?,
        email: setting("EmailMfaSettings")?,
    })
}

pub async fn set_user_mfa_preference(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let preference = preference(input)?;
    let user = super::access_user(ctx, input).await?;
    ctx.state.cognate.set_user_mfa_preference(&user, &preference).await?;
    Ok(json!({}))
}

pub async fn admin_set_user_mfa_preference(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let preference = preference(input)?;
    ctx.state.cognate.admin_set_user_mfa_preference(&pool_id, &username, &preference).await?;
    Ok(json!({}))
}

pub async fn admin_delete_software_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    ctx.state.cognate.admin_delete_software_token(&pool_id, &username).await?;
    Ok(json!({}))
}
