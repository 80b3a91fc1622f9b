//! The Slack Web API client behind the [`ChatPort`]: `chat.postMessage`, `chat.update`,
//! `conversations.open` and `users.info`, through slack-morphism's client with the bot token,
//! against `[slack] api_url`; and `views.open` for the interactions endpoint's modals.
//!
//! Owns retrying on 429 (waiting `Retry-After`, a bounded number of times) and on Slack's
//! `service_unavailable` (nothing was done), and turning Slack's `ok: false` answers into
//! [`ChatError`]s that name Slack's error code. Must not: put the bot token into an error, a log
//! line or `Debug`, or retry anything else (a failed post may have been delivered, and a repeat
//! would show twice). `views.open` is never retried: its
//! `trigger_id` lives three seconds and opens one view.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::SlackError;
use super::blocks;
use super::place::Conversation;
use crate::config::{SlackConfig, TrustedRoots};
use crate::domain::chat::{
    BoxFuture, Channel, ChatError, ChatPort, ChatUser, Contact, Message, Place, SentMessage,
};

/// How often a rate-limited (or unavailable) call is tried again before it fails.
const RATE_LIMIT_RETRIES: u32 = 3;
/// The longest `Retry-After` waited for. Slack asks for seconds; a longer wait would hold up
/// the conversation, so the call fails instead (never retrying sooner than asked).
const LONGEST_WAIT: Duration = Duration::from_secs(30);
/// The wait when a 429 comes without `Retry-After`.
const DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// Slack's Web API, as the bot.
pub struct SlackWeb {
    client: SlackHyperClient,
    token: SlackApiToken,
    api_url: String,
}

impl SlackWeb {
    /// A client for `[slack] api_url` with `[slack] bot_token`, trusting `roots` besides the
    /// system's roots.
    pub fn new(config: &SlackConfig, roots: &TrustedRoots) -> Result<Arc<SlackWeb>, SlackError> {
        let bot_token = config.bot_token.expose_secret();
        if bot_token.is_empty() {
            return Err(SlackError::EmptyBotToken);
        }
        // slack-morphism's own connector is https-only; building it here allows the http fakes
        // of tests. The crypto provider is named explicitly, so rustls never has to choose
        // between ring and aws-lc-rs (both may be compiled in, and then choosing panics).
        let builder = hyper_rustls::HttpsConnectorBuilder::new();
        let builder = if roots.is_empty() {
            builder
                .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                .map_err(SlackError::Roots)?
        } else {
            builder.with_tls_config(roots.rustls_config().map_err(SlackError::ExtraRoots)?)
        };
        let https = builder
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        // slack-morphism joins the base and the method with a slash.
        let api_url = config.api_url.as_str().trim_end_matches('/').to_owned();
        let connector =
            SlackClientHyperConnector::with_connector(https).with_slack_api_url(&api_url);
        Ok(Arc::new(SlackWeb {
            client: SlackClient::new(connector),
            token: SlackApiToken::new(SlackApiTokenValue::new(bot_token.to_owned())),
            api_url,
        }))
    }

    fn session(&self) -> SlackClientSession<'_, SlackClientHyperHttpsConnector> {
        self.client.open_session(&self.token)
    }

    /// Runs one Web API call, trying again after a 429 for as long as Slack asks (up to
    /// [`LONGEST_WAIT`]) and after `service_unavailable`, at most [`RATE_LIMIT_RETRIES`] times.
    async fn call<T, F, Fut>(&self, method: &'static str, attempt: F) -> Result<T, ChatError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = ClientResult<T>>,
    {
        let mut retries = 0;
        loop {
            match attempt().await {
                Ok(answer) => return Ok(answer),
                Err(SlackClientError::RateLimitError(limit)) => {
                    let wait = limit.retry_after.unwrap_or(DEFAULT_WAIT);
                    if retries >= RATE_LIMIT_RETRIES || wait > LONGEST_WAIT {
                        tracing::warn!(method, retries, "slack kept rate limiting, giving up");
                        return Err(failed(format!("{method}: rate limited")));
                    }
                    retries += 1;
                    tracing::info!(
                        method,
                        wait_ms = wait.as_millis() as u64,
                        "slack rate limit, waiting"
                    );
                    tokio::time::sleep(wait).await;
                }
                // Slack's "temporarily unavailable": nothing was done, so trying again cannot
                // post twice (unlike a timeout or `internal_error`, which may have).
                Err(SlackClientError::ApiError(api))
                    if api.code == "service_unavailable" && retries < RATE_LIMIT_RETRIES =>
                {
                    retries += 1;
                    tracing::info!(method, retries, "slack unavailable, trying again");
                    tokio::time::sleep(DEFAULT_WAIT).await;
                }
                Err(error) => {
                    let reason = describe(method, &error);
                    tracing::warn!(method, %reason, "slack web api call failed");
                    return Err(failed(reason));
                }
            }
        }
    }
}

impl SlackWeb {
    /// The id of the workspace member with this email (`users.lookupByEmail`, which needs
    /// `users:read.email`); `None` when Slack has nobody by it, or only a deactivated account.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>, ChatError> {
        let request = SlackApiUsersLookupByEmailRequest::new(EmailAddress(email.to_owned()));
        let request = &request;
        let found = self
            .call("users.lookupByEmail", || async move {
                match self.session().users_lookup_by_email(request).await {
                    Ok(found) => Ok(Some(found.user)),
                    Err(SlackClientError::ApiError(api)) if api.code == "users_not_found" => {
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            })
            .await?;
        Ok(found
            .filter(|user| user.deleted != Some(true))
            .map(|user| user.id.0))
    }
}

/// Why `views.open` opened no modal.
#[derive(Debug, thiserror::Error)]
pub(super) enum ViewNotOpened {
    /// The trigger has opened a view already: the click is a replay of one handled before.
    #[error("views.open: exchanged_trigger_id")]
    TriggerUsed,
    /// Slack refused, or could not be reached; the words name Slack's error code.
    #[error("{0}")]
    Failed(String),
}

impl SlackWeb {
    /// Opens `view` for the person whose interaction gave `trigger_id`: one attempt, because a
    /// trigger outlives no wait for a rate limit.
    pub(super) async fn open_view(
        &self,
        trigger_id: &str,
        view: SlackView,
    ) -> Result<(), ViewNotOpened> {
        let request =
            SlackApiViewsOpenRequest::new(SlackTriggerId::new(trigger_id.to_owned()), view);
        match self.session().views_open(&request).await {
            Ok(_) => Ok(()),
            Err(SlackClientError::ApiError(api)) if api.code == "exchanged_trigger_id" => {
                Err(ViewNotOpened::TriggerUsed)
            }
            Err(error) => Err(ViewNotOpened::Failed(describe("views.open", &error))),
        }
    }
}

/// What went wrong, in words that carry Slack's error code and never the request (whose
/// header holds the token) or a whole response body.
fn describe(method: &str, error: &SlackClientError) -> String {
    match error {
        SlackClientError::ApiError(api) => format!("{method}: {}", api.code),
        SlackClientError::HttpError(http) => format!("{method}: http status {}", http.status_code),
        SlackClientError::RateLimitError(_) => format!("{method}: rate limited"),
        SlackClientError::HttpProtocolError(_) => format!("{method}: cannot reach slack"),
        SlackClientError::ProtocolError(_) => format!("{method}: unexpected answer from slack"),
        _ => format!("{method}: request failed"),
    }
}

fn failed(reason: String) -> ChatError {
    ChatError::Failed {
        channel: Channel::Slack,
        reason,
    }
}

fn slack_user(person: &ChatUser) -> Result<SlackUserId, ChatError> {
    if person.channel != Channel::Slack {
        return Err(failed("the person is not a slack user".to_owned()));
    }
    Ok(SlackUserId::new(person.id.clone()))
}

/// The first non-empty of Slack's names: profiles often carry an empty `display_name`.
fn first_name_given(names: [Option<&String>; 3]) -> Option<String> {
    names
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .cloned()
}

impl fmt::Debug for SlackWeb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackWeb")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

// === impl ChatPort for SlackWeb ===

impl ChatPort for SlackWeb {
    fn send<'a>(
        &'a self,
        place: &'a Place,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<SentMessage, ChatError>> {
        Box::pin(async move {
            let conversation = Conversation::from_place(place)?;
            let request = SlackApiChatPostMessageRequest::new(
                SlackChannelId::new(conversation.channel.clone()),
                blocks::new_message(message),
            )
            .opt_thread_ts(conversation.thread_ts.clone().map(SlackTs::new));
            let request = &request;
            let posted = self
                .call("chat.postMessage", || async move {
                    self.session().chat_post_message(request).await
                })
                .await?;
            // Slack answers with the channel it posted in, which for a post to a user id is
            // the direct conversation: later updates need that channel.
            let place = Conversation::new(posted.channel.0)
                .in_thread(conversation.thread_ts)
                .place();
            Ok(SentMessage {
                place,
                id: posted.ts.0,
            })
        })
    }

    fn update<'a>(
        &'a self,
        sent: &'a SentMessage,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async move {
            let conversation = Conversation::from_place(&sent.place)?;
            let request = SlackApiChatUpdateRequest::new(
                SlackChannelId::new(conversation.channel),
                blocks::replacement(message),
                SlackTs::new(sent.id.clone()),
            );
            let request = &request;
            self.call("chat.update", || async move {
                self.session().chat_update(request).await
            })
            .await?;
            Ok(())
        })
    }

    fn open_direct<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Place, ChatError>> {
        Box::pin(async move {
            let request =
                SlackApiConversationsOpenRequest::new().with_users(vec![slack_user(person)?]);
            let request = &request;
            let opened = self
                .call("conversations.open", || async move {
                    self.session().conversations_open(request).await
                })
                .await?;
            Ok(Conversation::new(opened.channel.id.0).place())
        })
    }

    fn contact<'a>(&'a self, person: &'a ChatUser) -> BoxFuture<'a, Result<Contact, ChatError>> {
        Box::pin(async move {
            let request = SlackApiUsersInfoRequest::new(slack_user(person)?);
            let request = &request;
            let info = self
                .call("users.info", || async move {
                    self.session().users_info(request).await
                })
                .await?;
            let user = info.user;
            let profile = user.profile.as_ref();
            Ok(Contact {
                display_name: first_name_given([
                    profile.and_then(|profile| profile.real_name.as_ref()),
                    profile.and_then(|profile| profile.display_name.as_ref()),
                    user.real_name.as_ref(),
                ]),
                email: profile
                    .and_then(|profile| profile.email.as_ref())
                    .map(|email| email.0.clone())
                    .filter(|email| !email.trim().is_empty()),
            })
        })
    }

    /// Slack offers bots no typing indicator over the Web API (only the legacy RTM socket had
    /// one), so there is nothing to send: the answer simply follows.
    fn typing<'a>(&'a self, _place: &'a Place) -> BoxFuture<'a, Result<(), ChatError>> {
        Box::pin(async { Ok(()) })
    }

    /// Slack's direct-message conversation ids start with `D`.
    fn is_direct(&self, place: &Place) -> bool {
        Conversation::from_place(place)
            .is_ok_and(|conversation| conversation.channel.starts_with('D'))
    }
}
