//! Turning what a sync read into catalog entries: which kind each group is, what a team, channel,
//! site and library inherit from the group behind it, and who is a person rather than a mailbox.
//!
//! Pure: no IO, so every rule here is tested on plain values.

use std::collections::{HashMap, HashSet};

use super::{GroupRead, PurposeRead, SiteRead, SiteToRead, Snapshot};
use crate::catalog::{Membership, ParentRef, Person, Principal, Resource};
use crate::domain::resource::ResourceKind;
use crate::graph::model::{
    Channel, ChannelMembershipType, ConversationMember, DirectoryObject, GroupKind, Site, User,
    UserPurpose,
};

/// The sites whose libraries are read: each group's team site, then every searched site that no
/// group led to. A site is read once, with the group it belongs to.
pub(super) fn sites_to_read(groups: &[GroupRead], searched: Vec<Site>) -> Vec<SiteToRead> {
    let mut seen = HashSet::new();
    let mut sites = Vec::new();
    for (at, group) in groups.iter().enumerate() {
        if let Some(site) = &group.site {
            if seen.insert(site.id.to_ascii_lowercase()) {
                sites.push(SiteToRead {
                    site: site.clone(),
                    group: Some(at),
                });
            }
        }
    }
    for site in searched {
        if seen.insert(site.id.to_ascii_lowercase()) {
            sites.push(SiteToRead { site, group: None });
        }
    }
    sites
}

/// The snapshot: every entry, sorted, and every person.
pub(super) fn snapshot(
    groups: &[GroupRead],
    sites: &[SiteRead],
    users: &[User],
    purposes: &[PurposeRead],
) -> Snapshot {
    let upns: HashMap<&str, &str> = users
        .iter()
        .filter_map(|user| Some((user.id.as_str(), user.user_principal_name.as_deref()?)))
        .collect();
    let mut resources = Vec::new();
    for read in groups {
        let owners = owner_principals(&read.owners);
        let entry = group_entry(read, owners);
        if read.group.has_team() {
            let mut team = entry.clone();
            team.kind = ResourceKind::Team;
            for (channel, members) in &read.channels {
                resources.push(channel_entry(&team, channel, members, &upns));
            }
            resources.push(team);
        }
        resources.push(entry);
    }
    for read in sites {
        let group = read.group.and_then(|at| groups.get(at));
        let site = site_entry(read, group);
        for drive in &read.drives {
            // OneDrives and other drive types are not libraries anyone requests.
            if drive
                .drive_type
                .as_deref()
                .is_none_or(|kind| kind == "documentLibrary")
            {
                let mut library = Resource::new(
                    ResourceKind::Library,
                    &drive.id,
                    drive.name.clone().unwrap_or_else(|| drive.id.clone()),
                );
                library.parent = Some(parent_of(&site));
                library.group_id = site.group_id.clone();
                library.owners = site.owners.clone();
                library.classification = site.classification.clone();
                library.role_assignable = site.role_assignable;
                library.web_url = drive.web_url.clone();
                resources.push(library);
            }
        }
        resources.push(site);
    }
    let mut not_people = HashSet::new();
    for read in purposes {
        match read.purpose {
            Some(UserPurpose::Shared) => {
                not_people.insert(read.user.id.as_str());
                resources.push(mailbox_entry(&read.user));
            }
            // A room's or a piece of equipment's mailbox: its delegates get Full Access to it
            // as to a shared one.
            Some(purpose @ (UserPurpose::Room | UserPurpose::Equipment)) => {
                not_people.insert(read.user.id.as_str());
                let mut entry = mailbox_entry(&read.user);
                entry.purpose = Some(
                    if purpose == UserPurpose::Room {
                        "room"
                    } else {
                        "equipment"
                    }
                    .to_owned(),
                );
                resources.push(entry);
            }
            _ => {}
        }
    }
    let mut people: Vec<Person> = users
        .iter()
        .filter(|user| !not_people.contains(user.id.as_str()))
        .filter_map(person)
        .collect();
    super::sort_entries(&mut resources);
    people.sort_by_cached_key(|person| person.upn.to_lowercase());
    Snapshot { resources, people }
}

/// A group as Graph lists it: a distribution list when Exchange holds its members (a
/// distribution list or a mail-enabled security group, which DESIGN governs as
/// `distribution_list` alone), otherwise a group (Microsoft 365 or security; dynamic ones too:
/// policy decides whether they can be requested). Its own id carries the grant.
fn group_entry(read: &GroupRead, owners: Vec<Principal>) -> Resource {
    let group = &read.group;
    let kind = match group.kind() {
        GroupKind::Distribution | GroupKind::MailEnabledSecurity => ResourceKind::DistributionList,
        _ => ResourceKind::Group,
    };
    let name = group
        .display_name
        .clone()
        .or_else(|| group.mail.clone())
        .unwrap_or_else(|| group.id.clone());
    let mut entry = Resource::new(kind, &group.id, name);
    entry.mail = group.mail.clone();
    entry.description = group.description.clone();
    entry.visibility = group.visibility.clone();
    entry.classification = group.classification.clone();
    entry.role_assignable = group.is_assignable_to_role.unwrap_or(false);
    entry.owners = owners;
    entry.group_id = Some(group.id.clone());
    entry.membership = membership_of(group);
    entry
}

/// Who changes the group's members.
fn membership_of(group: &crate::graph::model::Group) -> Membership {
    if group.has_dynamic_membership() {
        Membership::Dynamic
    } else if group.kind() == GroupKind::MailEnabledSecurity {
        Membership::Exchange
    } else {
        Membership::Assigned
    }
}

/// A private or shared channel: granted through its team, classified as the team is, owned by
/// its members with the owner role.
fn channel_entry(
    team: &Resource,
    channel: &Channel,
    members: &[ConversationMember],
    upns: &HashMap<&str, &str>,
) -> Resource {
    let name = channel
        .display_name
        .clone()
        .unwrap_or_else(|| channel.id.clone());
    let mut entry = Resource::new(ResourceKind::Channel, &channel.id, name);
    entry.description = channel.description.clone();
    entry.visibility = match channel.membership_type {
        Some(ChannelMembershipType::Shared) => Some("shared".to_owned()),
        _ => Some("private".to_owned()),
    };
    entry.classification = team.classification.clone();
    entry.role_assignable = team.role_assignable;
    entry.owners = members
        .iter()
        .filter(|member| member.is_owner())
        .filter_map(|member| {
            let id = member.user_id.clone()?;
            let upn = upns.get(id.as_str()).map(|upn| (*upn).to_owned());
            Some(Principal { id, upn })
        })
        .collect();
    sort_principals(&mut entry.owners);
    entry.parent = Some(parent_of(team));
    entry.group_id = Some(team.id.clone());
    entry.web_url = channel.web_url.clone();
    entry
}

/// A site: a group's team site inherits the group's owners, classification and visibility (its
/// permissions follow the group); a site without a group has no owners Graph can tell.
fn site_entry(read: &SiteRead, group: Option<&GroupRead>) -> Resource {
    let site = &read.site;
    let name = site
        .display_name
        .clone()
        .or_else(|| site.name.clone())
        .unwrap_or_else(|| site.id.clone());
    let mut entry = Resource::new(ResourceKind::Site, &site.id, &name);
    entry.description = site.description.clone();
    entry.web_url = site.web_url.clone();
    // People name a site by its URL too ("the Atlas site" for Project Atlas).
    if let Some(url_name) = &site.name {
        if !url_name.trim().is_empty() && !url_name.trim().eq_ignore_ascii_case(name.trim()) {
            entry.aliases.push(url_name.trim().to_owned());
        }
    }
    if let Some(group) = group {
        entry.group_id = Some(group.group.id.clone());
        entry.owners = owner_principals(&group.owners);
        entry.classification = group.group.classification.clone();
        entry.visibility = group.group.visibility.clone();
        entry.role_assignable = group.group.is_assignable_to_role.unwrap_or(false);
        entry.membership = membership_of(&group.group);
    }
    entry
}

fn mailbox_entry(user: &User) -> Resource {
    let name = user
        .display_name
        .clone()
        .or_else(|| user.mail.clone())
        .unwrap_or_else(|| user.id.clone());
    let mut entry = Resource::new(ResourceKind::Mailbox, &user.id, name);
    entry.mail = user.mail.clone();
    entry
}

fn person(user: &User) -> Option<Person> {
    let upn = user.user_principal_name.clone()?;
    Some(Person {
        id: user.id.clone(),
        display_name: user.display_name.clone().unwrap_or_else(|| upn.clone()),
        upn,
        mail: user.mail.clone(),
    })
}

/// The people among a group's owners; service principals and other objects cannot approve.
fn owner_principals(owners: &[DirectoryObject]) -> Vec<Principal> {
    let mut principals: Vec<Principal> = owners
        .iter()
        .filter_map(|owner| match owner {
            DirectoryObject::User(user) => Some(Principal {
                id: user.id.clone(),
                upn: user.user_principal_name.clone(),
            }),
            _ => None,
        })
        .collect();
    sort_principals(&mut principals);
    principals
}

fn sort_principals(principals: &mut [Principal]) {
    principals.sort_by(|left, right| (&left.upn, &left.id).cmp(&(&right.upn, &right.id)));
}

fn parent_of(entry: &Resource) -> ParentRef {
    ParentRef {
        kind: entry.kind,
        id: entry.id.clone(),
        name: entry.name.clone(),
    }
}

#[cfg(test)]
mod tests;
