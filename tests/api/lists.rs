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

/// A deployment on `tenant` whose policy lets one person ask many times an hour.
/// The policy file stays with the deployment, which reads it again on a restart.
async fn roomy(tenant: &str) -> (TestApp, tempfile::NamedTempFile) {
    let policy = std::fs::read_to_string(EXAMPLE_POLICY).expect("the example policy");
    let policy = policy.replace("max_requests_per_hour = 20", "max_requests_per_hour = 1000");
    let file = tempfile::NamedTempFile::new().expect("a policy file");
    std::fs::write(file.path(), policy).expect("policy written");
    let path = file.path().display().to_string();
    let app = TestApp::spawn_configured(tenant, &path, crate::app::OPERATOR, &[]).await;
    (app, file)
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

/// The platform a test runs on and who is there, with how they ask, read and click.
#[derive(Debug, Clone, Copy)]
enum On {
    /// A Teams user, by UPN.
    Teams(&'static str),
    /// A Slack user, by id.
    Slack(&'static str),
}

impl On {
    fn who(self) -> &'static str {
        match self {
            On::Teams(who) | On::Slack(who) => who,
        }
    }

    async fn seen(self, app: &TestApp) -> Vec<Value> {
        match self {
            On::Teams(who) => app.teams_seen(who).await,
            On::Slack(who) => app.slack_seen(who).await,
        }
    }

    async fn say(self, app: &TestApp, text: &str) {
        match self {
            On::Teams(who) => drop(app.teams(who, text).await),
            On::Slack(who) => drop(app.slack(who, text).await),
        }
    }

    fn id_of(self, message: &Value) -> String {
        let key = match self {
            On::Teams(_) => "id",
            On::Slack(_) => "ts",
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
            On::Teams(_) => {
                if let Some(card) = page.message["attachments"][0].get("content") {
                    assert_teams_card_fits(card, &page.text());
                }
            }
            On::Slack(_) => assert_slack_blocks_fit(&page.message["blocks"], &page.text()),
        }
    }

    /// The button `title` with `verb` on the page: the Teams action, or the Slack button.
    fn button(self, page: &Page, verb: &str, title: &str) -> Option<Value> {
        let mut found = Vec::new();
        objects(
            &page.message,
            &|object| match self {
                On::Teams(_) => {
                    object["type"] == "Action.Execute"
                        && object["verb"] == verb
                        && object["title"] == title
                }
                On::Slack(_) => {
                    object["type"] == "button"
                        && object["action_id"] == verb
                        && object["text"]["text"] == title
                }
            },
            &mut found,
        );
        found.first().map(|button| (*button).clone())
    }

    /// `who` clicks `button` of `page`, with `picked` (input id, value) chosen when given.
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
            On::Teams(_) => {
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
            On::Slack(_) => {
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

/// One of the two lists, as a test reads and works it.
struct Listed {
    question: &'static str,
    /// What the answer says with nothing to list.
    empty: &'static str,
    /// What one item is called in the counts ("grant").
    noun: &'static str,
    button: &'static str,
    input: &'static str,
    /// What the card says once the picked item is gone, before its id.
    gone: &'static str,
}

const ACCESS: Listed = Listed {
    question: "what access do I have?",
    empty: "You have no access granted through me right now.",
    noun: "grant",
    button: "Remove",
    input: "grant",
    gone: "removing your",
};

const STANDING: Listed = Listed {
    question: "my standing approvals",
    empty: "You have no standing approvals.",
    noun: "standing approval",
    button: "Withdraw",
    input: "standing_approval",
    gone: "Withdrawn: your standing approval",
};

/// The list with `count` items: every page within limits, Next through to the last page and
/// Previous back, then the last page's first item removed by picking it. Returns its id.
async fn list_and_remove_from_the_last_page(
    app: &TestApp,
    on: On,
    listed: &Listed,
    count: usize,
) -> Option<String> {
    let first = on.ask(app, listed.question).await;
    if count == 0 {
        assert!(first.text().contains(listed.empty), "{}", first.text());
        return None;
    }
    let plural = if count == 1 { "" } else { "s" };
    let counted = format!("You have {count} {}{plural}.", listed.noun);
    assert!(first.text().contains(&counted), "{on:?}: {}", first.text());
    let pages = count.div_ceil(10);
    let mut page = first;
    let mut seen_ids: Vec<String> = page.choices();
    for number in 2..=pages {
        let next = on.button(&page, "page", "Next").expect("a Next button");
        on.click(app, on.who(), &page, "page", &next, None).await;
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
        "every item can be picked on some page"
    );
    if pages > 1 {
        let previous = on.button(&page, "page", "Previous").expect("Previous");
        on.click(app, on.who(), &page, "page", &previous, None)
            .await;
        page = on
            .updated(app, &page.id, &format!("Page {} of {pages}", pages - 1))
            .await;
        let next = on.button(&page, "page", "Next").expect("a Next button");
        on.click(app, on.who(), &page, "page", &next, None).await;
        page = on
            .updated(app, &page.id, &format!("Page {pages} of {pages}"))
            .await;
    }
    let target = page.choices().first().cloned().expect("an item to pick");
    let button = on
        .button(&page, "revoke", listed.button)
        .expect("the list's button");
    if matches!(on, On::Teams(_)) && count > 1 {
        // Someone else pressing it with this item picked is refused and ends nothing.
        on.click(
            app,
            PRIYA,
            &page,
            "revoke",
            &button,
            Some((listed.input, &target)),
        )
        .await;
        let seen = app.teams_seen(PRIYA).await;
        let refused = eventually(|| async {
            let told = Value::Array(app.teams_seen(PRIYA).await).to_string();
            (told.contains("Only the person who asked for")
                || told.contains("You have no such standing approval"))
            .then_some(())
        })
        .await;
        assert!(refused.is_some(), "Priya is refused: {seen:?}");
        let again = on.ask(app, listed.question).await;
        assert!(again.text().contains(&counted), "{}", again.text());
    }
    if count == 6 {
        // Pressing it with nothing picked changes nothing and says what to do.
        on.click(app, on.who(), &page, "revoke", &button, None)
            .await;
        until_seen(app, on, "Pick one in the list first").await;
    }
    on.click(
        app,
        on.who(),
        &page,
        "revoke",
        &button,
        Some((listed.input, &target)),
    )
    .await;
    let after = on.updated(app, &page.id, listed.gone).await;
    assert!(
        !after.choices().contains(&target),
        "the picked item leaves the list: {}",
        after.text()
    );
    Some(target)
}

/// Waits until `on`'s person was told `needle`.
async fn until_seen(app: &TestApp, on: On, needle: &str) {
    let told = eventually(|| async {
        on.seen(app)
            .await
            .iter()
            .any(|message| message.to_string().contains(needle))
            .then_some(())
    })
    .await;
    assert!(told.is_some(), "{on:?} was never told {needle:?}");
}

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
    let (app, _policy) = roomy(crate::helpers::CONTOSO).await;
    crate::requests::sign_in_on_slack(&app, JORDAN_ON_SLACK).await;
    let mut held = 0;
    for count in [0, 1, 6, 30, 200] {
        for on in [On::Teams(JORDAN), On::Slack(JORDAN_ON_SLACK)] {
            top_up(&app, held, count).await;
            let removed = list_and_remove_from_the_last_page(&app, on, &ACCESS, count).await;
            if let Some(id) = removed {
                // Jordan is told where he asked: in Teams, where every grant was asked for.
                until_said(|| app.teams_seen(JORDAN), &format!("{id}: your ")).await;
            }
            held = count.saturating_sub(1);
        }
    }
}

#[tokio::test]
async fn standing_approvals_page_within_every_limit_and_one_on_a_later_page_is_withdrawn_in_teams_and_slack()
 {
    let (app, _policy) = roomy(&with_vpn_sites(400)).await;
    crate::requests::sign_in_on_slack(&app, NINA_ON_SLACK).await;
    let (mut held, mut asked) = (0, 0);
    for count in [0, 1, 6, 30, 200] {
        for on in [On::Teams(NINA), On::Slack(NINA_ON_SLACK)] {
            approve_always_more(&app, &mut asked, held, count).await;
            list_and_remove_from_the_last_page(&app, on, &STANDING, count).await;
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

const NINA: &str = "nina.patel@contoso.com";
const NINA_ON_SLACK: &str = "U08NINA";
const TOM: &str = "tom.becker@contoso.com";

/// Contoso with `count` more groups like VPN Users (owned by Nina, whose "approve always"
/// policy allows): "VPN Site 001" and on.
fn with_vpn_sites(count: usize) -> String {
    let mut tenant: Value = serde_json::from_str(crate::helpers::CONTOSO).expect("contoso");
    let model = tenant["groups"]
        .as_array()
        .and_then(|groups| {
            groups
                .iter()
                .find(|group| group["displayName"] == "VPN Users")
        })
        .cloned()
        .expect("VPN Users");
    let groups = tenant["groups"].as_array_mut().expect("groups");
    for number in 1..=count {
        let mut site = model.clone();
        site["id"] = json!(format!("33333333-0000-4000-8000-{number:012}"));
        site["displayName"] = json!(format!("VPN Site {number:03}"));
        site["description"] = json!("A site's VPN");
        groups.push(site);
    }
    tenant.to_string()
}

/// Nina's standing approvals topped up from `held` to `count`: Tom asks for the next sites and
/// Nina answers "Approve always" on each card; `asked` counts the sites asked for so far. The
/// first answer waits for Nina's sign-in, as the grants are made with her token.
async fn approve_always_more(app: &TestApp, asked: &mut usize, held: usize, count: usize) {
    if count <= held {
        return;
    }
    let more = count - held;
    // Nina is reached where she last talked to Doorman: in Teams, from now on.
    let before = app.teams_seen(NINA).await.len();
    app.teams(NINA, "hello").await;
    app.more_than(before, || app.teams_seen(NINA)).await;
    for number in *asked + 1..=*asked + more {
        app.teams(TOM, &format!("please add me to VPN Site {number:03}"))
            .await;
    }
    let first_time = *asked == 0;
    *asked += more;
    // Decided cards keep no buttons: the live ones are the new requests'.
    let cards = eventually(|| async {
        let found = approve_always_buttons(app).await;
        (found.len() >= more).then_some(found)
    })
    .await;
    let Some(cards) = cards else {
        panic!("no card for every request: {:?}", app.teams_seen(TOM).await);
    };
    for (card, always) in &cards {
        crate::requests::click_teams(app, NINA, card, always).await;
    }
    if first_time {
        crate::approvals::sign_in_when_asked(app, NINA).await;
    }
}

/// Every "Approve always" button on Nina's Teams cards, oldest first, with its card's id.
async fn approve_always_buttons(app: &TestApp) -> Vec<(String, Value)> {
    app.teams_seen(NINA)
        .await
        .iter()
        .filter_map(|message| {
            let mut found = Vec::new();
            objects(
                message,
                &|object| object["type"] == "Action.Execute" && object["verb"] == "approve_always",
                &mut found,
            );
            Some((
                message["id"].as_str()?.to_owned(),
                (*found.first()?).clone(),
            ))
        })
        .collect()
}

/// A list card left open after its last item went elsewhere: its Remove click is refused in
/// words, and the card becomes the empty list with no button left to press, on both platforms.
#[tokio::test]
async fn a_stale_list_card_pressed_after_its_last_item_went_becomes_the_empty_list() {
    let (app, _policy) = roomy(crate::helpers::CONTOSO).await;
    crate::requests::sign_in_on_slack(&app, JORDAN_ON_SLACK).await;
    top_up(&app, 0, 1).await;
    let (teams, slack) = (On::Teams(JORDAN), On::Slack(JORDAN_ON_SLACK));
    let on_teams = teams.ask(&app, ACCESS.question).await;
    let on_slack = slack.ask(&app, ACCESS.question).await;
    let target = on_slack.choices().first().cloned().expect("the grant");

    // Removed from the Slack card; the Teams card still shows it.
    let remove = slack.button(&on_slack, "revoke", "Remove").expect("Remove");
    let picked = Some((ACCESS.input, target.as_str()));
    slack
        .click(&app, JORDAN_ON_SLACK, &on_slack, "revoke", &remove, picked)
        .await;
    let emptied = slack.updated(&app, &on_slack.id, ACCESS.empty).await;
    assert!(slack.button(&emptied, "revoke", "Remove").is_none());
    until_said(|| app.teams_seen(JORDAN), &format!("{target}: your ")).await;

    let remove = teams.button(&on_teams, "revoke", "Remove").expect("Remove");
    teams
        .click(&app, JORDAN, &on_teams, "revoke", &remove, picked)
        .await;
    until_seen(&app, teams, "is not an active grant").await;
    let stale = teams.updated(&app, &on_teams.id, ACCESS.empty).await;
    assert!(
        teams.button(&stale, "revoke", "Remove").is_none(),
        "no Remove is left live: {}",
        stale.text()
    );
}
