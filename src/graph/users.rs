//! User operations: profile, manager, memberships, membership checks, sign-in session revocation.
//!
//! Owns the user paths (`/me`, `/users/{id}` and below). Must not: send a write with anything
//! but a person's token, or claim to know "no manager" from "no such user": Graph answers both
//! with `404 Request_ResourceNotFound`, so read the user first when the difference matters.

use serde_json::json;

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::{CODE_RESOURCE_NOT_FOUND, GraphError};
use super::model::{Collection, DirectoryObject, User};
use super::path::{QueryOptions, user_path};
use super::token::{Bearer, DelegatedToken};

/// Graph's largest page size for `/users`.
pub const USERS_MAX_PAGE_SIZE: u32 = 999;

/// `checkMemberGroups` accepts at most this many group ids per request.
pub const CHECK_MEMBER_GROUPS_LIMIT: usize = 20;

impl GraphClient {
    /// The signed-in person: `GET /me`. Graph page: "Get user" (user-get). Least delegated
    /// scope: `User.Read`. Takes a person's token because `/me` means nothing to an app token.
    pub async fn me(&self, token: &DelegatedToken) -> Result<Graphed<User>, GraphError> {
        let request = GraphRequest::get("/me".to_owned());
        self.call_json(Access::Read(Bearer::Delegated(token)), request)
            .await
    }

    /// A user by id or UPN: `GET /users/{id | userPrincipalName}?$select=...`. An empty
    /// `select` returns Graph's default set; `department`, `accountEnabled`, `userType` and
    /// `employeeType` must be selected; `id` is always added. Graph page: "Get user"
    /// (user-get). Least delegated scope: `User.Read.All` (`User.ReadBasic.All` covers only
    /// the basic profile).
    pub async fn user(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
        select: &[&str],
    ) -> Result<Graphed<User>, GraphError> {
        let mut query = QueryOptions::new();
        query.push_select_with_id(select);
        let request = GraphRequest::get(query.apply_to(&user_path(id_or_upn)?));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// Every user matching `filter` (an OData `$filter` expression such as
    /// `accountEnabled eq false`), every page: `GET /users?$filter=&$select=&$top=`. `top` is
    /// the page size (1 to 999), `id` is always selected, and `accountEnabled`, `department`,
    /// `userType` and `employeeType` arrive only when selected. Filters that need advanced
    /// query support (`ne`, `not`, `endsWith`, `$count`) are not sent with
    /// `ConsistencyLevel: eventual` here. Graph page: "List users" (user-list). Least delegated
    /// scope: `User.ReadBasic.All` (basic profile only); `User.Read.All` for the rest.
    pub async fn users(
        &self,
        bearer: impl Into<Bearer<'_>>,
        filter: Option<&str>,
        select: &[&str],
        top: Option<u32>,
    ) -> Result<Graphed<Vec<User>>, GraphError> {
        let mut query = QueryOptions::new();
        if let Some(filter) = filter {
            query.push("$filter", filter);
        }
        query.push_select_with_id(select);
        if let Some(top) = top {
            query.push("$top", &top.clamp(1, USERS_MAX_PAGE_SIZE).to_string());
        }
        let request = GraphRequest::get(query.apply_to("/users"));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// The user's manager: `GET /users/{id}/manager`, or `None` when Graph answers
    /// `404 Request_ResourceNotFound`, which is how it reports that no manager is set. Graph
    /// page: "List manager" (user-list-manager). Least delegated scope: `User.Read.All`.
    pub async fn manager(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<Option<DirectoryObject>>, GraphError> {
        let request = GraphRequest::get(format!("{}/manager", user_path(id_or_upn)?));
        match self.call_json(Access::Read(bearer.into()), request).await {
            Ok(found) => Ok(found.map(Some)),
            Err(GraphError::NotFound(failure))
                if failure.code.as_deref() == Some(CODE_RESOURCE_NOT_FOUND) =>
            {
                Ok(Graphed {
                    value: None,
                    request_id: failure.request_id,
                })
            }
            Err(other) => Err(other),
        }
    }

    /// The user's *direct* memberships (groups, directory roles, administrative units), every
    /// page: `GET /users/{id}/memberOf`. Graph page: "List a user's direct memberships"
    /// (user-list-memberof). Least delegated scope: `User.Read` for oneself;
    /// `GroupMember.Read.All` with `User.ReadBasic.All` for others.
    pub async fn member_of(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<Vec<DirectoryObject>>, GraphError> {
        let request = GraphRequest::get(format!("{}/memberOf", user_path(id_or_upn)?));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Which of `group_ids` the user belongs to, *transitively*:
    /// `POST /users/{id}/checkMemberGroups` with `{"groupIds": [...]}`, in batches of
    /// [`CHECK_MEMBER_GROUPS_LIMIT`]. The request id returned is the first batch's. Graph page:
    /// "directoryObject: checkMemberGroups". Least delegated scope: `User.ReadBasic.All` with
    /// `GroupMember.Read.All`. A read, although it is a POST.
    pub async fn check_member_groups(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
        group_ids: &[&str],
    ) -> Result<Graphed<Vec<String>>, GraphError> {
        let path = format!("{}/checkMemberGroups", user_path(id_or_upn)?);
        self.member_groups_at(bearer.into(), path, group_ids).await
    }

    /// Which of `group_ids` the signed-in user belongs to, as they see it:
    /// `POST /me/checkMemberGroups`. Needs only `User.Read` on a delegated token.
    pub async fn my_member_groups(
        &self,
        bearer: impl Into<Bearer<'_>>,
        group_ids: &[&str],
    ) -> Result<Graphed<Vec<String>>, GraphError> {
        self.member_groups_at(bearer.into(), "/me/checkMemberGroups".to_owned(), group_ids)
            .await
    }

    async fn member_groups_at(
        &self,
        bearer: Bearer<'_>,
        path: String,
        group_ids: &[&str],
    ) -> Result<Graphed<Vec<String>>, GraphError> {
        let mut matching = Vec::new();
        let mut first_request_id = None;
        for (batch_number, batch) in group_ids.chunks(CHECK_MEMBER_GROUPS_LIMIT).enumerate() {
            let request = GraphRequest::post(path.clone(), Some(json!({ "groupIds": batch })));
            let answer: Graphed<Collection<String>> =
                self.call_json(Access::Read(bearer), request).await?;
            if batch_number == 0 {
                first_request_id = answer.request_id;
            }
            matching.extend(answer.value.value);
        }
        Ok(Graphed {
            value: matching,
            request_id: first_request_id,
        })
    }

    /// Invalidates the user's refresh tokens and browser sessions:
    /// `POST /users/{id}/revokeSignInSessions`. Already-issued access tokens stay valid until
    /// they expire. Graph documents `200 {"value": true}` but is known to answer other success
    /// codes, so any 2xx counts. Graph page: "user: revokeSignInSessions". Least delegated
    /// scope: `User.RevokeSessions.All` (older docs: `User.ReadWrite.All`), and a role such as
    /// User Administrator for anyone but oneself.
    pub async fn revoke_sign_in_sessions(
        &self,
        token: &DelegatedToken,
        id_or_upn: &str,
    ) -> Result<Graphed<()>, GraphError> {
        let request = GraphRequest::post(
            format!("{}/revokeSignInSessions", user_path(id_or_upn)?),
            None,
        );
        self.call_without_answer(Access::Write(token), request)
            .await
    }
}
