//! Lists (distribution lists and mail-enabled security groups): `Add-`/`Remove-`/
//! `Get-DistributionGroupMember` and `Get-DistributionGroup`. Members live in the group's
//! Graph `members`, so Graph and `/_sim/state` see Exchange's changes; owners are the group's
//! `owners`, which Exchange shows as `ManagedBy` (and Graph no longer lists).
//!
//! As in Exchange Online, only a list's managers change its members, unless an admin passes
//! `BypassSecurityGroupManagerCheck` (which only admins may); anyone else gets
//! `OperationRequiresGroupManagerException`. Adding a member twice or removing a non-member is
//! an error, not a warning.

use serde_json::{Value, json};

use super::answer::{Exception, ExoError};
use super::recipients::{group_recipient, list, person, user_recipient};
use super::run::{Outcome, Run};
use crate::sim::directory::{Group, GroupKind, Relation};

/// Refuses a membership change of `group` the caller may not make.
fn require_manager(run: &Run<'_>, group: &Group) -> Result<(), ExoError> {
    run.require_person()?;
    let bypass = run.params.switch("BypassSecurityGroupManagerCheck");
    if bypass && !run.is_admin() {
        return Err(ExoError::cmdlet(
            Exception::CmdletAccessDenied,
            format!(
                "'{}' isn't assigned a management role that allows the BypassSecurityGroupManagerCheck parameter.",
                run.caller.label()
            ),
        )
        .about("BypassSecurityGroupManagerCheck"));
    }
    if run.manages(group) || bypass {
        Ok(())
    } else {
        Err(ExoError::cmdlet(
            Exception::OperationRequiresGroupManager,
            "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
        ))
    }
}

/// The list `Identity` names and the person `Member` names, as ids, after the caller's check.
fn list_and_member(run: &Run<'_>) -> Result<(String, String, String), ExoError> {
    let group = list(run.dir, run.text("Identity"))?;
    require_manager(run, group)?;
    let member = person(run.dir, run.text("Member"), "Member")?;
    Ok((
        group.id.clone(),
        group.display_name().to_owned(),
        member.id.clone(),
    ))
}

pub fn add_member(run: &mut Run<'_>) -> Outcome {
    let (group_id, name, member_id) = list_and_member(run)?;
    let visible_at = run.visible_at();
    if !run
        .dir
        .add_relation(&group_id, Relation::ListMember, &member_id, visible_at)
    {
        return Err(ExoError::cmdlet(
            Exception::MemberAlreadyExists,
            format!(
                "The recipient \"{}\" is already a member of the group \"{name}\".",
                run.text("Member")
            ),
        ));
    }
    Ok(Vec::new())
}

pub fn remove_member(run: &mut Run<'_>) -> Outcome {
    let (group_id, name, member_id) = list_and_member(run)?;
    let (now, lag) = (run.now, run.lag);
    if !run
        .dir
        .remove_relation(&group_id, Relation::ListMember, &member_id, now, lag)
    {
        return Err(ExoError::cmdlet(
            Exception::MemberNotFound,
            format!(
                "The recipient \"{}\" isn't a member of the group \"{name}\".",
                run.text("Member")
            ),
        ));
    }
    Ok(Vec::new())
}

/// `Get-DistributionGroupMember -Identity`: the members reads see now (admins, apps and the
/// list's managers).
pub fn get_members(run: &mut Run<'_>) -> Outcome {
    let identity = run.text("Identity").to_owned();
    let group = list(run.dir, &identity)?;
    run.require_reader(&identity, run.manages(group))?;
    let members = run
        .dir
        .visible_relation(&group.id, Relation::ListMember, run.now)
        .iter()
        .filter_map(|id| run.dir.user(id))
        .map(|user| Value::Object(user_recipient(user)))
        .collect();
    Ok(run.sized(members))
}

/// `Get-DistributionGroup [-Identity]`: with `ManagedBy`, the owners' Exchange names.
pub fn get_lists(run: &mut Run<'_>) -> Outcome {
    let groups: Vec<&Group> = match run.params.text("Identity") {
        Some(identity) => {
            let group = list(run.dir, identity)?;
            run.require_reader(identity, run.manages(group))?;
            vec![group]
        }
        None => {
            let everyone = run.require_reader("the organization", false).is_ok();
            run.dir
                .groups
                .iter()
                .filter(|group| group.is_list() && (everyone || run.manages(group)))
                .collect()
        }
    };
    let objects = groups
        .into_iter()
        .map(|group| {
            let mut object = group_recipient(group);
            let managers: Vec<&str> = group
                .owners
                .iter()
                .filter_map(|link| run.dir.user(&link.id))
                .map(|user| user.exchange_name())
                .collect();
            let kind = match group.kind() {
                GroupKind::MailEnabledSecurity => "Universal, SecurityEnabled",
                _ => "Universal",
            };
            object.insert("ManagedBy".into(), json!(managers));
            object.insert("GroupType".into(), json!(kind));
            object.insert("MemberJoinRestriction".into(), json!("Closed"));
            object.insert("MemberDepartRestriction".into(), json!("Open"));
            Value::Object(object)
        })
        .collect();
    Ok(run.sized(objects))
}
