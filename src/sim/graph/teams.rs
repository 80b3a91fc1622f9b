//! Teams and channels. A team's membership is its group's; private and shared channels have
//! their own, and a private channel admits only members of its team.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::directory::{Channel, ChannelMember, Group, Team, User};
use crate::sim::roles::Right;

const READ_TEAM: &[&str] = &[
    "Team.ReadBasic.All",
    "TeamSettings.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const READ_TEAM_MEMBERS: &[&str] = &[
    "TeamMember.Read.All",
    "TeamMember.ReadWrite.All",
    "TeamMember.ReadWriteNonOwnerRole.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const WRITE_TEAM_MEMBERS: &[&str] = &[
    "TeamMember.ReadWrite.All",
    "TeamMember.ReadWriteNonOwnerRole.All",
];
const WRITE_TEAM_OWNERS: &[&str] = &["TeamMember.ReadWrite.All"];
const READ_CHANNELS: &[&str] = &[
    "Channel.ReadBasic.All",
    "ChannelSettings.Read.All",
    "Group.Read.All",
    "Directory.Read.All",
];
const READ_CHANNEL_MEMBERS: &[&str] = &[
    "ChannelMember.Read.All",
    "ChannelMember.ReadWrite.All",
    "Group.Read.All",
    "Directory.Read.All",
];
const WRITE_CHANNEL_MEMBERS: &[&str] = &["ChannelMember.ReadWrite.All"];

/// Conversation member ids are opaque; Graph's are base64 of `{scope id}##{user id}`.
fn membership_id(scope: &str, user_id: &str) -> String {
    STANDARD.encode(format!("{scope}##{user_id}"))
}

fn user_of_membership(membership: &str) -> Option<String> {
    let decoded = String::from_utf8(STANDARD.decode(membership).ok()?).ok()?;
    decoded.split_once("##").map(|(_, user)| user.to_owned())
}

fn member_object(scope: &str, user: &User, owner: bool, tenant_id: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "id": membership_id(scope, &user.id),
        "roles": if owner { vec!["owner"] } else { Vec::new() },
        "displayName": user.props.get("displayName").cloned().unwrap_or(Value::Null),
        "visibleHistoryStartDateTime": "0001-01-01T00:00:00Z",
        "userId": user.id,
        "email": user.props.get("mail").cloned().unwrap_or(Value::Null),
        "tenantId": tenant_id,
    })
}

/// The 201 answer to an added member of a team or channel (`scope`).
fn created_member(call: &Call<'_>, scope: &str, user_id: &str, owner: bool) -> Outcome {
    let user = call
        .dir
        .user(user_id)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, user_id))?;
    Ok(Reply::created(member_object(
        scope,
        user,
        owner,
        &call.dir.tenant.id,
    )))
}

fn team<'d>(call: &'d Call<'_>) -> Result<(&'d Team, &'d Group), GraphErr> {
    let id = call.param("group");
    let team = call
        .dir
        .team(id)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, id))?;
    let group = call
        .dir
        .group(&team.group_id)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, id))?;
    Ok((team, group))
}

fn team_object(call: &Call<'_>, group: &Group) -> Value {
    let visibility = group
        .props
        .get("visibility")
        .and_then(Value::as_str)
        .unwrap_or("Private")
        .to_ascii_lowercase();
    let name = group.display_name();
    json!({
        "id": group.id,
        "displayName": name,
        "description": group.props.get("description").cloned().unwrap_or(Value::Null),
        "classification": group.props.get("classification").cloned().unwrap_or(Value::Null),
        "visibility": visibility,
        "specialization": "none",
        "isArchived": false,
        "tenantId": call.dir.tenant.id,
        "webUrl": format!("https://teams.microsoft.com/l/team/19%3a{}%40thread.tacv2/conversations?groupId={}&tenantId={}", group.id.replace('-', ""), group.id, call.dir.tenant.id),
        "internalId": format!("19:{}@thread.tacv2", group.id.replace('-', "")),
    })
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_TEAM)?;
    let (_, group) = team(call)?;
    let object = team_object(call, group);
    call.entity(object, Shape::Plain)
}

pub fn joined_teams(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_TEAM)?;
    let user = call.target_user_id()?;
    let joined: Vec<Value> = call
        .dir
        .teams
        .iter()
        .filter_map(|team| call.dir.group(&team.group_id))
        .filter(|group| {
            call.visible(&group.members)
                .any(|link| link.id.eq_ignore_ascii_case(&user))
        })
        .map(|group| team_object(call, group))
        .collect();
    call.list(joined, Listing::SERVICE, Shape::Plain)
}

/// The team's members as reads see them: the group's members and owners.
fn team_members(call: &Call<'_>, group: &Group) -> Vec<Value> {
    let mut members = Vec::new();
    let mut seen = Vec::new();
    for link in call
        .visible(&group.owners)
        .chain(call.visible(&group.members))
    {
        if seen.contains(&link.id) {
            continue;
        }
        seen.push(link.id.clone());
        if let Some(user) = call.dir.user(&link.id) {
            members.push(member_object(
                &group.id,
                user,
                group.has_owner(&user.id),
                &call.dir.tenant.id,
            ));
        }
    }
    members
}

pub fn members(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_TEAM_MEMBERS)?;
    let (_, group) = team(call)?;
    let members = team_members(call, group);
    call.list(members, Listing::SERVICE, Shape::Plain)
}

pub fn member(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_TEAM_MEMBERS)?;
    let (_, group) = team(call)?;
    let membership = call.param("membership");
    let found = team_members(call, group)
        .into_iter()
        .find(|member| member["id"] == membership);
    match found {
        Some(member) => call.entity(member, Shape::Plain),
        None => Err(GraphErr::not_found(Service::Teams, membership)),
    }
}

/// The user a conversation-member body binds (`user@odata.bind`), and whether as owner.
fn bound_user(call: &Call<'_>) -> Result<(String, bool), GraphErr> {
    let body = call.body_object()?;
    if body.get("@odata.type").and_then(Value::as_str)
        != Some("#microsoft.graph.aadUserConversationMember")
    {
        return Err(GraphErr::bad_request(
            "BadRequest",
            "The member must be of type '#microsoft.graph.aadUserConversationMember'.",
        ));
    }
    let owner = match body.get("roles") {
        None | Some(Value::Null) => false,
        Some(Value::Array(roles)) => roles.iter().any(|role| {
            role.as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case("owner"))
        }),
        Some(_) => {
            return Err(GraphErr::bad_request(
                "BadRequest",
                "'roles' must be an array.",
            ));
        }
    };
    let bind = body
        .get("user@odata.bind")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            GraphErr::bad_request(
                "BadRequest",
                "The member must bind a user with 'user@odata.bind'.",
            )
        })?;
    let key = bind
        .rsplit_once("users(")
        .map(|(_, rest)| rest.trim_end_matches(')').trim_matches('\'').to_owned())
        .or_else(|| bind.rsplit('/').next().map(str::to_owned))
        .unwrap_or_default();
    let user = call
        .dir
        .user(&key)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, &key))?;
    if user.props.get("accountEnabled").and_then(Value::as_bool) == Some(false) {
        // Graph answers 404 for a disabled or blocked user.
        return Err(GraphErr::not_found(Service::Teams, &key));
    }
    Ok((user.id.clone(), owner))
}

/// Whether the caller may change the team's membership: the group's own rules first, then team
/// owners and administrators.
fn may_manage_team(call: &Call<'_>, group: &Group, caller: &str) -> Result<bool, GraphErr> {
    super::groups::check_group_admits_change(call, group, caller, Service::Teams)?;
    Ok(group.has_owner(caller)
        || call.caller_has(Right::ManageTeams)
        || call.caller_has(Right::ManageAnyGroup)
        || call.caller_has(Right::ManageUnifiedGroups))
}

pub fn add_member(call: &mut Call<'_>) -> Outcome {
    let (user_id, owner) = bound_user(call)?;
    let accepted = if owner {
        WRITE_TEAM_OWNERS
    } else {
        WRITE_TEAM_MEMBERS
    };
    let caller = call.require_delegated_write(Service::Teams, accepted)?;
    let (_, group) = team(call)?;
    if !may_manage_team(call, group, &caller)? {
        return Err(GraphErr::forbidden(Service::Teams));
    }
    let already = if owner {
        group.has_owner(&user_id)
    } else {
        group.has_member(&user_id)
    };
    if already {
        return Err(GraphErr::new(
            axum::http::StatusCode::CONFLICT,
            "Conflict",
            "The user is already a member of the team with this role.",
        ));
    }
    let group_id = group.id.clone();
    let link = call.new_link(&user_id);
    if let Some(group) = call.dir.group_mut(&group_id) {
        if !group.has_member(&user_id) {
            group.members.push(link.clone());
        }
        if owner {
            group.owners.push(link);
        }
    }
    created_member(call, &group_id, &user_id, owner)
}

pub fn remove_member(call: &mut Call<'_>) -> Outcome {
    let caller = call.require_delegated_write(Service::Teams, WRITE_TEAM_MEMBERS)?;
    let (_, group) = team(call)?;
    let membership = call.param("membership").to_owned();
    let user_id = user_of_membership(&membership)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, &membership))?;
    if !may_manage_team(call, group, &caller)? {
        return Err(GraphErr::forbidden(Service::Teams));
    }
    if !group.has_member(&user_id) && !group.has_owner(&user_id) {
        return Err(GraphErr::not_found(Service::Teams, &membership));
    }
    if group.has_owner(&user_id) && !call.has_scope(WRITE_TEAM_OWNERS) {
        return Err(GraphErr::forbidden(Service::Teams));
    }
    let group_id = group.id.clone();
    if let Some(group) = call.dir.group_mut(&group_id) {
        group
            .members
            .retain(|link| !link.id.eq_ignore_ascii_case(&user_id));
        group
            .owners
            .retain(|link| !link.id.eq_ignore_ascii_case(&user_id));
    }
    call.dir.left_team(&group_id, &user_id);
    Ok(Reply::no_content())
}

fn channel_object(call: &Call<'_>, channel: &Channel) -> Value {
    let mut object = channel.props.clone();
    object.entry("description").or_insert(Value::Null);
    object.insert("tenantId".into(), json!(call.dir.tenant.id));
    Value::Object(object)
}

/// Whether the caller may see a private or shared channel: its members, and app-only readers.
fn sees_channel(call: &Call<'_>, channel: &Channel) -> bool {
    !channel.has_explicit_members()
        || call.caller_id().is_none_or(|caller| {
            channel
                .members
                .iter()
                .any(|m| m.link.id.eq_ignore_ascii_case(caller))
        })
        || call.caller_has(Right::ManageTeams)
}

fn addressed_channel<'d>(
    call: &'d Call<'_>,
) -> Result<(&'d Team, &'d Group, &'d Channel), GraphErr> {
    let (team, group) = team(call)?;
    let id = call.param("channel");
    let channel = team
        .channels
        .iter()
        .find(|channel| channel.id == id)
        .filter(|channel| sees_channel(call, channel))
        .ok_or_else(|| GraphErr::not_found(Service::Teams, id))?;
    Ok((team, group, channel))
}

pub fn channels(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_CHANNELS)?;
    let (team, _) = team(call)?;
    let channels: Vec<Value> = team
        .channels
        .iter()
        .filter(|c| sees_channel(call, c))
        .map(|c| channel_object(call, c))
        .collect();
    call.list(channels, Listing::SERVICE, Shape::Plain)
}

pub fn channel(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_CHANNELS)?;
    let (_, _, channel) = addressed_channel(call)?;
    let object = channel_object(call, channel);
    call.entity(object, Shape::Plain)
}

fn members_of_channel(call: &Call<'_>, group: &Group, channel: &Channel) -> Vec<Value> {
    if !channel.has_explicit_members() {
        return team_members(call, group)
            .into_iter()
            .map(|mut member| {
                if let Some(user) = member["userId"].as_str().map(str::to_owned) {
                    member["id"] = json!(membership_id(&channel.id, &user));
                }
                member
            })
            .collect();
    }
    channel
        .members
        .iter()
        .filter(|member| member.link.is_visible(call.now))
        .filter_map(|member| {
            call.dir
                .user(&member.link.id)
                .map(|user| member_object(&channel.id, user, member.owner, &call.dir.tenant.id))
        })
        .collect()
}

pub fn channel_members(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_CHANNEL_MEMBERS)?;
    let (_, group, channel) = addressed_channel(call)?;
    let members = members_of_channel(call, group, channel);
    call.list(members, Listing::SERVICE, Shape::Plain)
}

pub fn channel_member(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::Teams, READ_CHANNEL_MEMBERS)?;
    let (_, group, channel) = addressed_channel(call)?;
    let membership = call.param("membership");
    match members_of_channel(call, group, channel)
        .into_iter()
        .find(|member| member["id"] == membership)
    {
        Some(member) => call.entity(member, Shape::Plain),
        None => Err(GraphErr::not_found(Service::Teams, membership)),
    }
}

fn may_manage_channel(call: &Call<'_>, channel: &Channel, caller: &str) -> bool {
    channel
        .members
        .iter()
        .any(|m| m.owner && m.link.id.eq_ignore_ascii_case(caller))
        || call.caller_has(Right::ManageTeams)
}

pub fn add_channel_member(call: &mut Call<'_>) -> Outcome {
    let (user_id, owner) = bound_user(call)?;
    let caller = call.require_delegated_write(Service::Teams, WRITE_CHANNEL_MEMBERS)?;
    let (_, group, channel) = addressed_channel(call)?;
    if !channel.has_explicit_members() {
        return Err(GraphErr::bad_request(
            "BadRequest",
            "Members can be added only to private or shared channels.",
        ));
    }
    if !may_manage_channel(call, channel, &caller) {
        return Err(GraphErr::forbidden(Service::Teams));
    }
    if channel.membership_type() == "private"
        && !group.has_member(&user_id)
        && !group.has_owner(&user_id)
    {
        return Err(GraphErr::bad_request(
            "BadRequest",
            "The user must be a member of the team before joining its private channel.",
        ));
    }
    if channel
        .members
        .iter()
        .any(|m| m.link.id.eq_ignore_ascii_case(&user_id) && (m.owner || !owner))
    {
        return Err(GraphErr::new(
            axum::http::StatusCode::CONFLICT,
            "Conflict",
            "The user is already a member of the channel with this role.",
        ));
    }
    let (group_id, channel_id) = (group.id.clone(), channel.id.clone());
    let link = call.new_link(&user_id);
    if let Some(channel) = call
        .dir
        .team_mut(&group_id)
        .and_then(|team| team.channels.iter_mut().find(|c| c.id == channel_id))
    {
        channel
            .members
            .retain(|m| !m.link.id.eq_ignore_ascii_case(&user_id));
        channel.members.push(ChannelMember { link, owner });
    }
    created_member(call, &channel_id, &user_id, owner)
}

/// A channel membership a write addresses.
struct Membership {
    group_id: String,
    channel_id: String,
    user_id: String,
}

/// The membership `{membership}` of a private or shared channel, once `caller` may change it.
/// Writes see memberships that replication lag still hides from reads.
fn addressed_membership(call: &Call<'_>, caller: &str) -> Result<Membership, GraphErr> {
    let (_, group, channel) = addressed_channel(call)?;
    let membership = call.param("membership");
    let user_id = user_of_membership(membership)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, membership))?;
    if !channel.has_explicit_members()
        || !channel
            .members
            .iter()
            .any(|m| m.link.id.eq_ignore_ascii_case(&user_id))
    {
        return Err(GraphErr::not_found(Service::Teams, membership));
    }
    if !may_manage_channel(call, channel, caller) {
        return Err(GraphErr::forbidden(Service::Teams));
    }
    Ok(Membership {
        group_id: group.id.clone(),
        channel_id: channel.id.clone(),
        user_id,
    })
}

/// `PATCH .../channels/{channel}/members/{membership}`: the membership's role, `[]` or
/// `["owner"]`. Like every write it sees memberships reads cannot see yet.
pub fn update_channel_member(call: &mut Call<'_>) -> Outcome {
    let caller = call.require_delegated_write(Service::Teams, WRITE_CHANNEL_MEMBERS)?;
    let body = call.body_object()?;
    let owner = match body.get("roles") {
        Some(Value::Array(roles)) if roles.is_empty() => false,
        Some(Value::Array(roles)) if roles.len() == 1 && roles[0] == "owner" => true,
        _ => {
            return Err(GraphErr::bad_request(
                "BadRequest",
                "The roles of a channel member must be \"owner\" or empty.",
            ));
        }
    };
    let Membership {
        group_id,
        channel_id,
        user_id,
    } = addressed_membership(call, &caller)?;
    if let Some(member) = call
        .dir
        .team_mut(&group_id)
        .and_then(|team| team.channels.iter_mut().find(|c| c.id == channel_id))
        .and_then(|channel| {
            channel
                .members
                .iter_mut()
                .find(|m| m.link.id.eq_ignore_ascii_case(&user_id))
        })
    {
        member.owner = owner;
    }
    let user = call
        .dir
        .user(&user_id)
        .ok_or_else(|| GraphErr::not_found(Service::Teams, &user_id))?;
    Ok(Reply::ok(member_object(
        &channel_id,
        user,
        owner,
        &call.dir.tenant.id,
    )))
}

pub fn remove_channel_member(call: &mut Call<'_>) -> Outcome {
    let caller = call.require_delegated_write(Service::Teams, WRITE_CHANNEL_MEMBERS)?;
    let Membership {
        group_id,
        channel_id,
        user_id,
    } = addressed_membership(call, &caller)?;
    if let Some(channel) = call
        .dir
        .team_mut(&group_id)
        .and_then(|team| team.channels.iter_mut().find(|c| c.id == channel_id))
    {
        channel
            .members
            .retain(|m| !m.link.id.eq_ignore_ascii_case(&user_id));
    }
    Ok(Reply::no_content())
}
