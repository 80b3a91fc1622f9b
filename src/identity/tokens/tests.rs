//! The broker against a fake token endpoint: a sign-out that races a refresh wins.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::*;
use crate::config::{Config, SecretKey};
use crate::store::{SledStore, Store};

const TENANT: &str = "7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn config(authority: &str) -> Config {
    let text = format!(
        r#"
[server]
listen = "127.0.0.1:0"
public_url = "http://127.0.0.1:3978"
[storage]
path = "unused"
[microsoft]
tenant_id = "{TENANT}"
client_id = "doorman-tests"
client_secret = "not-a-real-secret"
authority = "{authority}"
[security]
token_key = "{KEY}"
audit_key = "{KEY}"
"#
    );
    Config::from_toml(&text, Vec::new()).expect("the test config loads")
}

struct Fixture {
    broker: Arc<TokenBroker>,
    vault: TokenVault,
    server: MockServer,
    _dir: tempfile::TempDir,
}

/// A broker whose token endpoint answers a refresh after `delay`.
async fn fixture(delay: Duration) -> Fixture {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({
                    "access_token": "access-2",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": "refresh-2",
                    "scope": "User.Read",
                }))
                .set_delay(delay),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
    let vault = TokenVault::open(store, &SecretKey::from_bytes([7; 32]), &[]).expect("vault");
    let oauth = OAuth::new(&config(&server.uri()), reqwest::Client::new()).expect("oauth");
    let broker = Arc::new(TokenBroker::new(
        vault.clone(),
        Arc::new(oauth),
        ExchangeScopes::default(),
    ));
    broker
        .keep_refresh_token(
            "oid-1",
            SecretString::from("refresh-1".to_owned()),
            vec!["User.Read".into()],
            Some("ana@contoso.com".into()),
        )
        .await
        .expect("a grant on record");
    Fixture {
        broker,
        vault,
        server,
        _dir: dir,
    }
}

#[tokio::test]
async fn a_sign_out_during_a_refresh_is_not_undone_by_the_rotated_token() {
    let fixture = fixture(Duration::from_millis(400)).await;
    let refreshing = {
        let broker = Arc::clone(&fixture.broker);
        tokio::spawn(async move { broker.access_token("oid-1", Role::Requester).await })
    };
    // Sign out once the refresh is on the wire.
    for _ in 0..200 {
        let seen = fixture.server.received_requests().await.unwrap_or_default();
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    fixture.broker.forget("oid-1").await.expect("forget");
    let refreshed = refreshing.await.expect("the refresh task finishes");
    assert!(refreshed.is_ok(), "the refresh itself completed");
    assert!(
        !fixture.broker.has_grant("oid-1"),
        "the signed-out grant stays gone"
    );
    assert!(fixture.vault.get("oid-1").expect("read").is_none());
    let after = fixture.broker.access_token("oid-1", Role::Requester).await;
    assert!(
        matches!(after, Err(TokenError::NeedsSignIn(_))),
        "no cached access token survives the sign-out either"
    );
}

#[tokio::test]
async fn a_refresh_rotates_the_stored_refresh_token_and_caches_the_access_token() {
    let fixture = fixture(Duration::ZERO).await;
    fixture
        .broker
        .access_token("oid-1", Role::Requester)
        .await
        .expect("a token");
    let grant = fixture.vault.get("oid-1").expect("read").expect("kept");
    assert_eq!(grant.refresh_token.expose_secret(), "refresh-2");
    fixture
        .broker
        .access_token("oid-1", Role::Requester)
        .await
        .expect("a token");
    let calls = fixture.server.received_requests().await.unwrap_or_default();
    assert_eq!(calls.len(), 1, "the second call is served from the cache");
}

/// What a sign-in for `role` returns: tokens named `access-{name}` and `refresh-{name}`.
fn signed_in(name: &str, role: Role) -> Tokens {
    Tokens {
        access_token: SecretString::from(format!("access-{name}")),
        refresh_token: Some(SecretString::from(format!("refresh-{name}"))),
        id_token: None,
        expires_in: Duration::from_secs(3600),
        scopes: role
            .graph_scopes()
            .iter()
            .map(|scope| (*scope).to_owned())
            .collect(),
    }
}

#[tokio::test]
async fn a_narrower_sign_in_never_takes_away_a_broader_grant_on_record() {
    let fixture = fixture(Duration::ZERO).await;
    let broad: Vec<String> = Role::OwnerApprover
        .graph_scopes()
        .iter()
        .map(|scope| (*scope).to_owned())
        .collect();
    fixture
        .broker
        .keep_refresh_token(
            "oid-1",
            SecretString::from("refresh-broad".to_owned()),
            broad.clone(),
            Some("ana@contoso.com".into()),
        )
        .await
        .expect("the broad grant is kept");
    // Ana links her Slack account: a requester's sign-in, for User.Read only.
    let narrow = signed_in("narrow", Role::Requester);
    fixture
        .broker
        .keep("oid-1", narrow, Vec::new(), Some("ana@contoso.com".into()))
        .await
        .expect("kept");
    let grant = fixture
        .vault
        .get("oid-1")
        .expect("read")
        .expect("on record");
    assert_eq!(grant.refresh_token.expose_secret(), "refresh-broad");
    assert_eq!(grant.scopes, broad);
    // The new access token serves what it covers, without a refresh.
    fixture
        .broker
        .access_token("oid-1", Role::Requester)
        .await
        .expect("a requester's token");
    assert!(
        fixture
            .server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    // A sign-in that covers everything on record replaces it.
    let wider = signed_in("operator", Role::Operator);
    fixture
        .broker
        .keep("oid-1", wider, Vec::new(), None)
        .await
        .expect("kept");
    let grant = fixture
        .vault
        .get("oid-1")
        .expect("read")
        .expect("on record");
    assert_eq!(grant.refresh_token.expose_secret(), "refresh-operator");
}

/// The form fields of a token request.
fn form(request: &wiremock::Request) -> std::collections::HashMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

#[tokio::test]
async fn an_exchange_token_comes_from_the_same_refresh_token_and_keeps_every_consent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .and(wiremock::matchers::body_string_contains(
            "outlook.office365.com",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access-exchange",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "refresh-2",
            // Entra names the token's own scopes, without the resource.
            "scope": "Exchange.Manage Exchange.ManageV2",
        })))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/{TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "access-graph",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "refresh-3",
            "scope": Role::Operator.graph_scopes().join(" "),
        })))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().expect("dir");
    let store: Arc<dyn Store> = Arc::new(SledStore::open(dir.path()).expect("store"));
    let vault = TokenVault::open(store, &SecretKey::from_bytes([7; 32]), &[]).expect("vault");
    let oauth = OAuth::new(&config(&server.uri()), reqwest::Client::new()).expect("oauth");
    let exchange = ExchangeScopes::default();
    let broker = TokenBroker::new(vault.clone(), Arc::new(oauth), exchange.clone());
    let consented = Role::Operator.requested_scopes(&exchange);
    broker
        .keep_refresh_token(
            "oid-1",
            SecretString::from("refresh-1".to_owned()),
            consented.clone(),
            None,
        )
        .await
        .expect("kept");

    broker
        .access_token_for("oid-1", Role::Operator, Service::Exchange)
        .await
        .expect("an Exchange token");
    let calls = server.received_requests().await.unwrap_or_default();
    let asked = form(&calls[0]);
    let scopes: Vec<&str> = asked["scope"].split(' ').collect();
    assert!(scopes.contains(&exchange.invoke.as_str()), "{scopes:?}");
    assert!(
        scopes
            .iter()
            .all(|scope| exchange.names(scope) || *scope == "offline_access"),
        "one resource per token request: {scopes:?}"
    );
    let grant = vault.get("oid-1").expect("read").expect("kept");
    assert_eq!(grant.refresh_token.expose_secret(), "refresh-2");
    assert_eq!(
        grant.scopes, consented,
        "the rotated token keeps every consent"
    );

    // A Graph token is then asked for Graph's scopes only, and a requester's Exchange token is
    // never fetched: the role has none.
    broker
        .access_token_for("oid-1", Role::Operator, Service::Graph)
        .await
        .expect("a Graph token");
    let calls = server.received_requests().await.unwrap_or_default();
    let asked = form(&calls[1]);
    assert!(
        asked["scope"]
            .split(' ')
            .all(|scope| !exchange.names(scope)),
        "{}",
        asked["scope"]
    );
    let grant = vault.get("oid-1").expect("read").expect("kept");
    assert!(
        Role::Operator.covered_by(Service::Exchange, &grant.scopes, &exchange),
        "a Graph refresh keeps the Exchange consent: {:?}",
        grant.scopes
    );
    assert!(matches!(
        broker
            .access_token_for("oid-1", Role::Requester, Service::Exchange)
            .await,
        Err(TokenError::NeedsSignIn(_))
    ));
}
