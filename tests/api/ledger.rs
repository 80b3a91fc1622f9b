//! The provisioner and its grant ledger against the simulator: a lost answer, a crash between a
//! write and its answer, a later step that fails, two grants on one fact, and levels on top of
//! lower levels held before. Each checks the tenant itself (`/_sim/state`): what the person can
//! reach is what they had before plus what their active grants cover.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use doorman::graph::{DelegatedToken, GraphClient, RetryPolicy};
use doorman::metrics::Metrics;
use doorman::provision::{
    GraphProvider, Ledger, Library, Plan, Providers, Provisioner, ProvisionerParts, Released,
    Signed, Step, StepRelease,
};
use doorman::scheduler::{Clock, ShiftedClock, SystemClock};
use doorman::store::SledStore;

use crate::app::OPERATOR;

/// A person's token, for Graph.
fn on_graph(token: &DelegatedToken) -> Signed<'_> {
    Signed {
        token,
        service: doorman::domain::request::Service::Graph,
    }
}
use crate::catalog::graph_for;
use crate::helpers::TestSim;

const MARKETING_LAUNCH: &str = "19:marketing-launch@thread.tacv2";

/// A provisioner on its own store, as a daemon would build it, wired to `sim`.
struct Bench {
    store_dir: tempfile::TempDir,
}

impl Bench {
    fn new() -> Bench {
        Bench {
            store_dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A provisioner on this bench's store: a second call after the first is dropped is the
    /// same store after a restart.
    fn provisioner(&self, sim: &TestSim) -> Provisioner {
        self.provisioner_at(sim, Arc::new(SystemClock))
    }

    /// The same, on `clock`.
    fn provisioner_at(&self, sim: &TestSim, clock: Arc<dyn Clock>) -> Provisioner {
        let store = Arc::new(SledStore::open(self.store_dir.path()).expect("store opens"));
        let (graph, tokens) = graph_for(sim, quick_retries());
        Provisioner::new(ProvisionerParts {
            providers: Providers::new(vec![Arc::new(GraphProvider::new(graph, Arc::new(tokens)))]),
            ledger: Ledger::open(store).expect("ledger opens"),
            clock,
            metrics: Metrics::new(),
            verify_within: Duration::from_secs(10),
        })
    }
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    }
}

/// A Graph token with the permissions the operator's sign-in asks for, as a daemon holds it.
async fn token(sim: &TestSim, upn: &str) -> DelegatedToken {
    let scopes = doorman::identity::Role::Operator.graph_scopes().join(" ");
    DelegatedToken::new(sim.access_token(upn, &scopes).await)
}

async fn channel(sim: &TestSim, name: &str) -> (Vec<String>, Vec<String>) {
    let state = sim.control(reqwest::Method::GET, "state", None).await.body;
    let found = state["teams"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|team| team["channels"].as_array().cloned().unwrap_or_default())
        .find(|channel| channel["displayName"] == name)
        .expect("channel exists");
    let upns = |key: &str| -> Vec<String> {
        found[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|upn| upn.as_str().map(str::to_owned))
            .collect()
    };
    (upns("members"), upns("owners"))
}

fn outcomes(released: &Released) -> Vec<StepRelease> {
    released
        .steps
        .iter()
        .map(|(_, outcome)| outcome.clone())
        .collect()
}

#[tokio::test]
async fn a_write_whose_answer_was_lost_belongs_to_the_grant_and_goes_when_it_ends() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let jordan = sim.user_id("jordan.lee@contoso.com");
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: sim.group_id("Marketing"),
        }],
    };
    let operator = token(&sim, OPERATOR).await;
    sim.faults(serde_json::json!({"lose_next_writes": 1})).await;

    let made = provisioner
        .carry_out("R-LOST01", &jordan, &plan, &operator)
        .await
        .expect("the retry finds the membership there");
    assert_eq!(made.written.len(), 1, "it is this grant's: {made:?}");
    assert!(made.held_before.is_empty());
    let log = sim.state.graph_log.entries();
    assert!(
        log.iter()
            .any(|entry| entry.method == "POST" && entry.status.is_none()),
        "the first answer was lost"
    );

    let released = provisioner
        .release("R-LOST01", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::Removed]);
    assert!(
        !sim.members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn a_removal_cut_off_by_a_crash_is_read_gone_after_the_restart_and_not_sent_again() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let jordan = sim.user_id("jordan.lee@contoso.com");
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: sim.group_id("Marketing"),
        }],
    };
    let operator = token(&sim, OPERATOR).await;
    {
        let provisioner = bench.provisioner(&sim);
        provisioner
            .carry_out("R-GONE01", &jordan, &plan, &operator)
            .await
            .expect("the membership is made");
        provisioner
            .verify(&jordan, &plan)
            .await
            .expect("and read back");
        // Every call now takes two seconds before it is carried out and two before its
        // answer: the removal is cut off in between, as a kill -9 would.
        sim.faults(serde_json::json!({"latency_ms": 2000})).await;
        let run = provisioner.release("R-GONE01", &jordan, &plan, Some(on_graph(&operator)));
        tokio::pin!(run);
        let removal_carried_out = async {
            while !sim
                .state
                .graph_log
                .entries()
                .iter()
                .any(|entry| entry.method == "DELETE")
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            finished = &mut run => panic!("the removal finished before it could be cut: {finished:?}"),
            () = removal_carried_out => {}
        }
    }
    sim.faults(serde_json::json!({"latency_ms": 0})).await;
    assert!(
        !sim.members("Marketing")
            .await
            .contains(&"jordan.lee@contoso.com".to_owned()),
        "the removal was carried out before the cut"
    );

    // Restarted on the same store a while later (the membership written longer ago than
    // replication lag lasts), the removal is still owed: it is read gone, not sent again.
    let later = Arc::new(ShiftedClock::default());
    later.advance(Duration::from_secs(16 * 60));
    let released = bench
        .provisioner_at(&sim, later.clone())
        .release("R-GONE01", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::Removed]);
    let deletes = sim
        .state
        .graph_log
        .entries()
        .iter()
        .filter(|entry| entry.method == "DELETE")
        .count();
    assert_eq!(deletes, 1, "the removal was sent once");
    let again = bench
        .provisioner_at(&sim, later)
        .release("R-GONE01", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(
        outcomes(&again),
        vec![StepRelease::Untouched],
        "and it is owed no more"
    );
}

#[tokio::test]
async fn a_crash_between_a_write_and_its_answer_keeps_access_held_before_and_removes_the_rest() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let tom = sim.user_id("tom.becker@contoso.com");
    assert!(
        sim.members("Marketing")
            .await
            .contains(&"tom.becker@contoso.com".to_owned()),
        "Tom is in Marketing before the grant"
    );
    let plan = Plan {
        steps: vec![
            Step::GroupMember {
                group_id: sim.group_id("Marketing"),
            },
            Step::ChannelMember {
                team_id: sim.group_id("Marketing"),
                channel_id: MARKETING_LAUNCH.to_owned(),
            },
        ],
    };
    let maria = token(&sim, "maria.garcia@contoso.com").await;
    // Every call takes two seconds, one before it is carried out and one before its answer:
    // the run is cut off in between, as a kill -9 would.
    sim.faults(serde_json::json!({"latency_ms": 2000})).await;
    {
        let provisioner = bench.provisioner(&sim);
        let run = provisioner.carry_out("R-CRASH1", &tom, &plan, &maria);
        tokio::pin!(run);
        let channel_write_carried_out =
            async {
                loop {
                    let carried =
                        sim.state.graph_log.entries().iter().any(|entry| {
                            entry.method == "POST" && entry.path.contains("/channels/")
                        });
                    if carried {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            };
        tokio::select! {
            finished = &mut run => panic!("the run finished before it could be cut: {finished:?}"),
            () = channel_write_carried_out => {}
        }
    }
    sim.faults(serde_json::json!({"latency_ms": 0})).await;
    let (members, _) = channel(&sim, "Product Launch").await;
    assert!(
        members.contains(&"tom.becker@contoso.com".to_owned()),
        "the channel write was carried out before the cut: {members:?}"
    );

    // Restarted on the same store, the grant is taken away: what it made goes, what Tom had
    // before stays.
    let provisioner = bench.provisioner(&sim);
    let released = provisioner
        .release("R-CRASH1", &tom, &plan, Some(on_graph(&maria)))
        .await;
    assert_eq!(
        outcomes(&released),
        vec![StepRelease::Removed, StepRelease::HeldBefore]
    );
    let (members, _) = channel(&sim, "Product Launch").await;
    assert!(!members.contains(&"tom.becker@contoso.com".to_owned()));
    assert!(
        sim.members("Marketing")
            .await
            .contains(&"tom.becker@contoso.com".to_owned())
    );
}

#[tokio::test]
async fn a_failed_later_step_undoes_what_the_grant_made_and_never_what_was_held_before() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let operator = token(&sim, OPERATOR).await;
    let (jordan_upn, jordan) = (
        "jordan.lee@contoso.com",
        sim.user_id("jordan.lee@contoso.com"),
    );
    let marketing = sim.group_id("Marketing");
    // The helpdesk may add to the team's group but not to the private channel.
    let plan = Plan {
        steps: vec![
            Step::GroupMember {
                group_id: marketing.clone(),
            },
            Step::ChannelMember {
                team_id: marketing.clone(),
                channel_id: MARKETING_LAUNCH.to_owned(),
            },
        ],
    };

    let failed = provisioner
        .carry_out("R-FAIL01", &jordan, &plan, &operator)
        .await;
    assert!(failed.is_err(), "the channel step is refused");
    assert!(
        sim.members("Marketing")
            .await
            .contains(&jordan_upn.to_owned())
    );
    let released = provisioner
        .release("R-FAIL01", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert!(released.is_complete(), "{released:?}");
    assert!(
        !sim.members("Marketing")
            .await
            .contains(&jordan_upn.to_owned()),
        "the grant's own team step is undone"
    );

    // Membership held before the request is someone else's: never taken away.
    doorman::graph::GraphClient::new(sim.graph_base(), RetryPolicy::default())
        .expect("client")
        .add_member(&operator, &marketing, &jordan)
        .await
        .expect("added outside Doorman");
    let failed = provisioner
        .carry_out("R-FAIL02", &jordan, &plan, &operator)
        .await;
    assert!(failed.is_err());
    let released = provisioner
        .release("R-FAIL02", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert!(
        outcomes(&released).contains(&StepRelease::HeldBefore),
        "{released:?}"
    );
    assert!(
        sim.members("Marketing")
            .await
            .contains(&jordan_upn.to_owned())
    );
}

#[tokio::test]
async fn a_fact_two_grants_cover_stays_until_the_last_of_them_ends() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let operator = token(&sim, OPERATOR).await;
    let jordan = sim.user_id("jordan.lee@contoso.com");
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: sim.group_id("Marketing"),
        }],
    };
    provisioner
        .carry_out("R-SHORT1", &jordan, &plan, &operator)
        .await
        .expect("made");
    let writes_before = sim.writes();
    let second = provisioner
        .carry_out("R-LONG01", &jordan, &plan, &operator)
        .await
        .expect("made");
    assert_eq!(
        second.covered, plan.steps,
        "shared with the first grant: {second:?}"
    );
    assert!(second.held_before.is_empty(), "Doorman's, not held before");
    assert_eq!(sim.writes(), writes_before, "nothing written twice");

    let released = provisioner
        .release("R-SHORT1", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(
        outcomes(&released),
        vec![StepRelease::Covered(vec!["R-LONG01".into()])]
    );
    let jordan_upn = "jordan.lee@contoso.com".to_owned();
    assert!(sim.members("Marketing").await.contains(&jordan_upn));
    let released = provisioner
        .release("R-LONG01", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::Removed]);
    assert!(!sim.members("Marketing").await.contains(&jordan_upn));
}

#[tokio::test]
async fn a_channel_owner_grant_over_a_membership_held_before_leaves_the_membership() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let maria = token(&sim, "maria.garcia@contoso.com").await;
    let (tom_upn, tom) = (
        "tom.becker@contoso.com",
        sim.user_id("tom.becker@contoso.com"),
    );
    let marketing = sim.group_id("Marketing");
    // Maria made Tom a member of her channel before he asked to own it.
    GraphClient::new(sim.graph_base(), RetryPolicy::default())
        .expect("client")
        .add_channel_member(
            &maria,
            &marketing,
            MARKETING_LAUNCH,
            &tom,
            doorman::graph::TeamRole::Member,
        )
        .await
        .expect("added outside Doorman");
    let plan = Plan {
        steps: vec![
            Step::GroupMember {
                group_id: marketing.clone(),
            },
            Step::ChannelMember {
                team_id: marketing.clone(),
                channel_id: MARKETING_LAUNCH.to_owned(),
            },
            Step::ChannelOwner {
                team_id: marketing.clone(),
                channel_id: MARKETING_LAUNCH.to_owned(),
            },
        ],
    };
    let made = provisioner
        .carry_out("R-OWNER1", &tom, &plan, &maria)
        .await
        .expect("made");
    assert_eq!(made.written, vec![plan.steps[2].clone()], "{made:?}");
    provisioner.verify(&tom, &plan).await.expect("read back");
    let (_, owners) = channel(&sim, "Product Launch").await;
    assert!(owners.contains(&tom_upn.to_owned()));

    let released = provisioner
        .release("R-OWNER1", &tom, &plan, Some(on_graph(&maria)))
        .await;
    assert!(released.is_complete(), "{released:?}");
    let (members, owners) = channel(&sim, "Product Launch").await;
    assert!(
        !owners.contains(&tom_upn.to_owned()),
        "the role Doorman gave is gone"
    );
    assert!(
        members.contains(&tom_upn.to_owned()),
        "the membership he had stays"
    );
}

#[tokio::test]
async fn library_write_over_read_held_before_goes_back_to_read() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let maria = token(&sim, "maria.garcia@contoso.com").await;
    let jordan = sim.user_id("jordan.lee@contoso.com");
    let assets = Library::Drive {
        drive_id: "b!mkt-assets".to_owned(),
    };
    let read_only = Plan {
        steps: vec![Step::LibraryRead {
            library: assets.clone(),
        }],
    };
    // Jordan could read the library before (an earlier grant that is his own now).
    provisioner
        .carry_out("R-READ01", &jordan, &read_only, &maria)
        .await
        .expect("read granted");
    let write = Plan {
        steps: vec![
            Step::LibraryRead {
                library: assets.clone(),
            },
            Step::LibraryWrite {
                library: assets.clone(),
            },
        ],
    };
    provisioner
        .carry_out("R-WRITE1", &jordan, &write, &maria)
        .await
        .expect("write granted");
    provisioner
        .verify(&jordan, &write)
        .await
        .expect("read back");
    let role = || async {
        let state = sim.control(reqwest::Method::GET, "state", None).await.body;
        state["sites"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|site| site["drives"].as_array().cloned().unwrap_or_default())
            .find(|drive| drive["id"] == "b!mkt-assets")
            .and_then(|drive| drive["grants"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .find(|grant| grant["user"] == "jordan.lee@contoso.com")
            .map(|grant| grant["role"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(role().await, "write");

    let released = provisioner
        .release("R-WRITE1", &jordan, &write, Some(on_graph(&maria)))
        .await;
    assert!(released.is_complete(), "{released:?}");
    assert_eq!(
        role().await,
        "read",
        "read stays for the grant that covers it"
    );
    provisioner
        .release("R-READ01", &jordan, &read_only, Some(on_graph(&maria)))
        .await;
    assert_eq!(role().await, Value::Null, "and goes with it");
}

#[tokio::test]
async fn access_an_owner_gave_that_the_read_before_the_write_could_not_see_stays_theirs() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let (jordan_upn, jordan) = (
        "jordan.lee@contoso.com",
        sim.user_id("jordan.lee@contoso.com"),
    );
    let marketing = sim.group_id("Marketing");
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: marketing.clone(),
        }],
    };
    // Maria adds Jordan herself; replication lag hides it from the read before Doorman's write.
    sim.faults(serde_json::json!({"replication_lag_ms": 30000}))
        .await;
    let maria = token(&sim, "maria.garcia@contoso.com").await;
    GraphClient::new(sim.graph_base(), RetryPolicy::default())
        .expect("client")
        .add_member(&maria, &marketing, &jordan)
        .await
        .expect("added outside Doorman");
    let operator = token(&sim, OPERATOR).await;
    let made = provisioner
        .carry_out("R-LAG001", &jordan, &plan, &operator)
        .await
        .expect("made");
    assert_eq!(
        made.held_before, plan.steps,
        "Graph said first-hand it was there: {made:?}"
    );
    let released = provisioner
        .release("R-LAG001", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::HeldBefore]);
    assert!(
        sim.members("Marketing")
            .await
            .contains(&jordan_upn.to_owned())
    );
}

#[tokio::test]
async fn access_held_before_that_an_owner_removed_is_doormans_once_a_later_grant_writes_it() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let provisioner = bench.provisioner(&sim);
    let (tom_upn, tom) = (
        "tom.becker@contoso.com",
        sim.user_id("tom.becker@contoso.com"),
    );
    let marketing = sim.group_id("Marketing");
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: marketing.clone(),
        }],
    };
    let operator = token(&sim, OPERATOR).await;
    let first = provisioner
        .carry_out("R-HELD01", &tom, &plan, &operator)
        .await
        .expect("made");
    assert_eq!(first.held_before, plan.steps, "Tom was in the team already");
    let maria = token(&sim, "maria.garcia@contoso.com").await;
    GraphClient::new(sim.graph_base(), RetryPolicy::default())
        .expect("client")
        .remove_member(&maria, &marketing, &tom)
        .await
        .expect("removed outside Doorman");
    let second = provisioner
        .carry_out("R-HELD02", &tom, &plan, &operator)
        .await
        .expect("made");
    assert_eq!(second.written, plan.steps, "Doorman wrote it this time");

    provisioner
        .release("R-HELD01", &tom, &plan, Some(on_graph(&operator)))
        .await;
    assert!(sim.members("Marketing").await.contains(&tom_upn.to_owned()));
    let released = provisioner
        .release("R-HELD02", &tom, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::Removed]);
    assert!(
        !sim.members("Marketing").await.contains(&tom_upn.to_owned()),
        "what Doorman wrote is not left behind as 'held before'"
    );
}

#[tokio::test]
async fn a_run_resumed_after_a_crash_owns_its_earlier_write_that_lag_hides() {
    let sim = TestSim::start().await;
    let bench = Bench::new();
    let (jordan_upn, jordan) = (
        "jordan.lee@contoso.com",
        sim.user_id("jordan.lee@contoso.com"),
    );
    let plan = Plan {
        steps: vec![Step::GroupMember {
            group_id: sim.group_id("Marketing"),
        }],
    };
    let operator = token(&sim, OPERATOR).await;
    // The write is carried out, the run is cut off before its answer, and replication lag
    // hides the membership from the resumed run's read.
    sim.faults(serde_json::json!({"latency_ms": 2000, "replication_lag_ms": 30000}))
        .await;
    {
        let provisioner = bench.provisioner(&sim);
        let run = provisioner.carry_out("R-RESUME", &jordan, &plan, &operator);
        tokio::pin!(run);
        let write_carried_out = async {
            loop {
                let carried =
                    sim.state.graph_log.entries().iter().any(|entry| {
                        entry.method == "POST" && entry.path.ends_with("/members/$ref")
                    });
                if carried {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::select! {
            finished = &mut run => panic!("the run finished before it could be cut: {finished:?}"),
            () = write_carried_out => {}
        }
    }
    sim.faults(serde_json::json!({"latency_ms": 0})).await;
    let provisioner = bench.provisioner(&sim);
    let resumed = provisioner
        .carry_out("R-RESUME", &jordan, &plan, &operator)
        .await
        .expect("the resumed write meets its own change");
    assert!(
        resumed.held_before.is_empty(),
        "Doorman's own write is not what Jordan had before: {resumed:?}"
    );
    let released = provisioner
        .release("R-RESUME", &jordan, &plan, Some(on_graph(&operator)))
        .await;
    assert_eq!(outcomes(&released), vec![StepRelease::Removed]);
    assert!(
        !sim.members("Marketing")
            .await
            .contains(&jordan_upn.to_owned())
    );
}
