//! Authentication-method operations: listing methods, admin password reset, Temporary Access
//! Pass.
//!
//! Owns the `/users/{id}/authentication` paths. Must not: hold a generated password or pass in
//! anything but a `SecretString`, replay an issuance that may already have happened (each is a
//! separate security event), or write with anything but a person's token.

use secrecy::{ExposeSecret, SecretString};
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

    /// Resets the user's password:
    /// `POST /users/{id}/authentication/methods/{password-method-id}/resetPassword` with
    /// `{"newPassword": ...}`, or `{}` for one Entra ID generates (returned in the answer).
    /// Graph answers `202` with a `Location` to poll; the user must change the password at
    /// next sign-in. Never the caller's own account.
    /// Graph page: "authenticationMethod: resetPassword" (authenticationmethod-resetpassword).
    /// Least delegated scope: `UserAuthenticationMethod.ReadWrite.All`, with Authentication
    /// Administrator or Privileged Authentication Administrator.
    pub async fn reset_password(
        &self,
        token: &DelegatedToken,
        id_or_upn: &str,
        password_method_id: &str,
        new_password: Option<&SecretString>,
    ) -> Result<Graphed<PasswordReset>, GraphError> {
        let body = match new_password {
            Some(password) => json!({"newPassword": password.expose_secret()}),
            None => json!({}),
        };
        let request = GraphRequest::post(
            format!(
                "{}/authentication/methods/{}/resetPassword",
                user_path(id_or_upn)?,
                encode_key(password_method_id)?
            ),
            Some(body),
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

impl GraphClient {
    /// Where a password reset stands: `GET /users/{id}/authentication/operations/{id}`, the
    /// operation named by the last segment of the reset's `Location` (read on Graph's own base,
    /// never on the origin the header names). Graph page: "Get longRunningOperation".
    pub async fn password_reset_status(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
        operation_location: &str,
    ) -> Result<Graphed<OperationStatus>, GraphError> {
        let operation = operation_location
            .split(['?', '#'])
            .next()
            .and_then(|path| path.trim_end_matches('/').rsplit('/').next())
            .unwrap_or_default();
        let request = GraphRequest::get(format!(
            "{}/authentication/operations/{}",
            user_path(id_or_upn)?,
            encode_key(operation)?
        ));
        self.call_json(Access::Read(bearer.into()), request).await
    }

    /// The user's Temporary Access Passes (at most one): `GET
    /// /users/{id}/authentication/temporaryAccessPassMethods`. The pass itself is never listed.
    pub async fn temporary_access_passes(
        &self,
        bearer: impl Into<Bearer<'_>>,
        id_or_upn: &str,
    ) -> Result<Graphed<Vec<TemporaryAccessPass>>, GraphError> {
        let request = GraphRequest::get(format!(
            "{}/authentication/temporaryAccessPassMethods",
            user_path(id_or_upn)?
        ));
        self.list_all(Access::Read(bearer.into()), request).await
    }

    /// Removes one registered method: `DELETE /users/{id}/authentication/{collection}/{id}`,
    /// where `collection` is the method's kind as Graph names its collection
    /// (`microsoftAuthenticatorMethods`, `phoneMethods`, `softwareOathMethods`, ...). Least
    /// delegated scope: `UserAuthenticationMethod.ReadWrite.All`, with Authentication
    /// Administrator (Privileged Authentication Administrator for an administrator).
    pub async fn delete_authentication_method(
        &self,
        token: &DelegatedToken,
        id_or_upn: &str,
        collection: &str,
        method_id: &str,
    ) -> Result<Graphed<()>, GraphError> {
        if !REMOVABLE_COLLECTIONS.contains(&collection) {
            return Err(GraphError::InvalidRequest {
                reason: format!("{collection} is not a method collection Doorman removes"),
            });
        }
        let request = GraphRequest::delete(format!(
            "{}/authentication/{collection}/{}",
            user_path(id_or_upn)?,
            encode_key(method_id)?
        ));
        self.call_without_answer(Access::Write(token), request)
            .await
    }
}

/// The method collections a lost device takes with it, the only ones Doorman removes.
const REMOVABLE_COLLECTIONS: &[&str] = &[
    "microsoftAuthenticatorMethods",
    "phoneMethods",
    "softwareOathMethods",
];

/// A long-running operation's state (`notStarted`, `running`, `succeeded`, `failed`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    pub status: String,
    #[serde(default)]
    pub status_detail: Option<String>,
}

/// Graph's `passwordResetResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(in crate::graph) struct PasswordResetResponse {
    pub(in crate::graph) new_password: Option<SecretString>,
}
