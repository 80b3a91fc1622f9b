//! What carrying out a grant takes: a plan of steps, each one fact about one person in the
//! tenant (a group membership, a channel role, a sharing permission, a mailbox permission, a
//! list membership) that one service — Graph or Exchange — can add, read and remove on its own.
//!
//! A level is the sum of the steps below it (a group owner is a member and an owner; library
//! write is read and write), so a grant on top of a lower level held before adds only what was
//! missing, and taking it away leaves that lower level in place.

use serde::{Deserialize, Serialize};

use crate::domain::resource::{Access, ResourceKind};
use crate::identity::Service;
use crate::intent::ResourceRef;

/// One fact about a person that a grant needs, added and removed on its own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Membership of a group (also a team's, or a site's group).
    GroupMember { group_id: String },
    /// Ownership of a group.
    GroupOwner { group_id: String },
    /// Membership of a private or shared channel.
    ChannelMember { team_id: String, channel_id: String },
    /// The owner role on a channel membership.
    ChannelOwner { team_id: String, channel_id: String },
    /// A read sharing permission on the root of a document library.
    LibraryRead { library: Library },
    /// Write on the root of a document library (on top of read).
    LibraryWrite { library: Library },
    /// Full Access to a shared mailbox (Exchange), by its address.
    MailboxFullAccess { mailbox: String },
    /// Send As on a shared mailbox (Exchange). Not comparable with Full Access: neither
    /// stands in for the other.
    MailboxSendAs { mailbox: String },
    /// Send on Behalf on a shared mailbox (Exchange).
    MailboxSendOnBehalf { mailbox: String },
    /// Membership of a distribution list or mail-enabled security group (Exchange holds it),
    /// by the list's address.
    ListMember { list: String },
    /// The person's own calendar shared with `with` (an address) at `level` or higher
    /// (`free_busy` < `read` < `write`). Levels build on each other as library read and write
    /// do: taking a level away leaves the one below it, so what was shared before comes back.
    CalendarShare { with: String, level: Access },
    /// An inbox rule of the person's own that forwards a copy of their mail to `to`, named so
    /// it can be found again.
    MailForward { to: String },
    /// The person's primary SMTP address is `address` (Exchange; the old one stays as a
    /// secondary). Taken away, the address it replaced (the write's handle) is primary again.
    PrimaryAddress { address: String },
}

/// Which document library an invite is for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "library", rename_all = "snake_case")]
pub enum Library {
    SiteDefault { site_id: String },
    Drive { drive_id: String },
}

impl Library {
    fn describe(&self) -> String {
        match self {
            Library::SiteDefault { site_id } => format!("the default library of site {site_id}"),
            Library::Drive { drive_id } => format!("library {drive_id}"),
        }
    }

    fn key(&self) -> String {
        match self {
            Library::SiteDefault { site_id } => format!("site:{site_id}"),
            Library::Drive { drive_id } => format!("drive:{drive_id}"),
        }
    }
}

impl Step {
    /// The step in words, for the audit trail and logs.
    pub fn describe(&self) -> String {
        match self {
            Step::GroupMember { group_id } => format!("member of group {group_id}"),
            Step::GroupOwner { group_id } => format!("owner of group {group_id}"),
            Step::ChannelMember {
                team_id,
                channel_id,
            } => format!("member of channel {channel_id} of team {team_id}"),
            Step::ChannelOwner {
                team_id,
                channel_id,
            } => format!("owner of channel {channel_id} of team {team_id}"),
            Step::LibraryRead { library } => format!("read on the root of {}", library.describe()),
            Step::LibraryWrite { library } => {
                format!("write on the root of {}", library.describe())
            }
            Step::MailboxFullAccess { mailbox } => format!("full access to mailbox {mailbox}"),
            Step::MailboxSendAs { mailbox } => format!("send as mailbox {mailbox}"),
            Step::MailboxSendOnBehalf { mailbox } => {
                format!("send on behalf of mailbox {mailbox}")
            }
            Step::ListMember { list } => format!("member of list {list}"),
            Step::CalendarShare { with, level } => {
                format!("calendar shared with {with} at {} or more", level.label())
            }
            Step::MailForward { to } => format!("mail forwarded to {to}"),
            Step::PrimaryAddress { address } => format!("primary address {address}"),
        }
    }

    /// The service that holds the fact, and whose token the acting person writes it with.
    pub fn service(&self) -> Service {
        match self {
            Step::GroupMember { .. }
            | Step::GroupOwner { .. }
            | Step::ChannelMember { .. }
            | Step::ChannelOwner { .. }
            | Step::LibraryRead { .. }
            | Step::LibraryWrite { .. }
            | Step::CalendarShare { .. }
            | Step::MailForward { .. } => Service::Graph,
            Step::MailboxFullAccess { .. }
            | Step::MailboxSendAs { .. }
            | Step::MailboxSendOnBehalf { .. }
            | Step::ListMember { .. }
            | Step::PrimaryAddress { .. } => Service::Exchange,
        }
    }

    /// The service the operator removes the fact through when its maker's token no longer
    /// works: the same service, except for what a person set up in their own mailbox, which
    /// Graph lets only its owner change and Exchange lets an admin remove.
    pub fn operator_service(&self) -> Service {
        match self {
            Step::CalendarShare { .. } | Step::MailForward { .. } => Service::Exchange,
            other => other.service(),
        }
    }

    /// The facts that are this one and more (a calendar share at the levels above this one):
    /// while one of them is still Doorman's, this one stays true through it.
    pub fn levels_above(&self) -> Vec<Step> {
        match self {
            Step::CalendarShare { with, level } => ResourceKind::Calendar
                .levels()
                .iter()
                .filter(|above| {
                    Access::compare_calendar(**above, *level) == Some(std::cmp::Ordering::Greater)
                })
                .map(|above| Step::CalendarShare {
                    with: with.clone(),
                    level: *above,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether drift repair takes the fact away again when it comes back after its grant
    /// ended. Not a primary address: an address set again by hand is an admin's decision
    /// about a person's identity, not access that came back.
    pub fn is_access(&self) -> bool {
        !matches!(self, Step::PrimaryAddress { .. })
    }

    /// Whether taking the fact away is one call whose effect one read shows whole: a
    /// membership, an ownership, a mailbox permission. (A primary address is put back in two
    /// calls, the first of which already makes the read say "gone"; a library permission or a
    /// calendar share may stay true through more the person holds.)
    pub fn removed_in_one_call(&self) -> bool {
        matches!(
            self,
            Step::GroupMember { .. }
                | Step::GroupOwner { .. }
                | Step::MailboxFullAccess { .. }
                | Step::MailboxSendAs { .. }
                | Step::MailboxSendOnBehalf { .. }
                | Step::ListMember { .. }
        )
    }

    /// Whether the fact is a person's own self-service change (written with their own token).
    pub fn is_self_service(&self) -> bool {
        matches!(self, Step::CalendarShare { .. } | Step::MailForward { .. })
    }

    /// A stable name for the fact, unique per kind of fact and object: with a person's id it
    /// keys the grant ledger.
    pub fn key(&self) -> String {
        match self {
            Step::GroupMember { group_id } => format!("group-member:{group_id}"),
            Step::GroupOwner { group_id } => format!("group-owner:{group_id}"),
            Step::ChannelMember {
                team_id,
                channel_id,
            } => format!("channel-member:{team_id}:{channel_id}"),
            Step::ChannelOwner {
                team_id,
                channel_id,
            } => format!("channel-owner:{team_id}:{channel_id}"),
            Step::LibraryRead { library } => format!("library-read:{}", library.key()),
            Step::LibraryWrite { library } => format!("library-write:{}", library.key()),
            // Addresses are case-insensitive: one mailbox, one key.
            Step::MailboxFullAccess { mailbox } => {
                format!("mailbox-full-access:{}", mailbox.to_lowercase())
            }
            Step::MailboxSendAs { mailbox } => {
                format!("mailbox-send-as:{}", mailbox.to_lowercase())
            }
            Step::MailboxSendOnBehalf { mailbox } => {
                format!("mailbox-send-on-behalf:{}", mailbox.to_lowercase())
            }
            Step::ListMember { list } => format!("list-member:{}", list.to_lowercase()),
            Step::CalendarShare { with, level } => {
                format!("calendar-share:{}:{level}", with.to_lowercase())
            }
            Step::MailForward { to } => format!("mail-forward:{}", to.to_lowercase()),
            Step::PrimaryAddress { address } => {
                format!("primary-address:{}", address.to_lowercase())
            }
        }
    }
}

/// The steps of one grant, in the order they are made (and the reverse of how they are undone).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    /// Whether carrying it out adds or removes a group's owners, which Graph allows only under
    /// `Group.ReadWrite.All`.
    pub fn changes_owners(&self) -> bool {
        self.steps
            .iter()
            .any(|step| matches!(step, Step::GroupOwner { .. }))
    }

    pub fn describe(&self) -> Vec<String> {
        self.steps.iter().map(Step::describe).collect()
    }

    /// The service the plan is carried out through: one per plan, as every plan's steps are
    /// facts of one service.
    pub fn service(&self) -> Service {
        self.steps
            .first()
            .map(Step::service)
            .unwrap_or(Service::Graph)
    }

    /// The service the operator removes the plan's facts through (see
    /// [`Step::operator_service`]).
    pub fn operator_service(&self) -> Service {
        self.steps
            .first()
            .map(Step::operator_service)
            .unwrap_or(Service::Graph)
    }

    /// Whether the plan changes the person's own mailbox with their own token.
    pub fn is_self_service(&self) -> bool {
        self.steps.iter().any(Step::is_self_service)
    }

    /// The step that gives the access asked for (the others make way for it): when it is gone,
    /// the grant is gone.
    pub fn defining(&self) -> Option<&Step> {
        self.steps.last()
    }
}

/// What a plan is made for.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub resource: &'a ResourceRef,
    /// The group whose membership or ownership carries a team, a site's edit and owner levels,
    /// and a channel (its team).
    pub group_id: Option<&'a str>,
    pub access: Access,
    /// A shared channel admits people outside its team (DESIGN.md section 2): no team step.
    pub shared_channel: bool,
    /// The address Exchange knows the resource by, where Exchange holds the access: a shared
    /// mailbox, a distribution list, a mail-enabled security group.
    pub exchange_address: Option<&'a str>,
}

/// Why there is no plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{access} access to a {kind} is not something I can carry out yet")]
    Unsupported { access: &'static str, kind: String },
    #[error("the {name} {kind} has no group to grant through")]
    NoGroup { name: String, kind: String },
    #[error("the {name} {kind} has no address Exchange knows it by")]
    NoAddress { name: String, kind: String },
}

/// Whether Doorman can carry out this kind and level itself yet.
pub fn supports(kind: ResourceKind, access: Access) -> bool {
    matches!(
        (kind, access),
        (
            ResourceKind::Group | ResourceKind::Team | ResourceKind::Channel,
            Access::Member | Access::Owner
        ) | (
            ResourceKind::Site,
            Access::Read | Access::Edit | Access::Owner
        ) | (ResourceKind::Library, Access::Read | Access::Edit)
            | (
                ResourceKind::Mailbox,
                Access::FullAccess | Access::SendAs | Access::SendOnBehalf
            )
            | (ResourceKind::DistributionList, Access::Member)
            | (
                ResourceKind::Calendar,
                Access::FreeBusy | Access::Read | Access::Write
            )
            | (ResourceKind::Forwarding, Access::Read)
            | (ResourceKind::Address, Access::Owner)
    )
}

/// The plan for a grant.
pub fn plan(subject: Subject<'_>) -> Result<Plan, PlanError> {
    let Subject {
        resource,
        group_id,
        access,
        shared_channel,
        exchange_address,
    } = subject;
    let kind = resource.kind;
    if !supports(kind, access) {
        return Err(PlanError::Unsupported {
            access: access.label(),
            kind: kind.label().to_owned(),
        });
    }
    if kind.is_self_service() {
        return Ok(self_service_plan(resource, access));
    }
    if kind.is_exchange() || exchange_address.is_some() {
        return exchange_plan(resource, access, exchange_address);
    }
    let library = match kind {
        ResourceKind::Site => Library::SiteDefault {
            site_id: resource.id.clone(),
        },
        _ => Library::Drive {
            drive_id: resource.id.clone(),
        },
    };
    // Reading a site, and a library, are sharing permissions rather than group memberships.
    match (kind, access) {
        (ResourceKind::Site, Access::Read) | (ResourceKind::Library, Access::Read) => {
            return Ok(Plan {
                steps: vec![Step::LibraryRead { library }],
            });
        }
        (ResourceKind::Library, _) => {
            return Ok(Plan {
                steps: vec![
                    Step::LibraryRead {
                        library: library.clone(),
                    },
                    Step::LibraryWrite { library },
                ],
            });
        }
        _ => {}
    }
    let group_id = match kind {
        ResourceKind::Group => resource.id.clone(),
        _ => group_id
            .map(str::to_owned)
            .ok_or_else(|| PlanError::NoGroup {
                name: resource.name.clone(),
                kind: kind.label().to_owned(),
            })?,
    };
    let owner = access == Access::Owner;
    if kind == ResourceKind::Channel {
        // A private channel's members must be members of its team first; a shared channel
        // admits people from outside its team.
        let mut steps = Vec::new();
        if !shared_channel {
            steps.push(Step::GroupMember {
                group_id: group_id.clone(),
            });
        }
        steps.push(Step::ChannelMember {
            team_id: group_id.clone(),
            channel_id: resource.id.clone(),
        });
        if owner {
            steps.push(Step::ChannelOwner {
                team_id: group_id,
                channel_id: resource.id.clone(),
            });
        }
        return Ok(Plan { steps });
    }
    // An owner of a Microsoft 365 group is made a member too, so the team and site follow.
    let mut steps = vec![Step::GroupMember {
        group_id: group_id.clone(),
    }];
    if owner {
        steps.push(Step::GroupOwner { group_id });
    }
    Ok(Plan { steps })
}

/// A change to the person's own mailbox: a calendar shared with the colleague the resource's id
/// names, one step per level up to the one asked for; a forwarding rule to its address; or
/// their primary address.
fn self_service_plan(resource: &ResourceRef, access: Access) -> Plan {
    let address = resource.id.to_lowercase();
    let steps = match resource.kind {
        ResourceKind::Forwarding => vec![Step::MailForward { to: address }],
        ResourceKind::Address => vec![Step::PrimaryAddress { address }],
        _ => ResourceKind::Calendar
            .levels()
            .iter()
            .take_while(|level| {
                Access::compare_calendar(**level, access) != Some(std::cmp::Ordering::Greater)
            })
            .map(|level| Step::CalendarShare {
                with: address.clone(),
                level: *level,
            })
            .collect(),
    };
    Plan { steps }
}

/// A plan Exchange carries out: one step, as mailbox levels are not built on each other and a
/// list has one level.
fn exchange_plan(
    resource: &ResourceRef,
    access: Access,
    address: Option<&str>,
) -> Result<Plan, PlanError> {
    let address = address
        .map(str::to_owned)
        .ok_or_else(|| PlanError::NoAddress {
            name: resource.name.clone(),
            kind: resource.kind.label().to_owned(),
        })?;
    let step = match (resource.kind, access) {
        (ResourceKind::Mailbox, Access::FullAccess) => Step::MailboxFullAccess { mailbox: address },
        (ResourceKind::Mailbox, Access::SendAs) => Step::MailboxSendAs { mailbox: address },
        (ResourceKind::Mailbox, Access::SendOnBehalf) => {
            Step::MailboxSendOnBehalf { mailbox: address }
        }
        (ResourceKind::DistributionList | ResourceKind::Group, Access::Member) => {
            Step::ListMember { list: address }
        }
        (kind, access) => {
            return Err(PlanError::Unsupported {
                access: access.label(),
                kind: kind.label().to_owned(),
            });
        }
    };
    Ok(Plan { steps: vec![step] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(kind: ResourceKind, id: &str) -> ResourceRef {
        ResourceRef {
            kind,
            id: id.to_owned(),
            name: "X".to_owned(),
        }
    }

    fn plan_for(kind: ResourceKind, access: Access, shared: bool) -> Vec<String> {
        let resource = resource(kind, "r1");
        plan(Subject {
            resource: &resource,
            group_id: Some("g1"),
            access,
            shared_channel: shared,
            exchange_address: None,
        })
        .map(|plan| plan.steps.iter().map(Step::key).collect())
        .unwrap_or_default()
    }

    #[test]
    fn each_kind_and_level_is_the_sum_of_its_steps() {
        use Access::*;
        use ResourceKind::*;
        let cases: [(ResourceKind, Access, bool, &[&str]); 11] = [
            (Group, Member, false, &["group-member:r1"]),
            (Group, Owner, false, &["group-member:r1", "group-owner:r1"]),
            (Team, Member, false, &["group-member:g1"]),
            (Team, Owner, false, &["group-member:g1", "group-owner:g1"]),
            (Site, Read, false, &["library-read:site:r1"]),
            (Site, Edit, false, &["group-member:g1"]),
            (Site, Owner, false, &["group-member:g1", "group-owner:g1"]),
            (
                Library,
                Edit,
                false,
                &["library-read:drive:r1", "library-write:drive:r1"],
            ),
            (
                Channel,
                Member,
                false,
                &["group-member:g1", "channel-member:g1:r1"],
            ),
            (Channel, Member, true, &["channel-member:g1:r1"]),
            (
                Channel,
                Owner,
                true,
                &["channel-member:g1:r1", "channel-owner:g1:r1"],
            ),
        ];
        for (kind, access, shared, expected) in cases {
            assert_eq!(
                plan_for(kind, access, shared),
                expected,
                "{kind:?} {access:?} shared={shared}"
            );
        }
    }

    #[test]
    fn levels_no_provider_carries_have_no_plan() {
        let mailbox = resource(ResourceKind::Mailbox, "m1");
        let orphan = plan(Subject {
            resource: &mailbox,
            group_id: None,
            access: Access::Owner,
            shared_channel: false,
            exchange_address: Some("support@contoso.com"),
        });
        assert!(matches!(orphan, Err(PlanError::Unsupported { .. })));
        let unaddressed = plan(Subject {
            resource: &mailbox,
            group_id: None,
            access: Access::SendAs,
            shared_channel: false,
            exchange_address: None,
        });
        assert!(matches!(unaddressed, Err(PlanError::NoAddress { .. })));
        let team = resource(ResourceKind::Team, "t1");
        let orphan = plan(Subject {
            resource: &team,
            group_id: None,
            access: Access::Member,
            shared_channel: false,
            exchange_address: None,
        });
        assert!(matches!(orphan, Err(PlanError::NoGroup { .. })));
    }

    #[test]
    fn exchange_levels_are_one_step_each_and_never_stand_in_for_another() {
        let planned = |kind: ResourceKind, access: Access| {
            let resource = resource(kind, "r1");
            plan(Subject {
                resource: &resource,
                group_id: None,
                access,
                shared_channel: false,
                exchange_address: Some("Support@Contoso.com"),
            })
            .map(|plan| {
                assert_eq!(plan.service(), Service::Exchange);
                plan.steps.iter().map(Step::key).collect::<Vec<_>>()
            })
            .unwrap_or_default()
        };
        use Access::*;
        use ResourceKind::*;
        assert_eq!(
            planned(Mailbox, FullAccess),
            ["mailbox-full-access:support@contoso.com"]
        );
        assert_eq!(
            planned(Mailbox, SendAs),
            ["mailbox-send-as:support@contoso.com"]
        );
        assert_eq!(
            planned(Mailbox, SendOnBehalf),
            ["mailbox-send-on-behalf:support@contoso.com"]
        );
        assert_eq!(
            planned(DistributionList, Member),
            ["list-member:support@contoso.com"]
        );
        // A mail-enabled security group: Exchange holds its membership.
        assert_eq!(planned(Group, Member), ["list-member:support@contoso.com"]);
        assert!(planned(Group, Owner).is_empty());
    }

    #[test]
    fn a_step_keeps_its_shape_on_disk() {
        let step = Step::ChannelOwner {
            team_id: "t".into(),
            channel_id: "c".into(),
        };
        let json = serde_json::to_value(&step).unwrap_or_default();
        assert_eq!(json["step"], "channel_owner");
        let back: Step = serde_json::from_value(json).unwrap_or(Step::GroupMember {
            group_id: String::new(),
        });
        assert_eq!(back, step);
    }
}
