//! What a message asks for, as the rest of Doorman sees it, and its JSON form (DESIGN.md
//! section 7, "Intent JSON").

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::domain::resource::{Access, ResourceKind};

pub use crate::domain::resource::ResourceRef;

/// What the access words of a message mean, before it is known which kind of resource they
/// apply to ("edit" is `edit` on a site but `member` of a group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessWord {
    /// see, view, read, read-only, browse
    View,
    /// edit, upload, contribute, write, modify
    Edit,
    /// manage, full control, admin, owner
    Manage,
    /// full access
    FullAccess,
    /// send as, reply from, send from
    SendAs,
    /// send on behalf
    SendOnBehalf,
    /// free/busy, availability
    FreeBusy,
}

impl AccessWord {
    /// The level these words mean on `kind`, or `None` when they cannot apply to it ("read" on
    /// a group, "send as" on a site).
    pub fn level_for(self, kind: ResourceKind) -> Option<Access> {
        use ResourceKind as K;
        match (self, kind) {
            (AccessWord::View, K::Site | K::Library) => Some(Access::Read),
            (AccessWord::Edit, K::Site | K::Library) => Some(Access::Edit),
            (AccessWord::Edit, K::Group | K::Team | K::Channel | K::DistributionList) => {
                Some(Access::Member)
            }
            (
                AccessWord::Manage | AccessWord::FullAccess,
                K::Group | K::Team | K::Channel | K::Site,
            ) => Some(Access::Owner),
            (AccessWord::FullAccess, K::Library) => Some(Access::Edit),
            (AccessWord::Manage | AccessWord::FullAccess, K::Mailbox) => Some(Access::FullAccess),
            // Reading a shared mailbox takes Full Access: Exchange has nothing narrower for it.
            (AccessWord::View, K::Mailbox) => Some(Access::FullAccess),
            (AccessWord::SendAs, K::Mailbox) => Some(Access::SendAs),
            (AccessWord::SendOnBehalf, K::Mailbox) => Some(Access::SendOnBehalf),
            _ => None,
        }
    }

    /// The calendar level these words mean.
    pub fn calendar_level(self) -> Option<Access> {
        match self {
            AccessWord::FreeBusy => Some(Access::FreeBusy),
            AccessWord::View => Some(Access::Read),
            AccessWord::Edit | AccessWord::Manage | AccessWord::FullAccess => Some(Access::Write),
            AccessWord::SendAs | AccessWord::SendOnBehalf => None,
        }
    }
}

/// The narrowest level of `kind` that meets every access word, the kind's default when there
/// are none, or `None` when some word cannot apply to the kind.
pub fn level_meeting(kind: ResourceKind, words: &[AccessWord]) -> Option<Access> {
    let mut level: Option<Access> = None;
    for word in words {
        let wanted = word.level_for(kind)?;
        level = Some(match level {
            None => wanted,
            Some(current) => {
                match Access::compare_within(kind, current, wanted) {
                    Some(std::cmp::Ordering::Less) => wanted,
                    Some(_) => current,
                    // Not comparable (full access and a send right): the send right is the
                    // explicit ask; the other would be a separate request.
                    None if matches!(wanted, Access::SendAs | Access::SendOnBehalf) => wanted,
                    None => current,
                }
            }
        });
    }
    Some(level.unwrap_or_else(|| kind.default_access()))
}

/// What a grant or revoke asks for, apart from the resource: kept while a clarification is
/// pending, so the answer continues the same request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    #[serde(default)]
    pub access_words: Vec<AccessWord>,
    #[serde(default)]
    pub duration_seconds: Option<u64>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The UPN of someone else the text asks on behalf of.
    #[serde(default)]
    pub on_behalf_of: Option<String>,
}

/// Grant or revoke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Grant,
    Revoke,
}

/// A resolved grant or revoke.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub change: Change,
    pub resource: ResourceRef,
    pub access: Access,
    pub terms: Terms,
}

/// What a message asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    Access(AccessRequest),
    /// Several resources fit: ask which. `terms` carry over to the answer.
    Clarify {
        change: Change,
        candidates: Vec<ResourceRef>,
        terms: Terms,
    },
    /// Nothing Doorman can act on, with the nearest resources when the text named one.
    Unknown {
        query: String,
        suggestions: Vec<ResourceRef>,
    },
    ResetPassword {
        on_behalf_of: Option<String>,
    },
    UnlockAccount {
        on_behalf_of: Option<String>,
    },
    RecoverMfa {
        on_behalf_of: Option<String>,
    },
    /// Share the requester's own calendar; `with` is a UPN (or the address as written when it
    /// is nobody in the tenant), `None` when the text named nobody.
    ShareCalendar {
        with: Option<String>,
        access: Access,
        terms: Terms,
    },
    /// Forward the requester's own mail to `to`.
    ForwardMail {
        to: Option<String>,
        terms: Terms,
    },
    /// Make `address` the requester's own primary address, keeping the old one as a secondary;
    /// `None` when the text named no address.
    ChangeAlias {
        address: Option<String>,
    },
    ListAccess,
    /// Who holds access to a resource: its owners may see.
    WhoHasAccess {
        resource: ResourceRef,
    },
    Status,
    Help,
}

impl Intent {
    /// The contract's `action` name.
    pub fn action(&self) -> &'static str {
        match self {
            Intent::Access(request) => match request.change {
                Change::Grant => "grant",
                Change::Revoke => "revoke",
            },
            Intent::Clarify { .. } => "clarify",
            Intent::Unknown { .. } => "unknown",
            Intent::ResetPassword { .. } => "reset_password",
            Intent::UnlockAccount { .. } => "unlock_account",
            Intent::RecoverMfa { .. } => "recover_mfa",
            Intent::ShareCalendar { .. } => "share_calendar",
            Intent::ForwardMail { .. } => "forward_mail",
            Intent::ChangeAlias { .. } => "change_alias",
            Intent::ListAccess => "list_access",
            Intent::WhoHasAccess { .. } => "who_has_access",
            Intent::Status => "status",
            Intent::Help => "help",
        }
    }

    /// The intent JSON of DESIGN.md section 7.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("action".into(), json!(self.action()));
        match self {
            Intent::Access(request) => {
                out.insert("resource".into(), json!(request.resource));
                out.insert("access".into(), json!(request.access));
                terms_json(&request.terms, &mut out);
            }
            Intent::Clarify {
                candidates, terms, ..
            } => {
                out.insert("candidates".into(), json!(candidates));
                terms_json(terms, &mut out);
            }
            Intent::Unknown { query, suggestions } => {
                out.insert("query".into(), json!(query));
                out.insert("suggestions".into(), json!(suggestions));
            }
            Intent::ResetPassword { on_behalf_of }
            | Intent::UnlockAccount { on_behalf_of }
            | Intent::RecoverMfa { on_behalf_of } => {
                if let Some(upn) = on_behalf_of {
                    out.insert("for".into(), json!(upn));
                }
            }
            Intent::ShareCalendar {
                with,
                access,
                terms,
            } => {
                out.insert("with".into(), json!(with));
                out.insert("access".into(), json!(access));
                terms_json(terms, &mut out);
            }
            Intent::ForwardMail { to, terms } => {
                out.insert("to".into(), json!(to));
                terms_json(terms, &mut out);
            }
            Intent::WhoHasAccess { resource } => {
                out.insert("resource".into(), json!(resource));
            }
            Intent::ChangeAlias { address } => {
                out.insert("address".into(), json!(address));
            }
            Intent::ListAccess | Intent::Status | Intent::Help => {}
        }
        Value::Object(out)
    }
}

fn terms_json(terms: &Terms, out: &mut Map<String, Value>) {
    out.insert("duration_seconds".into(), json!(terms.duration_seconds));
    out.insert(
        "duration_days".into(),
        json!(
            terms
                .duration_seconds
                .map(|seconds| seconds as f64 / 86_400.0)
        ),
    );
    out.insert("reason".into(), json!(terms.reason));
    if let Some(upn) = &terms.on_behalf_of {
        out.insert("for".into(), json!(upn));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_mean_the_narrowest_level_of_the_kind() {
        use AccessWord::*;
        assert_eq!(
            level_meeting(ResourceKind::Site, &[View]),
            Some(Access::Read)
        );
        assert_eq!(
            level_meeting(ResourceKind::Group, &[Edit]),
            Some(Access::Member)
        );
        assert_eq!(level_meeting(ResourceKind::Group, &[View]), None);
        assert_eq!(
            level_meeting(ResourceKind::Site, &[View, Edit]),
            Some(Access::Edit)
        );
        assert_eq!(
            level_meeting(ResourceKind::Mailbox, &[]),
            Some(Access::FullAccess)
        );
        assert_eq!(
            level_meeting(ResourceKind::Mailbox, &[FullAccess, SendAs]),
            Some(Access::SendAs)
        );
        assert_eq!(level_meeting(ResourceKind::Team, &[SendAs]), None);
    }

    #[test]
    fn the_json_has_the_contract_keys() {
        let intent = Intent::Access(AccessRequest {
            change: Change::Grant,
            resource: ResourceRef {
                kind: ResourceKind::DistributionList,
                id: "g".into(),
                name: "all-hands".into(),
            },
            access: Access::Member,
            terms: Terms {
                duration_seconds: Some(43_200),
                ..Terms::default()
            },
        });
        assert_eq!(
            intent.to_json(),
            json!({
                "action": "grant",
                "resource": {"kind": "distribution_list", "id": "g", "name": "all-hands"},
                "access": "member",
                "duration_seconds": 43_200,
                "duration_days": 0.5,
                "reason": null,
            })
        );
    }
}
