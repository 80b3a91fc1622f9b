use super::*;
use secrecy::ExposeSecret;

const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

fn keys() -> Vec<(String, String)> {
    vec![
        ("DOORMAN__SECURITY__TOKEN_KEY".into(), KEY_A.into()),
        ("DOORMAN__SECURITY__AUDIT_KEY".into(), KEY_B.into()),
        (
            "DOORMAN__MICROSOFT__CLIENT_SECRET".into(),
            "s3cr3t-value".into(),
        ),
    ]
}

fn example_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/doorman.example.toml")
}

fn minimal() -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:3978"
public_url = "http://127.0.0.1:3978"
[storage]
path = "data"
[microsoft]
tenant_id = "7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11"
client_id = "app"
client_secret = "s3cr3t-value"
[security]
token_key = "{KEY_A}"
audit_key = "{KEY_B}"
"#
    )
}

fn error_of(text: &str, environment: Vec<(String, String)>) -> String {
    match Config::from_toml(text, environment) {
        Ok(_) => panic!("expected the config to be refused"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn the_shipped_example_config_loads_with_secrets_from_the_environment() {
    let mut environment = keys();
    for (name, value) in [
        ("DOORMAN__TEAMS__APP_PASSWORD", "bot-s3cr3t"),
        ("DOORMAN__SLACK__SIGNING_SECRET", "slack-s3cr3t"),
        ("DOORMAN__SLACK__BOT_TOKEN", "xoxb-s3cr3t"),
    ] {
        environment.push((name.to_owned(), value.to_owned()));
    }
    let config = Config::load(&example_path(), environment).expect("example config loads");
    assert!(config.teams.is_some() && config.slack.is_some());
    assert_eq!(config.server.log_format, LogFormat::Json);
    assert_eq!(
        config.microsoft.operator.as_deref(),
        Some("helpdesk.ops@contoso.com")
    );
    assert_eq!(config.admin.listen.port(), 9797);
    assert_eq!(config.security.token_key.expose()[1], 1);
}

#[test]
fn environment_overrides_win_over_the_file_and_are_case_insensitive_in_names() {
    let environment = vec![
        (
            "DOORMAN__SERVER__LISTEN".to_owned(),
            "127.0.0.1:4000".to_owned(),
        ),
        (
            "DOORMAN__storage__PATH".to_owned(),
            "/tmp/elsewhere".to_owned(),
        ),
        ("UNRELATED".to_owned(), "ignored".to_owned()),
    ];
    let config = Config::from_toml(&minimal(), environment).expect("loads");
    assert_eq!(config.server.listen.port(), 4000);
    assert_eq!(config.storage.path, PathBuf::from("/tmp/elsewhere"));
}

#[test]
fn defaults_fill_the_optional_keys() {
    let config = Config::from_toml(&minimal(), Vec::new()).expect("loads");
    assert_eq!(
        config.microsoft.graph_url.as_str(),
        "https://graph.microsoft.com/v1.0"
    );
    assert_eq!(
        config.microsoft.tenant_authority(),
        "https://login.microsoftonline.com/7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11"
    );
    assert!(config.policy.file.is_none());
    assert_eq!(config.server.log_format, LogFormat::Text);
    assert!(config.catalog.file.is_none());
    assert_eq!(
        config.catalog.refresh,
        std::time::Duration::from_secs(15 * 60)
    );
}

#[test]
fn public_metrics_is_off_unless_the_file_or_the_environment_turns_it_on() {
    let off = Config::from_toml(&minimal(), Vec::new()).expect("loads");
    assert!(!off.server.public_metrics);
    let in_file = minimal().replace("[storage]", "public_metrics = true\n[storage]");
    let on = Config::from_toml(&in_file, Vec::new()).expect("loads");
    assert!(on.server.public_metrics);
    let from_environment = vec![(
        "DOORMAN__SERVER__PUBLIC_METRICS".to_owned(),
        "true".to_owned(),
    )];
    let on = Config::from_toml(&minimal(), from_environment).expect("loads");
    assert!(on.server.public_metrics);
    let unclear = vec![(
        "DOORMAN__SERVER__PUBLIC_METRICS".to_owned(),
        "yes".to_owned(),
    )];
    let refused = error_of(&minimal(), unclear);
    assert!(refused.contains("server.public_metrics"), "{refused}");
}

#[test]
fn the_catalog_refresh_is_a_duration_of_at_least_a_minute() {
    let with_catalog = |section: &str| format!("{}\n[catalog]\n{section}\n", minimal());
    let config = Config::from_toml(
        &with_catalog("file = \"/etc/doorman/catalog.toml\"\nrefresh = \"1h\""),
        Vec::new(),
    )
    .expect("loads");
    assert_eq!(
        config.catalog.refresh,
        std::time::Duration::from_secs(3_600)
    );
    assert_eq!(
        config.catalog.file.as_deref(),
        Some(Path::new("/etc/doorman/catalog.toml"))
    );
    let overridden = Config::from_toml(
        &minimal(),
        vec![("DOORMAN__CATALOG__REFRESH".into(), "1m".into())],
    )
    .expect("loads");
    assert_eq!(
        overridden.catalog.refresh,
        std::time::Duration::from_secs(60)
    );
    let too_often = error_of(&with_catalog("refresh = \"30s\""), vec![]);
    assert!(
        too_often.contains("catalog.refresh") && too_often.contains("at least 1m"),
        "{too_often}"
    );
    let unreadable = error_of(&with_catalog("refresh = \"15 minutes\""), vec![]);
    assert!(
        unreadable.contains("catalog.refresh") && unreadable.contains("15 minutes"),
        "{unreadable}"
    );
    let unknown = error_of(&with_catalog("refesh = \"1h\""), vec![]);
    assert!(
        unknown.contains("catalog") && unknown.contains("refesh"),
        "{unknown}"
    );
}

#[test]
fn every_refusal_names_the_key_it_is_about() {
    type Case = (String, Vec<(String, String)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            minimal().replace("127.0.0.1:3978\"\npublic", "nowhere\"\npublic"),
            vec![],
            "server.listen",
        ),
        (
            minimal().replace(KEY_A, "c2hvcnQ="),
            vec![],
            "security.token_key",
        ),
        (
            minimal().replace(KEY_B, "not base64!"),
            vec![],
            "security.audit_key",
        ),
        (
            minimal().replace("client_id = \"app\"\n", ""),
            vec![],
            "microsoft.client_id: is required",
        ),
        (
            minimal()
                .split("[security]")
                .next()
                .unwrap_or_default()
                .to_owned(),
            vec![],
            "security: is required",
        ),
        (
            minimal().replace("[storage]", "[storage]\nsize = 3"),
            vec![],
            "storage",
        ),
        (
            minimal().replace("7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11", "contoso"),
            vec![],
            "microsoft.tenant_id",
        ),
        (
            minimal().replace("http://127.0.0.1:3978", "ftp://x"),
            vec![],
            "server.public_url",
        ),
        (
            minimal(),
            vec![("DOORMAN__ADMIN__LISTEN".into(), "0.0.0.0:9797".into())],
            "admin.listen",
        ),
        (
            minimal(),
            vec![("DOORMAN__NOPE".into(), "x".into())],
            "DOORMAN__NOPE",
        ),
        (
            minimal(),
            vec![("DOORMAN__SERVER__COLOUR".into(), "x".into())],
            "server",
        ),
        (minimal() + "\n[teems]\nx = 1\n", vec![], "teems"),
    ];
    for (text, environment, key) in cases {
        let message = error_of(&text, environment);
        assert!(message.contains(key), "{message:?} should name {key}");
        assert!(!message.contains('\n'), "{message:?} should be one line");
        assert!(!message.contains("s3cr3t"), "{message:?} leaks a secret");
    }
}

#[test]
fn unknown_keys_are_named_with_their_section() {
    let message = error_of(
        &(minimal().replace("[storage]", "[storage]\npaht = 3")),
        vec![],
    );
    assert!(
        message.contains("storage") && message.contains("paht"),
        "{message}"
    );
}

#[test]
fn debug_output_never_shows_secrets() {
    let config = Config::from_toml(&minimal(), Vec::new()).expect("loads");
    let printed = format!("{config:?}");
    assert!(!printed.contains("s3cr3t-value"), "{printed}");
    assert!(!printed.contains(KEY_A) && !printed.contains(KEY_B));
    assert!(printed.contains("REDACTED"));
}

#[test]
fn a_missing_file_and_broken_toml_are_reported_as_such() {
    let missing = Config::load(Path::new("/nonexistent/doorman.toml"), Vec::new());
    assert!(matches!(missing, Err(ConfigError::Read { .. })));
    let broken = Config::from_toml("[server\nlisten =", Vec::new());
    assert!(matches!(broken, Err(ConfigError::Syntax { .. })));
}

#[test]
fn array_overrides_are_read_as_toml_arrays() {
    let mut table = toml::Table::new();
    env::apply_overrides(
        &mut table,
        vec![(
            "DOORMAN__TEAMS__ALLOWED_TENANTS".to_owned(),
            r#"["a", "b"]"#.to_owned(),
        )],
    )
    .expect("applies");
    let tenants = &table["teams"]["allowed_tenants"];
    assert_eq!(tenants.as_array().map(Vec::len), Some(2));
}

fn with_teams(allowed_tenants: &str) -> String {
    format!(
        r#"{}
[teams]
app_id = "bot"
app_password = "p"
token_url = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
allowed_tenants = {allowed_tenants}
"#,
        minimal()
    )
}

#[test]
fn teams_may_allow_only_the_tenant_people_sign_in_to() {
    for allowed in [
        "[]",
        r#"["7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11"]"#,
        r#"["7A1C0E52-3F0B-4C7E-9D1E-2B6F4A0C1D11"]"#,
    ] {
        let config = Config::from_toml(&with_teams(allowed), Vec::new());
        assert!(config.is_ok(), "{allowed}: {config:?}");
    }
    let message = error_of(
        &with_teams(
            r#"["7a1c0e52-3f0b-4c7e-9d1e-2b6f4a0c1d11", "0e0e0e0e-1111-4222-8333-444444444444"]"#,
        ),
        Vec::new(),
    );
    assert!(
        message.starts_with("invalid config: teams.allowed_tenants:"),
        "{message}"
    );
    assert!(message.contains("0e0e0e0e-1111-4222-8333-444444444444"));
    assert_eq!(message.lines().count(), 1);
}

#[test]
fn a_ca_file_is_read_at_load_and_a_missing_or_empty_one_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.pem");
    let set = |path: &Path| {
        let mut environment = keys();
        environment.push((
            "DOORMAN__SECURITY__CA_FILE".into(),
            path.display().to_string(),
        ));
        environment
    };
    let error = error_of(&minimal(), set(&missing));
    assert!(error.contains("security.ca_file"), "{error}");
    assert!(error.contains("cannot read"), "{error}");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("written");
    let error = error_of(&minimal(), set(&empty));
    assert!(
        error.contains("security.ca_file") && error.contains("holds no certificate"),
        "{error}"
    );
    let key = rcgen::KeyPair::generate().expect("a key");
    let certificate = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .and_then(|params| params.self_signed(&key))
        .expect("a certificate");
    let good = dir.path().join("ca.pem");
    std::fs::write(&good, certificate.pem()).expect("written");
    let config = Config::from_toml(&minimal(), set(&good)).expect("loads");
    assert!(!config.security.ca_file.is_empty());
    assert!(format!("{:?}", config.security).contains("certificates: 1"));
    let config = Config::from_toml(&minimal(), keys()).expect("loads");
    assert!(config.security.ca_file.is_empty(), "none by default");
}

/// `minimal()` without its inline secrets, for configs that name secret files instead.
fn minimal_without_secrets() -> String {
    minimal()
        .lines()
        .filter(|line| {
            !["client_secret", "token_key", "audit_key"]
                .iter()
                .any(|key| line.starts_with(key))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn secrets_are_read_from_the_files_their_file_keys_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, content: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("written");
        path.display().to_string()
    };
    // As systemd's LoadCredential= or a mounted Secret gives them: one file each, some with
    // the line break `echo` adds.
    let secret = write("client_secret", "s3cr3t-from-file\n");
    let token_key = write("token_key", &format!("{KEY_A}\n"));
    let audit_key = write("audit_key", KEY_B);
    let text = minimal_without_secrets()
        .replace(
            "[security]",
            &format!("[security]\ntoken_key_file = \"{token_key}\""),
        )
        .replace(
            "[microsoft]",
            &format!("[microsoft]\nclient_secret_file = \"{secret}\""),
        );
    let environment = vec![(
        "DOORMAN__SECURITY__AUDIT_KEY_FILE".to_owned(),
        audit_key.clone(),
    )];
    let config = Config::from_toml(&text, environment).expect("loads");
    assert_eq!(
        config.microsoft.client_secret.expose_secret(),
        "s3cr3t-from-file"
    );
    assert_eq!(config.security.token_key.expose()[1], 1);
    assert_eq!(config.security.audit_key.expose()[0], 0x20);

    let missing = dir.path().join("absent").display().to_string();
    let message = error_of(
        &text,
        vec![("DOORMAN__SECURITY__AUDIT_KEY_FILE".to_owned(), missing)],
    );
    assert!(
        message.starts_with("invalid config: security.audit_key_file: cannot read"),
        "{message}"
    );
    let both = text.replace(
        "[microsoft]",
        "[microsoft]\nclient_secret = \"s3cr3t-inline\"",
    );
    let message = error_of(
        &both,
        vec![("DOORMAN__SECURITY__AUDIT_KEY_FILE".to_owned(), audit_key)],
    );
    assert!(
        message.contains("microsoft.client_secret_file") && message.contains("not both"),
        "{message}"
    );
    assert!(!message.contains("s3cr3t"), "{message:?} leaks a secret");
}

#[test]
fn a_secret_file_that_is_empty_is_refused_and_other_file_keys_stay_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").expect("written");
    let mut environment = keys();
    environment.retain(|(name, _)| name != "DOORMAN__MICROSOFT__CLIENT_SECRET");
    environment.push((
        "DOORMAN__MICROSOFT__CLIENT_SECRET_FILE".to_owned(),
        empty.display().to_string(),
    ));
    let message = error_of(&minimal_without_secrets(), environment);
    assert!(
        message.contains("microsoft.client_secret_file") && message.contains("is empty"),
        "{message}"
    );
    let message = error_of(
        &minimal().replace("[storage]", "[storage]\npath_file = \"elsewhere\""),
        Vec::new(),
    );
    assert!(message.contains("path_file"), "{message}");
}

#[test]
fn previous_token_keys_are_read_inline_or_from_a_list_of_files_and_never_shown() {
    let config = Config::from_toml(&minimal(), keys()).expect("loads");
    assert!(
        config.security.previous_token_keys.is_empty(),
        "none by default"
    );

    let inline = minimal().replace(
        "[security]",
        &format!("[security]\nprevious_token_keys = [\"{KEY_B}\"]"),
    );
    let config = Config::from_toml(&inline, Vec::new()).expect("loads");
    assert_eq!(config.security.previous_token_keys.len(), 1);
    assert_eq!(config.security.previous_token_keys[0].expose()[0], 0x20);
    assert!(!format!("{config:?}").contains(KEY_B));

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("token_key.previous");
    std::fs::write(&path, format!("{KEY_B}\n")).expect("written");
    let environment = vec![(
        "DOORMAN__SECURITY__PREVIOUS_TOKEN_KEYS_FILE".to_owned(),
        format!("[\"{}\"]", path.display()),
    )];
    let config = Config::from_toml(&minimal(), environment).expect("loads");
    assert_eq!(config.security.previous_token_keys[0].expose()[0], 0x20);

    let single = vec![(
        "DOORMAN__SECURITY__PREVIOUS_TOKEN_KEYS_FILE".to_owned(),
        path.display().to_string(),
    )];
    let message = error_of(&minimal(), single);
    assert!(
        message.contains("security.previous_token_keys_file") && message.contains("list"),
        "{message}"
    );
    let missing = vec![(
        "DOORMAN__SECURITY__PREVIOUS_TOKEN_KEYS_FILE".to_owned(),
        format!(
            "[\"{}\", \"{}\"]",
            path.display(),
            dir.path().join("absent").display()
        ),
    )];
    let message = error_of(&minimal(), missing);
    assert!(
        message.contains("security.previous_token_keys_file[1]: cannot read"),
        "{message}"
    );
    let both = inline.replace(
        "[security]",
        &format!(
            "[security]\nprevious_token_keys_file = [\"{}\"]",
            path.display()
        ),
    );
    let message = error_of(&both, Vec::new());
    assert!(message.contains("not both"), "{message}");
    assert!(!message.contains(KEY_B), "{message}");
}

#[test]
fn previous_audit_public_keys_must_be_ed25519_public_keys_in_hex() {
    let public = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c";
    let text = minimal().replace(
        "[security]",
        &format!("[security]\nprevious_audit_public_keys = [\"{public}\"]"),
    );
    let config = Config::from_toml(&text, Vec::new()).expect("loads");
    assert_eq!(
        config.security.previous_audit_public_keys[0].to_string(),
        public
    );
    let message = error_of(&text.replace(public, &public[..62]), Vec::new());
    assert!(
        message.contains("security.previous_audit_public_keys") && message.contains("64 hex"),
        "{message}"
    );
}
