//! Where Doorman meets the chat services: Teams (Bot Framework) and Slack (Events API).
//!
//! Each adapter verifies what arrives exactly as its service requires (JWTs for Teams, signed
//! bodies for Slack), turns it into the neutral model of [`crate::domain::chat`], records it in
//! the delivery ledger ([`Deliveries`]: accepted before it is acknowledged, done once handled,
//! so deliveries seen before are dropped and none is lost in a crash), and hands the rest to
//! the [`InboundHandler`](crate::domain::chat::InboundHandler). Outbound, each adapter implements
//! the [`ChatPort`](crate::domain::chat::ChatPort) for its platform. Nothing past this module
//! knows which platform a message came from.

mod deliveries;
#[cfg(test)]
mod every_card;
mod router;
pub mod slack;
pub mod teams;

pub use deliveries::Deliveries;
pub use router::ChatRouter;
