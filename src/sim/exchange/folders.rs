//! Calendar folder permissions (`Get-`/`Add-`/`Set-`/`Remove-MailboxFolderPermission` on
//! `mailbox:\Calendar`): the same permissions Graph serves as the calendar's
//! `calendarPermissions`, so a share made through either shows in both.
//!
//! Roles map one to one: `AvailabilityOnly` is `freeBusyRead`, `LimitedDetails` `limitedRead`,
//! `Reviewer` `read`, `Editor` `write` (`delegateWith[out]PrivateEventAccess` with
//! `SharingPermissionFlags`), `None` `none`. Exchange's `Default` user is Graph's "My
//! Organization" entry. An admin or the mailbox's own user may change them; apps may read them.
//! The simulator holds no other folder.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::answer::{Exception, ExoError};
use super::recipients::{mailbox, person};
use super::run::{Outcome, Run};
use crate::sim::directory::{User, strings_of};

/// Exchange folder roles and the Graph calendar roles they are.
const ROLES: &[(&str, &str)] = &[
    ("None", "none"),
    ("AvailabilityOnly", "freeBusyRead"),
    ("LimitedDetails", "limitedRead"),
    ("Reviewer", "read"),
    ("Editor", "write"),
];

/// Every role and right `AccessRights` binds to in Exchange.
const KNOWN_RIGHTS: &[&str] = &[
    "None",
    "Owner",
    "PublishingEditor",
    "Editor",
    "PublishingAuthor",
    "Author",
    "NonEditingAuthor",
    "Reviewer",
    "Contributor",
    "AvailabilityOnly",
    "LimitedDetails",
    "CreateItems",
    "CreateSubfolders",
    "DeleteAllItems",
    "DeleteOwnedItems",
    "EditAllItems",
    "EditOwnedItems",
    "FolderContact",
    "FolderOwner",
    "FolderVisible",
    "ReadItems",
];

const DEFAULT_USER: &str = "Default";
const ANONYMOUS_USER: &str = "Anonymous";

/// The mailbox and folder an `Identity` of the form `mailbox:\Calendar` names.
fn calendar_owner<'d>(run: &'d Run<'_>) -> Result<&'d User, ExoError> {
    let identity = run.text("Identity");
    let Some((owner, folder)) = identity.split_once(":\\") else {
        return Err(not_calendar(identity));
    };
    if !folder.trim_matches('\\').eq_ignore_ascii_case("Calendar") {
        return Err(not_calendar(identity));
    }
    mailbox(run.dir, owner)
}

fn not_calendar(identity: &str) -> ExoError {
    ExoError::cmdlet(
        Exception::NotSupported,
        format!("'{identity}' is not a calendar: the simulator holds folder permissions of mailbox:\\Calendar only."),
    )
    .about("Identity")
}

/// Whom a `User` parameter names: the Default entry, or a person.
enum FolderUser {
    Default,
    Person {
        addresses: Vec<String>,
        name: String,
        primary: String,
    },
}

fn folder_user(run: &Run<'_>, given: &str) -> Result<FolderUser, ExoError> {
    if given.eq_ignore_ascii_case(DEFAULT_USER) {
        return Ok(FolderUser::Default);
    }
    if given.eq_ignore_ascii_case(ANONYMOUS_USER) {
        return Err(ExoError::cmdlet(
            Exception::NotSupported,
            "The simulator holds no anonymous calendar access: the Anonymous entry is always None.",
        )
        .about("User"));
    }
    let user = person(run.dir, given, "User")?;
    let mut addresses = vec![user.upn.clone(), user.primary_smtp().to_owned()];
    for proxy in strings_of(user.props.get("proxyAddresses")) {
        if let Some((_, address)) = proxy.split_once(':') {
            addresses.push(address.to_owned());
        }
    }
    Ok(FolderUser::Person {
        addresses,
        name: user.exchange_name().to_owned(),
        primary: user.primary_smtp().to_owned(),
    })
}

impl FolderUser {
    fn name(&self) -> &str {
        match self {
            FolderUser::Default => DEFAULT_USER,
            FolderUser::Person { name, .. } => name,
        }
    }

    /// Whether Graph's permission object `permission` is this user's entry.
    fn is(&self, permission: &Value) -> bool {
        match self {
            FolderUser::Default => permission["isRemovable"] == false,
            FolderUser::Person { addresses, .. } => permission
                .pointer("/emailAddress/address")
                .and_then(Value::as_str)
                .is_some_and(|held| addresses.iter().any(|a| a.eq_ignore_ascii_case(held))),
        }
    }
}

/// The Graph role `AccessRights` (and `SharingPermissionFlags`) ask for.
fn graph_role(run: &Run<'_>) -> Result<&'static str, ExoError> {
    let rights = run.params.texts("AccessRights");
    let [right] = rights.as_slice() else {
        return Err(ExoError::cmdlet(
            Exception::NotSupported,
            "The simulator holds one calendar role per user: give AccessRights a single role.",
        )
        .about("AccessRights"));
    };
    if !KNOWN_RIGHTS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(right))
    {
        return Err(ExoError::binding(
            "AccessRights",
            format!(
                "Cannot bind parameter 'AccessRights'. Cannot convert value \"{right}\" to type \"Microsoft.Exchange.Management.StoreTasks.MailboxFolderAccessRight\"."
            ),
        ));
    }
    let Some((_, role)) = ROLES
        .iter()
        .find(|(exchange, _)| exchange.eq_ignore_ascii_case(right))
    else {
        return Err(ExoError::cmdlet(
            Exception::NotSupported,
            format!("The simulator holds the calendar roles None, AvailabilityOnly, LimitedDetails, Reviewer and Editor, not {right}."),
        )
        .about("AccessRights"));
    };
    let flags = run.params.text("SharingPermissionFlags").unwrap_or("None");
    let flags: Vec<String> = flags
        .split(',')
        .map(|flag| flag.trim().to_ascii_lowercase())
        .collect();
    let delegate = flags.iter().any(|flag| flag == "delegate");
    let private = flags.iter().any(|flag| flag == "canviewprivateitems");
    match (*role, delegate, private) {
        (_, false, false) => Ok(role),
        ("write", true, false) => Ok("delegateWithoutPrivateEventAccess"),
        ("write", true, true) => Ok("delegateWithPrivateEventAccess"),
        _ => Err(ExoError::binding(
            "SharingPermissionFlags",
            "SharingPermissionFlags applies only to calendar folders with AccessRights Editor, as Delegate or Delegate, CanViewPrivateItems.",
        )),
    }
}

/// Graph's permission as `Get-MailboxFolderPermission` shows it.
fn folder_entry(identity: &str, user: &str, role: &str) -> Value {
    let (rights, flags) = match role {
        "delegateWithoutPrivateEventAccess" => ("Editor", Value::from("Delegate")),
        "delegateWithPrivateEventAccess" => {
            ("Editor", Value::from("Delegate, CanViewPrivateItems"))
        }
        other => (
            ROLES
                .iter()
                .find(|(_, graph)| *graph == other)
                .map_or("None", |(exchange, _)| exchange),
            Value::Null,
        ),
    };
    json!({
        "Identity": identity,
        "FolderName": "Calendar",
        "User": user,
        "AccessRights": [rights],
        "SharingPermissionFlags": flags,
        "IsValid": true,
    })
}

fn entry_user(run: &Run<'_>, permission: &Value) -> String {
    if permission["isRemovable"] == false {
        return DEFAULT_USER.to_owned();
    }
    let address = permission
        .pointer("/emailAddress/address")
        .and_then(Value::as_str)
        .unwrap_or_default();
    run.dir
        .user_by_address(address)
        .map(|user| user.exchange_name().to_owned())
        .or_else(|| {
            permission
                .pointer("/emailAddress/name")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| address.to_owned())
}

pub fn get(run: &mut Run<'_>) -> Outcome {
    let owner = calendar_owner(run)?;
    run.require_reader(run.text("Identity"), run.is_self(&owner.id))?;
    let identity = format!("{}:\\Calendar", owner.primary_smtp());
    let wanted = match run.params.text("User") {
        Some(given) => Some(folder_user(run, given)?),
        None => None,
    };
    let mut entries: Vec<Value> = owner
        .calendar_permissions
        .iter()
        .filter(|permission| wanted.as_ref().is_none_or(|user| user.is(permission)))
        .map(|permission| {
            let role = permission["role"].as_str().unwrap_or("none");
            folder_entry(&identity, &entry_user(run, permission), role)
        })
        .collect();
    if wanted.is_none() {
        entries.push(folder_entry(&identity, ANONYMOUS_USER, "none"));
    }
    Ok(run.sized(entries))
}

/// The calendar owner's id after the caller's check, and whom `User` names.
fn target(run: &Run<'_>) -> Result<(String, FolderUser), ExoError> {
    let owner = calendar_owner(run)?;
    run.require_writer(run.text("Identity"), run.is_self(&owner.id))?;
    let user = folder_user(run, run.text("User"))?;
    Ok((owner.id.clone(), user))
}

fn missing(user: &FolderUser) -> ExoError {
    ExoError::cmdlet(
        Exception::UserNotFoundInPermissionEntry,
        format!(
            "There is no existing permission entry found for user: {}.",
            user.name()
        ),
    )
}

pub fn add(run: &mut Run<'_>) -> Outcome {
    let (owner_id, user) = target(run)?;
    let role = graph_role(run)?;
    let identity = run.text("Identity").to_owned();
    let Some(owner) = run.dir.user_mut(&owner_id) else {
        return Err(ExoError::not_found(&identity));
    };
    let FolderUser::Person { name, primary, .. } = &user else {
        return Err(ExoError::cmdlet(
            Exception::UserAlreadyExistsInPermissionEntry,
            "An existing permission entry was found for user: Default.",
        ));
    };
    if owner
        .calendar_permissions
        .iter()
        .any(|permission| user.is(permission))
    {
        return Err(ExoError::cmdlet(
            Exception::UserAlreadyExistsInPermissionEntry,
            format!("An existing permission entry was found for user: {name}."),
        ));
    }
    // The id Graph gives the same share, so Graph and Exchange agree on it.
    let id = STANDARD.encode(format!(
        "ExchangePublishedUser.{}",
        primary.to_ascii_lowercase()
    ));
    owner.calendar_permissions.push(json!({
        "id": id,
        "emailAddress": {"name": name, "address": primary},
        "isRemovable": true,
        "isInsideOrganization": true,
        "role": role,
        "allowedRoles": ["freeBusyRead", "limitedRead", "read", "write"],
    }));
    let shown = format!("{}:\\Calendar", owner.primary_smtp());
    Ok(vec![folder_entry(&shown, name, role)])
}

pub fn set(run: &mut Run<'_>) -> Outcome {
    let (owner_id, user) = target(run)?;
    let role = graph_role(run)?;
    let Some(owner) = run.dir.user_mut(&owner_id) else {
        return Err(missing(&user));
    };
    let permission = owner
        .calendar_permissions
        .iter_mut()
        .find(|permission| user.is(permission))
        .ok_or_else(|| missing(&user))?;
    let allowed = permission
        .get("allowedRoles")
        .map(|roles| strings_of(Some(roles)));
    if allowed.is_some_and(|roles| !roles.iter().any(|allowed| allowed == role)) && role != "none" {
        return Err(ExoError::cmdlet(
            Exception::InvalidOperation,
            format!(
                "The calendar role '{role}' can't be given to {}.",
                user.name()
            ),
        ));
    }
    permission["role"] = json!(role);
    Ok(Vec::new())
}

pub fn remove(run: &mut Run<'_>) -> Outcome {
    let (owner_id, user) = target(run)?;
    if matches!(user, FolderUser::Default) {
        return Err(ExoError::cmdlet(
            Exception::InvalidOperation,
            "The Default permission entry can't be removed: set its AccessRights to None instead.",
        ));
    }
    let Some(owner) = run.dir.user_mut(&owner_id) else {
        return Err(missing(&user));
    };
    let before = owner.calendar_permissions.len();
    owner
        .calendar_permissions
        .retain(|permission| !user.is(permission));
    if owner.calendar_permissions.len() == before {
        return Err(missing(&user));
    }
    Ok(Vec::new())
}
