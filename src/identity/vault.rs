//! The token vault: delegated refresh tokens encrypted at rest with AES-256-GCM under
//! `[security] token_key`, one per Entra user.
//!
//! Each entry is sealed with a fresh random nonce and the user's object id as associated data,
//! so a ciphertext copied onto another user's entry does not open. Plaintext tokens exist only
//! in memory, inside `SecretString`s; nothing here logs or prints them.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::config::SecretKey;
use crate::store::{Domain, Store, StoreError, Table};

/// What is kept for one person.
#[derive(Clone)]
pub struct StoredGrant {
    pub refresh_token: SecretString,
    /// The scopes the token endpoint said it granted.
    pub scopes: Vec<String>,
    pub upn: Option<String>,
    pub updated: DateTime<Utc>,
}

impl std::fmt::Debug for StoredGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredGrant")
            .field("refresh_token", &"[REDACTED]")
            .field("scopes", &self.scopes)
            .field("upn", &self.upn)
            .field("updated", &self.updated)
            .finish()
    }
}

/// A secret sealed with the vault's key, bound to what it is for (`purpose`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedSecret {
    nonce: String,
    ciphertext: String,
}

/// A sealed entry as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sealed {
    #[serde(flatten)]
    secret: SealedSecret,
    scopes: Vec<String>,
    upn: Option<String>,
    updated: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The entry does not open with this key (a different `token_key`, or tampering).
    #[error("a stored token cannot be decrypted with [security] token_key")]
    Undecryptable,
}

/// Encrypted refresh tokens, by Entra object id.
#[derive(Clone)]
pub struct TokenVault {
    store: Arc<dyn Store>,
    entries: Table<String, Sealed>,
    key: Arc<LessSafeKey>,
}

impl TokenVault {
    pub fn open(store: Arc<dyn Store>, token_key: &SecretKey) -> Result<Self, StoreError> {
        let entries = Table::open(store.as_ref(), Domain::Tokens)?;
        // AES-256 takes any 32 bytes as a key, which a SecretKey always is.
        let unbound = UnboundKey::new(&AES_256_GCM, token_key.expose())
            .map_err(|_| StoreError::Io("invalid token key".into()))?;
        Ok(TokenVault {
            store,
            entries,
            key: Arc::new(LessSafeKey::new(unbound)),
        })
    }

    /// Seals `secret` for `purpose` (associated data: it opens only for the same purpose).
    pub fn seal(&self, purpose: &str, secret: &SecretString) -> Result<SealedSecret, VaultError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = secret.expose_secret().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(associated(purpose).as_bytes()),
                &mut data,
            )
            .map_err(|_| VaultError::Undecryptable)?;
        Ok(SealedSecret {
            nonce: STANDARD.encode(nonce_bytes),
            ciphertext: STANDARD.encode(&data),
        })
    }

    /// Opens what [`TokenVault::seal`] sealed for the same `purpose`.
    pub fn unseal(&self, purpose: &str, sealed: &SealedSecret) -> Result<SecretString, VaultError> {
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(&sealed.nonce)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or(VaultError::Undecryptable)?;
        let mut data = STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| VaultError::Undecryptable)?;
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(associated(purpose).as_bytes()),
                &mut data,
            )
            .map_err(|_| VaultError::Undecryptable)?;
        String::from_utf8(plain.to_vec())
            .map(SecretString::from)
            .map_err(|_| VaultError::Undecryptable)
    }

    /// Seals and stores `grant` for `object_id`, flushed to disk before returning: a rotated
    /// refresh token must be saved before the access token it came with is used.
    pub fn put(&self, object_id: &str, grant: &StoredGrant) -> Result<(), VaultError> {
        let sealed = Sealed {
            secret: self.seal(object_id, &grant.refresh_token)?,
            scopes: grant.scopes.clone(),
            upn: grant.upn.clone(),
            updated: grant.updated,
        };
        self.entries.insert(&object_id.to_owned(), &sealed)?;
        self.store.flush()?;
        Ok(())
    }

    pub fn get(&self, object_id: &str) -> Result<Option<StoredGrant>, VaultError> {
        let Some(sealed) = self.entries.get(&object_id.to_owned())? else {
            return Ok(None);
        };
        let refresh_token = self.unseal(object_id, &sealed.secret)?;
        Ok(Some(StoredGrant {
            refresh_token,
            scopes: sealed.scopes,
            upn: sealed.upn,
            updated: sealed.updated,
        }))
    }

    /// Forgets `object_id`'s token (sign-out, or a token Entra revoked).
    pub fn remove(&self, object_id: &str) -> Result<(), VaultError> {
        self.entries.remove(&object_id.to_owned())?;
        self.store.flush()?;
        Ok(())
    }
}

fn associated(purpose: &str) -> String {
    format!("doorman-token-v1|{purpose}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SledStore, TableKey};

    fn vault(dir: &std::path::Path, key: u8) -> (Arc<dyn Store>, TokenVault) {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("store"));
        let vault =
            TokenVault::open(Arc::clone(&store), &SecretKey::from_bytes([key; 32])).expect("vault");
        (store, vault)
    }

    fn grant(token: &str) -> StoredGrant {
        StoredGrant {
            refresh_token: SecretString::from(token.to_owned()),
            scopes: vec!["User.Read".into()],
            upn: Some("a@b".into()),
            updated: Utc::now(),
        }
    }

    #[test]
    fn tokens_round_trip_and_are_not_stored_in_the_clear() {
        let dir = tempfile::tempdir().expect("dir");
        let (store, vault) = vault(dir.path(), 7);
        vault
            .put("oid-1", &grant("refresh-token-value-123"))
            .expect("put");
        let back = vault.get("oid-1").expect("get").expect("present");
        assert_eq!(
            back.refresh_token.expose_secret(),
            "refresh-token-value-123"
        );
        let raw = store
            .tree(Domain::Tokens)
            .expect("tree")
            .get(&"oid-1".to_owned().to_key())
            .expect("raw")
            .expect("present");
        assert!(!String::from_utf8_lossy(&raw).contains("refresh-token-value-123"));
        assert!(!format!("{back:?}").contains("refresh-token-value-123"));
    }

    #[test]
    fn a_ciphertext_moved_to_another_user_or_opened_with_another_key_does_not_open() {
        let dir = tempfile::tempdir().expect("dir");
        {
            let (store, vault) = vault(dir.path(), 7);
            vault.put("oid-1", &grant("secret")).expect("put");
            let tree = store.tree(Domain::Tokens).expect("tree");
            let raw = tree
                .get(&"oid-1".to_owned().to_key())
                .expect("raw")
                .expect("present");
            tree.insert(&"oid-2".to_owned().to_key(), &raw)
                .expect("copy");
            assert!(matches!(vault.get("oid-2"), Err(VaultError::Undecryptable)));
        }
        let (_store, other) = vault(dir.path(), 8);
        assert!(matches!(other.get("oid-1"), Err(VaultError::Undecryptable)));
    }
}
