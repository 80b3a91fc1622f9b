//! The rules that turn Graph's objects into catalog entries, on plain values.

use serde_json::{Value, json};

use super::{sites_to_read, snapshot};
use crate::catalog::sync::{GroupRead, PurposeRead, SiteRead, Snapshot};
use crate::catalog::{Membership, Principal, Resource};
use crate::domain::resource::ResourceKind;
use crate::graph::model::{Drive, Site, User, UserPurpose};

fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a valid Graph object")
}

fn owner(id: &str, upn: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.user", "id": id, "userPrincipalName": upn})
}

fn group(id: &str, name: &str, flags: Value) -> GroupRead {
    let mut object = json!({"id": id, "displayName": name});
    if let (Some(target), Some(source)) = (object.as_object_mut(), flags.as_object()) {
        target.extend(source.clone());
    }
    GroupRead {
        group: from(object),
        owners: Vec::new(),
        site: None,
        channels: Vec::new(),
    }
}

fn unified_team(id: &str, name: &str) -> GroupRead {
    let mut read = group(
        id,
        name,
        json!({"mailEnabled": true, "securityEnabled": false, "groupTypes": ["Unified"],
               "visibility": "Private", "classification": "Confidential",
               "resourceProvisioningOptions": ["Team"]}),
    );
    read.owners = vec![from(owner("u-david", "david@contoso.com"))];
    read
}

fn user(id: &str, upn: &str, enabled: bool) -> User {
    from(json!({"id": id, "userPrincipalName": upn, "displayName": upn, "accountEnabled": enabled}))
}

fn find<'s>(snapshot: &'s Snapshot, kind: ResourceKind, name: &str) -> &'s Resource {
    snapshot
        .resources
        .iter()
        .find(|entry| entry.kind == kind && entry.name == name)
        .unwrap_or_else(|| panic!("no {kind} named {name} in {:#?}", snapshot.resources))
}

#[test]
fn a_team_enabled_group_is_both_a_group_and_a_team_with_the_same_owners() {
    let groups = vec![unified_team("g-fin", "Finance")];
    let snapshot = snapshot(&groups, &[], &[], &[]);
    let group = find(&snapshot, ResourceKind::Group, "Finance");
    let team = find(&snapshot, ResourceKind::Team, "Finance");
    assert_eq!(group.id, team.id);
    assert_eq!(team.group_id.as_deref(), Some("g-fin"));
    assert_eq!(group.group_id.as_deref(), Some("g-fin"));
    assert_eq!(team.classification.as_deref(), Some("Confidential"));
    assert_eq!(team.visibility.as_deref(), Some("Private"));
    assert_eq!(
        team.owners,
        vec![Principal {
            id: "u-david".into(),
            upn: Some("david@contoso.com".into())
        }]
    );
    assert_eq!(group.owners, team.owners);
}

#[test]
fn exchange_distribution_lists_are_told_apart_from_mail_enabled_security_groups() {
    let groups = vec![
        group(
            "g-dl",
            "all-hands",
            json!({"mailEnabled": true, "securityEnabled": false, "groupTypes": [], "mail": "all-hands@contoso.com"}),
        ),
        group(
            "g-mes",
            "Badge Readers",
            json!({"mailEnabled": true, "securityEnabled": true, "groupTypes": []}),
        ),
        group(
            "g-sec",
            "VPN Users",
            json!({"mailEnabled": false, "securityEnabled": true, "groupTypes": [], "isAssignableToRole": true}),
        ),
        group(
            "g-dyn",
            "All Staff",
            json!({"mailEnabled": false, "securityEnabled": true, "groupTypes": ["DynamicMembership"]}),
        ),
    ];
    let snapshot = snapshot(&groups, &[], &[], &[]);
    let list = find(&snapshot, ResourceKind::DistributionList, "all-hands");
    assert_eq!(list.mail.as_deref(), Some("all-hands@contoso.com"));
    // Exchange holds a mail-enabled security group's members: DESIGN governs it as a list.
    let badge = find(&snapshot, ResourceKind::DistributionList, "Badge Readers");
    assert_eq!(badge.membership, Membership::Exchange);
    assert!(find(&snapshot, ResourceKind::Group, "VPN Users").role_assignable);
    find(&snapshot, ResourceKind::Group, "All Staff");
    assert!(
        !snapshot
            .resources
            .iter()
            .any(|entry| entry.kind == ResourceKind::Team),
        "no group here has a team"
    );
}

#[test]
fn private_and_shared_channels_are_owned_by_their_owner_members_and_belong_to_the_team() {
    let mut team = unified_team("g-mkt", "Marketing");
    let member = |user: &str, roles: Value| {
        from(json!({"id": format!("m-{user}"), "userId": user, "roles": roles}))
    };
    team.channels = vec![
        (
            from(
                json!({"id": "19:launch@thread.tacv2", "displayName": "Product Launch", "membershipType": "private"}),
            ),
            vec![
                member("u-maria", json!(["owner"])),
                member("u-tom", json!([])),
            ],
        ),
        (
            from(
                json!({"id": "19:suppliers@thread.tacv2", "displayName": "Suppliers", "membershipType": "shared"}),
            ),
            vec![member("u-ghost", json!(["owner"]))],
        ),
    ];
    let users = vec![
        user("u-maria", "maria@contoso.com", true),
        user("u-tom", "tom@contoso.com", true),
    ];
    let snapshot = snapshot(&[team], &[], &users, &[]);
    let launch = find(&snapshot, ResourceKind::Channel, "Product Launch");
    assert_eq!(launch.visibility.as_deref(), Some("private"));
    assert_eq!(launch.group_id.as_deref(), Some("g-mkt"));
    assert_eq!(launch.classification.as_deref(), Some("Confidential"));
    let parent = launch.parent.as_ref().expect("a parent");
    assert_eq!(
        (parent.kind, parent.name.as_str()),
        (ResourceKind::Team, "Marketing")
    );
    assert_eq!(
        launch.owners,
        vec![Principal {
            id: "u-maria".into(),
            upn: Some("maria@contoso.com".into())
        }]
    );
    let suppliers = find(&snapshot, ResourceKind::Channel, "Suppliers");
    assert_eq!(suppliers.visibility.as_deref(), Some("shared"));
    assert_eq!(
        suppliers.owners,
        vec![Principal {
            id: "u-ghost".into(),
            upn: None
        }],
        "an owner the user listing lacks is kept by id"
    );
}

#[test]
fn a_group_site_and_its_libraries_inherit_the_group_and_a_site_without_one_stands_alone() {
    let mut atlas = unified_team("g-atlas", "Project Atlas");
    let team_site: Site = from(json!({
        "id": "contoso.sharepoint.com,a,b", "displayName": "Project Atlas", "name": "Atlas",
        "webUrl": "https://contoso.sharepoint.com/sites/Atlas"
    }));
    atlas.site = Some(team_site.clone());
    let groups = vec![atlas];
    let intranet: Site = from(json!({
        "id": "contoso.sharepoint.com,c,d", "displayName": "Intranet", "name": "intranet"
    }));
    let searched = vec![team_site, intranet];
    let to_read = sites_to_read(&groups, searched);
    assert_eq!(to_read.len(), 2, "the team site is read once");
    let drives = |list: Value| -> Vec<Drive> { from(list) };
    let sites: Vec<SiteRead> = to_read
        .into_iter()
        .map(|site| SiteRead {
            drives: if site.group.is_some() {
                drives(json!([
                    {"id": "b!docs", "name": "Documents", "driveType": "documentLibrary"},
                    {"id": "b!personal", "name": "OneDrive", "driveType": "business"}
                ]))
            } else {
                drives(json!([{"id": "b!intra", "name": "Documents"}]))
            },
            site: site.site,
            group: site.group,
        })
        .collect();
    let snapshot = snapshot(&groups, &sites, &[], &[]);
    let site = find(&snapshot, ResourceKind::Site, "Project Atlas");
    assert_eq!(site.group_id.as_deref(), Some("g-atlas"));
    assert_eq!(site.aliases, vec!["Atlas".to_owned()]);
    assert_eq!(site.classification.as_deref(), Some("Confidential"));
    assert_eq!(site.owners.len(), 1);
    let intranet = find(&snapshot, ResourceKind::Site, "Intranet");
    assert!(
        intranet.aliases.is_empty(),
        "a URL name differing only in case is no alias"
    );
    assert!(intranet.owners.is_empty() && intranet.group_id.is_none());
    let libraries: Vec<&Resource> = snapshot
        .resources
        .iter()
        .filter(|entry| entry.kind == ResourceKind::Library)
        .collect();
    assert_eq!(libraries.len(), 2, "{libraries:#?}");
    let atlas_docs = libraries
        .iter()
        .find(|library| library.id == "b!docs")
        .expect("Atlas's Documents");
    assert_eq!(
        atlas_docs
            .parent
            .as_ref()
            .map(|parent| parent.name.as_str()),
        Some("Project Atlas")
    );
    assert_eq!(atlas_docs.group_id.as_deref(), Some("g-atlas"));
    assert_eq!(atlas_docs.owners, site.owners);
}

#[test]
fn shared_and_room_mailboxes_are_entries_and_everyone_else_is_a_person() {
    let users = vec![
        user("u-support", "support@contoso.com", false),
        user("u-liam", "liam@contoso.com", false),
        user("u-room", "boardroom@contoso.com", false),
        user("u-sarah", "sarah@contoso.com", true),
        user("u-nobox", "nobox@contoso.com", false),
    ];
    let read = |at: usize, purpose| PurposeRead {
        user: users[at].clone(),
        purpose,
    };
    let purposes = vec![
        read(0, Some(UserPurpose::Shared)),
        read(1, Some(UserPurpose::User)),
        read(2, Some(UserPurpose::Room)),
        read(4, None),
    ];
    let snapshot = snapshot(&[], &[], &users, &purposes);
    let mut mailboxes: Vec<(&str, Option<&str>)> = snapshot
        .resources
        .iter()
        .filter(|entry| entry.kind == ResourceKind::Mailbox)
        .map(|entry| (entry.id.as_str(), entry.purpose.as_deref()))
        .collect();
    mailboxes.sort_unstable();
    assert_eq!(
        mailboxes,
        vec![("u-room", Some("room")), ("u-support", None)]
    );
    let people: Vec<&str> = snapshot
        .people
        .iter()
        .map(|person| person.upn.as_str())
        .collect();
    assert_eq!(
        people,
        vec!["liam@contoso.com", "nobox@contoso.com", "sarah@contoso.com"]
    );
}

#[test]
fn entries_come_out_in_the_same_order_whatever_order_graph_listed_them_in() {
    let forwards = vec![
        unified_team("g-2", "Beta"),
        unified_team("g-1", "alpha"),
        group(
            "g-3",
            "Alpha",
            json!({"mailEnabled": false, "securityEnabled": true, "groupTypes": []}),
        ),
    ];
    let backwards = vec![
        group(
            "g-3",
            "Alpha",
            json!({"mailEnabled": false, "securityEnabled": true, "groupTypes": []}),
        ),
        unified_team("g-1", "alpha"),
        unified_team("g-2", "Beta"),
    ];
    let first = snapshot(&forwards, &[], &[], &[]);
    let second = snapshot(&backwards, &[], &[], &[]);
    assert_eq!(first, second);
    let names: Vec<(ResourceKind, &str)> = first
        .resources
        .iter()
        .map(|entry| (entry.kind, entry.name.as_str()))
        .collect();
    assert_eq!(
        names,
        vec![
            (ResourceKind::Group, "alpha"),
            (ResourceKind::Group, "Alpha"),
            (ResourceKind::Group, "Beta"),
            (ResourceKind::Team, "alpha"),
            (ResourceKind::Team, "Beta"),
        ]
    );
}
