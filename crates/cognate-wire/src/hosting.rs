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
