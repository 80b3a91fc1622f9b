//! Authentication-method operations: listing methods, admin password reset, Temporary Access
//! Pass.
//!
//! Owns the `/users/{id}/authentication` paths. Must not: hold a generated password or pass in
//! anything but a `SecretString`, replay an issuance that may already have happened (each is a
//! separate security event), or write with anything but a person's token.

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::client::{Access, GraphClient, GraphRequest, Graphed};
use super::error::{GraphError, decode_error};
use super::model::{AuthenticationMethod, TemporaryAccessPass};
use super::path::{encode_key, user_path};
use super::token::{Bearer, DelegatedToken};

/// The id Entra ID gives every user's password method.
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// The Temporary Access Pass lifetimes Entra ID accepts, in minutes.
pub const TEMPORARY_ACCESS_PASS_LIFETIME_MINUTES: std::ops::RangeInclusive<u32> = 10..=43200;

/// The outcome of an accepted password reset.
#[derive(Clone, Debug)]
pub struct PasswordReset {
    /// The `Location` of the long-running operation to poll (`.../authentication/operations/{id}`).
    pub operation_location: Option<String>,
    /// The password Entra ID generated, when it returned one.
    pub new_password: Option<SecretString>,
}

/// Whether a Temporary Access Pass works for one sign-in or for many within its lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemporaryAccessPassUse {
    Once,
    /// Allowed only when the tenant's policy allows multi-use passes.
    Repeatedly,
}

impl GraphClient {
    /// The user's registered authentication methods: `GET /users/{id}/authentication/methods`.
    /// Graph page: "List methods" (authentication-list-methods). Least delegated scope:
    /// `UserAuthenticationMethod.Read.All` for others (`UserAuthenticationMethod.Read` for
    /// oneself), with an authentication reader or administrator role.
    pub async fn authentication_methods(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<Vec<AuthenticationMethod>>, GraphError> {
        let request =
            GraphRequest::get(format!("{}/authentication/methods", user_path(id_or_upn)?));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Resets the user's password to one Entra ID generates:
    /// `POST /users/{id}/authentication/methods/{password-method-id}/resetPassword` with `{}`.
    /// Graph answers `202` with a `Location` to poll and the generated password; the user must
    /// change it at next sign-in. Cloud-only users only, and never the caller's own account.
    /// Graph page: "authenticationMethod: resetPassword" (authenticationmethod-resetpassword).
    /// Least delegated scope: `UserAuthenticationMethod.ReadWrite.All`, with Authentication
    /// Administrator or Privileged Authentication Administrator.
    pub async fn reset_password(
        &self,
        token: &DelegatedToken,
        id_or_upn: &str,
        password_method_id: &str,
    ) -> Result<Graphed<PasswordReset>, GraphError> {
        let request = GraphRequest::post(
            format!(
                "{}/authentication/methods/{}/resetPassword",
                user_path(id_or_upn)?,
                encode_key(password_method_id)?
            ),
            Some(json!({})),
        )
        .creating_a_new_object();
        let answer = self.call_raw(Access::Write(token), request).await?;
        // The body may be empty (202 with nothing but Location) or carry `newPassword`.
        let new_password = if answer.body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            serde_json::from_slice::<PasswordResetResponse>(&answer.body)
                .map_err(|error| {
                    decode_error(
                        &error,
                        answer.status,
                        answer.request_id.clone(),
                        &answer.client_request_id,
                    )
                })?
                .new_password
        };
        Ok(Graphed {
            value: PasswordReset {
                operation_location: answer.location,
                new_password,
            },
            request_id: answer.request_id,
        })
    }

    /// Issues a Temporary Access Pass: `POST /users/{id}/authentication/temporaryAccessPassMethods`
    /// with `lifetimeInMinutes` (10 to 43200) and `isUsableOnce`. The pass is in the answer and
    /// nowhere else; a new pass replaces the user's previous one. Graph page: "Create
    /// temporaryAccessPassMethod" (authentication-post-temporaryaccesspassmethods). Least
    /// delegated scope: `UserAuthMethod-TAP.ReadWrite.All` (older docs:
    /// `UserAuthenticationMethod.ReadWrite.All`), with Authentication Administrator or Privileged
    /// Authentication Administrator.
    pub async fn create_temporary_access_pass(
        &self,
        token: &DelegatedToken,
        id_or_upn: &str,
        lifetime_minutes: u32,
        usage: TemporaryAccessPassUse,
    ) -> Result<Graphed<TemporaryAccessPass>, GraphError> {
        if !TEMPORARY_ACCESS_PASS_LIFETIME_MINUTES.contains(&lifetime_minutes) {
            return Err(GraphError::InvalidRequest {
                reason: format!(
                    "a temporary access pass lasts 10 to 43200 minutes, not {lifetime_minutes}"
                ),
            });
        }
        let body = json!({
            "lifetimeInMinutes": lifetime_minutes,
            "isUsableOnce": usage == TemporaryAccessPassUse::Once,
        });
        let request = GraphRequest::post(
            format!(
                "{}/authentication/temporaryAccessPassMethods",
                user_path(id_or_upn)?
            ),
            Some(body),
        )
        .creating_a_new_object();
        self.call_json(Access::Write(token), request).await
    }
}

/// Graph's `passwordResetResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::graph) struct PasswordResetResponse {
    pub(in crate::graph) new_password: Option<SecretString>,
}
