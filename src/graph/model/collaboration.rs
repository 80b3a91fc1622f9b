//! Teams, channels and their members.
//!
//! Owns the conversation-member shape shared by team and channel membership. Must not: infer
//! ownership from anything but `roles` containing `owner`.

use serde::Deserialize;

/// A team (the Teams side of a Microsoft 365 group, with the same id).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<String>,
    pub is_archived: Option<bool>,
    pub web_url: Option<String>,
}

/// A channel of a team. Only `private` and `shared` channels have their own members.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub membership_type: Option<ChannelMembershipType>,
    pub web_url: Option<String>,
}

/// Graph's `channelMembershipType`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ChannelMembershipType {
    Standard,
    Private,
    Shared,
    UnknownFutureValue,
    /// A member Graph added after this model was written.
    #[serde(other)]
    Unrecognised,
}

/// A member of a team or channel (`aadUserConversationMember` for people). `id` is the
/// membership id used to remove the member, not the user id.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConversationMember {
    pub id: String,
    /// `[]` for a member, `["owner"]` for an owner, `["guest"]` for a guest.
    pub roles: Option<Vec<String>>,
    pub display_name: Option<String>,
    pub user_id: Option<String>,
    pub email: Option<String>,
}

impl ConversationMember {
    /// Whether `roles` lists `owner`.
    pub fn is_owner(&self) -> bool {
        self.roles
            .as_ref()
            .is_some_and(|roles| roles.iter().any(|role| role.eq_ignore_ascii_case("owner")))
    }
}
