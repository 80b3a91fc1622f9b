//! The simulator's identity platform, driven like the bot drives it.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{MEMBER_SCOPES, TestSim};

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn a_sign_in_with_pkce_gives_graph_tokens_that_name_the_user() {
    let sim = TestSim::start().await;
    let signed_in = sim.sign_in("jordan.lee@contoso.com", MEMBER_SCOPES).await;
    let access = claims(&signed_in.access_token);
    assert_eq!(access["oid"], sim.user_id("jordan.lee@contoso.com"));
    assert_eq!(access["tid"], sim.tenant_id());
    assert_eq!(access["upn"], "jordan.lee@contoso.com");
    assert_eq!(access["aud"], "https://graph.microsoft.com");
    assert_eq!(access["scp"], "User.Read GroupMember.ReadWrite.All");
    assert!(access["exp"].as_i64().unwrap_or_default() > chrono::Utc::now().timestamp());
    assert!(
        signed_in.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );
    let me = sim.get(&signed_in.access_token, "/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["userPrincipalName"], "jordan.lee@contoso.com");
}

#[tokio::test]
async fn the_id_token_verifies_with_the_published_keys_and_carries_the_nonce() {
    let sim = TestSim::start().await;
    let signed_in = sim.sign_in("maria.garcia@contoso.com", MEMBER_SCOPES).await;
    let id_token = signed_in.id_token.expect("openid gives an ID token");
    let metadata = sim
        .http
        .get(format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            sim.url,
            sim.tenant_id()
        ))
        .send()
        .await
        .expect("metadata")
        .json::<Value>()
        .await
        .expect("metadata JSON");
    let jwks: Value = sim
        .http
        .get(metadata["jwks_uri"].as_str().expect("jwks_uri"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("jwks JSON");
    let header = jsonwebtoken::decode_header(&id_token).expect("header");
    let key = jwks["keys"]
        .as_array()
        .and_then(|keys| {
            keys.iter()
                .find(|k| k["kid"].as_str() == header.kid.as_deref())
        })
        .expect("the signing key is published");
    let decoding = DecodingKey::from_rsa_components(
        key["n"].as_str().expect("n"),
        key["e"].as_str().expect("e"),
    )
    .expect("key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[sim.state.registration.client_id.as_str()]);
    validation.set_issuer(&[metadata["issuer"].as_str().expect("issuer")]);
    let claims: Value = jsonwebtoken::decode(&id_token, &decoding, &validation)
        .expect("ID token verifies")
        .claims;
    assert_eq!(claims["nonce"], "nonce-1");
    assert_eq!(claims["email"], "maria.garcia@contoso.com");
    assert_eq!(claims["preferred_username"], "maria.garcia@contoso.com");
    assert_eq!(claims["oid"], sim.user_id("maria.garcia@contoso.com"));
}

#[tokio::test]
async fn a_code_is_refused_with_the_wrong_verifier_and_works_only_once() {
    let sim = TestSim::start().await;
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let redirect_uri = sim.state.registration.redirect_uri.clone();
    let redirect = sim
        .authorize("tom.becker@contoso.com", MEMBER_SCOPES, challenge, "n")
        .await;
    let code = TestSim::code_from(&redirect);
    let wrong = sim
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("code_verifier", "not-the-verifier"),
        ])
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["error"], "invalid_grant");
    let redirect = sim
        .authorize("tom.becker@contoso.com", MEMBER_SCOPES, challenge, "n")
        .await;
    let code = TestSim::code_from(&redirect);
    // RFC 7636 appendix B: this verifier hashes to the challenge above.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        (
            "code_verifier",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ),
    ];
    assert_eq!(sim.token(&form).await.status, 200);
    let again = sim.token(&form).await;
    assert_eq!(again.status, 400, "a code is single-use");
    assert!(
        again.body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("AADSTS54005")
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_used_one_stops_working() {
    let sim = TestSim::start().await;
    let signed_in = sim.sign_in("priya.nair@contoso.com", MEMBER_SCOPES).await;
    let first = signed_in.refresh_token.expect("refresh token");
    let refreshed = sim
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &first)])
        .await;
    assert_eq!(refreshed.status, 200);
    let second = refreshed.body["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(first, second);
    let reused = sim
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &first)])
        .await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.body["error"], "invalid_grant");
    let wider = sim
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &second),
            ("scope", "Group.ReadWrite.All"),
        ])
        .await;
    assert_eq!(
        wider.status, 400,
        "a refresh cannot add scopes that were never consented"
    );
}

#[tokio::test]
async fn revoking_sign_in_sessions_makes_refresh_tokens_fail() {
    let sim = TestSim::start().await;
    let signed_in = sim
        .sign_in(
            "alex.kim@contoso.com",
            "openid offline_access User.Read User.RevokeSessions.All",
        )
        .await;
    let revoked = sim
        .graph(
            &signed_in.access_token,
            Method::POST,
            "/me/revokeSignInSessions",
            None,
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.body["value"], true);
    let refresh = sim
        .token(&[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                signed_in.refresh_token.as_deref().unwrap_or_default(),
            ),
        ])
        .await;
    assert_eq!(refresh.status, 400);
    assert!(refresh.text.contains("AADSTS50173"), "{}", refresh.text);
}

#[tokio::test]
async fn unknown_clients_and_redirect_uris_get_an_error_page_never_a_redirect() {
    let sim = TestSim::start().await;
    let tenant = sim.tenant_id();
    for (client, redirect, code) in [
        (
            "not-the-client",
            sim.state.registration.redirect_uri.as_str(),
            "AADSTS700016",
        ),
        (
            sim.state.registration.client_id.as_str(),
            "https://evil.example/callback",
            "AADSTS50011",
        ),
    ] {
        let response = sim
            .http
            .get(format!("{}/{tenant}/oauth2/v2.0/authorize", sim.url))
            .query(&[
                ("client_id", client),
                ("response_type", "code"),
                ("redirect_uri", redirect),
                ("scope", "openid"),
                ("login_hint", "tom.becker@contoso.com"),
            ])
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status(), 400);
        assert!(response.headers().get("location").is_none());
        assert!(response.text().await.unwrap_or_default().contains(code));
    }
}

#[tokio::test]
async fn locked_out_disabled_and_unknown_accounts_cannot_sign_in() {
    let sim = TestSim::start().await;
    for (upn, code) in [
        ("sarah.chen@contoso.com", "AADSTS50053"),
        ("liam.ward@contoso.com", "AADSTS50057"),
        ("support@contoso.com", "AADSTS50057"),
        ("nobody@contoso.com", "AADSTS50034"),
    ] {
        let response = sim.authorize(upn, MEMBER_SCOPES, "challenge", "n").await;
        assert_eq!(response.status(), 400, "{upn} should not sign in");
        assert!(
            response.text().await.unwrap_or_default().contains(code),
            "{upn} should see {code}"
        );
    }
}

#[tokio::test]
async fn an_unknown_scope_is_refused_back_to_the_client() {
    let sim = TestSim::start().await;
    let response = sim
        .authorize(
            "tom.becker@contoso.com",
            "openid Group.ReadWrite.Everything",
            "c",
            "n",
        )
        .await;
    assert_eq!(response.status(), 302);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        location.contains("error=invalid_scope") && location.contains("state=state-1"),
        "{location}"
    );
}

#[tokio::test]
async fn client_credentials_need_the_secret_and_give_read_only_roles() {
    let sim = TestSim::start().await;
    let registration = sim.state.registration.clone();
    let response = sim
        .http
        .post(format!("{}/{}/oauth2/v2.0/token", sim.url, sim.tenant_id()))
        .form(&[
            ("client_id", registration.client_id.as_str()),
            ("client_secret", "wrong"),
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 401);
    let token = sim.app_token().await;
    let roles = claims(&token)["roles"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!roles.is_empty());
    assert!(
        roles
            .iter()
            .all(|role| role.as_str().is_some_and(|r| r.contains("Read"))),
        "{roles:?}"
    );
    assert_eq!(
        sim.get(&token, "/me").await.status,
        400,
        "/me means nothing to an app-only token"
    );
}

#[tokio::test]
async fn client_credentials_for_the_bot_framework_give_a_connector_token_graph_refuses() {
    let sim = TestSim::start().await;
    let answer = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://api.botframework.com/.default"),
        ])
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["expires_in"], 3600);
    let token = answer.body["access_token"].as_str().unwrap_or_default();
    let issued = claims(token);
    assert_eq!(issued["aud"], "https://api.botframework.com");
    assert_eq!(issued["appid"], sim.state.registration.client_id.as_str());
    assert_eq!(issued["azp"], sim.state.registration.client_id.as_str());
    assert!(
        issued.get("roles").is_none(),
        "a connector token holds no Graph roles"
    );
    assert_eq!(sim.get(token, "/users").await.status, 401);
    let elsewhere = sim
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://management.azure.com/.default"),
        ])
        .await;
    assert_eq!(elsewhere.status, 400);
    assert_eq!(elsewhere.body["error"], "invalid_scope");
}

#[tokio::test]
async fn a_sign_in_without_pkce_is_refused() {
    let sim = TestSim::start().await;
    let registration = sim.state.registration.clone();
    let response = sim
        .http
        .get(format!(
            "{}/{}/oauth2/v2.0/authorize",
            sim.url,
            sim.tenant_id()
        ))
        .query(&[
            ("client_id", registration.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", registration.redirect_uri.as_str()),
            ("scope", "openid"),
            ("state", "s"),
            ("login_hint", "tom.becker@contoso.com"),
        ])
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), 302);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        location.contains("error=invalid_request") && !location.contains("code="),
        "{location}"
    );
}

#[tokio::test]
async fn debug_output_of_the_registration_and_sign_in_state_shows_no_secret() {
    let sim = TestSim::start().await;
    let signed_in = sim.sign_in("tom.becker@contoso.com", MEMBER_SCOPES).await;
    let registration = format!("{:?}", sim.state.registration);
    assert!(
        !registration.contains(&sim.state.registration.client_secret),
        "{registration}"
    );
    let login = format!("{:?}", sim.state.login_state());
    assert!(
        !login.contains(signed_in.refresh_token.as_deref().unwrap_or("x")),
        "{login}"
    );
    let directory = format!("{:?}", sim.state.directory().user("sarah.chen@contoso.com"));
    assert!(
        !directory.contains("Winter-2026-Sarah"),
        "a password reached Debug output"
    );
}
