//! The records check on a backend: records written through the store agree
//! with the journal; records changed behind it by SQL are named; and the
//! check reads one consistent moment while the writer goes on.

use std::sync::Arc;

use rampart_domain::{
    Actor, AssessmentDecision, AssessmentInput, EventNumber, EvidenceContent, EvidenceHolder,
    EvidenceItem, EvidenceSubmission, Incident, IncidentNumber, JournalAction, NumberKind, Pap,
    Role, Text, Tlp,
    journal::{EventAssessed, EventLinked, EvidenceCollected, TokenCreated, UserCreated},
};
use serde_json::json;

use super::report;
use crate::records::{RecordKind, secret_digest};
use crate::sql::{Dialect, SqlBackend, SqlStore};
use crate::{ApiToken, Decision, Entity, EntityRef, JournalDraft, Store, UnitOfWork, User, Write};

fn text(s: &str) -> Text {
    Text::new(s).unwrap()
}

fn add_user(name: &str, roles: Vec<Role>) -> UnitOfWork {
    let name = name.to_owned();
    UnitOfWork::new("system", vec![], vec![], move |ctx| {
        let user = User {
            name: name.clone(),
            roles,
            created_at: ctx.now,
            created_by: "system".into(),
            disabled: false,
        };
        let action = JournalAction::UserCreated(UserCreated {
            name: user.name.clone(),
            roles: user.roles.clone(),
        });
        Ok(Decision {
            writes: vec![Write::Insert(Entity::User(user))],
            journal: vec![JournalDraft::new(format!("user:{name}"), action)],
            ..Default::default()
        })
    })
}

fn add_token(user: &str, secret: &str) -> UnitOfWork {
    let (user, hash) = (user.to_owned(), secret_digest(secret));
    UnitOfWork::new("system", vec![], vec![], move |ctx| {
        let id = format!("tok_{}", &hash[..12]);
        let action = JournalAction::TokenCreated(TokenCreated {
            user: user.clone(),
            token_id: id.clone(),
            token_hash_sha256: Some(secret_digest(&hash)),
            name: Some("sensor".into()),
            scopes: Some(vec![rampart_domain::Scope::IntakeWrite]),
            expires_at: None,
        });
        let token = ApiToken {
            id,
            user: user.clone(),
            hash,
            created_at: ctx.now,
            created_by: "system".into(),
            name: "sensor".into(),
            scopes: Some(vec![rampart_domain::Scope::IntakeWrite]),
            expires_at: None,
            last_used_at: None,
        };
        Ok(Decision {
            writes: vec![Write::Insert(Entity::ApiToken(token))],
            journal: vec![JournalDraft::new(format!("user:{user}"), action)],
            ..Default::default()
        })
    })
}

fn escalate(n: EventNumber) -> UnitOfWork {
    let poc = Actor::new("pat", vec![Role::Poc]);
    UnitOfWork::new("pat", vec![EntityRef::Event(n)], vec![], move |mut ctx| {
        let mut e = ctx.take(0, String::new)?.into_event().unwrap();
        let input = AssessmentInput {
            decision: AssessmentDecision::PossibleIncident,
            notes: None,
            escalate: true,
            category: None,
            rsit: None,
        };
        e.assess(input, &poc, ctx.now)?;
        let action = JournalAction::EventAssessed(EventAssessed::ByContact {
            status: e.status,
            assessment: e.assessment.clone(),
        });
        Ok(Decision {
            writes: vec![Write::Update(Entity::Event(Box::new(e)))],
            journal: vec![JournalDraft::new(n, action)],
            ..Default::default()
        })
    })
}

fn confirm(n: EventNumber) -> UnitOfWork {
    let ian = Actor::new("ian", vec![Role::IsirtMember]);
    UnitOfWork::new(
        "ian",
        vec![EntityRef::Event(n)],
        vec![NumberKind::Incident],
        move |mut ctx| {
            let number = ctx.incident_number(0)?;
            let mut events = vec![ctx.take(0, String::new)?.into_event().unwrap()];
            let input = serde_json::from_value(json!({"events": [n], "title": "Credential phishing",
                "category": "malware", "effort": "low", "coordinator": "ian",
                "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"}}))
            .unwrap();
            let incident = Incident::confirm(number, input, &mut events, &ian, ctx.now)?;
            let event = events.remove(0);
            let linked = JournalAction::EventLinked(EventLinked {
                status: event.status,
                incident: number,
            });
            Ok(Decision {
                journal: vec![
                    JournalDraft::new(
                        number,
                        JournalAction::IncidentConfirmed(Box::new(incident.clone())),
                    ),
                    JournalDraft::new(n, linked),
                ],
                writes: vec![
                    Write::Insert(Entity::Incident(Box::new(incident))),
                    Write::Update(Entity::Event(Box::new(event))),
                ],
                ..Default::default()
            })
        },
    )
}

fn collect(incident: IncidentNumber, sha256: &str) -> UnitOfWork {
    let sha256 = sha256.to_owned();
    let ian = Actor::new("ian", vec![Role::IsirtMember]);
    UnitOfWork::new("ian", vec![], vec![NumberKind::Evidence], move |ctx| {
        let number = ctx.evidence_number(0)?;
        let submission = EvidenceSubmission {
            description: text("disk image"),
            found_at: text("laptop"),
            collected_by: text("Ian"),
            collected_at: ctx.now,
            tool: None,
            reason: text("malware"),
            tlp: None,
            pap: None,
            location: None,
            seal: None,
        };
        let content = EvidenceContent {
            sha256,
            size: 3,
            filename: Some("disk.img".into()),
            media_type: None,
        };
        let item = EvidenceItem::collect(
            number,
            EvidenceHolder::Incident(incident),
            (Tlp::Amber, Pap::Amber),
            submission,
            Some(content),
            &ian,
            ctx.now,
        )?;
        let action = JournalAction::EvidenceCollected(Box::new(EvidenceCollected::of(&item)));
        Ok(Decision {
            journal: vec![JournalDraft::new(number, action)],
            writes: vec![Write::Insert(Entity::Evidence(Box::new(item)))],
            ..Default::default()
        })
    })
}

async fn findings<B: SqlBackend>(store: &SqlStore<B>) -> Vec<String> {
    let check = store.check_records().await.unwrap();
    assert!(
        matches!(check.chain, crate::Verification::Intact { .. }),
        "{check}"
    );
    check.findings.iter().map(ToString::to_string).collect()
}

pub async fn records_agree_with_the_journal<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    for (name, roles) in [("alice", vec![Role::Poc]), ("ian", vec![Role::IsirtMember])] {
        store.execute(add_user(name, roles)).await.unwrap();
    }
    store.execute(add_token("alice", "a secret")).await.unwrap();
    let mut events = Vec::new();
    for title in ["phishing mail", "odd login", "port scan"] {
        let c = store
            .execute(report(json!({"title": title, "assets": ["mail gateway"]})))
            .await
            .unwrap();
        events.push(c.entities[0].clone().into_event().unwrap().number);
    }
    store.execute(escalate(events[0])).await.unwrap();
    let c = store.execute(confirm(events[0])).await.unwrap();
    let incident = c.entities[0].clone().into_incident().unwrap().number;
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let mut items = Vec::new();
    for sha in [&a, &b] {
        let c = store.execute(collect(incident, sha)).await.unwrap();
        items.push(c.entities[0].clone().into_evidence().unwrap().number);
    }
    let check = store.check_records().await.unwrap();
    assert!(check.agrees(), "{check}");
    let count = |kind| {
        check
            .checked
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, n)| *n)
    };
    assert_eq!(count(RecordKind::Event), Some(3));
    assert_eq!(count(RecordKind::Incident), Some(1));
    assert_eq!(count(RecordKind::Evidence), Some(2));
    assert_eq!(count(RecordKind::User), Some(2));
    assert_eq!(count(RecordKind::Token), Some(1));

    // Changes behind the journal's back, as someone with database access could make them.
    let (second, third) = (events[1].to_string(), events[2].to_string());
    let drop_guard = match store.backend().dialect() {
        Dialect::Sqlite => "DROP TRIGGER IF EXISTS evidence_content_fixed",
        Dialect::Postgres => "DROP TRIGGER IF EXISTS evidence_content_fixed ON evidence",
    };
    for sql in [
        format!("UPDATE incidents SET data = replace(data, 'Credential phishing', 'Nothing to see') WHERE number = '{incident}'"),
        "UPDATE users SET data = replace(data, '\"poc\"', '\"admin\"') WHERE name = 'alice'".to_owned(),
        drop_guard.to_owned(),
        format!("UPDATE evidence SET sha256 = '{a}' WHERE sha256 = '{b}'"),
        format!("UPDATE events SET status = 'false_alarm' WHERE number = '{second}'"),
        format!("DELETE FROM event_observables WHERE event = '{third}'"),
        format!("DELETE FROM events WHERE number = '{third}'"),
        r#"INSERT INTO users (name, data) VALUES ('mallory', '{"name":"mallory","roles":["admin"],"created_at":"2026-01-01T00:00:00.000000Z","created_by":"system","disabled":false}')"#.to_owned(),
    ] {
        store.execute_raw(&sql).await.unwrap();
    }
    let lines = findings(&store).await;
    let expected_starts = [
        format!("DIFFERS {second}: column status (stored \"false_alarm\", record \"reported\")"),
        format!(
            "DIFFERS {incident}: title (stored \"Nothing to see\", journal \"Credential phishing\")"
        ),
        format!(
            "DIFFERS {}: column sha256 (stored \"{a}\", record \"{b}\")",
            items[1]
        ),
        "DIFFERS user:alice: roles (stored [\"admin\"], journal [\"poc\"])".to_owned(),
        "DIFFERS user:mallory: stored, but no journal entry created it".to_owned(),
        format!("DIFFERS {third}: not in the store, though the journal created it at sequence"),
    ];
    assert_eq!(lines.len(), expected_starts.len(), "{lines:#?}");
    for (line, start) in lines.iter().zip(&expected_starts) {
        assert!(
            line.starts_with(start.as_str()),
            "{line}\n  expected to start with\n{start}"
        );
    }
}

pub async fn records_are_checked_on_one_moment<B: SqlBackend>(store: Arc<SqlStore<B>>) {
    // Enough records that the check reads many pages while the writer goes on.
    let units: Vec<UnitOfWork> = (0..1_500)
        .map(|i| report(json!({"title": format!("alert {i}")})))
        .collect();
    let pending: Vec<_> = units
        .into_iter()
        .map(|u| {
            let store = store.clone();
            tokio::spawn(async move { store.execute(u).await.unwrap() })
        })
        .collect();
    for p in pending {
        p.await.unwrap();
    }
    let writing = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = {
        let (store, writing) = (store.clone(), writing.clone());
        tokio::spawn(async move {
            let mut written = 0u32;
            while writing.load(std::sync::atomic::Ordering::Relaxed) || written < 20 {
                let c = store
                    .execute(report(json!({"title": "during the check"})))
                    .await
                    .unwrap();
                let n = c.entities[0].clone().into_event().unwrap().number;
                store.execute(escalate(n)).await.unwrap();
                written += 1;
            }
            written
        })
    };
    for _ in 0..3 {
        let check = store.check_records().await.unwrap();
        assert!(check.agrees(), "{check}");
    }
    writing.store(false, std::sync::atomic::Ordering::Relaxed);
    assert!(writer.await.unwrap() >= 20);
    let check = store.check_records().await.unwrap();
    assert!(check.agrees(), "{check}");
}
