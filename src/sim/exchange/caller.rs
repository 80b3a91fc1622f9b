//! Who calls the admin API: the bearer token checked as Exchange Online checks it (signature,
//! issuer, lifetime, tenant, and an audience of Exchange Online, never Graph), and the route's
//! permission in it. A token for Graph is refused here with 401, as Graph refuses this one.

use axum::http::{HeaderMap, StatusCode, header};
use jsonwebtoken::{Algorithm, Validation};

use super::answer::ExoError;
use crate::sim::SimState;
use crate::sim::login::{AccessClaims, EXCHANGE_RESOURCE, graph_issuer};

/// Exchange Online's application id, the other form of its audience.
const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// The application permissions that let an app-only token use the admin API (read only here).
const APP_ROLES: &[&str] = &["Exchange.ManageAsApp", "Exchange.ManageAsAppV2"];

/// Who holds the bearer token.
#[derive(Debug, Clone)]
pub enum Caller {
    /// A delegated token: a person, through the app, with these Exchange permissions.
    User {
        id: String,
        upn: String,
        scopes: Vec<String>,
    },
    /// An app-only token with these application permissions.
    App { roles: Vec<String> },
}

impl Caller {
    /// How the logs name the caller, as the Graph log does: the UPN, or `app`.
    pub fn label(&self) -> String {
        match self {
            Caller::User { upn, .. } => upn.clone(),
            Caller::App { .. } => "app".to_owned(),
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match self {
            Caller::User { id, .. } => Some(id),
            Caller::App { .. } => None,
        }
    }

    /// Whether the token carries the route's permission: `scope` for a person, an
    /// `Exchange.ManageAsApp` role for an app.
    pub fn may_use(&self, scope: &str) -> bool {
        match self {
            Caller::User { scopes, .. } => {
                scopes.iter().any(|have| have.eq_ignore_ascii_case(scope))
            }
            Caller::App { roles } => roles
                .iter()
                .any(|have| APP_ROLES.iter().any(|role| role.eq_ignore_ascii_case(have))),
        }
    }
}

/// A 401 as Exchange answers it.
pub fn unauthorized(reason: &str) -> ExoError {
    ExoError::request(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        format!("The access token is missing or invalid: {reason}"),
    )
}

/// The `WWW-Authenticate` challenge of a 401, naming Exchange Online as the resource to get a
/// token for.
pub const CHALLENGE: &str = "Bearer client_id=\"00000002-0000-0ff1-ce00-000000000000\", trusted_issuers=\"00000001-0000-0000-c000-000000000000@*\", token_types=\"app_asserted_user_v1 service_asserted_app_v1\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"invalid_token\"";

/// Checks the bearer token; the caller, or the 401 to answer.
pub fn authenticate(state: &SimState, headers: &HeaderMap) -> Result<Caller, ExoError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| unauthorized("no bearer token"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[EXCHANGE_RESOURCE, EXCHANGE_APP_ID]);
    validation.set_issuer(&[graph_issuer(&state.tenant_id)]);
    validation.leeway = 30;
    let claims: AccessClaims =
        state
            .keys
            .verify(token, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    unauthorized("the token has expired")
                }
                jsonwebtoken::errors::ErrorKind::InvalidAudience => {
                    unauthorized("the token's audience is not Exchange Online")
                }
                jsonwebtoken::errors::ErrorKind::InvalidIssuer => {
                    unauthorized("the token was not issued for this tenant")
                }
                _ => unauthorized("the token does not verify"),
            })?;
    if claims.tid != state.tenant_id {
        return Err(unauthorized("the token was not issued for this tenant"));
    }
    if claims.idtyp.as_deref() == Some("app") || claims.scp.is_none() {
        if claims.oid != state.registration.service_principal_id {
            return Err(unauthorized("the application is unknown"));
        }
        return Ok(Caller::App {
            roles: claims.roles,
        });
    }
    let directory = state.directory();
    let user = directory
        .user(&claims.oid)
        .ok_or_else(|| unauthorized("the token's user no longer exists"))?;
    Ok(Caller::User {
        id: user.id.clone(),
        upn: user.upn.clone(),
        scopes: claims
            .scp
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    })
}
