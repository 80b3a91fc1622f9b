//! Signed checkpoints of the chain's head (Ed25519 over the head's sequence number and hash).
//!
//! The signing key is derived from `[security] audit_key`, which lives outside the store: someone
//! who can rewrite the store can recompute every hash, but cannot sign the result.
//!
//! Rotation: each head stores its signer's public key. Heads are always signed with the current
//! `audit_key`; verification ([`TrustedSigners`]) accepts a head signed by it or by one of the
//! public keys in `[security] previous_audit_public_keys`, and never trusts the key a head names.

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{AuditPublicKey, SecretKey};

/// A signature over the chain's head at one moment. Each checkpoint also signs the sequence
/// number of the one before it, so the checkpoints form a chain of their own: removing one is
/// as visible as removing a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub seq: u64,
    pub hash: String,
    /// The `seq` of the previous checkpoint (0 for the first).
    pub prev_signed_seq: u64,
    pub at: String,
    /// The signer's public key (hex), so a reader can tell which key signed.
    pub public_key: String,
    /// Ed25519 signature (base64) over [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// The exact bytes that are signed. Versioned, so the format can change without ambiguity.
    pub fn message(seq: u64, hash: &str, prev_signed_seq: u64, at: &str) -> Vec<u8> {
        format!("doorman-audit-head-v1\n{seq}\n{hash}\n{prev_signed_seq}\n{at}").into_bytes()
    }
}

/// Signs and checks checkpoints with the key derived from `[security] audit_key`.
pub struct HeadSigner {
    key_pair: Ed25519KeyPair,
    public_key: Vec<u8>,
}

impl HeadSigner {
    pub fn new(audit_key: &SecretKey) -> Self {
        // Any 32 bytes are a valid Ed25519 seed, so this cannot fail for a SecretKey.
        let key_pair = Ed25519KeyPair::from_seed_unchecked(audit_key.expose())
            .expect("every 32-byte seed is a valid Ed25519 private key");
        let public_key = key_pair.public_key().as_ref().to_vec();
        HeadSigner {
            key_pair,
            public_key,
        }
    }

    pub fn sign(
        &self,
        seq: u64,
        hash: &str,
        prev_signed_seq: u64,
        at: DateTime<Utc>,
    ) -> Checkpoint {
        let at = at.to_rfc3339_opts(SecondsFormat::Millis, true);
        let signature = self
            .key_pair
            .sign(&Checkpoint::message(seq, hash, prev_signed_seq, &at));
        Checkpoint {
            seq,
            hash: hash.to_owned(),
            prev_signed_seq,
            at,
            public_key: hex::encode(&self.public_key),
            signature: STANDARD.encode(signature.as_ref()),
        }
    }

    /// Whether `checkpoint` was signed by this key. The stored public key is not trusted: the
    /// check always uses the key from the configuration.
    pub fn verifies(&self, checkpoint: &Checkpoint) -> bool {
        signed_by(&self.public_key, checkpoint)
    }

    /// The public half of this key, as `previous_audit_public_keys` lists it after a rotation.
    pub fn public_key(&self) -> AuditPublicKey {
        let mut bytes = [0_u8; 32];
        bytes.copy_from_slice(&self.public_key);
        AuditPublicKey::from_bytes(bytes)
    }
}

/// Whether `checkpoint`'s signature verifies with `public_key`.
fn signed_by(public_key: &[u8], checkpoint: &Checkpoint) -> bool {
    let Ok(signature) = STANDARD.decode(&checkpoint.signature) else {
        return false;
    };
    let message = Checkpoint::message(
        checkpoint.seq,
        &checkpoint.hash,
        checkpoint.prev_signed_seq,
        &checkpoint.at,
    );
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&message, &signature)
        .is_ok()
}

/// Which configured key a signed head verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// `[security] audit_key`.
    Current,
    /// One of `[security] previous_audit_public_keys`.
    Previous,
}

/// The public keys a signed head may verify with: the current `audit_key`'s, then the previous
/// ones, as configured.
#[derive(Debug, Clone)]
pub struct TrustedSigners {
    keys: Vec<(AuditPublicKey, KeyRole)>,
}

impl TrustedSigners {
    pub fn new(current: &HeadSigner, previous: &[AuditPublicKey]) -> Self {
        let keys = std::iter::once((current.public_key(), KeyRole::Current))
            .chain(previous.iter().map(|key| (key.clone(), KeyRole::Previous)))
            .collect();
        TrustedSigners { keys }
    }

    /// The trusted key `checkpoint` verifies with, if any. Only configured keys are tried; the
    /// key the head names picks none of them.
    pub fn signer_of(&self, checkpoint: &Checkpoint) -> Option<(&AuditPublicKey, KeyRole)> {
        self.keys
            .iter()
            .find(|(key, _)| signed_by(key.as_bytes(), checkpoint))
            .map(|(key, role)| (key, *role))
    }
}
