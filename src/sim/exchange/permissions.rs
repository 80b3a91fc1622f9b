//! Full Access (`Add-`/`Remove-`/`Get-MailboxPermission`) and Send As
//! (`Add-`/`Remove-`/`Get-RecipientPermission`) on mailboxes, held in [`User::delegates`].
//!
//! As in Exchange, granting what is already granted and removing what is not there are
//! warnings, not errors; only admins change them; the mailbox's own user and admins (and apps)
//! read them; a grant shows in `Get-*` only once replication lag has passed, and a removal
//! still shows until then.
//!
//! [`User::delegates`]: crate::sim::directory::User::delegates

use serde_json::{Value, json};

use super::answer::{Exception, ExoError};
use super::recipients::{mailbox, person};
use super::run::{Outcome, Run};
use crate::sim::directory::{Relation, User};

/// `AccessRights` of `*-MailboxPermission` (Exchange's `MailboxRights`).
const MAILBOX_RIGHTS: &[&str] = &[
    "ChangeOwner",
    "ChangePermission",
    "DeleteItem",
    "ExternalAccount",
    "FullAccess",
    "ReadPermission",
];

/// `InheritanceType` values.
const INHERITANCE: &[&str] = &["None", "All", "Children", "Descendents", "SelfAndChildren"];

/// The well-known entry every mailbox lists first: the owner's own access.
const SELF: &str = "NT AUTHORITY\\SELF";

/// Checks `AccessRights` against Exchange's enumeration `rights` (of type `type_name`); the
/// simulator holds only `held` of them.
fn check_rights(
    run: &Run<'_>,
    rights: &[&str],
    type_name: &str,
    held: &str,
) -> Result<(), ExoError> {
    for right in run.params.texts("AccessRights") {
        if !rights
            .iter()
            .any(|known| known.eq_ignore_ascii_case(&right))
        {
            return Err(ExoError::binding(
                "AccessRights",
                format!(
                    "Cannot bind parameter 'AccessRights'. Cannot convert value \"{right}\" to type \"{type_name}\". Error: \"Unable to match the identifier name {right} to a valid enumerator name. Specify one of the following enumerator names and try again: {}\"",
                    rights.join(", ")
                ),
            ));
        }
        if !right.eq_ignore_ascii_case(held) {
            return Err(ExoError::cmdlet(
                Exception::NotSupported,
                format!("The simulator holds only {held} through {}.", run.cmdlet),
            )
            .about("AccessRights"));
        }
    }
    Ok(())
}

fn inheritance(run: &Run<'_>) -> Result<String, ExoError> {
    let given = run.params.text("InheritanceType").unwrap_or("All");
    INHERITANCE
        .iter()
        .find(|known| known.eq_ignore_ascii_case(given))
        .map(|known| (*known).to_owned())
        .ok_or_else(|| {
            ExoError::binding(
                "InheritanceType",
                format!(
                    "Cannot bind parameter 'InheritanceType'. Cannot convert value \"{given}\" to type \"System.DirectoryServices.ActiveDirectorySecurityInheritance\"."
                ),
            )
        })
}

/// The mailbox `Identity` names and the person parameter `who` names, as ids and names.
struct Pair {
    mailbox_id: String,
    mailbox_name: String,
    user_id: String,
    upn: String,
    user_name: String,
}

fn pair(run: &Run<'_>, who: &str) -> Result<Pair, ExoError> {
    let target: &User = mailbox(run.dir, run.text("Identity"))?;
    let user = person(run.dir, run.text(who), who)?;
    Ok(Pair {
        mailbox_id: target.id.clone(),
        mailbox_name: target.exchange_name().to_owned(),
        user_id: user.id.clone(),
        upn: user.upn.clone(),
        user_name: user.exchange_name().to_owned(),
    })
}

fn mailbox_entry(mailbox_name: &str, user: &str, rights: &[&str], inheritance: &str) -> Value {
    json!({
        "Identity": mailbox_name,
        "User": user,
        "AccessRights": rights,
        "IsInherited": false,
        "Deny": false,
        "InheritanceType": inheritance,
    })
}

fn recipient_entry(mailbox_name: &str, trustee: &str) -> Value {
    json!({
        "Identity": mailbox_name,
        "Trustee": trustee,
        "AccessControlType": "Allow",
        "AccessRights": ["SendAs"],
        "IsInherited": false,
        "InheritanceType": "None",
    })
}

/// Adds `relation` for the pair; warns `already` instead when it is there.
fn grant(run: &mut Run<'_>, relation: Relation, pair: &Pair, already: String) -> bool {
    if run.dir.holds(&pair.mailbox_id, relation, &pair.user_id) {
        run.warn(already);
        return false;
    }
    let visible_at = run.visible_at();
    run.dir
        .add_relation(&pair.mailbox_id, relation, &pair.user_id, visible_at)
}

/// Removes `relation` for the pair; warns that the ACE does not exist when it is not there.
fn revoke(run: &mut Run<'_>, relation: Relation, pair: &Pair) {
    let (now, lag) = (run.now, run.lag);
    if !run
        .dir
        .remove_relation(&pair.mailbox_id, relation, &pair.user_id, now, lag)
    {
        run.warn(format!(
            "Can't remove the access control entry on the object \"{}\" for account \"{}\" because the ACE doesn't exist on the object.",
            pair.mailbox_name, pair.upn
        ));
    }
}

pub fn add_mailbox_permission(run: &mut Run<'_>) -> Outcome {
    run.require_admin(run.text("Identity"))?;
    let pair = pair(run, "User")?;
    check_rights(
        run,
        MAILBOX_RIGHTS,
        "Microsoft.Exchange.Management.RecipientTasks.MailboxRights",
        "FullAccess",
    )?;
    let inheritance = inheritance(run)?;
    let already = format!(
        "An existing permission entry was found for user: {}.",
        pair.user_name
    );
    if grant(run, Relation::FullAccess, &pair, already) {
        Ok(vec![mailbox_entry(
            &pair.mailbox_name,
            &pair.upn,
            &["FullAccess"],
            &inheritance,
        )])
    } else {
        Ok(Vec::new())
    }
}

pub fn remove_mailbox_permission(run: &mut Run<'_>) -> Outcome {
    run.require_admin(run.text("Identity"))?;
    let pair = pair(run, "User")?;
    check_rights(
        run,
        MAILBOX_RIGHTS,
        "Microsoft.Exchange.Management.RecipientTasks.MailboxRights",
        "FullAccess",
    )?;
    inheritance(run)?;
    revoke(run, Relation::FullAccess, &pair);
    Ok(Vec::new())
}

pub fn get_mailbox_permission(run: &mut Run<'_>) -> Outcome {
    let identity = run.text("Identity").to_owned();
    let target = mailbox(run.dir, &identity)?;
    run.require_reader(&identity, run.is_self(&target.id))?;
    let filter = match run.params.text("User") {
        Some(user) => Some(person(run.dir, user, "User")?.id.clone()),
        None => None,
    };
    let name = target.exchange_name().to_owned();
    let mut entries = Vec::new();
    if filter.is_none() {
        entries.push(mailbox_entry(
            &name,
            SELF,
            &["FullAccess", "ReadPermission"],
            "All",
        ));
    }
    for user_id in run
        .dir
        .visible_relation(&target.id, Relation::FullAccess, run.now)
    {
        if filter
            .as_deref()
            .is_some_and(|wanted| !wanted.eq_ignore_ascii_case(&user_id))
        {
            continue;
        }
        if let Some(upn) = run.dir.upn_of(&user_id) {
            entries.push(mailbox_entry(&name, upn, &["FullAccess"], "All"));
        }
    }
    Ok(run.sized(entries))
}

pub fn add_recipient_permission(run: &mut Run<'_>) -> Outcome {
    run.require_admin(run.text("Identity"))?;
    let pair = pair(run, "Trustee")?;
    check_rights(
        run,
        &["SendAs"],
        "Microsoft.Exchange.Management.RecipientTasks.RecipientAccessRight",
        "SendAs",
    )?;
    let already = format!(
        "The appropriate access control entry is already present on object \"{}\" for account \"{}\".",
        pair.mailbox_name, pair.upn
    );
    if grant(run, Relation::SendAs, &pair, already) {
        Ok(vec![recipient_entry(&pair.mailbox_name, &pair.upn)])
    } else {
        Ok(Vec::new())
    }
}

pub fn remove_recipient_permission(run: &mut Run<'_>) -> Outcome {
    run.require_admin(run.text("Identity"))?;
    let pair = pair(run, "Trustee")?;
    check_rights(
        run,
        &["SendAs"],
        "Microsoft.Exchange.Management.RecipientTasks.RecipientAccessRight",
        "SendAs",
    )?;
    revoke(run, Relation::SendAs, &pair);
    Ok(Vec::new())
}

/// `Get-RecipientPermission [-Identity] [-Trustee] [-AccessRights]`: without `Identity`, every
/// mailbox's (admins and apps only).
pub fn get_recipient_permission(run: &mut Run<'_>) -> Outcome {
    check_rights(
        run,
        &["SendAs"],
        "Microsoft.Exchange.Management.RecipientTasks.RecipientAccessRight",
        "SendAs",
    )?;
    let targets: Vec<(String, String)> = match run.params.text("Identity") {
        Some(identity) => {
            let target = mailbox(run.dir, identity)?;
            run.require_reader(identity, run.is_self(&target.id))?;
            vec![(target.id.clone(), target.exchange_name().to_owned())]
        }
        None => {
            run.require_reader("the organization", false)?;
            run.dir
                .users
                .iter()
                .filter(|user| user.props.get("userType").and_then(Value::as_str) != Some("Guest"))
                .map(|user| (user.id.clone(), user.exchange_name().to_owned()))
                .collect()
        }
    };
    let filter = match run.params.text("Trustee") {
        Some(trustee) => Some(person(run.dir, trustee, "Trustee")?.id.clone()),
        None => None,
    };
    let mut entries = Vec::new();
    for (id, name) in targets {
        if filter.is_none() {
            entries.push(recipient_entry(&name, SELF));
        }
        for user_id in run.dir.visible_relation(&id, Relation::SendAs, run.now) {
            if filter
                .as_deref()
                .is_some_and(|wanted| !wanted.eq_ignore_ascii_case(&user_id))
            {
                continue;
            }
            if let Some(upn) = run.dir.upn_of(&user_id) {
                entries.push(recipient_entry(&name, upn));
            }
        }
    }
    Ok(run.sized(entries))
}
