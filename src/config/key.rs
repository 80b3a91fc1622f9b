//! 256-bit secret keys written in the config as base64 (`openssl rand -base64 32`).

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Deserializer};

/// A 32-byte key (`[security] token_key`, `audit_key`). `Debug` never shows the bytes.
pub struct SecretKey(SecretBox<[u8; 32]>);

impl SecretKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(SecretBox::new(Box::new(bytes)))
    }

    /// Decodes standard base64 (with or without padding) of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let trimmed = text.trim().trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .map_err(|_| KeyError::NotBase64)?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| KeyError::Length(bytes.len()))?;
        Ok(Self::from_bytes(array))
    }

    /// A fresh random key, as base64 (used by the simulator to hand out a working config).
    pub fn generate_base64() -> String {
        let bytes: [u8; 32] = rand::random();
        STANDARD.encode(bytes)
    }

    pub fn expose(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Clone for SecretKey {
    fn clone(&self) -> Self {
        SecretKey::from_bytes(*self.expose())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("must be 32 bytes written as base64 (openssl rand -base64 32)")]
    NotBase64,
    #[error("must be 32 bytes written as base64, got {0} bytes")]
    Length(usize),
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = secrecy::SecretString::deserialize(deserializer)?;
        SecretKey::from_base64(text.expose_secret()).map_err(serde::de::Error::custom)
    }
}

/// The public half of an Ed25519 `audit_key` (`[security] previous_audit_public_keys`),
/// written as 64 hex digits: what `doorman audit public-key` prints and each signed head stores.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditPublicKey([u8; 32]);

impl AuditPublicKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        AuditPublicKey(bytes)
    }

    /// Decodes 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, PublicKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| PublicKeyError)?;
        let array: [u8; 32] = bytes.try_into().map_err(|_| PublicKeyError)?;
        Ok(AuditPublicKey(array))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for AuditPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for AuditPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditPublicKey({self})")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an Ed25519 public key as 64 hex digits, as `doorman audit public-key` prints it")]
pub struct PublicKeyError;

impl<'de> Deserialize<'de> for AuditPublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        AuditPublicKey::from_hex(&text).map_err(serde::de::Error::custom)
    }
}
