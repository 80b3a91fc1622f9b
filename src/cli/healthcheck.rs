//! `doorman healthcheck [--url URL]`: asks a running daemon's `/healthz` and exits 0 when it
//! answers 200, 1 otherwise. It exists so a container image can probe itself without a shell
//! or curl (the Dockerfile's `HEALTHCHECK`); 1 is the status container runtimes read as
//! "unhealthy".

use std::time::Duration;

use url::Url;

use super::Outcome;

/// Longer than `/healthz` ever takes on a live daemon, shorter than a runtime's probe timeout.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The address a daemon with the example configuration answers on, from inside its container.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3978/healthz";

pub async fn run(url: &Url) -> Outcome {
    let client = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => {
            eprintln!("doorman healthcheck: cannot make an HTTP client: {error}");
            return Outcome::Failure;
        }
    };
    match client.get(url.clone()).send().await {
        Ok(response) if response.status() == reqwest::StatusCode::OK => {
            println!("healthy: {url} answered {}", response.status());
            Outcome::Success
        }
        Ok(response) => {
            eprintln!("doorman healthcheck: {url} answered {}", response.status());
            Outcome::Failure
        }
        Err(error) => {
            eprintln!("doorman healthcheck: {url}: {error}");
            Outcome::Failure
        }
    }
}
