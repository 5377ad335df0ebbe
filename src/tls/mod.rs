//! TLS for simfleet's server and its clients, with rustls and the `ring`
//! provider (pure Rust and assembly: no OpenSSL, no system `-dev`
//! package, builds for the Pi's arm64 and armhf).
//!
//! - The API serves a PEM certificate chain and key ([`server_config`]).
//! - Outgoing connections (webhooks, the CLI talking to an HTTPS API)
//!   trust the system's roots (Debian's `ca-certificates`, read from
//!   `/etc/ssl/certs`) plus any CA files the configuration names
//!   ([`client_config`]), e.g. a receiver's own private CA.

use std::path::Path;
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;

/// Why the TLS certificate or key could not be used.
#[derive(Debug, Error)]
pub enum TlsError {
    /// A file could not be read or held no PEM of the right kind.
    #[error("{key} {path}: {problem}")]
    File {
        /// The config key naming the file.
        key: &'static str,
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// rustls refused the pair (a key that does not match the certificate, say).
    #[error("api.tls_cert/api.tls_key: {0}")]
    Rustls(#[from] rustls::Error),
    /// Neither the system nor the configuration has a CA to trust.
    #[error("no CA certificates found: install ca-certificates, or name a ca_file")]
    NoRoots,
}

/// A rustls server configuration from PEM files: the certificate chain
/// (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let file_err = |key: &'static str, path: &Path, problem: String| TlsError::File {
        key,
        path: path.display().to_string(),
        problem,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err("api.tls_cert", cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err("api.tls_cert", cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err(
            "api.tls_cert",
            cert,
            "no CERTIFICATE in the file".into(),
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| file_err("api.tls_key", key, format!("no usable private key: {e}")))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, private)?;
    Ok(Arc::new(config))
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration that accepts exactly the server certificate in
/// `cert_file` (the API's own `api.tls_cert`), whatever name it was issued
/// for: how the command-line tools reach the local daemon over TLS without
/// a hostname to match (it listens on an address) and without trusting
/// anything else. The handshake's signatures are still verified.
pub fn pinned_client_config(cert_file: &Path) -> Result<ClientConfig, TlsError> {
    let leaf = certificates("api.tls_cert", cert_file)?
        .into_iter()
        .next()
        .ok_or(TlsError::NoRoots)?;
    let provider = provider();
    let verifier = Arc::new(Pinned {
        leaf,
        algorithms: provider.signature_verification_algorithms,
    });
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Accepts one certificate, byte for byte.
#[derive(Debug)]
struct Pinned {
    leaf: CertificateDer<'static>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.leaf.as_ref() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A `reqwest` client builder for simfleet's outgoing HTTP: `ring` as the
/// process's rustls provider (installed once; reqwest is built without a
/// provider of its own) and the system's roots for `https://`. Every
/// client in simfleet, and in its tests, starts here.
pub fn http_client() -> reqwest::ClientBuilder {
    // Err means a provider is already installed: the same one, or the
    // embedding program's choice, which wins.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = reqwest::Client::builder();
    match client_config(&[]) {
        Ok(tls) => builder.tls_backend_preconfigured(tls),
        // No CA on the machine: plain http:// still works; https:// fails
        // at connect with an error naming the missing issuer.
        Err(_) => builder,
    }
}

/// The certificates in a PEM file, for `key` (a config key) in errors.
fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let file_err = |problem: String| TlsError::File {
        key,
        path: path.display().to_string(),
        problem,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_err(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err("no CERTIFICATE in the file".into()));
    }
    Ok(certs)
}

/// A client configuration trusting the system's roots and the CAs in
/// `extra` (each `(config key, PEM file)`). Fails when a named file is
/// unusable, or when no root at all could be found.
pub fn client_config(extra: &[(&'static str, &Path)]) -> Result<ClientConfig, TlsError> {
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped: one bad file in
    // /etc/ssl/certs must not stop webhooks to a receiver with its own CA.
    let system = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(system.certs);
    let mut extra_added = 0;
    for (key, path) in extra {
        for cert in certificates(key, path)? {
            roots.add(cert).map_err(|e| TlsError::File {
                key,
                path: path.display().to_string(),
                problem: format!("not a usable CA certificate: {e}"),
            })?;
            extra_added += 1;
        }
    }
    if added + extra_added == 0 {
        return Err(TlsError::NoRoots);
    }
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
