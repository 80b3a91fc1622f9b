//! `[security] ca_file`: certificate authorities Doorman trusts for its outbound HTTPS (login,
//! Graph, the Bot Framework, Slack) besides the usual roots, such as the one `doorman sim --tls`
//! generates. The file is read and every certificate in it parsed when the configuration loads,
//! so a missing or broken file stops the daemon at start, naming the key.
//!
//! This module only says whom to trust: every outbound client is built from it
//! ([`TrustedRoots::http_client`], [`TrustedRoots::rustls_config`]), none on its own.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::Deserialize;

/// The extra certificate authorities of `[security] ca_file`; none by default.
#[derive(Clone, Default)]
pub struct TrustedRoots {
    file: Option<PathBuf>,
    certificates: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for TrustedRoots {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("TrustedRoots")
            .field("file", &self.file)
            .field("certificates", &self.certificates.len())
            .finish()
    }
}

impl TrustedRoots {
    /// The certificates of the PEM file at `path`: at least one, each one rustls and reqwest
    /// accept as a root.
    pub fn load(path: PathBuf) -> Result<TrustedRoots, String> {
        let pem = std::fs::read(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("{} is not PEM: {error}", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("{} holds no certificate", path.display()));
        }
        for certificate in &certificates {
            let mut store = rustls::RootCertStore::empty();
            store
                .add(certificate.clone())
                .map_err(|error| format!("{}: {error}", path.display()))?;
            reqwest::Certificate::from_der(certificate)
                .map_err(|error| format!("{}: {error}", path.display()))?;
        }
        Ok(TrustedRoots {
            file: Some(path),
            certificates,
        })
    }

    /// Whether there is any certificate to add to the usual roots.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// A reqwest client builder that trusts these authorities besides its built-in roots.
    pub fn http_client(&self) -> reqwest::ClientBuilder {
        self.certificates
            .iter()
            .filter_map(|certificate| reqwest::Certificate::from_der(certificate).ok())
            .fold(reqwest::Client::builder(), |builder, certificate| {
                builder.add_root_certificate(certificate)
            })
    }

    /// A rustls client configuration (ring) that trusts the system's roots and these.
    pub fn rustls_config(&self) -> Result<rustls::ClientConfig, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        // A system root rustls cannot read is skipped, as hyper-rustls does with native roots.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        for certificate in &self.certificates {
            roots.add(certificate.clone())?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Ok(rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

impl<'de> Deserialize<'de> for TrustedRoots {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = PathBuf::deserialize(deserializer)?;
        TrustedRoots::load(path).map_err(serde::de::Error::custom)
    }
}
