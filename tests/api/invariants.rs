//! What must hold after any run, however the bot was killed or its services failed (DESIGN.md
//! section 1, "never a lost approval, never a duplicate or orphaned grant"), checked on a
//! stopped deployment through the simulator's logs and state, the store and the command line:
//!
//! - every change was written at most once: no write of a membership or permission that was
//!   already there (Doorman reads before it writes), and no second Exchange change in a row;
//! - the tenant holds exactly what people had before plus what the active grants cover (a
//!   request still on its way may hold its own facts or not);
//! - every approval the bot answered as accepted is on the audit trail;
//! - every request is in a final state or one the next start resumes;
//! - `doorman audit verify` passes.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::Value;

use crate::app::TestApp;
use crate::approvals::story;
use doorman::requests::{RequestRecord, State};

/// An approval click the bot answered with "Approved by ...".
#[derive(Debug, Clone)]
pub(crate) struct AcceptedClick {
    pub request: String,
    pub approver: String,
}

/// The tenant as the simulator shows it (`GET /_sim/state`).
pub(crate) async fn tenant(app: &TestApp) -> Value {
    app.sim.control(Method::GET, "state", None).await.body
}

/// Checks everything above on `app`, which must be stopped; `before` is the tenant before the
/// run. Panics with every problem found and `context` (the seed that replays the run).
pub(crate) async fn assert_sound(
    app: &TestApp,
    before: &Value,
    clicks: &[AcceptedClick],
    context: &str,
) {
    let (problems, checked) = problems(app, before, clicks).await;
    println!("{context}: checked {checked}");
    assert!(
        checked.graph_writes > 0 && checked.grants > 0,
        "{context}: nothing to check ({checked})"
    );
    assert!(
        problems.is_empty(),
        "{context}: {} problem(s):\n- {}",
        problems.len(),
        problems.join("\n- ")
    );
}

/// How much a check looked at, so that a check that found nothing to look at is noticed.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Checked {
    pub graph_writes: usize,
    pub exchange_changes: usize,
    pub grants: usize,
    pub approvals: usize,
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} Graph membership writes, {} Exchange changes, {} grants, {} accepted approvals",
            self.graph_writes, self.exchange_changes, self.grants, self.approvals
        )
    }
}

/// Every broken invariant, in words, and how much was looked at.
pub(crate) async fn problems(
    app: &TestApp,
    before: &Value,
    clicks: &[AcceptedClick],
) -> (Vec<String>, Checked) {
    let graph_log = app.sim.control(Method::GET, "graph/log", None).await.body;
    let exchange_log = app
        .sim
        .control(Method::GET, "exchange/log", None)
        .await
        .body;
    let now = tenant(app).await;
    let requests = kept_requests(app);
    let checked = Checked {
        graph_writes: graph_log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| graph_fact(entry).is_some())
            .count(),
        exchange_changes: exchange_log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| {
                entry["cmdlet"].as_str().is_some_and(|cmdlet| {
                    cmdlet.starts_with("Add-") || cmdlet.starts_with("Remove-")
                })
            })
            .count(),
        grants: requests
            .iter()
            .filter(|record| holders(&now, record).is_some())
            .count(),
        approvals: clicks.len(),
    };
    let mut problems = Vec::new();
    problems.extend(graph_writes_once(&graph_log, before, app.runs_started()));
    problems.extend(exchange_writes_once(&exchange_log, app.runs_started()));
    problems.extend(tenant_matches_grants(before, &now, &requests));
    problems.extend(requests_settled(&requests));
    problems.extend(approvals_kept(app, clicks));
    let verified = app.cli(&["audit", "verify"]).await;
    if !verified.status.success() {
        problems.push(format!(
            "doorman audit verify failed: {}",
            String::from_utf8_lossy(&verified.stderr)
        ));
    }
    (problems, checked)
}

/// Every request in the stopped deployment's store.
pub(crate) fn kept_requests(app: &TestApp) -> Vec<RequestRecord> {
    use doorman::store::{Domain, SledStore, Table};
    let store = SledStore::open(&app.storage_path()).expect("the store opens");
    let table: Table<String, RequestRecord> =
        Table::open(&store, Domain::Requests).expect("the requests table");
    table
        .iter()
        .map(|entry| entry.expect("a kept request reads").1)
        .collect()
}

/// A request on its way that the daemon carries on by itself (rather than one waiting for a
/// person, or over).
pub(crate) fn in_motion(record: &RequestRecord) -> bool {
    matches!(
        record.state,
        State::Provisioning { waiting_for: None } | State::Revoking { .. } | State::Undoing { .. }
    )
}

/// One fact a Graph write changes: a person's membership or ownership of a group.
fn graph_fact(entry: &Value) -> Option<(String, String, bool)> {
    let method = entry["method"].as_str()?;
    let path = entry["path"].as_str()?.split('?').next()?;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("POST", ["groups", group, list @ ("members" | "owners"), "$ref"]) => {
            let person = entry["request"]["@odata.id"].as_str()?.rsplit('/').next()?;
            Some((format!("{list} of group {group}"), person.to_owned(), true))
        }
        (
            "DELETE",
            [
                "groups",
                group,
                list @ ("members" | "owners"),
                person,
                "$ref",
            ],
        ) => Some((
            format!("{list} of group {group}"),
            (*person).to_owned(),
            false,
        )),
        _ => None,
    }
}

/// Whether a logged call reached the service and was carried out or refused on its merits:
/// throttling and transient errors are answered before anything is done, and a refused token
/// does nothing.
fn reached(entry: &Value) -> bool {
    !matches!(
        entry["status"].as_u64(),
        Some(401 | 403 | 429 | 502 | 503 | 504)
    )
}

/// Whether a logged write was carried out: answered with success, or its answer lost.
fn carried_out(entry: &Value) -> bool {
    entry["status"].is_null() || entry["status"].as_u64().is_some_and(|status| status < 300)
}

/// The object ids of a group's members or owners in a tenant snapshot, by group id.
fn group_lists(
    tenant: &Value,
    people: &BTreeMap<String, String>,
) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut lists = BTreeMap::new();
    for group in tenant["groups"].as_array().into_iter().flatten() {
        let id = group["id"].as_str().unwrap_or_default().to_owned();
        for list in ["members", "owners"] {
            let ids = group[list]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|upn| {
                    people
                        .get(&upn.to_lowercase())
                        .cloned()
                        .unwrap_or_else(|| upn.to_owned())
                })
                .collect();
            lists.insert((format!("{list} of group {id}"), String::new()), ids);
        }
    }
    lists
}

/// UPN (lower case) → object id, from a tenant snapshot.
fn object_ids(tenant: &Value) -> BTreeMap<String, String> {
    tenant["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|user| {
            Some((
                user["userPrincipalName"].as_str()?.to_lowercase(),
                user["id"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Group lists and people by the ids a Graph path names them with, in words.
fn readable_names(tenant: &Value) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for user in tenant["users"].as_array().into_iter().flatten() {
        if let (Some(id), Some(upn)) = (user["id"].as_str(), user["userPrincipalName"].as_str()) {
            names.insert(id.to_owned(), upn.to_owned());
        }
    }
    for group in tenant["groups"].as_array().into_iter().flatten() {
        if let (Some(id), Some(name)) = (group["id"].as_str(), group["displayName"].as_str()) {
            for list in ["members", "owners"] {
                names.insert(format!("{list} of group {id}"), format!("{list} of {name}"));
            }
        }
    }
    names
}

/// Every Graph membership or ownership write, in order, against whether the fact was there:
/// adding what is there, or removing what is not, is a change made twice (or made over what a
/// person had before) — Doorman must have read first and known.
fn graph_writes_once(log: &Value, before: &Value, started: &[DateTime<Utc>]) -> Vec<String> {
    let people = object_ids(before);
    let lists = group_lists(before, &people);
    let names = readable_names(before);
    let mut present: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut history: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    // Per fact, the last write that reached the tenant, not counting removals sent again; and
    // the last removal sent, counting them.
    let mut last_reached: BTreeMap<(String, String), &Value> = BTreeMap::new();
    let mut last_removal: BTreeMap<(String, String), &Value> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in log.as_array().into_iter().flatten() {
        let Some((list, person, adding)) = graph_fact(entry) else {
            continue;
        };
        let key = (list.clone(), person.clone());
        let story = history.entry(key.clone()).or_default();
        story.push(format!(
            "{} {} by {}",
            entry["method"].as_str().unwrap_or_default(),
            entry["status"],
            entry["user"].as_str().unwrap_or_default()
        ));
        if !reached(entry) {
            continue;
        }
        let there = *present.entry(key.clone()).or_insert_with(|| {
            lists
                .get(&(list.clone(), String::new()))
                .is_some_and(|ids| ids.contains(&person))
        });
        // A removal sent again changed nothing: the removal it repeats stays the last write, and
        // the next run may send it once more, but this one may not.
        let sent_again = removal_sent_again(
            entry,
            last_reached.get(&key).copied(),
            last_removal.get(&key).copied(),
            started,
        );
        if there == adding && !sent_again {
            problems.push(format!(
                "{} {} {} when it was {} (by {}, answered {}); its last writes: {}",
                entry["method"].as_str().unwrap_or_default(),
                names.get(&list).unwrap_or(&list),
                names.get(&person).unwrap_or(&person),
                if there { "already there" } else { "not there" },
                entry["user"],
                entry["status"],
                story[story.len().saturating_sub(6)..].join(", "),
            ));
        }
        if carried_out(entry) {
            present.insert(key.clone(), adding);
        }
        if !adding {
            last_removal.insert(key.clone(), entry);
        }
        if !sent_again {
            last_reached.insert(key, entry);
        }
    }
    problems
}

/// Whether `entry` is a removal sent again right after the same removal, and answered 404: a
/// removal resumed after a kill within replication lag is sent again by design (a read then
/// proves nothing: `provision::provisioner`'s `gone_already`), and Graph's 404 says it found
/// nothing to remove. It changed nothing, so it is no change made twice, as Exchange's warning is
/// not ([`found_nothing`]). "The same removal": the last write of the fact to reach the tenant was
/// a removal carried out under the same person's token, with nothing in between, and the last
/// time it was sent (it, or a resend of it) was by a run that never heard the answer
/// ([`unheard_before`]). A 404 to any other removal is still a problem: Doorman removed what it
/// had not read was there.
fn removal_sent_again(
    entry: &Value,
    previous: Option<&Value>,
    last_sent: Option<&Value>,
    started: &[DateTime<Utc>],
) -> bool {
    let (Some(previous), Some(last_sent)) = (previous, last_sent) else {
        return false;
    };
    entry["method"] == "DELETE"
        && entry["status"].as_u64() == Some(404)
        && previous["method"] == "DELETE"
        && carried_out(previous)
        && previous["user"] == entry["user"]
        && previous["path"] == entry["path"]
        && unheard_before(last_sent, entry, started)
}

/// Whether the run that sent `earlier` cannot have heard its answer before `later` was sent:
/// the answer was lost, or a run of the bot started after `earlier` arrived and before `later`
/// did (so a later run sent it). Two removals of one fact sent within one run, the first
/// answered, are the same change made twice, whoever sent them. (A request a killed run wrote
/// just before it died and the simulator read only after the next run started would be taken
/// for the next run's: never seen, as a run takes far longer to start than that.)
fn unheard_before(earlier: &Value, later: &Value, started: &[DateTime<Utc>]) -> bool {
    let received = |entry: &Value| {
        entry["received"]
            .as_str()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.with_timezone(&Utc))
    };
    let (Some(sent), Some(resent)) = (received(earlier), received(later)) else {
        return false;
    };
    earlier["status"].is_null() || started.iter().any(|&start| sent < start && start < resent)
}

/// Every Exchange permission or list change, in order: the same change carried out twice with
/// nothing undoing it between is a change made twice, and a removal that found nothing to remove
/// is one too unless it is the last removal of the fact sent again, after the last time it was
/// sent, by a run that never heard its answer (as Graph's 404, [`removal_sent_again`]).
fn exchange_writes_once(log: &Value, started: &[DateTime<Utc>]) -> Vec<String> {
    let mut last: BTreeMap<String, (bool, &Value)> = BTreeMap::new();
    // Per fact, the last removal sent, counting those sent again.
    let mut last_removal: BTreeMap<String, &Value> = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in log.as_array().into_iter().flatten() {
        let cmdlet = entry["cmdlet"].as_str().unwrap_or_default();
        let (adding, noun) = if let Some(noun) = cmdlet.strip_prefix("Add-") {
            (true, noun)
        } else if let Some(noun) = cmdlet.strip_prefix("Remove-") {
            (false, noun)
        } else {
            continue;
        };
        if !reached(entry) || !carried_out(entry) {
            continue;
        }
        let parameters = &entry["parameters"];
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| parameters[*name].as_str())
                .unwrap_or_default()
                .to_lowercase()
        };
        let fact = format!(
            "{noun} {} for {} ({})",
            field(&["Identity"]),
            field(&["User", "Trustee", "Member"]),
            parameters["AccessRights"]
        );
        if !adding && found_nothing(entry) {
            let last_sent = last_removal.insert(fact.clone(), entry);
            let sent_again = last.get(&fact).is_some_and(|(added, previous)| {
                !added
                    && previous["user"] == entry["user"]
                    && last_sent.is_some_and(|sent| unheard_before(sent, entry, started))
            });
            if !sent_again {
                problems.push(format!(
                    "{cmdlet} found nothing to remove and was no removal sent again: {fact}"
                ));
            }
            continue;
        }
        if last.get(&fact).is_some_and(|(added, _)| *added == adding) {
            problems.push(format!("{cmdlet} carried out twice in a row: {fact}"));
        }
        if !adding {
            last_removal.insert(fact.clone(), entry);
        }
        last.insert(fact, (adding, entry));
    }
    problems
}

/// Whether a removal answered that there was nothing to remove: Exchange's warning for an
/// access entry that does not exist, where Graph answers 404. It changed nothing, so it is no
/// change made twice; a removal resumed after a kill within replication lag is sent again by
/// design, since a read then proves nothing (`provision::provisioner`'s `gone_already`).
fn found_nothing(entry: &Value) -> bool {
    entry["response"]["@adminapi.warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|warning| warning.contains("doesn't exist"))
}

/// Where a grant's fact lives in a tenant snapshot: the list of UPNs that holds it.
fn holders(tenant: &Value, record: &RequestRecord) -> Option<Vec<String>> {
    let name = record.resource.name.as_str();
    let access = record.access.to_string();
    let kind = record.resource.kind.to_string();
    let (collection, list) = match (kind.as_str(), access.as_str()) {
        ("group" | "team", "member") => ("groups", "members"),
        ("group" | "team", "owner") => ("groups", "owners"),
        ("mailbox", "full_access" | "full access") => ("mailboxes", "fullAccess"),
        ("mailbox", "send_as" | "send as") => ("mailboxes", "sendAs"),
        _ => return None,
    };
    let holder = tenant[collection]
        .as_array()?
        .iter()
        .find(|item| item["displayName"] == name)?;
    Some(
        holder[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
    )
}

/// What people hold now is what they held before plus what the active grants cover; a request
/// on its way may or may not hold its own fact yet.
fn tenant_matches_grants(before: &Value, now: &Value, requests: &[RequestRecord]) -> Vec<String> {
    // (fact place, person) → (active grants, on their way)
    let mut facts: BTreeMap<(String, String, String), (usize, usize)> = BTreeMap::new();
    let mut problems = Vec::new();
    for record in requests {
        if holders(now, record).is_none() {
            continue;
        }
        let key = (
            record.resource.name.clone(),
            record.access.to_string(),
            record.requester.upn.to_lowercase(),
        );
        let counts = facts.entry(key).or_default();
        match &record.state {
            State::Active => counts.0 += 1,
            _ if in_motion(record) => counts.1 += 1,
            _ => {}
        }
    }
    for record in requests {
        let (Some(held_now), Some(held_before)) = (holders(now, record), holders(before, record))
        else {
            continue;
        };
        let person = record.requester.upn.to_lowercase();
        let key = (
            record.resource.name.clone(),
            record.access.to_string(),
            person.clone(),
        );
        let (active, moving) = facts.get(&key).copied().unwrap_or_default();
        let had = held_before.contains(&person);
        let has = held_now.contains(&person);
        let expected = had || active > 0;
        if has != expected && moving == 0 {
            problems.push(format!(
                "{person} {} {} on {} ({}): had it before {had}, {active} active grant(s), holds it now {has}",
                if has { "holds" } else { "lacks" },
                record.access,
                record.resource.name,
                record.id,
            ));
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Every request is over or waits for something the next start resumes: a person's decision
/// or sign-in, or the daemon's own next step.
fn requests_settled(requests: &[RequestRecord]) -> Vec<String> {
    requests
        .iter()
        .filter(|record| in_motion(record))
        .map(|record| format!("{} is still on its way: {:?}", record.id, record.state))
        .collect()
}

/// Every click the bot answered as an approval is on the request's audit trail.
fn approvals_kept(app: &TestApp, clicks: &[AcceptedClick]) -> Vec<String> {
    clicks
        .iter()
        .filter(|click| {
            !story(app, &click.request).iter().any(|record| {
                record["kind"] == "approved" && record.to_string().contains(&click.approver)
            })
        })
        .map(|click| {
            format!(
                "{}'s approval of {} was answered as accepted but is not on the audit trail",
                click.approver, click.request
            )
        })
        .collect()
}

/// The write checks themselves, on made-up logs: each rule must be able to fail.
mod checks {
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use serde_json::{Value, json};

    use super::{exchange_writes_once, graph_writes_once};

    const GROUP: &str = "g-1";
    const PERSON: &str = "u-1";

    fn at(second: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0)
            .single()
            .unwrap_or_default()
            + Duration::seconds(second)
    }

    /// Nobody in the group to begin with.
    fn before() -> Value {
        json!({
            "users": [{"id": PERSON, "userPrincipalName": "ann@contoso.com"}],
            "groups": [{"id": GROUP, "displayName": "Design", "members": [], "owners": []}],
        })
    }

    fn graph(method: &str, status: Option<u16>, second: i64) -> Value {
        let (path, request) = if method == "POST" {
            (
                format!("/groups/{GROUP}/members/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{PERSON}")}),
            )
        } else {
            (
                format!("/groups/{GROUP}/members/{PERSON}/$ref"),
                Value::Null,
            )
        };
        json!({"method": method, "path": path, "user": "tom@contoso.com", "status": status,
               "request": request, "received": at(second).to_rfc3339()})
    }

    fn exchange(cmdlet: &str, status: Option<u16>, nothing: bool, second: i64) -> Value {
        let warnings: Vec<&str> = if nothing {
            vec!["The access control entry doesn't exist."]
        } else {
            Vec::new()
        };
        json!({"cmdlet": cmdlet, "user": "tom@contoso.com", "status": status,
               "parameters": {"Identity": "sales@contoso.com", "User": "ann@contoso.com",
                              "AccessRights": ["FullAccess"]},
               "response": {"@adminapi.warnings": warnings},
               "received": at(second).to_rfc3339()})
    }

    #[test]
    fn a_removal_sent_again_by_the_next_run_is_nothing_done() {
        let log = json!([
            graph("POST", Some(204), 0),
            graph("DELETE", Some(204), 10),
            graph("DELETE", Some(404), 12),
            graph("DELETE", Some(404), 14),
        ]);
        assert!(graph_writes_once(&log, &before(), &[at(11), at(13)]).is_empty());
    }

    #[test]
    fn a_removal_sent_twice_within_one_run_is_made_twice() {
        let log = json!([
            graph("POST", Some(204), 0),
            graph("DELETE", Some(204), 10),
            graph("DELETE", Some(404), 12),
        ]);
        // A run started before the first removal, and the next after the second: one run sent
        // both.
        assert_eq!(
            graph_writes_once(&log, &before(), &[at(5), at(13)]).len(),
            1
        );
    }

    #[test]
    fn a_removal_sent_again_twice_by_one_run_is_made_twice() {
        let log = json!([
            graph("POST", Some(204), 0),
            graph("DELETE", Some(204), 10),
            graph("DELETE", Some(404), 12),
            graph("DELETE", Some(404), 14),
            graph("DELETE", Some(404), 16),
        ]);
        // One restart excuses one resend: the run that sent it heard its 404.
        assert_eq!(graph_writes_once(&log, &before(), &[at(11)]).len(), 2);
    }

    #[test]
    fn a_removal_whose_answer_was_lost_may_be_sent_again() {
        let log = json!([
            graph("POST", Some(204), 0),
            graph("DELETE", None, 10),
            graph("DELETE", Some(404), 12),
        ]);
        assert!(graph_writes_once(&log, &before(), &[]).is_empty());
    }

    #[test]
    fn a_removal_of_what_was_never_there_is_a_problem() {
        let log = json!([graph("DELETE", Some(404), 12)]);
        assert_eq!(graph_writes_once(&log, &before(), &[at(11)]).len(), 1);
    }

    #[test]
    fn exchange_removals_that_find_nothing_follow_the_same_rule() {
        let added_then_removed = [
            exchange("Add-MailboxPermission", Some(200), false, 0),
            exchange("Remove-MailboxPermission", Some(200), false, 10),
        ];
        let resent = exchange("Remove-MailboxPermission", Some(200), true, 12);
        let mut log = added_then_removed.to_vec();
        log.push(resent.clone());
        let log = Value::Array(log);
        assert!(exchange_writes_once(&log, &[at(11)]).is_empty());
        assert_eq!(exchange_writes_once(&log, &[]).len(), 1);
        assert_eq!(exchange_writes_once(&json!([resent]), &[at(11)]).len(), 1);
        let twice = json!([
            exchange("Add-MailboxPermission", Some(200), false, 0),
            exchange("Add-MailboxPermission", Some(200), false, 10),
        ]);
        assert_eq!(exchange_writes_once(&twice, &[at(5)]).len(), 1);
        let mut again = added_then_removed.to_vec();
        again.push(resent);
        again.push(exchange("Remove-MailboxPermission", Some(200), true, 14));
        assert_eq!(
            exchange_writes_once(&Value::Array(again), &[at(11)]).len(),
            1,
            "the second resend came from the run that heard the first"
        );
    }
}
