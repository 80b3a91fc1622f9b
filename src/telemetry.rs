//! Logging setup: always to standard error (commands that answer in JSON own standard output),
//! as text or JSON lines, filtered by `RUST_LOG` (default `info`).
//!
//! Nothing here decides what is logged. The rule that no token, secret, password or message body
//! ever reaches a log line is kept where values are produced: secrets are wrapped in types whose
//! `Debug` is redacted, and spans record ids, never payloads.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Calling it again (as tests do) is harmless.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
