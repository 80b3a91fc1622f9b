//! Inbox rules (`Get-InboxRule`, `Remove-InboxRule`): the same rules Graph serves as the inbox's
//! `messageRules`, shown as Exchange shows them. An admin or the mailbox's own user may remove
//! them; apps may read them.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::answer::{Exception, ExoError};
use super::recipients::mailbox;
use super::run::{Outcome, Run};
use crate::sim::directory::User;

/// Exchange's numeric `RuleIdentity` of a Graph rule, stable for its id.
fn rule_identity(graph_id: &str) -> String {
    let digest = Sha256::digest(graph_id.as_bytes());
    let mut bytes = [0_u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    // Exchange's identities are positive 64-bit numbers.
    (u64::from_be_bytes(bytes) >> 1).to_string()
}

/// The mailbox `Mailbox` names, or the caller's own.
fn owner<'d>(run: &'d Run<'_>) -> Result<&'d User, ExoError> {
    match (run.params.text("Mailbox"), run.caller.user_id()) {
        (Some(identity), _) => mailbox(run.dir, identity),
        (None, Some(id)) => run.dir.user(id).ok_or_else(|| ExoError::not_found(id)),
        (None, None) => Err(ExoError::binding(
            "Mailbox",
            "Cannot process command because of one or more missing mandatory parameters: Mailbox.",
        )),
    }
}

/// Recipients of a forwarding action as Exchange prints them: `"Name" [SMTP:address]`.
fn recipients(run: &Run<'_>, rule: &Value, action: &str) -> Value {
    let listed: Vec<String> = rule
        .pointer(&format!("/actions/{action}"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|recipient| {
            let address = recipient.pointer("/emailAddress/address")?.as_str()?;
            let name = run
                .dir
                .user_by_address(address)
                .map(|user| user.exchange_name().to_owned())
                .or_else(|| {
                    recipient
                        .pointer("/emailAddress/name")?
                        .as_str()
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| address.to_owned());
            Some(format!("\"{name}\" [SMTP:{address}]"))
        })
        .collect();
    if listed.is_empty() {
        Value::Null
    } else {
        json!(listed)
    }
}

fn rule_object(run: &Run<'_>, owner: &User, rule: &Value) -> Value {
    let graph_id = rule["id"].as_str().unwrap_or_default();
    let number = rule_identity(graph_id);
    let name = rule["displayName"].as_str().unwrap_or_default();
    json!({
        "Identity": format!("{}\\{number}", owner.exchange_name()),
        "RuleIdentity": number,
        "Name": name,
        "MailboxOwnerId": owner.exchange_name(),
        "Enabled": rule["isEnabled"].as_bool().unwrap_or(true),
        "Priority": rule["sequence"],
        "InError": rule["hasError"].as_bool().unwrap_or(false),
        "ForwardTo": recipients(run, rule, "forwardTo"),
        "ForwardAsAttachmentTo": recipients(run, rule, "forwardAsAttachmentTo"),
        "RedirectTo": recipients(run, rule, "redirectTo"),
        "StopProcessingRules": rule.pointer("/actions/stopProcessingRules").and_then(Value::as_bool).unwrap_or(false),
        "Description": format!("If the message: Applies to all messages. Take the following actions: {name}"),
    })
}

/// Whether `identity` names `rule`: its name, its `RuleIdentity` (bare or after `mailbox\`), or
/// its Graph id.
fn names(identity: &str, rule: &Value) -> bool {
    let graph_id = rule["id"].as_str().unwrap_or_default();
    let number = rule_identity(graph_id);
    let bare = identity.rsplit('\\').next().unwrap_or(identity);
    rule["displayName"]
        .as_str()
        .is_some_and(|name| name.eq_ignore_ascii_case(identity) || name.eq_ignore_ascii_case(bare))
        || bare == number
        || identity == graph_id
}

pub fn get(run: &mut Run<'_>) -> Outcome {
    let owner = owner(run)?;
    let shown = run.params.text("Mailbox").unwrap_or(owner.upn.as_str());
    run.require_reader(shown, run.is_self(&owner.id))?;
    let wanted = run.params.text("Identity");
    let rules: Vec<Value> = owner
        .message_rules
        .iter()
        .filter(|rule| wanted.is_none_or(|identity| names(identity, rule)))
        .map(|rule| rule_object(run, owner, rule))
        .collect();
    if let (Some(identity), true) = (wanted, rules.is_empty()) {
        return Err(ExoError::not_found(identity));
    }
    Ok(run.sized(rules))
}

pub fn remove(run: &mut Run<'_>) -> Outcome {
    let owner = owner(run)?;
    let shown = run.params.text("Mailbox").unwrap_or(owner.upn.as_str());
    run.require_writer(shown, run.is_self(&owner.id))?;
    let owner_id = owner.id.clone();
    let identity = run.text("Identity").to_owned();
    let matching: Vec<String> = owner
        .message_rules
        .iter()
        .filter(|rule| names(&identity, rule))
        .filter_map(|rule| rule["id"].as_str().map(str::to_owned))
        .collect();
    let id = match matching.as_slice() {
        [] => return Err(ExoError::not_found(&identity)),
        [one] => one.clone(),
        _ => {
            return Err(ExoError::cmdlet(
                Exception::ManagementObjectAmbiguous,
                format!(
                    "The operation couldn't be performed because '{identity}' matches multiple entries."
                ),
            ));
        }
    };
    if let Some(owner) = run.dir.user_mut(&owner_id) {
        owner.message_rules.retain(|rule| rule["id"] != id.as_str());
    }
    Ok(Vec::new())
}
