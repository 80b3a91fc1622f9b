//! Bot Framework wire DTOs: the parts of an Activity Doorman reads, and the invoke response.
//!
//! Owns the serde shapes only. Must not: decide anything, or reject an activity for fields it
//! does not use (unknown fields and types are ignored, as the Activity spec asks). Every field
//! except `type` is optional here; [`super::inbound`] decides what a missing one means.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An inbound activity. A body without `type` does not parse, which the route answers with 400.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Activity {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub service_url: Option<String>,
    #[serde(default)]
    pub channel_id: Option<String>,
    #[serde(default)]
    pub from: Option<ChannelAccount>,
    #[serde(default)]
    pub recipient: Option<ChannelAccount>,
    #[serde(default)]
    pub conversation: Option<ConversationAccount>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub reply_to_id: Option<String>,
    #[serde(default)]
    pub channel_data: Option<ChannelData>,
    /// Kept raw: Teams mixes mentions with `clientInfo` and other entity kinds.
    #[serde(default)]
    pub entities: Option<Vec<Value>>,
    #[serde(default)]
    pub members_added: Option<Vec<ChannelAccount>>,
    /// `add` or `remove` on an `installationUpdate`.
    #[serde(default)]
    pub action: Option<String>,
}

/// A person or bot: `29:...` (a user, scoped to this bot) or `28:<appId>` (a bot).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChannelAccount {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The Entra object id; present for people in a tenant, absent for bots.
    #[serde(default)]
    pub aad_object_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ConversationAccount {
    #[serde(default)]
    pub id: Option<String>,
    /// `personal`, `groupChat` or `channel`.
    #[serde(default)]
    pub conversation_type: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub is_group: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct ChannelData {
    #[serde(default)]
    pub tenant: Option<TenantInfo>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct TenantInfo {
    #[serde(default)]
    pub id: Option<String>,
}

/// `value` of an `adaptiveCard/action` invoke.
#[derive(Debug, Clone, Deserialize)]
pub(super) struct AdaptiveCardInvoke {
    pub action: InvokeAction,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct InvokeAction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub verb: Option<String>,
    #[serde(default)]
    pub data: Option<Value>,
}

/// The body of the HTTP answer to an invoke. The HTTP status is set to `status_code` too, as the
/// Bot Framework SDKs do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InvokeResponse {
    pub status_code: u16,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: Value,
}

/// The content type of an Adaptive Card attachment or invoke answer.
pub(super) const ADAPTIVE_CARD: &str = "application/vnd.microsoft.card.adaptive";
/// The content type of an invoke answer that is a plain message.
pub(super) const ACTIVITY_MESSAGE: &str = "application/vnd.microsoft.activity.message";
/// The content type of an invoke answer that is an error.
pub(super) const ERROR: &str = "application/vnd.microsoft.error";

impl Activity {
    /// The tenant, as the envelope says: `conversation.tenantId`, else `channelData.tenant.id`.
    pub fn tenant(&self) -> Option<&str> {
        let from_conversation = self
            .conversation
            .as_ref()
            .and_then(|conversation| conversation.tenant_id.as_deref());
        let from_channel_data = self
            .channel_data
            .as_ref()
            .and_then(|data| data.tenant.as_ref())
            .and_then(|tenant| tenant.id.as_deref());
        from_conversation
            .or(from_channel_data)
            .filter(|tenant| !tenant.is_empty())
    }
}

impl InvokeResponse {
    pub fn card(card: Value) -> Self {
        InvokeResponse {
            status_code: 200,
            kind: ADAPTIVE_CARD,
            value: card,
        }
    }

    pub fn message(text: impl Into<String>) -> Self {
        InvokeResponse {
            status_code: 200,
            kind: ACTIVITY_MESSAGE,
            value: Value::String(text.into()),
        }
    }

    pub fn error(status_code: u16, code: &str, message: impl Into<String>) -> Self {
        InvokeResponse {
            status_code,
            kind: ERROR,
            value: serde_json::json!({"code": code, "message": message.into()}),
        }
    }
}
