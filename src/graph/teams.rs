//! Teams and channel operations: reading teams and channels, and team/channel membership.
//!
//! Owns the `/teams` paths and the `aadUserConversationMember` body. Must not: express owner or
//! member as a bool (use [`TeamRole`]), or write with anything but a person's token.

use serde_json::json;

use super::GRAPH_REFERENCE_ROOT;
use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{Channel, ConversationMember, Team};
use super::path::{QueryOptions, encode_key, quoted_key};
use super::token::{Bearer, DelegatedToken};

/// The role a person is given in a team or channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamRole {
    /// `"roles": []`.
    Member,
    /// `"roles": ["owner"]`.
    Owner,
}

impl TeamRole {
    /// The `roles` array Graph expects for this role.
    pub fn graph_roles(self) -> &'static [&'static str] {
        match self {
            TeamRole::Member => &[],
            TeamRole::Owner => &["owner"],
        }
    }
}

impl GraphClient {
    /// One team: `GET /teams/{id}` (the id of its Microsoft 365 group). Graph page: "Get team"
    /// (team-get). Least delegated scope: `Team.ReadBasic.All`.
    pub async fn team(
        &self,
        bearer: impl Into<Bearer<'_>>,
        team_id: &str,
    ) -> Result<Graphed<Team>, GraphError> {
        let request = GraphRequest::get(format!("/teams/{}", encode_key(team_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The team's members, every page: `GET /teams/{id}/members`. Graph page: "List members of
    /// team" (team-list-members). Least delegated scope: `TeamMember.Read.All`.
    pub async fn team_members(
        &self,
        bearer: impl Into<Bearer<'_>>,
        team_id: &str,
    ) -> Result<Graphed<Vec<ConversationMember>>, GraphError> {
        let request = GraphRequest::get(format!("/teams/{}/members", encode_key(team_id)?));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Adds a person to a team: `POST /teams/{id}/members` with an
    /// `aadUserConversationMember` bound to `https://graph.microsoft.com/v1.0/users('{id}')`.
    /// Answers `201` with the membership; disabled users yield `404`, and the change can take a
    /// while to show. Graph page: "Add member to team" (team-post-members). Least delegated
    /// scope: `TeamMember.ReadWriteNonOwnerRole.All` for members, `TeamMember.ReadWrite.All`
    /// for owners.
    pub async fn add_team_member(
        &self,
        token: &DelegatedToken,
        team_id: &str,
        user_id_or_upn: &str,
        role: TeamRole,
    ) -> Result<Graphed<ConversationMember>, GraphError> {
        let request = GraphRequest::post(
            format!("/teams/{}/members", encode_key(team_id)?),
            Some(conversation_member_body(user_id_or_upn, role)?),
        );
        self.call_json(Access::Write(token), request).await
    }

    /// Removes a membership: `DELETE /teams/{id}/members/{membership-id}`, where the
    /// membership id is [`ConversationMember::id`], not the user id. Graph page: "Remove member
    /// from team" (team-delete-members). Least delegated scope:
    /// `TeamMember.ReadWriteNonOwnerRole.All` for members, `TeamMember.ReadWrite.All` for owners.
    pub async fn remove_team_member(
        &self,
        token: &DelegatedToken,
        team_id: &str,
        membership_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/teams/{}/members/{}",
            encode_key(team_id)?,
            encode_key(membership_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }

    /// The team's channels: `GET /teams/{id}/channels?$select=` (an empty `select` returns
    /// Graph's default set; `id` is always added). An app-only token with
    /// `Channel.ReadBasic.All` sees private and shared channels too; a person sees only those
    /// they belong to. Graph page: "List channels" (channel-list). Least delegated scope:
    /// `Channel.ReadBasic.All`.
    pub async fn channels(
        &self,
        bearer: impl Into<Bearer<'_>>,
        team_id: &str,
        select: &[&str],
    ) -> Result<Graphed<Vec<Channel>>, GraphError> {
        let mut query = QueryOptions::new();
        query.push_select_with_id(select);
        let request =
            GraphRequest::get(query.apply_to(&format!("/teams/{}/channels", encode_key(team_id)?)));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// One channel: `GET /teams/{id}/channels/{channel-id}`, the channel id percent-encoded
    /// (`19%3A...%40thread.tacv2`). Graph page: "Get channel" (channel-get). Least delegated
    /// scope: `Channel.ReadBasic.All`.
    pub async fn channel(
        &self,
        bearer: impl Into<Bearer<'_>>,
        team_id: &str,
        channel_id: &str,
    ) -> Result<Graphed<Channel>, GraphError> {
        let request = GraphRequest::get(format!(
            "/teams/{}/channels/{}",
            encode_key(team_id)?,
            encode_key(channel_id)?
        ));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The channel's direct members, every page: `GET /teams/{id}/channels/{channel-id}/members`.
    /// There is no owners list; owners are the members whose roles contain `owner`. Graph page:
    /// "List members of a channel" (channel-list-members). Least delegated scope:
    /// `ChannelMember.Read.All`.
    pub async fn channel_members(
        &self,
        bearer: impl Into<Bearer<'_>>,
        team_id: &str,
        channel_id: &str,
    ) -> Result<Graphed<Vec<ConversationMember>>, GraphError> {
        let request = GraphRequest::get(format!(
            "/teams/{}/channels/{}/members",
            encode_key(team_id)?,
            encode_key(channel_id)?
        ));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Adds a person to a private or shared channel:
    /// `POST /teams/{id}/channels/{channel-id}/members`, same body as a team member. Standard
    /// channels have no members of their own and refuse this. Graph page: "Add member to
    /// channel" (channel-post-members). Least delegated scope: `ChannelMember.ReadWrite.All`.
    pub async fn add_channel_member(
        &self,
        token: &DelegatedToken,
        team_id: &str,
        channel_id: &str,
        user_id_or_upn: &str,
        role: TeamRole,
    ) -> Result<Graphed<ConversationMember>, GraphError> {
        let request = GraphRequest::post(
            format!(
                "/teams/{}/channels/{}/members",
                encode_key(team_id)?,
                encode_key(channel_id)?
            ),
            Some(conversation_member_body(user_id_or_upn, role)?),
        );
        self.call_json(Access::Write(token), request).await
    }

    /// Changes the role of a channel membership:
    /// `PATCH /teams/{id}/channels/{channel-id}/members/{membership-id}` with the
    /// `aadUserConversationMember` type and its `roles`. Answers `200` with the membership.
    /// Graph page: "Update member in channel" (channel-update-members). Least delegated scope:
    /// `ChannelMember.ReadWrite.All`.
    pub async fn update_channel_member(
        &self,
        token: &DelegatedToken,
        team_id: &str,
        channel_id: &str,
        membership_id: &str,
        role: TeamRole,
    ) -> Result<Graphed<ConversationMember>, GraphError> {
        let request = GraphRequest::patch(
            format!(
                "/teams/{}/channels/{}/members/{}",
                encode_key(team_id)?,
                encode_key(channel_id)?,
                encode_key(membership_id)?
            ),
            json!({
                "@odata.type": "#microsoft.graph.aadUserConversationMember",
                "roles": role.graph_roles(),
            }),
        );
        self.call_json(Access::Write(token), request).await
    }

    /// Removes a channel membership:
    /// `DELETE /teams/{id}/channels/{channel-id}/members/{membership-id}`. Graph page: "Remove
    /// member from channel" (channel-delete-members). Least delegated scope:
    /// `ChannelMember.ReadWrite.All`.
    pub async fn remove_channel_member(
        &self,
        token: &DelegatedToken,
        team_id: &str,
        channel_id: &str,
        membership_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/teams/{}/channels/{}/members/{}",
            encode_key(team_id)?,
            encode_key(channel_id)?,
            encode_key(membership_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }
}

/// `{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": [...],
/// "user@odata.bind": "https://graph.microsoft.com/v1.0/users('{id}')"}`, as Graph documents it.
fn conversation_member_body(
    user_id_or_upn: &str,
    role: TeamRole,
) -> Result<serde_json::Value, GraphError> {
    Ok(json!({
        "@odata.type": "#microsoft.graph.aadUserConversationMember",
        "roles": role.graph_roles(),
        "user@odata.bind": format!("{GRAPH_REFERENCE_ROOT}/users({})", quoted_key(user_id_or_upn)?),
    }))
}
