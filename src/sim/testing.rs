//! A simulator driven in-process for the simulator's own tests: its router called with
//! `oneshot`, no port and no network, and typed helpers for signing in (authorization code with
//! PKCE, as the bot does), calling Graph and the Exchange admin API, and reading the control API.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use url::Url;

use super::SimState;
use super::graph::FaultsUpdate;

pub const CONTOSO: &str = include_str!("../../tests/fixtures/contoso.json");

/// The scopes an operator signs in with: Graph and both Exchange permissions, together.
pub const OPERATOR_SCOPES: &str = "openid offline_access User.Read GroupMember.ReadWrite.All https://outlook.office365.com/Exchange.Manage https://outlook.office365.com/Exchange.ManageV2";

/// The Exchange permissions of a token request.
pub const EXCHANGE_SCOPES: &str =
    "https://outlook.office365.com/Exchange.Manage https://outlook.office365.com/Exchange.ManageV2";

/// An answer: status, headers and JSON body (null when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// The exception type named in an Exchange error's details.
    pub fn exception(&self) -> String {
        self.body
            .pointer("/error/details/0/message")
            .and_then(Value::as_str)
            .and_then(|message| message.split('|').nth(1))
            .unwrap_or_default()
            .to_owned()
    }

    pub fn warnings(&self) -> Vec<String> {
        crate::sim::directory::strings_of(self.body.get("@adminapi.warnings"))
    }

    pub fn value(&self) -> Vec<Value> {
        self.body["value"].as_array().cloned().unwrap_or_default()
    }
}

pub struct TestSim {
    pub state: Arc<SimState>,
    router: Router,
}

impl TestSim {
    pub fn new() -> TestSim {
        Self::with(CONTOSO)
    }

    pub fn with(tenant: &str) -> TestSim {
        let bot = Url::parse("http://127.0.0.1:3978").expect("bot url");
        let state = Arc::new(
            SimState::new(tenant, "http://127.0.0.1:1".to_owned(), bot).expect("the tenant loads"),
        );
        TestSim {
            router: super::router(Arc::clone(&state)),
            state,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
            .await
            .expect("a body");
        Answer {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A form POST to the token endpoint, with the registration's client id and secret.
    pub async fn token(&self, form: &[(&str, &str)]) -> Answer {
        let registration = &self.state.registration;
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", &registration.client_id),
            ("client_secret", &registration.client_secret),
        ];
        fields.extend_from_slice(form);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(format!("/{}/oauth2/v2.0/token", self.state.tenant_id))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Where `/authorize` sends `upn` back to, asking `consent` with a PKCE `challenge`.
    pub async fn authorize(&self, upn: &str, consent: &str, challenge: &str) -> Url {
        let answer = self.authorize_with(upn, consent, challenge, &[]).await;
        answer
            .headers
            .get("location")
            .and_then(|value| value.to_str().ok())
            .and_then(|location| Url::parse(location).ok())
            .expect("authorize redirects")
    }

    /// `/authorize`'s answer for `upn` asking `consent`, with `extra` parameters (`claims`,
    /// `prompt`, `nonce`) added.
    pub async fn authorize_with(
        &self,
        upn: &str,
        consent: &str,
        challenge: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let registration = &self.state.registration;
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", registration.client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", registration.redirect_uri.as_str()),
                ("scope", consent),
                ("state", "s1"),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", upn),
            ])
            .extend_pairs(extra.iter().copied())
            .finish();
        let request = Request::get(format!(
            "/{}/oauth2/v2.0/authorize?{query}",
            self.state.tenant_id
        ))
        .body(Body::empty())
        .expect("request");
        self.send(request).await
    }

    /// Authorize with `consent` as `upn`, then redeem the code with `scope` (none: no `scope`
    /// field); the token endpoint's answer.
    pub async fn redeem(&self, upn: &str, consent: &str, scope: Option<&str>) -> Answer {
        let verifier = format!("verifier-{upn}-{}", uuid::Uuid::new_v4());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let location = self.authorize(upn, consent, &challenge).await;
        let registration = &self.state.registration;
        let code = location
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .unwrap_or_else(|| panic!("no code in {location}"));
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", registration.redirect_uri.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.token(&form).await
    }

    /// A delegated Exchange token for `upn`: consent to Graph and Exchange, then redeem the code
    /// for `scope` (Exchange permissions in full form).
    pub async fn exchange_token(&self, upn: &str, scope: &str) -> String {
        let answer = self.redeem(upn, OPERATOR_SCOPES, Some(scope)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// A delegated Graph token for `upn` with `scope`.
    pub async fn graph_token(&self, upn: &str, scope: &str) -> String {
        let answer = self.redeem(upn, scope, Some(scope)).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// An app-only token for `resource` (`https://graph.microsoft.com` or Exchange Online's).
    pub async fn app_token(&self, resource: &str) -> String {
        let scope = format!("{resource}/.default");
        let answer = self
            .token(&[("grant_type", "client_credentials"), ("scope", &scope)])
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// `POST /adminapi/beta/{tenant}/InvokeCommand` with a routing header.
    pub async fn invoke(&self, token: &str, cmdlet: &str, parameters: Value) -> Answer {
        let path = format!("/adminapi/beta/{}/InvokeCommand", self.state.tenant_id);
        self.exchange(&path, token, cmdlet, parameters, true).await
    }

    /// `POST /adminapi/v2.0/{tenant}/{endpoint}` with a routing header.
    pub async fn v2(&self, token: &str, endpoint: &str, cmdlet: &str, parameters: Value) -> Answer {
        let path = format!("/adminapi/v2.0/{}/{endpoint}", self.state.tenant_id);
        self.exchange(&path, token, cmdlet, parameters, true).await
    }

    pub async fn exchange(
        &self,
        path: &str,
        token: &str,
        cmdlet: &str,
        parameters: Value,
        anchored: bool,
    ) -> Answer {
        let body = json!({"CmdletInput": {"CmdletName": cmdlet, "Parameters": parameters}});
        let mut request = Request::post(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json");
        if anchored {
            request = request.header("x-anchormailbox", "UPN:helpdesk.ops@contoso.com");
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    /// A Graph call under `/v1.0`, with a JSON body when given.
    pub async fn graph(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("/v1.0{path}"))
            .header("authorization", format!("Bearer {token}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    /// `GET /_sim/{path}`'s JSON.
    pub async fn control(&self, path: &str) -> Value {
        let request = Request::get(format!("/_sim/{path}"))
            .body(Body::empty())
            .expect("request");
        self.send(request).await.body
    }

    pub fn faults(&self, update: FaultsUpdate) {
        self.state.update_faults(update).expect("valid faults");
    }

    /// The entry of `/_sim/state`'s `list` named `name` (by `displayName`).
    pub async fn state_entry(&self, list: &str, name: &str) -> Value {
        let state = self.control("state").await;
        state[list]
            .as_array()
            .and_then(|entries| entries.iter().find(|entry| entry["displayName"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// The claims of a JWT, unverified.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}
