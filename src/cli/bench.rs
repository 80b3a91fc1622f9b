//! `doorman bench`: a closed-loop load generator for Doorman's two webhooks, so that ingest can
//! be measured the way the chat services use it: every request a new delivery.
//!
//! wrk replays one body, which a daemon with a delivery ledger rightly drops as a redelivery,
//! and it cannot sign a Slack body it varies. This generator makes every request unique (Slack:
//! `event_id`, `client_msg_id`, `ts` and text; Teams: activity id and text), signs each Slack
//! body (`v0=HMAC-SHA256(secret, "v0:{ts}:{body}")`, fresh timestamp) and sends each Teams
//! activity with the bearer token it is given (a JWT does not cover the body). It keeps
//! `connections` HTTP/1.1 keep-alive connections busy, one request in flight on each, like wrk,
//! and reports requests per second and latency percentiles over the measured window only
//! (after the warm-up), as one JSON document on standard output.
//!
//! It is built to cost little per request (plain hyper connections, the body assembled from
//! pre-cut pieces, no per-request JSON work) so that on one core it outruns the server it
//! measures; `bench` against a server that does nothing shows its own ceiling.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use url::Url;

use super::Outcome;

/// Which webhook the requests are for, and so how each is made unique and authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Platform {
    /// Slack Events API `event_callback`, signed per request with `SLACK_SIGNING_SECRET`.
    Slack,
    /// Bot Framework activity, with `Authorization: Bearer <token file>`.
    Teams,
}

/// What to send, where, and for how long.
#[derive(Debug, Clone)]
pub struct Options {
    pub platform: Platform,
    pub url: Url,
    /// A sample payload; its ids and text are replaced per request.
    pub body: PathBuf,
    /// For Teams: a file holding the bearer token (a JWT the daemon accepts).
    pub token_file: Option<PathBuf>,
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
    /// A name for the row in the report.
    pub label: String,
}

/// Runs the load and prints the report.
pub async fn run(options: Options) -> Outcome {
    let requests = match Requests::new(&options) {
        Ok(requests) => Arc::new(requests),
        Err(problem) => {
            eprintln!("doorman bench: {problem}");
            return Outcome::BadConfig;
        }
    };
    let target = match Target::new(&options.url) {
        Ok(target) => Arc::new(target),
        Err(problem) => {
            eprintln!("doorman bench: {problem}");
            return Outcome::BadConfig;
        }
    };
    if let Err(problem) = preflight(&target, &requests).await {
        eprintln!("doorman bench: {}: preflight: {problem}", options.label);
        return Outcome::Failure;
    }
    let start = Instant::now();
    let window = Window {
        from: start + options.warmup,
        to: start + options.warmup + options.duration,
    };
    let workers: Vec<_> = (0..options.connections.max(1))
        .map(|_| {
            let target = Arc::clone(&target);
            let requests = Arc::clone(&requests);
            tokio::spawn(async move { drive(&target, &requests, window).await })
        })
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        match worker.await {
            Ok(part) => tally.merge(part),
            Err(error) => eprintln!("doorman bench: a connection task failed: {error}"),
        }
    }
    let report = tally.report(&options);
    eprintln!(
        "{}: {:.0} req/s  p50 {:.2} ms  p99 {:.2} ms  non2xx {}  errors {}",
        options.label,
        report["req_per_s"].as_f64().unwrap_or_default(),
        report["p50_ms"].as_f64().unwrap_or_default(),
        report["p99_ms"].as_f64().unwrap_or_default(),
        tally.non_2xx,
        tally.errors
    );
    println!("{report}");
    if tally.ok == 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// The measured window: only requests that complete inside it count.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

/// Where the requests go.
struct Target {
    address: String,
    host: String,
    path: String,
}

impl Target {
    fn new(url: &Url) -> Result<Self, String> {
        if url.scheme() != "http" {
            return Err(format!("{url}: only http:// targets are supported"));
        }
        let host = url.host_str().ok_or_else(|| format!("{url}: no host"))?;
        let port = url.port_or_known_default().unwrap_or(80);
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Target {
            address: format!("{host}:{port}"),
            host: format!("{host}:{port}"),
            path,
        })
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(&self.address)
            .await
            .map_err(|error| format!("cannot connect to {}: {error}", self.address))?;
        stream
            .set_nodelay(true)
            .map_err(|error| error.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| error.to_string())?;
        tokio::spawn(async move {
            // A connection the server closes is noticed by the next send, which reconnects.
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Sends one request and insists on a 2xx, so a misconfigured run fails at once rather than
/// measuring how fast the server refuses.
async fn preflight(target: &Target, requests: &Requests) -> Result<(), String> {
    let mut sender = target.connect().await?;
    let request = requests.next(target)?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    if status.is_success() {
        Ok(())
    } else {
        let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
        Err(format!("HTTP {status}: {shown}"))
    }
}

/// One connection's closed loop until the window ends.
async fn drive(target: &Target, requests: &Requests, window: Window) -> Tally {
    let mut tally = Tally::default();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    while Instant::now() < window.to {
        let mut ready = match reuse(sender.take()).await {
            Some(ready) => ready,
            None => match target.connect().await {
                Ok(fresh) => fresh,
                Err(_) => {
                    tally.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let request = match requests.next(target) {
            Ok(request) => request,
            Err(_) => {
                tally.errors += 1;
                continue;
            }
        };
        let sent = Instant::now();
        let answered = match ready.send_request(request).await {
            Ok(response) => {
                let status = response.status();
                response
                    .into_body()
                    .collect()
                    .await
                    .map(|_| status)
                    .map_err(drop)
            }
            Err(_) => Err(()),
        };
        let finished = Instant::now();
        let counted = finished >= window.from && finished < window.to;
        match answered {
            Ok(status) => {
                sender = Some(ready);
                if counted {
                    tally.record(status.is_success(), finished - sent);
                }
            }
            Err(()) if counted => tally.errors += 1,
            Err(()) => {}
        }
    }
    tally
}

/// The kept connection, when it can take another request.
async fn reuse(sender: Option<SendRequest<Full<Bytes>>>) -> Option<SendRequest<Full<Bytes>>> {
    let mut sender = sender?;
    sender.ready().await.ok()?;
    Some(sender)
}

/// Makes the unique, authenticated requests.
struct Requests {
    platform: Platform,
    /// The sample body cut around the places that change: `pieces[0] slot pieces[1] slot ...`.
    pieces: Vec<String>,
    slots: Vec<Slot>,
    /// The sample's text as a JSON string without its closing quote.
    text_opening: String,
    key: Option<hmac::Key>,
    bearer: Option<String>,
    /// Makes every request's ids differ, within this run and from earlier runs.
    run: u64,
    counter: AtomicU64,
}

/// What goes into a cut of the body.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The delivery id (Slack `event_id`, Teams activity id).
    DeliveryId,
    /// A UUID-shaped message id (Slack `client_msg_id`).
    MessageId,
    /// A Slack-style message timestamp, `seconds.micros`.
    MessageTs,
    /// The message text, with the request's number appended.
    Text,
}

const MARK: &str = "\u{1}bench-slot-";

impl Requests {
    fn new(options: &Options) -> Result<Self, String> {
        let raw = std::fs::read_to_string(&options.body)
            .map_err(|error| format!("cannot read {}: {error}", options.body.display()))?;
        let mut sample: Value = serde_json::from_str(&raw)
            .map_err(|error| format!("{} is not JSON: {error}", options.body.display()))?;
        let text = sample
            .pointer(match options.platform {
                Platform::Slack => "/event/text",
                Platform::Teams => "/text",
            })
            .and_then(Value::as_str)
            .unwrap_or("hello")
            .to_owned();
        let mut slots = Vec::new();
        let mut mark = |slot: Slot| {
            slots.push(slot);
            Value::String(format!("{MARK}{}\u{1}", slots.len() - 1))
        };
        let (key, bearer) = match options.platform {
            Platform::Slack => {
                let event = sample
                    .get_mut("event")
                    .and_then(Value::as_object_mut)
                    .ok_or("the Slack sample has no \"event\" object")?;
                event.insert("client_msg_id".into(), mark(Slot::MessageId));
                event.insert("text".into(), mark(Slot::Text));
                event.insert("ts".into(), mark(Slot::MessageTs));
                // The text also lives in the blocks; a body whose blocks say something else
                // would not be a message Slack sends.
                event.remove("blocks");
                let object = sample
                    .as_object_mut()
                    .ok_or("the sample is not an object")?;
                object.insert("event_id".into(), mark(Slot::DeliveryId));
                let secret = std::env::var("SLACK_SIGNING_SECRET")
                    .map_err(|_| "set SLACK_SIGNING_SECRET to sign Slack requests")?;
                (
                    Some(hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())),
                    None,
                )
            }
            Platform::Teams => {
                let object = sample
                    .as_object_mut()
                    .ok_or("the sample is not an object")?;
                object.insert("id".into(), mark(Slot::DeliveryId));
                object.insert("text".into(), mark(Slot::Text));
                let file = options
                    .token_file
                    .as_ref()
                    .ok_or("Teams requests need --token-file")?;
                let token = std::fs::read_to_string(file)
                    .map_err(|error| format!("cannot read {}: {error}", file.display()))?;
                (None, Some(format!("Bearer {}", token.trim())))
            }
        };
        let template = serde_json::to_string(&sample).map_err(|error| error.to_string())?;
        let pieces = cut(&template, slots.len())?;
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or_default();
        let mut text_opening = serde_json::to_string(&text).map_err(|error| error.to_string())?;
        text_opening.pop();
        Ok(Requests {
            platform: options.platform,
            pieces,
            slots,
            text_opening,
            key,
            bearer,
            run,
            counter: AtomicU64::new(0),
        })
    }

    fn next(&self, target: &Target) -> Result<Request<Full<Bytes>>, String> {
        let number = self.counter.fetch_add(1, Ordering::Relaxed);
        let body = self.body(number);
        let builder = Request::post(&target.path)
            .header(hyper::header::HOST, &target.host)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        let builder = match self.platform {
            Platform::Slack => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|since| since.as_secs())
                    .unwrap_or_default();
                let signature = self.sign(now, &body);
                builder
                    .header("x-slack-request-timestamp", now.to_string())
                    .header("x-slack-signature", signature)
            }
            Platform::Teams => builder.header(
                hyper::header::AUTHORIZATION,
                self.bearer.as_deref().unwrap_or_default(),
            ),
        };
        builder
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| error.to_string())
    }

    fn body(&self, number: u64) -> String {
        let mut body =
            String::with_capacity(self.pieces.iter().map(String::len).sum::<usize>() + 96);
        for (index, piece) in self.pieces.iter().enumerate() {
            body.push_str(piece);
            if let Some(slot) = self.slots.get(index) {
                self.fill(&mut body, *slot, number);
            }
        }
        body
    }

    fn fill(&self, body: &mut String, slot: Slot, number: u64) {
        use std::fmt::Write;
        let run = self.run;
        let _ = match slot {
            Slot::DeliveryId => match self.platform {
                Platform::Slack => write!(body, "\"EvB{run:x}{number:010}\""),
                Platform::Teams => write!(body, "\"{run}{number:010}\""),
            },
            Slot::MessageId => write!(
                body,
                "\"{:08x}-0000-4000-8000-{:012x}\"",
                run & 0xffff_ffff,
                number
            ),
            Slot::MessageTs => write!(
                body,
                "\"{}.{:06}\"",
                run + number / 1_000_000,
                number % 1_000_000
            ),
            Slot::Text => write!(body, "{} {number}\"", self.text_opening),
        };
    }

    fn sign(&self, timestamp: u64, body: &str) -> String {
        let Some(key) = &self.key else {
            return String::new();
        };
        let mut context = hmac::Context::with_key(key);
        context.update(format!("v0:{timestamp}:").as_bytes());
        context.update(body.as_bytes());
        format!("v0={}", hex::encode(context.sign().as_ref()))
    }
}

/// Cuts `template` around its `count` slot marks (each a JSON string `"<MARK>n\u0001"`).
fn cut(template: &str, count: usize) -> Result<Vec<String>, String> {
    let mut pieces = Vec::with_capacity(count + 1);
    let mut rest = template;
    for index in 0..count {
        let mark = serde_json::to_string(&format!("{MARK}{index}\u{1}"))
            .map_err(|error| error.to_string())?;
        let at = rest
            .find(&mark)
            .ok_or_else(|| format!("slot {index} not found in the template"))?;
        pieces.push(rest[..at].to_owned());
        rest = &rest[at + mark.len()..];
    }
    pieces.push(rest.to_owned());
    Ok(pieces)
}

/// What one connection (or all of them) saw in the window.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    non_2xx: u64,
    errors: u64,
    latencies_us: Vec<u32>,
}

impl Tally {
    fn record(&mut self, success: bool, latency: Duration) {
        if success {
            self.ok += 1;
        } else {
            self.non_2xx += 1;
        }
        self.latencies_us
            .push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    fn merge(&mut self, other: Tally) {
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.errors += other.errors;
        self.latencies_us.extend(other.latencies_us);
    }

    fn report(&mut self, options: &Options) -> Value {
        self.latencies_us.sort_unstable();
        let percentile = |p: f64| -> f64 {
            if self.latencies_us.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * self.latencies_us.len() as f64).ceil() as usize;
            let index = rank.clamp(1, self.latencies_us.len()) - 1;
            f64::from(self.latencies_us[index]) / 1000.0
        };
        let requests = self.ok + self.non_2xx;
        let seconds = options.duration.as_secs_f64().max(f64::EPSILON);
        serde_json::json!({
            "label": options.label,
            "platform": match options.platform { Platform::Slack => "slack", Platform::Teams => "teams" },
            "connections": options.connections,
            "duration_s": options.duration.as_secs_f64(),
            "requests": requests,
            "req_per_s": (requests as f64 / seconds).round(),
            "ok_per_s": (self.ok as f64 / seconds).round(),
            "non2xx": self.non_2xx,
            "errors": self.errors,
            "p50_ms": percentile(50.0),
            "p90_ms": percentile(90.0),
            "p99_ms": percentile(99.0),
            "max_ms": percentile(100.0),
        })
    }
}
