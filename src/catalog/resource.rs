//! One entry of the catalog: a resource that can be requested, with what policy, approval and
//! provisioning need to know about it.

use serde::{Deserialize, Serialize};

use crate::domain::request::Service;
use crate::domain::resource::ResourceKind;

/// A person or object Graph names by id, with the UPN when Graph gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
}

/// The resource a channel or library belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    pub kind: ResourceKind,
    pub id: String,
    pub name: String,
}

/// Where an entry came from: Graph's listing, or the catalog file alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Graph,
    File,
}

/// Who changes a group's membership: Graph (by assignment), Exchange (a mail-enabled security
/// group), or a rule (a dynamic group). Only assigned membership can be granted through Graph.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    #[default]
    Assigned,
    Exchange,
    Dynamic,
}

impl Membership {
    pub fn is_assigned(&self) -> bool {
        *self == Membership::Assigned
    }

    /// Why a grant through this membership cannot be made, in a sentence's words.
    pub fn why_not(self) -> Option<&'static str> {
        match self {
            Membership::Assigned => None,
            Membership::Exchange => Some("managed in Exchange"),
            Membership::Dynamic => Some("set by a rule, not by assignment"),
        }
    }
}

/// A requestable resource.
///
/// `id` is Graph's id of the object the kind names: the group id of a group, team or list, the
/// channel id of a channel (its team in `parent`), the site id of a site, the drive id of a
/// library (its site in `parent`), the user id of a shared mailbox. `group_id` is the group whose
/// membership or ownership carries the grant, where one does (a team, a site's group, a channel's
/// team), which is how policy "follows the effect" (DESIGN.md section 4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: ResourceKind,
    pub id: String,
    /// Display name; for a library, the drive's name.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Public`, `Private`, `HiddenMembership` for groups and teams; `private` / `shared` for a
    /// channel's membership type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// A role-assignable group (or a team or site on one): never provisioned.
    #[serde(default)]
    pub role_assignable: bool,
    #[serde(default)]
    pub owners: Vec<Principal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// Other names people use for it (catalog file; a site's URL name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Labels policy rules can match (`match = { tag = "finance" }`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub origin: Origin,
    /// Who changes the membership of the group that carries the grant.
    #[serde(default, skip_serializing_if = "Membership::is_assigned")]
    pub membership: Membership,
    /// For a mailbox, `room` or `equipment` when it is a resource mailbox (Graph's
    /// `userPurpose`), whose delegates look after its bookings; none for a shared mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

impl Resource {
    /// A bare entry; the sync and the catalog file fill in the rest.
    pub fn new(kind: ResourceKind, id: impl Into<String>, name: impl Into<String>) -> Self {
        Resource {
            kind,
            id: id.into(),
            name: name.into(),
            mail: None,
            description: None,
            visibility: None,
            classification: None,
            role_assignable: false,
            owners: Vec::new(),
            parent: None,
            group_id: None,
            web_url: None,
            aliases: Vec::new(),
            tags: Vec::new(),
            origin: Origin::Graph,
            membership: Membership::Assigned,
            purpose: None,
        }
    }

    /// How the bot names it in a sentence: "the Finance site (SharePoint)", "Brand Assets
    /// (document library of Marketing)".
    /// Whether this is a shared channel, which admits people from outside its team (so its
    /// team is not part of a grant on it).
    pub fn is_shared_channel(&self) -> bool {
        self.kind == ResourceKind::Channel
            && self
                .visibility
                .as_deref()
                .is_some_and(|kind| kind.eq_ignore_ascii_case("shared"))
    }

    /// The service that holds access to this: Exchange for a shared mailbox, a distribution
    /// list and a mail-enabled security group, Graph for everything else.
    pub fn service(&self) -> Service {
        let exchange_holds = self.kind.is_exchange() || self.membership == Membership::Exchange;
        if exchange_holds {
            Service::Exchange
        } else {
            Service::Graph
        }
    }

    /// Whether this is a mail-enabled security group: a list whose members Exchange holds,
    /// which people still call a group.
    pub fn is_security_list(&self) -> bool {
        self.kind == ResourceKind::DistributionList && self.membership == Membership::Exchange
    }

    /// The address Exchange knows this by, where Exchange holds the access.
    pub fn exchange_address(&self) -> Option<&str> {
        self.mail
            .as_deref()
            .filter(|_| self.service() == Service::Exchange)
    }

    pub fn describe(&self) -> String {
        match (&self.parent, self.kind) {
            (Some(parent), ResourceKind::Channel) => {
                format!("the {} channel of the {} team", self.name, parent.name)
            }
            (Some(parent), ResourceKind::Library) => {
                format!("the {} library of the {} site", self.name, parent.name)
            }
            (_, ResourceKind::Site) => format!("the {} site (SharePoint)", self.name),
            (_, ResourceKind::Mailbox) => {
                let what = self.purpose.as_deref().unwrap_or("shared");
                match &self.mail {
                    Some(mail) => format!("the {} {what} mailbox ({mail})", self.name),
                    None => format!("the {} {what} mailbox", self.name),
                }
            }
            (_, ResourceKind::DistributionList) if self.is_security_list() => match &self.mail {
                Some(mail) => format!("the {} mail-enabled security group ({mail})", self.name),
                None => format!("the {} mail-enabled security group", self.name),
            },
            (_, ResourceKind::DistributionList) => match &self.mail {
                Some(mail) => format!("the {} distribution list ({mail})", self.name),
                None => format!("the {} distribution list", self.name),
            },
            (_, kind) => format!("the {} {}", self.name, kind.label()),
        }
    }
}

impl From<&Resource> for crate::domain::resource::ResourceRef {
    fn from(resource: &Resource) -> Self {
        crate::domain::resource::ResourceRef {
            kind: resource.kind,
            id: resource.id.clone(),
            name: resource.name.clone(),
        }
    }
}
