//! SigV4 checking of the signed operations.
//!
//! Two properties, chosen by the first byte:
//! - any headers and body (one `name: value` per line, a blank line, then the body) get an
//!   answer from `verify`, never a panic, and never an accepted signature;
//! - a request the AWS SDK's signer signed (first line the path and query, second line one
//!   more header, the rest the body) is accepted, and the same request with its body changed
//!   is refused.

#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, Uri};
use cognate_server::sigv4::{parse_amz_date, parse_authorization, verify, AdminKey, AdminKeys};
use libfuzzer_sys::fuzz_target;

const ACCESS_KEY: &str = "AKIDFUZZ";
const SECRET: &str = "fuzz-secret";

fn keys() -> AdminKeys {
    AdminKeys::new(vec![AdminKey {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET.into(),
        label: None,
        pools: None,
    }])
}

/// 2024-03-05T09:04:03Z, the instant every fuzzed request is checked at.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_709_629_443)
}

fn arbitrary_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let mut headers = HeaderMap::new();
    for line in head.lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        parse_authorization(value.trim()).ok();
        parse_amz_date(value.trim());
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.trim()), HeaderValue::try_from(value.trim())) {
            headers.append(name, value);
        }
    }
    let keys = keys();
    if let Ok(key) = verify(&keys, "POST", "/", &headers, body.as_bytes(), now()) {
        // Only a real signature passes; the fuzzer cannot compute HMAC-SHA256 by chance.
        panic!("accepted an unsigned request for {}: {headers:?}", key.access_key_id);
    }
}

fn signed_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (Some(path), Some(extra), body) = (parts.next(), parts.next(), parts.next().unwrap_or("")) else { return };
    let Ok(uri) = Uri::try_from(path) else { return };
    if !path.starts_with('/') {
        return;
    }
    let mut request = Request::post(uri.clone()).body(()).expect("request");
    let h = request.headers_mut();
    h.insert("host", HeaderValue::from_static("127.0.0.1:9229"));
    h.insert("x-amz-target", HeaderValue::from_static("AWSCognitoIdentityProviderService.ListUserPools"));
    if let Some((name, value)) = extra.split_once(':') {
        match (HeaderName::try_from(name.trim()), HeaderValue::try_from(value.trim())) {
            (Ok(name), Ok(value)) if !name.as_str().starts_with("x-amz-") && name != "authorization" => {
                h.append(name, value);
            }
            _ => {}
        }
    }
    let signable: Vec<(&str, &str)> =
        request.headers().iter().filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))).collect();
    let identity = Credentials::new(ACCESS_KEY, SECRET, None, None, "fuzz").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("cognito-idp")
        .time(now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing params")
        .into();
    let path_and_query = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
    let Ok(signable) =
        SignableRequest::new("POST", &path_and_query, signable.into_iter(), SignableBody::Bytes(body.as_bytes()))
    else {
        return;
    };
    let Ok(output) = sign(signable, &params) else { return };
    let (instructions, _) = output.into_parts();
    instructions.apply_to_request_http1x(&mut request);
    let keys = keys();
    if let Err(e) = verify(&keys, "POST", &path_and_query, request.headers(), body.as_bytes(), now()) {
        panic!("refused a request the SDK signed ({e:?}): {path_and_query} {:?}", request.headers());
    }
    let mut changed = body.as_bytes().to_vec();
    changed.push(b' ');
    assert!(
        verify(&keys, "POST", &path_and_query, request.headers(), &changed, now()).is_err(),
        "accepted a body that was not the one signed"
    );
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((selector, rest)) if selector & 1 == 0 => arbitrary_request(rest),
        Some((_, rest)) => signed_request(rest),
        None => {}
    }
});
