//! Sign-ins in progress: each is created for one chat user, carried by a random single-use
//! `state`, and expires in minutes. A sign-in whose account does not match what the chat service
//! says about the person waits for an explicit confirmation instead of linking.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::scopes::Role;
use super::vault::SealedSecret;
use crate::domain::chat::{ChatUser, EntraUser};
use crate::store::{Domain, Store, StoreError, Table};

/// How long a sign-in link (and a pending confirmation) stays usable.
pub const SIGN_IN_LIFETIME_MINUTES: i64 = 10;

/// What the account that signs in must be, to be linked without asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expectation {
    /// Teams: the Entra object id of the verified activity's sender.
    EntraObject { id: String },
    /// Slack: the email on the Slack profile (none when the profile shows none), and the
    /// profile's name, so that a confirmation page can say which Slack account asked.
    ChatEmail {
        email: Option<String>,
        #[serde(default)]
        name: Option<String>,
    },
}

/// A sign-in link that was sent and not yet used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub chat_user: ChatUser,
    pub expect: Expectation,
    pub role: Role,
    pub nonce: String,
    pub expires: DateTime<Utc>,
    /// Who the identity platform should sign in (the Slack profile email, the Teams user's UPN).
    #[serde(default)]
    pub login_hint: Option<String>,
    /// The PKCE verifier, set when the browser starts the flow.
    #[serde(default)]
    pub verifier: Option<String>,
    /// A step-up sign-in that verifies a requester before their account is changed: the
    /// callback checks the ID token and reports, and links nothing.
    #[serde(default)]
    pub step_up: Option<StepUpAsked>,
}

/// What a step-up sign-in is for and must prove (DESIGN.md section 10).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepUpAsked {
    /// The request waiting for it.
    pub request: String,
    /// The Conditional Access authentication context the ID token's `acrs` must hold.
    pub context: String,
}

/// A sign-in that succeeded as a different account than the chat profile names, waiting for the
/// person to confirm the link on the page that says which accounts are being linked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingConfirmation {
    pub chat_user: ChatUser,
    pub entra: EntraUser,
    pub chat_email: Option<String>,
    /// The chat profile's display name, when the chat service told one.
    #[serde(default)]
    pub chat_name: Option<String>,
    pub scopes: Vec<String>,
    /// The refresh token, sealed with the vault's key for this confirmation.
    pub refresh_token: SealedSecret,
    pub expires: DateTime<Utc>,
}

/// What became of an attempt to start a sign-in's flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// This start holds the flow: its verifier is the one on record.
    Begun,
    /// The link was opened before; the first start keeps the flow.
    AlreadyOpened,
    /// No unexpired sign-in has this state.
    Expired,
}

/// What a stored sign-in record is.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
enum Record {
    SignIn(PendingSignIn),
    Confirmation(PendingConfirmation),
}

#[derive(Clone)]
pub struct SignIns {
    store: Arc<dyn Store>,
    records: Table<String, Record>,
}

impl SignIns {
    pub fn open(store: Arc<dyn Store>) -> Result<Self, StoreError> {
        let records = Table::open(store.as_ref(), Domain::SignIns)?;
        Ok(SignIns { store, records })
    }

    /// Creates a sign-in for `chat_user`; returns its state.
    pub fn create(
        &self,
        chat_user: &ChatUser,
        expect: Expectation,
        role: Role,
        login_hint: Option<String>,
        step_up: Option<StepUpAsked>,
    ) -> Result<String, StoreError> {
        let state = random_id();
        let record = PendingSignIn {
            chat_user: chat_user.clone(),
            expect,
            role,
            nonce: random_id(),
            expires: Utc::now() + Duration::minutes(SIGN_IN_LIFETIME_MINUTES),
            login_hint,
            verifier: None,
            step_up,
        };
        self.records
            .insert(&format!("s:{state}"), &Record::SignIn(record))?;
        self.store.flush()?;
        Ok(state)
    }

    /// The unexpired sign-in for `state`, without using it up.
    pub fn peek(&self, state: &str) -> Result<Option<PendingSignIn>, StoreError> {
        Ok(match self.records.get(&format!("s:{state}"))? {
            Some(Record::SignIn(record)) if record.expires > Utc::now() => Some(record),
            _ => None,
        })
    }

    /// Records the PKCE verifier of a started flow, once: the first start of a state wins, and
    /// a later one (a second tab, a forwarded link) neither replaces the verifier nor gets a
    /// flow of its own, so only the browser that started first can finish the sign-in.
    pub fn set_verifier(&self, state: &str, verifier: &str) -> Result<Start, StoreError> {
        let now = Utc::now();
        let start = self
            .records
            .update(&format!("s:{state}"), |current| match current {
                Some(Record::SignIn(record)) if record.expires > now => {
                    if record.verifier.is_some() {
                        return (None, Start::AlreadyOpened);
                    }
                    let started = PendingSignIn {
                        verifier: Some(verifier.to_owned()),
                        ..record
                    };
                    (Some(Record::SignIn(started)), Start::Begun)
                }
                _ => (None, Start::Expired),
            })?;
        if start == Start::Begun {
            self.store.flush()?;
        }
        Ok(start)
    }

    /// Takes the sign-in for `state` out, so it can be used exactly once: of two concurrent
    /// callbacks with the same state, one gets it and the other gets `None`.
    pub fn take(&self, state: &str) -> Result<Option<PendingSignIn>, StoreError> {
        let taken = self.records.remove(&format!("s:{state}"))?;
        self.store.flush()?;
        Ok(match taken {
            Some(Record::SignIn(record)) if record.expires > Utc::now() => Some(record),
            _ => None,
        })
    }

    /// Parks a sign-in that needs confirming; returns the confirmation's id.
    pub fn park(&self, confirmation: PendingConfirmation) -> Result<String, StoreError> {
        let id = random_id();
        self.records
            .insert(&format!("c:{id}"), &Record::Confirmation(confirmation))?;
        self.store.flush()?;
        Ok(id)
    }

    /// Takes a parked confirmation out (single use).
    pub fn take_confirmation(&self, id: &str) -> Result<Option<PendingConfirmation>, StoreError> {
        let taken = self.records.remove(&format!("c:{id}"))?;
        self.store.flush()?;
        Ok(match taken {
            Some(Record::Confirmation(record)) if record.expires > Utc::now() => Some(record),
            _ => None,
        })
    }

    /// Drops expired records; returns how many.
    pub fn sweep(&self) -> Result<usize, StoreError> {
        let now = Utc::now();
        let expired: Vec<String> = self
            .records
            .iter()
            .filter_map(Result::ok)
            .filter(|(_, record)| match record {
                Record::SignIn(record) => record.expires <= now,
                Record::Confirmation(record) => record.expires <= now,
            })
            .map(|(key, _)| key)
            .collect();
        for key in &expired {
            self.records.remove(key)?;
        }
        Ok(expired.len())
    }
}

/// 32 random bytes, base64url: unguessable, URL-safe.
fn random_id() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chat::Channel;
    use crate::store::SledStore;

    #[test]
    fn the_first_start_of_a_sign_in_keeps_its_verifier() {
        let dir = tempfile::tempdir().expect("dir");
        let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
        let signins = SignIns::open(store).expect("open");
        let tom = ChatUser {
            channel: Channel::Slack,
            tenant: "T1".into(),
            id: "U1".into(),
        };
        let expect = Expectation::ChatEmail {
            email: None,
            name: None,
        };
        let state = signins
            .create(&tom, expect, Role::Requester, None, None)
            .expect("create");
        let nonce = signins.peek(&state).expect("peek").expect("pending").nonce;
        assert_eq!(
            signins.set_verifier(&state, "first").expect("set"),
            Start::Begun
        );
        assert_eq!(
            signins.set_verifier(&state, "second").expect("set"),
            Start::AlreadyOpened
        );
        let taken = signins.take(&state).expect("take").expect("pending");
        assert_eq!(taken.verifier.as_deref(), Some("first"));
        assert_eq!(
            taken.nonce, nonce,
            "the nonce is the one created with the link"
        );
        assert_eq!(
            signins.set_verifier(&state, "third").expect("set"),
            Start::Expired
        );
    }
}
