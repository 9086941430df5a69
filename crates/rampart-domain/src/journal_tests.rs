use std::collections::BTreeSet;

use serde_json::json;

use super::*;

/// The action names in the table under `## Actions written` in `docs/journal.md`.
fn documented() -> BTreeSet<String> {
    let doc = include_str!("../../../docs/journal.md");
    let table = doc
        .split("## Actions written")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2);
    table
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| cell.split(','))
        .map(|name| name.trim().trim_matches('`').to_owned())
        .collect()
}

#[test]
fn every_action_is_documented_and_every_documented_action_exists() {
    let documented = documented();
    let names: BTreeSet<String> = JournalAction::ALL
        .iter()
        .map(|(n, _)| (*n).to_owned())
        .collect();
    assert_eq!(
        names.len(),
        JournalAction::ALL.len(),
        "a name is listed twice"
    );
    let undocumented: Vec<_> = names.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&names).collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/journal.md: {undocumented:?}"
    );
    assert!(
        unknown.is_empty(),
        "documented but not a JournalAction: {unknown:?}"
    );
}

#[test]
fn every_action_has_a_one_line_description() {
    for (name, description) in JournalAction::ALL {
        assert!(
            !description.is_empty() && !description.contains('\n'),
            "{name}"
        );
    }
}

/// Serializes the way the store does before hashing: keys sorted at every
/// level (whether or not serde_json keeps insertion order), no whitespace.
fn canonical(v: &Value) -> String {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sorted(v)).unwrap()
}

fn round_trip(action: JournalAction, expected: Value) {
    let name = action.name();
    let payload = action.payload();
    assert_eq!(canonical(&payload), canonical(&expected), "{name}");
    let parsed = JournalAction::parse(name, payload).unwrap();
    assert_eq!(parsed.name(), name);
    assert_eq!(canonical(&parsed.payload()), canonical(&expected), "{name}");
}

#[test]
fn payloads_keep_the_shapes_already_in_journals() {
    round_trip(
        JournalAction::EventRepeated(EventRepeated {
            occurrences: 3,
            last_seen: None,
        }),
        json!({"occurrences": 3, "last_seen": null}),
    );
    round_trip(
        JournalAction::IncidentEventLinked(IncidentEventLinked {
            event: "EVT-2026-000001".parse().unwrap(),
            rule: None,
        }),
        json!({"event": "EVT-2026-000001"}),
    );
    round_trip(
        JournalAction::IncidentEventLinked(IncidentEventLinked {
            event: "EVT-2026-000001".parse().unwrap(),
            rule: Some("correlation".into()),
        }),
        json!({"event": "EVT-2026-000001", "rule": "correlation"}),
    );
    round_trip(
        JournalAction::AuthLocked(AuthLocked {
            scope: LockScope::Address,
            name: None,
            address: Some("192.0.2.1".into()),
            minutes: 15,
        }),
        json!({"address": "192.0.2.1", "scope": "address", "minutes": 15}),
    );
    round_trip(JournalAction::UserDisabled(NoDetails {}), json!({}));
    round_trip(
        JournalAction::TokenRefused(TokenRefused {
            token_id: "tok_0123456789ab".into(),
            reason: TokenRefusal::OutOfScope,
            scope: Some("incidents:write".into()),
            action: Some("change an incident (update_incident)".into()),
        }),
        json!({"token_id": "tok_0123456789ab", "reason": "out_of_scope",
            "scope": "incidents:write", "action": "change an incident (update_incident)"}),
    );
    round_trip(
        JournalAction::TokenRefused(TokenRefused {
            token_id: "tok_0123456789ab".into(),
            reason: TokenRefusal::Expired,
            scope: None,
            action: None,
        }),
        json!({"token_id": "tok_0123456789ab", "reason": "expired"}),
    );
    round_trip(
        JournalAction::EvidenceIntegrityFailed(EvidenceIntegrityFailed {
            during: "download".into(),
            expected_sha256: "a".into(),
            found_sha256: String::new(),
            expected_size: Some(4),
            found_size: None,
            problem: Some("the stored content is missing".into()),
        }),
        json!({"during": "download", "expected_sha256": "a", "found_sha256": "",
               "expected_size": 4, "found_size": null, "problem": "the stored content is missing"}),
    );
    round_trip(
        JournalAction::IncidentUpdated(IncidentUpdated {
            changed: [(
                "title".to_owned(),
                FieldChange {
                    before: json!("a"),
                    after: Value::Null,
                },
            )]
            .into(),
        }),
        json!({"changed": {"title": {"before": "a", "after": null}}}),
    );
}

#[test]
fn unknown_actions_and_unfitting_payloads_are_refused() {
    assert!(matches!(
        JournalAction::parse("incident.renamed", json!({})),
        Err(JournalActionError::Unknown(_))
    ));
    assert!(matches!(
        JournalAction::parse("token.revoked", json!({"token": 1})),
        Err(JournalActionError::Payload { .. })
    ));
    assert!(JournalAction::parse_text("user.enabled", "{}").is_ok());
}

/// The journal of the schema-4 installation in `crates/rampart/tests/fixtures/schema4`,
/// written by an earlier version: every entry reads as its action and gives
/// back exactly the payload text it was hashed over.
#[test]
fn entries_written_by_an_earlier_version_read_back_unchanged() {
    let rows: Vec<Value> =
        serde_json::from_str(include_str!("testdata/schema4-journal.json")).unwrap();
    assert_eq!(rows.len(), 14);
    for row in rows {
        let (seq, name) = (&row["seq"], row["action"].as_str().unwrap());
        let stored = row["payload"].as_str().unwrap();
        let action = JournalAction::parse_text(name, stored)
            .unwrap_or_else(|e| panic!("sequence {seq} ({name}): {e}"));
        assert_eq!(action.name(), name);
        assert_eq!(
            canonical(&action.payload()),
            stored,
            "sequence {seq} ({name})"
        );
    }
}

#[test]
fn later_fields_stay_absent_where_early_entries_lacked_them() {
    let early = json!({"from": "confirmed", "to": "responding", "reason": "r", "resolution": null});
    let action = JournalAction::parse("incident.transition", early.clone()).unwrap();
    let JournalAction::IncidentTransition(t) = &action else {
        panic!("not a transition")
    };
    assert_eq!(t.contained_at, None);
    assert_eq!(canonical(&action.payload()), canonical(&early));
    let now = json!({"from": "confirmed", "to": "responding", "reason": "r", "resolution": null,
                     "contained_at": null, "ended_at": null, "impact_ended_at": null});
    let action = JournalAction::parse("incident.transition", now.clone()).unwrap();
    let JournalAction::IncidentTransition(t) = &action else {
        panic!("not a transition")
    };
    assert_eq!(t.contained_at, Some(None));
    assert_eq!(canonical(&action.payload()), canonical(&now));
    for (name, payload) in [
        ("evidence.verified", json!({})),
        ("user.password_set", json!({})),
        ("auth.totp_enrolled", json!({})),
        ("token.created", json!({"token_id": "tok_1", "user": "ann"})),
    ] {
        let action = JournalAction::parse(name, payload.clone()).unwrap();
        assert_eq!(canonical(&action.payload()), canonical(&payload), "{name}");
    }
}

#[test]
fn kinds_and_names_agree() {
    for (name, _) in JournalAction::ALL {
        let kind = ActionKind::from_name(name).unwrap();
        assert_eq!(kind.name(), *name);
    }
    assert_eq!(ActionKind::from_name("incident.renamed"), None);
}

#[test]
fn the_correlation_rules_assessment_is_the_bare_assessment() {
    let bare = json!({"at": "2026-11-30T10:38:39.603264Z", "by": "system", "category": null,
        "decision": "possible_incident", "escalate": false, "notes": null,
        "proposal_confirmed": false, "rsit": null});
    let assessment: Assessment = serde_json::from_value(bare.clone()).unwrap();
    round_trip(
        JournalAction::EventAssessed(EventAssessed::ByRule(Some(assessment.clone()))),
        bare.clone(),
    );
    let by_contact = json!({"status": "escalated", "assessment": bare});
    round_trip(
        JournalAction::EventAssessed(EventAssessed::ByContact {
            status: EventStatus::Escalated,
            assessment: Some(assessment),
        }),
        by_contact.clone(),
    );
    let parsed = JournalAction::parse("event.assessed", by_contact).unwrap();
    assert!(matches!(
        parsed,
        JournalAction::EventAssessed(EventAssessed::ByContact { .. })
    ));
}

/// Events, incidents and evidence items written before PAP was recorded
/// carry none: they read as AMBER and write back without a `pap` key.
#[test]
fn entries_from_before_pap_read_as_amber_and_stay_without_it() {
    let rows: Vec<Value> =
        serde_json::from_str(include_str!("testdata/schema4-journal.json")).unwrap();
    let mut seen = BTreeSet::new();
    for row in rows {
        let name = row["action"].as_str().unwrap();
        let stored = row["payload"].as_str().unwrap();
        assert!(!stored.contains("\"pap\""), "{name}");
        match JournalAction::parse_text(name, stored).unwrap() {
            JournalAction::EventReported(e) => {
                assert_eq!((e.0.pap, e.0.pap()), (None, crate::Pap::Amber));
            }
            JournalAction::IncidentConfirmed(i) => {
                assert_eq!((i.pap, i.pap()), (None, crate::Pap::Amber));
            }
            JournalAction::EvidenceCollected(c) => assert_eq!(c.pap, None),
            _ => continue,
        }
        seen.insert(name.to_owned());
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}
