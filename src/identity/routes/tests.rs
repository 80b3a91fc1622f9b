//! The confirmation page, rendered on its own: what it names and that it escapes.

use axum::body::to_bytes;

use super::*;

async fn text_of(response: Response) -> String {
    let bytes = to_bytes(response.into_body(), 64 * 1024)
        .await
        .expect("a readable page");
    String::from_utf8_lossy(&bytes).into_owned()
}

fn page(chat_name: Option<&str>, chat_email: Option<&str>) -> ConfirmationPage {
    ConfirmationPage {
        signed_in_as: "alex.kim@contoso.com".into(),
        entra_id: "5f0c7c1e-0000-4000-8000-00000000a1e7".into(),
        chat_user: ChatUser {
            channel: Channel::Slack,
            tenant: "T0CONTOSO".into(),
            id: "U04TOM".into(),
        },
        chat_name: chat_name.map(str::to_owned),
        chat_email: chat_email.map(str::to_owned),
    }
}

#[tokio::test]
async fn the_confirmation_page_names_both_accounts_concretely() {
    let text = text_of(page(Some("Tom Becker"), Some("tom.becker@contoso.com")).render("c1")).await;
    for expected in [
        "alex.kim@contoso.com",
        "5f0c7c1e-0000-4000-8000-00000000a1e7",
        "Slack account <strong>Tom Becker</strong>",
        "user U04TOM in workspace T0CONTOSO",
        "tom.becker@contoso.com",
        "value=\"c1\"",
    ] {
        assert!(text.contains(expected), "{expected:?} missing: {text}");
    }
    assert!(!text.contains("your Slack account"), "{text}");
}

#[tokio::test]
async fn without_a_profile_name_or_email_the_page_still_names_the_slack_user() {
    let text = text_of(page(None, None).render("c1")).await;
    assert!(
        text.contains("Slack account <strong>U04TOM</strong>"),
        "{text}"
    );
    assert!(text.contains("whose profile shows no email"), "{text}");
}

#[tokio::test]
async fn everything_a_person_or_a_chat_profile_supplies_is_escaped() {
    let hostile = page(
        Some("<script>alert(1)</script>"),
        Some("\"><img src=x onerror=alert(1)>@evil.example"),
    );
    let text = text_of(hostile.render("\"><b>id")).await;
    assert!(!text.contains("<script>") && !text.contains("<img") && !text.contains("<b>"));
    assert!(
        text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{text}"
    );
    assert!(text.contains("&quot;&gt;&lt;img"), "{text}");
}

#[tokio::test]
async fn every_page_forbids_framing_and_anything_but_its_own_markup() {
    let response = page_policy(expired()).await;
    let headers = response.headers();
    assert_eq!(headers["x-frame-options"], "DENY");
    let policy = headers["content-security-policy"].to_str().expect("ascii");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert_eq!(headers["referrer-policy"], "no-referrer");
}
