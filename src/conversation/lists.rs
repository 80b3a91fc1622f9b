//! The list cards, "what access do I have?" and "my standing approvals", across their pages.
//!
//! A list card shows one page of items with one pick and one button (Remove, Withdraw), and
//! Previous / Next. Its buttons name the list and a page, never a person: a page turn shows the
//! clicker's own list, and a Remove or Withdraw click is judged by `requests` as any other
//! (the pick names a request; whether the clicker may end it is checked there). Either way the
//! clicked card is replaced by the clicker's list as it is now, so an item just ended is gone
//! from it and no button on it acts on something that is over.

use serde_json::Value;

use super::Conversation;
use super::replies::{self, ListKind};
use crate::domain::chat::{ChatAction, EntraUser, Message};

impl Conversation {
    /// A Remove or Withdraw click. From a list card, the card becomes the list again, with
    /// what the click did above it; from any other card (a Remove button of an older card),
    /// the answer is what `requests` says.
    pub(super) async fn revoke_clicked(&self, action: &ChatAction) -> Option<Message> {
        let answered = self.requests.revoke_clicked(action).await;
        let Some((kind, page)) = list_of(&action.data) else {
            return answered;
        };
        let notice = answered.as_ref().map(|message| message.text.as_str());
        self.list_for(action, kind, page, notice).await.or(answered)
    }

    /// Previous / Next on a list card: the clicker's list at that page, in place of the card.
    pub(super) async fn page_clicked(&self, action: &ChatAction) -> Option<Message> {
        let Some((kind, page)) = list_of(&action.data) else {
            self.say(&action.place, &replies::inactive_button()).await;
            return None;
        };
        self.list_for(action, kind, page, None).await
    }

    /// The clicker's list at `page`; `None` when Doorman does not know who clicked.
    async fn list_for(
        &self,
        action: &ChatAction,
        kind: ListKind,
        page: usize,
        notice: Option<&str>,
    ) -> Option<Message> {
        let entra: EntraUser = match &action.sender.entra {
            Some(entra) => entra.clone(),
            None => self.identity.entra_of(&action.sender.user).ok().flatten()?,
        };
        let upn = self.name_of(&entra).await;
        Some(match kind {
            ListKind::Access => replies::my_access_page(&self.requests.of(&upn), page, notice),
            ListKind::Standing => {
                replies::standing_approvals_page(&self.requests.standing_of(&upn), page, notice)
            }
        })
    }
}

/// The list and page a list card's button names.
fn list_of(data: &Value) -> Option<(ListKind, usize)> {
    let kind = ListKind::parse(data.get("list")?.as_str()?)?;
    let page = data
        .get("page")
        .and_then(Value::as_u64)
        .and_then(|page| usize::try_from(page).ok())
        .unwrap_or(0);
    Some((kind, page))
}
