//! Groups: list, get, owners and members, and changing them with Graph's rules.
//!
//! A delegated caller may change a group's members or owners only when they own the group or hold
//! a role that covers it (graph-operations.md 2.4): nobody adds themselves to a group they do not
//! own. Role-assignable groups also need `RoleManagement.ReadWrite.Directory` and an owner or a
//! Privileged Role Administrator. Distribution lists and mail-enabled security groups belong to
//! Exchange and answer every write with Graph's 400; Graph lists no owners for them (Exchange
//! holds those as `ManagedBy`), as for any group created in Exchange.
//!
//! Member changes take `GroupMember.ReadWrite.All`; owner changes take `Group.ReadWrite.All`, the
//! least privileged delegated permission Graph documents for "Add owners" and "Remove owner"
//! (`GroupMember.ReadWrite.All` is not enough for them). A group's last owner cannot be removed,
//! whether it is a Microsoft 365 group or a security group.

mod patch;

use serde_json::Value;

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::{Shape, group_object, typed_user};
use crate::sim::directory::{Group, GroupKind};
use crate::sim::roles::Right;
pub use patch::patch;

const READ: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
const WRITE_MEMBERS: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
/// Owner changes and property updates.
const WRITE_GROUP: &[&str] = &[
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
const ROLE_ASSIGNABLE_WRITE: &[&str] = &["RoleManagement.ReadWrite.Directory"];
/// Graph changes at most 20 references in one request.
const MAX_BINDS: usize = 20;

/// Which list of references a write is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Members,
    Owners,
}

impl Relation {
    fn name(self) -> &'static str {
        match self {
            Relation::Members => "members",
            Relation::Owners => "owners",
        }
    }

    /// The delegated permissions that allow changing this list.
    fn write_scopes(self) -> &'static [&'static str] {
        match self {
            Relation::Members => WRITE_MEMBERS,
            Relation::Owners => WRITE_GROUP,
        }
    }
}

fn group<'d>(call: &'d Call<'_>) -> Result<&'d Group, GraphErr> {
    let id = call.param("group");
    call.dir
        .group(id)
        .ok_or_else(|| GraphErr::not_found(Service::Directory, id))
}

pub fn list(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Directory, READ)?;
    let expand_members = call
        .query
        .expand()
        .iter()
        .find(|item| item.navigation_property() == "members");
    let groups: Vec<Value> = call
        .dir
        .groups
        .iter()
        .map(|group| {
            let mut object = group_object(group);
            if let Some(expand) = expand_members {
                let members: Vec<Value> = call
                    .visible(&group.members)
                    .filter_map(|link| call.dir.user(&link.id))
                    .map(|user| expand.options().select(&typed_user(user)))
                    .collect();
                object["members"] = Value::Array(members);
            }
            object
        })
        .collect();
    call.list(groups, Listing::DIRECTORY, Shape::Group)
}

pub fn count(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Directory, READ)?;
    let groups: Vec<Value> = call.dir.groups.iter().map(group_object).collect();
    call.count_of(groups)
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Directory, READ)?;
    let object = group_object(group(call)?);
    call.entity(object, Shape::Group)
}

fn related(call: &Call<'_>, relation: Relation) -> Result<Vec<Value>, GraphErr> {
    call.require_scope(Service::Directory, READ)?;
    let group = group(call)?;
    let links = match relation {
        Relation::Members => &group.members,
        // The tenant file's owners of a list are its Exchange managers, not Graph owners.
        Relation::Owners if group.is_list() => return Ok(Vec::new()),
        Relation::Owners => &group.owners,
    };
    Ok(call
        .visible(links)
        .filter_map(|link| call.dir.user(&link.id))
        .map(typed_user)
        .collect())
}

pub fn owners(call: &mut Call<'_>) -> Outcome {
    let owners = related(call, Relation::Owners)?;
    call.list(owners, Listing::DIRECTORY, Shape::DirectoryObject)
}

pub fn members(call: &mut Call<'_>) -> Outcome {
    let members = related(call, Relation::Members)?;
    call.list(members, Listing::DIRECTORY, Shape::DirectoryObject)
}

pub fn members_count(call: &mut Call<'_>) -> Outcome {
    let members = related(call, Relation::Members)?;
    call.count_of(members)
}

pub fn user_members(call: &mut Call<'_>) -> Outcome {
    let members = related(call, Relation::Members)?;
    call.list(members, Listing::DIRECTORY, Shape::User)
}

pub fn user_members_count(call: &mut Call<'_>) -> Outcome {
    let members = related(call, Relation::Members)?;
    call.count_of(members)
}

/// Refuses a membership change the group itself does not admit, whichever API asks (groups or
/// teams): Exchange-managed kinds and dynamic membership answer 400; a role-assignable group
/// admits only callers with `RoleManagement.ReadWrite.Directory` who own it or are Privileged
/// Role Administrators.
pub(super) fn check_group_admits_change(
    call: &Call<'_>,
    group: &Group,
    caller: &str,
    service: Service,
) -> Result<(), GraphErr> {
    if matches!(
        group.kind(),
        GroupKind::Distribution | GroupKind::MailEnabledSecurity
    ) {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "Cannot Update a mail-enabled security groups and or distribution list.",
        ));
    }
    if group.is_dynamic() {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "Members of a group with dynamic membership cannot be added or removed manually.",
        ));
    }
    let admitted = !group.is_role_assignable()
        || (call.has_scope(ROLE_ASSIGNABLE_WRITE)
            && (group.has_owner(caller) || call.caller_has(Right::ManageRoleAssignableGroups)));
    if admitted {
        Ok(())
    } else {
        Err(GraphErr::forbidden(service))
    }
}

/// Refuses the write unless the calling person may change this group's references, and the
/// token carries a permission that covers changing `relations`.
fn authorize_write(
    call: &Call<'_>,
    group: &Group,
    relations: &[Relation],
) -> Result<String, GraphErr> {
    let caller = call.require_delegated_write(Service::Directory, WRITE_MEMBERS)?;
    for relation in relations {
        call.require_scope(Service::Directory, relation.write_scopes())?;
    }
    check_group_admits_change(call, group, &caller, Service::Directory)?;
    let allowed = group.is_role_assignable()
        || group.has_owner(&caller)
        || call.caller_has(Right::ManageAnyGroup)
        || (group.kind() == GroupKind::Unified && call.caller_has(Right::ManageUnifiedGroups))
        || (group.kind() == GroupKind::Security && call.caller_has(Right::ManageSecurityGroups));
    if allowed {
        Ok(caller)
    } else {
        Err(GraphErr::forbidden(Service::Directory))
    }
}

/// The object id at the end of a `@odata.id` or `@odata.bind` URL.
fn referenced_id(url: &str) -> Result<String, GraphErr> {
    let trimmed = url.trim().trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or_default();
    // `users('id')` and `directoryObjects('id')` forms carry the id in parentheses.
    let id = last
        .split_once('(')
        .map(|(_, rest)| rest.trim_end_matches(')').trim_matches('\''))
        .unwrap_or(last);
    let lowered = trimmed.to_ascii_lowercase();
    let names_an_object = ["/directoryobjects", "/users", "/groups"]
        .iter()
        .any(|set| lowered.contains(set));
    if id.is_empty() || !names_an_object {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            format!("Invalid object identifier '{url}'."),
        ));
    }
    Ok(id.to_owned())
}

fn add_reference(call: &mut Call<'_>, relation: Relation) -> Outcome {
    let body = call.body_object()?;
    let Some(url) = body.get("@odata.id").and_then(Value::as_str) else {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "The request body must contain '@odata.id'.",
        ));
    };
    let ids = vec![referenced_id(url)?];
    let group = group(call)?;
    authorize_write(call, group, &[relation])?;
    let additions = new_references(call, group, relation, &ids)?;
    apply_references(call, relation, &additions);
    Ok(Reply::no_content())
}

/// The users `ids` name, checked to exist and not to be there yet; nothing is changed, so a
/// request can check all its additions before applying any (one bad entry fails the whole
/// request, as in Graph).
fn new_references(
    call: &Call<'_>,
    group: &Group,
    relation: Relation,
    ids: &[String],
) -> Result<Vec<String>, GraphErr> {
    let mut resolved: Vec<String> = Vec::new();
    for id in ids {
        let Some(user) = call.dir.user(id) else {
            return Err(GraphErr::not_found(Service::Directory, id));
        };
        let present = match relation {
            Relation::Members => group.has_member(&user.id),
            Relation::Owners => group.has_owner(&user.id),
        };
        if present || resolved.contains(&user.id) {
            return Err(GraphErr::bad_request(
                "Request_BadRequest",
                format!(
                    "One or more added object references already exist for the following modified properties: '{}'.",
                    relation.name()
                ),
            ));
        }
        resolved.push(user.id.clone());
    }
    Ok(resolved)
}

fn apply_references(call: &mut Call<'_>, relation: Relation, user_ids: &[String]) {
    let links: Vec<_> = user_ids.iter().map(|id| call.new_link(id)).collect();
    let group_id = call.param("group").to_owned();
    if let Some(group) = call.dir.group_mut(&group_id) {
        match relation {
            Relation::Members => group.members.extend(links),
            Relation::Owners => group.owners.extend(links),
        }
    }
}

fn remove_reference(call: &mut Call<'_>, relation: Relation) -> Outcome {
    let group = group(call)?;
    authorize_write(call, group, &[relation])?;
    let member = call.param("member").to_owned();
    let links = match relation {
        Relation::Members => &group.members,
        Relation::Owners => &group.owners,
    };
    if !links
        .iter()
        .any(|link| link.id.eq_ignore_ascii_case(&member))
    {
        return Err(GraphErr::not_found(Service::Directory, &member));
    }
    // Exchange-managed kinds were refused above, so this is a Microsoft 365 or security group:
    // Graph keeps the last owner of either.
    if relation == Relation::Owners && group.owners.len() == 1 {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "The group must have at least one owner, hence this owner cannot be removed.",
        ));
    }
    let group_id = group.id.clone();
    if let Some(group) = call.dir.group_mut(&group_id) {
        let links = match relation {
            Relation::Members => &mut group.members,
            Relation::Owners => &mut group.owners,
        };
        links.retain(|link| !link.id.eq_ignore_ascii_case(&member));
    }
    call.dir.left_team(&group_id, &member);
    Ok(Reply::no_content())
}

pub fn add_member(call: &mut Call<'_>) -> Outcome {
    add_reference(call, Relation::Members)
}

pub fn remove_member(call: &mut Call<'_>) -> Outcome {
    remove_reference(call, Relation::Members)
}

pub fn add_owner(call: &mut Call<'_>) -> Outcome {
    add_reference(call, Relation::Owners)
}

pub fn remove_owner(call: &mut Call<'_>) -> Outcome {
    remove_reference(call, Relation::Owners)
}
