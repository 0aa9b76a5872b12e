//! User pool domains and resource servers: request members and response shapes.

use cognate_core::pool_domain::{CustomDomain, PoolDomain};
use cognate_core::resource_server::{ResourceScope, ResourceServer};
use cognate_core::DomainError;
use serde_json::{json, Map, Value};

use crate::input::{Input, WireResult};
use crate::rules;

/// `Domain`, `CustomDomainConfig` and `ManagedLoginVersion` of Create/UpdateUserPoolDomain.
pub struct DomainRequest {
    pub domain: String,
    pub custom: Option<CustomDomain>,
    pub managed_login_version: Option<u8>,
}

pub fn parse_domain_request(input: &Input) -> WireResult<DomainRequest> {
    let domain = input.req_str("Domain", &rules::DOMAIN_NAME)?;
    let custom = match input.opt_object("CustomDomainConfig")? {
        Some(config) => Some(CustomDomain {
            certificate_arn: config.req_str("CertificateArn", &rules::ARN)?,
            security_policy: config.opt_enum("SecurityPolicy", &["TLS_V1", "TLS_V1_2_2021", "TLS_V1_3_2025"])?,
        }),
        None => None,
    };
    // Routing (multi-Region failover) is AWS plumbing: accepted as a structure, not kept.
    input.expect_object("Routing")?;
    let version = input.opt_int("ManagedLoginVersion", i64::MIN, i64::MAX)?;
    let managed_login_version = match version {
        None => None,
        Some(v @ 1..=2) => Some(v as u8),
        Some(v) => {
            return Err(
                DomainError::invalid(format!("Invalid managed login version: {v}. Valid values are 1 and 2.")).into()
            )
        }
    };
    Ok(DomainRequest { domain, custom, managed_login_version })
}

/// A prefix must match `DomainType`'s pattern, which Cognito reports in words of its own.
pub fn check_prefix(request: &DomainRequest) -> WireResult<()> {
    if request.custom.is_some() {
        let host = &request.domain;
        let valid = host.contains('.')
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !valid {
            return Err(DomainError::invalid(format!("{host} is not a valid custom domain name.")).into());
        }
        return Ok(());
    }
    if request.custom.is_none() && !rules::DOMAIN_PREFIX.matches(&request.domain) {
        return Err(DomainError::invalid(
            "The domain name contains an invalid character. Domain names can only contain lower-case letters, \
             numbers, and hyphens. Please enter a different name that follows this format: \
             ^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$",
        )
        .into());
    }
    Ok(())
}

/// The CreateUserPoolDomain / UpdateUserPoolDomain answer. `CloudFrontDomain` is there for
/// custom domains only, as on Cognito; `cloudfront` is where cognate itself answers.
pub fn domain_result_json(domain: &PoolDomain, cloudfront: &str) -> Value {
    let mut v = Map::new();
    v.insert("ManagedLoginVersion".into(), json!(domain.managed_login_version));
    if domain.is_custom() {
        v.insert("CloudFrontDomain".into(), json!(cloudfront));
    }
    Value::Object(v)
}

/// `DomainDescriptionType`; `{}` for a domain no pool has.
pub fn domain_description_json(domain: Option<&PoolDomain>, account: &str, cloudfront: &str) -> Value {
    let Some(d) = domain else { return json!({ "DomainDescription": {} }) };
    let mut v = Map::new();
    v.insert("UserPoolId".into(), json!(d.pool_id));
    v.insert("AWSAccountId".into(), json!(account));
    v.insert("Domain".into(), json!(d.domain));
    v.insert("CloudFrontDistribution".into(), json!(cloudfront));
    v.insert("Version".into(), json!(compact_utc(d.created.0)));
    v.insert("Status".into(), json!("ACTIVE"));
    v.insert("ManagedLoginVersion".into(), json!(d.managed_login_version));
    if let Some(custom) = &d.custom {
        let mut c = Map::new();
        c.insert("CertificateArn".into(), json!(custom.certificate_arn));
        if let Some(policy) = &custom.security_policy {
            c.insert("SecurityPolicy".into(), json!(policy));
        }
        v.insert("CustomDomainConfig".into(), Value::Object(c));
    }
    json!({ "DomainDescription": v })
}

/// `YYYYMMDDhhmmss` in UTC, the form of a domain's `Version`.
fn compact_utc(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}{:02}{:02}{:02}", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// `Identifier`, `Name` and `Scopes` of Create/UpdateResourceServer.
pub fn parse_resource_server(input: &Input) -> WireResult<(String, String, Vec<ResourceScope>)> {
    let identifier = input.req_str("Identifier", &rules::RESOURCE_SERVER_ID)?;
    let name = input.req_str("Name", &rules::RESOURCE_SERVER_NAME)?;
    let items = input.opt_object_list("Scopes")?.unwrap_or_default();
    if items.len() > 100 {
        return Err(crate::input::validation_error(
            "scopes",
            None,
            "Member must have length less than or equal to 100",
        ));
    }
    let scopes = items
        .iter()
        .map(|s| {
            Ok(ResourceScope {
                name: s.req_str("ScopeName", &rules::SCOPE_NAME)?,
                description: s.req_str("ScopeDescription", &rules::SCOPE_DESCRIPTION)?,
            })
        })
        .collect::<WireResult<Vec<_>>>()?;
    Ok((identifier, name, scopes))
}

/// `ResourceServerType`. Cognito leaves `Scopes` out when there are none.
pub fn resource_server_json(server: &ResourceServer) -> Value {
    let mut v = Map::new();
    v.insert("UserPoolId".into(), json!(server.pool_id));
    v.insert("Identifier".into(), json!(server.identifier));
    v.insert("Name".into(), json!(server.name));
    if !server.scopes.is_empty() {
        let scopes: Vec<Value> =
            server.scopes.iter().map(|s| json!({ "ScopeName": s.name, "ScopeDescription": s.description })).collect();
        v.insert("Scopes".into(), Value::Array(scopes));
    }
    Value::Object(v)
}

/// `UserPoolType.Domain` (the prefix) and `CustomDomain`, when the pool has them.
pub fn add_pool_domains(pool: &mut Value, domains: &[PoolDomain]) {
    let Value::Object(v) = pool else { return };
    for d in domains {
        let member = if d.is_custom() { "CustomDomain" } else { "Domain" };
        v.insert(member.into(), json!(d.domain));
    }
}

/// The classes Cognito lets the classic hosted UI's CSS style.
const CUSTOMIZABLE: [&str; 18] = [
    "background-customizable",
    "banner-customizable",
    "errorMessage-customizable",
    "idpButton-customizable",
    "idpDescription-customizable",
    "inputField-customizable",
    "label-customizable",
    "legalText-customizable",
    "logo-customizable",
    "passwordCheck-notValid-customizable",
    "passwordCheck-valid-customizable",
    "redirect-customizable",
    "socialButton-customizable",
    "submitButton-customizable",
    "textDescription-customizable",
    "idpButton-customizable:hover",
    "submitButton-customizable:hover",
    "inputField-customizable:focus",
];

/// `CSS` and `ImageFile` of SetUICustomization: only Cognito's customizable classes, and a
/// PNG or JPEG logo (kept base64).
pub fn parse_ui_customization(input: &Input) -> WireResult<(Option<String>, Option<String>)> {
    let css = input.opt_str("CSS", &rules::CSS)?.filter(|c| !c.trim().is_empty());
    if let Some(css) = &css {
        for block in css.split('}') {
            let Some((selectors, _)) = block.split_once('{') else {
                if block.trim().is_empty() {
                    continue;
                }
                return Err(DomainError::invalid("The CSS is not valid.").into());
            };
            for selector in selectors.split(',').map(str::trim) {
                let class = selector.strip_prefix('.').unwrap_or("");
                if !CUSTOMIZABLE.contains(&class) {
                    return Err(DomainError::invalid(format!(
                        "The CSS class {selector} cannot be customized. Use one of the -customizable classes."
                    ))
                    .into());
                }
            }
        }
    }
    let image = match input.raw().get("ImageFile") {
        None | Some(Value::Null) => None,
        Some(Value::String(b64)) => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| DomainError::invalid("ImageFile is not valid base64."))?;
            if bytes.len() > 131_072 {
                return Err(crate::input::validation_error(
                    "imageFile",
                    None,
                    "Member must have length less than or equal to 131072",
                ));
            }
            if image_type(&bytes).is_none() {
                return Err(DomainError::invalid("The image must be a PNG or JPEG file.").into());
            }
            (!bytes.is_empty()).then(|| b64.clone())
        }
        Some(_) => return Err(DomainError::invalid("ImageFile must be a blob.").into()),
    };
    Ok((css, image))
}

/// The media type of a logo, by its first bytes.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.is_empty() {
        Some("")
    } else {
        None
    }
}

/// `UICustomizationType`; `image_url` is where cognate serves the logo.
pub fn ui_customization_json(
    pool_id: &str,
    client_id: &str,
    ui: Option<&cognate_core::branding::UiCustomization>,
    image_url: &str,
) -> Value {
    let mut v = Map::new();
    v.insert("UserPoolId".into(), json!(pool_id));
    v.insert("ClientId".into(), json!(ui.map_or(client_id, |u| u.client_id.as_str())));
    if let Some(ui) = ui {
        if ui.image.is_some() {
            v.insert("ImageUrl".into(), json!(image_url));
        }
        if let Some(css) = &ui.css {
            v.insert("CSS".into(), json!(css));
            v.insert("CSSVersion".into(), json!(ui.modified.0.to_string()));
        }
        v.insert("CreationDate".into(), crate::pool::timestamp(ui.created));
        v.insert("LastModifiedDate".into(), crate::pool::timestamp(ui.modified));
    }
    json!({ "UICustomization": v })
}

const ASSET_CATEGORIES: &[&str] = &[
    "FAVICON_ICO",
    "FAVICON_SVG",
    "EMAIL_GRAPHIC",
    "SMS_GRAPHIC",
    "AUTH_APP_GRAPHIC",
    "PASSWORD_GRAPHIC",
    "PASSKEY_GRAPHIC",
    "PAGE_HEADER_LOGO",
    "PAGE_HEADER_BACKGROUND",
    "PAGE_FOOTER_LOGO",
    "PAGE_FOOTER_BACKGROUND",
    "PAGE_BACKGROUND",
    "FORM_BACKGROUND",
    "FORM_LOGO",
    "IDP_BUTTON_ICON",
];

/// `UseCognitoProvidedValues`, `Settings` (a JSON document) and `Assets` of the managed
/// login branding operations, as JSON text for the store.
pub fn parse_branding(input: &Input) -> WireResult<cognate_core::flows::BrandingChanges> {
    let cognito_values = input.opt_bool("UseCognitoProvidedValues")?;
    let settings = match input.raw().get("Settings") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.to_string()),
        Some(_) => return Err(DomainError::invalid("Settings must be a JSON object.").into()),
    };
    let assets = match input.opt_object_list("Assets")? {
        None => None,
        Some(items) => {
            if items.len() > 40 {
                return Err(crate::input::validation_error(
                    "assets",
                    None,
                    "Member must have length less than or equal to 40",
                ));
            }
            let mut list = Vec::with_capacity(items.len());
            for item in &items {
                let category = item.opt_enum("Category", ASSET_CATEGORIES)?;
                let mode = item.opt_enum("ColorMode", &["LIGHT", "DARK", "DYNAMIC"])?;
                let extension = item.opt_enum("Extension", &["ICO", "JPEG", "PNG", "SVG", "WEBP"])?;
                let (Some(category), Some(mode), Some(extension)) = (category, mode, extension) else {
                    return Err(DomainError::invalid("Each asset needs Category, ColorMode and Extension.").into());
                };
                let bytes = match item.raw().get("Bytes") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(b64)) => {
                        use base64::Engine;
                        let raw = base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(|_| DomainError::invalid("Asset Bytes are not valid base64."))?;
                        if raw.len() > 1_000_000 {
                            return Err(DomainError::invalid("An asset may hold at most 1000000 bytes.").into());
                        }
                        Some(b64.clone())
                    }
                    Some(_) => return Err(DomainError::invalid("Asset Bytes must be a blob.").into()),
                };
                let mut asset = Map::new();
                asset.insert("Category".into(), json!(category));
                asset.insert("ColorMode".into(), json!(mode));
                asset.insert("Extension".into(), json!(extension));
                if let Some(b) = bytes {
                    asset.insert("Bytes".into(), json!(b));
                }
                if let Some(id) = item.opt_str("ResourceId", &rules::RESOURCE_ID)? {
                    asset.insert("ResourceId".into(), json!(id));
                }
                list.push(Value::Object(asset));
            }
            Some(Value::Array(list).to_string())
        }
    };
    Ok(cognate_core::flows::BrandingChanges { cognito_values, settings, assets })
}

/// `ManagedLoginBrandingType`.
pub fn branding_json(b: &cognate_core::branding::Branding) -> Value {
    let mut v = Map::new();
    v.insert("ManagedLoginBrandingId".into(), json!(b.id));
    v.insert("UserPoolId".into(), json!(b.pool_id));
    v.insert("UseCognitoProvidedValues".into(), json!(b.cognito_values));
    let settings = b.settings.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or(json!({}));
    v.insert("Settings".into(), settings);
    let assets = serde_json::from_str::<Value>(&b.assets).unwrap_or(json!([]));
    v.insert("Assets".into(), assets);
    v.insert("CreationDate".into(), crate::pool::timestamp(b.created));
    v.insert("LastModifiedDate".into(), crate::pool::timestamp(b.modified));
    json!({ "ManagedLoginBranding": v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compact_utc_timestamps() {
        assert_eq!(compact_utc(0), "19700101000000");
        assert_eq!(compact_utc(1_751_419_191_000), "20250702011951");
        assert_eq!(compact_utc(951_782_400_000), "20000229000000");
    }
}
