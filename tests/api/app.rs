//! A whole deployment in-process: the simulator (Microsoft cloud, Teams, Slack) and Doorman's
//! `App` wired to it on free ports, with a store that survives restarts of the bot.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::helpers::{CONTOSO, TestSim};

/// How the bot runs: in this process (stopped gracefully), or as its own `doorman serve`
/// process (which a test may kill outright).
enum Running {
    InProcess(oneshot::Sender<()>, tokio::task::JoinHandle<()>),
    Process(tokio::process::Child),
}

pub struct TestApp {
    pub sim: TestSim,
    pub bot_url: String,
    storage: tempfile::TempDir,
    config_text: String,
    admin: String,
    running: Option<Running>,
    /// When each run of the bot started, in order: what one run sent, a later one may send
    /// again ([`crate::invariants`]). Not when runs ended: a request the killed bot wrote just
    /// before it died may still reach the simulator after the kill returns.
    started: Vec<chrono::DateTime<chrono::Utc>>,
    browser: reqwest::Client,
    /// More `DOORMAN__...` overrides for every start.
    overrides: Vec<(String, String)>,
    /// The clock the bot's timers go by (in-process only): tests move it forward.
    pub clock: std::sync::Arc<doorman::scheduler::ShiftedClock>,
}

/// The helpdesk account that carries out auto-approved grants in every test deployment.
pub const OPERATOR: &str = "helpdesk.ops@contoso.com";

/// The policy every test deployment runs unless it says otherwise: the one the project ships.
pub const EXAMPLE_POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/policy.example.toml");

/// A port for a listener the bot binds later. Not one the kernel hands out for `127.0.0.1:0`:
/// those come from the ephemeral range (32768–60999 on Linux), from which every outgoing
/// connection of the tests running beside takes its local port, so one could take it before
/// the bot binds it ("address already in use"). These come from below that range, each handed
/// out once per test run, starting at a place of the process id's so that two runs side by
/// side do not walk the same ports; one still bound by anything is skipped.
pub(crate) fn free_port() -> u16 {
    const FIRST: u32 = 20_000;
    const COUNT: u32 = 12_000;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(2_654_435_761) % COUNT;
    for _ in 0..COUNT {
        let taken = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + taken) % COUNT).expect("below 32,000");
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below the ephemeral range");
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_on(CONTOSO, EXAMPLE_POLICY, OPERATOR).await
    }

    /// A deployment on another tenant, with its policy file and operator.
    pub async fn spawn_on(tenant: &str, policy: &str, operator: &str) -> TestApp {
        Self::spawn_configured(tenant, policy, operator, &[]).await
    }

    /// The default deployment with more `DOORMAN__...` settings.
    pub async fn spawn_with_settings(settings: &[(&str, &str)]) -> TestApp {
        Self::spawn_configured(CONTOSO, EXAMPLE_POLICY, OPERATOR, settings).await
    }

    /// A deployment on `tenant` with its policy file, operator and more settings.
    pub async fn spawn_configured(
        tenant: &str,
        policy: &str,
        operator: &str,
        settings: &[(&str, &str)],
    ) -> TestApp {
        Self::spawn_over(
            tenant,
            policy,
            operator,
            settings,
            doorman::sim::Scheme::Http,
        )
        .await
    }

    /// The default deployment against a simulator served over HTTPS (`doorman sim --tls`),
    /// configured as the simulator hands out.
    pub async fn spawn_over_https() -> TestApp {
        Self::spawn_over(
            CONTOSO,
            EXAMPLE_POLICY,
            OPERATOR,
            &[],
            doorman::sim::Scheme::Https,
        )
        .await
    }

    async fn spawn_over(
        tenant: &str,
        policy: &str,
        operator: &str,
        settings: &[(&str, &str)],
        scheme: doorman::sim::Scheme,
    ) -> TestApp {
        let bot_port = free_port();
        let bot_url = format!("http://127.0.0.1:{bot_port}");
        let sim =
            TestSim::start_over(tenant, url::Url::parse(&bot_url).expect("bot url"), scheme).await;
        let config_text = doorman::sim::control::doorman_config(&sim.state);
        // A browser follows redirects and keeps nothing between requests; it trusts the
        // simulator's certificate as a person's machine would trust Microsoft's.
        let mut browser =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10));
        if let Some(https) = &sim.state.tls {
            let ca = reqwest::Certificate::from_pem(https.keys.ca_pem.as_bytes())
                .expect("the simulator's certificate");
            browser = browser.add_root_certificate(ca);
        }
        let mut app = TestApp {
            sim,
            bot_url,
            storage: tempfile::tempdir().expect("temp dir"),
            config_text,
            admin: format!("127.0.0.1:{}", free_port()),
            running: None,
            started: Vec::new(),
            browser: browser.build().expect("client"),
            clock: std::sync::Arc::default(),
            overrides: vec![
                ("DOORMAN__POLICY__FILE".to_owned(), policy.to_owned()),
                (
                    "DOORMAN__MICROSOFT__OPERATOR".to_owned(),
                    operator.to_owned(),
                ),
            ]
            .into_iter()
            .chain(
                settings
                    .iter()
                    .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
            )
            .collect(),
        };
        app.start().await;
        app
    }

    /// Like [`TestApp::spawn`], with this policy file configured instead of the example one.
    pub async fn spawn_with_policy(policy: &str) -> TestApp {
        let mut app = TestApp::spawn().await;
        let path = app.storage.path().join("policy.toml");
        std::fs::write(&path, policy).expect("policy written");
        app.overrides
            .retain(|(key, _)| key != "DOORMAN__POLICY__FILE");
        app.overrides.push((
            "DOORMAN__POLICY__FILE".to_owned(),
            path.display().to_string(),
        ));
        app.restart().await;
        app
    }

    /// Sets a `DOORMAN__...` setting for the next start (see [`TestApp::restart`]).
    pub fn set_override(&mut self, key: &str, value: &str) {
        self.overrides.retain(|(known, _)| known != key);
        self.overrides.push((key.to_owned(), value.to_owned()));
    }

    /// Every `DOORMAN__...` setting of this deployment.
    fn settings(&self) -> Vec<(String, String)> {
        vec![
            (
                "DOORMAN__STORAGE__PATH".to_owned(),
                self.storage.path().display().to_string(),
            ),
            ("DOORMAN__ADMIN__LISTEN".to_owned(), self.admin.clone()),
        ]
        .into_iter()
        .chain(self.overrides.iter().cloned())
        .collect()
    }

    /// The process id of a bot started with [`TestApp::start_process`].
    pub fn process_id(&self) -> Option<u32> {
        match &self.running {
            Some(Running::Process(child)) => child.id(),
            _ => None,
        }
    }

    /// The admin listener's base URL, where `/metrics` and `/readyz` in detail are served.
    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin)
    }

    /// The Prometheus text the admin listener serves at `/metrics`.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.admin_url()))
            .await
            .expect("the admin listener answers")
            .text()
            .await
            .expect("a metrics text")
    }

    /// Starts the bot on its store (again, after [`TestApp::stop`]).
    pub async fn start(&mut self) {
        self.started.push(chrono::Utc::now());
        let config = doorman::config::Config::from_toml(&self.config_text, self.settings())
            .expect("the sim's config loads");
        let clock =
            std::sync::Arc::clone(&self.clock) as std::sync::Arc<dyn doorman::scheduler::Clock>;
        let app = doorman::app::App::build_with_clock(config, clock)
            .await
            .expect("the app builds");
        let (stop, stopped) = oneshot::channel::<()>();
        let handle = tokio::spawn(async move {
            let _ = app
                .run_until(async {
                    let _ = stopped.await;
                })
                .await;
        });
        self.running = Some(Running::InProcess(stop, handle));
        self.wait_ready().await;
    }

    /// Starts the bot as its own `doorman serve` process on its store, so that a test can kill
    /// it with SIGKILL ([`TestApp::kill`]) the way a crash or an OOM kill would.
    pub async fn start_process(&mut self) {
        self.start_process_with(std::process::Stdio::null(), None)
            .await;
    }

    /// [`TestApp::start_process`] with the daemon's log (at `level`) written to `log`.
    pub async fn start_process_logging(&mut self, log: &std::path::Path, level: &str) {
        let file = std::fs::File::create(log).expect("log file");
        self.start_process_with(file.into(), Some(level)).await;
    }

    async fn start_process_with(&mut self, stderr: std::process::Stdio, level: Option<&str>) {
        self.started.push(chrono::Utc::now());
        let config = self.storage.path().join("serve.toml");
        std::fs::write(&config, &self.config_text).expect("config written");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_doorman"));
        command
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .envs(self.settings())
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true);
        if let Some(level) = level {
            command.env("RUST_LOG", level);
        }
        let child = command.spawn().expect("doorman serve starts");
        self.running = Some(Running::Process(child));
        self.wait_ready().await;
    }

    /// Kills the bot outright (SIGKILL for a process; an in-process bot is aborted mid-task),
    /// with no chance to finish or flush anything.
    pub async fn kill(&mut self) {
        match self.running.take() {
            Some(Running::Process(mut child)) => {
                let _ = child.kill().await;
            }
            Some(Running::InProcess(_, handle)) => {
                handle.abort();
                let _ = handle.await;
            }
            None => {}
        }
    }

    /// When each run of the bot started, in order.
    pub fn runs_started(&self) -> &[chrono::DateTime<chrono::Utc>] {
        &self.started
    }

    /// Waits (up to 15 s) until `/readyz` says the bot is ready: its first catalog sync is done.
    pub async fn wait_ready(&self) {
        for _ in 0..150 {
            let ready = self
                .browser
                .get(format!("{}/readyz", self.bot_url))
                .send()
                .await
                .is_ok_and(|response| response.status() == 200);
            if ready {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the bot was not ready within 15 s");
    }

    /// Stops the bot and starts it again on the same store, as a redeploy would.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    /// Stops the bot and waits until it has let go of its store.
    pub async fn stop(&mut self) {
        match self.running.take() {
            Some(Running::InProcess(stop, handle)) => {
                let _ = stop.send(());
                let _ = handle.await;
            }
            // The daemon's own shutdown is tested elsewhere; here it only has to be gone.
            Some(Running::Process(mut child)) => {
                let _ = child.kill().await;
            }
            None => {}
        }
    }

    /// Runs the `doorman` binary against this deployment's config and store (through the
    /// admin listener while the bot runs, on the store when it is stopped).
    pub async fn cli(&self, arguments: &[&str]) -> std::process::Output {
        let config = self.storage.path().join("cli.toml");
        std::fs::write(&config, &self.config_text).expect("config written");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_doorman"));
        command
            .args(arguments)
            .arg("--config")
            .arg(&config)
            .env("DOORMAN__STORAGE__PATH", self.storage.path())
            .env("DOORMAN__ADMIN__LISTEN", &self.admin)
            .env_remove("RUST_LOG");
        command.output().await.expect("doorman runs")
    }

    /// Where the bot keeps its store, to be opened while it is stopped.
    pub fn storage_path(&self) -> std::path::PathBuf {
        self.storage.path().to_owned()
    }

    pub async fn teams(&self, upn: &str, text: &str) -> Value {
        let answer = self
            .sim
            .control(
                Method::POST,
                "teams/message",
                Some(json!({"from": upn, "text": text})),
            )
            .await;
        assert!(answer.status < 300, "teams/message: {}", answer.text);
        answer.body
    }

    pub async fn teams_seen(&self, upn: &str) -> Vec<Value> {
        let answer = self
            .sim
            .control(Method::GET, &format!("teams/conversations/{upn}"), None)
            .await;
        answer.body.as_array().cloned().unwrap_or_default()
    }

    pub async fn slack(&self, user: &str, text: &str) -> Value {
        let answer = self
            .sim
            .control(
                Method::POST,
                "slack/message",
                Some(json!({"user": user, "text": text})),
            )
            .await;
        assert!(answer.status < 300, "slack/message: {}", answer.text);
        answer.body
    }

    pub async fn slack_seen(&self, user: &str) -> Vec<Value> {
        let answer = self
            .sim
            .control(Method::GET, &format!("slack/messages?user={user}"), None)
            .await;
        answer.body.as_array().cloned().unwrap_or_default()
    }

    /// Waits (up to 15 s) until `seen()` holds more than `count` messages; returns them all.
    pub async fn more_than<F, Fut>(&self, count: usize, seen: F) -> Vec<Value>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Vec<Value>>,
    {
        for _ in 0..150 {
            let messages = seen().await;
            if messages.len() > count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no new message after 15 s (had {count})");
    }

    /// The sign-in links (to this bot's `/auth/start`) in some messages.
    pub fn sign_in_links(&self, messages: &[Value]) -> Vec<String> {
        let text = serde_json::to_string(messages).unwrap_or_default();
        let prefix = format!("{}/auth/start", self.bot_url);
        let mut links = Vec::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(&prefix) {
            let tail = &rest[at..];
            let end = tail.find(['"', '\\', ' ', '>', '|']).unwrap_or(tail.len());
            links.push(tail[..end].replace("&amp;", "&"));
            rest = &tail[end..];
        }
        links
    }

    /// Follows a link as a browser would; returns the final status and page.
    pub async fn follow(&self, link: &str) -> (u16, String) {
        let response = self
            .browser
            .get(link)
            .send()
            .await
            .expect("the link answers");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }

    /// Opens a sign-in link (which works once) up to where Doorman sends the browser: the
    /// identity platform's authorize URL.
    pub async fn authorize_url(&self, link: &str) -> url::Url {
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let start = no_redirects.get(link).send().await.expect("start answers");
        let authorize = start
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("start redirects to the identity platform");
        url::Url::parse(authorize).expect("authorize URL")
    }

    /// Follows a sign-in link but lets the identity platform sign in `someone_else` instead
    /// (as if the link were opened by another person); returns the final status and page.
    pub async fn follow_as(&self, link: &str, someone_else: &str) -> (u16, String, String) {
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut url = self.authorize_url(link).await;
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                if k == "login_hint" {
                    (k.into_owned(), someone_else.to_owned())
                } else {
                    (k.into_owned(), v.into_owned())
                }
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        let signed_in = no_redirects
            .get(url.as_str())
            .send()
            .await
            .expect("authorize answers");
        let callback = signed_in
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("authorize redirects")
            .to_owned();
        let (status, page) = self.follow(&callback).await;
        (status, page, callback)
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .browser
            .post(format!("{}{path}", self.bot_url))
            .form(form)
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        match self.running.take() {
            Some(Running::InProcess(stop, handle)) => {
                let _ = stop.send(());
                handle.abort();
            }
            Some(Running::Process(mut child)) => {
                let _ = child.start_kill();
            }
            None => {}
        }
    }
}

/// The request id in the first of these messages that names one ("Request R-7K3QX2: ...").
pub fn request_id(messages: &[Value]) -> String {
    Value::Array(messages.to_vec())
        .to_string()
        .split("Request ")
        .nth(1)
        .and_then(|rest| rest.get(..8))
        .expect("a request id")
        .to_owned()
}

/// Asks `probe` every 100 ms, for up to 15 s, until it answers `Some`.
pub async fn eventually<T, F, Fut>(probe: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..150 {
        if let Some(found) = probe().await {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Waits (up to 15 s) until some message `seen()` returns contains `needle`; returns them all.
pub async fn until_said<F, Fut>(seen: F, needle: &str) -> Vec<Value>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<Value>>,
{
    for _ in 0..150 {
        let messages = seen().await;
        if messages
            .iter()
            .any(|message| words(message).contains(needle))
        {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nobody said {needle:?} within 15 s: {:?}", seen().await);
}

/// The text of a message as a person reads it (Slack text and blocks, Teams text and cards).
pub fn words(message: &Value) -> String {
    message.to_string()
}
