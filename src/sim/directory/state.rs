//! The directory written back in the tenant file's shape (`GET /_sim/state`): Graph properties
//! plus the sim-only facts, with references as UPNs again.

use serde_json::{Value, json};

use super::{Delegates, Directory, Link, Props, User};

impl Directory {
    /// The tenant now, in the shape of the file it was loaded from.
    pub fn state(&self) -> Value {
        let users: Vec<Value> = self
            .users
            .iter()
            .filter(|user| user.mailbox.is_none())
            .map(|user| {
                let mut entry = user.props.clone();
                if let Some(manager) = user.manager.as_deref().and_then(|id| self.upn_of(id)) {
                    entry.insert("manager".into(), json!(manager));
                }
                if let Some(slack) = &user.slack_user_id {
                    entry.insert("slackUserId".into(), json!(slack));
                }
                let roles: Vec<&str> = self
                    .roles_of(&user.id)
                    .map(|role| role.template.display_name)
                    .collect();
                if !roles.is_empty() {
                    entry.insert("roles".into(), json!(roles));
                }
                if let Some(password) = &user.password {
                    // The state is the tenant file's shape, and the file holds passwords.
                    entry.insert(
                        "password".into(),
                        json!(secrecy::ExposeSecret::expose_secret(password)),
                    );
                }
                entry.insert("lockedOut".into(), json!(user.locked_out));
                entry.insert("passwordExpired".into(), json!(user.password_expired));
                entry.insert("passwordChanged".into(), json!(user.password_changed));
                entry.insert(
                    "forceChangePasswordNextSignIn".into(),
                    json!(user.force_change_password),
                );
                if !user.sign_ins.is_empty() {
                    let sign_ins: Vec<Value> = user
                        .sign_ins
                        .iter()
                        .map(|record| record.to_fixture())
                        .collect();
                    entry.insert("signIns".into(), json!(sign_ins));
                }
                let methods: Vec<&str> = user
                    .methods
                    .iter()
                    .map(|method| method.kind.name())
                    .collect();
                entry.insert("authenticationMethods".into(), json!(methods));
                for (key, links) in delegate_lists(&user.delegates) {
                    if !links.is_empty() {
                        entry.insert(key.into(), self.upns(links));
                    }
                }
                self.insert_mailbox_contents(&mut entry, user);
                Value::Object(entry)
            })
            .collect();
        let groups: Vec<Value> = self
            .groups
            .iter()
            .map(|group| {
                let mut entry = group.props.clone();
                entry.insert("owners".into(), self.upns(&group.owners));
                entry.insert("members".into(), self.upns(&group.members));
                Value::Object(entry)
            })
            .collect();
        let teams: Vec<Value> = self
            .teams
            .iter()
            .map(|team| {
                let mut entry = team.raw.clone();
                entry.insert("groupId".into(), json!(team.group_id));
                let channels: Vec<Value> = team
                    .channels
                    .iter()
                    .map(|channel| {
                        let mut entry = channel.props.clone();
                        if channel.has_explicit_members() {
                            let owners: Vec<&Link> = channel
                                .members
                                .iter()
                                .filter(|m| m.owner)
                                .map(|m| &m.link)
                                .collect();
                            let members: Vec<&Link> =
                                channel.members.iter().map(|m| &m.link).collect();
                            entry.insert("owners".into(), self.upns(owners));
                            entry.insert("members".into(), self.upns(members));
                        }
                        Value::Object(entry)
                    })
                    .collect();
                entry.insert("channels".into(), json!(channels));
                Value::Object(entry)
            })
            .collect();
        let sites: Vec<Value> = self
            .sites
            .iter()
            .map(|site| {
                let mut entry = site.props.clone();
                entry.insert("groupId".into(), json!(site.group_id));
                let drives: Vec<Value> = site
                    .drives
                    .iter()
                    .map(|drive| {
                        let mut entry = drive.props.clone();
                        if !drive.grants.is_empty() {
                            let grants: Vec<Value> = drive
                                .grants
                                .iter()
                                .map(|grant| {
                                    json!({
                                        "user": self.upn_of(&grant.user_id),
                                        "role": grant.role,
                                    })
                                })
                                .collect();
                            entry.insert("grants".into(), json!(grants));
                        }
                        Value::Object(entry)
                    })
                    .collect();
                entry.insert("drives".into(), json!(drives));
                Value::Object(entry)
            })
            .collect();
        let mailboxes: Vec<Value> = self
            .users
            .iter()
            .filter_map(|user| {
                let mailbox = user.mailbox.as_ref()?;
                let mut entry: Props = mailbox.raw.clone();
                // Exchange may have changed the address (Set-Mailbox -WindowsEmailAddress).
                for key in ["mail", "proxyAddresses"] {
                    if let Some(value) = user.props.get(key) {
                        entry.insert(key.into(), value.clone());
                    }
                }
                entry.insert("owners".into(), self.upns_of_ids(&mailbox.owners));
                for (key, links) in delegate_lists(&user.delegates) {
                    entry.insert(key.into(), self.upns(links));
                }
                self.insert_mailbox_contents(&mut entry, user);
                Some(Value::Object(entry))
            })
            .collect();
        json!({
            "tenant": self.tenant.raw,
            "users": users,
            "groups": groups,
            "teams": teams,
            "sites": sites,
            "mailboxes": mailboxes,
        })
    }

    /// The calendar's permissions and the inbox's rules, as Graph serves them (and Exchange's
    /// folder permission and inbox rule cmdlets change them).
    fn insert_mailbox_contents(&self, entry: &mut Props, user: &User) {
        entry.insert(
            "calendarPermissions".into(),
            json!(user.calendar_permissions),
        );
        entry.insert("messageRules".into(), json!(user.message_rules));
    }

    fn upns<'a>(&self, links: impl IntoIterator<Item = &'a Link>) -> Value {
        let upns: Vec<&str> = links
            .into_iter()
            .filter_map(|link| self.upn_of(&link.id))
            .collect();
        json!(upns)
    }

    fn upns_of_ids(&self, ids: &[String]) -> Value {
        let upns: Vec<&str> = ids.iter().filter_map(|id| self.upn_of(id)).collect();
        json!(upns)
    }
}

/// A mailbox's delegate lists under their tenant file keys.
fn delegate_lists(delegates: &Delegates) -> [(&'static str, &Vec<Link>); 3] {
    [
        ("fullAccess", &delegates.full_access),
        ("sendAs", &delegates.send_as),
        ("sendOnBehalf", &delegates.send_on_behalf),
    ]
}
