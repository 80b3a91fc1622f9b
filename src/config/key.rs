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
