//! Users: profile, manager, group memberships, `checkMemberGroups`, `revokeSignInSessions`.

use serde_json::{Value, json};

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::{Shape, typed_group, typed_role, typed_user, user_object};
use crate::sim::directory::User;
use crate::sim::roles::Right;

/// Reading one's own profile.
const READ_SELF: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
/// Reading other users.
const READ_OTHERS: &[&str] = &[
    "User.ReadBasic.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
/// Reading other users' full profiles and their relationships.
const READ_OTHERS_FULL: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
/// Reading memberships.
const READ_MEMBERSHIP: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "User.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
const REVOKE_SESSIONS: &[&str] = &[
    "User.RevokeSessions.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Directory.AccessAsUser.All",
];
/// `User.ReadBasic.All` shows only these properties of other users.
const BASIC_PROPERTIES: &[&str] = &[
    "id",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userPrincipalName",
];

/// Whether the call is about the caller themself.
fn is_self(call: &Call<'_>, target: &str) -> bool {
    call.caller_id()
        .is_some_and(|id| id.eq_ignore_ascii_case(target))
}

fn require_read(call: &Call<'_>, target: &str, others: &[&str]) -> Result<(), GraphErr> {
    let accepted = if is_self(call, target) {
        READ_SELF
    } else {
        others
    };
    call.require_scope(Service::Directory, accepted)
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    let target = call.target_user_id()?;
    require_read(call, &target, READ_OTHERS)?;
    let user = call.target_user()?;
    let mut object = as_seen_by_caller(call, user);
    if call
        .query
        .expand()
        .iter()
        .any(|item| item.navigation_property() == "manager")
    {
        let manager = user
            .manager
            .as_deref()
            .and_then(|id| call.dir.user(id))
            .map(typed_user);
        object["manager"] = manager.unwrap_or(Value::Null);
    }
    call.entity(object, Shape::User)
}

/// A user as the caller may see them: everything with a full-read scope (or for oneself),
/// only the basic profile with `User.ReadBasic.All`, so that neither `$select` nor `$filter`
/// reaches what the token may not read.
fn as_seen_by_caller(call: &Call<'_>, user: &User) -> Value {
    let mut object = user_object(user);
    if !is_self(call, &user.id) && !call.has_scope(READ_OTHERS_FULL) {
        if let Some(fields) = object.as_object_mut() {
            fields.retain(|name, _| BASIC_PROPERTIES.contains(&name.as_str()));
        }
    }
    object
}

/// Every user of the tenant, as the caller may see them.
fn users_as_seen(call: &Call<'_>) -> Result<Vec<Value>, GraphErr> {
    call.require_scope(Service::Directory, READ_OTHERS)?;
    Ok(call
        .dir
        .users
        .iter()
        .map(|user| as_seen_by_caller(call, user))
        .collect())
}

pub fn list(call: &mut Call<'_>) -> Outcome {
    let users = users_as_seen(call)?;
    call.list(users, Listing::DIRECTORY, Shape::User)
}

pub fn count(call: &mut Call<'_>) -> Outcome {
    let users = users_as_seen(call)?;
    call.count_of(users)
}

pub fn manager(call: &mut Call<'_>) -> Outcome {
    let target = call.target_user_id()?;
    require_read(call, &target, READ_OTHERS_FULL)?;
    let user = call.target_user()?;
    match user.manager.as_deref().and_then(|id| call.dir.user(id)) {
        Some(manager) => call.entity(typed_user(manager), Shape::DirectoryObject),
        // Graph answers 404 for a user without a manager: by design, not an error to retry.
        None => Err(GraphErr::not_found(Service::Directory, "manager")),
    }
}

/// The groups and directory roles a user is a direct member of, as reads see them now.
fn memberships(call: &Call<'_>, user_id: &str) -> Vec<Value> {
    let groups = call
        .dir
        .groups
        .iter()
        .filter(|group| {
            call.visible(&group.members)
                .any(|link| link.id.eq_ignore_ascii_case(user_id))
        })
        .map(typed_group);
    let roles = call.dir.roles_of(user_id).map(typed_role);
    groups.chain(roles).collect()
}

fn require_membership_read(call: &Call<'_>) -> Result<String, GraphErr> {
    let target = call.target_user_id()?;
    if is_self(call, &target) {
        let mut accepted = READ_MEMBERSHIP.to_vec();
        accepted.extend_from_slice(READ_SELF);
        call.require_scope(Service::Directory, &accepted)?;
    } else {
        call.require_scope(Service::Directory, READ_MEMBERSHIP)?;
    }
    Ok(target)
}

pub fn member_of(call: &mut Call<'_>) -> Outcome {
    let target = require_membership_read(call)?;
    call.list(
        memberships(call, &target),
        Listing::DIRECTORY,
        Shape::DirectoryObject,
    )
}

pub fn member_of_count(call: &mut Call<'_>) -> Outcome {
    let target = require_membership_read(call)?;
    call.count_of(memberships(call, &target))
}

fn only_groups(items: Vec<Value>) -> Vec<Value> {
    items
        .into_iter()
        .filter(|item| item["@odata.type"] == "#microsoft.graph.group")
        .collect()
}

pub fn member_of_groups(call: &mut Call<'_>) -> Outcome {
    let target = require_membership_read(call)?;
    call.list(
        only_groups(memberships(call, &target)),
        Listing::DIRECTORY,
        Shape::Group,
    )
}

pub fn member_of_groups_count(call: &mut Call<'_>) -> Outcome {
    let target = require_membership_read(call)?;
    call.count_of(only_groups(memberships(call, &target)))
}

/// `checkMemberGroups`: which of up to 20 groups the user is a member of.
pub fn check_member_groups(call: &mut Call<'_>) -> Outcome {
    let target = require_membership_read(call)?;
    let body = call.body_object()?;
    let Some(ids) = body.get("groupIds").and_then(Value::as_array) else {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "The request body must contain 'groupIds'.",
        ));
    };
    if ids.len() > 20 {
        return Err(GraphErr::bad_request(
            "Request_BadRequest",
            "Invalid value specified for property 'groupIds': at most 20 group ids may be checked at once.",
        ));
    }
    let memberships = memberships(call, &target);
    let matching: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter(|id| {
            memberships.iter().any(|m| {
                m["id"]
                    .as_str()
                    .is_some_and(|member_of| member_of.eq_ignore_ascii_case(id))
            })
        })
        .map(|id| json!(id))
        .collect();
    Ok(Reply::ok(json!({"value": matching})))
}

/// `revokeSignInSessions`: refresh tokens issued before now stop working.
pub fn revoke_sign_in_sessions(call: &mut Call<'_>) -> Outcome {
    let caller = call.require_delegated_write(Service::Directory, REVOKE_SESSIONS)?;
    let target = call.target_user_id()?;
    if !caller.eq_ignore_ascii_case(&target) {
        let allowed = if call.dir.is_admin(&target) {
            call.caller_has(Right::ManageAdminCredentials)
        } else {
            call.caller_has(Right::RevokeSessions)
        };
        if !allowed {
            return Err(GraphErr::forbidden(Service::Directory));
        }
    }
    if let Some(user) = call.dir.user_mut(&target) {
        user.sessions_valid_from = chrono::Utc::now();
    }
    Ok(Reply::ok(json!({"value": true})))
}
