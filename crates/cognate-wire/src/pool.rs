//! `CreateUserPool` / `UpdateUserPool` requests and the `UserPoolType` shape.
//!
//! Members with behaviour are read into [`PoolSettings`]; every member the caller sent is also
//! kept verbatim (the passthrough) so `DescribeUserPool` echoes exactly what was configured.
//! Username attributes, alias attributes, case sensitivity and the schema are fixed at creation
//! and live only in the typed settings.

use cognate_core::attributes;
use cognate_core::pool::{
    AttributeDataType, DeviceConfig, FirstAuthFactor, MfaMode, PasswordPolicy, PoolSettings, SchemaAttribute, UserPool,
};
use cognate_core::user::AliasKind;
use cognate_core::DomainError;
use serde_json::{json, Map, Value};

use crate::input::{validation_error, Input, WireResult};
use crate::rules;

const FIXED_MEMBERS: &[&str] =
    &["PoolName", "UserPoolId", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration", "Schema"];
const LAMBDA_TRIGGERS: &[&str] = &[
    "PreSignUp",
    "CustomMessage",
    "PostConfirmation",
    "PreAuthentication",
    "PostAuthentication",
    "DefineAuthChallenge",
    "CreateAuthChallenge",
    "VerifyAuthChallengeResponse",
    "PreTokenGeneration",
    "UserMigration",
    "KMSKeyID",
];

fn alias_kinds(input: &Input, name: &str, allowed: &[&str]) -> WireResult<Vec<AliasKind>> {
    Ok(input.opt_enum_list(name, allowed)?.unwrap_or_default().iter().filter_map(|s| AliasKind::parse(s)).collect())
}

fn password_policy(input: &Input) -> WireResult<PasswordPolicy> {
    let Some(policies) = input.opt_object("Policies")? else { return Ok(PasswordPolicy::default()) };
    let Some(p) = policies.opt_object("PasswordPolicy")? else { return Ok(PasswordPolicy::default()) };
    Ok(PasswordPolicy {
        // An explicit policy starts from Cognito's API defaults: length 8, nothing required.
        minimum_length: p.opt_int("MinimumLength", 6, 99)?.unwrap_or(8) as u32,
        require_uppercase: p.opt_bool("RequireUppercase")?.unwrap_or(false),
        require_lowercase: p.opt_bool("RequireLowercase")?.unwrap_or(false),
        require_numbers: p.opt_bool("RequireNumbers")?.unwrap_or(false),
        require_symbols: p.opt_bool("RequireSymbols")?.unwrap_or(false),
        password_history_size: p.opt_int("PasswordHistorySize", 0, 24)?.map(|v| v as u32),
        temporary_password_validity_days: match p.opt_int("TemporaryPasswordValidityDays", 0, 365)? {
            None | Some(0) => 7,
            Some(v) => v as u32,
        },
    })
}

/// `Policies.SignInPolicy.AllowedFirstAuthFactors`.
fn first_auth_factors(input: &Input) -> WireResult<Vec<FirstAuthFactor>> {
    let Some(policies) = input.opt_object("Policies")? else { return Ok(Vec::new()) };
    let Some(policy) = policies.opt_object("SignInPolicy")? else { return Ok(Vec::new()) };
    let names = policy
        .opt_enum_list("AllowedFirstAuthFactors", &["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN", "SOFTWARE_TOKEN"])?
        .unwrap_or_default();
    if names.is_empty() || names.len() > 5 {
        return Err(validation_error(
            "policies.signInPolicy.allowedFirstAuthFactors",
            None,
            "Member must have length between 1 and 5",
        ));
    }
    if names.iter().any(|n| n == "SOFTWARE_TOKEN") {
        return Err(DomainError::invalid("SOFTWARE_TOKEN is not currently supported as a first auth factor.").into());
    }
    if !names.iter().any(|n| n == "PASSWORD") {
        return Err(DomainError::invalid("PASSWORD must be one of the AllowedFirstAuthFactors.").into());
    }
    let mut factors: Vec<FirstAuthFactor> = names.iter().filter_map(|n| FirstAuthFactor::parse(n)).collect();
    factors.dedup();
    Ok(factors)
}

fn templates(input: &Input, settings: &mut PoolSettings) -> WireResult<()> {
    let t = &mut settings.templates;
    t.email_message = input.opt_str("EmailVerificationMessage", &rules::EMAIL_MESSAGE)?;
    t.email_subject = input.opt_str("EmailVerificationSubject", &rules::EMAIL_SUBJECT)?;
    t.sms_message = input.opt_str("SmsVerificationMessage", &rules::SMS_MESSAGE)?;
    t.sms_authentication_message = input.opt_str("SmsAuthenticationMessage", &rules::SMS_MESSAGE)?;
    if let Some(v) = input.opt_object("VerificationMessageTemplate")? {
        // The template wins over the legacy top-level members; Cognito keeps them in sync.
        if let Some(m) = v.opt_str("EmailMessage", &rules::EMAIL_MESSAGE)? {
            t.email_message = Some(m);
        }
        if let Some(m) = v.opt_str("EmailSubject", &rules::EMAIL_SUBJECT)? {
            t.email_subject = Some(m);
        }
        if let Some(m) = v.opt_str("SmsMessage", &rules::SMS_MESSAGE)? {
            t.sms_message = Some(m);
        }
        t.email_message_by_link = v.opt_str("EmailMessageByLink", &rules::EMAIL_MESSAGE_BY_LINK)?;
        t.email_subject_by_link = v.opt_str("EmailSubjectByLink", &rules::EMAIL_SUBJECT)?;
        t.default_email_option = v.opt_enum("DefaultEmailOption", &["CONFIRM_WITH_LINK", "CONFIRM_WITH_CODE"])?;
    }
    Ok(())
}

/// Trigger name → ARN pairs, and the PreTokenGeneration version.
type LambdaSettings = (Vec<(String, String)>, Option<String>);

fn lambda_config(input: &Input) -> WireResult<LambdaSettings> {
    let Some(l) = input.opt_object("LambdaConfig")? else { return Ok((Vec::new(), None)) };
    let mut out = Vec::new();
    for trigger in LAMBDA_TRIGGERS {
        if let Some(arn) = l.opt_str(trigger, &rules::ARN)? {
            out.push((trigger.to_string(), arn));
        }
    }
    for versioned in ["CustomSMSSender", "CustomEmailSender", "InboundFederation"] {
        if let Some(cfg) = l.opt_object(versioned)? {
            cfg.opt_enum("LambdaVersion", &["V1_0"])?;
            let arn = cfg.req_str("LambdaArn", &rules::ARN)?;
            out.push((versioned.to_string(), arn));
        }
    }
    let mut version = None;
    if let Some(cfg) = l.opt_object("PreTokenGenerationConfig")? {
        version = cfg.opt_enum("LambdaVersion", &["V1_0", "V2_0", "V3_0"])?;
        let arn = cfg.req_str("LambdaArn", &rules::ARN)?;
        // The versioned configuration names the function that runs; it wins over the legacy member.
        out.retain(|(t, _)| t != "PreTokenGeneration");
        out.push(("PreTokenGeneration".to_string(), arn));
    }
    Ok((out, version))
}

/// Members stored and echoed (the passthrough) but not acted on: checked against the model
/// so that what is stored is what Cognito would have accepted.
fn stored_members(input: &Input) -> WireResult<()> {
    if let Some(e) = input.opt_object("EmailConfiguration")? {
        e.opt_str("SourceArn", &rules::ARN)?;
        e.opt_str("ReplyToEmailAddress", &rules::EMAIL_ADDRESS)?;
        e.opt_enum("EmailSendingAccount", &["COGNITO_DEFAULT", "DEVELOPER"])?;
        e.opt_str("From", &rules::MAP_STRING)?;
        e.opt_str("ConfigurationSet", &rules::CONFIGURATION_SET)?;
    }
    if let Some(a) = input.opt_object("UserPoolAddOns")? {
        if a.opt_enum("AdvancedSecurityMode", &["OFF", "AUDIT", "ENFORCED"])?.is_none() {
            return Err(validation_error("userPoolAddOns.advancedSecurityMode", None, "Member must not be null"));
        }
        a.expect_object("AdvancedSecurityAdditionalFlows")?;
    }
    if let Some(r) = input.opt_object("AccountRecoverySetting")? {
        if let Some(mechanisms) = r.opt_object_list("RecoveryMechanisms")? {
            if mechanisms.is_empty() || mechanisms.len() > 2 {
                return Err(validation_error(
                    "accountRecoverySetting.recoveryMechanisms",
                    None,
                    "Member must have length between 1 and 2",
                ));
            }
            for m in mechanisms {
                if m.opt_int("Priority", 1, 2)?.is_none() {
                    return Err(validation_error(
                        "accountRecoverySetting.recoveryMechanisms.member.priority",
                        None,
                        "Member must not be null",
                    ));
                }
                if m.opt_enum("Name", &["verified_email", "verified_phone_number", "admin_only"])?.is_none() {
                    return Err(validation_error(
                        "accountRecoverySetting.recoveryMechanisms.member.name",
                        None,
                        "Member must not be null",
                    ));
                }
            }
        }
    }
    if let Some(tags) = input.opt_string_map("UserPoolTags")? {
        for (k, v) in &tags {
            crate::input::check_rule("userPoolTags.key", k, &rules::TAG_KEY)?;
            crate::input::check_rule("userPoolTags.value", v, &rules::TAG_VALUE)?;
        }
    }
    if let Some(sms) = input.opt_object("SmsConfiguration")? {
        check_sms_configuration(&sms)?;
    }
    for object in ["KeyConfiguration", "IssuerConfiguration", "AcrConfiguration", "DcrConfiguration"] {
        input.expect_object(object)?;
    }
    Ok(())
}

fn schema(input: &Input) -> WireResult<Vec<SchemaAttribute>> {
    let Some(items) = input.opt_object_list("Schema")? else { return Ok(Vec::new()) };
    if items.is_empty() {
        return Err(validation_error("schema", None, "Member must have length greater than or equal to 1"));
    }
    if items.len() > 50 {
        return Err(validation_error("schema", None, "Member must have length less than or equal to 50"));
    }
    let mut out: Vec<SchemaAttribute> = Vec::new();
    for item in items {
        let name = item.req_str("Name", &rules::CUSTOM_ATTRIBUTE_NAME)?;
        let data_type =
            match item.opt_enum("AttributeDataType", &["String", "Number", "DateTime", "Boolean"])?.as_deref() {
                Some("Number") => AttributeDataType::Number,
                Some("DateTime") => AttributeDataType::DateTime,
                Some("Boolean") => AttributeDataType::Boolean,
                _ => AttributeDataType::String,
            };
        let standard = attributes::is_standard(&name);
        let full_name = if standard { name.clone() } else { format!("custom:{name}") };
        let required = item.opt_bool("Required")?.unwrap_or(false);
        if required && !standard {
            return Err(DomainError::invalid("Required custom attributes are not supported currently.").into());
        }
        let strings = item.opt_object("StringAttributeConstraints")?.unwrap_or_default();
        let numbers = item.opt_object("NumberAttributeConstraints")?.unwrap_or_default();
        let attribute = SchemaAttribute {
            name: full_name.clone(),
            data_type,
            developer_only: item.opt_bool("DeveloperOnlyAttribute")?.unwrap_or(false),
            mutable: item.opt_bool("Mutable")?.unwrap_or(true),
            required,
            min_length: strings.opt_str("MinLength", &rules::MAP_STRING)?,
            max_length: strings.opt_str("MaxLength", &rules::MAP_STRING)?,
            min_value: numbers.opt_str("MinValue", &rules::ANY)?,
            max_value: numbers.opt_str("MaxValue", &rules::ANY)?,
        };
        if out.iter().any(|a| a.name == full_name) {
            return Err(DomainError::invalid(format!("Existing attribute already has name {name}.")).into());
        }
        out.push(attribute);
    }
    Ok(out)
}

/// `SmsConfigurationType`: AWS plumbing, checked against the model and kept as sent.
pub fn check_sms_configuration(sms: &Input) -> WireResult<()> {
    sms.opt_str("SnsCallerArn", &rules::OPTIONAL_ARN)?;
    sms.opt_str("ExternalId", &rules::MAP_STRING)?;
    sms.opt_str("SnsRegion", &rules::SNS_REGION)?;
    if let Some(eums) = sms.opt_object("EumsSms")? {
        eums.req_str("CallerArn", &rules::ARN)?;
        eums.opt_str("Region", &rules::SNS_REGION)?;
        for member in ["ExternalId", "OriginationIdentity", "ConfigurationSetName", "InEntityId", "InTemplateId"] {
            eums.opt_str(member, &rules::MAP_STRING)?;
        }
    }
    Ok(())
}

/// `MfaConfiguration`, if the request has it.
pub fn mfa_mode(input: &Input) -> WireResult<Option<MfaMode>> {
    Ok(input.opt_enum("MfaConfiguration", &["OFF", "ON", "OPTIONAL"])?.and_then(|m| MfaMode::parse(&m)))
}

/// Reads the members of `CreateUserPool` (or `UpdateUserPool`, where the fixed members are
/// ignored) into settings.
pub fn parse_settings(input: &Input) -> WireResult<PoolSettings> {
    let mut s = PoolSettings {
        password_policy: password_policy(input)?,
        username_attributes: alias_kinds(input, "UsernameAttributes", &["phone_number", "email"])?,
        alias_attributes: alias_kinds(input, "AliasAttributes", &["phone_number", "email", "preferred_username"])?,
        auto_verified_attributes: alias_kinds(input, "AutoVerifiedAttributes", &["phone_number", "email"])?,
        schema: schema(input)?,
        first_auth_factors: first_auth_factors(input)?,
        ..PoolSettings::default()
    };
    (s.lambda_config, s.pre_token_generation_version) = lambda_config(input)?;
    templates(input, &mut s)?;
    if let Some(u) = input.opt_object("UsernameConfiguration")? {
        match u.opt_bool("CaseSensitive")? {
            Some(b) => s.case_sensitive = Some(b),
            None => {
                return Err(validation_error("usernameConfiguration.caseSensitive", None, "Member must not be null"))
            }
        }
    }
    if let Some(a) = input.opt_object("AdminCreateUserConfig")? {
        s.allow_admin_create_user_only = a.opt_bool("AllowAdminCreateUserOnly")?.unwrap_or(false);
        a.opt_int("UnusedAccountValidityDays", 0, 365)?;
        if let Some(t) = a.opt_object("InviteMessageTemplate")? {
            s.templates.invite_email_message = t.opt_str("EmailMessage", &rules::EMAIL_MESSAGE)?;
            s.templates.invite_email_subject = t.opt_str("EmailSubject", &rules::EMAIL_SUBJECT)?;
            s.templates.invite_sms_message = t.opt_str("SMSMessage", &rules::SMS_MESSAGE)?;
        }
    }
    s.deletion_protection = input.opt_enum("DeletionProtection", &["ACTIVE", "INACTIVE"])?.as_deref() == Some("ACTIVE");
    s.mfa.mode = mfa_mode(input)?.unwrap_or_default();
    if let Some(d) = input.opt_object("DeviceConfiguration")? {
        s.devices = Some(DeviceConfig {
            challenge_required_on_new_device: d.opt_bool("ChallengeRequiredOnNewDevice")?.unwrap_or(false),
            only_remembered_on_user_prompt: d.opt_bool("DeviceOnlyRememberedOnUserPrompt")?.unwrap_or(false),
        });
    }
    s.mfa.sms = input.opt_object("SmsConfiguration")?.is_some();
    input.opt_enum("UserPoolTier", &["LITE", "ESSENTIALS", "PLUS"])?;
    if let Some(u) = input.opt_object("UserAttributeUpdateSettings")? {
        s.verify_before_update =
            alias_kinds(&u, "AttributesRequireVerificationBeforeUpdate", &["phone_number", "email"])?;
    }
    stored_members(input)?;
    let mut passthrough = input.raw().clone();
    for fixed in FIXED_MEMBERS {
        passthrough.remove(*fixed);
    }
    s.passthrough = Value::Object(passthrough).to_string();
    Ok(s)
}

fn epoch(ts: cognate_core::ids::Timestamp) -> Value {
    json!(ts.millis() as f64 / 1000.0)
}

fn schema_json(a: &SchemaAttribute) -> Value {
    let mut v = json!({
        "Name": a.name,
        "AttributeDataType": a.data_type.as_str(),
        "DeveloperOnlyAttribute": a.developer_only,
        "Mutable": a.mutable,
        "Required": a.required,
    });
    match a.data_type {
        AttributeDataType::String | AttributeDataType::DateTime => {
            let mut c = Map::new();
            if let Some(m) = &a.min_length {
                c.insert("MinLength".into(), json!(m));
            }
            if let Some(m) = &a.max_length {
                c.insert("MaxLength".into(), json!(m));
            }
            v["StringAttributeConstraints"] = Value::Object(c);
        }
        AttributeDataType::Number => {
            let mut c = Map::new();
            if let Some(m) = &a.min_value {
                c.insert("MinValue".into(), json!(m));
            }
            if let Some(m) = &a.max_value {
                c.insert("MaxValue".into(), json!(m));
            }
            v["NumberAttributeConstraints"] = Value::Object(c);
        }
        AttributeDataType::Boolean => {}
    }
    v
}

/// The full schema as Cognito reports it: every standard attribute, then the custom ones.
pub fn schema_attributes(settings: &PoolSettings) -> Vec<Value> {
    let mut out: Vec<Value> = attributes::STANDARD
        .iter()
        .map(|(name, data_type)| {
            let attribute = settings
                .custom_attribute(name)
                .map(|custom| {
                    let mut a = attributes::standard_schema(name, data_type.clone());
                    a.required = custom.required;
                    a.mutable = custom.mutable;
                    a
                })
                .unwrap_or_else(|| attributes::standard_schema(name, data_type.clone()));
            schema_json(&attribute)
        })
        .collect();
    out.extend(settings.schema.iter().filter(|a| a.is_custom()).map(schema_json));
    out
}

fn policy_json(p: &PasswordPolicy) -> Value {
    let mut v = json!({
        "MinimumLength": p.minimum_length,
        "RequireUppercase": p.require_uppercase,
        "RequireLowercase": p.require_lowercase,
        "RequireNumbers": p.require_numbers,
        "RequireSymbols": p.require_symbols,
        "TemporaryPasswordValidityDays": p.temporary_password_validity_days,
    });
    if let Some(h) = p.password_history_size {
        v["PasswordHistorySize"] = json!(h);
    }
    v
}

fn kinds_json(kinds: &[AliasKind]) -> Value {
    json!(kinds.iter().map(|k| k.attribute()).collect::<Vec<_>>())
}

/// `UserPoolType`.
pub fn pool_json(pool: &UserPool, account: &str, estimated_users: u64) -> Value {
    let s = &pool.settings;
    let mut v: Map<String, Value> = serde_json::from_str(&s.passthrough).unwrap_or_default();
    let region = pool.id.split('_').next().unwrap_or("us-east-1");
    v.insert("Id".into(), json!(pool.id));
    v.insert("Name".into(), json!(pool.name));
    v.insert("Arn".into(), json!(format!("arn:aws:cognito-idp:{region}:{account}:userpool/{}", pool.id)));
    v.insert("CreationDate".into(), epoch(pool.created));
    v.insert("LastModifiedDate".into(), epoch(pool.modified));
    v.insert("EstimatedNumberOfUsers".into(), json!(estimated_users));
    v.insert("SchemaAttributes".into(), json!(schema_attributes(s)));
    let mut policies = v.get("Policies").and_then(Value::as_object).cloned().unwrap_or_default();
    policies.insert("PasswordPolicy".into(), policy_json(&s.password_policy));
    let factors: Vec<&str> = match s.first_auth_factors.as_slice() {
        [] => vec!["PASSWORD"],
        some => some.iter().map(|f| f.as_str()).collect(),
    };
    policies.insert("SignInPolicy".into(), json!({ "AllowedFirstAuthFactors": factors }));
    v.insert("Policies".into(), Value::Object(policies));
    if !s.username_attributes.is_empty() {
        v.insert("UsernameAttributes".into(), kinds_json(&s.username_attributes));
    }
    if !s.alias_attributes.is_empty() {
        v.insert("AliasAttributes".into(), kinds_json(&s.alias_attributes));
    }
    if let Some(cs) = s.case_sensitive {
        v.insert("UsernameConfiguration".into(), json!({ "CaseSensitive": cs }));
    }
    v.entry("LambdaConfig").or_insert_with(|| json!({}));
    v.insert("MfaConfiguration".into(), json!(s.mfa.mode.as_str()));
    v.entry("DeletionProtection").or_insert_with(|| json!("INACTIVE"));
    v.entry("UserPoolTier").or_insert_with(|| json!("ESSENTIALS"));
    v.entry("AdminCreateUserConfig").or_insert_with(|| {
        json!({ "AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": s.password_policy.temporary_password_validity_days })
    });
    let t = &s.templates;
    let mut template = v.get("VerificationMessageTemplate").and_then(Value::as_object).cloned().unwrap_or_default();
    template.entry("DefaultEmailOption").or_insert_with(|| json!("CONFIRM_WITH_CODE"));
    if let Some(m) = &t.email_message {
        template.insert("EmailMessage".into(), json!(m));
        v.insert("EmailVerificationMessage".into(), json!(m));
    }
    if let Some(m) = &t.email_subject {
        template.insert("EmailSubject".into(), json!(m));
        v.insert("EmailVerificationSubject".into(), json!(m));
    }
    if let Some(m) = &t.sms_message {
        template.insert("SmsMessage".into(), json!(m));
        v.insert("SmsVerificationMessage".into(), json!(m));
    }
    v.insert("VerificationMessageTemplate".into(), Value::Object(template));
    Value::Object(v)
}

/// `UserPoolDescriptionType`, for `ListUserPools`.
pub fn pool_description_json(pool: &UserPool) -> Value {
    let passthrough: Map<String, Value> = serde_json::from_str(&pool.settings.passthrough).unwrap_or_default();
    json!({
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": passthrough.get("LambdaConfig").cloned().unwrap_or_else(|| json!({})),
        "CreationDate": epoch(pool.created),
        "LastModifiedDate": epoch(pool.modified),
    })
}

pub fn timestamp(ts: cognate_core::ids::Timestamp) -> Value {
    epoch(ts)
}
