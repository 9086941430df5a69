//! The plan-and-prepare records of the test world: a document in two
//! versions, a team with its rota, a contact.

use rampart_domain::Role;
use serde_json::json;

use super::world::{World, actor, text, to, ts};
use crate::Entity;

/// The national CSIRT in the directory, added and then changed.
pub(super) fn contacts(w: &mut World) {
    use rampart_domain::{Contact, ContactCategory, ContactDetails, ContactId, ContactKind, Tlp};
    let details = ContactDetails {
        kind: ContactKind::Organisation,
        name: text("National CSIRT"),
        organisation: None,
        category: ContactCategory::Csirt,
        roles: None,
        channels: vec![],
        pgp_key: None,
        smime_certificate: None,
        tlp_max: Tlp::Amber,
        when_to_contact: None,
    };
    let mut contact = Contact {
        id: ContactId::new("national-csirt").unwrap(),
        details: details.clone(),
        created_by: "mia".into(),
        created_at: w.now(),
        updated_at: w.now(),
    };
    w.commit(
        "mia",
        vec![Entity::Contact(Box::new(contact.clone()))],
        vec![(
            "contact.created",
            "contact:national-csirt".into(),
            to(&contact),
        )],
    );
    let mut after = details.clone();
    after.tlp_max = Tlp::Green;
    contact.details = after.clone();
    contact.updated_at = w.now();
    w.commit(
        "mia",
        vec![Entity::Contact(Box::new(contact))],
        vec![(
            "contact.changed",
            "contact:national-csirt".into(),
            json!({"before": details, "after": after}),
        )],
    );
}

/// The ISIRT's team: set up, given a rotation, a cover and a hand-over.
pub(super) fn teams(w: &mut World) {
    use rampart_domain::{Duty, Rotation, Team, TeamId, TeamSettings};
    let entity = "team:ict-isirt".to_owned();
    let settings = TeamSettings {
        name: text("ICT ISIRT"),
        duty: Duty::Isirt,
        description: None,
        lead: "mia".into(),
        members: vec!["ian".into(), "mia".into()],
        rotation: None,
    };
    let mut team = Team::new(
        TeamId::new("ict-isirt").unwrap(),
        settings.clone(),
        "mia",
        w.now(),
    );
    w.commit(
        "mia",
        vec![Entity::Team(Box::new(team.clone()))],
        vec![("team.created", entity.clone(), to(&team))],
    );
    let mut after = settings.clone();
    after.rotation = Some(Rotation {
        people: vec!["ian".into(), "mia".into()],
        shift_hours: 12,
        starts_at: ts(0),
    });
    team.apply(after.clone(), w.now());
    w.commit(
        "mia",
        vec![Entity::Team(Box::new(team.clone()))],
        vec![(
            "team.changed",
            entity.clone(),
            json!({"before": settings, "after": after}),
        )],
    );
    let at = w.now();
    let cover = team
        .add_cover("mia".into(), at, ts(100_000), None, "mia", at)
        .unwrap();
    w.commit(
        "mia",
        vec![Entity::Team(Box::new(team.clone()))],
        vec![("team.cover_added", entity.clone(), to(&cover))],
    );
    let at = w.now();
    let handover = team
        .hand_over("ian", "mia".into(), text("Quiet night"), vec![], None, at)
        .unwrap();
    w.commit(
        "ian",
        vec![Entity::Team(Box::new(team.clone()))],
        vec![("team.handover", entity, to(&handover))],
    );
}

/// The policy: created, drafted twice, the second version approved by
/// both roles it names, reviewed, and its settings changed.
pub(super) fn documents(w: &mut World) {
    use rampart_domain::document::sections;
    use rampart_domain::{
        Document, DocumentId, DocumentKind, DocumentSettings, DocumentText, DocumentVersion,
    };
    use sha2::{Digest, Sha256};
    let entity = "document:incident-policy".to_owned();
    let settings = DocumentSettings {
        kind: DocumentKind::Policy,
        title: text("Incident management policy"),
        owner: "mia".into(),
        approvers: vec![Role::IsirtManager, Role::SeniorManager],
        review_months: 12,
    };
    let mut doc = Document::new(
        DocumentId::new("incident-policy").unwrap(),
        settings.clone(),
        "mia",
        w.now(),
    );
    w.commit(
        "mia",
        vec![Entity::Document(Box::new(doc.clone()))],
        vec![("document.created", entity.clone(), to(&doc))],
    );
    for (n, body) in [
        (1, "# Policy\n\n## Scope\n"),
        (2, "# Policy\n\n## Scope\n\nAll of it.\n"),
    ] {
        let version = DocumentVersion {
            version: n,
            summary: text("A draft"),
            sha256: hex::encode(Sha256::digest(body.as_bytes())),
            sections: sections(body),
            drafted_by: "ian".into(),
            drafted_at: w.now(),
            effective_from: None,
            approvals: vec![],
            effective_at: None,
        };
        doc.draft(version.clone()).unwrap();
        let body_text = DocumentText {
            document: doc.id.clone(),
            version: n,
            text: body.into(),
        };
        w.commit(
            "ian",
            vec![
                Entity::Document(Box::new(doc.clone())),
                Entity::DocumentText(Box::new(body_text)),
            ],
            vec![(
                "document.drafted",
                entity.clone(),
                json!({"version": version, "text": body}),
            )],
        );
    }
    for (who, role) in [("mia", Role::IsirtManager), ("sam", Role::SeniorManager)] {
        let at = w.now();
        let effective_at = doc
            .approve(2, role, &actor(who, &[role]), None, at)
            .unwrap();
        w.commit(
            who,
            vec![Entity::Document(Box::new(doc.clone()))],
            vec![(
                "document.approved",
                entity.clone(),
                json!({"version": 2, "role": role, "note": null, "effective_at": effective_at,
                       "review_due": effective_at.and(doc.review_due)}),
            )],
        );
    }
    let at = w.now();
    doc.reviewed("mia", text("Still right"), at).unwrap();
    w.commit(
        "mia",
        vec![Entity::Document(Box::new(doc.clone()))],
        vec![(
            "document.reviewed",
            entity.clone(),
            json!({"version": 2, "note": "Still right", "review_due": doc.review_due}),
        )],
    );
    let mut after = settings.clone();
    after.review_months = 6;
    let at = w.now();
    doc.apply(after.clone(), at);
    w.commit(
        "mia",
        vec![Entity::Document(Box::new(doc.clone()))],
        vec![(
            "document.changed",
            entity,
            json!({"before": settings, "after": after, "review_due": doc.review_due}),
        )],
    );
}

/// A phishing playbook, created and revised once.
pub(super) fn playbooks(w: &mut World) {
    use rampart_domain::{Playbook, PlaybookContent, PlaybookId};
    let content: PlaybookContent = serde_json::from_value(json!({
        "title": "Phishing response", "categories": ["malware"],
        "steps": [{"what": "Block the sender", "owner_role": "isirt_member", "due_minutes": 60}],
    }))
    .unwrap();
    let mut playbook = Playbook::new(
        PlaybookId::new("phishing-response").unwrap(),
        content.clone(),
        None,
        "mia",
        w.now(),
    )
    .unwrap();
    let entity = "playbook:phishing-response".to_owned();
    w.commit(
        "mia",
        vec![Entity::Playbook(Box::new(playbook.clone()))],
        vec![("playbook.created", entity.clone(), to(&playbook))],
    );
    let mut next = content;
    next.steps[0].due_minutes = Some(15);
    let version = playbook
        .revise(next, Some(text("faster")), "mia", w.now())
        .unwrap()
        .clone();
    w.commit(
        "mia",
        vec![Entity::Playbook(Box::new(playbook))],
        vec![("playbook.revised", entity, to(&version))],
    );
}

/// A ransomware drill, planned and started.
pub(super) fn exercises(w: &mut World) {
    let input = rampart_domain::ExerciseInput {
        id: "ransomware-drill".into(),
        title: text("Ransomware drill"),
        scenario: text("Files encrypted on the file server"),
        audience: vec!["ian".into(), "mia".into()],
        injects: vec![rampart_domain::exercise::InjectInput {
            at_minute: 30,
            title: text("Ransom note found"),
            description: text("A note on every share"),
        }],
    };
    let mut exercise = rampart_domain::Exercise::new(input, "mia", w.now()).unwrap();
    let entity = "exercise:ransomware-drill".to_owned();
    w.commit(
        "mia",
        vec![Entity::Exercise(Box::new(exercise.clone()))],
        vec![("exercise.created", entity.clone(), to(&exercise))],
    );
    exercise.start("mia", w.now()).unwrap();
    w.commit(
        "mia",
        vec![Entity::Exercise(Box::new(exercise.clone()))],
        vec![("exercise.started", entity, to(&exercise))],
    );
}

/// An improvement action of the incident, decided and then done.
pub(super) fn improvements(w: &mut World) {
    let mut action = rampart_domain::ImprovementAction {
        id: "INC-2026-0001.1".into(),
        source: rampart_domain::ReviewOf::Incident("INC-2026-0001".parse().unwrap()),
        what: text("Alert on mass file renames"),
        owner: text("ian"),
        due: Some(w.now()),
        changes: Some(rampart_domain::ChangeLink {
            kind: rampart_domain::ChangeKind::Playbook,
            target: text("phishing-response"),
        }),
        status: rampart_domain::ImprovementStatus::Open,
        outcome: None,
        created_by: "mia".into(),
        created_at: w.now(),
        updated_at: w.now(),
        closed_by: None,
        closed_at: None,
    };
    let entity = "improvement:INC-2026-0001.1".to_owned();
    w.commit(
        "mia",
        vec![Entity::Improvement(Box::new(action.clone()))],
        vec![("improvement.created", entity.clone(), to(&action))],
    );
    let done = rampart_domain::ImprovementUpdate {
        status: Some(rampart_domain::ImprovementStatus::Done),
        outcome: Some(text("Rule deployed")),
        ..Default::default()
    };
    action.update(done, "ian", w.now()).unwrap();
    w.commit(
        "ian",
        vec![Entity::Improvement(Box::new(action.clone()))],
        vec![("improvement.updated", entity, to(&action))],
    );
    // One the vulnerability's review decided.
    let source = rampart_domain::ReviewOf::Vulnerability("VUL-2026-0001".parse().unwrap());
    let action = rampart_domain::ImprovementAction {
        id: rampart_domain::ImprovementAction::id_of(source, 1),
        source,
        what: text("Scan the mail gateways monthly"),
        changes: None,
        status: rampart_domain::ImprovementStatus::Open,
        outcome: None,
        closed_by: None,
        closed_at: None,
        ..action
    };
    w.commit(
        "mia",
        vec![Entity::Improvement(Box::new(action.clone()))],
        vec![(
            "improvement.created",
            format!("improvement:{}", action.id),
            to(&action),
        )],
    );
}
