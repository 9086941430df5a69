//! A journal and the records beside it, made through the domain's own
//! methods and journaled as the application journals them, for the tests.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rampart_domain::{
    Actor, AssessmentDecision, AssessmentInput, Event, EventNumber, EvidenceContent,
    EvidenceHolder, EvidenceItem, EvidenceNumber, Incident, IncidentNumber, Role, RuleSet, Text,
    Timestamp, Vulnerability, VulnerabilityNumber,
};
use serde_json::{Value, json};

use super::super::*;
use crate::journal::{GENESIS, canonical_json};
use crate::{ApiToken, Credentials, User};

pub(super) fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_unix(1_790_000_000 + seconds).unwrap()
}

pub(super) fn text(s: &str) -> Text {
    Text::new(s).unwrap()
}

pub(super) fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).unwrap()
}

pub(super) fn to<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

/// The key a record is stored under.
pub(super) fn stored_key(entity: &Entity) -> (RecordKind, String) {
    match entity {
        Entity::Event(e) => (RecordKind::Event, e.number.to_string()),
        Entity::Incident(i) => (RecordKind::Incident, i.number.to_string()),
        Entity::Vulnerability(v) => (RecordKind::Vulnerability, v.number.to_string()),
        Entity::Evidence(e) => (RecordKind::Evidence, e.number.to_string()),
        Entity::User(u) => (RecordKind::User, u.name.clone()),
        Entity::Credentials(c) => (RecordKind::Credentials, c.user.clone()),
        Entity::ApiToken(t) => (RecordKind::Token, t.id.clone()),
        Entity::Rules(_) => (RecordKind::Rules, "categorization".into()),
        Entity::Targets(_) => (RecordKind::Targets, "targets".into()),
        Entity::Regulatory(_) => (RecordKind::Regulatory, "regulatory".into()),
        Entity::Scale(_) => (RecordKind::Scale, "classification".into()),
        Entity::Document(d) => (RecordKind::Document, d.id.to_string()),
        Entity::DocumentText(t) => (
            RecordKind::DocumentText,
            format!("{}@{}", t.document, t.version),
        ),
        Entity::Team(t) => (RecordKind::Team, t.id.to_string()),
        Entity::Contact(c) => (RecordKind::Contact, c.id.to_string()),
        Entity::Playbook(p) => (RecordKind::Playbook, p.id.to_string()),
        Entity::Exercise(x) => (RecordKind::Exercise, x.id.to_string()),
        Entity::Improvement(i) => (RecordKind::Improvement, i.id.clone()),
        other => panic!("not a record the check covers: {other:?}"),
    }
}

pub(super) fn rank(kind: RecordKind) -> usize {
    RecordKind::ALL.iter().position(|k| *k == kind).unwrap()
}

/// A journal and the records beside it, as a store would hold them.
#[derive(Default)]
pub(super) struct World {
    pub(super) entries: Vec<JournalEntry>,
    pub(super) records: BTreeMap<(usize, String), Entity>,
    pub(super) tick: i64,
}

impl World {
    /// One committed unit: its writes and its entries, at the next second.
    pub(super) fn commit(
        &mut self,
        actor: &str,
        writes: Vec<Entity>,
        drafts: Vec<(&str, String, Value)>,
    ) {
        self.tick += 1;
        let at = ts(self.tick).to_rfc3339();
        for (action, entity, payload) in drafts {
            let previous = self
                .entries
                .last()
                .map_or_else(|| GENESIS.to_owned(), |e| e.hash.clone());
            let mut entry = JournalEntry {
                seq: self.entries.len() as u64 + 1,
                at: at.clone(),
                actor: actor.to_owned(),
                action: action.to_owned(),
                entity,
                payload: canonical_json(&payload),
                hash: String::new(),
            };
            entry.hash = entry.compute_hash(&previous);
            self.entries.push(entry);
        }
        for entity in writes {
            self.put(entity);
        }
    }

    pub(super) fn now(&self) -> Timestamp {
        ts(self.tick + 1)
    }

    pub(super) fn put(&mut self, entity: Entity) {
        let (kind, key) = stored_key(&entity);
        self.records.insert((rank(kind), key), entity);
    }

    pub(super) fn remove(&mut self, kind: RecordKind, key: &str) -> Entity {
        self.records.remove(&(rank(kind), key.to_owned())).unwrap()
    }

    pub(super) fn get(&self, kind: RecordKind, key: &str) -> Entity {
        self.records[&(rank(kind), key.to_owned())].clone()
    }

    pub(super) fn incident(&self, n: IncidentNumber) -> Incident {
        match self.get(RecordKind::Incident, &n.to_string()) {
            Entity::Incident(i) => *i,
            _ => unreachable!(),
        }
    }

    pub(super) fn event(&self, n: EventNumber) -> Event {
        match self.get(RecordKind::Event, &n.to_string()) {
            Entity::Event(e) => *e,
            _ => unreachable!(),
        }
    }

    pub(super) fn evidence(&self, n: EvidenceNumber) -> EvidenceItem {
        match self.get(RecordKind::Evidence, &n.to_string()) {
            Entity::Evidence(e) => *e,
            _ => unreachable!(),
        }
    }

    pub(super) async fn check(&self) -> RecordsCheck {
        let mut snap = Memory {
            entries: self.entries.clone(),
            rows: self.records.clone(),
            columns: BTreeMap::new(),
        };
        check(&mut snap).await.unwrap()
    }
}

/// A [`Snapshot`] over a [`World`].
pub(super) struct Memory {
    pub(super) entries: Vec<JournalEntry>,
    pub(super) rows: BTreeMap<(usize, String), Entity>,
    pub(super) columns: BTreeMap<String, Vec<Difference>>,
}

#[async_trait]
impl Snapshot for Memory {
    async fn head(&mut self) -> Result<(u64, String), StoreError> {
        Ok(self
            .entries
            .last()
            .map_or((0, GENESIS.to_owned()), |e| (e.seq, e.hash.clone())))
    }

    async fn journal(&mut self, after: u64, limit: u32) -> Result<Vec<JournalEntry>, StoreError> {
        Ok(self
            .entries
            .iter()
            .filter(|e| e.seq > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn entries(&mut self, seqs: &[u64]) -> Result<Vec<JournalEntry>, StoreError> {
        assert!(seqs.len() <= ENTRIES_PER_QUERY);
        Ok(self
            .entries
            .iter()
            .filter(|e| seqs.contains(&e.seq))
            .cloned()
            .collect())
    }

    async fn rows(
        &mut self,
        kind: RecordKind,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredRow>, StoreError> {
        Ok(self
            .rows
            .iter()
            .filter(|((k, key), _)| *k == rank(kind) && after.is_none_or(|a| key.as_str() > a))
            .take(limit as usize)
            .map(|((_, key), entity)| StoredRow {
                key: key.clone(),
                record: Ok(entity.clone()),
                columns: self.columns.get(key).cloned().unwrap_or_default(),
            })
            .collect())
    }
}

/// A record of each kind, for tests elsewhere in the crate.
pub(crate) fn sample(kind: RecordKind) -> Entity {
    let world = lifecycle();
    let key = match kind {
        RecordKind::Event => "EVT-2026-000001",
        RecordKind::Incident => "INC-2026-0001",
        RecordKind::Vulnerability => "VUL-2026-0001",
        RecordKind::Evidence => "EVD-2026-0001",
        RecordKind::User | RecordKind::Credentials => "ian",
        RecordKind::Token => {
            return world
                .records
                .values()
                .find(|e| matches!(e, Entity::ApiToken(_)))
                .cloned()
                .unwrap();
        }
        RecordKind::Rules => "categorization",
        RecordKind::Targets => "targets",
        RecordKind::Regulatory => "regulatory",
        RecordKind::Scale => "classification",
        RecordKind::Document => "incident-policy",
        RecordKind::DocumentText => "incident-policy@2",
        RecordKind::Team => "ict-isirt",
        RecordKind::Contact => "national-csirt",
        RecordKind::Playbook => "phishing-response",
        RecordKind::Exercise => "ransomware-drill",
        RecordKind::Improvement => "INC-2026-0001.1",
    };
    world.get(kind, key)
}

pub(super) fn actor(name: &str, roles: &[Role]) -> Actor {
    Actor::new(name, roles.to_vec())
}

pub(super) fn add_user(w: &mut World, name: &str, roles: &[Role]) {
    let user = User {
        name: name.into(),
        roles: roles.to_vec(),
        created_at: w.now(),
        created_by: "system".into(),
        disabled: false,
    };
    let payload = json!({"name": name, "roles": roles});
    w.commit(
        "system",
        vec![Entity::User(user)],
        vec![("user.created", format!("user:{name}"), payload)],
    );
}

pub(super) fn add_token(w: &mut World, user: &str, secret: &str) -> String {
    let hash = secret_digest(secret);
    let id = format!("tok_{}", &hash[..12]);
    let token = ApiToken {
        id: id.clone(),
        user: user.into(),
        hash: hash.clone(),
        created_at: w.now(),
        created_by: "admin".into(),
        name: String::new(),
        scopes: None,
        expires_at: None,
        last_used_at: None,
    };
    let payload = json!({"user": user, "token_id": id, "token_hash_sha256": secret_digest(&hash)});
    w.commit(
        "admin",
        vec![Entity::ApiToken(token)],
        vec![("token.created", format!("user:{user}"), payload)],
    );
    id
}

pub(super) fn event_number(seq: u32) -> EventNumber {
    EventNumber::new(2026, seq).unwrap()
}

pub(super) fn report(w: &mut World, seq: u32, by: &Actor, fields: Value) -> EventNumber {
    let number = event_number(seq);
    let mut body =
        json!({"title": "odd login", "description": "many failures", "assets": ["mail gateway"]});
    body.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    let event = Event::report(number, from(body), by, w.now());
    let mut payload = to(&event);
    let actor = if event.anonymous {
        payload.as_object_mut().unwrap().remove("reporter");
        payload.as_object_mut().unwrap().remove("submitted_by");
        "anonymous".to_owned()
    } else {
        by.name.clone()
    };
    w.commit(
        &actor,
        vec![Entity::Event(Box::new(event))],
        vec![("event.reported", number.to_string(), payload)],
    );
    number
}

pub(super) fn assess(w: &mut World, n: EventNumber, by: &Actor) {
    let mut e = w.event(n);
    let input = AssessmentInput {
        decision: AssessmentDecision::PossibleIncident,
        notes: Some(text("looks real")),
        escalate: true,
        category: None,
        rsit: None,
    };
    e.assess(input, by, w.now()).unwrap();
    let payload = json!({"status": e.status, "assessment": e.assessment});
    w.commit(
        &by.name,
        vec![Entity::Event(Box::new(e))],
        vec![("event.assessed", n.to_string(), payload)],
    );
}

/// Changes an incident as `App::change_incident` does.
pub(super) fn change(
    w: &mut World,
    n: IncidentNumber,
    by: &Actor,
    change: impl FnOnce(&mut Incident, Timestamp) -> (&'static str, Value),
) {
    let mut inc = w.incident(n);
    let (action, payload) = change(&mut inc, w.now());
    w.commit(
        &by.name,
        vec![Entity::Incident(Box::new(inc))],
        vec![(action, n.to_string(), payload)],
    );
}

pub(super) fn transition(w: &mut World, n: IncidentNumber, by: &Actor, request: Value) {
    change(w, n, by, |inc, now| {
        let mut payload = json!({"to": request["to"], "reason": request["reason"], "resolution": request.get("resolution")});
        let left = inc.transition(from(request), by, now).unwrap();
        let map = payload.as_object_mut().unwrap();
        map.insert("from".into(), json!(left));
        map.insert("contained_at".into(), json!(inc.contained_at));
        map.insert("ended_at".into(), json!(inc.ended_at));
        map.insert("impact_ended_at".into(), json!(inc.impact_ended_at));
        ("incident.transition", payload)
    });
}

pub(super) fn change_evidence(
    w: &mut World,
    n: EvidenceNumber,
    by: &Actor,
    change: impl FnOnce(&mut EvidenceItem, Timestamp) -> (&'static str, Value),
) {
    let mut item = w.evidence(n);
    let (action, payload) = change(&mut item, w.now());
    w.commit(
        &by.name,
        vec![Entity::Evidence(Box::new(item))],
        vec![(action, n.to_string(), payload)],
    );
}

/// Every kind of record through most of its changes.
pub(super) fn lifecycle() -> World {
    let mut w = World::default();
    let alice = actor("alice", &[Role::Poc]);
    let ian = actor("ian", &[Role::IsirtMember, Role::IsirtManager]);
    add_user(&mut w, "admin", &[Role::Admin]);
    add_user(&mut w, "alice", &[Role::Reporter]);
    add_user(&mut w, "ian", &[Role::IsirtManager, Role::IsirtMember]);
    add_token(&mut w, "alice", "first secret");
    let revoked = add_token(&mut w, "ian", "second secret");
    w.remove(RecordKind::Token, &revoked);
    w.commit(
        "admin",
        vec![],
        vec![(
            "token.revoked",
            "user:ian".into(),
            json!({"token_id": revoked}),
        )],
    );
    let mut u = match w.get(RecordKind::User, "alice") {
        Entity::User(u) => u,
        _ => unreachable!(),
    };
    let before = u.roles.clone();
    u.roles = vec![Role::Poc];
    w.commit(
        "admin",
        vec![Entity::User(u.clone())],
        vec![(
            "user.roles_changed",
            "user:alice".into(),
            json!({"before": before, "after": u.roles}),
        )],
    );
    u.disabled = true;
    w.commit(
        "admin",
        vec![Entity::User(u.clone())],
        vec![("user.disabled", "user:alice".into(), json!({}))],
    );
    u.disabled = false;
    w.commit(
        "admin",
        vec![Entity::User(u)],
        vec![("user.enabled", "user:alice".into(), json!({}))],
    );
    // Ian's credentials: a password, a second factor, then required.
    let mut c = Credentials::empty("ian");
    c.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    let digest = secret_digest(c.password_hash.as_deref().unwrap());
    w.commit(
        "admin",
        vec![Entity::Credentials(c.clone())],
        vec![(
            "user.password_set",
            "user:ian".into(),
            json!({"password_hash_sha256": digest}),
        )],
    );
    c.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    c.totp_last_step = Some(59_666_666);
    let digest = secret_digest(c.totp_secret.as_deref().unwrap());
    w.commit(
        "ian",
        vec![Entity::Credentials(c.clone())],
        vec![(
            "auth.totp_enrolled",
            "user:ian".into(),
            json!({"totp_secret_sha256": digest}),
        )],
    );
    c.totp_required = true;
    w.commit(
        "admin",
        vec![Entity::Credentials(c)],
        vec![(
            "user.totp_required",
            "user:ian".into(),
            json!({"required": true}),
        )],
    );
    // Sign-ins change no record.
    w.commit(
        "ian",
        vec![],
        vec![(
            "auth.login",
            "user:ian".into(),
            json!({"second_factor": true, "address": "192.0.2.1"}),
        )],
    );

    // Events: a person's report, triaged and escalated; an anonymous one; a
    // sensor's alert and its repeat.
    let e1 = report(&mut w, 1, &alice, json!({}));
    let mut e = w.event(e1);
    e.begin_triage(&alice, w.now()).unwrap();
    let payload = json!({"status": e.status});
    w.commit(
        "alice",
        vec![Entity::Event(Box::new(e))],
        vec![("event.triage", e1.to_string(), payload)],
    );
    assess(&mut w, e1, &alice);
    let _anonymous = report(&mut w, 2, &alice, json!({"anonymous": true}));
    let e3 = report(
        &mut w,
        3,
        &alice,
        json!({"source": {"kind": "sensor", "name": "ids-1", "ref": "a-1"}, "assets": ["db-7"]}),
    );
    let mut e = w.event(e3);
    e.repeated(w.now());
    let payload = json!({"occurrences": e.occurrences, "last_seen": e.last_seen});
    w.commit(
        "alice",
        vec![Entity::Event(Box::new(e))],
        vec![("event.repeated", e3.to_string(), payload)],
    );

    // The incident.
    let n = IncidentNumber::new(2026, 1).unwrap();
    let mut events = vec![w.event(e1)];
    let input = from(
        json!({"events": [e1], "title": "Credential phishing", "category": "malware",
        "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
        "effort": "low", "coordinator": "ian"}),
    );
    let inc = Incident::confirm(n, input, &mut events, &ian, w.now()).unwrap();
    let [linked] = events.try_into().unwrap();
    let confirmed = to(&inc);
    w.commit(
        "ian",
        vec![
            Entity::Incident(Box::new(inc)),
            Entity::Event(Box::new(linked.clone())),
        ],
        vec![
            ("incident.confirmed", n.to_string(), confirmed),
            (
                "event.linked",
                e1.to_string(),
                json!({"status": linked.status, "incident": n}),
            ),
        ],
    );
    change(&mut w, n, &ian, |inc, now| {
        let before = to(&*inc);
        let patch = from(
            json!({"title": "Credential phishing wave", "effort": "high", "perpetrator": {"kind": "group"}}),
        );
        let changed = inc.apply_patch(patch, &ian, now).unwrap();
        let after = to(&*inc);
        let diff: serde_json::Map<String, Value> = changed
            .iter()
            .map(|f| {
                (
                    (*f).to_owned(),
                    json!({"before": before.get(*f), "after": after.get(*f)}),
                )
            })
            .collect();
        ("incident.updated", json!({"changed": diff}))
    });
    // The sensor's alert joins by the correlation rule, as Rampart itself.
    let system = Actor::system();
    let mut inc = w.incident(n);
    let mut e = w.event(e3);
    e.assess(
        AssessmentInput {
            decision: AssessmentDecision::PossibleIncident,
            notes: Some(text("attached by correlation")),
            escalate: false,
            category: None,
            rsit: None,
        },
        &system,
        w.now(),
    )
    .unwrap();
    inc.link_event(&mut e, &system, w.now()).unwrap();
    let assessed = to(&e.assessment);
    w.commit(
        "system",
        vec![Entity::Event(Box::new(e)), Entity::Incident(Box::new(inc))],
        vec![
            ("event.assessed", e3.to_string(), assessed),
            (
                "incident.event_linked",
                n.to_string(),
                json!({"event": e3, "rule": "correlation"}),
            ),
        ],
    );
    transition(
        &mut w,
        n,
        &ian,
        json!({"to": "responding", "reason": "on it"}),
    );
    change(&mut w, n, &ian, |inc, now| {
        let added = inc
            .add_log(
                from(json!({"action": "blocked the sender", "tools": ["mail filter"]})),
                &ian,
                now,
            )
            .unwrap();
        ("incident.log", to(added))
    });
    change(&mut w, n, &ian, |inc, now| {
        let added = inc
            .add_action(
                from(json!({"what": "reset passwords", "owner": "helpdesk"})),
                &ian,
                now,
            )
            .unwrap();
        ("incident.action_added", to(added))
    });
    change(&mut w, n, &ian, |inc, now| {
        let updated = inc
            .update_action(
                1,
                from(json!({"status": "done", "outcome": "all reset"})),
                &ian,
                now,
            )
            .unwrap();
        ("incident.action_updated", to(updated))
    });
    change(&mut w, n, &ian, |inc, now| {
        let c = json!({"audience": "direct_external", "other_recipients": ["the bank's fraud desk"],
            "channel": "phone", "subject": "Phishing in your name", "content": "We saw it."});
        let drafted = inc.draft_communication(from(c), &ian, now).unwrap();
        ("incident.communication_drafted", to(drafted))
    });
    let crisis = actor("cora", &[Role::CrisisManager]);
    change(&mut w, n, &crisis, |inc, now| {
        let approved = inc
            .approve_communication(1, from(json!({"note": "no names"})), &crisis, now)
            .unwrap();
        ("incident.communication_approved", to(approved))
    });
    change(&mut w, n, &ian, |inc, now| {
        let sent = inc
            .send_communication(1, from(json!({"reference": "call 17"})), &ian, now)
            .unwrap();
        ("incident.communication_sent", to(sent))
    });
    transition(
        &mut w,
        n,
        &ian,
        json!({"to": "recovering", "reason": "contained", "contained_at": ts(-3600).to_rfc3339()}),
    );
    change(&mut w, n, &ian, |inc, now| {
        let review = inc
            .record_review(from(json!({"lessons": ["train staff"]})), &ian, now)
            .unwrap();
        ("incident.review", to(review))
    });
    transition(
        &mut w,
        n,
        &ian,
        json!({"to": "closed", "reason": "done", "resolution": "mail blocked, passwords reset"}),
    );
    change(&mut w, n, &ian, |inc, now| {
        inc.restrict(vec!["ian".into()], &ian, now).unwrap();
        (
            "incident.restricted",
            json!({"restricted_to": inc.restricted_to}),
        )
    });

    // A vulnerability.
    let v_number = VulnerabilityNumber::new(2026, 1).unwrap();
    let v = Vulnerability::report(
        v_number,
        from(json!({"title": "open relay", "description": "the gateway relays", "incident": n})),
        &ian,
        w.now(),
    )
    .unwrap();
    let payload = to(&v);
    w.commit(
        "ian",
        vec![Entity::Vulnerability(Box::new(v.clone()))],
        vec![("vulnerability.reported", v_number.to_string(), payload)],
    );
    let mut v = v;
    v.assess(
        from(json!({"outcome": "confirmed", "notes": "reproduced"})),
        &ian,
        w.now(),
    )
    .unwrap();
    w.commit(
        "ian",
        vec![Entity::Vulnerability(Box::new(v.clone()))],
        vec![(
            "vulnerability.assessed",
            v_number.to_string(),
            json!({"outcome": "confirmed", "notes": "reproduced"}),
        )],
    );
    v.resolve(
        from(json!({"outcome": "resolved", "how": "relay closed", "authorised_by": "CISO"})),
        &ian,
        w.now(),
    )
    .unwrap();
    let payload = json!({"status": v.status, "resolution": v.resolution});
    w.commit(
        "ian",
        vec![Entity::Vulnerability(Box::new(v.clone()))],
        vec![("vulnerability.resolution", v_number.to_string(), payload)],
    );
    let review = v
        .record_review(
            from(json!({"lessons": ["scan the edge monthly"]})),
            &ian,
            w.now(),
        )
        .unwrap()
        .clone();
    w.commit(
        "ian",
        vec![Entity::Vulnerability(Box::new(v))],
        vec![("vulnerability.review", v_number.to_string(), to(&review))],
    );

    // Evidence and its custody.
    let d = EvidenceNumber::new(2026, 1).unwrap();
    let item = EvidenceItem::collect(
        d,
        EvidenceHolder::Incident(n),
        (w.incident(n).tlp, w.incident(n).pap()),
        from(
            json!({"description": "raw mail", "found_at": "mailbox of rita", "collected_by": "Ian",
            "collected_at": ts(-7200).to_rfc3339(), "reason": "sender infrastructure"}),
        ),
        Some(EvidenceContent {
            sha256: "ab".repeat(32),
            size: 78,
            filename: Some("mail.eml".into()),
            media_type: None,
        }),
        &ian,
        w.now(),
    )
    .unwrap();
    let payload = json!({
        "incident": n, "content": item.content, "description": item.description,
        "found_at": item.found_at, "collected_by": item.collected_by,
        "collected_at": item.collected_at, "tool": item.tool, "reason": item.reason,
        "tlp": item.tlp, "pap": item.pap, "custodian": item.custodian, "location": item.location,
    });
    w.commit(
        "ian",
        vec![Entity::Evidence(Box::new(item))],
        vec![("evidence.collected", d.to_string(), payload)],
    );
    change_evidence(&mut w, d, &ian, |item, now| {
        item.record_check(&ian, "download", &"ab".repeat(32), now);
        let payload =
            json!({"sha256": "ab".repeat(32), "size": 78, "verified_sha256": "ab".repeat(32)});
        ("evidence.downloaded", payload)
    });
    change_evidence(&mut w, d, &ian, |item, _| {
        let from = item
            .transfer(from(
                json!({"to": "officer k", "reason": "police", "location": "bag 7"}),
            ))
            .unwrap();
        let payload = json!({"from": from, "to": item.custodian, "reason": "police", "location": item.location});
        ("evidence.transferred", payload)
    });
    change_evidence(&mut w, d, &ian, |item, now| {
        item.place_hold(text("court order"), &ian, now).unwrap();
        ("evidence.hold_placed", json!({"reason": "court order"}))
    });
    change_evidence(&mut w, d, &ian, |item, _| {
        let placed = item.release_hold().unwrap();
        (
            "evidence.hold_released",
            json!({"reason": "case closed", "placed": placed}),
        )
    });
    change_evidence(&mut w, d, &ian, |item, now| {
        item.record_check(&ian, "verification", "", now);
        let payload = json!({"during": "verification", "expected_sha256": "ab".repeat(32),
            "found_sha256": "", "expected_size": 78, "found_size": null, "problem": "the stored content is missing"});
        ("evidence.integrity_failed", payload)
    });
    change_evidence(&mut w, d, &ian, |item, now| {
        item.dispose(text("retention"), &ian, now).unwrap();
        (
            "evidence.disposed",
            json!({"reason": "retention", "sha256": "ab".repeat(32)}),
        )
    });

    // A physical item secured while its event was in triage, which follows
    // the event into the incident, and is sealed again when handed over.
    let p = EvidenceNumber::new(2026, 2).unwrap();
    let e = event_number(1);
    let item = EvidenceItem::collect(
        p,
        EvidenceHolder::Event(e),
        (w.event(e).tlp, w.event(e).pap()),
        from(
            json!({"description": "USB stick", "found_at": "printer room", "collected_by": "Ian",
            "collected_at": ts(-3600).to_rfc3339(), "reason": "plugged into the finance PC",
            "location": "safe 2", "seal": "S-1001"}),
        ),
        None,
        &ian,
        w.now(),
    )
    .unwrap();
    let payload = json!({
        "incident": null, "event": e, "content": null, "description": item.description,
        "found_at": item.found_at, "collected_by": item.collected_by,
        "collected_at": item.collected_at, "tool": item.tool, "reason": item.reason,
        "tlp": item.tlp, "pap": item.pap, "custodian": item.custodian, "location": item.location,
        "seal": "S-1001",
    });
    w.commit(
        "ian",
        vec![Entity::Evidence(Box::new(item))],
        vec![("evidence.collected", p.to_string(), payload)],
    );
    change_evidence(&mut w, p, &ian, |item, _| {
        item.attach(n).unwrap();
        ("evidence.attached", json!({"event": e, "incident": n}))
    });
    change_evidence(&mut w, p, &ian, |item, _| {
        let from = item
            .transfer(from(
                json!({"to": "officer k", "reason": "imaging", "seal": "S-1002"}),
            ))
            .unwrap();
        let payload = json!({"from": from, "to": item.custodian, "reason": "imaging",
            "location": item.location, "seal": "S-1002"});
        ("evidence.transferred", payload)
    });

    // The categorization rules.
    let after: RuleSet = from(
        json!({"version": 1, "rules": [{"name": "ids", "source": "ids-1", "category": "malware"}]}),
    );
    w.commit(
        "admin",
        vec![Entity::Rules(after.clone())],
        vec![(
            "intake.rules_changed",
            "intake:rules".into(),
            json!({"before": RuleSet::default(), "after": after}),
        )],
    );

    // The response-time targets: class IV contained within two hours.
    let mut targets = rampart_domain::ResponseTargets::default();
    let before = targets.clone();
    targets.version = 1;
    if let Some(iv) = targets
        .classes
        .iter_mut()
        .find(|c| c.class == rampart_domain::SeverityClass::IV)
    {
        iv.contain_minutes = 120;
    }
    w.commit(
        "admin",
        vec![Entity::Targets(targets.clone())],
        vec![(
            "targets.changed",
            "settings:targets".into(),
            json!({"before": before, "after": targets}),
        )],
    );

    // The classification scale: a second version that adds a category.
    let mut scale = rampart_domain::ClassificationScale::default();
    let mut input = rampart_domain::ScaleInput {
        version: 1,
        categories: scale.current().categories.clone(),
        grades: scale.current().grades.clone(),
        note: rampart_domain::Text::new("ransomware apart").unwrap(),
    };
    input.categories.push(rampart_domain::CategoryDef {
        code: rampart_domain::Category::parse("ransomware").unwrap(),
        name: rampart_domain::Text::new("Ransomware").unwrap(),
        description: None,
        retired: false,
    });
    scale.revise(input, "admin", w.now()).unwrap();
    w.commit(
        "admin",
        vec![Entity::Scale(Box::new(scale.clone()))],
        vec![(
            "classification.scale_revised",
            "settings:classification".into(),
            to(scale.current()),
        )],
    );

    // The notification rules: a contractual clock added to the shipped table.
    let before = rampart_domain::regulatory::RegulatoryRules::defaults();
    let mut rules = before.clone();
    rules.version = 2;
    rules.regimes.retain(|r| r.id != "cert_in");
    w.commit(
        "admin",
        vec![Entity::Regulatory(Box::new(rules.clone()))],
        vec![(
            "regulatory.rules_changed",
            "settings:regulatory".into(),
            json!({"before": before, "after": rules}),
        )],
    );
    super::plan::documents(&mut w);
    super::plan::teams(&mut w);
    super::plan::contacts(&mut w);
    super::plan::playbooks(&mut w);
    super::plan::exercises(&mut w);
    super::plan::improvements(&mut w);
    w
}
