//! Group operations: listing, search, owners, members, and `$ref` membership changes.
//!
//! Owns the `/groups` paths. Must not: remove a member or owner without the `/$ref` suffix
//! (without it, a token that also holds user-write scope deletes the user object itself), or
//! write with anything but a person's token.

use serde_json::json;

use super::GRAPH_REFERENCE_ROOT;
use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{DirectoryObject, Group};
use super::path::{QueryOptions, encode_key, encode_query_value};
use super::token::{Bearer, DelegatedToken};

/// Graph's largest page size for `/groups`.
pub const GROUPS_MAX_PAGE_SIZE: u32 = 999;

impl GraphClient {
    /// Every group matching `filter` (an OData `$filter` expression such as
    /// `groupTypes/any(c:c eq 'Unified')`), every page: `GET /groups?$filter=&$select=&$top=`.
    /// `top` is the page size (1 to 999), `id` is always selected. Filters that need advanced
    /// query support (`ne`, `not`, `endsWith`, `$count`) are not sent with
    /// `ConsistencyLevel: eventual` here; use [`GraphClient::search_groups`] for text search.
    /// Graph page: "List groups" (group-list). Least delegated scope: `GroupMember.Read.All`.
    pub async fn groups(
        &self,
        bearer: impl Into<Bearer<'_>>,
        filter: Option<&str>,
        select: &[&str],
        top: Option<u32>,
    ) -> Result<Graphed<Vec<Group>>, GraphError> {
        let mut query = QueryOptions::new();
        if let Some(filter) = filter {
            query.push("$filter", filter);
        }
        query.push_select_with_id(select);
        if let Some(top) = top {
            query.push("$top", &top.clamp(1, GROUPS_MAX_PAGE_SIZE).to_string());
        }
        let request = GraphRequest::get(query.apply_to("/groups"));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Groups whose display name contains a word starting with `search`, every page:
    /// `GET /groups?$search="displayName:{search}"` with `ConsistencyLevel: eventual`, which
    /// `$search` requires. Double quotes and backslashes in `search` are dropped so the term
    /// cannot end the quoted search clause. The index behind `$search` lags recent changes.
    /// Graph page: "List groups" (group-list). Least delegated scope: `GroupMember.Read.All`.
    pub async fn search_groups(
        &self,
        bearer: impl Into<Bearer<'_>>,
        search: &str,
    ) -> Result<Graphed<Vec<Group>>, GraphError> {
        let term: String = search
            .chars()
            .filter(|character| *character != '"' && *character != '\\')
            .collect();
        if term.trim().is_empty() {
            return Err(GraphError::InvalidRequest {
                reason: "a group search needs a non-empty term".to_owned(),
            });
        }
        let path = format!(
            "/groups?$search={}",
            encode_query_value(&format!("\"displayName:{term}\""))
        );
        let request = GraphRequest::get(path).with_eventual_consistency();
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// One group: `GET /groups/{id}`. Graph page: "Get group" (group-get). Least delegated
    /// scope: `GroupMember.Read.All`.
    pub async fn group(
        &self,
        bearer: impl Into<Bearer<'_>>,
        group_id: &str,
    ) -> Result<Graphed<Group>, GraphError> {
        let request = GraphRequest::get(format!("/groups/{}", encode_key(group_id)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The group's owners, every page: `GET /groups/{id}/owners?$select=`. An empty `select`
    /// returns Graph's default set; `id` is always added, and Graph keeps each owner's
    /// `@odata.type` whatever is selected, so users stay distinguishable from service
    /// principals. Groups created in Exchange or synced from on-premises expose no owners.
    /// Graph page: "List group owners" (group-list-owners). Least delegated scope:
    /// `GroupMember.Read.All`.
    pub async fn owners(
        &self,
        bearer: impl Into<Bearer<'_>>,
        group_id: &str,
        select: &[&str],
    ) -> Result<Graphed<Vec<DirectoryObject>>, GraphError> {
        let mut query = QueryOptions::new();
        query.push_select_with_id(select);
        let request =
            GraphRequest::get(query.apply_to(&format!("/groups/{}/owners", encode_key(group_id)?)));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// The group's direct members, every page: `GET /groups/{id}/members`. Graph page: "List
    /// group members" (group-list-members). Least delegated scope: `GroupMember.Read.All`.
    pub async fn members(
        &self,
        bearer: impl Into<Bearer<'_>>,
        group_id: &str,
    ) -> Result<Graphed<Vec<DirectoryObject>>, GraphError> {
        let request = GraphRequest::get(format!("/groups/{}/members", encode_key(group_id)?));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Adds a member: `POST /groups/{id}/members/$ref` with
    /// `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{member}"}`. A member
    /// who is already there yields [`GraphError::AlreadyExists`]; read back before concluding,
    /// since a fresh membership may not be visible at once. Graph page: "Add members"
    /// (group-post-members). Least delegated scope: `GroupMember.ReadWrite.All`, and the person
    /// must own the group or hold a groups role; role-assignable groups also need
    /// `RoleManagement.ReadWrite.Directory`.
    pub async fn add_member(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        member_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        self.add_reference(token, group_id, "members", member_id)
            .await
    }

    /// Removes a member: `DELETE /groups/{id}/members/{member}/$ref`. Refused on groups with
    /// dynamic membership. Graph page: "Remove member" (group-delete-members). Least delegated
    /// scope: `GroupMember.ReadWrite.All`.
    pub async fn remove_member(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        member_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        self.remove_reference(token, group_id, "members", member_id)
            .await
    }

    /// Adds an owner: `POST /groups/{id}/owners/$ref`, body as for members. A repeated add
    /// yields [`GraphError::AlreadyExists`]. Owners of a group-connected site's group become
    /// site owners. Graph page: "Add owners" (group-post-owners). Least delegated scope:
    /// `GroupMember.ReadWrite.All`.
    pub async fn add_owner(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        owner_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        self.add_reference(token, group_id, "owners", owner_id)
            .await
    }

    /// Removes an owner: `DELETE /groups/{id}/owners/{owner}/$ref`. Graph page: "Remove group
    /// owner" (group-delete-owners). Least delegated scope: `GroupMember.ReadWrite.All`.
    pub async fn remove_owner(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        owner_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        self.remove_reference(token, group_id, "owners", owner_id)
            .await
    }

    async fn add_reference(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        link: &str,
        object_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let reference = format!(
            "{GRAPH_REFERENCE_ROOT}/directoryObjects/{}",
            encode_key(object_id)?
        );
        let request = GraphRequest::post(
            format!("/groups/{}/{link}/$ref", encode_key(group_id)?),
            Some(json!({ "@odata.id": reference })),
        );
        self.call_without_answer(Access::Write(token), request)
            .await
    }

    async fn remove_reference(
        &self,
        token: &DelegatedToken,
        group_id: &str,
        link: &str,
        object_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::delete(format!(
            "/groups/{}/{link}/{}/$ref",
            encode_key(group_id)?,
            encode_key(object_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }
}
