//! The activities Teams delivers to a bot, built field by field as Teams builds them
//! (reference/chat-protocols.md A2, A3, A6), and the Bot Connector JWT that comes with each.

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{BOT_FRAMEWORK_ISSUER, BOT_NAME, CHANNEL_ID, TeamsUser, bot_account_id};
use crate::sim::SimState;

/// How long the connector's tokens to the bot are valid.
const TOKEN_LIFETIME_SECONDS: i64 = 3_600;

/// Where a message is posted: the sender's 1:1 chat, or a new thread in a team channel.
#[derive(Debug, Clone)]
pub enum Place {
    Personal,
    Channel(ChannelPlace),
}

/// A team channel, as `channelData` names it.
#[derive(Debug, Clone)]
pub struct ChannelPlace {
    /// The thread id: `{channel id};messageid={root activity id}`.
    pub conversation_id: String,
    pub channel_id: String,
    pub channel_name: String,
    /// The team's own id in Teams, which is its General channel's id.
    pub team_thread_id: String,
    pub team_name: String,
    pub group_id: String,
}

/// The parts every activity from a person shares.
fn envelope(sim: &SimState, kind: &str, id: &str, from: &TeamsUser) -> Value {
    let now = Utc::now();
    json!({
        "type": kind,
        "id": id,
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "localTimestamp": now.to_rfc3339_opts(SecondsFormat::Millis, false),
        "localTimezone": "Etc/UTC",
        "serviceUrl": sim.teams_service_url(),
        "channelId": CHANNEL_ID,
        "from": {
            "id": from.teams_id,
            "name": from.name,
            "aadObjectId": from.object_id,
        },
        "conversation": {
            "conversationType": "personal",
            "tenantId": sim.tenant_id,
            "id": from.conversation_id,
        },
        "recipient": {
            "id": bot_account_id(&sim.registration.client_id),
            "name": BOT_NAME,
        },
        "entities": [{
            "type": "clientInfo",
            "locale": "en-US",
            "country": "US",
            "platform": "Web",
            "timezone": "Etc/UTC",
        }],
        "channelData": {"tenant": {"id": sim.tenant_id}},
        "locale": "en-US",
    })
}

/// A message a person typed, in their 1:1 chat or as a channel post that @mentions the bot.
pub fn message(sim: &SimState, id: &str, from: &TeamsUser, text: &str, place: &Place) -> Value {
    let mut activity = envelope(sim, "message", id, from);
    activity["textFormat"] = json!("plain");
    activity["attachments"] = json!([]);
    match place {
        Place::Personal => activity["text"] = json!(text),
        Place::Channel(channel) => {
            // In a channel the bot hears only messages that @mention it; the mention is both in
            // the text and in an entity, which is what bots strip it by.
            let tag = format!("<at>{BOT_NAME}</at>");
            activity["text"] = json!(format!("{tag} {text}"));
            activity["textFormat"] = json!("xml");
            if let Some(entities) = activity["entities"].as_array_mut() {
                entities.insert(
                    0,
                    json!({
                        "type": "mention",
                        "mentioned": {
                            "id": bot_account_id(&sim.registration.client_id),
                            "name": BOT_NAME,
                        },
                        "text": tag,
                    }),
                );
            }
            activity["conversation"] = json!({
                "isGroup": true,
                "conversationType": "channel",
                "tenantId": sim.tenant_id,
                "id": channel.conversation_id,
            });
            activity["channelData"] = json!({
                "teamsChannelId": channel.channel_id,
                "teamsTeamId": channel.team_thread_id,
                "channel": {"id": channel.channel_id, "name": channel.channel_name},
                "team": {
                    "id": channel.team_thread_id,
                    "name": channel.team_name,
                    "aadGroupId": channel.group_id,
                },
                "tenant": {"id": sim.tenant_id},
            });
        }
    }
    activity
}

/// An `adaptiveCard/action` invoke: a click on an `Action.Execute` of the card `reply_to_id`
/// (`trigger` "manual"), or the card refreshing itself as it is shown ("automatic").
pub fn card_action(
    sim: &SimState,
    id: &str,
    from: &TeamsUser,
    reply_to_id: &str,
    action: Value,
    trigger: &str,
) -> Value {
    let mut activity = envelope(sim, "invoke", id, from);
    activity["name"] = json!("adaptiveCard/action");
    activity["replyToId"] = json!(reply_to_id);
    activity["value"] = json!({"action": action, "trigger": trigger});
    activity
}

/// The JWT the Bot Connector sends with an activity: signed with the Bot Framework's key, for
/// the bot's app id, bound to the activity's `serviceUrl`.
pub fn connector_jwt(sim: &SimState) -> String {
    let now = Utc::now().timestamp();
    sim.teams.key.sign(&json!({
        "serviceurl": sim.teams_service_url(),
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_SECONDS,
        "iss": BOT_FRAMEWORK_ISSUER,
        "aud": sim.registration.client_id,
    }))
}
