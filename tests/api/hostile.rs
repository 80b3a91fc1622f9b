//! Hostile input to every public route: forged and missing tokens and signatures, wrong
//! tenants and audiences, expired and future timestamps, oversized and deeply nested bodies,
//! invalid UTF-8, wrong content types, made-up methods, replayed deliveries and card clicks that
//! name someone else's request. Each is refused with its status, nothing is changed, the
//! daemon keeps answering and its memory and metrics stay bounded.
//!
//! The cases are generated from a seed, so a failure names the seed and case to replay. The
//! short form runs in `cargo test`; `DOORMAN_HOSTILE_CASES=20000` runs a longer one and
//! `DOORMAN_HOSTILE_SEED=N` another sequence.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use crate::app::{TestApp, until_said};
use crate::approvals::{card_for, writes_made};
use crate::forged::{activity, connector_claims, hmac_sign};
use crate::requests::click_teams;
use doorman::sim::keys::SigningKey;

/// Cases in the short form, run by `cargo test`.
const SHORT_FORM: usize = 600;
const DEFAULT_SEED: u64 = 0x0d00_7a11;
/// Above axum's default body limit (2 MB): refused with 413 before any handler runs.
const OVERSIZED: usize = 2 * 1024 * 1024 + 1;
/// How much the daemon's resident memory may grow over the whole run: refused requests must
/// not leave anything behind (a label per made-up method once grew it for good).
const RSS_GROWTH_LIMIT_KB: u64 = 96 * 1024;

/// xorshift64*: small, and the same sequence on every machine.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Text of up to `longest` characters, printable or not, some beyond ASCII.
    fn text(&mut self, longest: usize) -> String {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', ' ', '"', '\\', '\n', '\r', '\u{0}', '\u{1b}', '{', '}', '<', '%', 'é',
            '日', '\u{2028}', '😀', '\u{feff}',
        ];
        let length = self.below(longest + 1);
        (0..length).map(|_| *self.pick(ALPHABET)).collect()
    }
}

/// One hostile request and the statuses that refuse it rightly.
struct Case {
    what: String,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    refused_with: &'static [u16],
}

impl Case {
    fn new(what: impl Into<String>, method: Method, path: &str) -> Case {
        Case {
            what: what.into(),
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            refused_with: &[],
        }
    }

    /// A header; control characters are left out of its value, since HTTP cannot carry them.
    fn header(mut self, name: &str, value: impl Into<String>) -> Case {
        let value: String = value.into().chars().filter(|c| !c.is_control()).collect();
        self.headers.push((name.to_owned(), value));
        self
    }

    fn body(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = body.into();
        self
    }

    fn json(self, body: &Value) -> Case {
        self.header("content-type", "application/json")
            .body(body.to_string())
    }

    fn refused_with(mut self, statuses: &'static [u16]) -> Case {
        self.refused_with = statuses;
        self
    }
}

/// What the generator needs from the deployment: genuine material to forge from.
struct Material<'a> {
    tom: Value,
    bot_framework_claims: Value,
    teams_key: &'a SigningKey,
    stranger: SigningKey,
    entra: &'a SigningKey,
    slack_secret: String,
    slack_team: String,
}

fn material(app: &TestApp) -> Material<'_> {
    Material {
        tom: activity(
            app,
            "tom.becker@contoso.com",
            "5005",
            "please add me to VPN Users",
        ),
        bot_framework_claims: connector_claims(app),
        teams_key: &app.sim.state.teams.key,
        stranger: SigningKey::generate().expect("a key"),
        entra: &app.sim.state.keys,
        slack_secret: app.sim.state.slack.signing_secret.clone(),
        slack_team: app.sim.state.slack.team_id.clone(),
    }
}

/// A JWT whose header is `header` and whose signature is made up.
fn unsigned_token(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(b"not a signature")
    )
}

/// JSON nested `depth` deep: far past serde_json's recursion limit.
fn nested(depth: usize) -> Vec<u8> {
    let mut body = "[".repeat(depth).into_bytes();
    body.extend("]".repeat(depth).into_bytes());
    body
}

fn now() -> i64 {
    Utc::now().timestamp()
}

// === Teams: /api/messages ===

/// A Bot Connector token that fails one check, or none at all.
fn forged_teams_token(rng: &mut Seeded, material: &Material) -> (String, Option<String>) {
    let claims = &material.bot_framework_claims;
    let with = |key: &str, value: Value| {
        let mut changed = claims.clone();
        changed[key] = value;
        changed
    };
    let key = &material.teams_key;
    match rng.below(13) {
        0 => ("no token".into(), None),
        1 => ("an empty bearer".into(), Some(String::new())),
        2 => ("garbage".into(), Some(rng.text(200))),
        3 => (
            "signed by a stranger".into(),
            Some(material.stranger.sign(claims)),
        ),
        4 => (
            "another audience".into(),
            Some(key.sign(&with("aud", json!("another-bot")))),
        ),
        5 => (
            "another issuer".into(),
            Some(key.sign(&with("iss", json!("https://sts.windows.net/attacker/")))),
        ),
        6 => (
            "expired".into(),
            Some(key.sign(&with("exp", json!(now() - 3600 - rng.below(86_400) as i64)))),
        ),
        7 => (
            "not valid yet".into(),
            Some(key.sign(&with("nbf", json!(now() + 3600 + rng.below(86_400) as i64)))),
        ),
        8 => (
            "another serviceurl".into(),
            Some(key.sign(&with("serviceurl", json!("https://evil.example/teams/")))),
        ),
        9 => (
            "signed by Entra's key".into(),
            Some(material.entra.sign(claims)),
        ),
        10 => (
            "alg none".into(),
            Some(unsigned_token(
                &json!({"alg": "none", "typ": "JWT"}),
                claims,
            )),
        ),
        11 => (
            "HS256 under the public key id".into(),
            Some(unsigned_token(
                &json!({"alg": "HS256", "kid": material.teams_key.kid()}),
                claims,
            )),
        ),
        _ => (
            "an unknown key id".into(),
            Some(unsigned_token(
                &json!({"alg": "RS256", "kid": rng.text(40)}),
                claims,
            )),
        ),
    }
}

/// An activity from Tom with some of its fields made up: the token is what refuses it.
fn mangled_activity(rng: &mut Seeded, material: &Material) -> Value {
    let mut body = material.tom.clone();
    body["id"] = json!(format!("hostile-{}", rng.next()));
    match rng.below(5) {
        0 => body["type"] = json!(rng.text(64)),
        1 => body["text"] = json!(rng.text(4_000)),
        2 => body["value"] = json!({"verb": "approve", "request": format!("R-{}", rng.next())}),
        3 => body["channelData"]["tenant"]["id"] = json!(rng.text(36)),
        _ => {}
    }
    body
}

fn teams_case(rng: &mut Seeded, material: &Material) -> Case {
    let messages = "/api/messages";
    let genuine = || material.teams_key.sign(&material.bot_framework_claims);
    match rng.below(10) {
        // Forged or missing tokens on bodies that are activities.
        0..=4 => {
            let (why, token) = forged_teams_token(rng, material);
            let case = Case::new(format!("teams: {why}"), Method::POST, messages)
                .json(&mangled_activity(rng, material))
                .refused_with(&[401]);
            match token {
                Some(token) => case.header("authorization", format!("Bearer {token}")),
                None => case,
            }
        }
        // A genuine token for an activity from a tenant not allowed, or naming none.
        5 => {
            let mut body = mangled_activity(rng, material);
            let foreign = format!(
                "{:08x}-0000-4000-8000-{:012x}",
                rng.next() as u32,
                rng.next() >> 16
            );
            if rng.below(2) == 0 {
                body["conversation"]["tenantId"] = json!(foreign);
                body["channelData"]["tenant"]["id"] = json!(foreign);
            } else {
                body["conversation"]
                    .as_object_mut()
                    .map(|conversation| conversation.remove("tenantId"));
                body.as_object_mut().map(|body| body.remove("channelData"));
            }
            Case::new("teams: another tenant", Method::POST, messages)
                .json(&body)
                .header("authorization", format!("Bearer {}", genuine()))
                .refused_with(&[401])
        }
        // A genuine token from a channel the key is not endorsed for.
        6 => {
            let mut body = mangled_activity(rng, material);
            body["channelId"] = json!(*rng.pick(&["webchat", "slack", "directline", ""]));
            Case::new(
                "teams: a channel the key is not for",
                Method::POST,
                messages,
            )
            .json(&body)
            .header("authorization", format!("Bearer {}", genuine()))
            .refused_with(&[401])
        }
        // Bodies that are not activities: refused before the token is even read.
        7 => {
            let (why, body): (&str, Vec<u8>) = match rng.below(4) {
                0 => ("deeply nested", nested(10_000 + rng.below(50_000))),
                1 => ("invalid UTF-8", {
                    let mut body = br#"{"type": "message", "text": ""#.to_vec();
                    body.extend([0xff, 0xfe, 0xc3, 0x28]);
                    body.extend(br#""}"#);
                    body
                }),
                2 => ("not JSON", rng.text(300).into_bytes()),
                _ => ("a JSON array", b"[1, 2, 3]".to_vec()),
            };
            Case::new(format!("teams: {why}"), Method::POST, messages)
                .header(
                    "content-type",
                    *rng.pick(&[
                        "application/json",
                        "text/plain",
                        "application/x-www-form-urlencoded",
                    ]),
                )
                .header("authorization", format!("Bearer {}", genuine()))
                .body(body)
                .refused_with(&[400])
        }
        // Wrong content types do not open another door.
        8 => Case::new("teams: a form body", Method::POST, messages)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("type=message&text={}", rng.below(1000)))
            .refused_with(&[400]),
        _ => Case::new("teams: oversized", Method::POST, messages)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", genuine()))
            .body(vec![b' '; OVERSIZED])
            .refused_with(&[413]),
    }
}

// === Slack: /slack/events and /slack/interactions ===

fn slack_event(rng: &mut Seeded, material: &Material) -> Vec<u8> {
    json!({
        "type": "event_callback", "team_id": material.slack_team, "api_app_id": "A0DOORMAN",
        "event_id": format!("EvHostile{}", rng.next()),
        "event": {"type": "message", "channel_type": "im", "user": "U03MARIA",
                  "text": rng.text(200), "channel": "D1", "ts": "1.1"},
    })
    .to_string()
    .into_bytes()
}

fn slack_click(rng: &mut Seeded, material: &Material) -> Vec<u8> {
    let payload = json!({
        "type": "block_actions", "team": {"id": material.slack_team}, "api_app_id": "A0DOORMAN",
        "user": {"id": "U04TOM"}, "actions": [{"action_id": "approve", "value": rng.text(100)}],
    });
    format!(
        "payload={}",
        url::form_urlencoded::byte_serialize(payload.to_string().as_bytes()).collect::<String>()
    )
    .into_bytes()
}

fn slack_case(rng: &mut Seeded, material: &Material) -> Case {
    let (path, body, content_type) = if rng.below(2) == 0 {
        (
            "/slack/events",
            slack_event(rng, material),
            "application/json",
        )
    } else {
        (
            "/slack/interactions",
            slack_click(rng, material),
            "application/x-www-form-urlencoded",
        )
    };
    let sign = |timestamp: i64, body: &[u8]| {
        hmac_sign::sign(&material.slack_secret, &timestamp.to_string(), body)
    };
    let case = |what: &str| Case::new(format!("slack {path}: {what}"), Method::POST, path);
    match rng.below(10) {
        0 => case("no signature")
            .header("content-type", content_type)
            .body(body)
            .refused_with(&[401]),
        1 => case("a made-up signature")
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", now().to_string())
            .header(
                "x-slack-signature",
                format!("v0={:064x}", u128::from(rng.next() as u32)),
            )
            .body(body)
            .refused_with(&[401]),
        2 => {
            let stale = now() - 301 - rng.below(86_400) as i64;
            case("a stale timestamp")
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", stale.to_string())
                .header("x-slack-signature", sign(stale, &body))
                .body(body)
                .refused_with(&[401])
        }
        3 => {
            let future = now() + 301 + rng.below(86_400) as i64;
            case("a future timestamp")
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", future.to_string())
                .header("x-slack-signature", sign(future, &body))
                .body(body)
                .refused_with(&[401])
        }
        4 => {
            let signed_for = slack_event(rng, material);
            case("signed for another body")
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", now().to_string())
                .header("x-slack-signature", sign(now(), &signed_for))
                .body(body)
                .refused_with(&[401])
        }
        5 => case("a timestamp that is no number")
            .header("content-type", content_type)
            .header(
                "x-slack-request-timestamp",
                rng.text(12).replace(['\n', '\r', '\u{0}', '\u{1b}'], ""),
            )
            .header("x-slack-signature", sign(now(), &body))
            .body(body)
            .refused_with(&[401]),
        6 => {
            let mut invalid = body.clone();
            invalid.extend([0xff, 0xfe]);
            case("invalid UTF-8, signed")
                .header("content-type", content_type)
                .header("x-slack-request-timestamp", now().to_string())
                .header("x-slack-signature", sign(now(), &invalid))
                .body(invalid)
                .refused_with(&[401])
        }
        7 => {
            // Signed, so read: but not what the route takes.
            let (what, wrong) = if path == "/slack/events" {
                ("deeply nested, signed", nested(10_000 + rng.below(50_000)))
            } else {
                ("a JSON body where a form goes, signed", payload_of(&body))
            };
            case(what)
                .header("content-type", "application/json")
                .header("x-slack-request-timestamp", now().to_string())
                .header("x-slack-signature", sign(now(), &wrong))
                .body(wrong)
                .refused_with(&[400])
        }
        8 => case("a made-up signature under a wrong content type")
            .header(
                "content-type",
                *rng.pick(&["text/plain", "application/xml", "multipart/form-data"]),
            )
            .header("x-slack-request-timestamp", now().to_string())
            .header("x-slack-signature", format!("v1={}", "a".repeat(64)))
            .body(body)
            .refused_with(&[401]),
        _ => case("oversized")
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", now().to_string())
            .header("x-slack-signature", sign(now(), b""))
            .body(vec![b'x'; OVERSIZED])
            .refused_with(&[413]),
    }
}

/// The JSON payload of an interactions form body.
fn payload_of(form: &[u8]) -> Vec<u8> {
    url::form_urlencoded::parse(form)
        .find(|(key, _)| key == "payload")
        .map(|(_, payload)| payload.into_owned().into_bytes())
        .unwrap_or_else(|| b"{}".to_vec())
}

// === Sign-in pages, probes and everything else ===

fn other_case(rng: &mut Seeded) -> Case {
    let longest = rng.below(3) * 3000;
    let state = rng.text(longest);
    let query = |pairs: &[(&str, &str)]| {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    };
    match rng.below(9) {
        0 => Case::new(
            "sign-in start: an unknown state",
            Method::GET,
            &format!("/auth/start?{}", query(&[("state", &state)])),
        )
        .refused_with(&[400]),
        1 => Case::new("sign-in start: no state", Method::GET, "/auth/start").refused_with(&[400]),
        2 => Case::new(
            "sign-in callback: an unknown state with a code",
            Method::GET,
            &format!(
                "/auth/callback?{}",
                query(&[
                    ("state", &state),
                    ("code", &rng.text(40)),
                    ("error", &rng.text(40))
                ])
            ),
        )
        .refused_with(&[400]),
        3 => Case::new(
            "sign-in callback: no state",
            Method::GET,
            "/auth/callback?code=abc",
        )
        .refused_with(&[400]),
        4 => Case::new(
            "sign-in confirmation: an unknown one",
            Method::POST,
            "/auth/confirm",
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query(&[("confirmation", &state)]))
        .refused_with(&[400]),
        5 => Case::new("sign-in confirmation: JSON", Method::POST, "/auth/confirm")
            .json(&json!({"confirmation": state}))
            .refused_with(&[415]),
        6 => {
            let path = *rng.pick(&[
                "/healthz",
                "/readyz",
                "/api/messages",
                "/slack/events",
                "/auth/start",
            ]);
            let method =
                Method::from_bytes(format!("X{:X}", rng.next()).as_bytes()).expect("a token");
            Case::new("a made-up method", method, path).refused_with(&[405])
        }
        7 => Case::new("metrics on the public listener", Method::GET, "/metrics")
            .refused_with(&[404]),
        _ => Case::new(
            "a path nothing serves",
            Method::GET,
            &format!(
                "/{}",
                url::form_urlencoded::byte_serialize(rng.text(60).as_bytes()).collect::<String>()
            ),
        )
        .refused_with(&[404]),
    }
}

fn generate(rng: &mut Seeded, material: &Material) -> Case {
    match rng.below(5) {
        0 | 1 => teams_case(rng, material),
        2 | 3 => slack_case(rng, material),
        _ => other_case(rng),
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The daemon's resident memory, in kB, as the kernel reports it.
fn resident_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn hostile_input_to_every_public_route_is_refused_and_the_daemon_stays_up() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    app.start_process().await;
    let pid = app
        .process_id()
        .expect("the daemon runs as its own process");
    let material = material(&app);
    let seed = setting("DOORMAN_HOSTILE_SEED", DEFAULT_SEED);
    let count = setting("DOORMAN_HOSTILE_CASES", SHORT_FORM as u64) as usize;
    let mut rng = Seeded(seed.max(1));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Warm the daemon up with one of each kind, so what is measured is growth, not first use.
    for _ in 0..20 {
        let case = generate(&mut Seeded(rng.next()), &material);
        let _ = send(&client, &app.bot_url, &case).await;
    }
    let resident_before = resident_kb(pid);
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for index in 0..count {
        let case = generate(&mut rng, &material);
        let status = send(&client, &app.bot_url, &case).await;
        assert!(
            case.refused_with.contains(&status),
            "case {index} of seed {seed} ({}: {} {}) answered {status}, not one of {:?}",
            case.what,
            case.method,
            case.path.chars().take(80).collect::<String>(),
            case.refused_with
        );
        let family = case.what.split(':').next().unwrap_or_default().to_owned();
        *tally.entry(family).or_default() += 1;
    }
    let health = client
        .get(format!("{}/healthz", app.bot_url))
        .send()
        .await
        .expect("the daemon is still up");
    assert_eq!(health.status(), 200);
    let resident_after = resident_kb(pid);
    assert!(
        resident_after.saturating_sub(resident_before) < RSS_GROWTH_LIMIT_KB,
        "resident memory grew from {resident_before} kB to {resident_after} kB"
    );
    let metrics = client
        .get(format!("{}/metrics", app.admin_url()))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let series = metrics
        .lines()
        .filter(|line| line.starts_with("doorman_http_requests_total{"))
        .count();
    assert!(series < 40, "{series} request series:\n{metrics}");
    assert!(tally.len() >= 5, "every route family was tried: {tally:?}");
    assert!(writes_made(&app).await.is_empty(), "nothing was written");
    assert!(
        app.teams_seen("tom.becker@contoso.com").await.is_empty(),
        "nothing reached Tom's chat"
    );
    assert!(
        app.slack_seen("U03MARIA").await.is_empty(),
        "nothing was said on Slack"
    );
}

async fn send(client: &reqwest::Client, base: &str, case: &Case) -> u16 {
    let mut request = client
        .request(case.method.clone(), format!("{base}{}", case.path))
        .body(case.body.clone());
    for (name, value) in &case.headers {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(answer) => answer.status().as_u16(),
        Err(error) => panic!("{}: the daemon did not answer: {error}", case.what),
    }
}

/// The same signed Slack event and the same Teams activity delivered again and again are
/// answered each time and handled once.
#[tokio::test]
async fn replayed_deliveries_are_acknowledged_and_handled_once() {
    let app = TestApp::spawn().await;
    let slack = &app.sim.state.slack;
    let ts = format!("{}.000100", now());
    let event = json!({
        "token": slack.verification_token, "team_id": slack.team_id, "api_app_id": "A0DOORMAN",
        "type": "event_callback", "event_id": "EvReplayed1", "event_time": now(),
        "event": {"type": "message", "channel_type": "im", "user": "U04TOM", "text": "help",
                  "team": slack.team_id, "channel": slack.dm_id("U04TOM"), "ts": ts,
                  "event_ts": ts},
        "authorizations": [{"team_id": slack.team_id, "user_id": "U0DOORMAN", "is_bot": true}],
    })
    .to_string();
    let client = reqwest::Client::new();
    let deliver_slack = || async {
        let timestamp = now().to_string();
        client
            .post(format!("{}/slack/events", app.bot_url))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", &timestamp)
            .header(
                "x-slack-signature",
                hmac_sign::sign(&slack.signing_secret, &timestamp, event.as_bytes()),
            )
            .header("x-slack-retry-num", "1")
            .body(event.clone())
            .send()
            .await
            .expect("answers")
            .status()
            .as_u16()
    };
    assert_eq!(deliver_slack().await, 200);
    let first = app.more_than(0, || app.slack_seen("U04TOM")).await.len();
    let upn = "nina.patel@contoso.com";
    app.teams(upn, "hello").await;
    app.more_than(0, || app.teams_seen(upn)).await;
    let repeated = activity(&app, upn, "6006", "help");
    let token = app.sim.state.teams.key.sign(&connector_claims(&app));
    let deliver_teams = || async {
        client
            .post(format!("{}/api/messages", app.bot_url))
            .bearer_auth(&token)
            .json(&repeated)
            .send()
            .await
            .expect("answers")
            .status()
            .as_u16()
    };
    assert_eq!(deliver_teams().await, 200);
    let teams_first = app.more_than(1, || app.teams_seen(upn)).await.len();
    for _ in 0..25 {
        assert_eq!(deliver_slack().await, 200, "a redelivery is acknowledged");
        assert_eq!(deliver_teams().await, 200, "a redelivery is acknowledged");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(app.slack_seen("U04TOM").await.len(), first, "handled once");
    assert_eq!(app.teams_seen(upn).await.len(), teams_first, "handled once");
}

/// Card clicks carrying someone else's approval: the requester clicking his own request's
/// approve, a stranger clicking it, and the approver's click with its data pointing at another
/// request. None decides anything.
#[tokio::test]
async fn card_clicks_naming_someone_elses_request_decide_nothing() {
    let app = TestApp::spawn().await;
    let (tom, nina, alex) = (
        "tom.becker@contoso.com",
        "nina.patel@contoso.com",
        "alex.kim@contoso.com",
    );
    app.teams(tom, "please add me to VPN Users").await;
    until_said(|| app.teams_seen(tom), "I've sent the approval request").await;
    let (card, approve) = card_for(&app, nina, "approve").await;
    app.teams(alex, "hello").await;
    let alex_chat = app.more_than(0, || app.teams_seen(alex)).await;
    let alex_message = alex_chat
        .iter()
        .rev()
        .find_map(|message| message["id"].as_str().map(str::to_owned))
        .expect("a message in Alex's chat");
    let tom_message = app
        .teams_seen(tom)
        .await
        .iter()
        .rev()
        .find_map(|message| message["id"].as_str().map(str::to_owned))
        .expect("a message in Tom's chat");
    let mut elsewhere = approve.clone();
    if let Some(data) = elsewhere["data"].as_object_mut() {
        for value in data.values_mut() {
            if value.as_str().is_some_and(|text| text.starts_with("R-")) {
                *value = json!("R-000000000000");
            }
        }
    }
    let clicks = [
        (tom, tom_message.as_str(), &approve),
        (alex, alex_message.as_str(), &approve),
        (nina, card.as_str(), &elsewhere),
    ];
    for (who, reply_to, action) in clicks {
        let _ = app
            .sim
            .control(
                Method::POST,
                "teams/invoke",
                Some(json!({"from": who, "replyToId": reply_to, "action": action})),
            )
            .await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(writes_made(&app).await.is_empty(), "nothing was written");
    let told = serde_json::to_string(&app.teams_seen(tom).await).expect("json");
    assert!(!told.contains("approved"), "{told}");
    // The approver's own click still decides: the request was left as it was.
    click_teams(&app, nina, &card, &approve).await;
    until_said(|| app.teams_seen(tom), "approved").await;
}
