//! `doorman sim --tls`: HTTPS with a certificate authority made for this run (DESIGN.md
//! section 8), so official SDKs that only talk to `https://` authorities and Graph hosts (MSAL,
//! `azure-identity`, the Graph SDKs) run against the simulator unmodified.
//!
//! The authority is generated at start and never written anywhere but where the caller asks;
//! its certificate is served at `GET /_sim/ca.pem` for clients to trust. The server certificate
//! it signs names the listening address, `127.0.0.1`, `::1` and `localhost`. Both protocols are
//! offered through ALPN (`h2`, `http/1.1`). Handshakes happen on their own tasks
//! ([`super::severable::SimListener`]), so one slow client holds up no other.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why the simulator's HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot generate the simulator's certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot set up tls: {0}")]
    Rustls(#[from] tokio_rustls::rustls::Error),
}

/// The simulator's HTTPS: the authority's certificate to hand out, and the acceptor.
#[derive(Clone)]
pub struct SimTls {
    /// The certificate authority, PEM: what clients trust (`/_sim/ca.pem`).
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

impl std::fmt::Debug for SimTls {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SimTls")
            .field("ca_pem", &"[certificate]")
            .finish_non_exhaustive()
    }
}

impl SimTls {
    /// A fresh authority and a server certificate it signs for `address`.
    pub fn generate(address: SocketAddr) -> Result<SimTls, TlsError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = name("doorman sim certificate authority");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key)?;

        let server_key = KeyPair::generate()?;
        let mut server_params = CertificateParams::default();
        server_params.distinguished_name = name("doorman sim");
        server_params.subject_alt_names = names_for(address.ip())?;
        server_params.is_ca = IsCa::ExplicitNoCa;
        server_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server_params.use_authority_key_identifier_extension = true;
        let server = server_params.signed_by(&server_key, &ca, &ca_key)?;

        let chain: Vec<CertificateDer<'static>> = vec![server.der().clone(), ca.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(chain, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(SimTls {
            ca_pem: ca.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "Doorman simulator");
    name
}

/// The names the server certificate is good for: the listening address and loopback's usual
/// names, so clients may use any of them.
fn names_for(listening: IpAddr) -> Result<Vec<SanType>, rcgen::Error> {
    let mut names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    if !listening.is_unspecified() && !names.contains(&SanType::IpAddress(listening)) {
        names.push(SanType::IpAddress(listening));
    }
    Ok(names)
}
