//! Parse + resolve against a synthetic catalog of 200,000 resources.
//!
//! Criterion measures the mean; a second pass times every request of a fixed mix one by one and
//! prints p50 / p99 (the README reports both), and the catalog's memory is measured as the live
//! heap it holds (counted by the allocator) and the growth of the resident set while it is built. Targets: p99 under 1 ms on one core, catalog
//! under 200 MB.
//!
//! Run: `cargo bench --bench understanding`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use doorman::catalog::{Catalog, ParentRef, Person, Principal, Resource};
use doorman::domain::resource::ResourceKind;
use doorman::intent::{Asker, understand};

const RESOURCES: usize = 200_000;

/// Counts live heap bytes, so the catalog's memory is measured exactly rather than through the
/// resident set (which also holds what the allocator keeps after frees).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only observes
// the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const DEPARTMENTS: &[&str] = &[
    "Finance",
    "Marketing",
    "Sales",
    "Engineering",
    "Support",
    "Legal",
    "People",
    "Operations",
    "Security",
    "Research",
    "Design",
    "Procurement",
    "Facilities",
    "Data",
    "Platform",
    "Mobile",
];
const TOPICS: &[&str] = &[
    "Atlas", "Phoenix", "Orion", "Zephyr", "Nimbus", "Aurora", "Vertex", "Quantum", "Harbor",
    "Summit", "Beacon", "Cascade", "Falcon", "Meridian", "Polaris", "Sequoia", "Tundra", "Vega",
    "Willow", "Zenith", "Apex", "Bolt", "Comet", "Delta", "Echo", "Fjord", "Granite", "Helix",
];
const NOUNS: &[&str] = &[
    "Reports",
    "Budget",
    "Campaigns",
    "Launch",
    "Planning",
    "Review",
    "Dashboards",
    "Assets",
    "Contracts",
    "Onboarding",
    "Roadmap",
    "Audit",
    "Analytics",
    "Releases",
    "Incidents",
    "Hiring",
];

/// A deterministic pseudo-random sequence (no dependency needed for a benchmark fixture).
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 16) as usize
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.next() % words.len()]
    }
}

/// 200,000 resources of every kind, named the way tenants name things: a department, a topic,
/// a noun and a number, so that many names share words and the resolver has to rank.
fn synthetic_catalog() -> Catalog {
    let mut sequence = Sequence(0x9E37_79B9_7F4A_7C15);
    let kinds = [
        ResourceKind::Group,
        ResourceKind::Group,
        ResourceKind::Team,
        ResourceKind::Channel,
        ResourceKind::Site,
        ResourceKind::Library,
        ResourceKind::Mailbox,
        ResourceKind::DistributionList,
    ];
    let mut resources = Vec::with_capacity(RESOURCES);
    for n in 0..RESOURCES {
        let kind = kinds[n % kinds.len()];
        let department = sequence.pick(DEPARTMENTS);
        let topic = sequence.pick(TOPICS);
        let noun = sequence.pick(NOUNS);
        let name = format!("{department} {topic} {noun} {n}");
        let mut resource =
            Resource::new(kind, format!("{n:08x}-0000-4000-8000-000000000000"), &name);
        resource.description = Some(format!("{noun} for the {department} {topic} programme"));
        resource.classification = Some("General".into());
        resource.visibility = Some("Private".into());
        resource.owners = vec![Principal {
            id: format!("owner-{}", n % 5_000),
            upn: Some(format!("owner{}@contoso.com", n % 5_000)),
        }];
        if matches!(
            kind,
            ResourceKind::Mailbox | ResourceKind::DistributionList | ResourceKind::Group
        ) {
            resource.mail = Some(format!(
                "{}-{}-{n}@contoso.com",
                department.to_lowercase(),
                topic.to_lowercase()
            ));
        }
        if matches!(kind, ResourceKind::Channel | ResourceKind::Library) {
            resource.parent = Some(ParentRef {
                kind: if kind == ResourceKind::Channel {
                    ResourceKind::Team
                } else {
                    ResourceKind::Site
                },
                id: format!("parent-{}", n / 8),
                name: format!("{department} {topic}"),
            });
        }
        resources.push(resource);
    }
    let people = (0..5_000)
        .map(|n| Person {
            id: format!("owner-{n}"),
            upn: format!("owner{n}@contoso.com"),
            display_name: format!("Owner {n}"),
            mail: Some(format!("owner{n}@contoso.com")),
        })
        .collect();
    Catalog::build(resources, people)
}

/// A mix of requests: exact names, partial names, typos, addresses, durations and reasons,
/// account actions, and text that names nothing.
fn requests() -> Vec<String> {
    let mut sequence = Sequence(42);
    let mut requests = Vec::new();
    for n in 0..200 {
        let department = sequence.pick(DEPARTMENTS);
        let topic = sequence.pick(TOPICS);
        let noun = sequence.pick(NOUNS);
        let id = sequence.next() % RESOURCES;
        requests.push(match n % 10 {
            0 => format!("I need edit access to the {department} {topic} {noun} {id} site"),
            1 => format!("can I get read access to {topic} {noun} {id}? need it for the audit"),
            2 => format!("add me to {department} {topic} for 2 weeks"),
            3 => format!(
                "please add me to the {} {noun} {id} group",
                topic.to_lowercase()
            ),
            4 => format!(
                "I need Send As on {}-{}-{id}@contoso.com so I can reply from the queue",
                department.to_lowercase(),
                topic.to_lowercase()
            ),
            5 => format!(
                "join the {department} {topc} team please",
                topc = &topic[..topic.len() - 1]
            ),
            6 => "forgot my password, can you reset it?".to_owned(),
            7 => "what's the weather like today".to_owned(),
            8 => {
                format!("give me access to {noun} until Friday because of the {department} review")
            }
            _ => format!("remove me from {department} {topic} {noun} {id}"),
        });
    }
    requests
}

fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn percentile(sorted: &[Duration], share: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn understanding(criterion: &mut Criterion) {
    let before = resident_bytes();
    let live_before = LIVE.load(Ordering::Relaxed);
    let catalog = synthetic_catalog();
    let live = LIVE.load(Ordering::Relaxed).saturating_sub(live_before);
    let after = resident_bytes();
    let resident = match (before, after) {
        (Some(before), Some(after)) => {
            format!(
                ", {:.1} MB resident",
                after.saturating_sub(before) as f64 / 1_048_576.0
            )
        }
        _ => String::new(),
    };
    eprintln!(
        "catalog of {} resources: {:.1} MB live heap{resident}",
        catalog.len(),
        live as f64 / 1_048_576.0
    );
    let requests = requests();
    let now = Utc
        .with_ymd_and_hms(2026, 11, 22, 10, 0, 0)
        .single()
        .expect("valid time");
    let asker = Asker {
        upn: "sarah.chen@contoso.com",
        now,
    };

    // Per-request latency over the whole mix, several rounds.
    let mut timings = Vec::with_capacity(requests.len() * 20);
    for _ in 0..20 {
        for request in &requests {
            let started = Instant::now();
            black_box(understand(black_box(request), asker, &catalog));
            timings.push(started.elapsed());
        }
    }
    timings.sort_unstable();
    eprintln!(
        "parse + resolve per request over {} requests: p50 {:?}, p99 {:?}, max {:?}",
        timings.len(),
        percentile(&timings, 0.50),
        percentile(&timings, 0.99),
        timings.last().copied().unwrap_or_default()
    );

    let mut at = 0;
    criterion.bench_function("parse + resolve (200k catalog)", |bench| {
        bench.iter(|| {
            at = (at + 1) % requests.len();
            black_box(understand(black_box(&requests[at]), asker, &catalog))
        })
    });

    // Most of what a chat bot is sent names nothing: greetings, thanks, small talk. The ingest
    // benchmark's message is one of these.
    let small_talk = [
        "hello bot, how are you today? 48213",
        "thanks!",
        "good morning :)",
        "ok cool, that worked",
        "hey there, what's up",
        "lol no worries",
    ];
    let mut at = 0;
    criterion.bench_function("small talk (200k catalog)", |bench| {
        bench.iter(|| {
            at = (at + 1) % small_talk.len();
            black_box(understand(black_box(small_talk[at]), asker, &catalog))
        })
    });
}

criterion_group!(benches, understanding);
criterion_main!(benches);
