//! The replay against the domain itself: a lifecycle of every kind of record
//! is run through the domain's own methods, journaled as the application
//! journals it, and the check must find the records it made, and name any
//! record changed behind the journal's back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod plan;
mod world;

use std::collections::BTreeMap;

use rampart_domain::{IncidentNumber, Role};
use serde_json::{Value, json};

use super::*;
use crate::journal::{GENESIS, canonical_json};
use crate::{ApiToken, User};
pub(crate) use world::sample;
use world::*;

fn findings(check: &RecordsCheck) -> Vec<String> {
    check.findings.iter().map(ToString::to_string).collect()
}

#[tokio::test]
async fn a_lifecycle_replays_to_the_records_it_made() {
    let w = lifecycle();
    let check = w.check().await;
    assert!(check.agrees(), "{check}");
    let counted: Vec<(RecordKind, u64)> = check.checked.clone();
    assert_eq!(
        counted,
        vec![
            (RecordKind::Event, 3),
            (RecordKind::Incident, 1),
            (RecordKind::Vulnerability, 1),
            (RecordKind::Evidence, 2),
            (RecordKind::User, 3),
            (RecordKind::Credentials, 1),
            (RecordKind::Token, 1),
            (RecordKind::Rules, 1),
            (RecordKind::Targets, 1),
            (RecordKind::Regulatory, 1),
            (RecordKind::Scale, 1),
            (RecordKind::Document, 1),
            (RecordKind::DocumentText, 2),
            (RecordKind::Team, 1),
            (RecordKind::Contact, 1),
            (RecordKind::Playbook, 1),
            (RecordKind::Exercise, 1),
            (RecordKind::Improvement, 2),
        ]
    );
    let shown = check.to_string();
    assert!(
        shown.ends_with("OK 25 records agree with the journal (3 events, 1 incident, 1 vulnerability, 2 evidence items, 3 users, 1 set of credentials, 1 API token, 1 rule table, 1 target table, 1 notification rule table, 1 classification scale, 1 document, 2 document texts, 1 team, 1 contact, 1 playbook, 1 exercise, 2 improvement actions)"),
        "{shown}"
    );
}

#[tokio::test]
async fn an_edited_field_is_named_with_both_values() {
    let mut w = lifecycle();
    let mut inc = w.incident(IncidentNumber::new(2026, 1).unwrap());
    inc.title = text("Nothing happened");
    inc.log.pop();
    w.put(Entity::Incident(Box::new(inc)));
    let mut u = match w.get(RecordKind::User, "alice") {
        Entity::User(u) => u,
        _ => unreachable!(),
    };
    u.roles.push(Role::Admin);
    w.put(Entity::User(u));
    let check = w.check().await;
    assert!(!check.agrees());
    let lines = findings(&check);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("DIFFERS INC-2026-0001: log (stored ")
            && lines[0].contains(
                "; title (stored \"Nothing happened\", journal \"Credential phishing wave\")"
            ),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        r#"DIFFERS user:alice: roles (stored ["poc","admin"], journal ["poc"])"#
    );
    assert!(
        check.to_string().ends_with(
            "BROKEN 2 of the records differ from the journal (25 stored records compared)"
        )
    );
}

/// A record, a change made to it behind the journal, and the field named.
type Edit = (RecordKind, &'static str, fn(&mut Entity), &'static str);

#[tokio::test]
async fn each_kind_of_record_is_compared() {
    let base = lifecycle();
    let edits: Vec<Edit> = vec![
        (
            RecordKind::Event,
            "EVT-2026-000003",
            |e| {
                if let Entity::Event(e) = e {
                    e.occurrences = 1
                }
            },
            "occurrences",
        ),
        (
            RecordKind::Event,
            "EVT-2026-000001",
            |e| {
                if let Entity::Event(e) = e {
                    e.triage = None
                }
            },
            "triage",
        ),
        (
            RecordKind::Incident,
            "INC-2026-0001",
            |e| {
                if let Entity::Incident(i) = e {
                    i.assets.pop();
                }
            },
            "assets",
        ),
        (
            RecordKind::Incident,
            "INC-2026-0001",
            |e| {
                if let Entity::Incident(i) = e {
                    i.restricted_to.clear()
                }
            },
            "restricted_to",
        ),
        (
            RecordKind::Incident,
            "INC-2026-0001",
            |e| {
                if let Entity::Incident(i) = e {
                    i.contained_at = None
                }
            },
            "contained_at",
        ),
        (
            RecordKind::Incident,
            "INC-2026-0001",
            |e| {
                if let Entity::Incident(i) = e {
                    i.priority =
                        rampart_domain::Priority::new(i.severity.class, rampart_domain::Effort::Low)
                }
            },
            "priority",
        ),
        (
            RecordKind::Vulnerability,
            "VUL-2026-0001",
            |e| {
                if let Entity::Vulnerability(v) = e {
                    v.resolution_recorded = None
                }
            },
            "resolution_recorded",
        ),
        (
            RecordKind::Evidence,
            "EVD-2026-0001",
            |e| {
                if let Entity::Evidence(i) = e
                    && let Some(c) = i.content.as_mut()
                {
                    c.sha256 = "cd".repeat(32)
                }
            },
            "content",
        ),
        (
            RecordKind::Evidence,
            "EVD-2026-0001",
            |e| {
                if let Entity::Evidence(i) = e {
                    i.custodian = "mallory".into()
                }
            },
            "custodian",
        ),
        (
            RecordKind::Evidence,
            "EVD-2026-0001",
            |e| {
                if let Entity::Evidence(i) = e {
                    i.disposed = None
                }
            },
            "disposed",
        ),
        (
            RecordKind::Evidence,
            "EVD-2026-0001",
            |e| {
                if let Entity::Evidence(i) = e {
                    i.last_check = None
                }
            },
            "last_check",
        ),
        (
            RecordKind::User,
            "ian",
            |e| {
                if let Entity::User(u) = e {
                    u.disabled = true
                }
            },
            "disabled",
        ),
        (
            RecordKind::Document,
            "incident-policy",
            |e| {
                if let Entity::Document(d) = e {
                    d.versions[1].approvals.pop();
                }
            },
            "versions",
        ),
        (
            RecordKind::Document,
            "incident-policy",
            |e| {
                if let Entity::Document(d) = e {
                    d.review_due = None
                }
            },
            "review_due",
        ),
        (
            RecordKind::Contact,
            "national-csirt",
            |e| {
                if let Entity::Contact(c) = e {
                    c.details.tlp_max = rampart_domain::Tlp::Red
                }
            },
            "tlp_max",
        ),
        (
            RecordKind::Playbook,
            "phishing-response",
            |e| {
                if let Entity::Playbook(p) = e {
                    p.versions[1].content.steps[0].due_minutes = Some(600)
                }
            },
            "versions",
        ),
        (
            RecordKind::Team,
            "ict-isirt",
            |e| {
                if let Entity::Team(t) = e {
                    t.covers.clear()
                }
            },
            "covers",
        ),
        (
            RecordKind::DocumentText,
            "incident-policy@2",
            |e| {
                if let Entity::DocumentText(t) = e {
                    t.text = "# Policy\n\nNothing is in scope.\n".into()
                }
            },
            "text",
        ),
        (
            RecordKind::Credentials,
            "ian",
            |e| {
                if let Entity::Credentials(c) = e {
                    c.password_hash = Some("$argon2id$mine".into())
                }
            },
            "password_hash (not the one the journal recorded)",
        ),
        (
            RecordKind::Credentials,
            "ian",
            |e| {
                if let Entity::Credentials(c) = e {
                    c.totp_secret = None
                }
            },
            "totp_secret (none is stored; the journal set one)",
        ),
        (
            RecordKind::Credentials,
            "ian",
            |e| {
                if let Entity::Credentials(c) = e {
                    c.totp_required = false
                }
            },
            "totp_required",
        ),
        (
            RecordKind::Rules,
            "categorization",
            |e| {
                if let Entity::Rules(r) = e {
                    r.rules.clear()
                }
            },
            "rules",
        ),
        (
            RecordKind::Targets,
            "targets",
            |e| {
                if let Entity::Targets(t) = e {
                    t.classes[0].close_minutes += 1
                }
            },
            "classes",
        ),
        (
            RecordKind::Scale,
            "classification",
            |e| {
                if let Entity::Scale(s) = e {
                    s.versions[1].categories.pop();
                }
            },
            "versions",
        ),
    ];
    for (kind, key, edit, field) in edits {
        let mut w = World {
            entries: base.entries.clone(),
            records: base.records.clone(),
            tick: base.tick,
        };
        let mut record = w.get(kind, key);
        edit(&mut record);
        w.put(record);
        let lines = findings(&w.check().await);
        assert_eq!(lines.len(), 1, "{kind:?} {field}: {lines:?}");
        assert!(
            lines[0].starts_with("DIFFERS ") && lines[0].contains(&format!(": {field}")),
            "{kind:?} {field}: {}",
            lines[0]
        );
    }
}

#[tokio::test]
async fn a_token_swapped_for_another_is_named_without_showing_secrets() {
    let mut w = lifecycle();
    let Entity::ApiToken(mut t) = sample(RecordKind::Token) else {
        unreachable!()
    };
    t.hash = secret_digest("the intruder's own token");
    let id = t.id.clone();
    w.put(Entity::ApiToken(t));
    let lines = findings(&w.check().await);
    assert_eq!(
        lines,
        [format!(
            "DIFFERS token:{id}: hash (not the hash of the token the journal recorded)"
        )]
    );
}

#[tokio::test]
async fn deleted_inserted_and_revived_records_are_named() {
    let mut w = lifecycle();
    w.remove(RecordKind::Event, "EVT-2026-000002");
    let mut extra = w.event(event_number(1));
    extra.number = event_number(9);
    w.put(Entity::Event(Box::new(extra)));
    w.put(Entity::User(User {
        name: "mallory".into(),
        roles: vec![Role::Admin],
        created_at: ts(0),
        created_by: "system".into(),
        disabled: false,
    }));
    let revoked = w
        .entries
        .iter()
        .find(|e| e.action == "token.revoked")
        .unwrap()
        .clone();
    let id = serde_json::from_str::<Value>(&revoked.payload).unwrap()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    w.put(Entity::ApiToken(ApiToken {
        id: id.clone(),
        user: "ian".into(),
        hash: secret_digest("second secret"),
        created_at: ts(5),
        created_by: "admin".into(),
        name: String::new(),
        scopes: None,
        expires_at: None,
        last_used_at: None,
    }));
    let lines = findings(&w.check().await);
    let created = w
        .entries
        .iter()
        .find(|e| e.entity == "EVT-2026-000002")
        .unwrap()
        .seq;
    assert_eq!(
        lines,
        [
            "DIFFERS EVT-2026-000009: stored, but no journal entry created it (inserted behind the journal's back)".to_owned(),
            "DIFFERS user:mallory: stored, but no journal entry created it (inserted behind the journal's back)".to_owned(),
            format!("DIFFERS token:{id}: stored, though the journal removed it at sequence {} (put back behind the journal's back)", revoked.seq),
            format!("DIFFERS EVT-2026-000002: not in the store, though the journal created it at sequence {created} (deleted behind the journal's back)"),
        ]
    );
}

#[tokio::test]
async fn columns_beside_the_document_are_compared() {
    let w = lifecycle();
    let mut snap = Memory {
        entries: w.entries.clone(),
        rows: w.records.clone(),
        columns: BTreeMap::from([(
            "EVD-2026-0001".to_owned(),
            vec![Difference::column("sha256", "\"cd\"", "\"ab\"")],
        )]),
    };
    let check = check(&mut snap).await.unwrap();
    assert_eq!(
        findings(&check),
        [r#"DIFFERS EVD-2026-0001: column sha256 (stored "cd", record "ab")"#]
    );
}

#[tokio::test]
async fn what_the_journal_does_not_say_is_not_compared() {
    let mut w = lifecycle();
    // The submitter of an anonymous report is kept out of the journal.
    let mut anonymous = w.event(event_number(2));
    assert!(anonymous.anonymous && anonymous.submitted_by.is_some());
    anonymous.submitted_by = Some("someone else".into());
    w.put(Entity::Event(Box::new(anonymous)));
    // The last TOTP step moves with every second-factor sign-in.
    let Entity::Credentials(mut c) = w.get(RecordKind::Credentials, "ian") else {
        unreachable!()
    };
    c.totp_last_step = Some(1);
    w.put(Entity::Credentials(c));
    assert!(w.check().await.agrees());
}

#[tokio::test]
async fn times_a_move_set_before_entries_carried_them_are_not_compared() {
    let mut w = lifecycle();
    let n = "INC-2026-0001";
    // The entries as an earlier version wrote them, rechained.
    let mut previous = GENESIS.to_owned();
    for e in &mut w.entries {
        if e.action == "incident.transition" {
            let mut p: Value = serde_json::from_str(&e.payload).unwrap();
            for field in ["contained_at", "ended_at", "impact_ended_at"] {
                p.as_object_mut().unwrap().remove(field);
            }
            e.payload = canonical_json(&p);
        }
        e.hash = e.compute_hash(&previous);
        previous = e.hash.clone();
    }
    let Entity::Incident(mut inc) = w.get(RecordKind::Incident, n) else {
        unreachable!()
    };
    inc.contained_at = Some(ts(-1));
    inc.ended_at = None;
    w.put(Entity::Incident(inc.clone()));
    assert!(w.check().await.agrees());
    // Other fields still are.
    inc.closed_at = None;
    w.put(Entity::Incident(inc));
    let lines = findings(&w.check().await);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("DIFFERS INC-2026-0001: closed_at"),
        "{}",
        lines[0]
    );
}

#[tokio::test]
async fn entries_that_do_not_replay_are_named() {
    let mut w = lifecycle();
    w.commit(
        "admin",
        vec![],
        vec![(
            "incident.renamed",
            "INC-2026-0001".into(),
            json!({"title": "x"}),
        )],
    );
    let seq = w.entries.len();
    let lines = findings(&w.check().await);
    assert_eq!(
        lines,
        [format!(
            "DIFFERS INC-2026-0001: its journal entries cannot be replayed: sequence {seq} (incident.renamed): not an action that changes an incident"
        )]
    );
}

#[tokio::test]
async fn a_broken_chain_checks_no_records() {
    let mut w = lifecycle();
    w.entries[4].payload = "{}".into();
    w.records.clear();
    let check = w.check().await;
    assert!(!check.agrees());
    assert!(check.findings.is_empty() && check.checked.is_empty());
    assert_eq!(
        check.to_string(),
        "BROKEN at sequence 5: content does not match its hash (entry altered)\nrecords not checked: the journal itself is broken"
    );
}

#[tokio::test]
async fn many_records_are_read_in_pages() {
    let mut w = World::default();
    let alice = actor("alice", &[Role::Poc]);
    for seq in 1..=1_234 {
        report(&mut w, seq, &alice, json!({}));
    }
    let check = w.check().await;
    assert!(check.agrees(), "{check}");
    assert_eq!(check.checked[0], (RecordKind::Event, 1_234));
    w.remove(RecordKind::Event, "EVT-2026-001000");
    let lines = findings(&w.check().await);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("DIFFERS EVT-2026-001000: not in the store"));
}

#[tokio::test]
async fn names_and_values_from_the_database_cannot_forge_lines() {
    let mut w = lifecycle();
    w.put(Entity::User(User {
        name: "eve\nOK 12 records agree with the journal\u{1b}[2K".into(),
        roles: vec![Role::Admin],
        created_at: ts(0),
        created_by: "system".into(),
        disabled: false,
    }));
    let shown = w.check().await.to_string();
    assert_eq!(shown.lines().count(), 3, "{shown}");
    assert!(
        shown.contains(
            r"DIFFERS user:eve\nOK 12 records agree with the journal\u{1b}[2K: stored, but no"
        ),
        "{shown}"
    );
}

#[tokio::test]
async fn sign_ins_and_jobs_change_no_record() {
    let mut w = lifecycle();
    for action in [
        "auth.login_failed",
        "auth.locked",
        "auth.logout",
        "auth.session_renewed",
        "job.requeued",
    ] {
        w.commit(
            "anonymous",
            vec![],
            vec![(action, "user:nobody".into(), json!({"name": "nobody"}))],
        );
    }
    assert!(w.check().await.agrees());
}

/// Entries written before the record had typed costs and conclusions carry
/// plain text for `recovery_cost` and `conclusion`; they still replay.
#[tokio::test]
async fn free_text_costs_and_conclusions_of_earlier_entries_replay() {
    let mut w = lifecycle();
    let n = IncidentNumber::new(2026, 1).unwrap();
    let ian = rampart_domain::Actor::new("ian", vec![Role::IsirtMember]);
    change(&mut w, n, &ian, |inc, now| {
        let patch = from(
            json!({"recovery_cost": "about 5k in overtime", "conclusion": "contained before harm"}),
        );
        inc.apply_patch(patch, &ian, now).unwrap();
        let old = json!({"changed": {
            "recovery_cost": {"before": null, "after": "about 5k in overtime"},
            "conclusion": {"before": null, "after": "contained before harm"},
        }});
        ("incident.updated", old)
    });
    let inc = w.incident(n);
    let conclusion = inc.conclusion.clone().unwrap();
    assert_eq!(
        (conclusion.significant, conclusion.why.as_str()),
        (None, "contained before harm")
    );
    let check = w.check().await;
    assert!(check.agrees(), "{check}");
}
