//! The `doorman` command line. Parsing and exit statuses live here; every command's work is in
//! the library (`doorman::cli`), and signals become a shutdown future passed down.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use doorman::cli;
use url::Url;

/// jemalloc rather than the system's allocator: under load, glibc's `malloc` and `free` were
/// about a tenth of the daemon's time (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "doorman",
    version,
    about = "Microsoft 365 access requests from Teams and Slack, governed and audited"
)]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Only check the config, catalog file and policy file, then exit (0 valid, 64 an
        /// invalid config or catalog file, 1 an invalid policy); nothing is bound or opened.
        #[arg(long)]
        check_config: bool,
    },
    /// Ask a running daemon's /healthz: exit 0 when it answers 200, 1 otherwise (for a
    /// container's HEALTHCHECK).
    Healthcheck {
        #[arg(long, default_value = cli::healthcheck::DEFAULT_URL)]
        url: Url,
    },
    /// Run the simulated Microsoft cloud (login, Graph), Teams and Slack for tests and the demo.
    Sim {
        #[arg(long, default_value = "127.0.0.1:8990")]
        listen: SocketAddr,
        /// A tenant file in Graph's JSON shape.
        #[arg(long)]
        tenant: PathBuf,
        /// Where the bot listens (its sign-in redirect URI is this plus /auth/callback).
        #[arg(long, default_value = "http://127.0.0.1:3978")]
        bot: Url,
        /// Serve HTTPS with a certificate generated for this run (served at /_sim/ca.pem).
        #[arg(long)]
        tls: bool,
    },
    /// The simulator and the daemon wired to it, with a fresh temporary store: a working demo.
    Demo {
        /// The simulator's port (0 picks a free one).
        #[arg(long, default_value_t = 8990)]
        sim_port: u16,
        /// Doorman's port (0 picks a free one).
        #[arg(long, default_value_t = 3978)]
        bot_port: u16,
    },
    /// Print the intent JSON of one message, resolved against the tenant's catalog.
    Intent {
        #[arg(long)]
        config: PathBuf,
        /// The UPN of the person asking.
        #[arg(long = "as")]
        upn: String,
        /// The message, as typed in chat.
        #[arg(long)]
        text: String,
    },
    /// Check a policy file, explain a decision, or run a policy's test cases.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// The grants Doorman made that are active.
    Grants {
        #[command(subcommand)]
        command: GrantsCommand,
    },
    /// Build the Teams app package (manifest with this deployment's ids and host, both
    /// icons) to upload in the Teams admin center.
    TeamsPackage {
        #[arg(long)]
        config: PathBuf,
        /// Where to write the zip.
        #[arg(long, default_value = "doorman-teams.zip")]
        out: PathBuf,
    },
    /// Check or export the audit chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load a running daemon's webhook with unique deliveries (Slack signed per request with
    /// SLACK_SIGNING_SECRET, Teams with a bearer token) and print throughput and latency as
    /// JSON (see BENCHMARKS.md).
    Bench {
        #[arg(long, value_enum)]
        platform: cli::bench::Platform,
        #[arg(long)]
        url: Url,
        /// A sample payload; its ids and text are made unique per request.
        #[arg(long)]
        body: PathBuf,
        /// Teams: a file holding the bearer token (a JWT the daemon accepts).
        #[arg(long)]
        token_file: Option<PathBuf>,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds of load before the measured window.
        #[arg(long, default_value_t = 5)]
        warmup: u64,
        /// Seconds measured.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// The row's name in the report.
        #[arg(long, default_value = "doorman")]
        label: String,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy file; exit 1 with every problem and its line.
    Check {
        #[arg(long)]
        policy: PathBuf,
    },
    /// Print the decision on one message and its trail as JSON, changing nothing.
    Explain {
        #[arg(long)]
        config: PathBuf,
        /// Use this policy file instead of the configured one.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The UPN of the person asking.
        #[arg(long = "as")]
        upn: String,
        /// The message, as typed in chat.
        #[arg(long)]
        text: String,
        /// Decide as at this moment (RFC 3339), for change windows.
        #[arg(long)]
        at: Option<String>,
    },
    /// Run a file of expected decisions (JSON lines, a JSON list, or TOML [[case]] tables).
    Test {
        #[arg(long)]
        config: PathBuf,
        /// Use this policy file instead of the configured one.
        #[arg(long)]
        policy: Option<PathBuf>,
        #[arg(long)]
        cases: PathBuf,
    },
}

#[derive(Subcommand)]
enum GrantsCommand {
    /// One line per active grant (or JSON lines with --json).
    List {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// End an active grant now: removed, read back gone, audited, and its requester told
    /// (by the running daemon; with the daemon stopped, at its next start).
    Revoke {
        #[arg(long)]
        config: PathBuf,
        /// The request id, like R-7K3QX2.
        request: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the chain and its signed heads; exit 1 naming the first broken record.
    Verify {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print the public half of [security] audit_key (hex), for previous_audit_public_keys
    /// after a rotation.
    PublicKey {
        #[arg(long)]
        config: PathBuf,
    },
    /// Write records as JSON lines.
    Export {
        #[arg(long)]
        config: PathBuf,
        /// Only records at or after this time (RFC 3339, or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        /// Only the records of this request.
        #[arg(long)]
        request: Option<String>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let arguments = Arguments::parse();
    let outcome = match arguments.command {
        Command::Serve {
            config,
            check_config: true,
        } => cli::serve::check_config(&config),
        Command::Serve {
            config,
            check_config: false,
        } => cli::serve::run(&config, shutdown_signal()).await,
        Command::Healthcheck { url } => cli::healthcheck::run(&url).await,
        Command::Sim {
            listen,
            tenant,
            bot,
            tls,
        } => {
            let scheme = if tls {
                doorman::sim::Scheme::Https
            } else {
                doorman::sim::Scheme::Http
            };
            cli::sim::run(listen, &tenant, bot, scheme, shutdown_signal()).await
        }
        Command::Demo { sim_port, bot_port } => {
            cli::demo::run(sim_port, bot_port, shutdown_signal()).await
        }
        Command::Intent { config, upn, text } => cli::intent::run(&config, &upn, &text).await,
        Command::TeamsPackage { config, out } => cli::teams_package::run(&config, &out),
        Command::Policy { command } => match command {
            PolicyCommand::Check { policy } => cli::policy::check(&policy),
            PolicyCommand::Explain {
                config,
                policy,
                upn,
                text,
                at,
            } => cli::policy::explain(&config, policy.as_deref(), &upn, &text, at.as_deref()).await,
            PolicyCommand::Test {
                config,
                policy,
                cases,
            } => cli::policy::test(&config, policy.as_deref(), &cases).await,
        },
        Command::Grants {
            command: GrantsCommand::List { config, json },
        } => cli::grants::list(&config, json).await,
        Command::Grants {
            command: GrantsCommand::Revoke { config, request },
        } => cli::grants::revoke(&config, &request).await,
        Command::Audit {
            command: AuditCommand::Verify { config },
        } => cli::audit::verify(&config).await,
        Command::Audit {
            command: AuditCommand::PublicKey { config },
        } => cli::audit::public_key(&config),
        Command::Audit {
            command:
                AuditCommand::Export {
                    config,
                    since,
                    request,
                },
        } => cli::audit::export(&config, since.as_deref(), request).await,
        Command::Bench {
            platform,
            url,
            body,
            token_file,
            connections,
            warmup,
            duration,
            label,
        } => {
            cli::bench::run(cli::bench::Options {
                platform,
                url,
                body,
                token_file,
                connections,
                warmup: std::time::Duration::from_secs(warmup),
                duration: std::time::Duration::from_secs(duration),
                label,
            })
            .await
        }
    };
    outcome.into()
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
