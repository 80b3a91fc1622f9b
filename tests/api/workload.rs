//! The people of the crash and fault suites, acting on their own while the bot is killed or
//! its services misbehave: requesters who ask and wait to be told, approvers who click every
//! approval card they get, and everyone following the sign-in links Doorman sends them.
//!
//! They reach the deployment only through the simulator's control API and the browser, with
//! a [`Doors`] of their own, so the test that owns the [`TestApp`] can kill and restart the bot
//! whenever it likes. A person whose delivery fails (the bot is down) tries again, as a person
//! (or Teams) would; whatever was kept of the first try is the bot's business.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::app::{OPERATOR, TestApp};
use crate::invariants::AcceptedClick;
use crate::requests::objects;

/// How long a person waits for what they expect before giving up on it.
const PATIENCE: Duration = Duration::from_secs(120);
/// How often a person looks at their chat.
const GLANCE: Duration = Duration::from_millis(250);

/// A seeded source of choices (SplitMix64): the same seed gives the same run of choices.
#[derive(Debug, Clone)]
pub(crate) struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A whole number of milliseconds in `low..high`.
    pub fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(low + self.next() % (high - low).max(1))
    }
}

/// A seeded run of `suite`: its dice (from `seed_variable`, or a fresh seed), how many rounds
/// or kills (`count_variable`, or `default`), and the line that replays it, printed now.
pub(crate) fn seeded_run(
    suite: &str,
    seed_variable: &str,
    count_variable: &str,
    default: u64,
) -> (Dice, u64, String) {
    let seed = whole_number(seed_variable).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_nanos() as u64)
            .unwrap_or(0x5EED)
    });
    let count = whole_number(count_variable).unwrap_or(default);
    let context = format!("{suite}, replay with {seed_variable}={seed} {count_variable}={count}");
    println!("{context}");
    (Dice::new(seed), count, context)
}

/// The whole number in `variable`, if it is set.
fn whole_number(variable: &str) -> Option<u64> {
    let text = std::env::var(variable).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{variable} must be a whole number, not {text:?}")),
    )
}

/// What a person uses: the simulator's control API (their Teams client) and a browser.
#[derive(Clone)]
pub(crate) struct Doors {
    sim: String,
    bot: String,
    http: reqwest::Client,
    browser: reqwest::Client,
}

impl Doors {
    pub fn of(app: &TestApp) -> Doors {
        Doors {
            sim: app.sim.url.clone(),
            bot: app.bot_url.clone(),
            http: reqwest::Client::new(),
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::limited(10))
                .build()
                .expect("a browser"),
        }
    }

    /// A control API call; `None` when the simulator could not be reached at all.
    async fn control(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}/_sim/{path}", self.sim));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.ok()?;
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(Value::Null);
        Some((status, body))
    }

    /// `who` writes `text` to the bot: in Teams for a UPN, on Slack for a Slack user id (as
    /// the control API names people); true when the bot took the message (2xx).
    pub async fn say(&self, who: &str, text: &str) -> bool {
        let sent = if on_slack(who) {
            let body = json!({"user": who, "text": text});
            self.control(Method::POST, "slack/message", Some(body))
                .await
        } else {
            let body = json!({"from": who, "text": text});
            self.control(Method::POST, "teams/message", Some(body))
                .await
        };
        matches!(sent, Some((200, answer)) if answer["status"].as_u64().is_some_and(|status| status < 300))
    }

    /// What the bot has sent `who` in their direct chat (Teams or Slack, as for [`Self::say`]).
    pub async fn seen(&self, who: &str) -> Vec<Value> {
        let path = if on_slack(who) {
            format!("slack/messages?user={who}")
        } else {
            format!("teams/conversations/{who}")
        };
        self.control(Method::GET, &path, None)
            .await
            .and_then(|(_, body)| body.as_array().cloned())
            .unwrap_or_default()
    }

    /// `upn` clicks `action` on the bot's message `reply_to`; the bot's invoke answer when it
    /// answered with success.
    pub async fn click(&self, upn: &str, reply_to: &str, action: &Value) -> Option<Value> {
        let (status, answer) = self
            .control(
                Method::POST,
                "teams/invoke",
                Some(json!({"from": upn, "replyToId": reply_to, "action": action})),
            )
            .await?;
        let answered = status == 200 && answer["status"].as_u64().is_some_and(|s| s < 300);
        answered.then(|| answer["body"].clone())
    }

    /// Opens a link in the browser; its final status, `None` when the bot could not be reached.
    pub async fn follow(&self, link: &str) -> Option<u16> {
        let response = self.browser.get(link).send().await.ok()?;
        Some(response.status().as_u16())
    }

    /// The sign-in links (to this bot's `/auth/start`) in some messages.
    fn sign_in_links(&self, messages: &[Value]) -> Vec<String> {
        let text = Value::Array(messages.to_vec()).to_string();
        let prefix = format!("{}/auth/start", self.bot);
        text.match_indices(&prefix)
            .map(|(at, _)| {
                let tail = &text[at..];
                let end = tail.find(['"', '\\', ' ', '>', '|']).unwrap_or(tail.len());
                tail[..end].replace("&amp;", "&")
            })
            .collect()
    }

    /// How many times `needle` appears in what `upn` has been told.
    pub async fn told(&self, upn: &str, needle: &str) -> usize {
        Value::Array(self.seen(upn).await)
            .to_string()
            .matches(needle)
            .count()
    }

    /// Waits until `upn` has been told `needle` more than `before` times.
    pub async fn until_told(&self, upn: &str, needle: &str, before: usize) -> Result<(), String> {
        match self
            .until_told_or_failed(upn, needle, before, usize::MAX)
            .await?
        {
            Told::Expected => Ok(()),
            Told::Failed => Err(format!("{upn} was told it failed instead of {needle:?}")),
        }
    }

    /// Waits until `upn` has been told `needle` more than `before` times, or that a change
    /// failed more than `failed_before` times.
    async fn until_told_or_failed(
        &self,
        upn: &str,
        needle: &str,
        before: usize,
        failed_before: usize,
    ) -> Result<Told, String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            let told = Value::Array(self.seen(upn).await).to_string();
            if told.matches(needle).count() > before {
                return Ok(Told::Expected);
            }
            if failures_in(&told) > failed_before {
                return Ok(Told::Failed);
            }
            tokio::time::sleep(GLANCE).await;
        }
        let seen = self.seen(upn).await;
        let last: Vec<String> = seen
            .iter()
            .rev()
            .take(4)
            .map(|message| {
                let text = message["text"].as_str().unwrap_or_default();
                text.chars().take(160).collect()
            })
            .collect();
        Err(format!(
            "{upn} was never told {needle:?}; the last they saw: {last:?}"
        ))
    }

    /// `upn` says `text` (again, while the bot does not take it) and waits to be told
    /// `needle` once more than before, or that the change failed.
    pub async fn ask(&self, upn: &str, text: &str, needle: &str) -> Result<Told, String> {
        let before = self.told(upn, needle).await;
        let failed_before = failures_in(&Value::Array(self.seen(upn).await).to_string());
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !self.say(upn, text).await {
            if tokio::time::Instant::now() > deadline {
                return Err(format!("the bot never took {upn}'s {text:?}"));
            }
            tokio::time::sleep(GLANCE * 4).await;
        }
        self.until_told_or_failed(upn, needle, before, failed_before)
            .await
            .map_err(|missing| format!("after {text:?}: {missing}"))
    }

    /// `upn` clicks the newest `verb` button they were sent (again, while the bot does not
    /// answer), once one has come.
    pub async fn press(&self, upn: &str, verb: &str) -> Result<Value, String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::time::Instant::now() < deadline {
            let newest = actions(&self.seen(upn).await, verb).pop();
            if let Some((card, action)) = newest {
                if let Some(answer) = self.click(upn, &card, &action).await {
                    return Ok(answer);
                }
            }
            tokio::time::sleep(GLANCE * 2).await;
        }
        Err(format!("{upn} could not press {verb}"))
    }
}

/// Whether the control API names this person on Slack (a Slack user id, not a UPN).
fn on_slack(who: &str) -> bool {
    !who.contains('@')
}

/// What the requester is told when a change could not be made (and what it made is taken
/// back), or when their message could not be handled for now: a clean failure, told.
const FAILED: [&str; 2] = [
    "I could not make this change",
    "Sorry, something went wrong on my side. Please try again in a moment.",
];

/// How many times `upn` has been told one of the [`FAILED`] sentences, in `told`.
fn failures_in(told: &str) -> usize {
    FAILED
        .iter()
        .map(|needle| told.matches(needle).count())
        .sum()
}

/// How a request a person made ended, as they were told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Told {
    Expected,
    Failed,
}

/// Every card action with `verb` in these messages, oldest first, with its message's id.
pub(crate) fn actions(messages: &[Value], verb: &str) -> Vec<(String, Value)> {
    messages
        .iter()
        .filter_map(|message| {
            let id = message["id"].as_str()?;
            let mut found = Vec::new();
            objects(
                message,
                &|object| object["type"] == "Action.Execute" && object["verb"] == verb,
                &mut found,
            );
            found
                .first()
                .map(|action| (id.to_owned(), (*action).clone()))
        })
        .collect()
}

/// The example policy, with room for the many requests of a long run: a person asks far more
/// often than the example's hourly limit allows.
pub(crate) fn workload_policy() -> String {
    let example = std::fs::read_to_string(crate::app::EXAMPLE_POLICY).expect("the example policy");
    assert!(
        example.contains("max_requests_per_hour = 20"),
        "the example policy's rate limit"
    );
    example.replace(
        "max_requests_per_hour = 20",
        "max_requests_per_hour = 100000",
    )
}

/// The approvers of the workload's requests: managers, owners, and the helpdesk team.
pub(crate) const APPROVERS: [&str; 4] = [
    OPERATOR,
    "maria.garcia@contoso.com",
    "david.okafor@contoso.com",
    "nina.patel@contoso.com",
];

/// Everyone who may be sent a sign-in link by the workload.
const SIGNERS: [&str; 4] = [
    OPERATOR,
    "maria.garcia@contoso.com",
    "david.okafor@contoso.com",
    "nina.patel@contoso.com",
];

/// The acting identities sign in before anything else happens, as an operator and an owner
/// who use Doorman would have.
pub(crate) async fn sign_in_first(doors: &Doors) {
    for upn in [OPERATOR, "nina.patel@contoso.com"] {
        let before = doors.sign_in_links(&doors.seen(upn).await).len();
        assert!(
            doors.say(upn, "sign in").await,
            "the bot takes {upn}'s sign in"
        );
        let link = loop {
            let links = doors.sign_in_links(&doors.seen(upn).await);
            if links.len() > before {
                break links.last().cloned().expect("a link");
            }
            tokio::time::sleep(GLANCE).await;
        };
        assert_eq!(doors.follow(&link).await, Some(200), "{upn} signs in");
    }
}

/// A Slack user links their account by the sign-in link the bot sends them.
pub(crate) async fn sign_in_on_slack(doors: &Doors, user: &str) {
    assert!(
        doors.say(user, "sign in").await,
        "the bot takes {user}'s sign in"
    );
    let link = loop {
        if let Some(link) = doors.sign_in_links(&doors.seen(user).await).pop() {
            break link;
        }
        tokio::time::sleep(GLANCE).await;
    };
    assert_eq!(doors.follow(&link).await, Some(200), "{user} signs in");
    doors
        .until_told(user, "signed in as", 0)
        .await
        .expect("the bot confirms the sign-in");
}

/// Approvers clicking Approve on every card they get, and everyone following every sign-in
/// link, until dropped. The clicks the bot answered as an approval are kept.
pub(crate) struct Helpers {
    pub clicks: Arc<Mutex<Vec<AcceptedClick>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Helpers {
    pub fn start(doors: &Doors) -> Helpers {
        let clicks = Arc::new(Mutex::new(Vec::new()));
        let approving = {
            let (doors, clicks) = (doors.clone(), Arc::clone(&clicks));
            tokio::spawn(async move { approve_everything(&doors, &clicks).await })
        };
        let signing = {
            let doors = doors.clone();
            tokio::spawn(async move { follow_every_link(&doors).await })
        };
        Helpers {
            clicks,
            tasks: vec![approving, signing],
        }
    }

    /// The clicks the bot answered as an approval.
    pub fn accepted(&self) -> Vec<AcceptedClick> {
        self.clicks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Helpers {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn approve_everything(doors: &Doors, clicks: &Mutex<Vec<AcceptedClick>>) {
    let mut settled: HashSet<String> = HashSet::new();
    loop {
        for approver in APPROVERS {
            for (card, action) in actions(&doors.seen(approver).await, "approve") {
                if settled.contains(&card) {
                    continue;
                }
                let Some(answer) = doors.click(approver, &card, &action).await else {
                    continue; // the bot is down: the card is clicked again later
                };
                settled.insert(card);
                if answer
                    .to_string()
                    .contains(&format!("Approved by {approver}"))
                {
                    let request = action["data"]["request"].as_str().unwrap_or_default();
                    clicks
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(AcceptedClick {
                            request: request.to_owned(),
                            approver: approver.to_owned(),
                        });
                }
            }
        }
        tokio::time::sleep(GLANCE).await;
    }
}

async fn follow_every_link(doors: &Doors) {
    let mut followed: HashSet<String> = HashSet::new();
    loop {
        for upn in SIGNERS {
            for link in doors.sign_in_links(&doors.seen(upn).await) {
                if followed.contains(&link) {
                    continue;
                }
                // A link works once; one the bot could not take is tried again later.
                if doors.follow(&link).await.is_some_and(|status| status < 500) {
                    followed.insert(link);
                }
            }
        }
        tokio::time::sleep(GLANCE).await;
    }
}

/// One requester's story, told again and again while `more` says so: each ends with the
/// access gone again, so the next round starts from the same place.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Story {
    /// Auto-approved, made by the operator; then removed on the requester's word.
    JoinThenLeave,
    /// Auto-approved for twenty seconds; removed when its time is up.
    Expiring,
    /// Auto-approved for twenty seconds, extended from the reminder, then over.
    Extending,
    /// Approved by the owner, made with her token; then removed on the requester's word.
    OwnerApproved,
    /// Manager then owner; made with the owner's token; then removed.
    TwoStages,
    /// Auto-approved for someone who was a member already: nothing is written, and nothing
    /// is removed when it ends on their word.
    HadItBefore,
    /// [`Story::JoinThenLeave`] on Slack.
    JoinThenLeaveOnSlack,
    /// Send As on a shared mailbox through Exchange, approved by the manager and the helpdesk
    /// team, made by the operator; then removed.
    Mailbox,
}

/// Every story, each with its requester.
pub(crate) const STORIES: [(Story, &str); 7] = [
    (Story::JoinThenLeave, "alex.kim@contoso.com"),
    (Story::Expiring, "jordan.lee@contoso.com"),
    (Story::Extending, "priya.nair@contoso.com"),
    (Story::OwnerApproved, "david.okafor@contoso.com"),
    (Story::TwoStages, "sarah.chen@contoso.com"),
    (Story::Mailbox, "tom.becker@contoso.com"),
    (Story::HadItBefore, "tom.becker@contoso.com"),
];

impl Story {
    /// One telling of the story by `upn`: how the request ended (a change that failed
    /// cleanly, told, ends the story there, with nothing left to remove).
    pub async fn tell(self, doors: &Doors, upn: &str) -> Result<Told, String> {
        let marketing_ended = "membership on Marketing (team) has ended";
        let join = "join the Marketing team please";
        let joined = "You now have membership on Marketing";
        let briefly = "join the Marketing team for 20 seconds";
        let (asked, made, removal, removed) = match self {
            Story::JoinThenLeave | Story::JoinThenLeaveOnSlack => (
                join,
                joined,
                "remove me from the Marketing team",
                marketing_ended,
            ),
            Story::HadItBefore => (
                join,
                joined,
                "remove me from the Marketing team",
                "You had this access before your request, so I left it as it was.",
            ),
            Story::OwnerApproved => (
                "please add me to VPN Users",
                "You now have membership on VPN Users",
                "remove me from VPN Users",
                "membership on VPN Users (group) has ended",
            ),
            Story::TwoStages => (
                "add me to the Project Atlas group",
                "You now have membership on Project Atlas",
                "remove me from the Project Atlas group",
                "membership on Project Atlas (group) has ended",
            ),
            Story::Mailbox => (
                "give me send as on support@contoso.com for a week",
                "You now have Send As on Support",
                "remove me from the support@contoso.com mailbox",
                // Named with its grant: tom's Marketing story ends on his word too.
                "Send As on Support (mailbox) has ended: you asked me to remove it",
            ),
            Story::Expiring | Story::Extending => (briefly, joined, "", marketing_ended),
        };
        let ended = doors.told(upn, removed).await;
        let extended = doors.told(upn, "You keep membership on Marketing").await;
        let reminded = doors.told(upn, "Extend it to keep it without a gap").await;
        if doors.ask(upn, asked, made).await? == Told::Failed {
            return Ok(Told::Failed);
        }
        match self {
            Story::Expiring => doors.until_told(upn, removed, ended).await?,
            Story::Extending => {
                doors
                    .until_told(upn, "Extend it to keep it without a gap", reminded)
                    .await?;
                doors.press(upn, "extend").await?;
                doors
                    .until_told(upn, "You keep membership on Marketing", extended)
                    .await?;
                doors.until_told(upn, removed, ended).await?;
            }
            _ => {
                if doors.ask(upn, removal, removed).await? == Told::Failed {
                    return Err(format!("{upn} was told the removal of {removal:?} failed"));
                }
            }
        }
        Ok(Told::Expected)
    }
}
