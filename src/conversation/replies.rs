//! What Doorman says in the conversation: every sentence the conversation answers with lives
//! here or in a submodule, so the voice stays one voice and the same situation reads the same
//! in Teams and Slack.

pub mod extending;
pub mod recovery;

use chrono::{DateTime, Utc};
use serde_json::json;
use url::Url;

use crate::domain::chat::{
    ButtonStyle, Card, CardButton, CardChoice, CardInput, CardSection, Message, Verb,
};
use crate::domain::resource::{Access, ResourceKind};
use crate::intent::{AccessRequest, Change};
use crate::policy::Decision;
use crate::provision::Delegates;
use crate::requests::{RequestRecord, StandingApproval, State};

pub fn greeting(name: Option<&str>) -> Message {
    let hello = name.map_or_else(|| "Hi".to_owned(), |name| format!("Hi {name}"));
    Message::text(format!(
        "{hello}, I'm Doorman. I get you access to Microsoft 365 (SharePoint sites, teams and channels, \
         groups, shared mailboxes) with the right approvals, and I take it away again when it ends. \
         Say \"help\" to see how to ask."
    ))
}

pub fn help() -> Message {
    let card = Card {
refresh: None,
        title: "What Doorman does".into(),
        sections: vec![
            CardSection {
                text: "Ask in plain words for Microsoft 365 access. I check the policy, ask the owners who must \
                       approve, carry it out with a real person's sign-in, and remove time-bound access when it ends."
                    .into(),
                facts: vec![
                    ("A site".into(), "\"I need edit access to the Finance site for the Q3 audit\"".into()),
                    ("A team or channel".into(), "\"add me to the Product Launch channel\"".into()),
                    ("A group".into(), "\"I need the VPN for 2 weeks\"".into()),
                    ("A shared mailbox or list".into(), "\"Send As on support@contoso.com for a month\"".into()),
                    ("Your mailbox".into(), "\"share my calendar with Tom\", \"forward my mail to Priya for 2 weeks\"".into()),
                    ("Your account".into(), "\"I forgot my password\", \"I'm locked out\", \"I lost my phone\"".into()),
                ],
            },
            CardSection {
                text: "Also: \"what access do I have?\" (pick one there to remove it), \"status\", \"remove me from X\", \
                       \"my standing approvals\", \"sign in\", \"who am I\" and \"sign out\". Anything that changes your \
                       account is done only after I've verified it's you, and passwords reach only our direct chat."
                    .into(),
                facts: Vec::new(),
            },
        ],
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card("Here's what I can do.", card)
}

/// The prompt that carries a single-use sign-in link.
pub fn sign_in_prompt(link: &Url, waiting: bool) -> Message {
    let follow_up = if waiting {
        " I'll answer your message as soon as you've signed in."
    } else {
        ""
    };
    let card = Card {
        refresh: None,
        title: "Sign in to Doorman".into(),
        sections: vec![CardSection {
            text: format!(
                "To act for you I need to know who you are in Microsoft 365. Sign in once with your work account; \
                 this link works for 10 minutes and only for you.{follow_up}"
            ),
            facts: Vec::new(),
        }],
        inputs: Vec::new(),
        buttons: vec![CardButton::OpenUrl {
            title: "Sign in".into(),
            url: link.to_string(),
        }],
    };
    Message::with_card("Please sign in to Doorman.", card)
}

/// A click from a chat account not linked yet: nothing was decided.
pub fn click_after_sign_in() -> Message {
    Message::text(
        "I don't know who you are in Microsoft 365 yet, so that click changed nothing. Sign in with the link below, then click again.",
    )
}

pub fn sign_in_sent_directly() -> Message {
    Message::text("I've sent you a direct message with a sign-in link.")
}

pub fn signed_in(who: &str, carrying_on: bool) -> Message {
    let next = if carrying_on {
        " Carrying on with your message."
    } else {
        ""
    };
    Message::text(format!("Thanks, you're signed in as {who}.{next}"))
}

pub fn already_signed_in(who: &str) -> Message {
    Message::text(format!(
        "You're already signed in as {who}. Say \"sign out\" to sign out."
    ))
}

pub fn you_are(name: &str, upn: &str, department: Option<&str>) -> Message {
    let department = department.map(|d| format!(", {d}")).unwrap_or_default();
    Message::text(format!(
        "You're {name} ({upn}{department}), signed in to Doorman."
    ))
}

pub fn sign_in_again() -> Message {
    Message::text(
        "Your sign-in has expired or was revoked, so I can't act for you until you sign in again.",
    )
}

pub fn signed_out() -> Message {
    Message::text(
        "You're signed out: I've forgotten your sign-in and your tokens. Say \"sign in\" whenever you want to come back.",
    )
}

/// Left where others read, when the answer goes to the person's direct chat.
pub fn answered_directly() -> Message {
    Message::text("I'll answer you in our direct chat.")
}

pub use crate::approval::trouble;

pub fn inactive_button() -> Message {
    Message::text(crate::approval::ClickRefused::Unknown.sentence())
}

// --- requests -----------------------------------------------------------------------------

/// "Read access to the Finance site (SharePoint), for 30 days — reason: Q3 numbers".
pub fn restatement(request: &AccessRequest, resource: &str, now: DateTime<Utc>) -> String {
    let what = match (request.change, request.resource.kind) {
        (Change::Grant, ResourceKind::Calendar) => format!(
            "Sharing your calendar ({}) with {resource}",
            request.access.label()
        ),
        (Change::Grant, ResourceKind::Forwarding) => {
            format!("Forwarding a copy of your mail to {resource}")
        }
        (Change::Grant, _) => format!("{} {resource}", access_phrase(request.access)),
        (Change::Revoke, _) => {
            format!("Removing your {} {resource}", revoke_phrase(request.access))
        }
    };
    let how_long = match request.terms.duration_seconds {
        Some(seconds) => format!(", {}", span(seconds, now)),
        None if request.change == Change::Grant => ", with no end date given".to_owned(),
        None => String::new(),
    };
    let why = match &request.terms.reason {
        Some(reason) => format!(" — reason: {reason}"),
        None if request.change == Change::Grant => " — no reason given".to_owned(),
        None => String::new(),
    };
    format!("{what}{how_long}{why}")
}

fn access_phrase(access: Access) -> &'static str {
    match access {
        Access::Member => "Membership of",
        Access::Owner => "Ownership of",
        Access::Read => "Read access to",
        Access::Edit | Access::Write => "Edit access to",
        Access::FullAccess => "Full access to",
        Access::SendAs => "Send As on",
        Access::SendOnBehalf => "Send on behalf on",
        Access::FreeBusy => "Free/busy access to",
    }
}

fn revoke_phrase(access: Access) -> &'static str {
    match access {
        Access::Member => "membership of",
        Access::Owner => "ownership of",
        Access::Read | Access::Edit | Access::Write | Access::FreeBusy => "access to",
        Access::FullAccess => "full access to",
        Access::SendAs => "Send As on",
        Access::SendOnBehalf => "send on behalf on",
    }
}

/// "for 2 weeks", "for 30 minutes", "until Fri 27 Nov, 23:59 UTC".
pub fn span(seconds: u64, now: DateTime<Utc>) -> String {
    let plural = |count: u64, unit: &str| {
        if count == 1 {
            format!("for 1 {unit}")
        } else {
            format!("for {count} {unit}s")
        }
    };
    const WEEK: u64 = 7 * 86_400;
    if seconds % WEEK == 0 {
        plural(seconds / WEEK, "week")
    } else if seconds % 86_400 == 0 {
        plural(seconds / 86_400, "day")
    } else if seconds % 3_600 == 0 {
        plural(seconds / 3_600, "hour")
    } else if seconds % 60 == 0 {
        plural(seconds / 60, "minute")
    } else {
        let end = i64::try_from(seconds)
            .ok()
            .and_then(|seconds| now.checked_add_signed(chrono::Duration::seconds(seconds)));
        match end {
            Some(end) => format!("until {}", end.format("%a %-d %b, %H:%M UTC")),
            None => plural(seconds, "second"),
        }
    }
}

/// The restatement and what happens next, while policy and provisioning are not built in.
/// What policy decided on an understood request, and what happens next.
pub fn decided(line: &str, decision: &Decision, change: Change) -> Message {
    let next = match decision {
        Decision::Deny(_) => "Nothing has been changed.",
        Decision::Allow(_) if change == Change::Revoke => {
            "Next I'll remove it with the right person's sign-in and check it's gone. Nothing has been changed yet."
        }
        Decision::Allow(grant) if grant.stages.is_empty() => {
            "Next I'll make the change and check it took effect. Nothing has been changed yet."
        }
        Decision::Allow(_) => "Next I'll ask for those approvals. Nothing has been changed yet.",
    };
    Message::text(format!("{line}.\n{}\n{next}", decision.sentence()))
}

/// An allowed request has started: its id, what policy decided, what happens next.
pub fn started(line: &str, sentence: &str, record: &RequestRecord) -> Message {
    let standing: Vec<&str> = record
        .stages
        .iter()
        .filter(|stage| stage.standing)
        .filter_map(|stage| stage.decided_by.as_deref())
        .collect();
    let next = match (&record.state, standing.is_empty()) {
        (State::AwaitingApproval { .. }, _) => {
            "I've sent the approval request; I'll tell you as soon as there is an answer."
                .to_owned()
        }
        (_, true) => "I'm making the change now and will tell you when it's done.".to_owned(),
        (_, false) => format!(
            "{} approved this kind of request always, so I'm making the change now and will tell you when it's done.",
            standing.join(" and ")
        ),
    };
    Message::text(format!(
        "{line}.\n{sentence}\nRequest {}: {next}",
        record.id
    ))
}

/// "Status of my requests": the latest ten, one line each.
/// "What's happening with my requests?": the person's own requests, newest first, and the
/// requests waiting for their decision (an approver asks "anything waiting for my approval?").
pub fn my_requests(mine: &[RequestRecord], to_decide: &[RequestRecord]) -> Message {
    let deciding: Vec<String> = to_decide
        .iter()
        .take(10)
        .map(|record| {
            format!(
                "{}: {} asks for {}",
                record.id,
                record.requester.upn,
                record.resource.grant_phrase(record.access)
            )
        })
        .collect();
    let deciding = match deciding.len() {
        0 => String::new(),
        shown => format!(
            "Waiting for your decision ({} in all; the approval cards are in our chat):\n{}{}",
            to_decide.len(),
            deciding.join("\n"),
            if to_decide.len() > shown { "\n…" } else { "" }
        ),
    };
    if mine.is_empty() {
        return Message::text(if deciding.is_empty() {
            "You have no requests with me yet, and none is waiting for your decision.".to_owned()
        } else {
            format!("You have no requests with me yet.\n\n{deciding}")
        });
    }
    let lines: Vec<String> = mine
        .iter()
        .take(10)
        .map(|record| {
            let state = match &record.state {
                State::AwaitingApproval { stage } => format!(
                    "waiting for {}",
                    record
                        .stages
                        .get(*stage)
                        .map(|stage| stage.approvers.join(" or "))
                        .unwrap_or_default()
                ),
                State::Provisioning {
                    waiting_for: Some(who),
                } => format!("approved, waiting for {who} to sign in"),
                State::Provisioning { waiting_for: None } => "being carried out".to_owned(),
                State::Active => match record.ends_at {
                    Some(end) => format!("active until {}", end.format("%Y-%m-%d %H:%M UTC")),
                    None => "active".to_owned(),
                },
                State::Denied { by, .. } => format!("denied by {by}"),
                State::Undoing { why, .. } => {
                    format!("failed: {why}; taking back what it made")
                }
                State::Failed { why } => format!("failed: {why}"),
                State::Revoking { .. } => "being removed".to_owned(),
                State::TimedOut { .. } => "timed out: nobody decided in time".to_owned(),
                State::Done { at } => format!("done {}", at.format("%Y-%m-%d %H:%M UTC")),
                State::Ended { cause, at } => {
                    format!("{} {}", cause.label(), at.format("%Y-%m-%d %H:%M UTC"))
                }
            };
            format!(
                "{}: {}: {state}",
                record.id,
                record.resource.grant_phrase(record.access)
            )
        })
        .collect();
    let yours = format!("Your requests:\n{}", lines.join("\n"));
    Message::text(if deciding.is_empty() {
        yours
    } else {
        format!("{yours}\n\n{deciding}")
    })
}

/// How many items a list card shows at once. Ten lines read at a glance, and a page stays far
/// inside every platform's limits: one choice input of ten options, at most three buttons
/// (Teams renders five), fourteen Slack blocks (Slack takes fifty).
pub const LIST_PAGE: usize = 10;

/// Which list a list card shows; its name travels in the card's button data (`"list"`), so a
/// click says which list to show again, never whose: that is the clicker's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// "What access do I have?": the active grants Doorman made the person.
    Access,
    /// "My standing approvals": an owner's "Approve always" answers.
    Standing,
}

impl ListKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ListKind::Access => "access",
            ListKind::Standing => "standing",
        }
    }

    pub fn parse(text: &str) -> Option<ListKind> {
        [ListKind::Access, ListKind::Standing]
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    /// The id of the card's choice input: what its value names (a request id either way).
    pub fn input(self) -> &'static str {
        match self {
            ListKind::Access => crate::requests::GRANT_INPUT,
            ListKind::Standing => crate::requests::STANDING_INPUT,
        }
    }
}

/// One item of a list card: its line, and the choice that picks it.
struct ListItem {
    line: String,
    choice: CardChoice,
}

/// What a list card says around its items.
struct ListWords {
    kind: ListKind,
    title: &'static str,
    /// "grant" / "standing approval", for the counts.
    noun: &'static str,
    how: &'static str,
    label: &'static str,
    button: &'static str,
}

/// A page of a list card: the page's items as lines, one choice input holding them, one button
/// acting on the pick, and Previous / Next when there are other pages. `page` past the end
/// shows the last page; `notice` (what a click just did) comes first.
fn list_page(words: &ListWords, items: &[ListItem], page: usize, notice: Option<&str>) -> Message {
    let pages = items.len().div_ceil(LIST_PAGE).max(1);
    let page = page.min(pages - 1);
    let first = page * LIST_PAGE;
    let shown = &items[first.min(items.len())..(first + LIST_PAGE).min(items.len())];
    let mut sections: Vec<CardSection> = notice
        .map(|notice| CardSection {
            text: notice.to_owned(),
            facts: Vec::new(),
        })
        .into_iter()
        .collect();
    sections.extend(shown.iter().map(|item| CardSection {
        text: item.line.clone(),
        facts: Vec::new(),
    }));
    let count = match items.len() {
        1 => format!("1 {}", words.noun),
        many => format!("{many} {}s", words.noun),
    };
    if pages > 1 {
        sections.push(CardSection {
            text: format!(
                "Page {} of {pages}: {}–{} of {count}.",
                page + 1,
                first + 1,
                first + shown.len()
            ),
            facts: Vec::new(),
        });
    }
    let data = |page: usize| json!({ "list": words.kind.as_str(), "page": page });
    let mut buttons = vec![CardButton::Execute {
        title: words.button.to_owned(),
        verb: Verb::Revoke,
        data: data(page),
        style: ButtonStyle::Destructive,
    }];
    if page > 0 {
        buttons.push(CardButton::Execute {
            title: "Previous".to_owned(),
            verb: Verb::Page,
            data: data(page - 1),
            style: ButtonStyle::Default,
        });
    }
    if page + 1 < pages {
        buttons.push(CardButton::Execute {
            title: "Next".to_owned(),
            verb: Verb::Page,
            data: data(page + 1),
            style: ButtonStyle::Default,
        });
    }
    let card = Card {
        title: words.title.to_owned(),
        sections,
        inputs: vec![CardInput {
            id: words.kind.input().to_owned(),
            label: words.label.to_owned(),
            placeholder: "Pick one".to_owned(),
            for_verb: Some(Verb::Revoke),
            max_length: None,
            choices: shown.iter().map(|item| item.choice.clone()).collect(),
        }],
        buttons,
        refresh: None,
    };
    Message::with_card(format!("You have {count}. {}", words.how), card)
}

/// "You have no access granted through me right now."
const NO_ACCESS: &str = "You have no access granted through me right now.";
/// "You have no standing approvals", and how one is given.
const NO_STANDING: &str = "You have no standing approvals. \"Approve always\" on an approval card gives one, where policy allows it.";

/// "What access do I have?": the first page of [`my_access_page`], or the words that there is
/// nothing to list.
pub fn my_access(mine: &[RequestRecord]) -> Message {
    if !mine.iter().any(|record| record.state == State::Active) {
        return Message::text(NO_ACCESS);
    }
    my_access_page(mine, 0, None)
}

/// A page of the grants Doorman made and still holds as active, newest first: pick one and
/// Remove ends it (the choice's value names the request only; whether the clicker may end it
/// is checked on the click). Always a card, as it replaces a clicked one: an emptied list
/// says so on a card without buttons.
pub fn my_access_page(mine: &[RequestRecord], page: usize, notice: Option<&str>) -> Message {
    let items: Vec<ListItem> = mine
        .iter()
        .filter(|record| record.state == State::Active)
        .map(|record| {
            let until = record
                .ends_at
                .map(|end| format!(" until {}", end.format("%Y-%m-%d %H:%M UTC")))
                .unwrap_or_default();
            let what = record.resource.grant_phrase(record.access);
            ListItem {
                line: format!("{what}{until} ({})", record.id),
                choice: CardChoice {
                    title: format!("{}: {what}", record.id),
                    value: record.id.clone(),
                },
            }
        })
        .collect();
    if items.is_empty() {
        return list_done("Access granted through me", notice, NO_ACCESS);
    }
    let words = ListWords {
        kind: ListKind::Access,
        title: "Access granted through me",
        noun: "grant",
        how: "Pick one and press Remove to end it now; I'll tell you when it's gone.",
        label: "Access to remove",
        button: "Remove",
    };
    list_page(&words, &items, page, notice)
}

/// "My standing approvals": the first page of [`standing_approvals_page`], or the words that
/// there is nothing to list.
pub fn standing_approvals(mine: &[(String, StandingApproval)]) -> Message {
    if mine.is_empty() {
        return Message::text(NO_STANDING);
    }
    standing_approvals_page(mine, 0, None)
}

/// A page of an owner's standing approvals: pick one and Withdraw ends it. The choice's value is
/// the request it was given on; whose approval it is comes from who clicks. Always a card, as
/// it replaces a clicked one.
pub fn standing_approvals_page(
    mine: &[(String, StandingApproval)],
    page: usize,
    notice: Option<&str>,
) -> Message {
    if mine.is_empty() {
        return list_done("Your standing approvals", notice, NO_STANDING);
    }
    let items: Vec<ListItem> = mine
        .iter()
        .map(|(_, standing)| {
            let what = match (&standing.resource, standing.access) {
                (Some(resource), Some(access)) => {
                    format!("{} on {}", access.label(), resource.name)
                }
                _ => format!("as on {}", standing.request),
            };
            ListItem {
                line: standing.describe(),
                choice: CardChoice {
                    title: format!("{}: {what}", standing.request),
                    value: standing.request.clone(),
                },
            }
        })
        .collect();
    let words = ListWords {
        kind: ListKind::Standing,
        title: "Your standing approvals",
        noun: "standing approval",
        how: "Requests these cover skip your approval. Pick one and press Withdraw, and you are asked again.",
        label: "Standing approval to withdraw",
        button: "Withdraw",
    };
    list_page(&words, &items, page, notice)
}

/// A list card once it is empty: what the click did, if anything, and that there is nothing
/// left, with no button that could act on what is over.
fn list_done(title: &str, notice: Option<&str>, none: &str) -> Message {
    // The words are the message's text, which both platforms show under the title.
    let card = Card {
        title: title.to_owned(),
        ..Card::default()
    };
    let said = match notice {
        Some(notice) => format!("{notice}\n{none}"),
        None => none.to_owned(),
    };
    Message::with_card(said, card)
}

/// "Who has access to X?" from someone who does not own X.
pub fn only_owners_see_holders(resource: &str) -> Message {
    Message::text(format!(
        "Only the owners of {resource} can see who has access to it. Ask them, or ask me for access yourself."
    ))
}

/// "Who has access to X?" for something other than a shared mailbox.
pub fn holders_not_shown(resource: &str) -> Message {
    Message::text(format!(
        "I can show who holds a shared mailbox's permissions; for {resource}, its members are listed in Microsoft 365 itself."
    ))
}

/// Exchange could not be read just now.
pub fn holders_unreadable(resource: &str) -> Message {
    Message::text(format!(
        "I couldn't read who has access to {resource} from Exchange just now. Please try again in a few minutes."
    ))
}

/// A shared mailbox's delegates, as Exchange holds them now.
pub fn holders(resource: &str, delegates: &Delegates) -> Message {
    let level = |name: &str, holders: &[String]| {
        if holders.is_empty() {
            format!("{name}: nobody")
        } else {
            format!("{name}: {}", holders.join(", "))
        }
    };
    Message::text(format!(
        "Who has access to {resource}, as Exchange says now:\n{}\n{}\n{}",
        level("Full Access", &delegates.full_access),
        level("Send As", &delegates.send_as),
        level("Send on Behalf", &delegates.send_on_behalf),
    ))
}

/// "Remove me from X" when Doorman granted nothing there.
pub fn nothing_to_remove(line: &str) -> Message {
    Message::text(format!(
        "{line}.\nYou have no active access there that I granted, so there is nothing for me to remove. \
         Access given another way is removed by the resource's owners."
    ))
}

/// Policy allows it, but Graph cannot make this change (a group Exchange or a rule manages).
pub fn cannot_carry_out(line: &str, sentence: &str, why: &str) -> Message {
    Message::text(format!(
        "{line}.\n{sentence}\nBut I can't carry it out: {why}. Nothing has been changed; the group's owner or the service desk can help."
    ))
}

/// Policy names an approver group that is not one group.
pub fn ambiguous_approvers(line: &str, group: &str) -> Message {
    Message::text(format!(
        "{line}.\nPolicy asks the {group} group to approve this, but more than one group has that name, so I can't tell who may approve. Nothing has been changed; please tell the identity team."
    ))
}

/// Policy wants an approval step that only the requester could approve.
pub fn no_approvers(line: &str, stage: &str) -> Message {
    Message::text(format!(
        "{line}.\nPolicy needs a {stage} approval, but nobody other than you can give it, so I can't send this request. Nothing has been changed."
    ))
}

/// A stage needs more approvals than it has people to give them.
pub fn short_of_quorum(line: &str, stage: &str, quorum: u32, people: usize) -> Message {
    let who = if people == 1 { "person" } else { "people" };
    Message::text(format!(
        "{line}.\nPolicy needs {quorum} approvals at the {stage} step, but only {people} {who} other than you can give one, so I can't send this request. Nothing has been changed."
    ))
}

/// The directory could not be read to decide: nothing is lost, the person asks again.
pub fn policy_unavailable(line: &str) -> Message {
    Message::text(format!(
        "{line}.\nI can't check this against the access policy right now (the directory isn't answering). \
         Nothing has been changed; please ask again in a few minutes."
    ))
}

pub fn reason_needed(line: &str) -> Message {
    Message::text(format!(
        "{line}.\nThe access policy needs a reason for every request: why do you need it? Reply with a short reason."
    ))
}

pub fn only_for_yourself(other: &str, change: Change) -> Message {
    Message::text(match change {
        Change::Grant => format!(
            "I can only ask for access for you yourself, not for {other}: they need to ask me themselves."
        ),
        Change::Revoke => format!(
            "I can only remove access you hold yourself, not {other}'s: they can ask me, or the resource's owners can remove it. Nothing was changed."
        ),
    })
}

/// "Which one do you mean?" with one button per candidate.
pub fn which_one(question: &str, candidates: &[(String, usize)]) -> Message {
    let card = Card {
        refresh: None,
        title: "Which one do you mean?".into(),
        sections: vec![CardSection {
            text: "More than one thing matches what you asked for. Pick the one you mean:".into(),
            facts: Vec::new(),
        }],
        inputs: Vec::new(),
        buttons: candidates
            .iter()
            .map(|(label, choice)| CardButton::Execute {
                title: label.clone(),
                verb: Verb::Choose,
                data: json!({ "question": question, "choice": choice }),
                style: ButtonStyle::Default,
            })
            .collect(),
    };
    Message::with_card("Which one do you mean?", card)
}

/// The question card once answered: no live buttons.
pub fn chosen(label: &str) -> Message {
    let card = Card {
        refresh: None,
        title: format!("You chose {label}."),
        sections: Vec::new(),
        inputs: Vec::new(),
        buttons: Vec::new(),
    };
    Message::with_card(format!("You chose {label}."), card)
}

pub fn not_your_question() -> Message {
    Message::text("That question was for the person who asked; ask me yourself if you need access.")
}

pub fn already_answered() -> Message {
    Message::text("That question has already been answered.")
}

pub fn question_expired() -> Message {
    Message::text("That question has expired. Please ask again.")
}

/// "I couldn't find ..." with the nearest names.
pub fn not_found(query: &str, suggestions: &[String]) -> Message {
    let query = query.trim();
    if query.is_empty() {
        return not_understood();
    }
    let mut text = format!("I couldn't find \"{query}\".");
    if !suggestions.is_empty() {
        text.push_str(&format!(" Did you mean {}?", suggestions.join(", or ")));
    }
    text.push_str(" Say \"help\" for examples of what you can ask.");
    Message::text(text)
}

pub fn not_understood() -> Message {
    Message::text(
        "I'm not sure what you're asking for. I can get you access to SharePoint sites, teams and channels, \
         groups, shared mailboxes and distribution lists; say \"help\" for examples.",
    )
}

/// A self-service action understood, with what policy says of it when policy governs it.
pub fn self_service(what: &str, decision: Option<&Decision>) -> Message {
    let not_yet = "I can't do that myself yet; I've noted your request. Please contact the service desk in the meantime.";
    Message::text(match decision {
        Some(decision @ Decision::Deny(_)) => {
            format!(
                "Understood: {what}. {} Nothing has been changed.",
                decision.sentence()
            )
        }
        Some(decision) => format!("Understood: {what}. {} But {not_yet}", decision.sentence()),
        None => format!("Understood: {what}. {not_yet}"),
    })
}

/// A calendar share or forwarding that names nobody: who should it be for?
pub fn name_the_person(what: &str, example: &str) -> Message {
    Message::text(format!(
        "Whom should I {what}? Name the person by their email address, for example: \"{example}\". Nothing has been changed."
    ))
}

/// A new primary address asked for without the address.
pub fn name_the_address() -> Message {
    Message::text(
        "Which address should become your primary one? Write it in full, for example: \"change my email to j.doe@contoso.com, keep the old one\". Nothing has been changed.",
    )
}

pub fn catalog_loading() -> Message {
    Message::text(
        "I'm still loading the list of sites, teams and groups. Please try again in a minute.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::request::example;

    fn active(count: usize) -> Vec<RequestRecord> {
        (0..count)
            .map(|n| {
                let mut record = example::request(Vec::new());
                record.id = format!("R-{n:06}");
                record.state = State::Active;
                record
            })
            .collect()
    }

    fn picks(message: &Message) -> Vec<String> {
        let card = message.card.as_ref().expect("a list card");
        card.inputs[0]
            .choices
            .iter()
            .map(|choice| choice.value.clone())
            .collect()
    }

    fn verbs(message: &Message) -> Vec<(String, Verb)> {
        let card = message.card.as_ref().expect("a list card");
        card.buttons
            .iter()
            .filter_map(|button| match button {
                CardButton::Execute { title, verb, .. } => Some((title.clone(), *verb)),
                CardButton::OpenUrl { .. } => None,
            })
            .collect()
    }

    #[test]
    fn every_grant_is_on_exactly_one_page_and_a_page_past_the_end_shows_the_last() {
        let mine = active(205);
        let mut seen: Vec<String> = (0..21)
            .flat_map(|page| picks(&my_access_page(&mine, page, None)))
            .collect();
        assert_eq!(seen.len(), 205);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 205);
        let past = my_access_page(&mine, 99, None);
        assert_eq!(
            picks(&past),
            ["R-000200", "R-000201", "R-000202", "R-000203", "R-000204"]
        );
        assert!(past.text.contains("You have 205 grants."), "{}", past.text);
    }

    #[test]
    fn a_page_has_one_pick_one_remove_and_only_the_page_turns_that_lead_somewhere() {
        let mine = active(30);
        let first = verbs(&my_access_page(&mine, 0, None));
        assert_eq!(
            first,
            [("Remove".into(), Verb::Revoke), ("Next".into(), Verb::Page)]
        );
        let middle = verbs(&my_access_page(&mine, 1, None));
        assert_eq!(middle.len(), 3, "{middle:?}");
        let last = verbs(&my_access_page(&mine, 2, None));
        assert_eq!(
            last,
            [
                ("Remove".into(), Verb::Revoke),
                ("Previous".into(), Verb::Page)
            ]
        );
        let one = verbs(&my_access_page(&active(1), 0, None));
        assert_eq!(one, [("Remove".into(), Verb::Revoke)]);
    }

    #[test]
    fn an_emptied_list_says_what_the_click_did_and_that_nothing_is_left() {
        let message = my_access_page(&[], 3, Some("R-1: removing your membership now."));
        let card = message.card.expect("a card in place of the list");
        assert!(card.buttons.is_empty() && card.inputs.is_empty());
        assert!(message.text.contains("R-1: removing your membership now."));
        assert!(message.text.contains("no access granted through me"));
        assert_eq!(
            my_access(&[]),
            Message::text("You have no access granted through me right now.")
        );
    }
}
