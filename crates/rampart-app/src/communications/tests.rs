use rampart_domain::{Actor, CommunicationStatus, IncidentNumber, NoticeKind, Role};
use serde_json::{Value, json};

use crate::testing::{TestApp, from_json};
use crate::{ErrorKind, contacts::ContactInput};

struct World {
    t: TestApp,
    ian: Actor,
    mia: Actor,
    n: IncidentNumber,
}

async fn world() -> World {
    let t = TestApp::new().await;
    let poc = t.user("pat", &[Role::Poc]).await;
    let ian = t.user("ian", &[Role::IsirtMember]).await;
    let mia = t.user("mia", &[Role::IsirtManager]).await;
    let n = t.incident(&poc, &ian).await;
    for (id, category, tlp_max) in [
        ("national-csirt", "csirt", "AMBER"),
        ("press-office", "internal", "CLEAR"),
        ("insurer", "insurer", "GREEN"),
    ] {
        let input: ContactInput = from_json(json!({
            "id": id, "kind": "organisation", "name": id.replace('-', " "),
            "category": category, "tlp_max": tlp_max,
        }));
        t.app.add_contact(&ian, input).await.unwrap();
    }
    World { t, ian, mia, n }
}

fn external() -> Value {
    json!({"audience": "direct_external", "recipients": ["national-csirt"], "channel": "email",
           "subject": "Phishing wave against our customers", "content": "Indicators attached.",
           "tlp": "AMBER"})
}

impl World {
    async fn draft(&self, body: Value) -> Result<rampart_domain::Communication, crate::AppError> {
        self.t
            .app
            .draft_communication(&self.ian, self.n, from_json(body))
            .await
    }
}

#[tokio::test]
async fn an_external_communication_is_refused_as_sent_until_someone_who_may_approves_it() {
    let w = world().await;
    let c = w.draft(external()).await.unwrap();
    assert_eq!(c.status, CommunicationStatus::AwaitingApproval);

    let send = || from_json(json!({"reference": "msg-1"}));
    let refused = w.t.app.send_communication(&w.ian, w.n, c.id, send()).await;
    let refused = refused.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Invalid);
    assert!(
        refused.to_string().contains("must be approved"),
        "{refused}"
    );

    // A member may not approve; the drafter may not approve their own.
    let by_member =
        w.t.app
            .approve_communication(&w.ian, w.n, c.id, from_json(json!({})));
    assert_eq!(by_member.await.unwrap_err().kind(), ErrorKind::Forbidden);
    let drafted_by_mia =
        w.t.app
            .draft_communication(&w.mia, w.n, from_json(external()));
    let own = drafted_by_mia.await.unwrap();
    let self_approved =
        w.t.app
            .approve_communication(&w.mia, w.n, own.id, from_json(json!({})));
    assert!(
        self_approved
            .await
            .unwrap_err()
            .to_string()
            .contains("drafted")
    );
    let unchanged = w.t.app.communications(&w.ian, w.n).await.unwrap();
    assert!(
        unchanged
            .iter()
            .all(|c| c.approval.is_none() && c.sent.is_none())
    );

    let note = from_json(json!({"note": "no customer names"}));
    let approved = w.t.app.approve_communication(&w.mia, w.n, c.id, note).await;
    let approved = approved.unwrap();
    assert_eq!(approved.status, CommunicationStatus::Approved);
    assert_eq!(approved.approval.as_ref().unwrap().role, Role::IsirtManager);
    // Not before the approval.
    let early = json!({"sent_at": "2026-11-22T09:00:00Z"});
    let early =
        w.t.app
            .send_communication(&w.ian, w.n, c.id, from_json(early));
    assert!(early.await.unwrap_err().to_string().contains("sent_at"));
    let sent = w.t.app.send_communication(&w.ian, w.n, c.id, send()).await;
    let sent = sent.unwrap();
    assert_eq!(sent.status, CommunicationStatus::Sent);
    assert_eq!(sent.sent.unwrap().reference.unwrap().as_str(), "msg-1");
    let again = w.t.app.send_communication(&w.ian, w.n, c.id, send()).await;
    assert_eq!(again.unwrap_err().kind(), ErrorKind::IllegalTransition);

    let journal = w.t.actions(w.n).await;
    let steps: Vec<&str> = journal
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with("incident.communication"))
        .collect();
    assert_eq!(
        steps,
        [
            "incident.communication_drafted",
            "incident.communication_drafted",
            "incident.communication_approved",
            "incident.communication_sent"
        ]
    );
}

#[tokio::test]
async fn a_public_statement_needs_crisis_or_senior_management() {
    let w = world().await;
    let cora = w.t.user("cora", &[Role::CrisisManager]).await;
    let mut body = external();
    body["audience"] = json!("indirect");
    body["recipients"] = json!([]);
    body["other_recipients"] = json!(["press release on the website"]);
    body["tlp"] = json!("CLEAR");
    let c = w.draft(body).await.unwrap();
    let by_manager =
        w.t.app
            .approve_communication(&w.mia, w.n, c.id, from_json(json!({})));
    let refused = by_manager.await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Forbidden);
    assert!(
        refused
            .to_string()
            .contains("crisis_manager, senior_manager"),
        "{refused}"
    );
    let as_role = json!({"role": "isirt_manager"});
    let as_role =
        w.t.app
            .approve_communication(&cora, w.n, c.id, from_json(as_role));
    assert!(as_role.await.unwrap_err().to_string().contains("role"));
    let ok =
        w.t.app
            .approve_communication(&cora, w.n, c.id, from_json(json!({})));
    assert_eq!(
        ok.await.unwrap().approval.unwrap().role,
        Role::CrisisManager
    );
}

#[tokio::test]
async fn an_internal_note_goes_out_without_approval_and_a_draft_may_be_withdrawn() {
    let w = world().await;
    let internal = json!({"audience": "direct_internal", "recipients": ["press-office"],
        "other_recipients": ["all staff"], "channel": "email", "subject": "Do not open the invoice mail",
        "content": "Delete it.", "tlp": "CLEAR"});
    let c = w.draft(internal).await.unwrap();
    assert_eq!(c.status, CommunicationStatus::Draft);
    let sent =
        w.t.app
            .send_communication(&w.ian, w.n, c.id, from_json(json!({})));
    assert_eq!(sent.await.unwrap().status, CommunicationStatus::Sent);

    let second = w.draft(external()).await.unwrap();
    let reason = from_json(json!({"reason": "the CSIRT asked us to wait"}));
    let withdrawn =
        w.t.app
            .withdraw_communication(&w.ian, w.n, second.id, reason)
            .await;
    assert_eq!(withdrawn.unwrap().status, CommunicationStatus::Withdrawn);
    let late =
        w.t.app
            .approve_communication(&w.mia, w.n, second.id, from_json(json!({})));
    assert_eq!(late.await.unwrap_err().kind(), ErrorKind::IllegalTransition);
}

#[tokio::test]
async fn a_draft_names_recipients_cleared_for_what_it_says() {
    let w = world().await;
    let before = w.t.actions(w.n).await.len();
    let cases = [
        (
            json!({"recipients": ["nobody-here"]}),
            "recipients[0]",
            "no contact",
        ),
        (
            json!({"recipients": ["insurer"]}),
            "recipients[0]",
            "TLP:GREEN",
        ),
        (
            json!({"recipients": ["national-csirt", "national-csirt"]}),
            "recipients[1]",
            "twice",
        ),
        (
            json!({"recipients": [], "other_recipients": []}),
            "recipients",
            "at least one",
        ),
        (json!({"content": null}), "content", "attachment"),
        (
            json!({"attachment": "EVD-2026-0009"}),
            "attachment",
            "not an evidence item",
        ),
        (json!({"subject": "x".repeat(201)}), "subject", "200"),
        (
            json!({"audience": "direct_internal"}),
            "recipients[0]",
            "outside the organisation",
        ),
    ];
    for (change, field, words) in cases {
        let mut body = external();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let err = w.draft(body).await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(field) && text.contains(words),
            "{field}: {text}"
        );
    }
    assert_eq!(w.t.actions(w.n).await.len(), before, "nothing was written");
    let reporter = w.t.user("rita", &[Role::Reporter]).await;
    let refused =
        w.t.app
            .draft_communication(&reporter, w.n, from_json(external()));
    assert_eq!(refused.await.unwrap_err().kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn the_approvers_are_told_a_communication_waits_and_the_drafter_when_it_is_approved() {
    let w = world().await;
    let cora = w.t.user("cora", &[Role::CrisisManager]).await;
    let sam = w.t.user("sam", &[Role::SeniorManager]).await;
    let c = w.draft(external()).await.unwrap();
    w.t.app.run_due_jobs().await;
    for approver in [&w.mia, &cora, &sam] {
        let page =
            w.t.app
                .notifications(approver, false, None, 50)
                .await
                .unwrap();
        let waiting: Vec<_> = page
            .items
            .iter()
            .filter(|i| i.kind == NoticeKind::CommunicationAwaitingApproval)
            .collect();
        assert_eq!(waiting.len(), 1, "{}", approver.name);
        assert!(waiting[0].title.contains("Phishing wave"));
    }
    let told = |who: Actor| {
        let app = w.t.app.clone();
        async move {
            let page = app.notifications(&who, false, None, 50).await.unwrap();
            let kinds = page.items.iter().map(|i| i.kind);
            let about = kinds.filter(|k| k.as_str().starts_with("communication"));
            about.collect::<Vec<_>>()
        }
    };
    let own = told(w.ian.clone()).await;
    assert!(
        own.is_empty(),
        "the drafter is not told of their own draft: {own:?}"
    );

    w.t.clock.advance(time::Duration::minutes(1));
    let approved =
        w.t.app
            .approve_communication(&cora, w.n, c.id, from_json(json!({})));
    approved.await.unwrap();
    w.t.app.run_due_jobs().await;
    assert_eq!(
        told(w.ian.clone()).await,
        [NoticeKind::CommunicationApproved]
    );
    assert!(
        told(cora).await.len() == 1,
        "the approver is not told of their own approval"
    );
}
