//! A kept request for tests: Tom asks for membership of the VPN Users group, in Teams, with
//! the stages given.

use chrono::{TimeZone, Utc};

use super::{Acting, RequestRecord, Requester, StageRecord, State};
use crate::domain::chat::{Channel, ChatUser, Place};
use crate::domain::resource::{Access, ResourceKind, ResourceRef};

pub const REQUESTER: &str = "tom.becker@contoso.com";

/// A request waiting for its first stage, made on 1 December 2026 at 09:00 UTC.
pub fn request(stages: Vec<StageRecord>) -> RequestRecord {
    let user = ChatUser {
        channel: Channel::Teams,
        tenant: "tenant-1".into(),
        id: format!("id-{REQUESTER}"),
    };
    RequestRecord {
        id: "R-TEST01".into(),
        requester: Requester {
            upn: REQUESTER.into(),
            entra_id: format!("id-{REQUESTER}"),
            chat_user: user,
            place: Place {
                channel: Channel::Teams,
                reference: serde_json::json!({"conversation": "a:1"}),
            },
            display_name: None,
            department: None,
            job_title: None,
        },
        resource: ResourceRef {
            kind: ResourceKind::Group,
            id: "g-vpn".into(),
            name: "VPN Users".into(),
        },
        group_id: Some("g-vpn".into()),
        access: Access::Member,
        requested_access: Access::Member,
        duration_seconds: Some(3600),
        reason: None,
        acting: Acting::Approver,
        stages,
        policy_line: "Policy allows it with approval.".into(),
        state: State::AwaitingApproval { stage: 0 },
        created_at: Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .unwrap_or_default(),
        ends_at: None,
        made_by: None,
        allow_standing: false,
        made_steps: Vec::new(),
        attempting: None,
        sign_in_asked_at: None,
        extends: None,
        extended_by: None,
        recovery: None,
    }
}
