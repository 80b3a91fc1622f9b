//! The list cards ("what access do I have?", "my standing approvals") at any length, in Teams
//! and in Slack: every page sent stays within the platform's limits (Teams renders at most five
//! actions per set and takes about 28 KB; Slack takes 50 blocks, 100 options per select), Next
//! and Previous turn the page in place, and an item on a later page is removed by picking it
//! and pressing Remove, as the clicker and no one else.

use std::sync::LazyLock;

use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::app::{EXAMPLE_POLICY, TestApp, eventually, until_said};
use crate::requests::objects;

const JORDAN: &str = "jordan.lee@contoso.com";
const JORDAN_ON_SLACK: &str = "U07JORDAN";
const PRIYA: &str = "priya.nair@contoso.com";

/// The Adaptive Cards 1.5 schema, a copy of Microsoft's kept in `tests/cards/`.
static SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let text = include_str!("../cards/adaptive-card-1.5.schema.json");
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    jsonschema::options()
        .offline()
        .build(&schema)
        .expect("the schema compiles")
});

/// What Teams renders and takes: a valid 1.5 card, at most five actions in any action set (the
/// host config's `maxActions`), within the 28 KB of a bot message.
pub(crate) fn assert_teams_card_fits(card: &Value, what: &str) {
    let errors: Vec<String> = SCHEMA
        .iter_errors(card)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}\n{card:#}");
    let mut sets = Vec::new();
    objects(card, &|object| object["actions"].is_array(), &mut sets);
    for set in sets {
        let count = set["actions"].as_array().map_or(0, Vec::len);
        assert!(count <= 5, "{what}: {count} actions in one set\n{card:#}");
    }
    let size = card.to_string().len();
    assert!(size <= 28 * 1024, "{what}: {size} bytes");
}

/// What Slack takes in a message, as the simulator judges it by Slack's documented limits.
pub(crate) fn assert_slack_blocks_fit(blocks: &Value, what: &str) {
    use doorman::sim::slack::block_kit::{Surface, problems};
    let found = problems(blocks, Surface::Message, "/blocks");
    assert!(found.is_empty(), "{what}: {found:#?}\n{blocks:#}");
}

/// A test deployment whose policy lets one person ask many times an hour.
async fn roomy() -> TestApp {
    let policy = std::fs::read_to_string(EXAMPLE_POLICY).expect("the example policy");
    let policy = policy.replace("max_requests_per_hour = 20", "max_requests_per_hour = 1000");
    TestApp::spawn_with_policy(&policy).await
}

/// Makes `more` grants of Marketing membership for Jordan, all carried out.
async fn grant_more(app: &TestApp, more: usize) {
    let done = "done. You now have membership";
    let before = said_count(app, done).await;
    for _ in 0..more {
        app.teams(JORDAN, "join the Marketing team").await;
    }
    let all =
        eventually(|| async { (said_count(app, done).await >= before + more).then_some(()) }).await;
    assert!(all.is_some(), "{more} more grants were made");
}

async fn said_count(app: &TestApp, needle: &str) -> usize {
    Value::Array(app.teams_seen(JORDAN).await)
        .to_string()
        .matches(needle)
        .count()
}

/// One page of a list as a person sees it, on either platform.
#[derive(Debug, Clone)]
struct Page {
    /// The message id (Teams) or ts (Slack).
    id: String,
    /// The message as the simulator shows it.
    message: Value,
}

impl Page {
    fn text(&self) -> String {
        self.message.to_string()
    }

    /// The values of the list's choices on this page.
    fn choices(&self) -> Vec<String> {
        let mut found = Vec::new();
        objects(
            &self.message,
            &|object| object["type"] == "Input.ChoiceSet" || object["type"] == "static_select",
            &mut found,
        );
        let Some(input) = found.first() else {
            return Vec::new();
        };
        let items = input["choices"]
            .as_array()
            .or_else(|| input["options"].as_array())
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .filter_map(|item| item["value"].as_str().map(str::to_owned))
            .collect()
    }
}

/// The platform a test runs on, with how it asks, reads and clicks there.
#[derive(Debug, Clone, Copy)]
enum On {
    Teams,
    Slack,
}

impl On {
    async fn seen(self, app: &TestApp) -> Vec<Value> {
        match self {
            On::Teams => app.teams_seen(JORDAN).await,
            On::Slack => app.slack_seen(JORDAN_ON_SLACK).await,
        }
    }

    async fn say(self, app: &TestApp, text: &str) {
        match self {
            On::Teams => drop(app.teams(JORDAN, text).await),
            On::Slack => drop(app.slack(JORDAN_ON_SLACK, text).await),
        }
    }

    fn id_of(self, message: &Value) -> String {
        let key = match self {
            On::Teams => "id",
            On::Slack => "ts",
        };
        message[key].as_str().unwrap_or_default().to_owned()
    }

    /// Asks for the list and returns the answer, checked against the platform's limits.
    async fn ask(self, app: &TestApp, question: &str) -> Page {
        let before = self.seen(app).await.len();
        self.say(app, question).await;
        let seen = app.more_than(before, || self.seen(app)).await;
        let message = seen[before].clone();
        let page = Page {
            id: self.id_of(&message),
            message,
        };
        self.check(&page);
        page
    }

    /// The message `id` once it says `needle` (an update in place), checked.
    async fn updated(self, app: &TestApp, id: &str, needle: &str) -> Page {
        let found = eventually(|| async {
            self.seen(app)
                .await
                .into_iter()
                .find(|message| self.id_of(message) == id && message.to_string().contains(needle))
        })
        .await;
        let message = found.unwrap_or_else(|| panic!("message {id} never said {needle:?}"));
        let page = Page {
            id: id.to_owned(),
            message,
        };
        self.check(&page);
        page
    }

    fn check(self, page: &Page) {
        match self {
            On::Teams => {
                if let Some(card) = page.message["attachments"][0].get("content") {
                    assert_teams_card_fits(card, &page.text());
                }
            }
            On::Slack => assert_slack_blocks_fit(&page.message["blocks"], &page.text()),
        }
    }

    /// The button `title` with `verb` on the page: (the Teams action, the Slack value).
    fn button(self, page: &Page, verb: &str, title: &str) -> Option<Value> {
        let mut found = Vec::new();
        objects(
            &page.message,
            &|object| match self {
                On::Teams => {
                    object["type"] == "Action.Execute"
                        && object["verb"] == verb
                        && object["title"] == title
                }
                On::Slack => {
                    object["type"] == "button"
                        && object["action_id"] == verb
                        && object["text"]["text"] == title
                }
            },
            &mut found,
        );
        found.first().map(|button| (*button).clone())
    }

    /// `who` clicks `button` of `page`, with `picked` chosen in the list when given.
    async fn click(
        self,
        app: &TestApp,
        who: &str,
        page: &Page,
        verb: &str,
        button: &Value,
        picked: Option<(&str, &str)>,
    ) {
        match self {
            On::Teams => {
                let mut inputs = Map::new();
                if let Some((input, value)) = picked {
                    inputs.insert(input.to_owned(), json!(value));
                }
                let invoke =
                    json!({"from": who, "replyToId": page.id, "action": button, "inputs": inputs});
                let answer = app
                    .sim
                    .control(Method::POST, "teams/invoke", Some(invoke))
                    .await;
                assert_eq!(answer.status, 200, "{}", answer.text);
            }
            On::Slack => {
                let mut click = json!({
                    "user": who, "message_ts": page.id, "action_id": verb,
                    "value": button["value"],
                });
                if let Some((input, value)) = picked {
                    // Slack sends the picked option whole, as the select offered it.
                    let mut options = Vec::new();
                    objects(
                        &page.message,
                        &|object| object["value"] == value && object["text"].is_object(),
                        &mut options,
                    );
                    let option = options.first().map(|option| (*option).clone());
                    let option = option.expect("the picked option is on the page");
                    click["inputs"] = json!({input: {"selected_option": option}});
                }
                let answer = app
                    .sim
                    .control(Method::POST, "slack/action", Some(click))
                    .await;
                assert_eq!(answer.status, 200, "{}", answer.text);
                assert_eq!(answer.body["status"], 200, "{}", answer.text);
            }
        }
    }
}

/// Jordan's grants listed with `count` of them: every page within limits, Next through to the
/// last page and Previous back, then the last page's first item removed by picking it.
async fn list_and_remove_from_the_last_page(app: &TestApp, on: On, count: usize) {
    let first = on.ask(app, "what access do I have?").await;
    if count == 0 {
        assert!(
            first
                .text()
                .contains("You have no access granted through me right now."),
            "{}",
            first.text()
        );
        return;
    }
    let noun = if count == 1 { "grant" } else { "grants" };
    assert!(
        first.text().contains(&format!("You have {count} {noun}.")),
        "{on:?}: {}",
        first.text()
    );
    let pages = count.div_ceil(10);
    let mut page = first;
    let mut seen_ids: Vec<String> = page.choices();
    for number in 2..=pages {
        let next = on.button(&page, "page", "Next").expect("a Next button");
        on.click(app, JORDAN_FOR[on as usize], &page, "page", &next, None)
            .await;
        page = on
            .updated(app, &page.id, &format!("Page {number} of {pages}"))
            .await;
        seen_ids.extend(page.choices());
    }
    assert!(on.button(&page, "page", "Next").is_none(), "the last page");
    seen_ids.sort();
    seen_ids.dedup();
    assert_eq!(
        seen_ids.len(),
        count,
        "every grant can be picked on some page"
    );
    if pages > 1 {
        let previous = on.button(&page, "page", "Previous").expect("Previous");
        on.click(app, JORDAN_FOR[on as usize], &page, "page", &previous, None)
            .await;
        page = on
            .updated(app, &page.id, &format!("Page {} of {pages}", pages - 1))
            .await;
        let next = on.button(&page, "page", "Next").expect("a Next button");
        on.click(app, JORDAN_FOR[on as usize], &page, "page", &next, None)
            .await;
        page = on
            .updated(app, &page.id, &format!("Page {pages} of {pages}"))
            .await;
    }
    let target = page.choices().first().cloned().expect("an item to pick");
    let remove = on
        .button(&page, "revoke", "Remove")
        .expect("a Remove button");
    if matches!(on, On::Teams) && count > 1 {
        // Someone else pressing Remove with Jordan's grant picked is refused and ends nothing.
        on.click(
            app,
            PRIYA,
            &page,
            "revoke",
            &remove,
            Some(("grant", &target)),
        )
        .await;
        until_said(|| app.teams_seen(PRIYA), "Only the person who asked for").await;
        let again = on.ask(app, "what access do I have?").await;
        assert!(
            again.text().contains(&format!("You have {count} grants.")),
            "{}",
            again.text()
        );
    }
    on.click(
        app,
        JORDAN_FOR[on as usize],
        &page,
        "revoke",
        &remove,
        Some(("grant", &target)),
    )
    .await;
    let after = on
        .updated(app, &page.id, &format!("{target}: removing your"))
        .await;
    assert!(
        !after.choices().contains(&target),
        "the removed grant leaves the list: {}",
        after.text()
    );
    // The requester is told where they asked: in Teams, where every grant was asked for.
    until_said(|| app.teams_seen(JORDAN), &format!("{target}: your ")).await;
}

/// Who Jordan is on each platform, by [`On`] as an index.
const JORDAN_FOR: [&str; 2] = [JORDAN, JORDAN_ON_SLACK];

/// Tops Jordan's active grants up from `held` to `count`; the first one waits for the
/// operator's sign-in, who carries the grants out.
async fn top_up(app: &TestApp, held: usize, count: usize) {
    if count <= held {
        return;
    }
    let mut more = count - held;
    if !app
        .teams_seen(crate::app::OPERATOR)
        .await
        .iter()
        .any(|message| message.to_string().contains("/auth/start"))
    {
        app.teams(JORDAN, "join the Marketing team").await;
        crate::approvals::sign_in_when_asked(app, crate::app::OPERATOR).await;
        until_said(|| app.teams_seen(JORDAN), "done. You now have membership").await;
        more -= 1;
    }
    grant_more(app, more).await;
}

#[tokio::test]
async fn the_access_list_pages_within_every_limit_and_removes_from_a_later_page_in_teams_and_slack()
{
    let app = roomy().await;
    crate::requests::sign_in_on_slack(&app, JORDAN_ON_SLACK).await;
    let mut held = 0;
    for count in [0, 1, 6, 30, 200] {
        for on in [On::Teams, On::Slack] {
            top_up(&app, held, count).await;
            list_and_remove_from_the_last_page(&app, on, count).await;
            held = count.saturating_sub(1);
        }
    }
}

/// The first choice of the list on the message `card` among `messages`: the input's id and
/// the choice's whole object (Teams `{title, value}`, Slack's option).
pub(crate) fn first_choice(messages: &[Value], card: &str) -> Option<(String, Value)> {
    let message = messages
        .iter()
        .rev()
        .find(|message| message["id"] == card || message["ts"] == card)?;
    let mut found = Vec::new();
    objects(
        message,
        &|object| object["type"] == "Input.ChoiceSet" || object["type"] == "static_select",
        &mut found,
    );
    let input = found.first()?;
    let id = input["id"]
        .as_str()
        .or_else(|| input["action_id"].as_str())?;
    let first = input["choices"]
        .get(0)
        .or_else(|| input["options"].get(0))?
        .clone();
    Some((id.to_owned(), first))
}

/// `upn` clicks `action` on the Teams card `card` with the first item of its list picked, as
/// the owner of the card (`owner`) sees it.
pub(crate) async fn click_teams_picking_first(
    app: &TestApp,
    upn: &str,
    owner: &str,
    card: &str,
    action: &Value,
) -> Value {
    let (input, choice) =
        first_choice(&app.teams_seen(owner).await, card).expect("a list to pick from");
    let invoke = json!({"from": upn, "replyToId": card, "action": action,
        "inputs": {input: choice["value"]}});
    let answer = app
        .sim
        .control(Method::POST, "teams/invoke", Some(invoke))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body
}

/// `user` clicks the button `action_id` (with `value`) of their Slack message `ts` with the
/// first item of its list picked.
pub(crate) async fn slack_click_picking_first(
    app: &TestApp,
    user: &str,
    ts: &str,
    action_id: &str,
    value: &str,
) {
    let (input, option) =
        first_choice(&app.slack_seen(user).await, ts).expect("a list to pick from");
    let click = json!({"user": user, "message_ts": ts, "action_id": action_id, "value": value,
        "inputs": {input: {"selected_option": option}}});
    let answer = app
        .sim
        .control(Method::POST, "slack/action", Some(click))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], 200, "{}", answer.text);
}
