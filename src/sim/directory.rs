//! The simulated tenant as Graph models it: users, groups and their `members`/`owners` links,
//! directory role memberships, teams and channels, sites and drives, shared mailboxes; and what
//! Exchange holds beside it (mailbox delegates, addresses, lingering removals: [`recipients`]).
//!
//! A tenant file mixes Graph properties with sim-only facts (Slack ids, roles, passwords, lockout,
//! method lists, and manager/owner/member references written as UPNs). [`Directory::load`] turns
//! those facts into this model, where they live beside the Graph properties, never among them:
//! `props` holds exactly what Graph serves. [`Directory::state`] writes the model back in the
//! tenant file's shape for `GET /_sim/state`.

mod load;
mod methods;
mod recipients;
mod sign_ins;
mod state;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::roles::RoleTemplate;

pub use load::TenantError;
pub use methods::{AuthMethod, MethodKind, PASSWORD_METHOD_ID, stable_id};
pub(crate) use recipients::strings_of;
pub use recipients::{
    AddressHolder, Delegates, Domain, Lingering, Relation, default_proxy_addresses,
};
pub use sign_ins::{SignInRecord, failure_reason};

/// A JSON object of Graph properties.
pub type Props = Map<String, Value>;

/// The whole simulated tenant.
#[derive(Debug)]
pub struct Directory {
    pub tenant: TenantInfo,
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub teams: Vec<Team>,
    pub sites: Vec<Site>,
    /// Activated directory roles and who holds them.
    pub roles: Vec<DirectoryRole>,
    /// Exchange-held relations removed while replication lag was in force, still shown to
    /// Exchange's `Get-*` cmdlets until their time is up.
    pub lingering: Vec<Lingering>,
    user_index: HashMap<String, usize>,
    group_index: HashMap<String, usize>,
}

/// The `tenant` block of the tenant file.
#[derive(Debug, Clone)]
pub struct TenantInfo {
    pub id: String,
    pub display_name: String,
    pub domain: String,
    pub slack_team_id: Option<String>,
    /// Whether the tenant has the premium licence that sign-in logs need (`"signInLogs": false`
    /// in the tenant block turns them off, as in a tenant without Entra ID P1).
    pub sign_in_logs: bool,
    /// The block as written, so the state round-trips keys the simulator does not interpret.
    pub raw: Props,
}

/// A user object, or a shared mailbox (which Graph shows as a user that cannot sign in).
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub upn: String,
    /// Exactly the Graph properties served for this user.
    pub props: Props,
    pub slack_user_id: Option<String>,
    /// The tenant file's password; `Debug` redacts it.
    pub password: Option<secrecy::SecretString>,
    pub locked_out: bool,
    /// The password has expired (sim-only `passwordExpired`): Entra refuses it with 50055.
    pub password_expired: bool,
    /// How many times an administrator reset the password since the tenant was loaded.
    pub password_changed: u32,
    /// The next sign-in must change the password (set by an administrator's reset).
    pub force_change_password: bool,
    /// The sign-in log the tenant file gives (sim-only `signIns`), oldest first.
    pub sign_ins: Vec<SignInRecord>,
    /// The manager's user id.
    pub manager: Option<String>,
    pub methods: Vec<AuthMethod>,
    /// Present for shared mailboxes.
    pub mailbox: Option<SharedMailbox>,
    /// Who may open, send as or send on behalf of this mailbox (Exchange holds these).
    pub delegates: Delegates,
    /// Refresh tokens issued before this instant no longer work (`revokeSignInSessions`).
    pub sessions_valid_from: DateTime<Utc>,
    /// The user's own calendar's permissions, as Graph `calendarPermission` objects.
    pub calendar_permissions: Vec<Value>,
    /// Inbox message rules, as Graph `messageRule` objects.
    pub message_rules: Vec<Value>,
    /// The person's OneDrive (shared mailboxes have none).
    pub drive: Option<Drive>,
    /// Long-running authentication operations (password resets), as Graph objects.
    pub operations: Vec<Value>,
}

/// What the tenant file says about a shared mailbox beyond Graph's user object. Its delegates
/// are in [`User::delegates`], as for any mailbox.
#[derive(Debug, Clone)]
pub struct SharedMailbox {
    /// Who approves requests for it: neither Exchange nor Graph knows a shared mailbox's owner,
    /// so this is the tenant file's (and the catalog file's) fact.
    pub owners: Vec<String>,
    /// The mailbox entry as written in the tenant file, for round-tripping other keys.
    pub raw: Props,
}

impl SharedMailbox {
    /// Graph's `userPurpose` for it: a room or equipment mailbox when the tenant file's `type`
    /// says so (Exchange creates those as resources, not as shared mailboxes), else `shared`.
    pub fn purpose(&self) -> &'static str {
        match self.raw.get("type").and_then(|kind| kind.as_str()) {
            Some(kind) if kind.eq_ignore_ascii_case("room") => "room",
            Some(kind) if kind.eq_ignore_ascii_case("equipment") => "equipment",
            _ => "shared",
        }
    }
}

/// A reference from a group (or channel) to a member or owner.
#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    /// Reads do not see the link before this instant: the simulated replication lag.
    pub visible_at: Instant,
}

impl Link {
    pub fn now(id: &str) -> Self {
        Link {
            id: id.to_owned(),
            visible_at: Instant::now(),
        }
    }

    pub fn is_visible(&self, now: Instant) -> bool {
        self.visible_at <= now
    }
}

/// How Graph may change a group, which depends on its kind (graph-operations.md 2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    /// Microsoft 365 group (`groupTypes` contains `Unified`).
    Unified,
    Security,
    /// Read-only through Graph: Exchange manages it.
    MailEnabledSecurity,
    /// Read-only through Graph: Exchange manages it.
    Distribution,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub props: Props,
    pub owners: Vec<Link>,
    pub members: Vec<Link>,
}

impl Group {
    pub fn display_name(&self) -> &str {
        self.props
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn kind(&self) -> GroupKind {
        let flag = |name: &str| {
            self.props
                .get(name)
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        let unified = self
            .props
            .get("groupTypes")
            .and_then(Value::as_array)
            .is_some_and(|types| {
                types.iter().any(|t| {
                    t.as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("Unified"))
                })
            });
        match (unified, flag("mailEnabled"), flag("securityEnabled")) {
            (true, _, _) => GroupKind::Unified,
            (false, true, true) => GroupKind::MailEnabledSecurity,
            (false, true, false) => GroupKind::Distribution,
            (false, false, _) => GroupKind::Security,
        }
    }

    pub fn is_role_assignable(&self) -> bool {
        self.props
            .get("isAssignableToRole")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn is_dynamic(&self) -> bool {
        self.props
            .get("groupTypes")
            .and_then(Value::as_array)
            .is_some_and(|types| {
                types.iter().any(|t| {
                    t.as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case("DynamicMembership"))
                })
            })
    }

    pub fn has_owner(&self, user_id: &str) -> bool {
        self.owners
            .iter()
            .any(|link| link.id.eq_ignore_ascii_case(user_id))
    }

    pub fn has_member(&self, user_id: &str) -> bool {
        self.members
            .iter()
            .any(|link| link.id.eq_ignore_ascii_case(user_id))
    }
}

/// A team: it is backed by the group with the same id and follows its membership.
#[derive(Debug, Clone)]
pub struct Team {
    pub group_id: String,
    pub channels: Vec<Channel>,
    pub raw: Props,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub props: Props,
    /// Explicit membership; used only for private and shared channels.
    pub members: Vec<ChannelMember>,
}

impl Channel {
    pub fn membership_type(&self) -> &str {
        self.props
            .get("membershipType")
            .and_then(Value::as_str)
            .unwrap_or("standard")
    }

    pub fn has_explicit_members(&self) -> bool {
        matches!(self.membership_type(), "private" | "shared")
    }
}

#[derive(Debug, Clone)]
pub struct ChannelMember {
    pub link: Link,
    pub owner: bool,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub id: String,
    pub props: Props,
    /// The Microsoft 365 group behind a group-connected team site.
    pub group_id: Option<String>,
    pub drives: Vec<Drive>,
}

/// A document library.
#[derive(Debug, Clone)]
pub struct Drive {
    pub id: String,
    pub props: Props,
    /// Permissions granted on the library's root folder by sharing invitations.
    pub grants: Vec<DriveGrant>,
}

impl Drive {
    /// The id of the library's root folder.
    pub fn root_id(&self) -> String {
        methods::stable_id("driveItem", &self.id)
    }
}

/// Whose a drive is: a site's document library, or a person's OneDrive.
#[derive(Debug, Clone, Copy)]
pub enum DriveHome<'a> {
    Site(&'a Site),
    Person(&'a User),
}

/// One sharing-invitation permission on a drive's root folder.
#[derive(Debug, Clone)]
pub struct DriveGrant {
    pub permission_id: String,
    pub user_id: String,
    /// `read` or `write`.
    pub role: String,
    /// Reads do not see the grant before this instant (replication lag).
    pub visible_at: Instant,
}

/// An activated directory role and the users who hold it.
#[derive(Debug, Clone)]
pub struct DirectoryRole {
    pub id: String,
    pub template: &'static RoleTemplate,
    pub members: Vec<String>,
}

impl Directory {
    /// The user with this id or user principal name (case-insensitive, as Graph matches them).
    pub fn user(&self, id_or_upn: &str) -> Option<&User> {
        self.user_index
            .get(&id_or_upn.to_ascii_lowercase())
            .map(|&at| &self.users[at])
    }

    pub fn user_mut(&mut self, id_or_upn: &str) -> Option<&mut User> {
        self.user_index
            .get(&id_or_upn.to_ascii_lowercase())
            .map(|&at| &mut self.users[at])
    }

    /// The user whose mail or UPN is `address`.
    pub fn user_by_address(&self, address: &str) -> Option<&User> {
        self.user(address).or_else(|| {
            self.users.iter().find(|user| {
                user.props
                    .get("mail")
                    .and_then(Value::as_str)
                    .is_some_and(|mail| mail.eq_ignore_ascii_case(address))
            })
        })
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.group_index
            .get(&id.to_ascii_lowercase())
            .map(|&at| &self.groups[at])
    }

    pub fn group_mut(&mut self, id: &str) -> Option<&mut Group> {
        self.group_index
            .get(&id.to_ascii_lowercase())
            .map(|&at| &mut self.groups[at])
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams
            .iter()
            .find(|team| team.group_id.eq_ignore_ascii_case(id))
    }

    pub fn team_mut(&mut self, id: &str) -> Option<&mut Team> {
        self.teams
            .iter_mut()
            .find(|team| team.group_id.eq_ignore_ascii_case(id))
    }

    /// Someone who is no longer a member (nor an owner) of a team's group leaves its private
    /// channels too, as Teams does; shared channels admit people from outside the team, so
    /// they stay there.
    pub fn left_team(&mut self, group_id: &str, user_id: &str) {
        let still_in = self
            .group(group_id)
            .is_some_and(|group| group.has_member(user_id) || group.has_owner(user_id));
        if still_in {
            return;
        }
        if let Some(team) = self.team_mut(group_id) {
            for channel in team
                .channels
                .iter_mut()
                .filter(|channel| channel.membership_type() == "private")
            {
                channel
                    .members
                    .retain(|member| !member.link.id.eq_ignore_ascii_case(user_id));
            }
        }
    }

    pub fn site(&self, id: &str) -> Option<&Site> {
        self.sites
            .iter()
            .find(|site| site.id.eq_ignore_ascii_case(id))
    }

    /// The drive with this id, and whose it is.
    pub fn drive(&self, id: &str) -> Option<(DriveHome<'_>, &Drive)> {
        let in_sites = self.sites.iter().find_map(|site| {
            site.drives
                .iter()
                .find(|d| d.id == id)
                .map(|d| (DriveHome::Site(site), d))
        });
        in_sites.or_else(|| {
            self.users.iter().find_map(|user| {
                user.drive
                    .as_ref()
                    .filter(|d| d.id == id)
                    .map(|d| (DriveHome::Person(user), d))
            })
        })
    }

    pub fn drive_mut(&mut self, id: &str) -> Option<&mut Drive> {
        let Directory { sites, users, .. } = self;
        sites
            .iter_mut()
            .flat_map(|site| site.drives.iter_mut())
            .chain(users.iter_mut().filter_map(|user| user.drive.as_mut()))
            .find(|drive| drive.id == id)
    }

    /// The roles `user_id` holds.
    pub fn roles_of<'a>(
        &'a self,
        user_id: &'a str,
    ) -> impl Iterator<Item = &'a DirectoryRole> + 'a {
        self.roles
            .iter()
            .filter(move |role| role.members.iter().any(|m| m.eq_ignore_ascii_case(user_id)))
    }

    /// Whether `user_id` is privileged: holds a directory role, or is a member of a
    /// role-assignable group (whose members' credentials only privileged roles may change).
    pub fn is_admin(&self, user_id: &str) -> bool {
        self.roles_of(user_id).next().is_some()
            || self
                .groups
                .iter()
                .any(|group| group.is_role_assignable() && group.has_member(user_id))
    }

    /// The UPN of a user id, for the state file and logs.
    pub fn upn_of(&self, user_id: &str) -> Option<&str> {
        self.user(user_id).map(|user| user.upn.as_str())
    }
}
