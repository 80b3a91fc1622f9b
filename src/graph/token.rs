//! Access tokens for Microsoft Graph, and the source of app-only tokens.
//!
//! Owns the two token kinds, the [`Bearer`] that read operations accept, and the
//! client-credentials flow behind [`AppTokenSource`]. Must not: let an app-only token reach a
//! write (every write takes `&DelegatedToken`, so doing so is a type error), print a token or the
//! client secret through `Debug`, `Display` or an error, or expose a raw token outside the two
//! Microsoft clients (`crate::graph`, and `crate::exchange`, which takes the same token kinds).

use std::fmt;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, ClientId, ClientSecret, EndpointNotSet, EndpointSet, RequestTokenError, Scope,
    StandardErrorResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::config::TrustedRoots;

/// The scope that asks Entra ID for every application permission granted to the app on Graph.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// A cached app-only token is renewed once less than this much of its lifetime remains, so a
/// token never expires in the middle of a retried call.
pub const APP_TOKEN_RENEWAL_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A person's access token for Graph, obtained through the authorization-code or on-behalf-of
/// flow. Only this kind of token may be used for writes, so every change Doorman makes is
/// attributed to the person who asked for it.
#[derive(Clone)]
pub struct DelegatedToken(SecretString);

/// An app-only (client-credentials) access token. It may read, and nothing else: no write
/// operation accepts it.
#[derive(Clone)]
pub struct AppToken(SecretString);

/// The token a read operation is sent with. Reads take `impl Into<Bearer<'_>>`, so callers pass
/// `&DelegatedToken` or `&AppToken` directly. Writes take `&DelegatedToken` only, so this
/// compiles:
///
/// ```no_run
/// # async fn grant(client: &doorman::graph::GraphClient, person: &doorman::graph::DelegatedToken) {
/// let _ = client.add_member(person, "group-id", "user-id").await;
/// # }
/// ```
///
/// and the same write with an app-only token does not:
///
/// ```compile_fail,E0308
/// # async fn grant(client: &doorman::graph::GraphClient, app: &doorman::graph::AppToken) {
/// let _ = client.add_member(app, "group-id", "user-id").await;
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub enum Bearer<'a> {
    /// A person's token.
    Delegated(&'a DelegatedToken),
    /// The app's own token.
    App(&'a AppToken),
}

/// Fetches, caches and renews app-only tokens from
/// `{authority}/{tenant}/oauth2/v2.0/token` with the client-credentials grant.
///
/// Concurrent callers share one fetch: the cache sits behind an async mutex that is held while a
/// new token is requested.
pub struct AppTokenSource {
    oauth_client: ClientCredentialsClient,
    http_client: reqwest::Client,
    token_url: String,
    /// The resource's `/.default`: Graph's unless [`AppTokenSource::for_scope`] says otherwise.
    scope: String,
    cached: Mutex<Option<CachedAppToken>>,
}

/// Why an app-only token could not be obtained. Messages carry the token endpoint's error code
/// and description, never the client secret or a token.
#[derive(Debug, thiserror::Error)]
pub enum AppTokenError {
    /// The tenant is not a GUID or a domain name, so it cannot be put in the token URL.
    #[error("tenant {tenant:?} is not a tenant id or domain name")]
    InvalidTenant { tenant: String },
    /// The authority and tenant do not form a valid URL.
    #[error("token endpoint url is invalid: {reason}")]
    InvalidTokenUrl { reason: String },
    /// The token endpoint answered with an OAuth error such as `invalid_client`.
    #[error("token endpoint refused the request: {error}{}", describe_option(.description))]
    Refused {
        error: String,
        description: Option<String>,
    },
    /// The token endpoint could not be reached or the connection failed.
    #[error("token endpoint unreachable: {reason}")]
    Network { reason: String },
    /// The token endpoint answered with something that is not a token response. The body is not
    /// kept, because a malformed success body may still hold a token.
    #[error("token endpoint answered with an unreadable response")]
    UnreadableResponse,
}

impl DelegatedToken {
    /// Wraps a person's raw access token.
    pub fn new(access_token: String) -> Self {
        Self(SecretString::from(access_token))
    }

    /// Wraps a person's token that is already held as a secret (from the token store).
    pub fn from_secret(access_token: SecretString) -> Self {
        Self(access_token)
    }

    /// The raw token, for the `Authorization` header of a Graph or Exchange call only.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl AppToken {
    /// Wraps a raw app-only access token.
    pub fn new(access_token: String) -> Self {
        Self(SecretString::from(access_token))
    }

    /// The raw token, for the `Authorization` header of a Graph or Exchange call only.
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl<'a> Bearer<'a> {
    /// The raw token, for the `Authorization` header of a Graph or Exchange call only.
    pub(crate) fn expose(&self) -> &'a str {
        match self {
            Bearer::Delegated(token) => token.expose(),
            Bearer::App(token) => token.expose(),
        }
    }

    /// Which kind of token this is, for logs and audit records.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Bearer::Delegated(_) => "delegated",
            Bearer::App(_) => "app",
        }
    }
}

impl From<String> for DelegatedToken {
    fn from(access_token: String) -> Self {
        Self::new(access_token)
    }
}

impl From<String> for AppToken {
    fn from(access_token: String) -> Self {
        Self::new(access_token)
    }
}

impl<'a> From<&'a DelegatedToken> for Bearer<'a> {
    fn from(token: &'a DelegatedToken) -> Self {
        Bearer::Delegated(token)
    }
}

impl<'a> From<&'a AppToken> for Bearer<'a> {
    fn from(token: &'a AppToken) -> Self {
        Bearer::App(token)
    }
}

impl fmt::Debug for DelegatedToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("DelegatedToken(..)")
    }
}

impl fmt::Debug for AppToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AppToken(..)")
    }
}

impl AppTokenSource {
    /// Prepares a token source for `tenant_id` (a GUID or a verified domain) at `authority`
    /// (`https://login.microsoftonline.com`, or a national cloud's login host). The client
    /// secret is sent in the request body, as Entra ID documents for confidential clients.
    pub fn new(
        authority: &Url,
        tenant_id: &str,
        client_id: String,
        client_secret: SecretString,
    ) -> Result<Self, AppTokenError> {
        Self::new_trusting(
            authority,
            tenant_id,
            client_id,
            client_secret,
            &TrustedRoots::default(),
        )
    }

    /// Like [`AppTokenSource::new`], trusting `roots` besides the usual ones (`[security]
    /// ca_file`).
    pub fn new_trusting(
        authority: &Url,
        tenant_id: &str,
        client_id: String,
        client_secret: SecretString,
        roots: &TrustedRoots,
    ) -> Result<Self, AppTokenError> {
        let tenant_is_plain = !tenant_id.is_empty()
            && tenant_id
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || "-.".contains(character));
        if !tenant_is_plain {
            return Err(AppTokenError::InvalidTenant {
                tenant: tenant_id.to_owned(),
            });
        }
        let token_url = format!(
            "{}/{}/oauth2/v2.0/token",
            authority.as_str().trim_end_matches('/'),
            tenant_id
        );
        let parsed_token_url =
            TokenUrl::new(token_url.clone()).map_err(|error| AppTokenError::InvalidTokenUrl {
                reason: error.to_string(),
            })?;
        let oauth_client = BasicClient::new(ClientId::new(client_id))
            .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_owned()))
            .set_token_uri(parsed_token_url)
            .set_auth_type(AuthType::RequestBody);
        // Redirects are refused so that the client secret is only ever posted to the token
        // endpoint that was configured, as the oauth2 crate recommends.
        let http_client = roots
            .http_client()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("doorman/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| AppTokenError::Network {
                reason: error.to_string(),
            })?;
        Ok(Self {
            oauth_client,
            http_client,
            token_url,
            scope: GRAPH_DEFAULT_SCOPE.to_owned(),
            cached: Mutex::new(None),
        })
    }

    /// The same source for another resource's application permissions, such as
    /// `https://outlook.office365.com/.default` for Exchange's read-only app access.
    pub fn for_scope(mut self, scope: &str) -> Self {
        scope.clone_into(&mut self.scope);
        self
    }

    /// Returns a token with at least [`APP_TOKEN_RENEWAL_MARGIN`] of life left, fetching a new
    /// one when the cached one is missing or about to expire.
    pub async fn token(&self) -> Result<AppToken, AppTokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(entry) = cached.as_ref() {
            if entry.renew_after > Instant::now() {
                return Ok(entry.token.clone());
            }
        }
        let fetched_at = Instant::now();
        let response = self
            .oauth_client
            .exchange_client_credentials()
            .add_scope(Scope::new(self.scope.clone()))
            .request_async(&self.http_client)
            .await
            .map_err(describe_token_error)?;
        let token = AppToken::new(response.access_token().secret().to_owned());
        // A response without `expires_in` is treated as already due for renewal, so the token is
        // used once and never trusted from the cache.
        let lifetime = response.expires_in().unwrap_or(Duration::ZERO);
        let renew_after = fetched_at + lifetime.saturating_sub(APP_TOKEN_RENEWAL_MARGIN);
        tracing::debug!(
            token_url = %self.token_url,
            lifetime_seconds = lifetime.as_secs(),
            scope = %self.scope,
            "fetched an app-only token"
        );
        *cached = Some(CachedAppToken {
            token: token.clone(),
            renew_after,
        });
        Ok(token)
    }
}

impl fmt::Debug for AppTokenSource {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AppTokenSource")
            .field("token_url", &self.token_url)
            .field("client_id", self.oauth_client.client_id())
            .finish_non_exhaustive()
    }
}

type ClientCredentialsClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

struct CachedAppToken {
    token: AppToken,
    renew_after: Instant,
}

fn describe_option(description: &Option<String>) -> String {
    match description {
        Some(text) => format!(": {text}"),
        None => String::new(),
    }
}

fn describe_token_error(
    error: RequestTokenError<
        oauth2::HttpClientError<reqwest::Error>,
        StandardErrorResponse<BasicErrorResponseType>,
    >,
) -> AppTokenError {
    match error {
        RequestTokenError::ServerResponse(response) => AppTokenError::Refused {
            error: response.error().as_ref().to_owned(),
            description: response.error_description().cloned(),
        },
        RequestTokenError::Request(http_error) => AppTokenError::Network {
            reason: describe_http_client_error(&http_error),
        },
        RequestTokenError::Parse(_, _) => AppTokenError::UnreadableResponse,
        RequestTokenError::Other(reason) => AppTokenError::Network { reason },
    }
}

fn describe_http_client_error(error: &oauth2::HttpClientError<reqwest::Error>) -> String {
    match error {
        // reqwest's messages name the URL and the failure, never a request header or body.
        oauth2::HttpClientError::Reqwest(inner) => inner.to_string(),
        other => other.to_string(),
    }
}
