//! The token vault: delegated refresh tokens encrypted at rest with AES-256-GCM under
//! `[security] token_key`, one per Entra user.
//!
//! Each entry is sealed with a fresh random nonce. Its associated data ([`Binding`]) is
//! everything the entry stores beside the ciphertext: the owner (the user's object id), the
//! granted scopes, the UPN and the time it was kept. So a ciphertext copied onto another user's
//! entry does not open, and neither does an entry whose scopes were widened or whose UPN was
//! changed in the store. Plaintext tokens exist only in memory, inside `SecretString`s; nothing
//! here logs or prints them.

use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, SecondsFormat, Utc};
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

/// A secret sealed with the vault's key, bound to what it is for (a [`Binding`]).
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

/// What a sealed secret is bound to: the AES-GCM associated data. A secret opens only with a
/// binding equal in every part to the one it was sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding(String);

impl Binding {
    /// `owner` says whose secret this is and what for (an Entra object id for a kept grant);
    /// `scopes`, `upn` and `time` are the facts stored beside it, which must not change apart.
    pub fn new(owner: &str, scopes: &[String], upn: Option<&str>, time: DateTime<Utc>) -> Self {
        // JSON, so that no owner, scope or UPN can be written to look like another split.
        let facts = serde_json::json!({
            "owner": owner,
            "scopes": scopes,
            "upn": upn,
            "time": time.to_rfc3339_opts(SecondsFormat::Nanos, true),
        });
        Binding(format!("{BINDING_VERSION}|{facts}"))
    }
}

/// The version of the binding's layout, part of the associated data: entries sealed under
/// another layout do not open (the person signs in again).
const BINDING_VERSION: &str = "doorman-token-v2";

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

    /// Seals `secret` bound to `binding`: it opens only with the same binding.
    pub fn seal(
        &self,
        binding: &Binding,
        secret: &SecretString,
    ) -> Result<SealedSecret, VaultError> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = secret.expose_secret().as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(binding.0.as_bytes()),
                &mut data,
            )
            .map_err(|_| VaultError::Undecryptable)?;
        Ok(SealedSecret {
            nonce: STANDARD.encode(nonce_bytes),
            ciphertext: STANDARD.encode(&data),
        })
    }

    /// Opens what [`TokenVault::seal`] sealed with the same `binding`.
    pub fn unseal(
        &self,
        binding: &Binding,
        sealed: &SealedSecret,
    ) -> Result<SecretString, VaultError> {
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
                Aad::from(binding.0.as_bytes()),
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
        let binding = Binding::new(
            object_id,
            &grant.scopes,
            grant.upn.as_deref(),
            grant.updated,
        );
        let sealed = Sealed {
            secret: self.seal(&binding, &grant.refresh_token)?,
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
        let binding = Binding::new(
            object_id,
            &sealed.scopes,
            sealed.upn.as_deref(),
            sealed.updated,
        );
        let refresh_token = self.unseal(&binding, &sealed.secret)?;
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

    /// Rewrites one field of `oid-1`'s stored entry, as someone with the store but not the key
    /// could.
    fn tamper(store: &Arc<dyn Store>, field: &str, value: serde_json::Value) {
        let tree = store.tree(Domain::Tokens).expect("tree");
        let key = "oid-1".to_owned().to_key();
        let raw = tree.get(&key).expect("raw").expect("present");
        let mut entry: serde_json::Value = serde_json::from_slice(&raw).expect("json");
        entry[field] = value;
        tree.insert(&key, &serde_json::to_vec(&entry).expect("json"))
            .expect("rewrite");
    }

    #[test]
    fn an_entry_whose_scopes_upn_or_time_were_changed_in_the_store_does_not_open() {
        for (field, value) in [
            (
                "scopes",
                serde_json::json!(["User.Read", "GroupMember.ReadWrite.All"]),
            ),
            ("scopes", serde_json::json!([])),
            ("upn", serde_json::json!("mallory@contoso.com")),
            ("upn", serde_json::Value::Null),
            ("updated", serde_json::json!("2030-01-01T00:00:00Z")),
        ] {
            let dir = tempfile::tempdir().expect("dir");
            let (store, vault) = vault(dir.path(), 7);
            vault.put("oid-1", &grant("secret")).expect("put");
            assert!(vault.get("oid-1").is_ok(), "untouched, it opens");
            tamper(&store, field, value.clone());
            assert!(
                matches!(vault.get("oid-1"), Err(VaultError::Undecryptable)),
                "{field} = {value}"
            );
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_with_the_binding_it_was_sealed_with() {
        let dir = tempfile::tempdir().expect("dir");
        let (_store, vault) = vault(dir.path(), 7);
        let scopes = vec!["User.Read".to_owned()];
        let now = Utc::now();
        let binding = Binding::new("confirm|slack:T1:U1", &scopes, Some("a@b"), now);
        let secret = SecretString::from("refresh".to_owned());
        let sealed = vault.seal(&binding, &secret).expect("seal");
        assert_eq!(
            vault
                .unseal(&binding, &sealed)
                .expect("opens")
                .expose_secret(),
            "refresh"
        );
        let wider = vec!["User.Read".to_owned(), "Sites.Read.All".to_owned()];
        for other in [
            Binding::new("confirm|slack:T1:U2", &scopes, Some("a@b"), now),
            Binding::new("confirm|slack:T1:U1", &wider, Some("a@b"), now),
            Binding::new("confirm|slack:T1:U1", &scopes, Some("c@d"), now),
            Binding::new("confirm|slack:T1:U1", &scopes, None, now),
        ] {
            assert!(
                matches!(
                    vault.unseal(&other, &sealed),
                    Err(VaultError::Undecryptable)
                ),
                "{other:?}"
            );
        }
    }
}
