//! Properties of the decision over random policies, requesters, resources and requests.
//!
//! Policies are generated as specs, written out as TOML and read back with [`Policy::parse`], so
//! the properties hold of what a file can say rather than of hand-built rules. Which rules match
//! a resource is worked out from the spec by a matcher of its own, not the engine's.
//!
//! A resource's group (the `Facts::group` of the effect evaluation) has the resource's owners,
//! as a team's or a site's group does.

use std::cmp::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use proptest::test_runner::TestCaseError;

use super::model::{ActionName, Policy};
use super::{Approvers, Decision, Facts, Request, Requester, carried_as, decide};
use crate::catalog::{Principal, Resource};
use crate::domain::resource::{Access, ResourceKind};

const HOME: &str = "home-tenant";
const DAY: u64 = 86_400;
/// A Wednesday, 15:00 in London.
const NOW: &str = "2025-01-15T15:00:00Z";

const NAMES: &[&str] = &["Finance", "Fin Ops", "Marketing", "Lab"];
const TAGS: &[&str] = &["finance", "locked"];
const VISIBILITIES: &[&str] = &["Public", "Private"];
const CLASSIFICATIONS: &[&str] = &["Restricted", "General"];
const DEPARTMENTS: &[&str] = &["Finance", "Sales", "Engineering"];
const EMPLOYEE_TYPES: &[&str] = &["Employee", "Contractor"];
const OWNERS: &[&str] = &["olivia@contoso.com", "bob@contoso.com"];
const STAGES: &[&str] = &[
    "owner",
    "manager",
    "user:olivia@contoso.com",
    "user:approver@contoso.com",
    "group:Helpdesk",
];
const REQUIRED: &[&str] = &["member", "edit", "owner"];
/// Change windows around [`NOW`]: inside, outside, outside and wrapping past midnight.
const WINDOWS: &[&str] = &["09:00-17:00", "07:00-12:00", "18:00-06:00"];
const GRANTABLE: &[Access] = &[
    Access::Member,
    Access::Owner,
    Access::Read,
    Access::Edit,
    Access::FullAccess,
    Access::SendOnBehalf,
    Access::SendAs,
];

// ---------------------------------------------------------------------------------------------
// Policies as specs.

/// `name = "..."` in a match: a whole name or the first three letters and `*`, in any case.
#[derive(Clone, Debug)]
struct NameMatch {
    name: &'static str,
    prefix: bool,
    shout: bool,
}

impl NameMatch {
    fn stem(&self) -> &'static str {
        self.name.get(..3).unwrap_or(self.name)
    }

    fn pattern(&self) -> String {
        let pattern = if self.prefix {
            format!("{}*", self.stem())
        } else {
            self.name.to_owned()
        };
        if self.shout {
            pattern.to_uppercase()
        } else {
            pattern
        }
    }

    fn holds(&self, name: &str) -> bool {
        if self.prefix {
            name.to_lowercase().starts_with(&self.stem().to_lowercase())
        } else {
            name.eq_ignore_ascii_case(self.name)
        }
    }
}

#[derive(Clone, Debug, Default)]
struct TargetSpec {
    kind: Option<ResourceKind>,
    name: Option<NameMatch>,
    classification: Option<&'static str>,
    visibility: Option<&'static str>,
    tag: Option<&'static str>,
    deny: bool,
    max_access: Option<Access>,
    approval: Vec<&'static str>,
    max_days: Option<u64>,
}

impl TargetSpec {
    /// Whether the rule's match holds of `resource`, worked out without the engine.
    fn holds(&self, resource: &Resource) -> bool {
        let same = |wanted: Option<&str>, got: Option<&str>| {
            wanted.is_none_or(|wanted| got.is_some_and(|got| got.eq_ignore_ascii_case(wanted)))
        };
        self.kind.is_none_or(|kind| kind == resource.kind)
            && self
                .name
                .as_ref()
                .is_none_or(|name| name.holds(&resource.name))
            && same(self.classification, resource.classification.as_deref())
            && same(self.visibility, resource.visibility.as_deref())
            && self.tag.is_none_or(|tag| {
                resource
                    .tags
                    .iter()
                    .any(|have| have.eq_ignore_ascii_case(tag))
            })
    }

    fn toml(&self, name: &str, out: &mut Vec<String>) {
        let mut keys = Vec::new();
        if let Some(kind) = self.kind {
            keys.push(format!("kind = \"{kind}\""));
        }
        if let Some(name) = &self.name {
            keys.push(format!("name = \"{}\"", name.pattern()));
        }
        for (key, value) in [
            ("classification", self.classification),
            ("visibility", self.visibility),
            ("tag", self.tag),
        ] {
            if let Some(value) = value {
                keys.push(format!("{key} = \"{value}\""));
            }
        }
        out.push("[[target]]".into());
        out.push(format!("name = \"{name}\""));
        out.push(format!("match = {{ {} }}", keys.join(", ")));
        if self.deny {
            out.push("deny = true".into());
        }
        if let Some(max) = self.max_access {
            out.push(format!("max_access = \"{max}\""));
        }
        out.push(format!("approval = {}", list(&self.approval)));
        if let Some(days) = self.max_days {
            out.push(format!("max_duration = \"{days}d\""));
        }
        out.push(String::new());
    }
}

#[derive(Clone, Debug)]
struct DepartmentSpec {
    /// Indexes into the policy's target rules; `None` is `targets = ["*"]`.
    targets: Option<Vec<Index>>,
    allow: Option<Vec<&'static str>>,
    deny: Vec<&'static str>,
    allow_types: Option<Vec<&'static str>>,
    deny_types: Vec<&'static str>,
}

impl DepartmentSpec {
    fn toml(&self, names: &[String], out: &mut Vec<String>) {
        let targets: Vec<&str> = match &self.targets {
            Some(indexes) if !names.is_empty() => {
                let mut picked: Vec<&str> = indexes
                    .iter()
                    .map(|index| index.get(names).as_str())
                    .collect();
                picked.sort_unstable();
                picked.dedup();
                picked
            }
            _ => vec!["*"],
        };
        out.push("[[department]]".into());
        out.push(format!("targets = {}", list(&targets)));
        if let Some(allow) = &self.allow {
            out.push(format!("allow = {}", list(allow)));
        }
        out.push(format!("deny = {}", list(&self.deny)));
        if let Some(allow) = &self.allow_types {
            out.push(format!("allow_employee_types = {}", list(allow)));
        }
        out.push(format!("deny_employee_types = {}", list(&self.deny_types)));
        out.push(String::new());
    }
}

#[derive(Clone, Debug)]
struct ActionSpec {
    grant: bool,
    access: Option<Access>,
    deny: bool,
    approval: Vec<&'static str>,
    max_days: Option<u64>,
}

impl ActionSpec {
    fn toml(&self, out: &mut Vec<String>) {
        out.push("[[action]]".into());
        // A rule names an action or a level; with neither it is a grant rule.
        if self.grant || self.access.is_none() {
            out.push("action = \"grant\"".into());
        }
        if let Some(access) = self.access {
            out.push(format!("access = \"{access}\""));
        }
        if self.deny {
            out.push("deny = true".into());
        }
        out.push(format!("approval = {}", list(&self.approval)));
        if let Some(days) = self.max_days {
            out.push(format!("max_duration = \"{days}d\""));
        }
        out.push(String::new());
    }
}

#[derive(Clone, Debug)]
struct PolicySpec {
    global_days: Option<u64>,
    default_days: Option<u64>,
    required: Vec<&'static str>,
    targets: Vec<TargetSpec>,
    /// A last `match = {}` rule, so that more requests get as far as an allow.
    fallback: Option<TargetSpec>,
    departments: Vec<DepartmentSpec>,
    actions: Vec<ActionSpec>,
    rate_limit: Option<u32>,
    /// Hours and whether `outside = "approve"`.
    window: Option<(&'static str, bool)>,
}

/// A rule that can only refuse, added to a policy.
#[derive(Clone, Debug)]
enum Extra {
    /// A `deny = true` target at any position.
    Target(Index, TargetSpec),
    Department(DepartmentSpec),
    Action(ActionSpec),
}

impl PolicySpec {
    /// The target rules in file order, with their names.
    fn rules(&self, extra: Option<&Extra>) -> Vec<(String, TargetSpec)> {
        let mut rules: Vec<(String, TargetSpec)> = self
            .targets
            .iter()
            .enumerate()
            .map(|(at, rule)| (format!("t{at}"), rule.clone()))
            .collect();
        if let Some(fallback) = &self.fallback {
            rules.push(("fallback".into(), fallback.clone()));
        }
        if let Some(Extra::Target(at, rule)) = extra {
            rules.insert(at.index(rules.len() + 1), ("extra".into(), rule.clone()));
        }
        rules
    }

    fn rule(&self, name: &str) -> Option<TargetSpec> {
        self.rules(None)
            .into_iter()
            .find(|(have, _)| have == name)
            .map(|(_, rule)| rule)
    }

    fn toml(&self, extra: Option<&Extra>) -> String {
        let mut out = Vec::new();
        out.push("[global]".into());
        if let Some(days) = self.global_days {
            out.push(format!("max_duration = \"{days}d\""));
        }
        out.push("[tenant]".into());
        if let Some(days) = self.default_days {
            out.push(format!("default_duration = \"{days}d\""));
        }
        out.push(format!("duration_required_for = {}", list(&self.required)));
        out.push(String::new());
        for (name, rule) in self.rules(extra) {
            rule.toml(&name, &mut out);
        }
        // Department rules name the policy's own rules, never the added one.
        let names: Vec<String> = self.rules(None).into_iter().map(|(name, _)| name).collect();
        let mut departments = self.departments.clone();
        if let Some(Extra::Department(rule)) = extra {
            departments.push(rule.clone());
        }
        for rule in &departments {
            rule.toml(&names, &mut out);
        }
        let mut actions = self.actions.clone();
        if let Some(Extra::Action(rule)) = extra {
            actions.push(rule.clone());
        }
        for rule in &actions {
            rule.toml(&mut out);
        }
        out.push("[runtime]".into());
        if let Some(limit) = self.rate_limit {
            out.push(format!("max_requests_per_hour = {limit}"));
        }
        if let Some((hours, approve)) = self.window {
            let outside = if approve { "approve" } else { "deny" };
            out.push(format!(
                "change_window = {{ days = \"Mon-Fri\", hours = \"{hours}\", tz = \"Europe/London\", outside = \"{outside}\" }}"
            ));
        }
        out.join("\n")
    }
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("\"{item}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

fn parsed(text: &str) -> Result<Policy, TestCaseError> {
    Policy::parse(text, "policy.toml")
        .map_err(|error| TestCaseError::reject(format!("not a valid policy: {error}")))
}

// ---------------------------------------------------------------------------------------------
// Strategies.

fn kind() -> impl Strategy<Value = ResourceKind> {
    select(ResourceKind::ALL.to_vec())
}

fn target_spec() -> impl Strategy<Value = TargetSpec> {
    (
        prop::option::weighted(0.6, kind()),
        prop::option::weighted(
            0.25,
            (select(NAMES), any::<bool>(), any::<bool>()).prop_map(|(name, prefix, shout)| {
                NameMatch {
                    name,
                    prefix,
                    shout,
                }
            }),
        ),
        prop::option::weighted(0.25, select(CLASSIFICATIONS)),
        prop::option::weighted(0.2, select(VISIBILITIES)),
        prop::option::weighted(0.2, select(TAGS)),
        prop::bool::weighted(0.1),
        prop::option::weighted(0.5, (any::<Index>(), prop::bool::weighted(0.3))),
        subsequence(STAGES, 0..=3),
        prop::option::weighted(0.4, 1u64..=120),
    )
        .prop_map(
            |(kind, name, classification, visibility, tag, deny, max, approval, max_days)| {
                // A level of the rule's kind; with no kind, now and then a level of any kind
                // (which refuses the levels of other kinds it cannot be compared with).
                let max_access = max.and_then(|(index, any_kind)| match kind {
                    Some(kind) => Some(*index.get(kind.levels())),
                    None => any_kind.then(|| *index.get(GRANTABLE)),
                });
                TargetSpec {
                    kind,
                    name,
                    classification,
                    visibility,
                    tag,
                    deny,
                    max_access,
                    approval,
                    max_days,
                }
            },
        )
}

fn fallback_spec() -> impl Strategy<Value = TargetSpec> {
    (
        subsequence(STAGES, 0..=2),
        prop::option::weighted(0.5, 1u64..=120),
    )
        .prop_map(|(approval, max_days)| TargetSpec {
            approval,
            max_days,
            ..TargetSpec::default()
        })
}

fn department_spec() -> impl Strategy<Value = DepartmentSpec> {
    (
        prop::option::weighted(0.6, prop::collection::vec(any::<Index>(), 1..3)),
        prop::option::weighted(0.3, subsequence(DEPARTMENTS, 1..=2)),
        subsequence(DEPARTMENTS, 0..=1),
        prop::option::weighted(0.2, subsequence(EMPLOYEE_TYPES, 1..=1)),
        subsequence(EMPLOYEE_TYPES, 0..=1),
    )
        .prop_map(
            |(targets, allow, deny, allow_types, deny_types)| DepartmentSpec {
                targets,
                allow,
                deny,
                allow_types,
                deny_types,
            },
        )
}

fn action_spec() -> impl Strategy<Value = ActionSpec> {
    (
        any::<bool>(),
        prop::option::weighted(0.6, select(GRANTABLE)),
        prop::bool::weighted(0.2),
        subsequence(STAGES, 0..=2),
        prop::option::weighted(0.3, 1u64..=60),
    )
        .prop_map(|(grant, access, deny, approval, max_days)| ActionSpec {
            grant,
            access,
            deny,
            approval,
            max_days,
        })
}

fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        prop::option::weighted(0.4, 1u64..=200),
        prop::option::weighted(0.4, 1u64..=60),
        subsequence(REQUIRED, 0..=2),
        prop::collection::vec(target_spec(), 0..12),
        prop::option::weighted(0.7, fallback_spec()),
        prop::collection::vec(department_spec(), 0..3),
        prop::collection::vec(action_spec(), 0..4),
        prop::option::weighted(0.3, 1u32..10),
        prop::option::weighted(0.3, (select(WINDOWS), any::<bool>())),
    )
        .prop_map(
            |(
                global_days,
                default_days,
                required,
                targets,
                fallback,
                departments,
                actions,
                rate_limit,
                window,
            )| PolicySpec {
                global_days,
                default_days,
                required,
                targets,
                fallback,
                departments,
                actions,
                rate_limit,
                window,
            },
        )
}

fn resource(kind: impl Strategy<Value = ResourceKind>) -> impl Strategy<Value = Resource> {
    (
        kind,
        select(NAMES),
        prop::option::of(select(VISIBILITIES)),
        prop::option::of(select(CLASSIFICATIONS)),
        prop::bool::weighted(0.05),
        subsequence(OWNERS, 0..=2),
        subsequence(TAGS, 0..=2),
        any::<u16>(),
    )
        .prop_map(
            |(kind, name, visibility, classification, role_assignable, owners, tags, id)| {
                let mut resource = Resource::new(kind, format!("{kind}-{id}"), name);
                resource.visibility = visibility.map(str::to_owned);
                resource.classification = classification.map(str::to_owned);
                resource.role_assignable = role_assignable;
                resource.owners = owners
                    .iter()
                    .map(|upn| Principal {
                        id: format!("id-{upn}"),
                        upn: Some((*upn).to_owned()),
                    })
                    .collect();
                resource.tags = tags.iter().map(|tag| (*tag).to_owned()).collect();
                resource
            },
        )
}

/// One request and everything it is decided with.
#[derive(Clone, Debug)]
struct Case {
    policy: PolicySpec,
    resource: Resource,
    group: Resource,
    requester: Requester,
    access: Option<Access>,
    duration: Option<Duration>,
    on_behalf: bool,
    recent: u32,
}

impl Case {
    fn decide(&self, policy: &Policy) -> Decision {
        self.decide_on(policy, &self.resource, self.access, Some(&self.group))
    }

    /// The same request made for the group directly, at `access` for `duration`.
    fn decide_group_alone(
        &self,
        policy: &Policy,
        access: Access,
        duration: Option<Duration>,
    ) -> Decision {
        let alone = Case {
            duration,
            ..self.clone()
        };
        alone.decide_on(policy, &self.group, Some(access), None)
    }

    fn decide_on(
        &self,
        policy: &Policy,
        resource: &Resource,
        access: Option<Access>,
        group: Option<&Resource>,
    ) -> Decision {
        let request = Request {
            action: ActionName::Grant,
            resource: Some(resource),
            access,
            duration: self.duration,
            has_reason: true,
            on_behalf_of: self.on_behalf.then_some("sam@contoso.com"),
            counterpart_internal: None,
            new_address: None,
            privileged: false,
        };
        let now: DateTime<Utc> = DateTime::parse_from_rfc3339(NOW)
            .expect("a fixed time")
            .with_timezone(&Utc);
        let facts = Facts {
            requester: &self.requester,
            home_tenant: HOME,
            group,
            recent_requests: self.recent,
            now,
        };
        decide(Some(policy), &request, &facts)
    }
}

fn case(kinds: Vec<ResourceKind>) -> impl Strategy<Value = Case> {
    let requester = (
        prop::bool::weighted(0.03),
        prop::bool::weighted(0.03),
        prop::option::weighted(0.8, select(DEPARTMENTS)),
        prop::option::weighted(0.8, select(EMPLOYEE_TYPES)),
        prop::bool::weighted(0.7),
        prop::option::weighted(0.3, any::<Index>()),
    );
    (
        policy_spec(),
        resource(select(kinds)),
        resource(Just(ResourceKind::Group)),
        requester,
        prop::option::weighted(0.8, any::<Index>()),
        prop::option::weighted(0.7, 1u64..=400 * 24),
        prop::bool::weighted(0.03),
        0u32..6,
    )
        .prop_map(
            |(policy, mut resource, mut group, who, access, hours, on_behalf, recent)| {
                let (guest, disabled, department, employee_type, manager, owner) = who;
                group.owners = resource.owners.clone();
                resource.group_id = Some(group.id.clone());
                // Sometimes the requester is one of the owners.
                let upn = owner
                    .filter(|_| !resource.owners.is_empty())
                    .and_then(|index| index.get(&resource.owners).upn.clone())
                    .unwrap_or_else(|| "alice@contoso.com".to_owned());
                let requester = Requester {
                    upn,
                    tenant_id: Some(HOME.to_owned()),
                    guest,
                    enabled: !disabled,
                    department: department.map(str::to_owned),
                    employee_type: employee_type.map(str::to_owned),
                    manager: manager.then(|| "mike@contoso.com".to_owned()),
                };
                Case {
                    access: access.map(|index| *index.get(resource.kind.levels())),
                    policy,
                    resource,
                    group,
                    requester,
                    duration: hours.map(|hours| Duration::from_secs(hours * 3_600)),
                    on_behalf,
                    recent,
                }
            },
        )
}

/// What makes a request one the built-in invariants refuse.
#[derive(Clone, Copy, Debug)]
enum Forbidden {
    Guest,
    Disabled,
    RoleAssignable,
    OnBehalf,
    NoTarget,
}

fn forbidden_case() -> impl Strategy<Value = (Case, Forbidden)> {
    let why = select(vec![
        Forbidden::Guest,
        Forbidden::Disabled,
        Forbidden::RoleAssignable,
        Forbidden::OnBehalf,
        Forbidden::NoTarget,
    ]);
    (case(ResourceKind::ALL.to_vec()), why).prop_map(|(mut case, why)| {
        match why {
            Forbidden::Guest => case.requester.guest = true,
            Forbidden::Disabled => case.requester.enabled = false,
            Forbidden::RoleAssignable => case.resource.role_assignable = true,
            Forbidden::OnBehalf => case.on_behalf = true,
            Forbidden::NoTarget => {
                let resource = &case.resource;
                case.policy.targets.retain(|rule| !rule.holds(resource));
                case.policy.fallback = None;
            }
        }
        (case, why)
    })
}

fn extra() -> impl Strategy<Value = Extra> {
    prop_oneof![
        (any::<Index>(), target_spec()).prop_map(|(at, mut rule)| {
            rule.deny = true;
            Extra::Target(at, rule)
        }),
        department_spec().prop_map(|mut rule| {
            if rule.deny.is_empty() && rule.deny_types.is_empty() {
                rule.deny = vec!["Sales"];
            }
            Extra::Department(rule)
        }),
        action_spec().prop_map(|mut rule| {
            rule.deny = true;
            Extra::Action(rule)
        }),
    ]
}

fn within(kind: ResourceKind, access: Access, max: Access) -> bool {
    matches!(
        Access::compare_within(kind, access, max),
        Some(Ordering::Less | Ordering::Equal)
    )
}

// ---------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) An allow never exceeds its governing rule's level or span, nor the global maximum.
    #[test]
    fn an_allow_stays_within_its_rule_and_the_global_maximum(
        case in case(ResourceKind::ALL.to_vec())
    ) {
        let policy = parsed(&case.policy.toml(None))?;
        if let Decision::Allow(grant) = case.decide(&policy) {
            let name = grant.target.clone().expect("a grant names its rule");
            let rule = case.policy.rule(&name).expect("the rule is the policy's");
            let access = grant.access.expect("a grant has a level");
            if let Some(max) = rule.max_access {
                prop_assert!(
                    within(case.resource.kind, access, max),
                    "{access} granted under rule {name} of at most {max}"
                );
            }
            for days in [rule.max_days, case.policy.global_days].into_iter().flatten() {
                let cap = Duration::from_secs(days * DAY);
                prop_assert!(
                    grant.duration.is_some_and(|span| span <= cap),
                    "{:?} granted under a cap of {days} days",
                    grant.duration
                );
            }
        }
    }

    /// (b) Guests, disabled accounts, role-assignable resources, requests for someone else and
    /// resources no rule covers are always refused.
    #[test]
    fn the_invariants_always_refuse((case, why) in forbidden_case()) {
        let policy = parsed(&case.policy.toml(None))?;
        let decision = case.decide(&policy);
        prop_assert!(!decision.is_allow(), "{why:?} was allowed: {:?}", decision.trail());
    }

    /// (c) A rule that can only refuse never turns a refusal into an allow, and where both
    /// allow it changes nothing.
    #[test]
    fn a_deny_rule_never_turns_a_deny_into_an_allow(
        case in case(ResourceKind::ALL.to_vec()),
        extra in extra()
    ) {
        let before = case.decide(&parsed(&case.policy.toml(None))?);
        let after = case.decide(&parsed(&case.policy.toml(Some(&extra)))?);
        match (&before, &after) {
            (Decision::Deny(denial), Decision::Allow(_)) => {
                return Err(TestCaseError::fail(format!(
                    "{extra:?} turned a denial at {} into an allow",
                    denial.layer
                )));
            }
            (Decision::Allow(before), Decision::Allow(after)) => {
                prop_assert_eq!(before.access, after.access);
                prop_assert_eq!(before.duration, after.duration);
                prop_assert_eq!(&before.stages, &after.stages);
            }
            _ => {}
        }
    }

    /// (d) Where a grant is carried out through a group, it never exceeds what the group asked
    /// for directly would allow: asked for the level carried and the span granted, the group
    /// alone must allow at least that level, for at least that long, with no stage the effect
    /// lacks.
    #[test]
    fn the_effect_never_exceeds_its_group_alone(
        case in case(vec![ResourceKind::Team, ResourceKind::Site, ResourceKind::Channel])
    ) {
        let policy = parsed(&case.policy.toml(None))?;
        let Decision::Allow(grant) = case.decide(&policy) else {
            return Ok(());
        };
        let access = grant.access.expect("a grant has a level");
        let Some(carried) = carried_as(&case.resource, access) else {
            return Ok(());
        };
        let alone = match case.decide_group_alone(&policy, carried, grant.duration) {
            Decision::Allow(alone) => alone,
            Decision::Deny(denial) => {
                return Err(TestCaseError::fail(format!(
                    "{access} on the {} allowed, but {carried} of its group alone is denied at {}: {}",
                    case.resource.kind, denial.layer, denial.message
                )));
            }
        };
        let group_level = alone.access.expect("a grant has a level");
        prop_assert!(
            within(ResourceKind::Group, carried, group_level),
            "{carried} carried where the group alone allows {group_level}"
        );
        match (grant.duration, alone.duration) {
            (None, Some(limit)) => {
                return Err(TestCaseError::fail(format!(
                    "no end, where the group alone allows {limit:?}"
                )));
            }
            (Some(span), Some(limit)) => prop_assert!(span <= limit, "{span:?} > {limit:?}"),
            _ => {}
        }
        for need in &alone.stages {
            prop_assert!(
                grant.stages.iter().any(|have| have.stage == need.stage),
                "the group alone needs {} approval, the effect does not",
                need.stage
            );
        }
    }

    /// Nobody is ever among the approvers of their own request.
    #[test]
    fn nobody_approves_their_own_request(case in case(ResourceKind::ALL.to_vec())) {
        let policy = parsed(&case.policy.toml(None))?;
        if let Decision::Allow(grant) = case.decide(&policy) {
            for need in &grant.stages {
                if let Approvers::People(people) = &need.approvers {
                    prop_assert!(
                        !people.iter().any(|upn| upn.eq_ignore_ascii_case(&case.requester.upn)),
                        "{} approves their own {} stage",
                        case.requester.upn,
                        need.stage
                    );
                }
            }
        }
    }
}
