//! What the Bot Connector accepts as a message: a non-empty `text` or at least one attachment
//! (400 `BadArgument`, in the connector's words), a `contentType` on every attachment, and the
//! whole activity within Teams' message size limit ([`MESSAGE_SIZE_MAX`]; 413
//! `MessageSizeTooBig`).

use serde_json::{Map, Value};

use super::{ConnectorError, bad_argument};

/// Teams' limit on one bot message: "about 28 KB" in older revisions of "Format your bot
/// messages", 40 KB and now 100 KB in later ones (counted in UTF-16 there). The simulator holds
/// the bot to the smallest figure, counted over the activity's JSON as sent, so a message that
/// passes here passes Teams whichever limit it applies.
pub const MESSAGE_SIZE_MAX: usize = 28 * 1024;

/// The text and attachments of a message activity the bot sent, which must have one or the
/// other and stay within the size limit.
pub(super) fn content(
    activity: &Map<String, Value>,
) -> Result<(Option<String>, Vec<Value>), ConnectorError> {
    let size = serde_json::to_vec(activity).map_or(0, |bytes| bytes.len());
    if size > MESSAGE_SIZE_MAX {
        return Err(ConnectorError::TooLarge(size));
    }
    let text = match activity.get("text") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text.clone()),
        Some(_) => return Err(bad_argument("text must be a string")),
    };
    let attachments = match activity.get("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.iter().all(is_attachment) => items.clone(),
        Some(_) => {
            return Err(bad_argument(
                "attachments must be an array of objects with a contentType",
            ));
        }
    };
    let has_text = text.as_deref().is_some_and(|text| !text.trim().is_empty());
    if !has_text && attachments.is_empty() {
        return Err(bad_argument(
            "Activity must include non empty 'text' field or at least 1 attachment",
        ));
    }
    Ok((text, attachments))
}

fn is_attachment(item: &Value) -> bool {
    item.get("contentType").and_then(Value::as_str).is_some()
}
