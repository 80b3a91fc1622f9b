//! `Get-Mailbox` and `Set-Mailbox`: Send on Behalf delegates (`GrantSendOnBehalfTo`, a list to
//! overwrite or an `Exchange.GenericHashTable` of `add`/`remove`) and the primary address
//! (`WindowsEmailAddress`: the new one becomes `SMTP:`, the old one stays as `smtp:`, and Graph's
//! `mail` follows).
//!
//! Only admins change a mailbox; a person reads their own; `GrantSendOnBehalfTo` lists the
//! delegates' Exchange names, as Exchange does, after replication lag.

use serde_json::{Map, Value, json};

use super::answer::{Exception, ExoError};
use super::bind::Bound;
use super::recipients::{mailbox, person};
use super::run::{Outcome, Run};
use crate::sim::directory::{AddressHolder, Relation, User, strings_of};

/// `Get-Mailbox [-Identity] [-IncludeGrantSendOnBehalfToWithDisplayNames]`: one mailbox, every
/// mailbox (admins and apps), or the caller's own.
pub fn get_mailbox(run: &mut Run<'_>) -> Outcome {
    let ids: Vec<String> = match run.params.text("Identity") {
        Some(identity) => {
            let target = mailbox(run.dir, identity)?;
            run.require_reader(identity, run.is_self(&target.id))?;
            vec![target.id.clone()]
        }
        None => {
            let everyone = run.require_reader("the organization", false).is_ok();
            run.dir
                .users
                .iter()
                .filter(|user| user.props.get("userType").and_then(Value::as_str) != Some("Guest"))
                .filter(|user| everyone || run.is_self(&user.id))
                .map(|user| user.id.clone())
                .collect()
        }
    };
    let with_names = run
        .params
        .switch("IncludeGrantSendOnBehalfToWithDisplayNames");
    let objects = ids
        .iter()
        .filter_map(|id| run.dir.user(id))
        .map(|user| Value::Object(mailbox_object(run, user, with_names)))
        .collect();
    Ok(run.sized(objects))
}

fn mailbox_object(run: &Run<'_>, user: &User, with_names: bool) -> Map<String, Value> {
    let mut object = super::recipients::user_recipient(user);
    object.insert("UserPrincipalName".into(), json!(user.upn));
    object.insert("WindowsEmailAddress".into(), json!(user.primary_smtp()));
    let delegates: Vec<&User> = run
        .dir
        .visible_relation(&user.id, Relation::SendOnBehalf, run.now)
        .iter()
        .filter_map(|id| run.dir.user(id))
        .collect();
    let names: Vec<&str> = delegates.iter().map(|user| user.exchange_name()).collect();
    object.insert("GrantSendOnBehalfTo".into(), json!(names));
    if with_names {
        let named: Vec<Value> = delegates
            .iter()
            .map(|user| json!({"DisplayName": user.exchange_name(), "PrimarySmtpAddress": user.primary_smtp()}))
            .collect();
        object.insert("GrantSendOnBehalfToWithDisplayNames".into(), json!(named));
    }
    object
}

/// What `GrantSendOnBehalfTo` asks: the whole list, or additions and removals.
enum DelegateChange {
    Overwrite(Vec<String>),
    Edit {
        add: Vec<String>,
        remove: Vec<String>,
    },
}

/// Reads `GrantSendOnBehalfTo` and resolves every delegate it names to a user id.
fn delegate_change(run: &Run<'_>, params: &Bound) -> Result<Option<DelegateChange>, ExoError> {
    let resolve = |names: Vec<String>| -> Result<Vec<String>, ExoError> {
        names
            .iter()
            .map(|name| person(run.dir, name, "GrantSendOnBehalfTo").map(|user| user.id.clone()))
            .collect()
    };
    let listed = |value: &Value| match value {
        Value::String(text) => Some(vec![text.clone()]),
        Value::Array(items) if items.iter().all(Value::is_string) => Some(strings_of(Some(value))),
        _ => None,
    };
    let Some(value) = params.value("GrantSendOnBehalfTo") else {
        return Ok(None);
    };
    if let Some(names) = listed(value) {
        return Ok(Some(DelegateChange::Overwrite(resolve(names)?)));
    }
    let table = value.as_object().cloned().unwrap_or_default();
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for (key, entry) in &table {
        let slot = if key.eq_ignore_ascii_case("add") {
            &mut add
        } else if key.eq_ignore_ascii_case("remove") {
            &mut remove
        } else if key == "@odata.type" {
            continue;
        } else {
            return Err(ExoError::binding(
                "GrantSendOnBehalfTo",
                format!(
                    "Cannot bind parameter 'GrantSendOnBehalfTo'. A hashtable of a multivalued property takes the keys Add and Remove, not '{key}'."
                ),
            ));
        };
        let Some(names) = listed(entry) else {
            return Err(ExoError::binding(
                "GrantSendOnBehalfTo",
                format!(
                    "Cannot bind parameter 'GrantSendOnBehalfTo'. The value of '{key}' must be a recipient or a list of recipients."
                ),
            ));
        };
        slot.extend(resolve(names)?);
    }
    Ok(Some(DelegateChange::Edit { add, remove }))
}

/// Checks a new primary address: well-formed, in an accepted domain, held by nobody else.
fn check_new_primary(run: &Run<'_>, owner: &str, address: &str) -> Result<(), ExoError> {
    let malformed = || {
        ExoError::cmdlet(
            Exception::DataValidation,
            format!("The email address \"{address}\" isn't correct. Please use this format: user name, the @ sign, followed by the domain name. For example, tonysmith@contoso.com or tony.smith@contoso.com."),
        )
        .about("WindowsEmailAddress")
    };
    let (local, domain) = address.split_once('@').ok_or_else(malformed)?;
    if local.is_empty()
        || domain.is_empty()
        || domain.contains('@')
        || address.contains(char::is_whitespace)
    {
        return Err(malformed());
    }
    if !run
        .dir
        .domains()
        .iter()
        .any(|known| known.name.eq_ignore_ascii_case(domain))
    {
        return Err(ExoError::cmdlet(
            Exception::DataValidation,
            format!("The domain '{domain}' of the address \"{address}\" isn't an accepted domain for your organization."),
        )
        .about("WindowsEmailAddress"));
    }
    let holder = match run.dir.address_holder(address) {
        Some(AddressHolder::User(user)) if !user.id.eq_ignore_ascii_case(owner) => {
            Some(user.exchange_name().to_owned())
        }
        Some(AddressHolder::Group(group)) => Some(group.display_name().to_owned()),
        _ => None,
    };
    match holder {
        Some(holder) => Err(ExoError::cmdlet(
            Exception::ProxyAddressExists,
            format!("The proxy address \"SMTP:{address}\" is already being used by the proxy addresses or LegacyExchangeDN of \"{holder}\". Please choose another proxy address."),
        )
        .about("WindowsEmailAddress")),
        None => Ok(()),
    }
}

/// The secondary addresses `EmailAddresses: {"remove": [...]}` takes off (`smtp:` entries; a
/// whole-list value or `add` is not something the simulator holds).
fn addresses_removed(run: &Run<'_>) -> Result<Vec<String>, ExoError> {
    let Some(value) = run.params.value("EmailAddresses") else {
        return Ok(Vec::new());
    };
    let unsupported = || {
        ExoError::cmdlet(
            Exception::NotSupported,
            "The simulator changes EmailAddresses only with a hashtable that removes smtp: addresses.",
        )
        .about("EmailAddresses")
    };
    let table = value.as_object().ok_or_else(unsupported)?;
    let mut removed = Vec::new();
    for (key, entry) in table {
        if key == "@odata.type" {
            continue;
        }
        if !key.eq_ignore_ascii_case("remove") {
            return Err(unsupported());
        }
        for address in strings_of(Some(entry)) {
            match address.split_once(':') {
                Some(("smtp", held)) => removed.push(held.to_owned()),
                // `SMTP:` names the primary, which Exchange does not remove.
                Some(("SMTP", _)) => {
                    return Err(ExoError::cmdlet(
                        Exception::DataValidation,
                        "The primary SMTP address can't be removed. Set another primary address first.",
                    )
                    .about("EmailAddresses"));
                }
                _ => return Err(unsupported()),
            }
        }
    }
    Ok(removed)
}

/// Takes the secondary `address` off the user; says whether it was there.
fn remove_secondary(user: &mut User, address: &str) -> bool {
    let proxies = strings_of(user.props.get("proxyAddresses"));
    let kept: Vec<String> = proxies
        .iter()
        .filter(|proxy| {
            !proxy
                .split_once(':')
                .is_some_and(|(kind, held)| kind == "smtp" && held.eq_ignore_ascii_case(address))
        })
        .cloned()
        .collect();
    if kept.len() == proxies.len() {
        return false;
    }
    user.props.insert("proxyAddresses".into(), json!(kept));
    true
}

/// Makes `address` the primary: every other address is demoted to `smtp:`, the old primary kept.
fn set_primary(user: &mut User, address: &str) -> bool {
    if user.primary_smtp().eq_ignore_ascii_case(address) {
        return false;
    }
    let old = user.primary_smtp().to_owned();
    let mut proxies: Vec<String> = strings_of(user.props.get("proxyAddresses"))
        .into_iter()
        .map(|proxy| match proxy.strip_prefix("SMTP:") {
            Some(rest) => format!("smtp:{rest}"),
            None => proxy,
        })
        .filter(|proxy| {
            !proxy.split_once(':').is_some_and(|(kind, held)| {
                kind.eq_ignore_ascii_case("smtp") && held.eq_ignore_ascii_case(address)
            })
        })
        .collect();
    let has_old = proxies.iter().any(|proxy| {
        proxy
            .split_once(':')
            .is_some_and(|(_, held)| held.eq_ignore_ascii_case(&old))
    });
    if !has_old {
        proxies.push(format!("smtp:{old}"));
    }
    proxies.insert(0, format!("SMTP:{address}"));
    user.props.insert("mail".into(), json!(address));
    user.props.insert("proxyAddresses".into(), json!(proxies));
    true
}

/// `Set-Mailbox -Identity [-GrantSendOnBehalfTo] [-WindowsEmailAddress] [-EmailAddresses
/// @{remove=...}]`: returns nothing, and
/// warns when nothing changed, as Exchange does.
pub fn set_mailbox(run: &mut Run<'_>) -> Outcome {
    let identity = run.text("Identity").to_owned();
    run.require_admin(&identity)?;
    let target = mailbox(run.dir, &identity)?;
    let (id, name) = (target.id.clone(), target.exchange_name().to_owned());
    let change = delegate_change(run, run.params)?;
    let address = run.params.text("WindowsEmailAddress").map(str::to_owned);
    if let Some(address) = &address {
        check_new_primary(run, &id, address)?;
    }
    let mut changed = false;
    let (now, lag, visible_at) = (run.now, run.lag, run.visible_at());
    let (add, remove) = match change {
        None => (Vec::new(), Vec::new()),
        Some(DelegateChange::Edit { add, remove }) => (add, remove),
        Some(DelegateChange::Overwrite(wanted)) => {
            let current: Vec<String> = run
                .dir
                .relation(&id, Relation::SendOnBehalf)
                .map(|links| links.iter().map(|link| link.id.clone()).collect())
                .unwrap_or_default();
            let remove = current
                .iter()
                .filter(|held| !wanted.iter().any(|w| w.eq_ignore_ascii_case(held)))
                .cloned()
                .collect();
            (wanted, remove)
        }
    };
    for user_id in remove {
        changed |= run
            .dir
            .remove_relation(&id, Relation::SendOnBehalf, &user_id, now, lag);
    }
    for user_id in add {
        changed |= run
            .dir
            .add_relation(&id, Relation::SendOnBehalf, &user_id, visible_at);
    }
    let removed = addresses_removed(run)?;
    if let (Some(address), Some(user)) = (address, run.dir.user_mut(&id)) {
        changed |= set_primary(user, &address);
    }
    if let Some(user) = run.dir.user_mut(&id) {
        for address in &removed {
            if user.primary_smtp().eq_ignore_ascii_case(address) {
                return Err(ExoError::cmdlet(
                    Exception::DataValidation,
                    "The primary SMTP address can't be removed. Set another primary address first.",
                )
                .about("EmailAddresses"));
            }
            changed |= remove_secondary(user, address);
        }
    }
    if !changed {
        run.warn(format!(
            "The command completed successfully but no settings of '{name}' have been modified."
        ));
    }
    Ok(Vec::new())
}
