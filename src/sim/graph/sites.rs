//! SharePoint sites, document libraries and OneDrives: lookup, search, and sharing a library's
//! root folder by invitation (graph-operations.md section 4).
//!
//! A group-connected site's permissions follow its group: owners are site owners, members edit.
//! Read access for anyone else is an explicit permission created by `invite`.

use serde_json::{Value, json};

use super::call::{Call, GraphErr, Outcome, Reply, Service};
use super::collection::Listing;
use super::views::Shape;
use crate::sim::directory::{Drive, DriveGrant, DriveHome, Site, User, stable_id};
use crate::sim::roles::Right;

const READ_SITES: &[&str] = &[
    "Sites.Read.All",
    "Sites.ReadWrite.All",
    "Sites.Manage.All",
    "Sites.FullControl.All",
];
const READ_FILES: &[&str] = &[
    "Files.Read",
    "Files.Read.All",
    "Files.ReadWrite",
    "Files.ReadWrite.All",
    "Sites.Read.All",
    "Sites.ReadWrite.All",
    "Sites.Manage.All",
    "Sites.FullControl.All",
];
const SHARE_FILES: &[&str] = &[
    "Files.ReadWrite",
    "Files.ReadWrite.All",
    "Sites.ReadWrite.All",
    "Sites.Manage.All",
    "Sites.FullControl.All",
];
/// `Files.*` without `.All` reaches only the caller's own OneDrive.
const OWN_FILES_ONLY: &[&str] = &["Files.Read", "Files.ReadWrite"];

fn site_object(site: &Site) -> Value {
    let mut object = site.props.clone();
    if let Some(host) = site.id.split(',').next() {
        object
            .entry("siteCollection")
            .or_insert(json!({"hostname": host}));
    }
    Value::Object(object)
}

fn drive_object(call: &Call<'_>, home: DriveHome<'_>, drive: &Drive) -> Value {
    let mut object = drive.props.clone();
    match home {
        DriveHome::Site(site) => {
            object
                .entry("driveType")
                .or_insert(json!("documentLibrary"));
            let name = drive
                .props
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("Documents")
                .replace(' ', "%20");
            let base = site
                .props
                .get("webUrl")
                .and_then(Value::as_str)
                .unwrap_or_default();
            object
                .entry("webUrl")
                .or_insert(json!(format!("{base}/{name}")));
        }
        DriveHome::Person(user) => {
            object.insert("owner".into(), json!({"user": identity(user)}));
            let alias = user.upn.replace(['@', '.'], "_");
            object.insert(
                "webUrl".into(),
                json!(format!(
                    "https://{}-my.sharepoint.com/personal/{alias}/Documents",
                    tenant_prefix(call)
                )),
            );
        }
    }
    Value::Object(object)
}

fn tenant_prefix(call: &Call<'_>) -> String {
    call.dir
        .tenant
        .domain
        .split('.')
        .next()
        .unwrap_or("tenant")
        .to_owned()
}

fn identity(user: &User) -> Value {
    json!({
        "id": user.id,
        "displayName": user.props.get("displayName").cloned().unwrap_or(Value::Null),
        "email": user.props.get("mail").cloned().unwrap_or(Value::Null),
    })
}

fn site<'d>(call: &'d Call<'_>, id: &str) -> Result<&'d Site, GraphErr> {
    call.dir
        .site(id)
        .ok_or_else(|| GraphErr::not_found(Service::SharePoint, id))
}

pub fn get(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_SITES)?;
    let object = site_object(site(call, call.param("site"))?);
    call.entity(object, Shape::Plain)
}

/// `GET /sites/{hostname}:/sites/{name}`: a site by its server-relative path.
pub fn by_path(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_SITES)?;
    let collection = if call.path.to_ascii_lowercase().contains(":/teams/") {
        "teams"
    } else {
        "sites"
    };
    let url = format!(
        "https://{}/{collection}/{}",
        call.param("hostname"),
        call.param("name")
    );
    let found = call.dir.sites.iter().find(|site| {
        site.props
            .get("webUrl")
            .and_then(Value::as_str)
            .is_some_and(|web| web.trim_end_matches('/').eq_ignore_ascii_case(&url))
    });
    match found {
        Some(site) => call.entity(site_object(site), Shape::Plain),
        None => Err(GraphErr::not_found(Service::SharePoint, &url)),
    }
}

/// `GET /sites?search=`: keyword search over names and descriptions; `*` lists every site.
pub fn search(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_SITES)?;
    let text = call
        .query
        .other_parameters()
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("search"))
        .map(|(_, value)| value.trim().to_ascii_lowercase())
        .ok_or_else(|| {
            GraphErr::bad_request(
                "invalidRequest",
                "Listing sites needs a search parameter: /sites?search={query}.",
            )
        })?;
    let words: Vec<&str> = text
        .split_whitespace()
        .filter(|word| *word != "*")
        .collect();
    let found: Vec<Value> = call
        .dir
        .sites
        .iter()
        .filter(|site| {
            let haystack = ["displayName", "name", "description", "webUrl"]
                .iter()
                .filter_map(|key| site.props.get(*key).and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase();
            words.iter().all(|word| haystack.contains(word))
        })
        .map(site_object)
        .collect();
    call.list(found, Listing::SERVICE, Shape::Plain)
}

pub fn group_root_site(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_SITES)?;
    let group = call.param("group");
    match call.dir.sites.iter().find(|site| {
        site.group_id
            .as_deref()
            .is_some_and(|id| id.eq_ignore_ascii_case(group))
    }) {
        Some(site) => call.entity(site_object(site), Shape::Plain),
        None => Err(GraphErr::not_found(Service::SharePoint, group)),
    }
}

pub fn group_drive(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_FILES)?;
    let group = call.param("group");
    let site = call
        .dir
        .sites
        .iter()
        .find(|site| {
            site.group_id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case(group))
        })
        .ok_or_else(|| GraphErr::not_found(Service::SharePoint, group))?;
    let drive =
        default_drive_of(site).ok_or_else(|| GraphErr::not_found(Service::SharePoint, group))?;
    let object = drive_object(call, DriveHome::Site(site), drive);
    call.entity(object, Shape::Plain)
}

/// A site's default library: the one named Documents, else the first.
fn default_drive_of(site: &Site) -> Option<&Drive> {
    site.drives
        .iter()
        .find(|drive| drive.props.get("name").and_then(Value::as_str) == Some("Documents"))
        .or_else(|| site.drives.first())
}

pub fn drives(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_FILES)?;
    let site = site(call, call.param("site"))?;
    let drives: Vec<Value> = site
        .drives
        .iter()
        .map(|drive| drive_object(call, DriveHome::Site(site), drive))
        .collect();
    call.list(drives, Listing::SERVICE, Shape::Plain)
}

pub fn default_drive(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_FILES)?;
    let site = site(call, call.param("site"))?;
    let drive =
        default_drive_of(site).ok_or_else(|| GraphErr::not_found(Service::SharePoint, &site.id))?;
    let object = drive_object(call, DriveHome::Site(site), drive);
    call.entity(object, Shape::Plain)
}

/// The caller's OneDrive.
fn my_drive_of<'d>(call: &'d Call<'_>) -> Result<(&'d User, &'d Drive), GraphErr> {
    let user = call.target_user()?;
    let drive = user
        .drive
        .as_ref()
        .ok_or_else(|| GraphErr::not_found(Service::SharePoint, "drive"))?;
    Ok((user, drive))
}

pub fn my_drive(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_FILES)?;
    let (user, drive) = my_drive_of(call)?;
    let object = drive_object(call, DriveHome::Person(user), drive);
    call.entity(object, Shape::Plain)
}

pub fn my_drives(call: &mut Call<'_>) -> Outcome {
    call.require_scope(Service::SharePoint, READ_FILES)?;
    let (user, drive) = my_drive_of(call)?;
    let drives = vec![drive_object(call, DriveHome::Person(user), drive)];
    call.list(drives, Listing::SERVICE, Shape::Plain)
}

/// The drive a route names (`/drives/{drive}` or the caller's `/me/drive`), checking scope reach.
fn addressed_drive<'d>(
    call: &'d Call<'_>,
    accepted: &[&str],
) -> Result<(DriveHome<'d>, &'d Drive), GraphErr> {
    call.require_scope(Service::SharePoint, accepted)?;
    let (home, drive) = if call.path.to_ascii_lowercase().starts_with("/me/") {
        let (user, drive) = my_drive_of(call)?;
        (DriveHome::Person(user), drive)
    } else {
        let id = call.param("drive");
        call.dir
            .drive(id)
            .ok_or_else(|| GraphErr::not_found(Service::SharePoint, id))?
    };
    let own = matches!(home, DriveHome::Person(user) if call.caller_id() == Some(user.id.as_str()));
    let only_own_files = !call.has_scope(
        &accepted
            .iter()
            .copied()
            .filter(|scope| !OWN_FILES_ONLY.contains(scope))
            .collect::<Vec<_>>(),
    );
    if only_own_files && !own {
        return Err(GraphErr::forbidden(Service::SharePoint));
    }
    Ok((home, drive))
}

/// The drive's root folder; only the root is addressable in the simulator.
fn addressed_item(call: &Call<'_>, drive: &Drive) -> Result<(), GraphErr> {
    let item = call.param("item");
    if item.is_empty() || item.eq_ignore_ascii_case("root") || item == drive.root_id() {
        Ok(())
    } else {
        Err(GraphErr::not_found(Service::SharePoint, item))
    }
}

fn root_object(call: &Call<'_>, home: DriveHome<'_>, drive: &Drive) -> Value {
    let web_url = drive_object(call, home, drive)
        .get("webUrl")
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "id": drive.root_id(),
        "name": "root",
        "root": {},
        "folder": {"childCount": 0},
        "webUrl": web_url,
        "size": 0,
        "parentReference": {"driveId": drive.id, "driveType": drive_object(call, home, drive).get("driveType").cloned().unwrap_or(Value::Null)},
    })
}

pub fn drive(call: &mut Call<'_>) -> Outcome {
    let (home, drive) = addressed_drive(call, READ_FILES)?;
    let object = drive_object(call, home, drive);
    call.entity(object, Shape::Plain)
}

pub fn root(call: &mut Call<'_>) -> Outcome {
    let (home, drive) = addressed_drive(call, READ_FILES)?;
    let object = root_object(call, home, drive);
    call.entity(object, Shape::Plain)
}

pub fn item(call: &mut Call<'_>) -> Outcome {
    let (home, drive) = addressed_drive(call, READ_FILES)?;
    addressed_item(call, drive)?;
    let object = root_object(call, home, drive);
    call.entity(object, Shape::Plain)
}

fn grant_object(call: &Call<'_>, grant: &DriveGrant) -> Value {
    let user = call.dir.user(&grant.user_id);
    let who = user
        .map(identity)
        .unwrap_or_else(|| json!({"id": grant.user_id}));
    let email = user
        .and_then(|user| user.props.get("mail").cloned())
        .unwrap_or(Value::Null);
    json!({
        "id": grant.permission_id,
        "roles": [grant.role],
        "grantedTo": {"user": who},
        "grantedToV2": {"user": who},
        "invitation": {"email": email, "signInRequired": true},
        "hasPassword": false,
    })
}

/// Every permission on the drive's root: inherited from the site's group, plus invitations.
fn permissions_of(call: &Call<'_>, home: DriveHome<'_>, drive: &Drive) -> Vec<Value> {
    let mut permissions = Vec::new();
    match home {
        DriveHome::Site(site) => {
            let name = site
                .props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or("Site");
            if site.group_id.is_some() {
                for (number, (suffix, role)) in [
                    ("Owners", "owner"),
                    ("Members", "write"),
                    ("Visitors", "read"),
                ]
                .iter()
                .enumerate()
                {
                    let group_name = format!("{name} {suffix}");
                    permissions.push(json!({
                        "id": stable_id("siteGroup", &format!("{}{group_name}", site.id)),
                        "roles": [role],
                        "grantedToV2": {"siteGroup": {"id": (number + 3).to_string(), "displayName": group_name, "loginName": group_name}},
                    }));
                }
            }
        }
        DriveHome::Person(user) => permissions.push(json!({
            "id": stable_id("driveOwner", &drive.id),
            "roles": ["owner"],
            "grantedTo": {"user": identity(user)},
            "grantedToV2": {"user": identity(user)},
        })),
    }
    permissions.extend(
        drive
            .grants
            .iter()
            .filter(|grant| grant.visible_at <= call.now)
            .map(|grant| grant_object(call, grant)),
    );
    permissions
}

pub fn permissions(call: &mut Call<'_>) -> Outcome {
    let (home, drive) = addressed_drive(call, READ_FILES)?;
    addressed_item(call, drive)?;
    let permissions = permissions_of(call, home, drive);
    call.list(permissions, Listing::SERVICE, Shape::Plain)
}

/// Whether the caller may share this drive: site owners and members (SharePoint's default),
/// the OneDrive's owner, or a SharePoint administrator.
fn may_share(call: &Call<'_>, home: DriveHome<'_>) -> bool {
    let Some(caller) = call.caller_id() else {
        return false;
    };
    if call.caller_has(Right::ManageSites) {
        return true;
    }
    match home {
        DriveHome::Person(user) => user.id == caller,
        DriveHome::Site(site) => site
            .group_id
            .as_deref()
            .and_then(|id| call.dir.group(id))
            .is_some_and(|group| group.has_owner(caller) || group.has_member(caller)),
    }
}

fn may_manage_permissions(call: &Call<'_>, home: DriveHome<'_>) -> bool {
    let Some(caller) = call.caller_id() else {
        return false;
    };
    call.caller_has(Right::ManageSites)
        || match home {
            DriveHome::Person(user) => user.id == caller,
            DriveHome::Site(site) => site
                .group_id
                .as_deref()
                .and_then(|id| call.dir.group(id))
                .is_some_and(|group| group.has_owner(caller)),
        }
}

/// `POST .../invite`: grants `read` or `write` on the library's root to people of the tenant.
pub fn invite(call: &mut Call<'_>) -> Outcome {
    call.require_delegated_write(Service::SharePoint, SHARE_FILES)?;
    let (home, drive) = addressed_drive(call, SHARE_FILES)?;
    addressed_item(call, drive)?;
    if !may_share(call, home) {
        return Err(GraphErr::forbidden(Service::SharePoint));
    }
    let body = call.body_object()?;
    let role = sharing_role(body)?;
    let recipients = body
        .get("recipients")
        .and_then(Value::as_array)
        .filter(|list| !list.is_empty());
    let Some(recipients) = recipients else {
        return Err(GraphErr::bad_request(
            "invalidRequest",
            "At least one recipient is required.",
        ));
    };
    let mut user_ids = Vec::new();
    for recipient in recipients {
        let key = recipient
            .get("email")
            .or_else(|| recipient.get("objectId"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let user = call.dir.user_by_address(key).ok_or_else(|| {
            GraphErr::bad_request(
                "invalidRequest",
                format!(
                    "The recipient '{key}' is not in this organization and external sharing is off."
                ),
            )
        })?;
        user_ids.push(user.id.clone());
    }
    let drive_id = drive.id.clone();
    let visible_at = call.now + call.lag;
    let mut granted = Vec::new();
    if let Some(drive) = call.dir.drive_mut(&drive_id) {
        for user_id in user_ids {
            let index = match drive
                .grants
                .iter()
                .position(|grant| grant.user_id == user_id)
            {
                // Inviting again is idempotent; a new role replaces the old one.
                Some(index) => {
                    drive.grants[index].role.clone_from(&role);
                    index
                }
                None => {
                    drive.grants.push(DriveGrant {
                        permission_id: uuid::Uuid::new_v4().to_string().to_ascii_uppercase(),
                        user_id,
                        role: role.clone(),
                        visible_at,
                    });
                    drive.grants.len() - 1
                }
            };
            granted.push(drive.grants[index].clone());
        }
    }
    let value: Vec<Value> = granted
        .iter()
        .map(|grant| grant_object(call, grant))
        .collect();
    Ok(Reply::ok(json!({"value": value})))
}

/// The one role, `read` or `write`, a sharing body's `roles` holds.
fn sharing_role(body: &serde_json::Map<String, Value>) -> Result<String, GraphErr> {
    match body
        .get("roles")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([role]) if matches!(role.as_str(), Some("read" | "write")) => {
            Ok(role.as_str().unwrap_or("read").to_owned())
        }
        _ => Err(GraphErr::bad_request(
            "invalidRequest",
            "roles must hold exactly one of 'read' or 'write'.",
        )),
    }
}

/// The drive and permission a change of a direct sharing permission addresses, once the caller
/// may make it. An inherited permission is changed where it is granted (400), an unknown one is
/// 404. `done` says what cannot be done to an inherited one ("removed from", "changed on").
fn direct_permission(call: &Call<'_>, done: &str) -> Result<(String, String), GraphErr> {
    let (home, drive) = addressed_drive(call, SHARE_FILES)?;
    addressed_item(call, drive)?;
    let permission = call.param("permission").to_owned();
    if !drive
        .grants
        .iter()
        .any(|grant| grant.permission_id.eq_ignore_ascii_case(&permission))
    {
        let inherited = permissions_of(call, home, drive)
            .iter()
            .any(|p| p["id"] == permission.as_str());
        return Err(if inherited {
            GraphErr::bad_request(
                "invalidRequest",
                format!("Inherited permissions cannot be {done} this item."),
            )
        } else {
            GraphErr::not_found(Service::SharePoint, &permission)
        });
    }
    if !may_manage_permissions(call, home) {
        return Err(GraphErr::forbidden(Service::SharePoint));
    }
    Ok((drive.id.clone(), permission))
}

/// `PATCH .../permissions/{permission}`: the role a direct sharing permission grants, `read` or
/// `write`. Inherited permissions are changed where they are granted, not here.
pub fn update_permission(call: &mut Call<'_>) -> Outcome {
    call.require_delegated_write(Service::SharePoint, SHARE_FILES)?;
    let body = call.body_object()?;
    let role = sharing_role(body)?;
    let (drive_id, permission) = direct_permission(call, "changed on")?;
    let mut updated = None;
    if let Some(drive) = call.dir.drive_mut(&drive_id) {
        if let Some(grant) = drive
            .grants
            .iter_mut()
            .find(|grant| grant.permission_id.eq_ignore_ascii_case(&permission))
        {
            grant.role = role;
            updated = Some(grant.clone());
        }
    }
    let grant = updated.ok_or_else(|| GraphErr::not_found(Service::SharePoint, &permission))?;
    Ok(Reply::ok(grant_object(call, &grant)))
}

pub fn delete_permission(call: &mut Call<'_>) -> Outcome {
    call.require_delegated_write(Service::SharePoint, SHARE_FILES)?;
    let (drive_id, permission) = direct_permission(call, "removed from")?;
    if let Some(drive) = call.dir.drive_mut(&drive_id) {
        drive
            .grants
            .retain(|grant| !grant.permission_id.eq_ignore_ascii_case(&permission));
    }
    Ok(Reply::no_content())
}
