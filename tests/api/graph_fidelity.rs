//! The simulator against Microsoft's own description of Graph v1.0: its routes must exist in the
//! published metadata, and it must answer Microsoft's documented example requests with bodies
//! that fit the model (the `TestSim` drop check runs `graph-shape-check` over the log).

use std::io::Write;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestSim, graph_model_problems, shared_dir};

#[test]
fn every_route_the_simulator_serves_exists_in_graph_v1() {
    let lines: String = doorman::sim::graph::route::ROUTES
        .iter()
        .map(|route| format!("{} {}\n", route.method, route.pattern))
        .collect();
    let tool = shared_dir().join("tools/graph-path-check");
    let mut child = std::process::Command::new("python3")
        .arg(&tool)
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", tool.display()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("feed the checker");
    let output = child.wait_with_output().expect("checker finishes");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "routes outside Graph v1.0:\n{report}"
    );
    assert!(
        report.contains(&format!(
            "{} checked, 0 unknown",
            doorman::sim::graph::route::ROUTES.len()
        )),
        "{report}"
    );
}

/// Documented examples the simulator deliberately does not serve, and why.
const NOT_SERVED: &[(&str, &str)] = &[];

/// Examples Graph itself answers with an error in a tenant like the fixture's.
const GRAPH_REFUSES: &[(&str, &str)] = &[(
    "ext55gb1l09_msLearnCourses",
    "a schema extension that is not registered in the tenant is an unknown property (400)",
)];

/// Maps the example's ids and placeholders to fixture objects, by the segment they follow.
struct Fixture {
    caller: String,
    user: String,
    group: String,
    team: String,
    channel: String,
    site: String,
    own_drive_root: String,
    member_to_remove: String,
    directory_objects: Vec<String>,
    bound_users: Vec<String>,
    colleague_mail: String,
}

impl Fixture {
    fn map_path(&self, path: &str) -> String {
        let path = path
            .trim_start_matches("https://graph.microsoft.com")
            .trim_start_matches("/v1.0");
        let (path, query) = path
            .split_once('?')
            .map_or((path, None), |(p, q)| (p, Some(q)));
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut mapped = Vec::new();
        for (at, segment) in segments.iter().enumerate() {
            let previous = at.checked_sub(1).map(|i| segments[i]).unwrap_or_default();
            let next = segments.get(at + 1).copied().unwrap_or_default();
            let is_id = segment.starts_with('{')
                || segment.contains("%3A")
                || uuid::Uuid::parse_str(segment).is_ok();
            let value = match (previous, is_id) {
                (_, false) if *segment == "{hostname}:" => "contoso.sharepoint.com:".to_owned(),
                (_, false) => (*segment).to_owned(),
                (_, true) if *segment == "{relative-path}" => "sites/Finance".to_owned(),
                (_, true) if *segment == "{hostname}:" => "contoso.sharepoint.com:".to_owned(),
                ("users", true) if next == "calendar" => self.caller.clone(),
                ("users" | "directoryObjects", true) => self.user.clone(),
                ("groups", true) => self.group.clone(),
                ("members", true) => self.member_to_remove.clone(),
                ("teams", true) => self.team.clone(),
                ("channels", true) => self.channel.clone(),
                ("sites", true) => self.site.clone(),
                ("items", true) => self.own_drive_root.clone(),
                ("methods", true) => (*segment).to_owned(),
                (other, true) => panic!("no fixture object for an id after '{other}'"),
            };
            mapped.push(value);
        }
        let path = format!("/{}", mapped.join("/"));
        match query {
            Some(query) => format!("{path}?{}", query.replace(' ', "%20").replace('"', "%22")),
            None => path,
        }
    }

    fn map_body(&mut self, body: &Value) -> Value {
        let mut text = body.to_string();
        while let Some(at) = text.find("directoryObjects/{id}") {
            let user = self.directory_objects.remove(0);
            text.replace_range(
                at..at + "directoryObjects/{id}".len(),
                &format!("directoryObjects/{user}"),
            );
        }
        if let Some(start) = text.find("users('") {
            let end = text[start..]
                .find("')")
                .map_or(text.len(), |offset| start + offset + 2);
            let user = self.bound_users.remove(0);
            text.replace_range(start..end, &format!("users('{user}')"));
        }
        for mail in ["ryan@contoso.com", "samanthab@contoso.com"] {
            text = text.replace(mail, &self.colleague_mail);
        }
        serde_json::from_str(&text).expect("mapped body is JSON")
    }
}

#[tokio::test]
async fn the_simulator_answers_microsofts_documented_requests_with_graph_shaped_bodies() {
    let sim = TestSim::start().await;
    let caller = "grace.admin@contoso.com";
    let scopes = "User.Read User.Read.All User.RevokeSessions.All GroupMember.ReadWrite.All Group.ReadWrite.All \
        Directory.Read.All TeamMember.ReadWrite.All ChannelMember.ReadWrite.All Sites.Read.All Files.ReadWrite.All \
        Calendars.ReadWrite MailboxSettings.ReadWrite UserAuthenticationMethod.ReadWrite.All AuditLog.Read.All";
    let token = sim.access_token(caller, scopes).await;
    let id = |upn: &str| sim.user_id(upn);
    let own_drive_root = sim
        .state
        .directory()
        .user(caller)
        .and_then(|u| u.drive.as_ref().map(|d| d.root_id()))
        .expect("a OneDrive");
    let finance_site = sim.state.directory().sites[0].id.clone();
    let mut fixture = Fixture {
        caller: id(caller),
        user: id("tom.becker@contoso.com"),
        group: sim.group_id("Marketing"),
        team: sim.group_id("Marketing"),
        channel: "19:marketing-launch@thread.tacv2".into(),
        site: finance_site,
        own_drive_root,
        member_to_remove: id("alex.kim@contoso.com"),
        directory_objects: ["alex.kim", "jordan.lee", "priya.nair", "sarah.chen"]
            .iter()
            .map(|n| id(&format!("{n}@contoso.com")))
            .collect(),
        bound_users: ["jordan.lee", "priya.nair", "tom.becker", "jordan.lee"]
            .iter()
            .map(|n| id(&format!("{n}@contoso.com")))
            .collect(),
        colleague_mail: "tom.becker@contoso.com".into(),
    };
    let examples =
        std::fs::read_to_string(shared_dir().join("reference/graph-examples/examples.jsonl"))
            .expect("Microsoft's examples");
    let mut answered = Vec::new();
    for line in examples.lines().filter(|line| !line.trim().is_empty()) {
        let example: Value = serde_json::from_str(line).expect("example JSON");
        let original = example["path"].as_str().unwrap_or_default();
        if example.get("doc_error").is_some() {
            continue;
        }
        if NOT_SERVED.iter().any(|(path, _)| original.contains(path)) {
            continue;
        }
        let path = fixture.map_path(original);
        let method = Method::from_bytes(example["method"].as_str().unwrap_or("GET").as_bytes())
            .expect("method");
        let body = example
            .get("request")
            .filter(|b| !b.is_null())
            .map(|b| fixture.map_body(b));
        let answer = sim
            .graph_with(
                &token,
                method.clone(),
                &path,
                body.clone(),
                &[("ConsistencyLevel", "eventual")],
            )
            .await;
        let refused_by_graph_too = GRAPH_REFUSES
            .iter()
            .any(|(marker, _)| original.contains(marker));
        if refused_by_graph_too {
            assert_eq!(answer.status, 400, "{path}");
        } else {
            assert!(
                answer.status < 400,
                "{method} {path} answered {}: {}",
                answer.status,
                answer.text
            );
        }
        let response = if answer.text.is_empty() {
            Value::Null
        } else {
            answer.body.clone()
        };
        answered.push(serde_json::json!({"method": method.as_str(), "path": path, "request": body, "status": answer.status, "response": response}));
    }
    assert!(
        answered.len() >= 45,
        "only {} examples were replayed",
        answered.len()
    );
    if let Some(problems) = graph_model_problems(&Value::Array(answered)) {
        panic!("answers outside Graph's model:\n{problems}");
    }
}

#[test]
fn the_model_check_catches_a_wrong_property_and_a_wrong_path() {
    let wrong_body = serde_json::json!([{"method": "GET", "path": "/me", "request": null, "status": 200, "response": {"id": "x", "upn": "a@b"}}]);
    let report = graph_model_problems(&wrong_body).expect("a misspelled property is reported");
    assert!(report.contains("upn"), "{report}");
    let wrong_path = serde_json::json!([{"method": "GET", "path": "/groups/x/memberz", "request": null, "status": 200, "response": null}]);
    assert!(graph_model_problems(&wrong_path).is_some());
    let right = serde_json::json!([{"method": "GET", "path": "/me", "request": null, "status": 200, "response": {"id": "x", "userPrincipalName": "a@b"}}]);
    assert!(graph_model_problems(&right).is_none());
}
