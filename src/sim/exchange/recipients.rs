//! Recipients as Exchange sees the directory: finding one by any identity Exchange accepts (name,
//! SMTP address, user principal name, alias, object id), the objects `Get-Recipient` answers,
//! and `Get-AcceptedDomain`.
//!
//! Exchange names recipients by their `Name`, here the display name: that is what `ManagedBy`
//! and `GrantSendOnBehalfTo` list, so a client resolves them with `Get-Recipient`.

use serde_json::{Map, Value, json};

use super::answer::{Exception, ExoError};
use super::run::{Outcome, Run};
use crate::sim::directory::{Directory, Group, GroupKind, User};

/// A mail-enabled object of the directory.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'d> {
    /// A person's mailbox, a shared mailbox, or a guest (a mail user).
    User(&'d User),
    /// A distribution list, mail-enabled security group or Microsoft 365 group.
    Group(&'d Group),
}

impl Recipient<'_> {
    pub fn id(&self) -> &str {
        match self {
            Recipient::User(user) => &user.id,
            Recipient::Group(group) => &group.id,
        }
    }

    pub fn object(&self) -> Map<String, Value> {
        match self {
            Recipient::User(user) => user_recipient(user),
            Recipient::Group(group) => group_recipient(group),
        }
    }
}

/// Finds the recipient `identity` names, as Exchange's identity parameters do.
pub fn find<'d>(dir: &'d Directory, identity: &str) -> Result<Recipient<'d>, ExoError> {
    let wanted = identity.trim();
    let address = wanted
        .split_once(':')
        .filter(|(prefix, _)| prefix.eq_ignore_ascii_case("smtp"))
        .map_or(wanted, |(_, address)| address);
    // An object id or a user principal name names one object: Exchange keeps identities and
    // addresses unique across the tenant, so nothing else can answer to it.
    if let Some(user) = dir.user(wanted).or_else(|| dir.user(address)) {
        return Ok(Recipient::User(user));
    }
    if let Some(group) = dir.group(wanted).filter(|group| is_mail_enabled(group)) {
        return Ok(Recipient::Group(group));
    }
    let mut found: Vec<Recipient<'d>> = dir
        .users
        .iter()
        .filter(|user| {
            user.id.eq_ignore_ascii_case(wanted)
                || user.upn.eq_ignore_ascii_case(address)
                || names(&user.props, address, wanted)
        })
        .map(Recipient::User)
        .collect();
    found.extend(
        dir.groups
            .iter()
            .filter(|group| is_mail_enabled(group))
            .filter(|group| {
                group.id.eq_ignore_ascii_case(wanted) || names(&group.props, address, wanted)
            })
            .map(Recipient::Group),
    );
    match found.as_slice() {
        [] => Err(ExoError::not_found(identity)),
        [one] => Ok(*one),
        _ => Err(ExoError::cmdlet(
            Exception::ManagementObjectAmbiguous,
            format!(
                "The operation couldn't be performed because '{identity}' matches multiple entries."
            ),
        )),
    }
}

/// The mailbox `identity` names (a person's or a shared one).
pub fn mailbox<'d>(dir: &'d Directory, identity: &str) -> Result<&'d User, ExoError> {
    match find(dir, identity)? {
        Recipient::User(user) if !is_guest(user) => Ok(user),
        _ => Err(ExoError::not_found(identity)),
    }
}

/// The list (distribution list or mail-enabled security group) `identity` names.
pub fn list<'d>(dir: &'d Directory, identity: &str) -> Result<&'d Group, ExoError> {
    match find(dir, identity)? {
        Recipient::Group(group) if group.is_list() => Ok(group),
        _ => Err(ExoError::not_found(identity)),
    }
}

/// The person `identity` names, for `User`, `Trustee`, `Member` and delegate parameters.
pub fn person<'d>(
    dir: &'d Directory,
    identity: &str,
    parameter: &str,
) -> Result<&'d User, ExoError> {
    match find(dir, identity).map_err(|error| error.about(parameter))? {
        Recipient::User(user) => Ok(user),
        Recipient::Group(_) => Err(ExoError::cmdlet(
            Exception::NotSupported,
            format!("'{identity}' is a group: the simulator holds people only as members, delegates and permission holders."),
        )
        .about(parameter)),
    }
}

/// Whether `props` carry `address` as an e-mail address, or `name` as the display name or alias.
/// Called for every recipient on every lookup, so it allocates nothing.
fn names(props: &Map<String, Value>, address: &str, name: &str) -> bool {
    let text = |key: &str| props.get(key).and_then(Value::as_str);
    let same =
        |value: Option<&str>, wanted: &str| value.is_some_and(|v| v.eq_ignore_ascii_case(wanted));
    same(text("mail"), address)
        || same(text("displayName"), name)
        || alias_of(props).eq_ignore_ascii_case(name)
        || props
            .get("proxyAddresses")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|proxy| {
                proxy
                    .split_once(':')
                    .is_some_and(|(_, held)| held.eq_ignore_ascii_case(address))
            })
}

fn is_mail_enabled(group: &Group) -> bool {
    group.props.get("mailEnabled").and_then(Value::as_bool) == Some(true)
}

fn is_guest(user: &User) -> bool {
    user.props.get("userType").and_then(Value::as_str) == Some("Guest")
}

/// The alias: `mailNickname`, or the local part of the primary address.
fn alias_of(props: &Map<String, Value>) -> &str {
    props
        .get("mailNickname")
        .and_then(Value::as_str)
        .or_else(|| {
            props
                .get("mail")
                .and_then(Value::as_str)
                .and_then(|mail| mail.split('@').next())
        })
        .unwrap_or_default()
}

/// `SMTP:`/`smtp:` addresses as Graph's `proxyAddresses` holds them.
fn email_addresses(props: &Map<String, Value>) -> Value {
    props
        .get("proxyAddresses")
        .cloned()
        .unwrap_or_else(|| json!([]))
}

/// `RecipientType` and `RecipientTypeDetails` of a user object.
fn user_types(user: &User) -> (&'static str, &'static str) {
    if let Some(mailbox) = &user.mailbox {
        let details = match mailbox.purpose() {
            "room" => "RoomMailbox",
            "equipment" => "EquipmentMailbox",
            _ => "SharedMailbox",
        };
        ("UserMailbox", details)
    } else if is_guest(user) {
        ("MailUser", "GuestMailUser")
    } else {
        ("UserMailbox", "UserMailbox")
    }
}

/// What `Get-Recipient` answers for a person, shared mailbox or guest.
pub fn user_recipient(user: &User) -> Map<String, Value> {
    let (kind, details) = user_types(user);
    let name = user.exchange_name();
    let mut object = Map::new();
    object.insert("Identity".into(), json!(name));
    object.insert("Name".into(), json!(name));
    object.insert("DisplayName".into(), json!(name));
    object.insert("Alias".into(), json!(alias_of(&user.props)));
    object.insert("PrimarySmtpAddress".into(), json!(user.primary_smtp()));
    object.insert("EmailAddresses".into(), email_addresses(&user.props));
    object.insert("ExternalDirectoryObjectId".into(), json!(user.id));
    object.insert("RecipientType".into(), json!(kind));
    object.insert("RecipientTypeDetails".into(), json!(details));
    object
}

/// What `Get-Recipient` answers for a mail-enabled group.
pub fn group_recipient(group: &Group) -> Map<String, Value> {
    let (kind, details) = match group.kind() {
        GroupKind::MailEnabledSecurity => {
            ("MailUniversalSecurityGroup", "MailUniversalSecurityGroup")
        }
        GroupKind::Unified => ("MailUniversalDistributionGroup", "GroupMailbox"),
        GroupKind::Distribution | GroupKind::Security => (
            "MailUniversalDistributionGroup",
            "MailUniversalDistributionGroup",
        ),
    };
    let name = group.display_name();
    let mail = group.props.get("mail").cloned().unwrap_or(Value::Null);
    let mut object = Map::new();
    object.insert("Identity".into(), json!(name));
    object.insert("Name".into(), json!(name));
    object.insert("DisplayName".into(), json!(name));
    object.insert("Alias".into(), json!(alias_of(&group.props)));
    object.insert("PrimarySmtpAddress".into(), mail);
    object.insert("EmailAddresses".into(), email_addresses(&group.props));
    object.insert("ExternalDirectoryObjectId".into(), json!(group.id));
    object.insert("RecipientType".into(), json!(kind));
    object.insert("RecipientTypeDetails".into(), json!(details));
    object
}

/// `Get-Recipient [-Identity]`: one recipient, or every one an admin or app may list; a person
/// who is not an admin reads themself and the lists they manage.
pub fn get_recipient(run: &mut Run<'_>) -> Outcome {
    let objects: Vec<Value> = match run.params.text("Identity") {
        Some(identity) => {
            let found = find(run.dir, identity)?;
            let own = run.is_self(found.id())
                || matches!(found, Recipient::Group(group) if run.manages(group));
            run.require_reader(identity, own)?;
            vec![Value::Object(found.object())]
        }
        None => {
            let everyone = run.require_reader("the organization", false).is_ok();
            let users = run
                .dir
                .users
                .iter()
                .filter(|user| everyone || run.is_self(&user.id))
                .map(|user| Value::Object(user_recipient(user)));
            let groups = run
                .dir
                .groups
                .iter()
                .filter(|group| is_mail_enabled(group) && (everyone || run.manages(group)))
                .map(|group| Value::Object(group_recipient(group)));
            users.chain(groups).collect()
        }
    };
    Ok(run.sized(objects))
}

/// `Get-AcceptedDomain`: the tenant's domains, which any signed-in caller may read.
pub fn get_accepted_domain(run: &mut Run<'_>) -> Outcome {
    let wanted = run.params.text("Identity").map(str::to_owned);
    let domains: Vec<Value> = run
        .dir
        .domains()
        .into_iter()
        .filter(|domain| {
            wanted
                .as_deref()
                .is_none_or(|wanted| wanted.eq_ignore_ascii_case(&domain.name))
        })
        .map(|domain| {
            json!({
                "Identity": domain.name,
                "Name": domain.name,
                "DomainName": domain.name,
                "DomainType": "Authoritative",
                "Default": domain.is_default,
                "IsValid": true,
            })
        })
        .collect();
    if let (Some(wanted), true) = (wanted, domains.is_empty()) {
        return Err(ExoError::not_found(&wanted));
    }
    Ok(run.sized(domains))
}
