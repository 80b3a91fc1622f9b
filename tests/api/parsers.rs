//! Properties of the parsers that read what others wrote: the policy file and the intent of a
//! chat message. Whatever the text, up to 100 KB of it, each returns (a policy or its problems,
//! an intent) and never panics. The Slack and Teams inbound parsers have theirs beside their
//! routes (`src/channels/*/tests/props.rs`).
//!
//! No timing is asserted: that a case finishes is the property, and the sizes keep the whole
//! run to seconds.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;

use doorman::catalog::{Catalog, Person, Principal, Resource};
use doorman::domain::resource::ResourceKind;
use doorman::intent::{Asker, understand};
use doorman::policy::Policy;

const EXAMPLE_POLICY: &str = include_str!("../../deploy/policy.example.toml");

/// Words people and policy files use, with the characters parsers trip on.
const WORDS: &[&str] = &[
    "please",
    "add",
    "me",
    "to",
    "give",
    "access",
    "read",
    "edit",
    "owner",
    "member",
    "for",
    "days",
    "3",
    "until",
    "Friday",
    "tomorrow",
    "finance",
    "Finance",
    "site",
    "team",
    "channel",
    "mailbox",
    "calendar",
    "send as",
    "full access",
    "VPN Users",
    "remove",
    "my",
    "password",
    "locked",
    "out",
    "tom.becker@contoso.com",
    "@",
    "<at>Doorman</at>",
    "\"",
    "'",
    "\\",
    "\n",
    "\t",
    "[[target]]",
    "[global]",
    "name = ",
    "match = {",
    "}",
    "max_duration = \"30d\"",
    "approval = [",
    "]",
    "=",
    "#",
    "é",
    "日本",
    "😀",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "1e308",
    "-",
    "..",
    "*",
    "?",
    ",",
    ";",
    "because",
    "hours",
    "2h",
    "weeks",
    "0",
    "999999999999",
];

/// Text of `size` characters or so made of [`WORDS`], so the parsers' real paths run.
fn wordy(size: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    size.prop_flat_map(|length| {
        proptest::collection::vec(select(WORDS), length / 4 + 1).prop_map(move |words| {
            let mut text = words.join(" ");
            text.truncate(
                (0..=length.min(text.len()))
                    .rev()
                    .find(|&at| text.is_char_boundary(at))
                    .unwrap_or(0),
            );
            text
        })
    })
}

/// The example policy with a span of it replaced by `insert`: mostly valid TOML, wrong in one
/// place, as a hand-edited file is.
fn edited_policy() -> impl Strategy<Value = String> {
    (0..EXAMPLE_POLICY.len(), 0..200_usize, wordy(0..400)).prop_map(|(at, cut, insert)| {
        let boundary = |mut index: usize| {
            while !EXAMPLE_POLICY.is_char_boundary(index) {
                index -= 1;
            }
            index
        };
        let start = boundary(at);
        let end = boundary((at + cut).min(EXAMPLE_POLICY.len()));
        format!(
            "{}{insert}{}",
            &EXAMPLE_POLICY[..start],
            &EXAMPLE_POLICY[end..]
        )
    })
}

fn catalog() -> Catalog {
    let named = |kind, id: &str, name: &str| {
        let mut resource = Resource::new(kind, id, name);
        resource.owners = vec![Principal {
            id: "olivia".into(),
            upn: Some("olivia@contoso.com".into()),
        }];
        resource
    };
    Catalog::build(
        vec![
            named(ResourceKind::Group, "g-1", "VPN Users"),
            named(ResourceKind::Site, "s-1", "Finance"),
            named(ResourceKind::Team, "t-1", "Finance"),
            named(ResourceKind::Mailbox, "m-1", "Support"),
        ],
        vec![Person {
            id: "tom".into(),
            upn: "tom.becker@contoso.com".into(),
            display_name: "Tom Becker".into(),
            mail: Some("tom.becker@contoso.com".into()),
        }],
    )
}

fn understood(text: &str, catalog: &Catalog) {
    let asker = Asker {
        upn: "tom.becker@contoso.com",
        now: Utc
            .with_ymd_and_hms(2026, 3, 4, 10, 0, 0)
            .single()
            .unwrap_or_default(),
    };
    // The property is that this returns.
    let _ = understand(text, asker, catalog);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_policy_text_is_a_policy_or_its_problems(text in any::<String>()) {
        let _ = Policy::parse(&text, "policy.toml");
    }

    #[test]
    fn a_hand_edited_policy_file_is_a_policy_or_its_problems(text in edited_policy()) {
        if let Err(error) = Policy::parse(&text, "policy.toml") {
            prop_assert!(!error.problems.is_empty());
        }
    }

    #[test]
    fn any_message_is_understood_as_some_intent(text in any::<String>()) {
        understood(&text, &catalog());
    }

    #[test]
    fn a_message_of_request_words_is_understood_as_some_intent(text in wordy(0..2_000)) {
        understood(&text, &catalog());
    }
}

proptest! {
    // 100 KB each: few cases, so the run stays in seconds.
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn a_hundred_kilobytes_of_policy_text_is_read_to_the_end(text in wordy(100_000..100_001)) {
        let _ = Policy::parse(&text, "policy.toml");
    }

    #[test]
    fn a_hundred_kilobytes_of_message_is_understood(text in wordy(100_000..100_001)) {
        understood(&text, &catalog());
    }
}
