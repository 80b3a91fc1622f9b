//! Reading a tenant file into a [`Directory`]: sim-only facts are taken out of the Graph objects
//! and turned into links, role memberships and method objects; every reference is checked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::methods::{AuthMethod, MethodKind};
use super::sign_ins::SignInRecord;
use super::{
    Channel, ChannelMember, Delegates, Directory, DirectoryRole, Drive, Group, Link, Props,
    Relation, SharedMailbox, Site, Team, TenantInfo, User, default_proxy_addresses,
};
use crate::sim::roles::template_named;

/// A tenant file that cannot be loaded, with a sentence saying where and why.
#[derive(Debug, thiserror::Error)]
#[error("tenant file: {0}")]
pub struct TenantError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, TenantError> {
    Err(TenantError(message.into()))
}

/// Keys of a user object that are sim-only facts, never served as Graph properties.
const USER_SIM_KEYS: [&str; 15] = [
    "slackUserId",
    "roles",
    "password",
    "lockedOut",
    "passwordExpired",
    "passwordChanged",
    "forceChangePasswordNextSignIn",
    "signIns",
    "authenticationMethods",
    "manager",
    "fullAccess",
    "sendAs",
    "sendOnBehalf",
    "calendarPermissions",
    "messageRules",
];

/// The tenant file's keys for a mailbox's delegates (UPN lists), with the relation each names.
const DELEGATE_KEYS: [(&str, Relation); 3] = [
    ("fullAccess", Relation::FullAccess),
    ("sendAs", Relation::SendAs),
    ("sendOnBehalf", Relation::SendOnBehalf),
];

/// What a user entry refers to by UPN, resolved once every user is loaded.
struct UserReferences {
    manager: Option<String>,
    roles: Vec<String>,
    delegates: Vec<(Relation, Vec<String>)>,
}

impl Directory {
    /// Builds the directory from a tenant file's JSON text.
    pub fn load(text: &str) -> Result<Self, TenantError> {
        let file: Value = serde_json::from_str(text)
            .map_err(|error| TenantError(format!("not valid JSON: {error}")))?;
        let Value::Object(mut file) = file else {
            return fail("the top level must be a JSON object");
        };
        let tenant = tenant_info(file.remove("tenant"))?;
        let mut directory = Directory {
            tenant,
            users: Vec::new(),
            groups: Vec::new(),
            teams: Vec::new(),
            sites: Vec::new(),
            roles: Vec::new(),
            lingering: Vec::new(),
            user_index: HashMap::new(),
            group_index: HashMap::new(),
        };
        let loaded_at = Utc::now();
        let mut pending = Vec::new();
        for (at, entry) in array(&mut file, "users")?.into_iter().enumerate() {
            let (user, references) = user_from(entry, at, loaded_at)?;
            pending.push((user.id.clone(), references));
            directory.add_user(user)?;
        }
        for (user_id, references) in pending {
            if let Some(manager) = references.manager {
                let manager_id = directory.resolve_user(&manager, "manager")?;
                if let Some(user) = directory.user_mut(&user_id) {
                    user.manager = Some(manager_id);
                }
            }
            for role_name in references.roles {
                directory.grant_role(&user_id, &role_name)?;
            }
            let owner = format!("user {user_id}");
            let delegates = directory.delegates_from(references.delegates, &owner)?;
            if let Some(user) = directory.user_mut(&user_id) {
                user.delegates = delegates;
            }
        }
        for entry in array(&mut file, "mailboxes")? {
            let mailbox = directory.mailbox_from(entry)?;
            directory.add_user(mailbox)?;
        }
        for entry in array(&mut file, "groups")? {
            let group = directory.group_from(entry)?;
            directory.add_group(group)?;
        }
        for entry in array(&mut file, "teams")? {
            let team = directory.team_from(entry)?;
            // Graph marks a team-enabled group this way, which is how clients list teams.
            if let Some(group) = directory.group_mut(&team.group_id) {
                group
                    .props
                    .insert("resourceProvisioningOptions".into(), json!(["Team"]));
            }
            directory.teams.push(team);
        }
        for entry in array(&mut file, "sites")? {
            let site = directory.site_from(entry)?;
            directory.sites.push(site);
        }
        if let Some(key) = file.keys().next() {
            return fail(format!(
                "unknown top-level key '{key}' (expected tenant, users, groups, teams, sites, mailboxes)"
            ));
        }
        Ok(directory)
    }

    fn add_user(&mut self, user: User) -> Result<(), TenantError> {
        let at = self.users.len();
        for key in [user.id.to_ascii_lowercase(), user.upn.to_ascii_lowercase()] {
            if self.user_index.insert(key.clone(), at).is_some() {
                return fail(format!(
                    "two users share the id or user principal name '{key}'"
                ));
            }
        }
        self.users.push(user);
        Ok(())
    }

    fn add_group(&mut self, group: Group) -> Result<(), TenantError> {
        if self
            .group_index
            .insert(group.id.to_ascii_lowercase(), self.groups.len())
            .is_some()
        {
            return fail(format!("two groups share the id '{}'", group.id));
        }
        self.groups.push(group);
        Ok(())
    }

    /// The id of the user a tenant file refers to by UPN (or id).
    fn resolve_user(&self, reference: &str, role: &str) -> Result<String, TenantError> {
        match self.user(reference) {
            Some(user) => Ok(user.id.clone()),
            None => fail(format!("{role} '{reference}' is not a user of the tenant")),
        }
    }

    fn resolve_links(
        &self,
        entry: &mut Props,
        key: &str,
        owner: &str,
    ) -> Result<Vec<Link>, TenantError> {
        strings(entry.remove(key), &format!("{owner}'s {key}"))?
            .iter()
            .map(|reference| {
                self.resolve_user(reference, &format!("{owner}'s {key} entry"))
                    .map(|id| Link::now(&id))
            })
            .collect()
    }

    fn grant_role(&mut self, user_id: &str, role_name: &str) -> Result<(), TenantError> {
        let Some(template) = template_named(role_name) else {
            return fail(format!(
                "role '{role_name}' is not an Entra built-in role the simulator knows"
            ));
        };
        match self
            .roles
            .iter_mut()
            .find(|role| std::ptr::eq(role.template, template))
        {
            Some(role) => role.members.push(user_id.to_owned()),
            None => self.roles.push(DirectoryRole {
                id: super::methods::stable_id(
                    "directoryRole",
                    &format!("{}{}", self.tenant.id, template.template_id),
                ),
                template,
                members: vec![user_id.to_owned()],
            }),
        }
        Ok(())
    }

    fn mailbox_from(&self, entry: Value) -> Result<User, TenantError> {
        let Value::Object(mut raw) = entry else {
            return fail("every mailbox must be a JSON object");
        };
        let id = required_string(&raw, "id", "mailbox")?;
        let mail = required_string(&raw, "mail", &format!("mailbox {id}"))?;
        let owner = format!("mailbox {mail}");
        let owners = self
            .resolve_links(&mut raw, "owners", &owner)?
            .into_iter()
            .map(|l| l.id)
            .collect();
        let mut listed = Vec::new();
        for (key, relation) in DELEGATE_KEYS {
            listed.push((
                relation,
                strings(raw.remove(key), &format!("{owner}'s {key}"))?,
            ));
        }
        let delegates = self.delegates_from(listed, &owner)?;
        let proxy_addresses = match raw.remove("proxyAddresses") {
            None | Some(Value::Null) => default_proxy_addresses(Some(&mail)),
            Some(value) => json!(strings(Some(value), &format!("{owner}'s proxyAddresses"))?),
        };
        let calendar_permissions = objects(raw.remove("calendarPermissions"), &owner)?
            .unwrap_or_else(default_calendar_permissions);
        let message_rules = objects(raw.remove("messageRules"), &owner)?.unwrap_or_default();
        let display_name = raw
            .get("displayName")
            .cloned()
            .unwrap_or_else(|| json!(mail));
        // Graph shows a shared mailbox as a user that cannot sign in; its purpose is in
        // mailboxSettings.userPurpose, not among the user's properties.
        let mut props = Props::new();
        props.insert("id".into(), json!(id));
        props.insert("displayName".into(), display_name);
        props.insert("mail".into(), json!(mail));
        props.insert("userPrincipalName".into(), json!(mail));
        props.insert("accountEnabled".into(), json!(false));
        props.insert("userType".into(), json!("Member"));
        props.insert("proxyAddresses".into(), proxy_addresses);
        Ok(User {
            id,
            upn: mail,
            props,
            slack_user_id: None,
            password: None,
            locked_out: false,
            password_expired: false,
            password_changed: 0,
            force_change_password: false,
            sign_ins: Vec::new(),
            manager: None,
            methods: Vec::new(),
            mailbox: Some(SharedMailbox { owners, raw }),
            delegates,
            sessions_valid_from: DateTime::<Utc>::MIN_UTC,
            calendar_permissions,
            message_rules,
            drive: None,
            operations: Vec::new(),
        })
    }

    /// A mailbox's delegates from the tenant file's UPN lists.
    fn delegates_from(
        &self,
        listed: Vec<(Relation, Vec<String>)>,
        owner: &str,
    ) -> Result<Delegates, TenantError> {
        let mut delegates = Delegates::default();
        for (relation, references) in listed {
            let mut links = Vec::new();
            for reference in references {
                let id = self.resolve_user(&reference, &format!("{owner}'s delegate"))?;
                links.push(Link::now(&id));
            }
            match relation {
                Relation::FullAccess => delegates.full_access = links,
                Relation::SendAs => delegates.send_as = links,
                Relation::SendOnBehalf => delegates.send_on_behalf = links,
                Relation::ListMember => {}
            }
        }
        Ok(delegates)
    }

    fn group_from(&self, entry: Value) -> Result<Group, TenantError> {
        let Value::Object(mut props) = entry else {
            return fail("every group must be a JSON object");
        };
        let id = required_string(&props, "id", "group")?;
        let owner = format!(
            "group '{}'",
            props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or(&id)
        );
        let owners = self.resolve_links(&mut props, "owners", &owner)?;
        let members = self.resolve_links(&mut props, "members", &owner)?;
        props
            .entry("resourceProvisioningOptions")
            .or_insert_with(|| json!([]));
        let mail = props.get("mail").and_then(Value::as_str).map(str::to_owned);
        if mail.is_some() {
            props
                .entry("proxyAddresses")
                .or_insert_with(|| default_proxy_addresses(mail.as_deref()));
        }
        Ok(Group {
            id,
            props,
            owners,
            members,
        })
    }

    fn team_from(&self, entry: Value) -> Result<Team, TenantError> {
        let Value::Object(mut raw) = entry else {
            return fail("every team must be a JSON object");
        };
        let group_id = required_string(&raw, "groupId", "team")?;
        match self.group(&group_id) {
            Some(group) if group.kind() == super::GroupKind::Unified => {}
            Some(_) => {
                return fail(format!(
                    "team {group_id} is backed by a group that is not a Microsoft 365 group"
                ));
            }
            None => return fail(format!("team {group_id} names a group that does not exist")),
        }
        let mut channels = Vec::new();
        for channel in raw
            .remove("channels")
            .map(array_of)
            .transpose()?
            .unwrap_or_default()
        {
            let Value::Object(mut props) = channel else {
                return fail(format!(
                    "team {group_id}: every channel must be a JSON object"
                ));
            };
            let id = required_string(&props, "id", &format!("a channel of team {group_id}"))?;
            let owner = format!("channel '{id}'");
            let owners = self.resolve_links(&mut props, "owners", &owner)?;
            let plain = self.resolve_links(&mut props, "members", &owner)?;
            let mut members: Vec<ChannelMember> = owners
                .into_iter()
                .map(|link| ChannelMember { link, owner: true })
                .collect();
            for link in plain {
                if !members.iter().any(|m| m.link.id == link.id) {
                    members.push(ChannelMember { link, owner: false });
                }
            }
            channels.push(Channel { id, props, members });
        }
        raw.remove("groupId");
        Ok(Team {
            group_id,
            channels,
            raw,
        })
    }

    fn site_from(&self, entry: Value) -> Result<Site, TenantError> {
        let Value::Object(mut props) = entry else {
            return fail("every site must be a JSON object");
        };
        let id = required_string(&props, "id", "site")?;
        let group_id = match props.remove("groupId") {
            None | Some(Value::Null) => None,
            Some(Value::String(group_id)) if self.group(&group_id).is_some() => Some(group_id),
            Some(other) => {
                return fail(format!(
                    "site {id} names group {other}, which does not exist"
                ));
            }
        };
        let mut drives = Vec::new();
        for drive in props
            .remove("drives")
            .map(array_of)
            .transpose()?
            .unwrap_or_default()
        {
            let Value::Object(drive_props) = drive else {
                return fail(format!("site {id}: every drive must be a JSON object"));
            };
            let drive_id = required_string(&drive_props, "id", &format!("a drive of site {id}"))?;
            drives.push(Drive {
                id: drive_id,
                props: drive_props,
                grants: Vec::new(),
            });
        }
        Ok(Site {
            id,
            props,
            group_id,
            drives,
        })
    }
}

fn tenant_info(value: Option<Value>) -> Result<TenantInfo, TenantError> {
    let Some(Value::Object(raw)) = value else {
        return fail("a 'tenant' object with id and domain is required");
    };
    let id = required_string(&raw, "id", "tenant")?;
    if uuid::Uuid::parse_str(&id).is_err() {
        return fail(format!("tenant id '{id}' is not a GUID"));
    }
    let domain = required_string(&raw, "domain", "tenant")?;
    let display_name = raw
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or(&domain)
        .to_owned();
    let slack_team_id = raw
        .get("slackTeamId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let sign_in_logs = match raw.get("signInLogs") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(available)) => *available,
        Some(_) => return fail("the tenant's signInLogs must be true or false"),
    };
    Ok(TenantInfo {
        id,
        display_name,
        domain,
        slack_team_id,
        sign_in_logs,
        raw,
    })
}

fn user_from(
    entry: Value,
    at: usize,
    loaded_at: DateTime<Utc>,
) -> Result<(User, UserReferences), TenantError> {
    let Value::Object(mut props) = entry else {
        return fail(format!("user #{at} must be a JSON object"));
    };
    let id = required_string(&props, "id", &format!("user #{at}"))?;
    let upn = required_string(&props, "userPrincipalName", &format!("user {id}"))?;
    let who = format!("user {upn}");
    let slack_user_id =
        optional_string(props.remove("slackUserId"), &format!("{who}'s slackUserId"))?;
    let password = optional_string(props.remove("password"), &format!("{who}'s password"))?
        .map(secrecy::SecretString::from);
    let locked_out = flag(props.remove("lockedOut"), &who, "lockedOut")?;
    let password_expired = flag(props.remove("passwordExpired"), &who, "passwordExpired")?;
    let force_change_password = flag(
        props.remove("forceChangePasswordNextSignIn"),
        &who,
        "forceChangePasswordNextSignIn",
    )?;
    let password_changed = match props.remove("passwordChanged") {
        None | Some(Value::Null) => 0,
        Some(value) => match value.as_u64().and_then(|count| u32::try_from(count).ok()) {
            Some(count) => count,
            None => return fail(format!("{who}'s passwordChanged must be a count")),
        },
    };
    let sign_ins = match props.remove("signIns") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(entries)) => entries
            .iter()
            .map(|entry| SignInRecord::parse(entry, &who))
            .collect::<Result<Vec<_>, String>>()
            .map_err(TenantError)?,
        Some(_) => return fail(format!("{who}'s signIns must be a list of objects")),
    };
    let roles = strings(props.remove("roles"), &format!("{who}'s roles"))?;
    let manager = optional_string(props.remove("manager"), &format!("{who}'s manager"))?;
    let display_name = props
        .get("displayName")
        .and_then(Value::as_str)
        .unwrap_or(&upn)
        .to_owned();
    let mut methods = Vec::new();
    for name in strings(
        props.remove("authenticationMethods"),
        &format!("{who}'s authenticationMethods"),
    )? {
        let Some(kind) = MethodKind::parse(&name) else {
            return fail(format!(
                "{who} lists unknown authentication method '{name}'"
            ));
        };
        methods.push(AuthMethod::registered(kind, &id, &display_name, loaded_at));
    }
    let mut delegates = Vec::new();
    for (key, relation) in DELEGATE_KEYS {
        delegates.push((
            relation,
            strings(props.remove(key), &format!("{who}'s {key}"))?,
        ));
    }
    let calendar_permissions = objects(props.remove("calendarPermissions"), &who)?
        .unwrap_or_else(default_calendar_permissions);
    let message_rules = objects(props.remove("messageRules"), &who)?.unwrap_or_default();
    if !props.contains_key("proxyAddresses") {
        let mail = props.get("mail").and_then(Value::as_str).map(str::to_owned);
        props.insert(
            "proxyAddresses".into(),
            default_proxy_addresses(mail.as_deref()),
        );
    }
    debug_assert!(USER_SIM_KEYS.iter().all(|key| !props.contains_key(*key)));
    let drive = one_drive(&id);
    let user = User {
        id,
        upn,
        props,
        slack_user_id,
        password,
        locked_out,
        password_expired,
        password_changed,
        force_change_password,
        sign_ins,
        manager: None,
        methods,
        mailbox: None,
        delegates: Delegates::default(),
        sessions_valid_from: DateTime::<Utc>::MIN_UTC,
        calendar_permissions,
        message_rules,
        drive: Some(drive),
        operations: Vec::new(),
    };
    let references = UserReferences {
        manager,
        roles,
        delegates,
    };
    Ok((user, references))
}

/// A person's OneDrive, with an id stable across runs.
fn one_drive(user_id: &str) -> Drive {
    let id = format!(
        "b!{}",
        super::methods::stable_id("onedrive", user_id).replace('-', "")
    );
    let mut props = Props::new();
    props.insert("id".into(), json!(id));
    props.insert("name".into(), json!("OneDrive"));
    props.insert("driveType".into(), json!("business"));
    Drive {
        id,
        props,
        grants: Vec::new(),
    }
}

/// What every Exchange calendar starts with: the organization sees free/busy.
fn default_calendar_permissions() -> Vec<Value> {
    vec![json!({
        "id": "RXhjaGFuZ2VQdWJsaWNGb2xkZXJz",
        "emailAddress": {"name": "My Organization"},
        "isRemovable": false,
        "isInsideOrganization": true,
        "role": "freeBusyRead",
        "allowedRoles": ["none", "freeBusyRead", "limitedRead", "read"],
    })]
}

fn array(file: &mut Props, key: &str) -> Result<Vec<Value>, TenantError> {
    match file.remove(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(value) => {
            array_of(value).map_err(|_| TenantError(format!("'{key}' must be an array")))
        }
    }
}

fn array_of(value: Value) -> Result<Vec<Value>, TenantError> {
    match value {
        Value::Array(items) => Ok(items),
        _ => fail("expected an array"),
    }
}

fn required_string(object: &Props, key: &str, what: &str) -> Result<String, TenantError> {
    match object.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        _ => fail(format!("{what} needs a non-empty string '{key}'")),
    }
}

/// A list of JSON objects (calendar permissions, message rules) as the tenant file gives them;
/// `None` when absent.
fn objects(value: Option<Value>, owner: &str) -> Result<Option<Vec<Value>>, TenantError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_object) => Ok(Some(items)),
        Some(_) => fail(format!(
            "{owner}'s calendarPermissions and messageRules must be lists of objects"
        )),
    }
}

/// A sim-only true-or-false fact of a user; absent means false.
fn flag(value: Option<Value>, who: &str, key: &str) -> Result<bool, TenantError> {
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(flag),
        Some(_) => fail(format!("{who}'s {key} must be true or false")),
    }
}

fn optional_string(value: Option<Value>, what: &str) -> Result<Option<String>, TenantError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => fail(format!("{what} must be a string")),
    }
}

fn strings(value: Option<Value>, what: &str) -> Result<Vec<String>, TenantError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => fail(format!("{what} must be a list of strings")),
            })
            .collect(),
        Some(_) => fail(format!("{what} must be a list of strings")),
    }
}
