//! Messages for tests.

use serde_json::json;

use super::{ButtonStyle, Card, CardButton, CardSection, Verb};

/// A card shaped like the "what access do I have?" list: a line and a Remove button per grant.
pub fn access_list(grants: usize) -> Card {
    Card {
        refresh: None,
        title: "Access granted through me".into(),
        sections: (0..grants)
            .map(|n| CardSection {
                text: format!("Member on Group {n} (group) until 2030-01-01 00:00 UTC (R-{n:05})"),
                facts: Vec::new(),
            })
            .collect(),
        inputs: Vec::new(),
        buttons: (0..grants)
            .map(|n| CardButton::Execute {
                title: format!("Remove Group {n}"),
                verb: Verb::Revoke,
                data: json!({"request": format!("R-{n:05}")}),
                style: ButtonStyle::Destructive,
            })
            .collect(),
    }
}
