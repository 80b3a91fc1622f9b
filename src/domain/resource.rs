//! What can be requested (DESIGN.md section 2): the kinds of resource and the access levels of
//! each, with the order that least privilege narrows along.
//!
//! Levels are ordered only within a kind, and only where the table says so: `full_access` and
//! `send_as` are not comparable, so nothing here can "narrow" one into the other.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of resource Doorman can grant access to. The names are the contract's `kind` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceKind {
    /// A security or Microsoft 365 group.
    Group,
    /// A Microsoft Teams team (membership of its group).
    Team,
    /// A private or shared channel of a team.
    Channel,
    /// A SharePoint site.
    Site,
    /// A document library of a site.
    Library,
    /// A shared mailbox.
    Mailbox,
    /// An Exchange distribution list.
    DistributionList,
    /// The requester's own calendar, shared with the colleague the request's id names
    /// (self-service: never in the catalog, never a policy target).
    Calendar,
    /// A copy of the requester's own mail, forwarded to the address the request's id names
    /// (self-service: never in the catalog, never a policy target).
    Forwarding,
    /// The requester's own primary mail address, which the request's id names (self-service:
    /// made by the operator, as people cannot change it themselves).
    Address,
    /// The requester's own account, whose sign-in is recovered (a reset, an unlock, a
    /// temporary access pass): self-service, made by the operator after the requester is
    /// verified, never time-bound.
    Account,
}

impl ResourceKind {
    /// The kinds the catalog holds and policy targets (the self-service kinds are not among
    /// them, so no policy file can name them).
    pub const ALL: [ResourceKind; 7] = [
        ResourceKind::Group,
        ResourceKind::Team,
        ResourceKind::Channel,
        ResourceKind::Site,
        ResourceKind::Library,
        ResourceKind::Mailbox,
        ResourceKind::DistributionList,
    ];

    /// The contract's name: `distribution_list`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Group => "group",
            ResourceKind::Team => "team",
            ResourceKind::Channel => "channel",
            ResourceKind::Site => "site",
            ResourceKind::Library => "library",
            ResourceKind::Mailbox => "mailbox",
            ResourceKind::DistributionList => "distribution_list",
            ResourceKind::Calendar => "calendar",
            ResourceKind::Forwarding => "forwarding",
            ResourceKind::Address => "address",
            ResourceKind::Account => "account",
        }
    }

    /// How a person would name the kind in a sentence.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Group => "group",
            ResourceKind::Team => "team",
            ResourceKind::Channel => "channel",
            ResourceKind::Site => "SharePoint site",
            ResourceKind::Library => "document library",
            // A shared mailbox, or a room's or equipment's: the catalog says which.
            ResourceKind::Mailbox => "mailbox",
            ResourceKind::DistributionList => "distribution list",
            ResourceKind::Calendar => "calendar share",
            ResourceKind::Forwarding => "mail forwarding",
            ResourceKind::Address => "primary address",
            ResourceKind::Account => "account",
        }
    }

    /// The level a request with no access words means (DESIGN.md section 2).
    pub fn default_access(self) -> Access {
        match self {
            ResourceKind::Group
            | ResourceKind::Team
            | ResourceKind::Channel
            | ResourceKind::DistributionList => Access::Member,
            ResourceKind::Site | ResourceKind::Library => Access::Read,
            ResourceKind::Mailbox => Access::FullAccess,
            ResourceKind::Calendar => Access::FreeBusy,
            ResourceKind::Forwarding => Access::Read,
            ResourceKind::Address | ResourceKind::Account => Access::Owner,
        }
    }

    /// The levels this kind offers.
    pub fn levels(self) -> &'static [Access] {
        match self {
            ResourceKind::Group | ResourceKind::Team | ResourceKind::Channel => {
                &[Access::Member, Access::Owner]
            }
            ResourceKind::Site => &[Access::Read, Access::Edit, Access::Owner],
            ResourceKind::Library => &[Access::Read, Access::Edit],
            ResourceKind::Mailbox => &[Access::FullAccess, Access::SendOnBehalf, Access::SendAs],
            ResourceKind::DistributionList => &[Access::Member],
            ResourceKind::Calendar => &[Access::FreeBusy, Access::Read, Access::Write],
            // Whoever mail is forwarded to reads a copy of it.
            ResourceKind::Forwarding => &[Access::Read],
            // The address is theirs.
            ResourceKind::Address => &[Access::Owner],
            // A recovered sign-in is the person's own.
            ResourceKind::Account => &[Access::Owner],
        }
    }

    /// Whether `access` is a level of this kind.
    pub fn offers(self, access: Access) -> bool {
        self.levels().contains(&access)
    }

    /// Whether granting this kind is carried out by Exchange rather than Graph (wave 2).
    pub fn is_exchange(self) -> bool {
        matches!(self, ResourceKind::Mailbox | ResourceKind::DistributionList)
    }

    /// Whether this is something of the requester's own they change themselves (their
    /// calendar's sharing, their mail's forwarding) rather than a resource of the catalog.
    pub fn is_self_service(self) -> bool {
        matches!(
            self,
            ResourceKind::Calendar
                | ResourceKind::Forwarding
                | ResourceKind::Address
                | ResourceKind::Account
        )
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for ResourceKind {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ResourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
            .ok_or_else(|| UnknownName(text.to_owned()))
    }
}

/// An access level. The names are the contract's `access` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Member,
    Owner,
    Read,
    Edit,
    FullAccess,
    SendOnBehalf,
    SendAs,
    /// Calendar: free/busy only.
    FreeBusy,
    /// Calendar: edit.
    Write,
}

impl Access {
    pub const ALL: [Access; 9] = [
        Access::Member,
        Access::Owner,
        Access::Read,
        Access::Edit,
        Access::FullAccess,
        Access::SendOnBehalf,
        Access::SendAs,
        Access::FreeBusy,
        Access::Write,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Access::Member => "member",
            Access::Owner => "owner",
            Access::Read => "read",
            Access::Edit => "edit",
            Access::FullAccess => "full_access",
            Access::SendOnBehalf => "send_on_behalf",
            Access::SendAs => "send_as",
            Access::FreeBusy => "free_busy",
            Access::Write => "write",
        }
    }

    /// How a person would say it: "Send As", "read".
    pub fn label(self) -> &'static str {
        match self {
            Access::Member => "membership",
            Access::Owner => "owner",
            Access::Read => "read",
            Access::Edit => "edit",
            Access::FullAccess => "full access",
            Access::SendOnBehalf => "send on behalf",
            Access::SendAs => "Send As",
            Access::FreeBusy => "free/busy",
            Access::Write => "edit",
        }
    }

    /// The order of two levels of `kind`, or `None` when they are not comparable there (a level
    /// the kind does not offer, or `full_access` against the send rights of a mailbox).
    pub fn compare_within(kind: ResourceKind, left: Access, right: Access) -> Option<Ordering> {
        let rank = |access: Access| -> Option<(u8, u8)> {
            // (chain, position): levels compare only on the same chain.
            match (kind, access) {
                (
                    ResourceKind::Group | ResourceKind::Team | ResourceKind::Channel,
                    Access::Member,
                ) => Some((0, 0)),
                (
                    ResourceKind::Group | ResourceKind::Team | ResourceKind::Channel,
                    Access::Owner,
                ) => Some((0, 1)),
                (ResourceKind::Site | ResourceKind::Library, Access::Read) => Some((0, 0)),
                (ResourceKind::Site | ResourceKind::Library, Access::Edit) => Some((0, 1)),
                (ResourceKind::Site, Access::Owner) => Some((0, 2)),
                (ResourceKind::Mailbox, Access::FullAccess) => Some((0, 0)),
                (ResourceKind::Mailbox, Access::SendOnBehalf) => Some((1, 0)),
                (ResourceKind::Mailbox, Access::SendAs) => Some((1, 1)),
                (ResourceKind::DistributionList, Access::Member) => Some((0, 0)),
                (ResourceKind::Calendar, Access::FreeBusy) => Some((0, 0)),
                (ResourceKind::Calendar, Access::Read) => Some((0, 1)),
                (ResourceKind::Calendar, Access::Write) => Some((0, 2)),
                (ResourceKind::Forwarding, Access::Read) => Some((0, 0)),
                (ResourceKind::Address | ResourceKind::Account, Access::Owner) => Some((0, 0)),
                _ => None,
            }
        };
        let (left_chain, left_at) = rank(left)?;
        let (right_chain, right_at) = rank(right)?;
        (left_chain == right_chain).then(|| left_at.cmp(&right_at))
    }

    /// The order of two calendar levels: `free_busy < read < write`.
    pub fn compare_calendar(left: Access, right: Access) -> Option<Ordering> {
        let rank = |access: Access| match access {
            Access::FreeBusy => Some(0u8),
            Access::Read => Some(1),
            Access::Write => Some(2),
            _ => None,
        };
        Some(rank(left)?.cmp(&rank(right)?))
    }
}

impl fmt::Display for Access {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl std::str::FromStr for Access {
    type Err = UnknownName;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Access::ALL
            .into_iter()
            .find(|access| access.as_str() == text)
            .ok_or_else(|| UnknownName(text.to_owned()))
    }
}

/// A kind or level name that is not one of the contract's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name '{0}'")]
pub struct UnknownName(pub String);

/// A resource as a request names it: its kind, id and display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRef {
    pub kind: ResourceKind,
    pub id: String,
    pub name: String,
}

impl ResourceRef {
    /// A grant of `access` on this, in a few words: "read on Finance (SharePoint site)",
    /// "calendar shared with Priya Nair (free/busy)", "mail forwarded to Priya Nair".
    pub fn grant_phrase(&self, access: Access) -> String {
        match self.kind {
            ResourceKind::Calendar => {
                format!("calendar shared with {} ({})", self.name, access.label())
            }
            ResourceKind::Forwarding => format!("mail forwarded to {}", self.name),
            ResourceKind::Address => format!("primary address {}", self.name),
            ResourceKind::Account => format!("sign-in recovery for {}", self.name),
            kind => format!("{} on {} ({})", access.label(), self.name, kind.label()),
        }
    }

    /// What a button that ends a grant on this names: "Finance", "calendar share with Priya
    /// Nair".
    pub fn short_name(&self) -> String {
        match self.kind {
            ResourceKind::Calendar => format!("calendar share with {}", self.name),
            ResourceKind::Forwarding => format!("forwarding to {}", self.name),
            ResourceKind::Address => format!("primary address {}", self.name),
            ResourceKind::Account => format!("account {}", self.name),
            _ => self.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_only_along_their_own_chain() {
        use Access::*;
        use ResourceKind::*;
        assert_eq!(
            Access::compare_within(Site, Read, Owner),
            Some(Ordering::Less)
        );
        assert_eq!(
            Access::compare_within(Group, Owner, Member),
            Some(Ordering::Greater)
        );
        assert_eq!(
            Access::compare_within(Mailbox, SendOnBehalf, SendAs),
            Some(Ordering::Less)
        );
        assert_eq!(Access::compare_within(Mailbox, FullAccess, SendAs), None);
        assert_eq!(Access::compare_within(Library, Read, Owner), None);
        assert_eq!(Access::compare_within(Group, Read, Member), None);
        assert_eq!(
            Access::compare_calendar(FreeBusy, Write),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn every_kind_offers_its_default_and_names_round_trip() {
        for kind in ResourceKind::ALL {
            assert!(kind.offers(kind.default_access()), "{kind}");
            assert_eq!(kind.as_str().parse::<ResourceKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                serde_json::json!(kind.as_str())
            );
        }
        for access in Access::ALL {
            assert_eq!(access.as_str().parse::<Access>(), Ok(access));
        }
        assert!("admin".parse::<Access>().is_err());
    }
}
