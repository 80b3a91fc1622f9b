//! Slack, outbound: the fake bot calls the simulated Web API with the token from the handed-out
//! `doorman.toml`, as slack-morphism would (JSON POSTs for `chat.*` and `conversations.open`,
//! GETs for `users.*`), and the control API shows each DM as its person sees it.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::fake_bot::sim_with_bot;
use crate::helpers::TestSim;

/// The `[slack]` section the simulator hands the bot.
pub async fn slack_config(sim: &TestSim) -> doorman::config::SlackConfig {
    let text = sim.control(Method::GET, "doorman.toml", None).await.text;
    doorman::config::Config::from_toml(&text, Vec::new())
        .expect("a valid config")
        .slack
        .expect("a [slack] section")
}

/// Blocks as sent, from blocks as Slack shows them: every block has a `block_id` there (Slack
/// generates one when none was given), and the generated ones are taken out again.
pub fn as_sent(shown: &Value, sent: &Value) -> Value {
    let mut shown = shown.clone();
    let blocks = shown.as_array_mut().into_iter().flatten();
    for (index, block) in blocks.enumerate() {
        assert!(
            block["block_id"].as_str().is_some_and(|id| !id.is_empty()),
            "every block has a block_id: {block}"
        );
        if sent[index].get("block_id").is_none() {
            if let Some(fields) = block.as_object_mut() {
                fields.remove("block_id");
            }
        }
    }
    shown
}

/// A Web API call with the bot token: JSON for a POST, the query string for a GET. Slack
/// answers every call with HTTP 200, failures included.
pub async fn slack_call(
    sim: &TestSim,
    config: &doorman::config::SlackConfig,
    method: Method,
    name: &str,
    args: Value,
) -> Value {
    call_with_token(
        sim,
        config,
        Some(config.bot_token.expose_secret()),
        method,
        name,
        args,
    )
    .await
}

async fn call_with_token(
    sim: &TestSim,
    config: &doorman::config::SlackConfig,
    token: Option<&str>,
    method: Method,
    name: &str,
    args: Value,
) -> Value {
    let url = format!("{}/{name}", config.api_url.as_str().trim_end_matches('/'));
    let mut request = sim.http.request(method.clone(), url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = if method == Method::GET {
        let pairs: Vec<(String, String)> = args
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.as_str().unwrap_or_default().to_owned()))
            .collect();
        request.query(&pairs)
    } else {
        request.json(&args)
    };
    let response = request.send().await.expect("the Web API answers");
    assert_eq!(response.status(), 200, "Slack answers {name} with 200");
    response.json().await.expect("a JSON answer")
}

#[tokio::test]
async fn the_bots_posts_and_updates_show_in_the_persons_dm() {
    let (sim, bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    sim.control(
        Method::POST,
        "slack/message",
        Some(json!({"user": "U04TOM", "text": "help"})),
    )
    .await;
    let event = bot.only("/slack/events").json();
    let opened = slack_call(
        &sim,
        &config,
        Method::POST,
        "conversations.open",
        json!({"users": ["U04TOM"]}),
    )
    .await;
    assert_eq!(opened["ok"], true, "{opened}");
    let channel = opened["channel"]["id"].clone();
    assert_eq!(channel, event["event"]["channel"], "one DM per person");
    let blocks = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "Checking…"}}]);
    let posted = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": channel, "text": "Checking", "blocks": blocks}),
    )
    .await;
    assert_eq!(posted["ok"], true, "{posted}");
    assert_eq!(posted["channel"], channel);
    let ts = posted["ts"].as_str().expect("a ts").to_owned();
    assert_eq!(posted["message"]["ts"], ts.as_str());
    let done = json!([{"type": "section", "text": {"type": "mrkdwn", "text": "Done"}}]);
    let updated = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.update",
        json!({"channel": channel, "ts": ts, "text": "Done", "blocks": done}),
    )
    .await;
    assert_eq!(updated["ok"], true, "{updated}");
    let missing = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.update",
        json!({"channel": channel, "ts": "1.000000", "text": "x"}),
    )
    .await;
    assert_eq!(missing["error"], "message_not_found");
    let by_user_id = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.update",
        json!({"channel": "U04TOM", "ts": ts, "text": "x"}),
    )
    .await;
    assert_eq!(
        by_user_id,
        json!({"ok": false, "error": "channel_not_found"}),
        "chat.update takes a conversation id, not a user id"
    );
    for user in ["U04TOM", "W04TOM"] {
        let resumed = slack_call(
            &sim,
            &config,
            Method::POST,
            "conversations.open",
            json!({"channel": user}),
        )
        .await;
        assert_eq!(
            resumed,
            json!({"ok": false, "error": "channel_not_found"}),
            "conversations.open names people in users, not channel"
        );
    }
    let resumed = slack_call(
        &sim,
        &config,
        Method::POST,
        "conversations.open",
        json!({"channel": channel}),
    )
    .await;
    assert_eq!(resumed["channel"]["id"], channel, "a DM id resumes the DM");
    let by_user = slack_call(
        &sim,
        &config,
        Method::POST,
        "chat.postMessage",
        json!({"channel": "U04TOM", "text": "A second note"}),
    )
    .await;
    assert_eq!(by_user["channel"], channel, "a user id posts to their DM");
    let nowhere = json!({"channel": "C0NOSUCH", "text": "x"});
    let nowhere = slack_call(&sim, &config, Method::POST, "chat.postMessage", nowhere).await;
    assert_eq!(nowhere["error"], "channel_not_found");
    let seen = sim
        .control(
            Method::GET,
            "slack/messages?user=tom.becker%40contoso.com",
            None,
        )
        .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(as_sent(&seen.body[0]["blocks"], &done), done);
    assert_eq!(
        (&seen.body[0]["ts"], &seen.body[0]["text"]),
        (&json!(ts), &json!("Done"))
    );
    assert_eq!(seen.body[1]["text"], "A second note");
    assert_eq!(seen.body.as_array().map(Vec::len), Some(2));
    assert!(
        sim.state.graph_log.is_empty(),
        "Slack traffic is not Graph traffic"
    );
}

#[tokio::test]
async fn users_info_and_lookup_by_email_return_the_tenant_users_profile() {
    let (sim, _bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let info = slack_call(
        &sim,
        &config,
        Method::GET,
        "users.info",
        json!({"user": "U01SARAH"}),
    )
    .await;
    assert_eq!(info["ok"], true, "{info}");
    assert_eq!(info["user"]["id"], "U01SARAH");
    assert_eq!(info["user"]["team_id"], "T0CONTOSO");
    assert_eq!(info["user"]["is_bot"], false);
    assert_eq!(info["user"]["deleted"], false);
    assert_eq!(info["user"]["real_name"], "Sarah Chen");
    assert_eq!(info["user"]["profile"]["email"], "sarah.chen@contoso.com");
    let liam = slack_call(
        &sim,
        &config,
        Method::GET,
        "users.info",
        json!({"user": "U12LIAM"}),
    )
    .await;
    assert_eq!(
        liam["user"]["deleted"], true,
        "a disabled account is deactivated"
    );
    let unknown = slack_call(
        &sim,
        &config,
        Method::GET,
        "users.info",
        json!({"user": "UNOBODY"}),
    )
    .await;
    assert_eq!(unknown, json!({"ok": false, "error": "user_not_found"}));
    let email = json!({"email": "SARAH.CHEN@contoso.com"});
    let found = slack_call(&sim, &config, Method::GET, "users.lookupByEmail", email).await;
    assert_eq!(found["user"]["id"], "U01SARAH");
    let email = json!({"email": "nobody@contoso.com"});
    let none = slack_call(&sim, &config, Method::GET, "users.lookupByEmail", email).await;
    assert_eq!(none["error"], "users_not_found");
    let me = slack_call(&sim, &config, Method::POST, "auth.test", json!({})).await;
    assert_eq!(me["user_id"], "U0DOORMAN");
    assert_eq!(me["team_id"], "T0CONTOSO");
}

#[tokio::test]
async fn a_wrong_or_missing_slack_token_is_refused_as_slack_refuses_it() {
    let (sim, _bot) = sim_with_bot().await;
    let config = slack_config(&sim).await;
    let args = json!({"channel": "U04TOM", "text": "hi"});
    let post = |token: Option<&'static str>, name: &'static str| {
        let (sim, config, args) = (&sim, &config, args.clone());
        async move { call_with_token(sim, config, token, Method::POST, name, args).await }
    };
    let missing = post(None, "chat.postMessage").await;
    assert_eq!(missing, json!({"ok": false, "error": "not_authed"}));
    let wrong = post(Some("xoxb-1-2-wrong"), "chat.postMessage").await;
    assert_eq!(wrong, json!({"ok": false, "error": "invalid_auth"}));
    let unknown = post(Some("xoxb-1-2-wrong"), "chat.delete").await;
    assert_eq!(unknown["error"], "unknown_method");
    let seen = sim
        .control(Method::GET, "slack/messages?user=U04TOM", None)
        .await;
    assert_eq!(seen.body, json!([]), "a refused call posts nothing");
    let form = sim
        .http
        .post(format!("{}/conversations.open", config.api_url))
        .form(&[
            ("token", config.bot_token.expose_secret()),
            ("users", "U03MARIA"),
        ])
        .send()
        .await
        .expect("answers");
    let form: Value = form.json().await.expect("JSON");
    assert_eq!(
        form["ok"], true,
        "a form body with a token argument works: {form}"
    );
}
