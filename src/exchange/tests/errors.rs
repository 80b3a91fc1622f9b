//! Error mapping: the exception type inside `details[].message` first, then the status.

use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{
    PERSON_TOKEN_VALUE, TestResult, app_token, client_for, cmdlet_error, header, person_token,
    received,
};
use crate::exchange::error::exception_type;
use crate::exchange::{ActingAs, ExchangeError};

const LIST: &str = "sales@contoso.com";
const TOM: &str = "tom.becker@contoso.com";

async fn answered(
    template: ResponseTemplate,
) -> Result<(MockServer, ExchangeError), Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(template)
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let outcome = client
        .add_list_member(&person_token(), LIST, TOM, ActingAs::ListOwner)
        .await;
    match outcome {
        Ok(done) => Err(format!("expected an error, got {done:?}").into()),
        Err(error) => Ok((server, error)),
    }
}

#[test]
fn the_exception_type_is_read_from_between_the_bars() {
    let cases = [
        (
            "Ex6F9304|Microsoft.Exchange.Management.Tasks.MemberAlreadyExistsException|The recipient is already a member.",
            Some("MemberAlreadyExistsException"),
        ),
        (
            "|Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException|The operation couldn't be performed because object 'nobody' couldn't be found.",
            Some("ManagementObjectNotFoundException"),
        ),
        (
            "MemberNotFoundException|text",
            Some("MemberNotFoundException"),
        ),
        ("Ex1|The text mentions SomeException in passing|x", None),
        ("no bars at all", None),
        ("Ex1|Exception|x", None),
        ("", None),
    ];
    for (message, expected) in cases {
        assert_eq!(exception_type(message), expected, "{message}");
    }
}

#[tokio::test]
async fn an_unknown_identity_is_not_found_with_the_cmdlets_reason_and_is_not_retried() -> TestResult
{
    let (server, error) = answered(cmdlet_error(
        404,
        "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
        "The operation couldn't be performed because object 'sales@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.prod.outlook.com'.",
    ))
    .await?;
    let ExchangeError::NotFound(failure) = &error else {
        return Err(format!("expected NotFound, got {error:?}").into());
    };
    assert_eq!(failure.cmdlet, "Add-DistributionGroupMember");
    assert_eq!(failure.status, Some(404));
    assert_eq!(
        failure.exception.as_deref(),
        Some("ManagementObjectNotFoundException")
    );
    assert_eq!(failure.code.as_deref(), Some("InternalServerError"));
    assert!(
        failure
            .message
            .as_deref()
            .unwrap_or_default()
            .starts_with("The operation couldn't")
    );
    assert_eq!(
        failure.request_id.as_deref(),
        Some("9d3c0b7e-failed-request")
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header(&requests[0], "client-request-id"),
        error.client_request_id()
    );
    assert!(error.is_first_hand() && !error.is_transient());
    Ok(())
}

#[tokio::test]
async fn a_caller_who_does_not_manage_the_list_is_forbidden() -> TestResult {
    let (_, error) = answered(cmdlet_error(
        400,
        "Microsoft.Exchange.Management.Tasks.OperationRequiresGroupManagerException",
        "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
    ))
    .await?;
    assert!(matches!(error, ExchangeError::Forbidden(_)), "{error:?}");
    assert_eq!(
        error.exception(),
        Some("OperationRequiresGroupManagerException")
    );
    Ok(())
}

#[tokio::test]
async fn statuses_without_a_known_exception_map_by_status() -> TestResult {
    let (_, forbidden) = answered(ResponseTemplate::new(403)).await?;
    assert!(
        matches!(forbidden, ExchangeError::Forbidden(_)),
        "{forbidden:?}"
    );
    let (server, unauthorized) = answered(ResponseTemplate::new(401).set_body_json(
        json!({"error": {"code": "InvalidToken", "message": "The token is expired."}}),
    ))
    .await?;
    match &unauthorized {
        ExchangeError::Unauthorized(failure) => {
            assert_eq!(failure.code.as_deref(), Some("InvalidToken"));
            assert_eq!(failure.message.as_deref(), Some("The token is expired."));
        }
        other => return Err(format!("expected Unauthorized, got {other:?}").into()),
    }
    assert_eq!(received(&server).await.len(), 1, "401 is not retried");
    // A 404 without the exception may be a wrong path: it must not read as an unknown identity.
    let (_, wrong_path) = answered(ResponseTemplate::new(404).set_body_string("Not Found")).await?;
    assert!(
        matches!(wrong_path, ExchangeError::Other(_)),
        "{wrong_path:?}"
    );
    Ok(())
}

#[tokio::test]
async fn other_exceptions_keep_their_code_exception_and_reason() -> TestResult {
    let (_, error) = answered(cmdlet_error(
        400,
        "Microsoft.Exchange.Data.DataValidationException",
        "Couldn't find object \"x\".",
    ))
    .await?;
    match &error {
        ExchangeError::Other(failure) => {
            assert_eq!(
                failure.exception.as_deref(),
                Some("DataValidationException")
            );
            assert_eq!(failure.code.as_deref(), Some("InternalServerError"));
            assert_eq!(
                failure.message.as_deref(),
                Some("Couldn't find object \"x\".")
            );
        }
        other => return Err(format!("expected Other, got {other:?}").into()),
    }
    let shown = error.to_string();
    assert!(shown.contains("Add-DistributionGroupMember"), "{shown}");
    assert!(shown.contains("DataValidationException"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn errors_never_carry_the_token() -> TestResult {
    let (_, error) = answered(cmdlet_error(
        403,
        "Microsoft.Exchange.Configuration.Tasks.AccessDeniedException",
        "Access denied.",
    ))
    .await?;
    assert!(matches!(error, ExchangeError::Forbidden(_)));
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(PERSON_TOKEN_VALUE));
    Ok(())
}

#[tokio::test]
async fn reads_map_errors_the_same_way() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(cmdlet_error(
            404,
            "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
            "The operation couldn't be performed because object 'nobody' couldn't be found.",
        ))
        .mount(&server)
        .await;
    let client = client_for(&server)?;
    let outcome = client.recipient(&app_token(), "nobody").await;
    assert!(
        matches!(outcome, Err(ExchangeError::NotFound(_))),
        "{outcome:?}"
    );
    Ok(())
}
