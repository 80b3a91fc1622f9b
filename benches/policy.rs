//! Policy decisions per second: a realistic 500-rule policy, a few hundred resources, and
//! `decide` on a fixed mix of requests. Target: over 100,000 decisions a second on one core.
//!
//! The policy has mostly specific rules (a name, a classification, a tag, for every kind), a few
//! deny rules first and a catch-all per kind last, department and action rules, a rate limit
//! and a change window. The mix is on the heavy side: about two thirds of the allowed requests
//! match no specific rule and reach the catch-alls at the end, so many decisions scan all 500
//! rules; and teams, sites and channels are carried out through their groups, so many decisions
//! are two evaluations. It prints how the requests were decided before measuring.
//!
//! Run: `cargo bench --bench policy`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use doorman::catalog::{Principal, Resource};
use doorman::domain::resource::ResourceKind;
use doorman::policy::{ActionName, Decision, Facts, Policy, Request, Requester, decide};

const RULES: usize = 500;
/// Specific rules are numbered; resources are numbered a little past them, so some reach the
/// catch-alls.
const NUMBERS: usize = 160;
const RESOURCES: usize = 400;
const REQUESTS: usize = 1_000;
const KINDS: [ResourceKind; 7] = ResourceKind::ALL;
const DEPARTMENTS: [&str; 5] = ["Finance", "Engineering", "Sales", "Operations", "Legal"];
const CLASSIFICATIONS: [&str; 3] = ["General", "Confidential", "Restricted"];

/// A small deterministic generator, so every run measures the same mix.
struct Mix(u64);

impl Mix {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

fn policy_text() -> String {
    let mut rules: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut rule = |name: String, body: String, names: &mut Vec<String>| {
        rules.push(format!("[[target]]\nname = \"{name}\"\n{body}\n"));
        names.push(name);
    };
    // A few deny rules first, as organisations write them.
    for (at, matcher) in [
        "{ name = \"Tier0*\" }",
        "{ tag = \"privileged\" }",
        "{ kind = \"group\", classification = \"HighlyConfidential\" }",
        "{ kind = \"mailbox\", name = \"CEO*\" }",
        "{ kind = \"site\", name = \"Board*\" }",
        "{ kind = \"group\", name = \"*Admins\" }",
    ]
    .iter()
    .enumerate()
    {
        rule(
            format!("deny-{at}"),
            format!("match = {matcher}\ndeny = true"),
            &mut names,
        );
    }
    // Specific rules: by name, by classification and tag, by tag alone.
    let mut number = 0;
    while names.len() < RULES - KINDS.len() {
        let kind = KINDS[number % KINDS.len()];
        let levels = kind.levels();
        let max = levels[levels.len().saturating_sub(1).min(number % 3)];
        let approval = match number % 4 {
            0 => "[\"owner\"]",
            1 => "[\"manager\", \"owner\"]",
            2 => "[\"owner\", \"group:Helpdesk\"]",
            _ => "[]",
        };
        let body = match number % 3 {
            0 => format!("match = {{ kind = \"{kind}\", name = \"Proj-{number:03} *\" }}"),
            1 => format!(
                "match = {{ kind = \"{kind}\", classification = \"{}\", tag = \"cc-{number:03}\" }}",
                CLASSIFICATIONS[number % CLASSIFICATIONS.len()]
            ),
            _ => format!("match = {{ tag = \"team-{number:03}\" }}"),
        };
        let body = format!(
            "{body}\nmax_access = \"{max}\"\napproval = {approval}\nmax_duration = \"{}d\"",
            30 + number % 60
        );
        let body = if number % 3 == 2 {
            // A tag rule matches every kind: no max_access that only some kinds have.
            body.replace(&format!("max_access = \"{max}\"\n"), "")
        } else {
            body
        };
        rule(format!("r-{number:03}"), body, &mut names);
        number += 1;
    }
    // A catch-all per kind.
    for kind in KINDS {
        rule(
            format!("all-{kind}"),
            format!(
                "match = {{ kind = \"{kind}\" }}\nmax_access = \"{}\"\napproval = [\"owner\"]",
                kind.default_access()
            ),
            &mut names,
        );
    }
    let mut text = String::from(
        "[global]\nmax_duration = \"180d\"\n\n[tenant]\ndefault_duration = \"30d\"\n\
         duration_required_for = [\"owner\"]\n\n",
    );
    text.push_str(&rules.join("\n"));
    // Department rules on a spread of specific rules, and one on all.
    for at in (0..40).map(|at| 6 + at * 11) {
        text.push_str(&format!(
            "\n[[department]]\ntargets = [\"{}\", \"{}\"]\nallow = [\"{}\", \"{}\"]\n",
            names[at],
            names[at + 3],
            DEPARTMENTS[at % 5],
            DEPARTMENTS[(at + 1) % 5]
        ));
    }
    text.push_str("\n[[department]]\ntargets = [\"*\"]\ndeny_employee_types = [\"Intern\"]\n");
    text.push_str(
        "\n[[action]]\naccess = \"owner\"\napproval = [\"manager\"]\nmax_duration = \"14d\"\n\
         \n[[action]]\naccess = \"send_as\"\napproval = [\"group:Exchange Admins\"]\n\
         \n[[action]]\naccess = \"edit\"\nmax_duration = \"90d\"\n\
         \n[[action]]\naction = \"reset_password\"\napproval = [\"manager\"]\n",
    );
    text.push_str(
        "\n[runtime]\nmax_requests_per_hour = 20\nchange_window = { days = \"Mon-Fri\", \
         hours = \"07:00-19:00\", tz = \"Europe/London\", outside = \"approve\" }\n",
    );
    text
}

fn owner(upn: &str) -> Principal {
    Principal {
        id: format!("id-{upn}"),
        upn: Some(upn.to_owned()),
    }
}

/// Resources and, for each, the index of the group it is carried out through.
fn resources(mix: &mut Mix) -> (Vec<Resource>, Vec<Option<usize>>) {
    let mut all = Vec::new();
    let mut groups = Vec::new();
    for at in 0..RESOURCES {
        let kind = KINDS[mix.next(KINDS.len())];
        let number = mix.next(NUMBERS);
        let name = match mix.next(10) {
            0 => format!("Tier0 Ops {at}"),
            _ => format!("Proj-{number:03} {}", ["Budget", "Plans", "Team"][at % 3]),
        };
        let mut resource = Resource::new(kind, format!("{kind}-{at}"), name.clone());
        resource.classification = Some(CLASSIFICATIONS[mix.next(3)].to_owned());
        resource.tags = vec![
            format!("cc-{:03}", mix.next(NUMBERS)),
            format!("team-{:03}", mix.next(NUMBERS)),
        ];
        resource.owners = vec![owner(&format!("owner{}@contoso.com", at % 17))];
        if kind == ResourceKind::Mailbox {
            resource.mail = Some(format!("box{at}@contoso.com"));
        }
        let carried = matches!(
            kind,
            ResourceKind::Team | ResourceKind::Site | ResourceKind::Channel
        );
        if carried {
            let mut group = Resource::new(ResourceKind::Group, format!("group-{at}"), name);
            group.classification = resource.classification.clone();
            group.tags = resource.tags.clone();
            group.owners = resource.owners.clone();
            resource.group_id = Some(group.id.clone());
            all.push(resource);
            groups.push(None);
            all.push(group);
            groups.push(None);
            let last = all.len() - 1;
            groups[last - 1] = Some(last);
        } else {
            all.push(resource);
            groups.push(None);
        }
    }
    (all, groups)
}

fn requesters() -> Vec<Requester> {
    (0..20)
        .map(|at| Requester {
            upn: format!("person{at}@contoso.com"),
            tenant_id: None,
            guest: false,
            enabled: true,
            department: Some(DEPARTMENTS[at % 5].to_owned()),
            employee_type: Some(if at % 7 == 0 { "Intern" } else { "Employee" }.to_owned()),
            manager: (at % 9 != 0).then(|| format!("manager{}@contoso.com", at % 4)),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let policy = Policy::parse(&policy_text(), "policy.toml").expect("the bench policy is valid");
    assert_eq!(policy.targets.len(), RULES);
    let mut mix = Mix(0x5eed_cafe_f00d);
    let (resources, groups) = resources(&mut mix);
    let people = requesters();
    // A Wednesday afternoon in London, and a Saturday: inside and outside the change window.
    let times: Vec<DateTime<Utc>> = ["2025-01-15T14:00:00Z", "2025-01-18T10:00:00Z"]
        .iter()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .expect("a fixed time")
                .with_timezone(&Utc)
        })
        .collect();
    let cases: Vec<(Request<'_>, Facts<'_>)> = (0..REQUESTS)
        .map(|_| {
            let at = mix.next(resources.len());
            let resource = &resources[at];
            let levels = resource.kind.levels();
            let access = (mix.next(4) != 0).then(|| levels[mix.next(levels.len())]);
            let days = [None, Some(7), Some(30), Some(365)][mix.next(4)];
            let request = Request {
                action: ActionName::Grant,
                resource: Some(resource),
                access,
                duration: days.map(|days| Duration::from_secs(days * 86_400)),
                has_reason: true,
                on_behalf_of: None,
                counterpart_internal: None,
                new_address: None,
                privileged: false,
            };
            let facts = Facts {
                requester: &people[mix.next(people.len())],
                home_tenant: "home-tenant",
                group: groups[at].map(|group| &resources[group]),
                recent_requests: mix.next(22) as u32,
                now: times[mix.next(times.len())],
            };
            (request, facts)
        })
        .collect();
    let (mut allowed, mut stages, mut catch_all) = (0, 0, 0);
    let mut denied: BTreeMap<&str, usize> = BTreeMap::new();
    for (request, facts) in &cases {
        match decide(Some(&policy), request, facts) {
            Decision::Allow(grant) => {
                allowed += 1;
                stages += grant.stages.len();
                if grant.target.is_some_and(|name| name.starts_with("all-")) {
                    catch_all += 1;
                }
            }
            Decision::Deny(denial) => *denied.entry(denial.layer.as_str()).or_default() += 1,
        }
    }
    println!(
        "{} rules, {} resources, {REQUESTS} requests: {allowed} allowed ({catch_all} by a \
         catch-all, {stages} approval stages), denied by layer {denied:?}",
        policy.targets.len(),
        resources.len(),
    );

    let mut group = c.benchmark_group("policy");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("decide", |bencher| {
        bencher.iter(|| {
            for (request, facts) in &cases {
                black_box(decide(Some(black_box(&policy)), request, facts));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
