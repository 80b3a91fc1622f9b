//! The six layers as a table: each row is a policy, a request and the decision it must get.
//!
//! A small fixed world of requesters and resources stands behind every row; a row names them
//! by short keys. Expected stages are written as the file names them (`"owner"`), or with the
//! approvers when they matter (`"owner by mike@contoso.com"`).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::model::{ActionName, Policy, Verify};
use super::{Acting, Decision, Facts, Layer, Request, Requester, decide};
use crate::catalog::{ParentRef, Principal, Resource};
use crate::domain::resource::{Access, ResourceKind};

const HOME: &str = "home-tenant";
const DAY: u64 = 86_400;
/// A Wednesday, 10:00 in New York: inside every change window below.
const NOW: &str = "2025-01-15T15:00:00Z";
/// A Saturday, 10:00 in New York: outside them.
const SATURDAY: &str = "2025-01-18T15:00:00Z";

fn parse(text: &str) -> Policy {
    Policy::parse(text, "policy.toml")
        .unwrap_or_else(|error| panic!("a test policy does not parse:\n{error}\n{text}"))
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a test time is RFC 3339")
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// The world.

const MIKE: &str = "mike@contoso.com";

fn requester(key: &str) -> Requester {
    let person =
        |upn: &str, department: Option<&str>, kind: Option<&str>, manager: Option<&str>| {
            Requester {
                upn: upn.to_owned(),
                tenant_id: Some(HOME.to_owned()),
                guest: false,
                enabled: true,
                department: department.map(str::to_owned),
                employee_type: kind.map(str::to_owned),
                manager: manager.map(str::to_owned),
            }
        };
    match key {
        "alice" => person(
            "alice@contoso.com",
            Some("Finance"),
            Some("Employee"),
            Some(MIKE),
        ),
        "sam" => person(
            "sam@contoso.com",
            Some("Sales"),
            Some("Employee"),
            Some(MIKE),
        ),
        "carl" => person(
            "carl@contoso.com",
            Some("Finance"),
            Some("Contractor"),
            Some(MIKE),
        ),
        // No department, no employee type, no manager.
        "nora" => person("nora@contoso.com", None, None, None),
        // The sole owner of VPN Users.
        "olivia" => person(
            "olivia@contoso.com",
            Some("Operations"),
            Some("Employee"),
            Some(MIKE),
        ),
        // The sole owner of Lab, with no manager.
        "oscar" => person(
            "oscar@contoso.com",
            Some("Operations"),
            Some("Employee"),
            None,
        ),
        // One of the two owners of Payroll.
        "bob" => person(
            "bob@contoso.com",
            Some("Finance"),
            Some("Employee"),
            Some(MIKE),
        ),
        "guest" => Requester {
            guest: true,
            ..person(
                "gail_fabrikam.com#EXT#@contoso.com",
                Some("Finance"),
                None,
                Some(MIKE),
            )
        },
        "disabled" => Requester {
            enabled: false,
            ..person(
                "dan@contoso.com",
                Some("Finance"),
                Some("Employee"),
                Some(MIKE),
            )
        },
        "foreign" => Requester {
            tenant_id: Some("other-tenant".into()),
            ..person(
                "fay@fabrikam.com",
                Some("Finance"),
                Some("Employee"),
                Some(MIKE),
            )
        },
        other => panic!("no requester {other} in the test world"),
    }
}

fn world() -> Vec<Resource> {
    use ResourceKind::*;
    let make = |kind: ResourceKind, id: &str, name: &str, owners: &[&str]| {
        let mut resource = Resource::new(kind, id, name);
        resource.owners = owners
            .iter()
            .map(|upn| Principal {
                id: format!("id-{upn}"),
                upn: Some((*upn).to_owned()),
            })
            .collect();
        resource
    };
    let carried = |mut resource: Resource, group: &str| {
        resource.group_id = Some(group.to_owned());
        resource
    };
    let classified = |mut resource: Resource, classification: &str| {
        resource.classification = Some(classification.to_owned());
        resource
    };
    let tagged = |mut resource: Resource, tag: &str| {
        resource.tags.push(tag.to_owned());
        resource
    };
    let mut vpn = make(Group, "vpn", "VPN Users", &["olivia@contoso.com"]);
    vpn.visibility = Some("Private".into());
    let mut roles = make(Group, "roles", "Global Readers", &["bob@contoso.com"]);
    roles.role_assignable = true;
    let mut support = make(Mailbox, "support", "Support", &["bob@contoso.com"]);
    support.mail = Some("support@contoso.com".into());
    let mut secret = carried(
        make(Channel, "secret", "Secret", &["paula@contoso.com"]),
        "g-proj",
    );
    secret.parent = Some(ParentRef {
        kind: Team,
        id: "g-proj".into(),
        name: "Project X".into(),
    });
    vec![
        vpn,
        tagged(
            classified(
                make(
                    Group,
                    "payroll",
                    "Payroll",
                    &["bob@contoso.com", "olivia@contoso.com"],
                ),
                "Restricted",
            ),
            "finance",
        ),
        make(Group, "tier0", "Tier0 Admins", &["bob@contoso.com"]),
        roles,
        make(Group, "lab", "Lab", &["oscar@contoso.com"]),
        // A team whose group is locked, and the group.
        carried(
            make(Team, "proj", "Project X", &["paula@contoso.com"]),
            "g-proj",
        ),
        tagged(
            make(Group, "g-proj", "Project X", &["paula@contoso.com"]),
            "locked",
        ),
        // A team whose group is restricted to Finance.
        carried(
            make(Team, "plant", "Plant Floor", &["paula@contoso.com"]),
            "g-plant",
        ),
        classified(
            make(Group, "g-plant", "Plant Floor", &["paula@contoso.com"]),
            "Restricted",
        ),
        // A team whose group the catalog does not hold.
        carried(
            make(Team, "orphan", "Orphan", &["paula@contoso.com"]),
            "g-missing",
        ),
        carried(
            make(Site, "finsite", "Finance", &["frank@contoso.com"]),
            "g-finsite",
        ),
        classified(
            make(Group, "g-finsite", "Finance Site", &["frank@contoso.com"]),
            "Restricted",
        ),
        carried(
            make(Site, "mktsite", "Marketing", &["maria@contoso.com"]),
            "g-mkt",
        ),
        tagged(
            make(Group, "g-mkt", "Marketing Site", &["maria@contoso.com"]),
            "locked",
        ),
        secret,
        support,
        make(Library, "contracts", "Contracts", &["frank@contoso.com"]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Requests.

#[derive(Clone, Debug)]
struct Ask {
    who: &'static str,
    action: ActionName,
    what: Option<&'static str>,
    access: Option<Access>,
    days: Option<u64>,
    on_behalf_of: Option<&'static str>,
    internal: Option<bool>,
    /// A new primary address: (its domain is verified, someone else holds it).
    address: Option<(bool, bool)>,
    /// The account asked about is an administrator's.
    privileged: bool,
    recent: u32,
    at: &'static str,
}

fn ask(who: &'static str, what: &'static str) -> Ask {
    Ask {
        who,
        action: ActionName::Grant,
        what: Some(what),
        access: None,
        days: None,
        on_behalf_of: None,
        internal: None,
        address: None,
        privileged: false,
        recent: 0,
        at: NOW,
    }
}

fn own(who: &'static str, action: ActionName) -> Ask {
    Ask {
        action,
        what: None,
        ..ask(who, "")
    }
}

impl Ask {
    fn level(mut self, access: Access) -> Self {
        self.access = Some(access);
        self
    }
    fn days(mut self, days: u64) -> Self {
        self.days = Some(days);
        self
    }
    fn revoke(mut self) -> Self {
        self.action = ActionName::Revoke;
        self
    }
    fn privileged(mut self) -> Self {
        self.privileged = true;
        self
    }
    fn for_someone(mut self, upn: &'static str) -> Self {
        self.on_behalf_of = Some(upn);
        self
    }
    fn address(mut self, domain_verified: bool, held_by_another: bool) -> Self {
        self.address = Some((domain_verified, held_by_another));
        self
    }
    fn internal(mut self, internal: bool) -> Self {
        self.internal = Some(internal);
        self
    }
    fn recent(mut self, count: u32) -> Self {
        self.recent = count;
        self
    }
    fn at(mut self, when: &'static str) -> Self {
        self.at = when;
        self
    }
}

fn run(policy: Option<&Policy>, ask: &Ask) -> Decision {
    let world = world();
    let resource = ask.what.map(|id| {
        world
            .iter()
            .find(|resource| resource.id == id)
            .unwrap_or_else(|| panic!("no resource {id} in the test world"))
    });
    let group = resource
        .filter(|resource| resource.kind != ResourceKind::Group)
        .and_then(|resource| resource.group_id.as_deref())
        .and_then(|id| world.iter().find(|resource| resource.id == id));
    let requester = requester(ask.who);
    let request = Request {
        action: ask.action,
        resource,
        access: ask.access,
        duration: ask.days.map(|days| Duration::from_secs(days * DAY)),
        has_reason: true,
        on_behalf_of: ask.on_behalf_of,
        counterpart_internal: ask.internal,
        privileged: ask.privileged,
        new_address: ask.address.map(|(domain_verified, held_by_another)| {
            crate::policy::NewAddress {
                address: "alice.new@contoso.com",
                domain_verified,
                held_by_another,
            }
        }),
    };
    let facts = Facts {
        requester: &requester,
        home_tenant: HOME,
        group,
        recent_requests: ask.recent,
        now: instant(ask.at),
    };
    decide(policy, &request, &facts)
}

// ---------------------------------------------------------------------------------------------
// Expectations.

#[derive(Debug)]
enum Rule {
    /// Any rule, or none.
    Any,
    /// A built-in invariant: no rule of the file.
    BuiltIn,
    Named(&'static str),
}

#[derive(Debug)]
enum Want {
    Deny(Layer, Rule),
    Allow {
        access: Option<Access>,
        stages: &'static [&'static str],
        days: Option<u64>,
    },
}

fn deny(layer: Layer) -> Want {
    Want::Deny(layer, Rule::Any)
}

fn deny_builtin(layer: Layer) -> Want {
    Want::Deny(layer, Rule::BuiltIn)
}

fn deny_by(layer: Layer, rule: &'static str) -> Want {
    Want::Deny(layer, Rule::Named(rule))
}

fn allow(
    access: impl Into<Option<Access>>,
    stages: &'static [&'static str],
    days: Option<u64>,
) -> Want {
    Want::Allow {
        access: access.into(),
        stages,
        days,
    }
}

fn compare(decision: &Decision, want: &Want) -> Result<(), String> {
    match (decision, want) {
        (Decision::Deny(denial), Want::Deny(layer, rule)) => {
            if denial.layer != *layer {
                return Err(format!("denied at {}, not {layer}", denial.layer));
            }
            match rule {
                Rule::Any => Ok(()),
                Rule::BuiltIn if denial.rule.is_none() => Ok(()),
                Rule::Named(name) if denial.rule.as_deref() == Some(*name) => Ok(()),
                _ => Err(format!("denied by rule {:?}, not {rule:?}", denial.rule)),
            }
        }
        (
            Decision::Allow(grant),
            Want::Allow {
                access,
                stages,
                days,
            },
        ) => {
            if grant.access != *access {
                return Err(format!("granted {:?}, not {access:?}", grant.access));
            }
            let want_span = days.map(|days| Duration::from_secs(days * DAY));
            if grant.duration != want_span {
                return Err(format!("for {:?}, not {want_span:?}", grant.duration));
            }
            let got: Vec<String> = grant
                .stages
                .iter()
                .map(|need| format!("{} by {}", need.stage, need.approvers))
                .collect();
            let same = got.len() == stages.len()
                && got.iter().zip(stages.iter()).all(|(got, want)| {
                    if want.contains(" by ") {
                        got == want
                    } else {
                        got.split(" by ").next() == Some(*want)
                    }
                });
            if same {
                Ok(())
            } else {
                Err(format!("stages {got:?}, not {stages:?}"))
            }
        }
        (Decision::Deny(denial), Want::Allow { .. }) => Err(format!(
            "denied at {} by {:?}: {}",
            denial.layer, denial.rule, denial.message
        )),
        (Decision::Allow(grant), Want::Deny(..)) => Err(format!(
            "allowed {:?} with {} stages",
            grant.access,
            grant.stages.len()
        )),
    }
}

type Row = (&'static str, &'static str, Ask, Want);

/// Runs every row and reports every failure at once.
fn check(rows: Vec<Row>) {
    let mut failures = Vec::new();
    for (name, text, ask, want) in &rows {
        let policy = parse(text);
        let decision = run(Some(&policy), ask);
        if let Err(why) = compare(&decision, want) {
            failures.push(format!("{name}: {why}\n    trail: {:?}", decision.trail()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn granted(decision: Decision) -> super::Grant {
    match decision {
        Decision::Allow(grant) => grant,
        Decision::Deny(denial) => panic!("denied at {}: {}", denial.layer, denial.message),
    }
}

fn refused(decision: Decision) -> super::Denial {
    match decision {
        Decision::Deny(denial) => denial,
        Decision::Allow(grant) => panic!("allowed {:?}", grant.access),
    }
}

// ---------------------------------------------------------------------------------------------
// Policies.

const OPEN: &str = r#"
[[target]]
name = "everything"
match = {}
"#;

const TENANTS: &str = r#"
[tenant]
tenant_ids = ["OTHER-TENANT"]

[[target]]
name = "everything"
match = {}
"#;

const DURATIONS: &str = r#"
[global]
max_duration = "90d"

[tenant]
default_duration = "30d"
duration_required_for = ["owner"]

[[target]]
name = "payroll"
match = { name = "Payroll" }
max_duration = "14d"

[[target]]
name = "groups"
match = { kind = "group" }
"#;

const CAP_ONLY: &str = r#"
[tenant]
duration_required_for = ["owner"]

[[target]]
name = "payroll"
match = { name = "Payroll" }
max_duration = "14d"

[[target]]
name = "groups"
match = { kind = "group" }
"#;

const MEMBER_ENDS: &str = r#"
[tenant]
duration_required_for = ["member"]

[[target]]
name = "everything"
match = {}
"#;

const TARGETS: &str = r#"
[[target]]
name = "no-tier0"
match = { kind = "group", name = "tier0*" }
deny = true

[[target]]
name = "restricted"
match = { kind = "group", classification = "restricted" }
max_access = "member"
approval = ["manager", "owner"]

[[target]]
name = "groups"
match = { kind = "group" }
approval = ["owner"]

[[target]]
name = "mailboxes"
match = { kind = "mailbox", mail = "*@CONTOSO.com" }
max_access = "full_access"
"#;

const FIRST_MATCH: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }

[[target]]
name = "no-tier0"
match = { name = "Tier0*" }
deny = true
"#;

const MATCH_KEYS: &str = r#"
[[target]]
name = "finance-tagged"
match = { tag = "FINANCE" }
approval = ["manager"]

[[target]]
name = "private"
match = { visibility = "private" }
approval = ["owner"]
"#;

const DEPARTMENTS: &str = r#"
[[target]]
name = "restricted"
match = { classification = "Restricted" }
approval = ["owner"]

[[target]]
name = "groups"
match = { kind = "group" }

[[department]]
targets = ["restricted"]
allow = ["finance"]
deny_employee_types = ["Contractor"]

[[department]]
targets = ["*"]
deny = ["Sales"]
"#;

const EMPLOYEE_TYPES: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }

[[department]]
targets = ["*"]
allow_employee_types = ["Employee"]
"#;

const ACTIONS: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }
approval = ["owner"]
max_duration = "30d"

[[target]]
name = "mailboxes"
match = { kind = "mailbox" }
approval = ["owner"]

[[action]]
access = "owner"
approval = ["manager", "owner"]
max_duration = "7d"

[[action]]
access = "send_as"
deny = true

[[action]]
action = "grant"
approval = ["group:Helpdesk"]
"#;

const RUNTIME_DENY: &str = r#"
[runtime]
max_requests_per_hour = 5

[runtime.change_window]
days = "Mon-Fri"
hours = "09:00-17:00"
tz = "America/New_York"
outside = "deny"

[[target]]
name = "groups"
match = { kind = "group" }
"#;

const RUNTIME_APPROVE: &str = r#"
[runtime]
change_window = { days = "Mon-Fri", hours = "09:00-17:00", tz = "America/New_York", outside = "approve" }

[[target]]
name = "restricted"
match = { classification = "Restricted" }
approval = ["owner"]

[[target]]
name = "groups"
match = { kind = "group" }
approval = ["manager"]
"#;

const SELF_SERVICE_WINDOW: &str = r#"
[[action]]
action = "reset_password"
approval = []

[runtime]
change_window = { days = "Mon-Fri", hours = "09:00-17:00", tz = "America/New_York", outside = "approve" }
"#;

const SELF_APPROVAL: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }
approval = ["owner"]

[[target]]
name = "mailboxes"
match = { kind = "mailbox" }
approval = ["user:Alice@contoso.com"]
"#;

const SELF_ESCALATION: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }
approval = ["owner"]
escalate_to = ["user:oscar@contoso.com", "group:Helpdesk"]
"#;

const MANAGER: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }
approval = ["manager"]
"#;

const SELF_SERVICE: &str = r#"
[[target]]
name = "groups"
match = { kind = "group" }

[[action]]
action = "reset_password"
approval = ["manager"]

[[action]]
action = "forward_mail"
max_duration = "30d"
"#;

const EFFECT: &str = r#"
[[target]]
name = "locked"
match = { kind = "group", tag = "locked" }
deny = true

[[target]]
name = "restricted-groups"
match = { kind = "group", classification = "Restricted" }
max_access = "member"
approval = ["manager"]
max_duration = "14d"

[[target]]
name = "groups"
match = { kind = "group" }
approval = ["owner"]

[[target]]
name = "teams"
match = { kind = "team" }
approval = ["owner"]
max_duration = "30d"
acting = "operator"

[[target]]
name = "sites"
match = { kind = "site" }
approval = ["owner"]

[[target]]
name = "channels"
match = { kind = "channel" }
approval = ["owner"]

[[department]]
targets = ["restricted-groups"]
allow = ["Finance"]
"#;

const EFFECT_STAGES: &str = r#"
[[target]]
name = "restricted-groups"
match = { kind = "group", classification = "Restricted" }
max_access = "member"
approval = ["manager", "owner"]

[[target]]
name = "teams"
match = { kind = "team" }
approval = ["owner", "group:Team Admins"]

[[action]]
access = "member"
approval = ["group:Helpdesk", "owner"]

[[action]]
access = "owner"
approval = ["user:ceo@contoso.com"]
"#;

// ---------------------------------------------------------------------------------------------
// The table. One row a line: `"name": POLICY, request => expected;`.

macro_rules! table {
    ($($name:literal : $policy:expr, $ask:expr => $want:expr;)*) => {
        check(vec![$(($name, $policy, $ask, $want)),*])
    };
}

#[test]
fn global_invariants_and_the_tenant_list() {
    use Access::*;
    use Layer::*;
    let someone = "sam@contoso.com";
    table! {
        "a member asks": OPEN, ask("alice", "vpn") => allow(Member, &[], None);
        "a guest": OPEN, ask("guest", "vpn") => deny_builtin(Global);
        "a disabled account": OPEN, ask("disabled", "vpn") => deny_builtin(Global);
        "a role-assignable group": OPEN, ask("alice", "roles") => deny_builtin(Global);
        "on behalf of someone": OPEN, ask("alice", "vpn").for_someone(someone)
            => deny_builtin(Global);
        "removing someone else's access": OPEN, ask("alice", "vpn").revoke().for_someone(someone)
            => deny_builtin(Global);
        "someone else's password": SELF_SERVICE,
            own("alice", ActionName::ResetPassword).for_someone(someone) => deny_builtin(Global);
        "no rule at all": "", ask("alice", "vpn") => deny_builtin(Target);
        "a level the kind does not have": OPEN, ask("alice", "vpn").level(Access::Read)
            => deny_builtin(Target);
        "another tenant": OPEN, ask("foreign", "vpn") => deny(Tenant);
        "a listed tenant": TENANTS, ask("foreign", "vpn") => allow(Member, &[], None);
        "the home tenant unlisted": TENANTS, ask("alice", "vpn") => deny(Tenant);
    }
}

#[test]
fn tenant_defaults_and_duration_caps() {
    use Access::*;
    use Layer::*;
    table! {
        "the default applies": DURATIONS, ask("alice", "vpn") => allow(Member, &[], Some(30));
        "asked within caps": DURATIONS, ask("alice", "vpn").days(7) => allow(Member, &[], Some(7));
        "asked past the global cap": DURATIONS, ask("alice", "vpn").days(120)
            => allow(Member, &[], Some(90));
        "asked past the rule's cap": DURATIONS, ask("alice", "payroll").days(30)
            => allow(Member, &[], Some(14));
        "the default is capped too": DURATIONS, ask("alice", "payroll")
            => allow(Member, &[], Some(14));
        "the default gives owner its end": DURATIONS, ask("alice", "vpn").level(Owner)
            => allow(Owner, &[], Some(30));
        "no ask, no default: the cap": CAP_ONLY, ask("alice", "payroll")
            => allow(Member, &[], Some(14));
        "the cap gives owner its end": CAP_ONLY, ask("alice", "payroll").level(Owner)
            => allow(Owner, &[], Some(14));
        "shorter than the cap": CAP_ONLY, ask("alice", "payroll").days(3)
            => allow(Member, &[], Some(3));
        "no end at all": CAP_ONLY, ask("alice", "vpn") => allow(Member, &[], None);
        "owner must have an end": CAP_ONLY, ask("alice", "vpn").level(Owner)
            => deny_builtin(Tenant);
        "owner with an end": CAP_ONLY, ask("alice", "vpn").level(Owner).days(7)
            => allow(Owner, &[], Some(7));
        // A level carried out as a group's membership needs an end as membership does.
        "membership must have an end": MEMBER_ENDS, ask("alice", "g-finsite")
            => deny_builtin(Tenant);
        "so must editing a site": MEMBER_ENDS, ask("alice", "finsite").level(Edit)
            => deny_builtin(Tenant);
        "and owning a channel": MEMBER_ENDS, ask("alice", "secret").level(Owner)
            => deny_builtin(Tenant);
        "editing with an end": MEMBER_ENDS, ask("alice", "finsite").level(Edit).days(7)
            => allow(Edit, &[], Some(7));
        "reading is no membership": MEMBER_ENDS, ask("alice", "finsite")
            => allow(Read, &[], None);
    }
}

#[test]
fn target_rules() {
    use Access::*;
    use Layer::*;
    table! {
        "a deny rule": TARGETS, ask("alice", "tier0") => deny_by(Target, "no-tier0");
        "narrowed to max_access": TARGETS, ask("alice", "payroll").level(Owner)
            => allow(Member, &["manager", "owner"], None);
        "within max_access": TARGETS, ask("alice", "payroll")
            => allow(Member, &["manager by mike@contoso.com", "owner"], None);
        "the next rule governs": TARGETS, ask("alice", "vpn").level(Owner)
            => allow(Owner, &["owner by olivia@contoso.com"], None);
        "no rule matches": TARGETS, ask("alice", "contracts") => deny_builtin(Target);
        "send_as is not within full_access": TARGETS, ask("alice", "support").level(SendAs)
            => deny_by(Target, "mailboxes");
        "send_on_behalf is not within full_access": TARGETS,
            ask("alice", "support").level(SendOnBehalf) => deny_by(Target, "mailboxes");
        "full_access itself": TARGETS, ask("alice", "support").level(FullAccess)
            => allow(FullAccess, &[], None);
        "a mailbox's default level": TARGETS, ask("alice", "support")
            => allow(FullAccess, &[], None);
        "the first match governs": FIRST_MATCH, ask("alice", "tier0") => allow(Member, &[], None);
        "a tag, whatever its case": MATCH_KEYS, ask("alice", "payroll")
            => allow(Member, &["manager"], None);
        "a visibility, whatever its case": MATCH_KEYS, ask("alice", "vpn")
            => allow(Member, &["owner"], None);
        "neither": MATCH_KEYS, ask("alice", "tier0") => deny_builtin(Target);
    }
}

#[test]
fn department_rules() {
    use Access::*;
    use Layer::*;
    table! {
        "in the allowed department": DEPARTMENTS, ask("alice", "payroll")
            => allow(Member, &["owner by bob@contoso.com or olivia@contoso.com"], None);
        "another department": DEPARTMENTS, ask("sam", "payroll") => deny(Department);
        "a denied employee type": DEPARTMENTS, ask("carl", "payroll") => deny(Department);
        "no department": DEPARTMENTS, ask("nora", "payroll") => deny(Department);
        "targets = [\"*\"] denies Sales": DEPARTMENTS, ask("sam", "vpn") => deny(Department);
        "a contractor elsewhere": DEPARTMENTS, ask("carl", "vpn") => allow(Member, &[], None);
        "no department elsewhere": DEPARTMENTS, ask("nora", "vpn") => allow(Member, &[], None);
        "an allowed employee type": EMPLOYEE_TYPES, ask("alice", "vpn")
            => allow(Member, &[], None);
        "another employee type": EMPLOYEE_TYPES, ask("carl", "vpn") => deny(Department);
        "no employee type": EMPLOYEE_TYPES, ask("nora", "vpn") => deny(Department);
    }
}

#[test]
fn action_rules() {
    use Access::*;
    use Layer::*;
    table! {
        "by action": ACTIONS, ask("alice", "vpn").days(20)
            => allow(Member, &["owner", "group:Helpdesk"], Some(20));
        "by access: stages appended once, the shorter cap": ACTIONS,
            ask("alice", "vpn").level(Owner).days(20)
            => allow(Owner, &["owner", "manager", "group:Helpdesk"], Some(7));
        "by access with no ask: the shorter cap": ACTIONS, ask("alice", "vpn").level(Owner)
            => allow(Owner, &["owner", "manager", "group:Helpdesk"], Some(7));
        "a denied level": ACTIONS, ask("alice", "support").level(SendAs)
            => deny_by(Action, "access send_as");
        "another level of the same kind": ACTIONS, ask("alice", "support").level(SendOnBehalf)
            => allow(SendOnBehalf, &["owner", "group:Helpdesk"], None);
        "a grant rule does not enable password resets": ACTIONS,
            own("alice", ActionName::ResetPassword) => deny_builtin(Action);
    }
}

#[test]
fn runtime_rate_limit_and_change_window() {
    use Access::*;
    use Layer::*;
    table! {
        "under the limit, inside": RUNTIME_DENY, ask("alice", "vpn").recent(4)
            => allow(Member, &[], None);
        "at the limit": RUNTIME_DENY, ask("alice", "vpn").recent(5) => deny_builtin(Runtime);
        "13:00 UTC is 08:00 in New York": RUNTIME_DENY,
            ask("alice", "vpn").at("2025-01-15T13:00:00Z") => deny_builtin(Runtime);
        "16:59 in New York": RUNTIME_DENY, ask("alice", "vpn").at("2025-01-15T21:59:00Z")
            => allow(Member, &[], None);
        "17:00 in New York ends it": RUNTIME_DENY, ask("alice", "vpn").at("2025-01-15T22:00:00Z")
            => deny_builtin(Runtime);
        "a Saturday": RUNTIME_DENY, ask("alice", "vpn").at(SATURDAY) => deny_builtin(Runtime);
        "inside: no extra stage": RUNTIME_APPROVE, ask("alice", "vpn")
            => allow(Member, &["manager"], None);
        "outside: the owner approves too": RUNTIME_APPROVE, ask("alice", "vpn").at(SATURDAY)
            => allow(Member, &["manager", "owner by olivia@contoso.com"], None);
        "outside with an owner stage already": RUNTIME_APPROVE,
            ask("alice", "payroll").at(SATURDAY) => allow(Member, &["owner"], None);
    }
}

#[test]
fn nobody_approves_their_own_request() {
    use Access::*;
    use Layer::*;
    table! {
        "the sole owner: their manager instead": SELF_APPROVAL, ask("olivia", "vpn")
            => allow(Member, &["owner by mike@contoso.com"], None);
        "one of two owners: the other": SELF_APPROVAL, ask("bob", "payroll")
            => allow(Member, &["owner by olivia@contoso.com"], None);
        "the sole owner with no manager": SELF_APPROVAL, ask("oscar", "lab")
            => deny_by(Global, "groups");
        "a user stage naming the requester": SELF_APPROVAL, ask("alice", "support")
            => allow(FullAccess, &["user:alice@contoso.com by mike@contoso.com"], None);
        "a user stage naming someone else": SELF_APPROVAL, ask("sam", "support")
            => allow(FullAccess, &["user:alice@contoso.com by alice@contoso.com"], None);
        "escalation skips the requester": SELF_ESCALATION, ask("oscar", "lab")
            => allow(Member, &["owner by a member of Helpdesk"], None);
        "escalation in its order": SELF_ESCALATION, ask("olivia", "vpn")
            => allow(Member, &["owner by oscar@contoso.com"], None);
        "a manager stage": MANAGER, ask("alice", "vpn")
            => allow(Member, &["manager by mike@contoso.com"], None);
        "a manager stage and no manager": MANAGER, ask("nora", "vpn")
            => deny_by(Target, "groups");
    }
}

#[test]
fn revoke_and_self_service() {
    use ActionName::*;
    use Layer::*;
    table! {
        "removing one's own access": OPEN, ask("alice", "vpn").revoke().level(Access::Member)
            => allow(Access::Member, &[], None);
        "removing needs no target rule": "", ask("alice", "tier0").revoke()
            => allow(None, &[], None);
        "a guest cannot remove either": OPEN, ask("guest", "vpn").revoke()
            => deny_builtin(Global);
        "not enabled": OPEN, own("alice", ResetPassword) => deny_builtin(Action);
        "enabled": SELF_SERVICE, own("alice", ResetPassword)
            => allow(None, &["manager by mike@contoso.com"], None);
        "enabled, but no manager to approve": SELF_SERVICE, own("nora", ResetPassword)
            => deny(Action);
        "another action stays off": SELF_SERVICE, own("alice", UnlockAccount)
            => deny_builtin(Action);
        "forwarding inside": SELF_SERVICE, own("alice", ForwardMail).internal(true)
            => allow(None, &[], Some(30));
        "forwarding inside, capped": SELF_SERVICE, own("alice", ForwardMail).internal(true).days(90)
            => allow(None, &[], Some(30));
        "forwarding outside": SELF_SERVICE, own("alice", ForwardMail).internal(false)
            => deny_builtin(Global);
        "a guest's password": SELF_SERVICE, own("guest", ResetPassword) => deny_builtin(Global);
        "a reset inside the window": SELF_SERVICE_WINDOW, own("alice", ResetPassword)
            => allow(None, &[], None);
        "outside it nobody owns an account: the manager approves": SELF_SERVICE_WINDOW,
            own("alice", ResetPassword).at(SATURDAY)
            => allow(None, &["manager by mike@contoso.com"], None);
        "an administrator's own reset, with no privileged_recovery": SELF_SERVICE,
            own("alice", ResetPassword).privileged() => deny_builtin(Global);
        "an administrator's own reset goes to privileged_recovery's stages": PRIVILEGED_RECOVERY,
            own("alice", ResetPassword).privileged()
            => allow(None, &["user:sam@contoso.com by sam@contoso.com"], None);
        "anyone else's goes by the action rule alone": PRIVILEGED_RECOVERY,
            own("alice", ResetPassword) => allow(None, &[], None);
        "a pass may be asked to last longer": PRIVILEGED_RECOVERY,
            own("alice", RecoverMfa).days(2) => allow(None, &[], Some(2));
    }
}

#[test]
fn a_temporary_access_pass_lives_an_hour_unless_asked_longer() {
    let policy = parse(PRIVILEGED_RECOVERY);
    let Decision::Allow(grant) = run(Some(&policy), &own("alice", ActionName::RecoverMfa)) else {
        panic!("MFA recovery is enabled");
    };
    assert_eq!(grant.duration, Some(Duration::from_secs(3_600)));
    assert_eq!(grant.verify, [Verify::Manager]);
}

const PRIVILEGED_RECOVERY: &str = r#"
[global]
privileged_recovery = ["user:sam@contoso.com"]

[[action]]
action = "reset_password"
verify = ["mfa", "manager"]

[[action]]
action = "recover_mfa"
verify = ["manager"]
"#;

const WAVE_TWO: &str = r#"
[[target]]
name = "mailboxes"
match = { kind = "mailbox" }
approval = ["owner"]

[[action]]
action = "share_calendar"
max_access = "read"
max_duration = "90d"

[[action]]
action = "reset_password"
verify = ["mfa", "manager"]

[[action]]
action = "change_alias"
"#;

#[test]
fn calendar_levels_are_capped_and_recovery_says_how_to_verify() {
    use Access::*;
    use ActionName::*;
    table! {
        "free/busy, under the cap": WAVE_TWO, own("alice", ShareCalendar).level(FreeBusy).internal(true)
            => allow(FreeBusy, &[], Some(90));
        "write, narrowed to read": WAVE_TWO, own("alice", ShareCalendar).level(Write).internal(true)
            => allow(Read, &[], Some(90));
        "a new address": WAVE_TWO, own("alice", ChangeAlias) => allow(None, &[], None);
        "a free address in a verified domain": WAVE_TWO, own("alice", ChangeAlias).address(true, false)
            => allow(None, &[], None);
        "an unverified domain": WAVE_TWO, own("alice", ChangeAlias).address(false, false)
            => deny_builtin(Layer::Global);
        "someone else's address": WAVE_TWO, own("alice", ChangeAlias).address(true, true)
            => deny_builtin(Layer::Global);
        "no rule, no forwarding": WAVE_TWO, own("alice", ForwardMail).internal(true)
            => deny_builtin(Layer::Action);
    }
    let policy = parse(WAVE_TWO);
    let narrowed = granted(run(
        Some(&policy),
        &own("alice", ShareCalendar).level(Write).internal(true),
    ));
    assert_eq!(narrowed.narrowed_from, Some(Write));
    assert_eq!(narrowed.acting, Acting::Requester);
    assert_eq!(narrowed.service, crate::domain::request::Service::Graph);
    let reset = run(Some(&policy), &own("alice", ResetPassword)).to_json();
    assert_eq!(reset["verify"], serde_json::json!(["mfa", "manager"]));
    let alias = granted(run(Some(&policy), &own("alice", ChangeAlias)));
    assert_eq!(
        (alias.acting, alias.service),
        (Acting::Operator, crate::domain::request::Service::Exchange),
        "users cannot change their own primary address: the operator does, through Exchange"
    );
}

#[test]
fn policy_follows_the_effect() {
    use Access::*;
    use Layer::*;
    table! {
        // A group whose own rule denies: asked through a team, a site or a channel, or directly.
        "a team of a locked group": EFFECT, ask("alice", "proj") => deny_by(Target, "locked");
        "the locked group itself": EFFECT, ask("alice", "g-proj") => deny_by(Target, "locked");
        "editing a site of a locked group": EFFECT, ask("alice", "mktsite").level(Edit)
            => deny_by(Target, "locked");
        "owning it": EFFECT, ask("alice", "mktsite").level(Owner) => deny_by(Target, "locked");
        "the locked site group itself": EFFECT, ask("alice", "g-mkt")
            => deny_by(Target, "locked");
        "reading it is no group grant": EFFECT, ask("alice", "mktsite")
            => allow(Read, &["owner by maria@contoso.com"], None);
        "a channel of a locked team": EFFECT, ask("alice", "secret")
            => deny_by(Target, "locked");
        // A group whose department rule refuses.
        "editing a Finance-only site from Sales": EFFECT, ask("sam", "finsite").level(Edit)
            => deny(Department);
        "its group from Sales": EFFECT, ask("sam", "g-finsite") => deny(Department);
        "a Finance-only team from Sales": EFFECT, ask("sam", "plant") => deny(Department);
        "that group from Sales": EFFECT, ask("sam", "g-plant") => deny(Department);
        // Both allow: both sets of stages, the stricter level, the shorter span.
        "editing the Finance site": EFFECT, ask("alice", "finsite").level(Edit) => allow(
            Edit, &["owner by frank@contoso.com", "manager by mike@contoso.com"], Some(14));
        "owning the site is edit: its group allows membership only": EFFECT,
            ask("alice", "finsite").level(Owner).days(60)
            => allow(Edit, &["owner", "manager"], Some(14));
        "owning the team is membership": EFFECT, ask("alice", "plant").level(Owner).days(60)
            => allow(Member, &["owner by paula@contoso.com", "manager"], Some(14));
        "reading the Finance site": EFFECT, ask("alice", "finsite")
            => allow(Read, &["owner"], None);
        "a team whose group is unknown": EFFECT, ask("alice", "orphan") => deny_builtin(Target);
        // Target stages of both, then action stages of both, each once.
        "stages across the effect group": EFFECT_STAGES, ask("alice", "plant").level(Owner)
            => allow(Member, &["owner", "group:Team Admins", "manager", "group:Helpdesk"], None);
    }
}

// ---------------------------------------------------------------------------------------------
// What a decision says.

#[test]
fn without_a_policy_everything_is_denied() {
    for ask in [
        ask("alice", "vpn"),
        ask("alice", "vpn").revoke(),
        own("alice", ActionName::ResetPassword),
        own("alice", ActionName::ForwardMail).internal(true),
    ] {
        let denial = refused(run(None, &ask));
        assert_eq!(denial.layer, Layer::Global, "{ask:?}");
        assert_eq!(denial.rule, None, "{ask:?}");
    }
}

#[test]
fn narrowing_keeps_what_was_asked_and_the_sentence_says_so() {
    let policy = parse(TARGETS);
    let grant = granted(run(
        Some(&policy),
        &ask("alice", "payroll").level(Access::Owner),
    ));
    assert_eq!(grant.access, Some(Access::Member));
    assert_eq!(grant.requested_access, Some(Access::Owner));
    assert_eq!(grant.narrowed_from, Some(Access::Owner));
    assert_eq!(grant.target.as_deref(), Some("restricted"));
    let sentence = Decision::Allow(grant).sentence();
    assert!(sentence.contains("at most membership"), "{sentence}");
    assert!(sentence.contains("instead of owner"), "{sentence}");

    let grant = granted(run(Some(&policy), &ask("alice", "payroll")));
    assert_eq!(grant.narrowed_from, None);
    let sentence = Decision::Allow(grant).sentence();
    assert!(!sentence.contains("instead of"), "{sentence}");
}

#[test]
fn the_explanation_carries_the_contract_keys() {
    let policy = parse(TARGETS);
    let json = run(Some(&policy), &ask("alice", "tier0")).to_json();
    for key in ["outcome", "layer", "rule", "message", "trail"] {
        assert!(json.get(key).is_some(), "deny lacks {key}: {json}");
    }
    assert_eq!(json["outcome"], "deny");
    assert_eq!(json["layer"], "target");
    assert_eq!(json["rule"], "no-tier0");

    let policy = parse(EFFECT);
    let json = run(
        Some(&policy),
        &ask("alice", "finsite").level(Access::Owner).days(60),
    )
    .to_json();
    for key in [
        "outcome",
        "access",
        "requested_access",
        "duration_seconds",
        "duration_days",
        "stages",
        "acting",
        "target",
        "trail",
    ] {
        assert!(json.get(key).is_some(), "allow lacks {key}: {json}");
    }
    assert_eq!(json["outcome"], "allow");
    assert_eq!(json["access"], "edit");
    assert_eq!(json["requested_access"], "owner");
    assert_eq!(json["duration_seconds"], 14 * DAY);
    assert_eq!(json["duration_days"], 14);
    assert_eq!(json["stages"], serde_json::json!(["owner", "manager"]));
    assert_eq!(json["acting"], "approver");
    assert_eq!(json["target"], "sites");
    assert!(
        json["trail"]
            .as_array()
            .is_some_and(|trail| !trail.is_empty()),
        "{json}"
    );
}

#[test]
fn acting_follows_the_requested_resources_rule() {
    let policy = parse(EFFECT);
    // The team's rule says operator though its group's rule would have the owner act.
    let grant = granted(run(Some(&policy), &ask("alice", "plant")));
    assert_eq!(grant.target.as_deref(), Some("teams"));
    assert_eq!(grant.acting, Acting::Operator);
    let grant = granted(run(
        Some(&policy),
        &ask("alice", "finsite").level(Access::Edit),
    ));
    assert_eq!(grant.target.as_deref(), Some("sites"));
    assert_eq!(grant.acting, Acting::Approver);

    // An owner stage approved by someone who is not an owner cannot have the owner act.
    let policy = parse(SELF_APPROVAL);
    let grant = granted(run(Some(&policy), &ask("alice", "vpn")));
    assert_eq!(grant.acting, Acting::Approver);
    let grant = granted(run(Some(&policy), &ask("olivia", "vpn")));
    assert_eq!(grant.acting, Acting::Operator);
}

#[test]
fn a_denial_through_the_group_names_the_group() {
    let policy = parse(EFFECT);
    let denial = refused(run(Some(&policy), &ask("alice", "proj")));
    assert!(
        denial.message.contains("through the Project X group"),
        "{}",
        denial.message
    );
    let denial = refused(run(
        Some(&policy),
        &ask("sam", "finsite").level(Access::Edit),
    ));
    assert!(
        denial.message.contains("through the Finance Site group"),
        "{}",
        denial.message
    );
}

#[test]
fn narrowing_by_the_group_is_explained_in_the_trail() {
    let policy = parse(EFFECT);
    let decision = run(Some(&policy), &ask("alice", "finsite").level(Access::Owner));
    let grant = granted(decision);
    assert_eq!(grant.access, Some(Access::Edit));
    assert!(
        grant
            .trail
            .iter()
            .any(|step| step.verdict == super::Verdict::Narrow && step.note.starts_with("via the")),
        "{:#?}",
        grant.trail
    );
}

#[test]
fn a_quorum_is_kept_merged_upwards_and_never_lowered_to_fit() {
    let text = |quorum: u32| {
        format!(
            "[[target]]\nname = \"vpn\"\nmatch = {{ kind = \"group\", name = \"VPN *\" }}\n\
             approval = [{{ stage = \"group:Security\", quorum = {quorum} }}, \"owner\"]\n\
             acting = \"operator\"\n\n\
             [[action]]\naccess = \"member\"\napproval = [{{ stage = \"group:Security\", quorum = 3 }}]\n"
        )
    };
    // The action asks the same stage for more: the larger quorum holds, in one stage.
    let grant = granted(run(Some(&parse(&text(2))), &ask("alice", "vpn")));
    let quorums: Vec<(String, u32)> = grant
        .stages
        .iter()
        .map(|need| (need.stage.to_string(), need.quorum))
        .collect();
    assert_eq!(
        quorums,
        [("group:Security".to_owned(), 3), ("owner".to_owned(), 1)]
    );
    assert_eq!(
        Decision::Allow(grant.clone()).to_json()["quorums"],
        serde_json::json!([3, 1])
    );
    assert!(
        Decision::Allow(grant)
            .sentence()
            .contains("3 approvals from a member of Security"),
    );

    // Two approvals from a single owner cannot be given: refused, not lowered.
    let single = parse(
        "[[target]]\nname = \"vpn\"\nmatch = { kind = \"group\", name = \"VPN *\" }\n\
         approval = [{ stage = \"owner\", quorum = 2 }]\n",
    );
    let denial = refused(run(Some(&single), &ask("alice", "vpn")));
    assert_eq!(denial.layer, Layer::Target);
    assert!(
        denial
            .message
            .contains("needs 2 approvals at the owner stage"),
        "{}",
        denial.message
    );
}
