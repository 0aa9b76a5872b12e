//! Who may call the signed operations: AWS Signature Version 4 (service `cognito-idp`) with
//! an access key cognate was given. The canonical request and signature come from
//! `aws-sigv4` (the AWS SDK's signer): cognate signs the request again with the caller's
//! secret, over exactly the headers the caller signed, and compares in constant time.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use axum::http::HeaderMap;
use cognate_wire::error::ProtocolError;
use subtle::ConstantTimeEq;

const SERVICE: &str = "cognito-idp";
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far `X-Amz-Date` may be from the server's clock, as on AWS.
const WINDOW: Duration = Duration::from_secs(15 * 60);

/// One access key an administrator configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// A name for logs and error messages.
    pub label: Option<String>,
    /// When set, the key may act only on these pools (and not create or list pools).
    pub pools: Option<Vec<String>>,
}

/// The configured keys, by access key id.
#[derive(Debug, Default)]
pub struct AdminKeys {
    keys: HashMap<String, AdminKey>,
}

impl AdminKeys {
    pub fn new(keys: Vec<AdminKey>) -> Self {
        Self { keys: keys.into_iter().map(|k| (k.access_key_id.clone(), k)).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub access_key_id: &'a str,
    pub date: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<&'a str>,
    pub signature: &'a str,
}

fn incomplete(detail: &str) -> ProtocolError {
    ProtocolError::IncompleteSignature(detail.to_string())
}

pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, ProtocolError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| incomplete("Unsupported Authorization Type"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            return Err(incomplete(&format!("Authorization header requires each component to be key=value: {part}")));
        };
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let missing: Vec<&str> = [("Credential", credential), ("SignedHeaders", signed_headers), ("Signature", signature)]
        .iter()
        .filter(|(_, v)| v.is_none_or(str::is_empty))
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        let needs: Vec<String> =
            missing.iter().map(|n| format!("Authorization header requires '{n}' parameter.")).collect();
        return Err(incomplete(&needs.join(" ")));
    }
    let (credential, signed_headers, signature) =
        (credential.unwrap_or_default(), signed_headers.unwrap_or_default(), signature.unwrap_or_default());
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, "aws4_request"] = scope.as_slice() else {
        return Err(incomplete(&format!(
            "Credential should be scoped to a valid region, service and aws4_request terminator: {credential}"
        )));
    };
    if access_key_id.is_empty() || region.is_empty() {
        return Err(incomplete(&format!("Credential is malformed: {credential}")));
    }
    let signed_headers: Vec<&str> = signed_headers.split(';').collect();
    if signed_headers.iter().any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase())) {
        return Err(incomplete("SignedHeaders must be lower-case header names separated by ';'."));
    }
    Ok(Authorization { access_key_id, date, region, service, signed_headers, signature })
}

/// `20240305T090403Z` as a point in time.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16
        || b[8] != b'T'
        || b[15] != b'Z'
        || !s[..8].bytes().chain(s[9..15].bytes()).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(4..6)?, n(6..8)?, n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    UNIX_EPOCH.checked_add(Duration::from_secs(u64::try_from(secs).ok()?))
}

fn format_amz_date(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = cognate_core::ids::civil_date(days);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

const INVALID_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Checks a signed request; returns the key that signed it.
pub fn verify<'k>(
    keys: &'k AdminKeys,
    method: &str,
    uri: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<&'k AdminKey, ProtocolError> {
    let Some(value) = headers.get("authorization") else {
        return Err(ProtocolError::MissingAuthenticationToken("Missing Authentication Token".into()));
    };
    let value = value.to_str().map_err(|_| incomplete("The Authorization header is not ASCII."))?;
    let auth = parse_authorization(value)?;
    let key = keys.keys.get(auth.access_key_id).ok_or_else(|| {
        ProtocolError::UnrecognizedClient("The security token included in the request is invalid.".into())
    })?;
    if auth.service != SERVICE {
        return Err(ProtocolError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(signed_at) = parse_amz_date(amz_date) else {
        return Err(incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."));
    };
    if !auth.signed_headers.contains(&"host") || !auth.signed_headers.contains(&"x-amz-date") {
        return Err(incomplete("'Host' and 'X-Amz-Date' must be among the signed headers."));
    }
    if !amz_date.starts_with(auth.date) || auth.date.len() != 8 {
        return Err(ProtocolError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            &amz_date[..8]
        )));
    }
    let earliest = now.checked_sub(WINDOW).unwrap_or(UNIX_EPOCH);
    let latest = now + WINDOW;
    if signed_at < earliest {
        return Err(ProtocolError::InvalidSignature(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(earliest),
            format_amz_date(now)
        )));
    }
    if signed_at > latest {
        return Err(ProtocolError::InvalidSignature(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(latest),
            format_amz_date(now)
        )));
    }
    // A payload hash the client declared must be the body's.
    if let Some(declared) = headers.get("x-amz-content-sha256").and_then(|v| v.to_str().ok()) {
        use sha2::Digest;
        let actual: String = sha2::Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
        if declared != "UNSIGNED-PAYLOAD" && declared != actual {
            return Err(ProtocolError::InvalidSignature(
                "The provided 'x-amz-content-sha256' header does not match what was computed.".into(),
            ));
        }
    }
    let expected = resign(key, &auth, method, uri, headers, body, signed_at)?;
    if !bool::from(expected.as_bytes().ct_eq(auth.signature.as_bytes())) {
        return Err(ProtocolError::InvalidSignature(INVALID_SIGNATURE.into()));
    }
    Ok(key)
}

/// The signature the caller should have sent, over the headers it says it signed.
fn resign(
    key: &AdminKey,
    auth: &Authorization<'_>,
    method: &str,
    uri: &str,
    headers: &HeaderMap,
    body: &[u8],
    signed_at: SystemTime,
) -> Result<String, ProtocolError> {
    let mut signed: Vec<(&str, &str)> = Vec::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = headers.get_all(*name).iter().filter_map(|v| v.to_str().ok()).collect();
        if values.is_empty() {
            return Err(ProtocolError::InvalidSignature(INVALID_SIGNATURE.into()));
        }
        signed.extend(values.into_iter().map(|v| (*name, v)));
    }
    let identity = Credentials::new(&key.access_key_id, &key.secret_access_key, None, None, "cognate").into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the caller signed: nothing is excluded by name.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(auth.region)
        .name(SERVICE)
        .time(signed_at)
        .settings(settings)
        .build()
        .map_err(|e| incomplete(&e.to_string()))?
        .into();
    let request = SignableRequest::new(method, uri, signed.into_iter(), SignableBody::Bytes(body))
        .map_err(|e| incomplete(&e.to_string()))?;
    let output = sign(request, &params).map_err(|e| incomplete(&e.to_string()))?;
    Ok(output.signature().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_are_parsed_and_bad_ones_named() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKID/20240305/eu-west-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=ab12",
        )
        .unwrap();
        assert_eq!((a.access_key_id, a.date, a.region, a.service), ("AKID", "20240305", "eu-west-1", "cognito-idp"));
        assert_eq!((a.signed_headers, a.signature), (vec!["host", "x-amz-date"], "ab12"));
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20240305/eu-west-1/cognito-idp/aws4_request")
            .unwrap_err();
        assert!(
            matches!(err, ProtocolError::IncompleteSignature(m) if m.contains("'SignedHeaders'") && m.contains("'Signature'"))
        );
        assert!(parse_authorization("Basic abc").is_err());
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=a").is_err());
    }

    #[test]
    fn amz_dates_round_trip() {
        let t = parse_amz_date("20240305T090403Z").unwrap();
        assert_eq!(t.duration_since(UNIX_EPOCH).unwrap().as_secs(), 1_709_629_443);
        assert_eq!(format_amz_date(t), "20240305T090403Z");
        assert_eq!(format_amz_date(parse_amz_date("20000229T235959Z").unwrap()), "20000229T235959Z");
        assert!(parse_amz_date("2024-03-05T09:04:03Z").is_none());
        assert!(parse_amz_date("20241305T090403Z").is_none());
    }
}
