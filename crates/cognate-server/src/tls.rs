//! The HTTPS listener's certificate: PEM files given by the operator, or (development mode)
//! a local certificate authority kept in the data directory and a certificate it signs for
//! `localhost`, `*.auth.localhost` and the loopback addresses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The HTTPS listener's configuration.
pub type TlsConfig = ServerConfig;

/// A rustls server configuration from a PEM certificate chain and its private key.
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the certificate file is not PEM: {e}"))?;
    if chain.is_empty() {
        return Err("the certificate file holds no certificate".into());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| format!("the key file holds no private key: {e}"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("the certificate and key do not form a usable pair: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The development certificate: where the CA that signed it is, and whether that CA was
/// created just now (so it must be trusted anew).
pub struct DevCertificate {
    pub cert_pem: String,
    pub key_pem: String,
    pub ca_path: PathBuf,
    pub ca_created: bool,
}

/// Creates (once) a local CA under `dir` and signs a fresh server certificate with it.
pub fn dev_certificate(dir: &Path, extra_names: &[String]) -> Result<DevCertificate, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca-key.pem");
    let err = |e: rcgen::Error| e.to_string();
    let (ca_params, ca_key, ca_created) =
        match (std::fs::read_to_string(&ca_path), std::fs::read_to_string(&ca_key_path)) {
            // Signing needs the CA's name and key only; both are the same on every start.
            (Ok(_), Ok(key)) => (ca_params().map_err(err)?, KeyPair::from_pem(&key).map_err(err)?, false),
            _ => {
                let key = KeyPair::generate().map_err(err)?;
                let params = ca_params().map_err(err)?;
                let cert = params.self_signed(&key).map_err(err)?;
                write_private(&ca_key_path, &key.serialize_pem())?;
                std::fs::write(&ca_path, cert.pem()).map_err(|e| format!("cannot write {}: {e}", ca_path.display()))?;
                (params, key, true)
            }
        };
    let issuer = Issuer::new(ca_params, ca_key);
    let mut names = vec!["localhost".to_string(), "*.auth.localhost".to_string()];
    names.extend(extra_names.iter().cloned());
    let mut params = CertificateParams::new(names).map_err(err)?;
    params.distinguished_name.push(DnType::CommonName, "cognate");
    // Strict verifiers (Python 3.13's default context, `openssl verify -x509_strict`) want it.
    params.use_authority_key_identifier_extension = true;
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    for ip in ["127.0.0.1", "::1"] {
        if let Ok(addr) = ip.parse() {
            params.subject_alt_names.push(SanType::IpAddress(addr));
        }
    }
    let key = KeyPair::generate().map_err(err)?;
    let cert = params.signed_by(&key, &issuer).map_err(err)?;
    Ok(DevCertificate { cert_pem: cert.pem(), key_pem: key.serialize_pem(), ca_path, ca_created })
}

fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, "cognate local development CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Ten years: a development CA should not expire under a developer.
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    Ok(params)
}

fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_ca_is_made_once_and_signs_usable_certificates() {
        let dir = std::env::temp_dir().join(format!("cognate-tls-{}", std::process::id()));
        let first = dev_certificate(&dir, &[]).unwrap();
        assert!(first.ca_created);
        assert!(server_config(first.cert_pem.as_bytes(), first.key_pem.as_bytes()).is_ok());
        let second = dev_certificate(&dir, &["auth.example.test".into()]).unwrap();
        assert!(!second.ca_created, "the CA is kept");
        assert_eq!(std::fs::read_to_string(&first.ca_path).unwrap(), std::fs::read_to_string(&second.ca_path).unwrap());
        assert!(server_config(b"not pem", b"").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
