//! `[exchange]`: defaults, overrides, checks, and which scope each route and operation needs.

use super::support::{TENANT, TestResult};
use crate::config::TrustedRoots;
use crate::exchange::{
    Endpoint, ExchangeClient, ExchangeError, ExchangeSettings, Operation, Route,
};

const MANAGE: &str = "https://outlook.office365.com/Exchange.Manage";
const MANAGE_V2: &str = "https://outlook.office365.com/Exchange.ManageV2";

#[test]
fn an_empty_section_gives_the_real_world_routes_and_scopes() -> TestResult {
    let settings: ExchangeSettings = toml::from_str("")?;
    assert_eq!(settings, ExchangeSettings::default());
    assert_eq!(settings.url.as_str(), "https://outlook.office365.com/");
    assert_eq!(
        settings.invoke_path,
        "/adminapi/beta/{tenant}/InvokeCommand"
    );
    assert_eq!(settings.scope(Route::Invoke), MANAGE);
    for endpoint in [
        Endpoint::Mailbox,
        Endpoint::MailboxFolderPermission,
        Endpoint::DistributionGroupMember,
        Endpoint::AcceptedDomain,
    ] {
        assert_eq!(settings.scope(Route::V2(endpoint)), MANAGE_V2);
    }
    let client = ExchangeClient::new(reqwest::Client::new(), settings, TENANT)?;
    assert_eq!(
        client.url(Route::Invoke)?.as_str(),
        format!("https://outlook.office365.com/adminapi/beta/{TENANT}/InvokeCommand")
    );
    assert_eq!(
        client
            .url(Route::V2(Endpoint::MailboxFolderPermission))?
            .as_str(),
        format!("https://outlook.office365.com/adminapi/v2.0/{TENANT}/MailboxFolderPermission")
    );
    Ok(())
}

#[test]
fn each_operation_asks_for_the_scope_of_its_route() -> TestResult {
    let client = ExchangeClient::new(
        ExchangeClient::http_client(&TrustedRoots::default())?,
        ExchangeSettings::default(),
        TENANT,
    )?;
    let v2 = [
        Operation::AddSendOnBehalf,
        Operation::RemoveSendOnBehalf,
        Operation::ReadMailbox,
        Operation::ReadListMembers,
        Operation::ReadFolderPermissions,
        Operation::RemoveFolderPermission,
        Operation::SetFolderPermission,
        Operation::ReadAcceptedDomains,
    ];
    for operation in Operation::ALL {
        let expected = if v2.contains(&operation) {
            MANAGE_V2
        } else {
            MANAGE
        };
        assert_eq!(client.scope_for(operation), expected, "{operation:?}");
    }
    Ok(())
}

#[test]
fn configured_paths_and_scopes_replace_the_defaults() -> TestResult {
    let settings: ExchangeSettings = toml::from_str(
        r#"
        url = "http://127.0.0.1:9000"
        invoke_path = "/exchange/{tenant}/invoke"
        invoke_scope = "api://sim/Exchange.Manage"
        v2_scope = "api://sim/Exchange.ManageV2"
        "#,
    )?;
    let client = ExchangeClient::new(reqwest::Client::new(), settings, TENANT)?;
    assert_eq!(
        client.url(Route::Invoke)?.as_str(),
        format!("http://127.0.0.1:9000/exchange/{TENANT}/invoke")
    );
    assert_eq!(
        client.scope_for(Operation::AddFullAccess),
        "api://sim/Exchange.Manage"
    );
    assert_eq!(
        client.scope_for(Operation::ReadMailbox),
        "api://sim/Exchange.ManageV2"
    );
    assert!(toml::from_str::<ExchangeSettings>("invoke_url = \"/x\"").is_err());
    Ok(())
}

#[test]
fn settings_and_tenants_that_cannot_form_requests_are_refused() -> TestResult {
    let broken = [
        ExchangeSettings {
            url: url::Url::parse("ftp://outlook.office365.com")?,
            ..ExchangeSettings::default()
        },
        ExchangeSettings {
            url: url::Url::parse("https://outlook.office365.com/adminapi")?,
            ..ExchangeSettings::default()
        },
        ExchangeSettings {
            invoke_path: "adminapi/beta/{tenant}/InvokeCommand".to_owned(),
            ..ExchangeSettings::default()
        },
        ExchangeSettings {
            v2_scope: " ".to_owned(),
            ..ExchangeSettings::default()
        },
        ExchangeSettings {
            // Without its resource, the name would be asked of Graph.
            invoke_scope: "Exchange.Manage".to_owned(),
            ..ExchangeSettings::default()
        },
        ExchangeSettings {
            invoke_path: "/adminapi/beta/InvokeCommand".to_owned(),
            ..ExchangeSettings::default()
        },
    ];
    for settings in broken {
        assert!(settings.check().is_err(), "{settings:?}");
        let outcome = ExchangeClient::new(reqwest::Client::new(), settings, TENANT);
        assert!(matches!(outcome, Err(ExchangeError::InvalidRequest { .. })));
    }
    for tenant in ["", "contoso.com/../evil", "a?b", "a#b"] {
        let outcome =
            ExchangeClient::new(reqwest::Client::new(), ExchangeSettings::default(), tenant);
        assert!(
            matches!(outcome, Err(ExchangeError::InvalidRequest { .. })),
            "{tenant}"
        );
    }
    Ok(())
}
