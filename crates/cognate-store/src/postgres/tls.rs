//! The database URL and TLS to the database, with libpq's meaning of `sslmode`: `disable`;
//! `prefer` (the default) and `require` encrypt without checking who answers; `verify-ca` and
//! `verify-full` check the server's certificate against the system's roots, or the PEM file
//! named by `sslrootcert` (the CA bundle a managed service publishes).

use std::str::FromStr;
use std::sync::Arc;

use cognate_core::error::StoreError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::redact;

pub(super) struct Target {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
}

impl Target {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let invalid = |why: String| StoreError::Unavailable(format!("invalid database URL {}: {why}", redact(url)));
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("it must start with postgres:// or postgresql://".into()));
        }
        // tokio-postgres knows disable/prefer/require; the verifying modes and the root file
        // are ours, so they are taken out before it reads the rest.
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut verify, mut root_file, mut kept) = (false, None, Vec::new());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", "verify-full" | "verify-ca")) => verify = true,
                Some(("sslrootcert", path)) => root_file = Some(path.to_string()),
                _ => kept.push(pair),
            }
        }
        let rest = if verify { kept.iter().chain(["sslmode=require"].iter()).copied().collect() } else { kept };
        let url = if rest.is_empty() { base.to_string() } else { format!("{base}?{}", rest.join("&")) };
        // tokio-postgres's own message never quotes the password.
        let config = tokio_postgres::Config::from_str(&url).map_err(|e| invalid(e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(e.to_string()))?;
        let tls = if verify {
            builder.with_root_certificates(roots(root_file.as_deref()).map_err(invalid)?).with_no_client_auth()
        } else {
            if config.get_ssl_mode() == SslMode::Require && root_file.is_some() {
                return Err(invalid("sslrootcert needs sslmode=verify-ca or verify-full".into()));
            }
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Unverified(provider.signature_verification_algorithms)))
                .with_no_client_auth()
        };
        Ok(Self { config, tls: MakeRustlsConnect::new(tls) })
    }
}

fn roots(file: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    match file {
        Some(path) => {
            for cert in
                CertificateDer::pem_file_iter(path).map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("bad certificate in {path}: {e}"))?;
                roots.add(cert).map_err(|e| format!("bad certificate in {path}: {e}"))?;
            }
        }
        None => {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
    }
    if roots.is_empty() {
        return Err("no root certificates to verify the server with (sslrootcert=FILE names some)".into());
    }
    Ok(roots)
}

/// `sslmode=require`: encrypted, but any certificate is accepted (libpq's meaning). The
/// handshake signature is still checked, so the session key belongs to the certificate shown.
#[derive(Debug)]
struct Unverified(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
