//! The authorization-code flow with PKCE and the refresh grant, through the `oauth2` crate,
//! against `{authority}/{tenant}/oauth2/v2.0/...`.
//!
//! The HTTP client follows no redirects (a token endpoint that redirects is not one to trust)
//! and errors never carry a code, a token or the client secret.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Config;

/// The identity platform returns an `id_token` beside the OAuth fields.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type EntraTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type EntraClient = Client<
    BasicErrorResponse,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What a successful token request gave.
pub struct Tokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub id_token: Option<String>,
    pub expires_in: Duration,
    pub scopes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The code or refresh token is no good any more (used, expired, revoked): sign in again.
    #[error("the grant was refused: {0}")]
    InvalidGrant(String),
    #[error("the identity platform refused the request: {0}")]
    Refused(String),
    #[error("the identity platform could not be reached: {0}")]
    Unavailable(String),
    #[error("invalid identity platform URL: {0}")]
    Url(String),
}

pub struct OAuth {
    client: EntraClient,
    http: reqwest::Client,
}

impl OAuth {
    pub fn new(config: &Config, http: reqwest::Client) -> Result<Self, OAuthError> {
        let base = config.microsoft.tenant_authority();
        let redirect = format!(
            "{}/auth/callback",
            config.server.public_url.as_str().trim_end_matches('/')
        );
        let client = Client::new(ClientId::new(config.microsoft.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                config.microsoft.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(
                AuthUrl::new(format!("{base}/oauth2/v2.0/authorize"))
                    .map_err(|error| OAuthError::Url(error.to_string()))?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{base}/oauth2/v2.0/token"))
                    .map_err(|error| OAuthError::Url(error.to_string()))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect).map_err(|error| OAuthError::Url(error.to_string()))?,
            )
            .set_auth_type(oauth2::AuthType::RequestBody);
        Ok(OAuth { client, http })
    }

    /// The authorize URL for a sign-in, and the PKCE verifier to keep for the code exchange.
    pub fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        login_hint: Option<&str>,
        scopes: &[String],
        step_up_claims: Option<&str>,
    ) -> (Url, String) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(|| CsrfToken::new(state.to_owned()))
            .add_scopes(scopes.iter().map(|scope| Scope::new(scope.clone())))
            .add_extra_param("nonce", nonce)
            .add_extra_param("response_mode", "query")
            .set_pkce_challenge(challenge);
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint);
        }
        // A step-up asks for an authentication context and a fresh sign-in, whatever session
        // the browser holds.
        if let Some(claims) = step_up_claims {
            request = request
                .add_extra_param("claims", claims.to_owned())
                .add_extra_param("prompt", "login");
        }
        let (url, _) = request.url();
        (url, verifier.secret().to_owned())
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Result<Tokens, OAuthError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(describe)?;
        Ok(tokens(response))
    }

    /// Redeems a refresh token. The identity platform answers with a new refresh token every
    /// time; the caller must save it before using the access token.
    pub async fn refresh(
        &self,
        refresh_token: &SecretString,
        scopes: &[String],
    ) -> Result<Tokens, OAuthError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .add_scopes(scopes.iter().map(|scope| Scope::new(scope.clone())))
            .request_async(&self.http)
            .await
            .map_err(describe)?;
        Ok(tokens(response))
    }
}

fn tokens(response: EntraTokenResponse) -> Tokens {
    Tokens {
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        refresh_token: response
            .refresh_token()
            .map(|token| SecretString::from(token.secret().to_owned())),
        id_token: response.extra_fields().id_token.clone(),
        expires_in: response.expires_in().unwrap_or(Duration::from_secs(3600)),
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect())
            .unwrap_or_default(),
    }
}

/// Maps the crate's error without echoing request bodies (they hold codes and secrets).
fn describe<E: std::error::Error + 'static>(
    error: RequestTokenError<E, BasicErrorResponse>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().to_string();
            let description = response.error_description().cloned().unwrap_or_default();
            // The identity platform's descriptions start with the AADSTS code; keep only that.
            let short = description.split(':').next().unwrap_or_default().to_owned();
            match response.error() {
                BasicErrorResponseType::InvalidGrant => {
                    OAuthError::InvalidGrant(format!("{code} {short}").trim().to_owned())
                }
                _ => OAuthError::Refused(format!("{code} {short}").trim().to_owned()),
            }
        }
        RequestTokenError::Request(error) => OAuthError::Unavailable(error.to_string()),
        RequestTokenError::Parse(_, _) => OAuthError::Refused("unreadable token response".into()),
        RequestTokenError::Other(message) => OAuthError::Refused(message),
    }
}
