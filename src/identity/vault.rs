//! The token vault: delegated refresh tokens encrypted at rest with AES-256-GCM under
//! `[security] token_key`, one per Entra user.
//!
//! Rotation: `[security] previous_token_keys` are tried, after `token_key`, only to open what
//! was sealed before a rotation. An entry one of them opens is sealed again under `token_key`
//! as soon as it is read, and flushed, so once everyone's entry has been read the previous
//! keys are no longer needed. New entries are always sealed under `token_key`.
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
    /// The entry opens with no configured key (a `token_key` changed without the old one in
    /// `previous_token_keys`, or tampering).
    #[error("a stored token cannot be decrypted with [security] token_key or previous_token_keys")]
    Undecryptable,
}

/// Encrypted refresh tokens, by Entra object id.
#[derive(Clone)]
pub struct TokenVault {
    store: Arc<dyn Store>,
    entries: Table<String, Sealed>,
    /// `token_key`: seals everything, opens first.
    key: Arc<LessSafeKey>,
    /// `previous_token_keys`, in the order configured: they only open.
    previous: Arc<[LessSafeKey]>,
}

/// What reading one entry answers, and whether it sealed the entry again.
type ReadAnswer = (Result<Option<StoredGrant>, VaultError>, bool);

/// Which key opened a sealed secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpenedWith {
    Current,
    Previous,
}

impl TokenVault {
    /// The vault in `store`, sealing with `token_key` and opening also with `previous` (the
    /// keys it replaced).
    pub fn open(
        store: Arc<dyn Store>,
        token_key: &SecretKey,
        previous: &[SecretKey],
    ) -> Result<Self, StoreError> {
        let entries = Table::open(store.as_ref(), Domain::Tokens)?;
        let previous = previous
            .iter()
            .map(aead_key)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TokenVault {
            store,
            entries,
            key: Arc::new(aead_key(token_key)?),
            previous: previous.into(),
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

    /// Opens what [`TokenVault::seal`] sealed with the same `binding`, under `token_key` or
    /// one of the keys it replaced.
    pub fn unseal(
        &self,
        binding: &Binding,
        sealed: &SealedSecret,
    ) -> Result<SecretString, VaultError> {
        self.unseal_with_any(binding, sealed)
            .map(|(secret, _)| secret)
    }

    /// [`TokenVault::unseal`], saying which key opened it.
    fn unseal_with_any(
        &self,
        binding: &Binding,
        sealed: &SealedSecret,
    ) -> Result<(SecretString, OpenedWith), VaultError> {
        if let Ok(secret) = unseal_with(&self.key, binding, sealed) {
            return Ok((secret, OpenedWith::Current));
        }
        self.previous
            .iter()
            .find_map(|key| unseal_with(key, binding, sealed).ok())
            .map(|secret| (secret, OpenedWith::Previous))
            .ok_or(VaultError::Undecryptable)
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

    /// The grant kept for `object_id`. An entry sealed under a previous key is sealed again
    /// under `token_key` and flushed before this returns, atomically with respect to other
    /// writers: if the entry changed meanwhile (a rotated refresh token was kept), the newer
    /// entry stays.
    pub fn get(&self, object_id: &str) -> Result<Option<StoredGrant>, VaultError> {
        let (read, resealed) =
            self.entries
                .update(&object_id.to_owned(), |current| match current {
                    None => (None, (Ok(None), false)),
                    Some(sealed) => self.read_entry(object_id, sealed),
                })?;
        if resealed {
            self.store.flush()?;
            tracing::info!(
                "a stored token was sealed again under the current [security] token_key"
            );
        }
        read
    }

    /// Opens one stored entry; when a previous key opened it, also returns the entry sealed
    /// under `token_key` to store in its place.
    fn read_entry(&self, object_id: &str, sealed: Sealed) -> (Option<Sealed>, ReadAnswer) {
        let binding = Binding::new(
            object_id,
            &sealed.scopes,
            sealed.upn.as_deref(),
            sealed.updated,
        );
        let (refresh_token, opened_with) = match self.unseal_with_any(&binding, &sealed.secret) {
            Ok(opened) => opened,
            Err(error) => return (None, (Err(error), false)),
        };
        let resealed = match opened_with {
            OpenedWith::Current => None,
            // Same binding, so the entry's facts stay as they were; only the key changes.
            OpenedWith::Previous => self
                .seal(&binding, &refresh_token)
                .ok()
                .map(|secret| Sealed {
                    secret,
                    ..sealed.clone()
                }),
        };
        let grant = StoredGrant {
            refresh_token,
            scopes: sealed.scopes,
            upn: sealed.upn,
            updated: sealed.updated,
        };
        let wrote = resealed.is_some();
        (resealed, (Ok(Some(grant)), wrote))
    }

    /// Forgets `object_id`'s token (sign-out, or a token Entra revoked).
    pub fn remove(&self, object_id: &str) -> Result<(), VaultError> {
        self.entries.remove(&object_id.to_owned())?;
        self.store.flush()?;
        Ok(())
    }
}

/// An AES-256-GCM key. AES-256 takes any 32 bytes as a key, which a `SecretKey` always is.
fn aead_key(key: &SecretKey) -> Result<LessSafeKey, StoreError> {
    UnboundKey::new(&AES_256_GCM, key.expose())
        .map(LessSafeKey::new)
        .map_err(|_| StoreError::Io("invalid token key".into()))
}

/// Opens `sealed` with one key.
fn unseal_with(
    key: &LessSafeKey,
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
    let plain = key
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SledStore, TableKey};

    fn vault(dir: &std::path::Path, key: u8) -> (Arc<dyn Store>, TokenVault) {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("store"));
        let vault = TokenVault::open(Arc::clone(&store), &SecretKey::from_bytes([key; 32]), &[])
            .expect("vault");
        (store, vault)
    }

    /// A vault sealing with `key` and opening also with `previous`.
    fn rotated_vault(
        dir: &std::path::Path,
        key: u8,
        previous: &[u8],
    ) -> (Arc<dyn Store>, TokenVault) {
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir).expect("store"));
        let previous: Vec<SecretKey> = previous
            .iter()
            .map(|byte| SecretKey::from_bytes([*byte; 32]))
            .collect();
        let vault = TokenVault::open(
            Arc::clone(&store),
            &SecretKey::from_bytes([key; 32]),
            &previous,
        )
        .expect("vault");
        (store, vault)
    }

    #[test]
    fn a_token_sealed_under_a_previous_key_opens_and_is_sealed_again_under_the_new_one() {
        let dir = tempfile::tempdir().expect("dir");
        let kept = grant("refresh-before-rotation");
        {
            let (_store, old) = vault(dir.path(), 7);
            old.put("oid-1", &kept).expect("put");
        }
        {
            let (_store, rotated) = rotated_vault(dir.path(), 8, &[6, 7]);
            let back = rotated.get("oid-1").expect("get").expect("present");
            assert_eq!(
                back.refresh_token.expose_secret(),
                "refresh-before-rotation"
            );
            assert_eq!(back.scopes, kept.scopes);
            assert_eq!(back.updated, kept.updated);
        }
        // Read once, it was sealed again under the new key and flushed: the old key can go.
        {
            let (_store, new_only) = vault(dir.path(), 8);
            let back = new_only.get("oid-1").expect("get").expect("present");
            assert_eq!(
                back.refresh_token.expose_secret(),
                "refresh-before-rotation"
            );
        }
        let (_store, old_only) = vault(dir.path(), 7);
        assert!(matches!(
            old_only.get("oid-1"),
            Err(VaultError::Undecryptable)
        ));
    }

    #[test]
    fn a_token_no_configured_key_opens_stays_stored_and_unreadable() {
        let dir = tempfile::tempdir().expect("dir");
        {
            let (_store, old) = vault(dir.path(), 7);
            old.put("oid-1", &grant("secret")).expect("put");
        }
        {
            let (_store, rotated) = rotated_vault(dir.path(), 8, &[9]);
            assert!(matches!(
                rotated.get("oid-1"),
                Err(VaultError::Undecryptable)
            ));
        }
        // Not removed: putting the forgotten key back in `previous_token_keys` recovers it.
        let (_store, fixed) = rotated_vault(dir.path(), 8, &[9, 7]);
        assert!(fixed.get("oid-1").expect("get").is_some());
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
