//! Ending grants on the requester's word: "revoke R-7K3QX2" (the requester or an owner, by
//! id) and "remove me from X" (every grant Doorman made the person on X).

use super::Conversation;
use super::replies;
use crate::approval::Clicker;
use crate::domain::chat::{ChatUser, EntraUser, Message, Place};
use crate::domain::resource::ResourceKind;
use crate::intent::AccessRequest;

impl Conversation {
    /// "Revoke R-7K3QX2": the requester or an owner ends a grant by its id.
    pub(super) async fn revoke_by_id(&self, place: &Place, upn: &str, entra: &EntraUser, id: &str) {
        let by = Clicker {
            entra_id: entra.id.clone(),
            upn: upn.to_lowercase(),
        };
        if let Err(refused) = self.requests.revoke(id, &by, Some(place)).await {
            self.say(place, &Message::text(refused.sentence(id))).await;
        }
    }

    /// "Remove me from X": the grants Doorman made the person on X end now.
    pub(super) async fn revoke_own(
        &self,
        place: &Place,
        upn: &str,
        user: &ChatUser,
        request: &AccessRequest,
        line: &str,
    ) {
        let entra_id = match self.identity.entra_of(user) {
            Ok(Some(entra)) => entra.id,
            Ok(None) | Err(_) => {
                self.say(place, &replies::trouble()).await;
                return;
            }
        };
        let by = Clicker {
            entra_id,
            upn: upn.to_lowercase(),
        };
        let resource = &request.resource;
        let theirs: Vec<String> = self
            .requests
            .of(upn)
            .into_iter()
            .filter(|record| crate::requests::revocable(&record.state))
            .filter(|record| {
                (record.resource.id == resource.id
                    && (record.resource.kind == resource.kind
                        // A mail-enabled security group granted as a `group` by an older
                        // build, now a list: the same directory object.
                        || (matches!(
                            record.resource.kind,
                            ResourceKind::Group | ResourceKind::DistributionList
                        ) && matches!(
                            resource.kind,
                            ResourceKind::Group | ResourceKind::DistributionList
                        ))))
                    || (resource.kind == ResourceKind::Group
                        && record.group_id.as_deref() == Some(resource.id.as_str()))
            })
            .map(|record| record.id)
            .collect();
        if theirs.is_empty() {
            self.say(place, &replies::nothing_to_remove(line)).await;
            return;
        }
        for id in theirs {
            if let Err(refused) = self.requests.revoke(&id, &by, Some(place)).await {
                self.say(place, &Message::text(refused.sentence(&id))).await;
            }
        }
    }
}

/// The request id of a message that only asks to end one ("revoke R-7K3QX2", "remove
/// R-7K3QX2", "end r-7k3qx2").
pub(super) fn quoted_revocation(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let verb = words.next()?.to_lowercase();
    let id = words.next()?.trim_end_matches(['.', '!']);
    if words.next().is_some() || !matches!(verb.as_str(), "revoke" | "remove" | "end") {
        return None;
    }
    let id = id.to_uppercase();
    crate::domain::request::is_request_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::quoted_revocation;

    #[test]
    fn only_a_bare_verb_and_request_id_is_a_revocation_by_id() {
        assert_eq!(
            quoted_revocation("revoke R-7K3QX2"),
            Some("R-7K3QX2".into())
        );
        assert_eq!(
            quoted_revocation("  End r-7k3qx2. "),
            Some("R-7K3QX2".into())
        );
        assert_eq!(quoted_revocation("remove me from VPN Users"), None);
        assert_eq!(quoted_revocation("revoke R-7K3QX2 please"), None);
        assert_eq!(quoted_revocation("revoke R-7K3"), None);
        assert_eq!(quoted_revocation("approve R-7K3QX2"), None);
    }
}
