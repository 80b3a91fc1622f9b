//! `doorman sim --listen ADDR --tenant FILE [--bot URL] [--tls]`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use url::Url;

use super::Outcome;
use crate::config::LogFormat;

pub async fn run(
    listen: SocketAddr,
    tenant: &Path,
    bot: Url,
    scheme: crate::sim::Scheme,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Outcome {
    crate::telemetry::init(LogFormat::Text);
    let tenant_json = match std::fs::read_to_string(tenant) {
        Ok(text) => text,
        Err(error) => {
            eprintln!(
                "doorman sim: cannot read tenant file {}: {error}",
                tenant.display()
            );
            return Outcome::Failure;
        }
    };
    let (listener, state) = match crate::sim::bind(listen, &tenant_json, bot, scheme).await {
        Ok(bound) => bound,
        Err(error) => {
            eprintln!("doorman sim: {error}");
            return Outcome::Failure;
        }
    };
    let mut stdout = std::io::stdout();
    // The announcement is the signal scripts wait for, so it goes out whole and at once.
    let _ = writeln!(stdout, "sim listening on {}", state.base_url).and_then(|()| stdout.flush());
    match crate::sim::serve(listener, state, shutdown).await {
        Ok(()) => Outcome::Success,
        Err(error) => {
            eprintln!("doorman sim: {error}");
            Outcome::Unavailable
        }
    }
}
