//! The Slack channel: the Events API endpoint (`POST /slack/events`), the interactivity endpoint
//! (`POST /slack/interactions`) and the Web API client behind the [`ChatPort`].
//!
//! Owns the Slack wire: request signatures, payload parsing (slack-morphism's models), which
//! events count as a person talking to Doorman, the delivery ledger keys, Block Kit rendering and
//! the Web API calls. Must not: resolve who a Slack user is in Entra (that is `identity`'s job,
//! so every [`Sender`](crate::domain::chat::Sender) leaves here with `entra: None`), decide
//! anything about a request, or log a secret or the text people write.
//!
//! Every inbound request is answered at once (Slack wants a 2xx within 3 s); the
//! [`InboundHandler`] runs on a spawned task after the delivery is recorded in the ledger.

mod blocks;
mod place;
