//! The check that a request really comes from Slack: `X-Slack-Signature` over the raw body and
//! `X-Slack-Request-Timestamp` within 300 s of now, through slack-morphism's
//! [`SlackEventSignatureVerifier`] (HMAC-SHA256, compared in constant time).
//!
//! Must not: parse the body before it is verified, or put the secret, the expected signature or
//! the received one into an error or a log line.

use axum::http::HeaderMap;
use slack_morphism::signature_verifier::{
    SlackEventSignatureVerifier, SlackEventSignatureVerifierError,
};

/// Verifies Slack's request signatures with the app's signing secret.
#[derive(Clone)]
pub(super) struct RequestSignature {
    verifier: SlackEventSignatureVerifier,
}

/// Why a request was refused. Each of these is answered 401 with nothing processed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(super) enum Rejection {
    #[error("the request has no x-slack-signature or x-slack-request-timestamp header")]
    MissingHeaders,
    #[error("the body is not utf-8")]
    NotText,
    #[error("the signature does not match the body")]
    WrongSignature,
    #[error("the timestamp is not within 300 seconds of now")]
    Stale,
    #[error("the signature cannot be computed")]
    Crypto,
}

impl RequestSignature {
    pub(super) fn new(signing_secret: &str) -> Self {
        RequestSignature {
            verifier: SlackEventSignatureVerifier::new(&signing_secret.to_owned().into()),
        }
    }

    /// Checks the signature over `body` exactly as received: re-serialising a parsed body would
    /// change the bytes and with them the signature.
    pub(super) fn check(&self, headers: &HeaderMap, body: &[u8]) -> Result<(), Rejection> {
        let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
        let (Some(signature), Some(timestamp)) = (
            header(SlackEventSignatureVerifier::SLACK_SIGNED_HASH_HEADER),
            header(SlackEventSignatureVerifier::SLACK_SIGNED_TIMESTAMP),
        ) else {
            return Err(Rejection::MissingHeaders);
        };
        // Slack sends JSON or form bodies, which are UTF-8; the verifier takes text, and the
        // text of valid UTF-8 is the same bytes.
        let body = std::str::from_utf8(body).map_err(|_| Rejection::NotText)?;
        self.verifier
            .verify(signature, body, timestamp)
            .map_err(|error| match error {
                SlackEventSignatureVerifierError::WrongSignatureError(_)
                | SlackEventSignatureVerifierError::AbsentSignatureError(_) => {
                    Rejection::WrongSignature
                }
                SlackEventSignatureVerifierError::IncorrectOrExpiredTimestampError(_) => {
                    Rejection::Stale
                }
                SlackEventSignatureVerifierError::CryptoInitError(_) => Rejection::Crypto,
            })
    }
}
