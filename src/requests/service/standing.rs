//! Standing approvals in chat: an owner lists theirs and withdraws one with a button (whose it
//! is comes from the verified clicker, never from the button), audited. What a standing
//! approval is and covers is `approval::standing`'s.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Requests;
use crate::approval::{self, ClickRefused, Clicker, StandingApproval};
use crate::audit::AuditKind;
use crate::domain::chat::{ChatAction, Message};
use crate::domain::request::RequestRecord;

impl Requests {
    /// Decides the owner stages a standing approval covers. Returns what the audit names.
    pub(super) fn apply_standing(&self, record: &mut RequestRecord) -> Vec<Value> {
        self.standing.apply(record, self.now())
    }

    /// Keeps `owner`'s "approve always" on `record`.
    pub(super) fn keep_standing(&self, owner: &str, record: &RequestRecord) {
        if let Err(error) = self.standing.keep(owner, record, self.now()) {
            tracing::error!(%error, "cannot keep a standing approval");
        }
    }

    /// `owner`'s standing approvals, with what names each for withdrawing it.
    pub fn standing_of(&self, owner: &str) -> Vec<(String, StandingApproval)> {
        self.standing.of(owner).unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read standing approvals");
            Vec::new()
        })
    }

    /// A Withdraw click: the clicker's own standing approval named by the button goes. Whose
    /// it is comes from the verified clicker, never from the button.
    pub(super) async fn withdraw_standing_clicked(
        self: &Arc<Self>,
        action: &ChatAction,
        subject: &str,
    ) -> Option<Message> {
        let clicker = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let said = match clicker {
            None => Message::text(ClickRefused::Unidentified.sentence()),
            Some(clicker) => self.withdraw_standing(&clicker, subject),
        };
        self.say(&action.place, &said).await;
        None
    }

    /// A Withdraw click on a list card: the clicker's own standing approval given on the
    /// picked request goes, and the words saying so are the answer. Only the clicker's are
    /// looked in, so a pick naming anyone else's finds nothing, changes nothing and is told
    /// beside the card.
    pub(super) async fn withdraw_picked_clicked(
        self: &Arc<Self>,
        action: &ChatAction,
        given_on: &str,
    ) -> Option<Message> {
        let clicker = self
            .clicker(&action.sender.user, action.sender.entra.as_ref())
            .await;
        let Some(clicker) = clicker else {
            let refused = Message::text(ClickRefused::Unidentified.sentence());
            self.say(&action.place, &refused).await;
            return None;
        };
        let subject = self
            .standing_of(&clicker.upn)
            .into_iter()
            .find(|(_, standing)| standing.request == given_on)
            .map(|(subject, _)| subject);
        match subject {
            // Said on the card that was clicked, which shows the list again under these words.
            Some(subject) => Some(self.withdraw_standing(&clicker, &subject)),
            None => {
                self.say(&action.place, &approval::no_such_standing()).await;
                None
            }
        }
    }

    fn withdraw_standing(&self, owner: &Clicker, subject: &str) -> Message {
        match self.standing.withdraw(&owner.upn, subject) {
            Ok(Some(standing)) => {
                self.audit_standing_withdrawn(owner, &standing);
                approval::standing_withdrawn(&standing.describe())
            }
            Ok(None) => approval::no_such_standing(),
            Err(error) => {
                tracing::error!(%error, "cannot withdraw a standing approval");
                approval::trouble()
            }
        }
    }

    fn audit_standing_withdrawn(&self, owner: &Clicker, standing: &StandingApproval) {
        let record = crate::audit::NewRecord {
            request_id: Some(standing.request.clone()),
            kind: AuditKind::Revoked,
            actor: owner.upn.clone(),
            data: json!({
                "standing_approval": {"resource": standing.resource, "access": standing.access,
                "max_duration_seconds": standing.max_duration_seconds, "given_at": standing.at},
            }),
        };
        if let Err(error) = self.audit.append(record) {
            tracing::error!(%error, "cannot audit a withdrawn standing approval");
        }
    }
}
