//! Every card and message Doorman can build, rendered as each platform receives it, written to
//! `target/cards/` (`teams/*.json`: the Bot Framework activity; `slack/*.json`: the
//! `chat.postMessage` content, and `slack/*.modal-<verb>.json`: the modal a button opens), and
//! held to what each platform takes:
//!
//! - Teams: the Adaptive Cards 1.5 schema (Microsoft's, copied to `tests/cards/`), at most five
//!   actions in any action set (Teams' host config `maxActions`), and the 28 KB of a message.
//!   `tests/cards/check.mjs` then parses the same files with Microsoft's `adaptivecards`
//!   library under a Teams-like host config (`.ci/run`).
//! - Slack: the documented Block Kit limits as the simulator enforces them
//!   (`sim::slack::block_kit`: 50 blocks, section text 3,000, header 150, ten fields of 2,000,
//!   25 elements per actions block, button text 75, `action_id` 255, `value` 2,000, 100
//!   options of text 75 and value 150, ten context elements...), the message text's 40,000
//!   characters, and a modal's own: title, submit and close at most 24 characters,
//!   `private_metadata` 3,000, `callback_id` 255, 100 blocks.
//!
//! The catalogue covers approval cards of every kind and stage, recovery cards, help, both list
//! cards at 0, 1, 6, 30 and 200 items (first, middle and last pages, and after a click),
//! clarification, and what removing and the other outcomes say; texts are as long as the code
//! lets them be where that matters (names, reasons).

use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::{TimeZone, Utc};
use secrecy::SecretString;
use serde_json::{Value, json};
use url::Url;

use crate::approval::{self, Left, StandingApproval};
use crate::conversation::replies;
use crate::domain::chat::Message;
use crate::domain::request::{EndCause, RequestRecord, StageRecord, State, example};
use crate::domain::resource::{Access, ResourceKind, ResourceRef};

const TEAMS_ACTIONS_MAX: usize = 5;
const TEAMS_MESSAGE_BYTES_MAX: usize = 28 * 1024;
const SLACK_TEXT_MAX: usize = 40_000;
const MODAL_TEXT_MAX: usize = 24;
const MODAL_METADATA_MAX: usize = 3000;
const CALLBACK_ID_MAX: usize = 255;

static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = include_str!("../../tests/cards/adaptive-card-1.5.schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    jsonschema::options()
        .offline()
        .build(&schema)
        .expect("the schema compiles")
});

fn at(day: u32, hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
        .single()
        .unwrap_or_default()
}

fn link() -> Url {
    Url::parse("https://doorman.contoso.com/auth/start?state=0123456789abcdef0123456789abcdef")
        .expect("a url")
}

fn stage(name: &str, approvers: &[&str], quorum: u32) -> StageRecord {
    StageRecord::new(
        name.to_owned(),
        approvers.iter().map(|upn| (*upn).to_owned()).collect(),
        quorum,
    )
}

/// A long name, as a catalog may hold one: past every platform's title and button limits.
fn long_name() -> String {
    "Contoso Global Finance Planning and Analysis Quarterly Close Working Group ".repeat(4)
}

/// The approval requests of every kind: one owner, the manager, two stages, a quorum, long
/// texts, a mailbox with an end date.
fn requests() -> Vec<(&'static str, RequestRecord)> {
    let mut owner = example::request(vec![stage("owner", &["nina.patel@contoso.com"], 1)]);
    owner.reason = Some("Helping with the Q3 audit".into());
    owner.policy_line = "Policy allows it for 30d with approval from the owner.".into();
    owner.allow_standing = true;

    let mut manager = example::request(vec![stage("manager", &["maria.garcia@contoso.com"], 1)]);
    manager.requester.display_name = Some("Tom Becker".into());
    manager.requester.department = Some("Marketing".into());
    manager.requester.job_title = Some("Campaign Manager".into());
    manager.policy_line =
        "Policy allows it with approval from your manager (maria.garcia@contoso.com).".into();

    let mut two = example::request(vec![
        stage("manager", &["maria.garcia@contoso.com"], 1),
        stage(
            "owner",
            &["nina.patel@contoso.com", "alex.kim@contoso.com"],
            1,
        ),
    ]);
    two.stages[0].decided_by = Some("maria.garcia@contoso.com".into());
    two.stages[0].decided_at = Some(at(1, 10));

    let mut quorum = example::request(vec![stage(
        "group:Security Reviewers",
        &[
            "priya.nair@contoso.com",
            "alex.kim@contoso.com",
            "sarah.chen@contoso.com",
        ],
        2,
    )]);
    quorum.stages[0].approvals = vec![crate::domain::request::Approval {
        by: "priya.nair@contoso.com".into(),
        at: at(1, 10),
    }];

    let mut long = example::request(vec![stage("owner", &["nina.patel@contoso.com"], 1)]);
    long.resource.name = long_name();
    long.reason = Some("x".repeat(500));
    long.requester.display_name = Some("Wolfeschlegelsteinhausenbergerdorff ".repeat(6));
    long.policy_line = "Policy allows it. ".repeat(40);

    let mut mailbox = example::request(vec![stage("owner", &["nina.patel@contoso.com"], 1)]);
    mailbox.resource = ResourceRef {
        kind: ResourceKind::Mailbox,
        id: "support@contoso.com".into(),
        name: "Support".into(),
    };
    mailbox.access = Access::SendAs;
    mailbox.requested_access = Access::SendAs;
    mailbox.duration_seconds = Some(14 * 86_400);

    vec![
        ("owner", owner),
        ("manager", manager),
        ("two-stages", two),
        ("quorum", quorum),
        ("long", long),
        ("mailbox", mailbox),
    ]
}

/// A recovery request waiting for the manager's confirmation or the step-up sign-in.
fn recovery(case: &str, way: &str) -> RequestRecord {
    let mut record = example::request(vec![stage(way, &["maria.garcia@contoso.com"], 1)]);
    record.requester.display_name = Some("Tom Becker".into());
    record.resource = ResourceRef {
        kind: ResourceKind::Account,
        id: "id-tom".into(),
        name: "Tom Becker".into(),
    };
    record.recovery = serde_json::from_value(json!({ "case": case })).ok();
    record.policy_line = "Policy allows it once you are verified.".into();
    record
}

/// `count` active grants, newest first as the list shows them.
fn grants(count: usize) -> Vec<RequestRecord> {
    (0..count)
        .map(|n| {
            let mut record = example::request(Vec::new());
            record.id = format!("R-{n:06}");
            record.state = State::Active;
            record.resource.name = format!("Project Group {n:03}");
            record.ends_at = Some(at(20, 9));
            if n % 7 == 3 {
                record.resource.name = long_name();
            }
            record
        })
        .collect()
}

/// `count` standing approvals of one owner.
fn standing(count: usize) -> Vec<(String, StandingApproval)> {
    (0..count)
        .map(|n| {
            let name = if n % 7 == 3 {
                long_name()
            } else {
                format!("VPN Site {n:03}")
            };
            let standing = StandingApproval {
                by: "nina.patel@contoso.com".into(),
                at: at(1, 9),
                request: format!("R-S{n:05}"),
                resource: Some(ResourceRef {
                    kind: ResourceKind::Group,
                    id: format!("g-{n}"),
                    name,
                }),
                access: Some(Access::Member),
                max_duration_seconds: Some(7 * 86_400),
            };
            (format!("group:g-{n}|member"), standing)
        })
        .collect()
}

/// Every message in the catalogue, by a file-safe name.
fn catalogue() -> Vec<(String, Message)> {
    let mut all: Vec<(String, Message)> = Vec::new();
    let mut add = |name: String, message: Message| all.push((name, message));

    add("help".into(), replies::help());
    add("greeting".into(), replies::greeting(Some("Tom")));
    add("sign-in".into(), replies::sign_in_prompt(&link(), true));
    add(
        "sign-in-now".into(),
        replies::sign_in_prompt(&link(), false),
    );
    let candidates: Vec<(String, usize)> = (0..5)
        .map(|n| (format!("{} {n}", long_name()), n))
        .collect();
    add(
        "clarification-5".into(),
        replies::which_one("q-1", &candidates),
    );
    add(
        "clarification-2".into(),
        replies::which_one("q-2", &candidates[..2]),
    );
    add("chosen".into(), replies::chosen(&long_name()));

    for count in [0, 1, 6, 30, 200] {
        let mine = grants(count);
        let pages = count.div_ceil(replies::LIST_PAGE).max(1);
        for page in [0, pages / 2, pages - 1] {
            add(
                format!("access-{count}-page-{}", page + 1),
                replies::my_access_page(&mine, page, None),
            );
            add(
                format!("standing-{count}-page-{}", page + 1),
                replies::standing_approvals_page(&standing(count), page, None),
            );
        }
        if let Some(first) = mine.first() {
            let said = approval::removing(first, &first.requester.upn);
            add(
                format!("access-{count}-after-remove"),
                replies::my_access_page(&mine[1..], pages - 1, Some(&said.text)),
            );
            add(
                format!("standing-{count}-after-withdraw"),
                replies::standing_approvals_page(
                    &standing(count)[1..],
                    pages - 1,
                    Some("Withdrawn: your standing approval for membership on VPN Site 000."),
                ),
            );
        }
    }
    add(
        "my-requests".into(),
        replies::my_requests(&grants(12), &grants(12)),
    );

    for (kind, record) in requests() {
        for index in 0..record.stages.len() {
            let mut waiting = record.clone();
            waiting.state = State::AwaitingApproval { stage: index };
            add(
                format!("approval-{kind}-stage-{}", index + 1),
                approval::card(&waiting, index),
            );
            add(
                format!("approval-{kind}-stage-{}-counted", index + 1),
                approval::counted_card(&waiting, index, "priya.nair@contoso.com"),
            );
            add(
                format!("approval-{kind}-stage-{}-reminder", index + 1),
                approval::approver_reminder(&waiting, index),
            );
            for (approved, word) in [(true, "approved"), (false, "denied")] {
                let reason = (!approved).then(|| "y".repeat(500));
                add(
                    format!("approval-{kind}-stage-{}-{word}", index + 1),
                    approval::decided_card(
                        &waiting,
                        index,
                        approved,
                        "nina.patel@contoso.com",
                        reason.as_deref(),
                    ),
                );
                add(
                    format!("requester-{kind}-stage-{}-{word}", index + 1),
                    approval::requester_update(
                        &waiting,
                        index,
                        approved,
                        "nina.patel@contoso.com",
                        reason.as_deref(),
                    ),
                );
            }
            add(
                format!("approval-{kind}-stage-{}-timed-out", index + 1),
                approval::timed_out(&waiting, index),
            );
        }
        add(
            format!("approval-{kind}-closed"),
            approval::closed_card(&record),
        );
        add(
            format!("sign-in-to-act-{kind}"),
            approval::sign_in_to_act(&record, &link()),
        );
        let mut active = record.clone();
        active.state = State::Active;
        active.ends_at = Some(at(2, 9));
        add(
            format!("ending-soon-{kind}"),
            approval::ending_soon(&active),
        );
        add(format!("done-{kind}"), approval::done(&active, &grants(2)));
        add(
            format!("removing-{kind}"),
            approval::removing_card(&active, &active.requester.upn),
        );
        add(
            format!("removing-by-owner-{kind}"),
            approval::removing_card(&active, "nina.patel@contoso.com"),
        );
        let left = Left {
            removed: true,
            held_before: false,
            covering: grants(1),
        };
        let mut ended = active.clone();
        ended.state = State::Ended {
            cause: EndCause::Expired,
            at: at(2, 9),
        };
        for (name, cause) in [
            ("expired", EndCause::Expired),
            (
                "revoked",
                EndCause::Revoked {
                    by: "nina.patel@contoso.com".into(),
                },
            ),
            ("vanished", EndCause::Vanished),
        ] {
            add(
                format!("ended-{name}-{kind}"),
                approval::ended(&ended, &cause, &left),
            );
        }
        add(
            format!("removed-again-{kind}"),
            approval::removed_again(&ended),
        );
        add(
            format!("failed-{kind}"),
            approval::failed(&record, "Graph refused the change", &["a step".into()]),
        );
        add(
            format!("undoing-{kind}"),
            approval::undoing(&record, "Graph refused the change"),
        );
        add(format!("undone-{kind}"), approval::undone(&record));
    }

    for case in ["forgot_password", "locked_out", "lost_mfa"] {
        let manager = recovery(case, "verify:manager");
        add(
            format!("recovery-{case}-manager"),
            approval::card(&manager, 0),
        );
        let mfa = recovery(case, "verify:mfa");
        add(
            format!("recovery-{case}-step-up"),
            approval::verify_with_sign_in(&mfa, &link()),
        );
        add(
            format!("recovery-{case}-another-way"),
            approval::verify_another_way(&mfa, "the sign-in was not fresh enough"),
        );
        add(
            format!("recovery-{case}-not-verified"),
            approval::not_verified(&mfa, "your manager said no"),
        );
    }
    let secret = SecretString::from("Correct-Horse-Battery-9");
    let recovered = recovery("forgot_password", "verify:mfa");
    add(
        "recovery-secret".into(),
        approval::secret_message(&recovered, "password", &secret, None, &[]),
    );
    all
}

/// Where the dump goes: the build's `target/cards/`.
fn dump_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("cards")
}

/// What keeps a Teams activity from being sent or rendered; empty when nothing does.
fn teams_problems(activity: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let size = activity.to_string().len();
    if size > TEAMS_MESSAGE_BYTES_MAX {
        problems.push(format!("{size} bytes, past Teams' 28 KB"));
    }
    let Some(card) = activity["attachments"][0].get("content") else {
        return problems;
    };
    problems.extend(
        SCHEMA
            .iter_errors(card)
            .map(|error| format!("schema: {error} at {}", error.instance_path())),
    );
    let mut sets = Vec::new();
    action_sets(card, &mut sets);
    for count in sets {
        if count > TEAMS_ACTIONS_MAX {
            problems.push(format!("{count} actions in one set; Teams renders 5"));
        }
    }
    problems
}

/// Every text a person sees in `value` (the `text` of every block, however deep).
fn shown_texts(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::String(text)) = fields.get("text") {
                texts.push(text.clone());
            }
            fields.values().for_each(|inner| shown_texts(inner, texts));
        }
        Value::Array(items) => items.iter().for_each(|inner| shown_texts(inner, texts)),
        _ => {}
    }
}

/// The sentences of a message said twice: both platforms show its text above its card's
/// sections, so a section must not say again what the text says, nor two sections the same.
/// A sentence counts from 25 characters (a date or a name may well repeat).
fn said_twice(message: &Message) -> Vec<String> {
    let Some(card) = &message.card else {
        return Vec::new();
    };
    // The text is not shown again when the title says it.
    let text = (message.text.trim() != card.title.trim()).then_some(message.text.as_str());
    let blocks = text
        .into_iter()
        .chain(std::iter::once(card.title.as_str()))
        .chain(card.sections.iter().map(|section| section.text.as_str()));
    let mut seen = std::collections::BTreeSet::new();
    let mut twice = Vec::new();
    for block in blocks {
        // A list may hold the same words on several of its lines: only blocks are compared.
        let sentences: std::collections::BTreeSet<&str> = block
            .split('\n')
            .flat_map(|line| line.split(". "))
            .flat_map(|line| line.split("? "))
            .map(|sentence| sentence.trim().trim_end_matches(['.', '?']))
            .filter(|sentence| sentence.chars().count() >= 25)
            .collect();
        for sentence in sentences {
            if !seen.insert(sentence) {
                twice.push(format!("says twice: {sentence:?}"));
            }
        }
    }
    twice
}

/// How many actions each action set of a card holds (the root's, and every `ActionSet`'s).
fn action_sets(value: &Value, counts: &mut Vec<usize>) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::Array(actions)) = fields.get("actions") {
                counts.push(actions.len());
            }
            fields.values().for_each(|inner| action_sets(inner, counts));
        }
        Value::Array(items) => items.iter().for_each(|inner| action_sets(inner, counts)),
        _ => {}
    }
}

/// What Slack would refuse in a message's content or a modal.
fn slack_problems(content: &Value, modals: &[(String, Value)]) -> Vec<String> {
    use crate::sim::slack::block_kit::{Surface, problems};
    let mut found = Vec::new();
    let text = content["text"].as_str().unwrap_or_default();
    if text.chars().count() > SLACK_TEXT_MAX {
        found.push(format!("text past {SLACK_TEXT_MAX} characters"));
    }
    if let Some(blocks) = content.get("blocks") {
        found.extend(problems(blocks, Surface::Message, "/blocks"));
        // With blocks, Slack shows `text` only in notifications: the blocks must say it too.
        let mut shown = Vec::new();
        shown_texts(blocks, &mut shown);
        let opening: String = text.chars().take(40).collect();
        if !shown.iter().any(|block| block.contains(&opening)) {
            found.push(format!("text {opening:?} is not shown in the blocks"));
        }
    }
    for (verb, view) in modals {
        found.extend(
            problems(&view["blocks"], Surface::Modal, "/view/blocks")
                .into_iter()
                .map(|problem| format!("{verb} modal: {problem}")),
        );
        for field in ["title", "submit", "close"] {
            let length = view[field]["text"]
                .as_str()
                .map_or(0, |t| t.chars().count());
            if length > MODAL_TEXT_MAX || (field == "title" && length == 0) {
                found.push(format!("{verb} modal: {field} of {length} characters"));
            }
        }
        let metadata = view["private_metadata"].as_str().unwrap_or_default();
        if metadata.chars().count() > MODAL_METADATA_MAX {
            found.push(format!("{verb} modal: private_metadata too long"));
        }
        let callback = view["callback_id"].as_str().unwrap_or_default();
        if callback.chars().count() > CALLBACK_ID_MAX {
            found.push(format!("{verb} modal: callback_id too long"));
        }
    }
    found
}

#[test]
fn every_card_is_dumped_and_within_what_teams_and_slack_take() {
    let dir = dump_dir();
    let (teams_dir, slack_dir) = (dir.join("teams"), dir.join("slack"));
    for folder in [&teams_dir, &slack_dir] {
        // A card the code no longer builds must not linger for the Node check.
        let _ = std::fs::remove_dir_all(folder);
        std::fs::create_dir_all(folder).expect("the dump folder");
    }
    let mut problems = Vec::new();
    let mut cards = 0;
    for (name, message) in catalogue() {
        let activity = super::teams::activity_for_test(&message);
        cards += usize::from(message.card.is_some());
        problems.extend(
            said_twice(&message)
                .into_iter()
                .map(|problem| format!("{name}: {problem}")),
        );
        problems.extend(
            teams_problems(&activity)
                .into_iter()
                .map(|problem| format!("teams/{name}: {problem}")),
        );
        let (content, modals) = super::slack::payloads_for_test(&message);
        problems.extend(
            slack_problems(&content, &modals)
                .into_iter()
                .map(|problem| format!("slack/{name}: {problem}")),
        );
        let write = |path: PathBuf, value: &Value| {
            let text = serde_json::to_string_pretty(value).expect("json");
            std::fs::write(&path, text).expect("the dump is written");
        };
        write(teams_dir.join(format!("{name}.json")), &activity);
        write(slack_dir.join(format!("{name}.json")), &content);
        for (verb, view) in &modals {
            write(slack_dir.join(format!("{name}.modal-{verb}.json")), view);
        }
    }
    assert!(cards > 100, "the catalogue holds every card: {cards}");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_catalogue_covers_the_issues_card_wording() {
    let said: String = catalogue()
        .iter()
        .map(|(name, message)| {
            format!(
                "{name}: {}\n",
                serde_json::to_string(message).unwrap_or_default()
            )
        })
        .collect();
    // Help says what Doorman does today.
    assert!(!said.contains("still learning"), "help is current");
    // An approver reads whose manager the policy line means.
    assert!(said.contains("Tom Becker's manager (maria.garcia@contoso.com)"));
    // The deny reason's limit is stated.
    assert!(said.contains("up to 500 characters"));
    // A Remove click is answered in words, with no live Remove button on the card it updates.
    let removing = catalogue()
        .into_iter()
        .find(|(name, _)| name == "removing-owner")
        .map(|(_, message)| message)
        .expect("the removing card");
    assert!(removing.text.contains("removing your"), "{}", removing.text);
    assert!(removing.card.is_some_and(|card| card.buttons.is_empty()));
}
