//! Test helpers: a simulator on a free port with typed helpers for its login flow, Graph and
//! control API, and the checks every test's Graph traffic must pass.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use doorman::sim::SimState;

pub const CONTOSO: &str = include_str!("../fixtures/contoso.json");
pub const FABRIKAM: &str = include_str!("../fixtures/fabrikam.json");

/// Where the shared inputs (tools, reference) live, beside the project.
pub fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// A simulator running in this process, on its own port.
pub struct TestSim {
    pub url: String,
    pub state: Arc<SimState>,
    pub http: reqwest::Client,
    /// Set by tests that send deliberately invalid paths; they skip the model check.
    skip_log_check: bool,
}

/// A response with its status, headers and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// The tokens a sign-in returns.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

pub const MEMBER_SCOPES: &str =
    "openid profile email offline_access User.Read GroupMember.ReadWrite.All";

impl TestSim {
    pub async fn start() -> TestSim {
        Self::start_with(CONTOSO).await
    }

    pub async fn start_with(tenant: &str) -> TestSim {
        let bot = url::Url::parse("http://127.0.0.1:3978").expect("bot url");
        Self::start_for_bot(tenant, bot).await
    }

    /// A simulator that delivers chat traffic to the bot at `bot`.
    pub async fn start_for_bot(tenant: &str, bot: url::Url) -> TestSim {
        Self::start_over(tenant, bot, doorman::sim::Scheme::Http).await
    }

    /// A simulator served over `scheme`; the test's client trusts its certificate under HTTPS.
    pub async fn start_over(tenant: &str, bot: url::Url, scheme: doorman::sim::Scheme) -> TestSim {
        let running = doorman::sim::start_over(tenant, bot, scheme)
            .await
            .expect("simulator starts");
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(https) = &running.state.tls {
            let ca = reqwest::Certificate::from_pem(https.keys.ca_pem.as_bytes())
                .expect("the simulator's certificate");
            http = http.add_root_certificate(ca);
        }
        let http = http.build().expect("client");
        TestSim {
            url: running.state.base_url.clone(),
            state: running.state,
            http,
            skip_log_check: false,
        }
    }

    pub fn skip_log_check(&mut self) {
        self.skip_log_check = true;
    }

    pub fn tenant_id(&self) -> String {
        self.state.tenant_id.clone()
    }

    pub fn user_id(&self, upn: &str) -> String {
        self.state
            .directory()
            .user(upn)
            .map(|user| user.id.clone())
            .expect("user exists")
    }

    pub fn group_id(&self, name: &str) -> String {
        self.state
            .directory()
            .groups
            .iter()
            .find(|g| g.display_name() == name)
            .map(|g| g.id.clone())
            .expect("group exists")
    }

    pub fn graph_base(&self) -> url::Url {
        url::Url::parse(&format!("{}/v1.0", self.url)).expect("graph url")
    }

    pub fn authority(&self) -> url::Url {
        url::Url::parse(&self.url).expect("authority")
    }

    /// Starts the authorization-code flow and returns the redirect's `Location`.
    pub async fn authorize(
        &self,
        upn: &str,
        scope: &str,
        challenge: &str,
        nonce: &str,
    ) -> reqwest::Response {
        let registration = &self.state.registration;
        self.http
            .get(format!(
                "{}/{}/oauth2/v2.0/authorize",
                self.url,
                self.tenant_id()
            ))
            .query(&[
                ("client_id", registration.client_id.as_str()),
                ("response_type", "code"),
                ("redirect_uri", registration.redirect_uri.as_str()),
                ("scope", scope),
                ("state", "state-1"),
                ("nonce", nonce),
                ("code_challenge", challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", upn),
            ])
            .send()
            .await
            .expect("authorize answers")
    }

    /// The code from an authorize redirect.
    pub fn code_from(response: &reqwest::Response) -> String {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("redirect location");
        let url = url::Url::parse(location).expect("location is a URL");
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("code in redirect")
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> Answer {
        let registration = &self.state.registration;
        let mut fields: Vec<(&str, &str)> = vec![
            ("client_id", &registration.client_id),
            ("client_secret", &registration.client_secret),
        ];
        fields.extend_from_slice(form);
        let response = self
            .http
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.url,
                self.tenant_id()
            ))
            .form(&fields)
            .send()
            .await
            .expect("token endpoint answers");
        answer(response).await
    }

    /// A full authorization-code + PKCE sign-in, as the bot performs it.
    pub async fn sign_in(&self, upn: &str, scope: &str) -> SignedIn {
        let verifier = format!("verifier-{}-{}", upn, uuid::Uuid::new_v4());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let redirect = self.authorize(upn, scope, &challenge, "nonce-1").await;
        assert_eq!(
            redirect.status(),
            302,
            "authorize for {upn} should redirect"
        );
        let code = Self::code_from(&redirect);
        let registration = &self.state.registration;
        let answer = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &registration.redirect_uri),
                ("code_verifier", &verifier),
                ("scope", scope),
            ])
            .await;
        assert_eq!(answer.status, 200, "token for {upn}: {}", answer.text);
        SignedIn {
            access_token: answer.body["access_token"]
                .as_str()
                .expect("access token")
                .to_owned(),
            refresh_token: answer.body["refresh_token"].as_str().map(str::to_owned),
            id_token: answer.body["id_token"].as_str().map(str::to_owned),
        }
    }

    pub async fn access_token(&self, upn: &str, scope: &str) -> String {
        self.sign_in(upn, scope).await.access_token
    }

    pub async fn app_token(&self) -> String {
        let answer = self
            .token(&[
                ("grant_type", "client_credentials"),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await;
        assert_eq!(answer.status, 200, "client credentials: {}", answer.text);
        answer.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// A Graph call with a bearer token.
    pub async fn graph(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        self.graph_with(token, method, path, body, &[]).await
    }

    pub async fn graph_with(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}/v1.0{path}", self.url))
            .bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("graph answers")).await
    }

    pub async fn get(&self, token: &str, path: &str) -> Answer {
        self.graph(token, reqwest::Method::GET, path, None).await
    }

    pub async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}/_sim/{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.expect("control API answers")).await
    }

    pub async fn faults(&self, faults: Value) {
        let answer = self
            .control(reqwest::Method::POST, "faults", Some(faults))
            .await;
        assert_eq!(answer.status, 200, "faults: {}", answer.text);
    }

    /// Writes the config this sim hands out (`/_sim/doorman.toml`) into `dir`; returns its path.
    pub async fn write_config(&self, dir: &Path) -> PathBuf {
        let path = dir.join("doorman.toml");
        let text = self
            .control(reqwest::Method::GET, "doorman.toml", None)
            .await
            .text;
        std::fs::write(&path, text).expect("config written");
        path
    }

    /// How many Graph calls so far were writes (anything but a GET or a read-only action).
    pub fn writes(&self) -> usize {
        self.state
            .graph_log
            .entries()
            .iter()
            .filter(|entry| entry.method != "GET" && !is_read_only_action(&entry.path))
            .count()
    }

    /// The UPNs of a group's members in `/_sim/state`.
    pub async fn members(&self, group: &str) -> Vec<String> {
        self.group_list(group, "members").await
    }

    /// The UPNs of a group's owners in `/_sim/state`.
    pub async fn owners(&self, group: &str) -> Vec<String> {
        self.group_list(group, "owners").await
    }

    async fn group_list(&self, group: &str, list: &str) -> Vec<String> {
        let state = self.control(reqwest::Method::GET, "state", None).await.body;
        state["groups"]
            .as_array()
            .and_then(|groups| groups.iter().find(|g| g["displayName"] == group))
            .and_then(|g| g[list].as_array())
            .map(|members| {
                members
                    .iter()
                    .filter_map(|m| m.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn reference(&self, user_id: &str) -> Value {
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user_id}")})
    }
}

/// POSTs that read and change nothing (`checkMemberGroups` and its kin).
pub fn is_read_only_action(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    [
        "checkMemberGroups",
        "checkMemberObjects",
        "getMemberGroups",
        "getMemberObjects",
        "getByIds",
    ]
    .iter()
    .any(|action| path.ends_with(action))
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// Runs `graph-shape-check` (which walks every path with `graph-path-check` first) over calls;
/// returns its report when something does not fit Microsoft's v1.0 model.
pub fn graph_model_problems(calls: &Value) -> Option<String> {
    use std::io::Write;
    let tool = shared_dir().join("tools/graph-shape-check");
    let mut child = std::process::Command::new("python3")
        .arg(&tool)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", tool.display()));
    let input = calls.to_string();
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("feed the checker");
    let output = child.wait_with_output().expect("checker finishes");
    (!output.status.success()).then(|| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

impl Drop for TestSim {
    /// Every Graph call a test caused must fit Microsoft's v1.0 model, paths and bodies alike.
    fn drop(&mut self) {
        if self.skip_log_check || std::thread::panicking() || self.state.graph_log.is_empty() {
            return;
        }
        let log = serde_json::to_value(self.state.graph_log.entries()).expect("log serializes");
        if let Some(problems) = graph_model_problems(&log) {
            panic!("the simulator's Graph log does not fit Graph v1.0:\n{problems}");
        }
    }
}
