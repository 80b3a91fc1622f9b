//! Sign-in logs: a person's latest sign-ins, which tell a lockout (50053), a wrong password
//! (50126), an expired password (50055) or a Conditional Access block (53003) apart.
//!
//! Owns `/auditLogs/signIns`. Must not: page on (the latest few are the whole question), or put
//! anything but a GUID into the `$filter` it sends. A 403 stays
//! [`GraphError::Forbidden`]: a tenant without a premium licence answers
//! `Authentication_RequestFromNonPremiumTenantOrB2CTenant`, and a token without the permissions
//! `Authentication_MSGraphPermissionMissing`, and both mean "no sign-in logs to read".

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::GraphError;
use super::model::{Collection, SignIn};
use super::path::QueryOptions;
use super::token::Bearer;

/// Graph's largest page of sign-ins.
pub const SIGN_INS_MAX_PAGE_SIZE: u32 = 1_000;

/// The error code of a 403 from a tenant without the premium licence sign-in logs need.
pub const CODE_NON_PREMIUM_TENANT: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

impl GraphClient {
    /// The user's latest `top` sign-ins, newest first, one page only:
    /// `GET /auditLogs/signIns?$filter=userId eq '{id}'&$top={top}&$orderby=createdDateTime desc`.
    /// `user_id` must be the user's object id (a GUID); `top` is kept within 1 to 1,000. Graph
    /// page: "List signIns" (signin-list). Permissions: `AuditLog.Read.All` and
    /// `Directory.Read.All` together (a documented known issue), app-only or delegated with a
    /// role that reads sign-in reports; the tenant needs Entra ID P1.
    pub async fn sign_ins(
        &self,
        bearer: impl Into<Bearer<'_>>,
        user_id: &str,
        top: u32,
    ) -> Result<Graphed<Vec<SignIn>>, GraphError> {
        let id = uuid::Uuid::parse_str(user_id).map_err(|_| GraphError::InvalidRequest {
            reason: format!("sign-ins are filtered by a user's object id, not {user_id:?}"),
        })?;
        let mut query = QueryOptions::new();
        query
            .push("$filter", &format!("userId eq '{}'", id.hyphenated()))
            .push("$top", &top.clamp(1, SIGN_INS_MAX_PAGE_SIZE).to_string())
            .push("$orderby", "createdDateTime desc");
        let request = GraphRequest::get(query.apply_to("/auditLogs/signIns"));
        let page: Graphed<Collection<SignIn>> =
            self.call_json(Access::Read(bearer.into()), request).await?;
        Ok(page.map(|page| page.value))
    }
}
