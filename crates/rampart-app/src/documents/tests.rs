use rampart_domain::{Actor, NoticeKind, Role, SectionRef, VersionState};
use rampart_store::JournalQuery;
use serde_json::{Value, json};

use super::{ApprovalInput, DocumentInput, DraftInput, ReviewNote};
use crate::ErrorKind;
use crate::testing::{TestApp, from_json};

const V1: &str = "# Incident management policy\n\n## Scope\n\nAll information systems.\n\n## Containment\n\nIsolate first.\n";
const V2: &str = "# Incident management policy\n\n## Scope\n\nAll information systems and suppliers.\n\n## Containment\n\nIsolate first.\n";

struct People {
    mia: Actor,
    ian: Actor,
    sam: Actor,
    rita: Actor,
}

async fn people(t: &TestApp) -> People {
    People {
        mia: t.user("mia", &[Role::IsirtManager]).await,
        ian: t.user("ian", &[Role::IsirtMember]).await,
        sam: t.user("sam", &[Role::SeniorManager]).await,
        rita: t.user("rita", &[Role::Reporter]).await,
    }
}

async fn policy(t: &TestApp, p: &People) {
    let input: DocumentInput = from_json(json!({
        "id": "incident-policy", "kind": "policy", "title": "Incident management policy",
        "approvers": ["isirt_manager", "senior_manager"], "review_months": 12,
    }));
    t.app.create_document(&p.mia, input).await.unwrap();
}

fn draft(text: &str, summary: &str) -> DraftInput {
    DraftInput {
        text: text.into(),
        summary: summary.into(),
        effective_from: None,
    }
}

fn approval(role: Role) -> ApprovalInput {
    ApprovalInput { role, note: None }
}

async fn payloads(t: &TestApp, action: &str) -> Vec<Value> {
    let query = JournalQuery {
        after: 0,
        limit: 1000,
        entity: Some("document:incident-policy".into()),
    };
    let entries = t.app.store().journal(&query).await.unwrap();
    entries
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

#[tokio::test]
async fn a_version_takes_effect_only_with_every_approval_and_the_diff_shows_the_change() {
    let t = TestApp::new().await;
    let p = people(&t).await;
    policy(&t, &p).await;
    t.app
        .draft_document(&p.ian, "incident-policy", draft(V1, "First issue"))
        .await
        .unwrap();
    let one = t
        .app
        .approve_document(&p.mia, "incident-policy", 1, approval(Role::IsirtManager))
        .await
        .unwrap();
    assert_eq!(one.in_force, None, "one approval of two");
    assert_eq!(one.versions[0].state, VersionState::Draft);
    assert_eq!(one.versions[0].missing, [Role::SeniorManager]);
    let none = t.app.document_text(&p.ian, "incident-policy", None).await;
    assert_eq!(none.unwrap_err().kind(), ErrorKind::NotFound);
    // A reporter sees nothing of a document with nothing in force.
    let hidden = t.app.document(&p.rita, "incident-policy").await;
    assert_eq!(hidden.unwrap_err().kind(), ErrorKind::NotFound);

    t.clock.advance(time::Duration::hours(2));
    let both = t
        .app
        .approve_document(&p.sam, "incident-policy", 1, approval(Role::SeniorManager))
        .await
        .unwrap();
    assert_eq!(both.in_force, Some(1));
    let now = rampart_domain::Clock::now(t.clock.as_ref());
    assert_eq!(both.versions[0].version.effective_at, Some(now));
    let read = t
        .app
        .document_text(&p.rita, "incident-policy", None)
        .await
        .unwrap();
    assert_eq!(read.text, V1);

    t.app
        .draft_document(&p.ian, "incident-policy", draft(V2, "Suppliers in scope"))
        .await
        .unwrap();
    // Until version 2 is approved, version 1 stays in force; the reporter
    // does not see the draft.
    let reporter = t.app.document(&p.rita, "incident-policy").await.unwrap();
    assert_eq!(reporter.in_force, Some(1));
    assert_eq!(reporter.versions.len(), 1);
    let draft_text = t
        .app
        .document_text(&p.rita, "incident-policy", Some(2))
        .await;
    assert_eq!(draft_text.unwrap_err().kind(), ErrorKind::NotFound);

    let diff = t
        .app
        .document_diff(&p.ian, "incident-policy", 1, 2)
        .await
        .unwrap();
    let changed: Vec<(&str, &str)> = diff
        .lines
        .iter()
        .filter(|l| l.op != " ")
        .map(|l| (l.op.as_str(), l.text.as_str()))
        .collect();
    assert_eq!(
        changed,
        [
            ("-", "All information systems."),
            ("+", "All information systems and suppliers."),
        ]
    );

    // The journal holds each step: the text drafted, each approval, and
    // the moment the last approval put it in force.
    let drafted = payloads(&t, "document.drafted").await;
    assert_eq!(drafted.len(), 2);
    assert_eq!(drafted[1]["text"], V2);
    let approved = payloads(&t, "document.approved").await;
    assert_eq!(approved.len(), 2);
    assert_eq!(approved[0]["effective_at"], Value::Null);
    assert_eq!(approved[1]["effective_at"], json!(now.to_rfc3339()));
    assert_eq!(approved[1]["role"], "senior_manager");
}

#[tokio::test]
async fn approvals_are_refused_to_whoever_may_not_give_them() {
    let t = TestApp::new().await;
    let p = people(&t).await;
    policy(&t, &p).await;
    t.app
        .draft_document(&p.mia, "incident-policy", draft(V1, "First issue"))
        .await
        .unwrap();
    // The drafter cannot approve their own version.
    let own = t
        .app
        .approve_document(&p.mia, "incident-policy", 1, approval(Role::IsirtManager))
        .await;
    assert_eq!(own.unwrap_err().kind(), ErrorKind::Invalid);
    // A member cannot approve as a senior manager, nor as a member.
    for role in [Role::SeniorManager, Role::IsirtMember] {
        let err = t
            .app
            .approve_document(&p.ian, "incident-policy", 1, approval(role))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Forbidden | ErrorKind::Invalid),
            "{role}: {err}"
        );
    }
    // A reporter can neither draft nor approve nor create.
    let drafted = t
        .app
        .draft_document(&p.rita, "incident-policy", draft(V2, "x"))
        .await;
    assert_eq!(drafted.unwrap_err().kind(), ErrorKind::Forbidden);
    let created = t
        .app
        .create_document(
            &p.ian,
            from_json(json!({"id": "x-plan", "kind": "plan", "title": "X", "approvers": ["isirt_manager"]})),
        )
        .await;
    assert_eq!(created.unwrap_err().kind(), ErrorKind::Forbidden);
    assert_eq!(payloads(&t, "document.approved").await.len(), 0);
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let t = TestApp::new().await;
    let p = people(&t).await;
    policy(&t, &p).await;
    let cases = [
        (
            json!({"id": "Bad Id", "kind": "plan", "title": "T", "approvers": ["isirt_manager"]}),
            "id",
        ),
        (
            json!({"id": "ok-plan", "kind": "plan", "title": " ", "approvers": ["isirt_manager"]}),
            "title",
        ),
        (
            json!({"id": "ok-plan", "kind": "plan", "title": "T", "approvers": []}),
            "approvers",
        ),
        (
            json!({"id": "ok-plan", "kind": "plan", "title": "T", "approvers": ["reporter"]}),
            "approvers",
        ),
        (
            json!({"id": "ok-plan", "kind": "plan", "title": "T", "approvers": ["isirt_manager"], "review_months": 0}),
            "review_months",
        ),
        (
            json!({"id": "ok-plan", "kind": "plan", "title": "T", "approvers": ["isirt_manager"], "owner": "nobody"}),
            "owner",
        ),
    ];
    for (body, field) in cases {
        let err = t
            .app
            .create_document(&p.mia, from_json(body.clone()))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{body}");
        assert!(err.to_string().contains(field), "{body}: {err}");
    }
    let again = t
        .app
        .create_document(
            &p.mia,
            from_json(json!({"id": "incident-policy", "kind": "plan", "title": "T", "approvers": ["isirt_manager"]})),
        )
        .await;
    assert_eq!(again.unwrap_err().kind(), ErrorKind::Conflict);
    for (text, summary) in [("  ", "s"), ("# T\n", " "), ("bad \u{7} bell", "s")] {
        let err = t
            .app
            .draft_document(&p.ian, "incident-policy", draft(text, summary))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{text:?}");
    }
    let big = "a".repeat(rampart_domain::document::MAX_DOCUMENT_BYTES + 1);
    let err = t
        .app
        .draft_document(&p.ian, "incident-policy", draft(&big, "big"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("text"), "{err}");
    assert_eq!(t.app.documents(&p.mia).await.unwrap().len(), 1);
    assert!(payloads(&t, "document.drafted").await.is_empty());
}

#[tokio::test]
async fn the_owner_is_reminded_before_the_review_date_and_a_review_moves_it_on() {
    let t = TestApp::new().await;
    let p = people(&t).await;
    policy(&t, &p).await;
    t.app
        .draft_document(&p.ian, "incident-policy", draft(V1, "First issue"))
        .await
        .unwrap();
    t.app
        .approve_document(&p.mia, "incident-policy", 1, approval(Role::IsirtManager))
        .await
        .unwrap();
    let doc = t
        .app
        .approve_document(&p.sam, "incident-policy", 1, approval(Role::SeniorManager))
        .await
        .unwrap();
    let due = doc.review_due.unwrap();
    t.app.run_due_jobs().await;
    let told = |who: Actor| {
        let app = &t.app;
        async move {
            let page = app.notifications(&who, false, None, 50).await.unwrap();
            page.items.into_iter().map(|i| i.kind).collect::<Vec<_>>()
        }
    };
    assert!(told(p.mia.clone()).await.is_empty(), "a year to go");

    // Thirty days before: the owner (mia, who created it) is told.
    t.clock.set(rampart_domain::Timestamp::from_offset(
        due.as_offset() - time::Duration::days(29),
    ));
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(p.mia.clone()).await, [NoticeKind::DocumentReviewDue]);
    assert!(told(p.ian.clone()).await.is_empty());

    // Reviewed in time: the overdue reminder for the old date tells nobody.
    let reviewed = t
        .app
        .review_document(
            &p.mia,
            "incident-policy",
            ReviewNote {
                note: "Still right after the reorganisation".into(),
            },
        )
        .await
        .unwrap();
    assert!(reviewed.review_due.unwrap() > due);
    t.clock.set(due);
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    assert_eq!(told(p.mia.clone()).await, [NoticeKind::DocumentReviewDue]);
    assert_eq!(payloads(&t, "document.reviewed").await.len(), 1);

    // The next date passes unreviewed: overdue.
    t.clock.set(reviewed.review_due.unwrap());
    t.app.run_due_jobs().await;
    t.app.run_due_jobs().await;
    let kinds = told(p.mia.clone()).await;
    assert_eq!(kinds[0], NoticeKind::DocumentReviewOverdue, "{kinds:?}");
}

#[tokio::test]
async fn citations_name_a_document_and_one_of_its_sections() {
    let t = TestApp::new().await;
    let p = people(&t).await;
    policy(&t, &p).await;
    t.app
        .draft_document(&p.ian, "incident-policy", draft(V1, "First issue"))
        .await
        .unwrap();
    let ok = SectionRef::parse("incident-policy#containment").unwrap();
    assert!(t.app.check_citation(&ok).await.is_ok());
    let whole = SectionRef::parse("incident-policy").unwrap();
    assert!(t.app.check_citation(&whole).await.is_ok());
    let no_section = SectionRef::parse("incident-policy#eradication").unwrap();
    assert!(t.app.check_citation(&no_section).await.is_err());
    let no_doc = SectionRef::parse("other-plan#scope").unwrap();
    assert!(t.app.check_citation(&no_doc).await.is_err());
}
