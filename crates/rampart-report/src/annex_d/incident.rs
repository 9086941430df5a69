//! The incident report (Annex D.2): the incident record with its log,
//! response actions, evidence, communications and lessons-learned review.

use rampart_domain::{CiaImpact, Event, EvidenceItem, ImpactAspect, Incident, LogEntry, Review};

use super::{observables_table, review_sections};
use crate::document::{
    Field, Marking, Provenance, Report, ReportKind, Section, Table, at, field, list, when,
    when_opt, words, yes_no,
};

/// What an incident report is made of: the incident, the events it was
/// confirmed from (those the reader may see), and its evidence items when
/// the reader may see evidence.
#[derive(Debug, Clone, Copy)]
pub struct IncidentSources<'a> {
    pub incident: &'a Incident,
    pub events: &'a [Event],
    pub evidence: Option<&'a [EvidenceItem]>,
}

/// The incident report.
pub fn incident_report(src: IncidentSources<'_>, provenance: Provenance) -> Report {
    let i = src.incident;
    let mut sections = vec![
        identification(i),
        description(i),
        timeline(i),
        classification(i),
        impact(i),
        perpetrator(i),
        events(i, src.events),
        observables_table(
            &[
                ("Kind", 2),
                ("Value", 7),
                ("Marking", 3),
                ("Indicator", 2),
                ("Note", 4),
            ],
            i.observables.iter().filter(|o| !o.is_removed()).map(|o| {
                vec![
                    o.kind.to_string(),
                    o.value.clone(),
                    format!("TLP:{} PAP:{}", o.tlp, o.pap),
                    yes_no(o.ioc).to_owned(),
                    o.note.as_ref().map(ToString::to_string).unwrap_or_default(),
                ]
            }),
        ),
        log(&i.log),
        actions(i),
        evidence(src.evidence),
        communications(i),
        notified(i),
        regulatory(i),
        escalations(i),
        investigation(i),
    ];
    sections.extend(review(i.review.as_ref()));
    Report {
        kind: ReportKind::Incident,
        heading: ReportKind::Incident.heading(),
        number: i.number.to_string(),
        title: i.title.to_string(),
        tlp: Marking::of(i.tlp),
        provenance,
        sections,
    }
}

fn identification(i: &Incident) -> Section {
    Section::new("Identification").fields(vec![
        field("Incident number", Some(i.number)),
        field("Title", Some(&i.title)),
        field("Status", Some(words(i.status.as_str()))),
        field("Event numbers", list(&i.events)),
        field("Related incidents", list(&i.related_incidents)),
        field(
            "Merged into",
            i.merged_into
                .map(|n| format!("{n} (this record no longer changes)")),
        ),
        field("Point of contact who confirmed it", Some(&i.confirmed_by)),
        field("ISIRT coordinator", Some(&i.coordinator)),
        field("Actual or suspected", Some(words(i.actuality.as_str()))),
        field(
            "Exercise",
            i.exercise.as_ref().map(|e| format!("part of exercise {e}")),
        ),
        field("Marking", Some(format!("TLP:{} · PAP:{}", i.tlp, i.pap()))),
        field(
            "Restricted to",
            list(&i.restricted_to).map(|who| format!("{who} (need-to-know)")),
        ),
    ])
}

fn description(i: &Incident) -> Section {
    Section::new("Description")
        .text("What occurred", Some(i.description.to_string()))
        .text("How it occurred", i.how.as_ref().map(ToString::to_string))
        .text("Why it occurred", i.why.as_ref().map(ToString::to_string))
        .fields(vec![field(
            "Components and assets affected",
            list(&i.assets),
        )])
        .text(
            "Adverse business impact",
            i.impact.as_ref().map(ToString::to_string),
        )
        .text("Resolution", i.resolution.as_ref().map(ToString::to_string))
}

fn timeline(i: &Incident) -> Section {
    Section::new("Dates and times (UTC)").fields(vec![
        field("Occurred", when_opt(i.occurred_at.as_ref())),
        field("Discovered", when_opt(i.discovered_at.as_ref())),
        field("Reported", Some(when(&i.reported_at))),
        field("ISIRT aware", Some(when(&i.aware_at))),
        field("Confirmed as an incident", Some(when(&i.confirmed_at))),
        field("Contained", when_opt(i.contained_at.as_ref())),
        field("Ended", when_opt(i.ended_at.as_ref())),
        field("Impact ended", when_opt(i.impact_ended_at.as_ref())),
        field("Closed", when_opt(i.closed_at.as_ref())),
        field("Last changed", Some(when(&i.updated_at))),
    ])
}

fn classification(i: &Incident) -> Section {
    let s = &i.severity;
    Section::new("Classification").fields(vec![
        field("Category", Some(words(i.category.as_str()))),
        field(
            "RSIT class and type",
            i.rsit.as_ref().map(|r| format!("{} / {}", r.class, r.kind)),
        ),
        field(
            "Severity class",
            Some(if s.label.is_empty() {
                s.class.to_string()
            } else {
                format!("{} ({})", s.class, s.label)
            }),
        ),
        field(
            "Severity as computed",
            Some(format!(
                "{}{}",
                s.computed_class,
                s.override_
                    .as_ref()
                    .map(|o| format!("; set to {} because: {}", o.class, o.justification))
                    .unwrap_or_default()
            )),
        ),
        field("Significant", Some(yes_no(s.significant))),
        field("Effort to resolve", Some(i.effort)),
        field("Priority", Some(i.priority.value())),
        field("Classification scale", Some(&i.scale)),
    ])
}

fn aspect(name: &str, a: Option<&ImpactAspect>) -> Field {
    field(
        name,
        a.map(|a| {
            let mut parts = vec![];
            if let Some(d) = &a.description {
                parts.push(d.to_string());
            }
            if let Some(v) = &a.value {
                parts.push(format!("value {v}"));
            }
            if let Some(c) = &a.cost {
                parts.push(format!("cost {c}"));
            }
            parts.join("; ")
        }),
    )
}

fn impact(i: &Incident) -> Section {
    let CiaImpact {
        confidentiality,
        integrity,
        availability,
    } = &i.cia_impact;
    Section::new("Adverse impact and cost").fields(vec![
        aspect("Confidentiality", confidentiality.as_ref()),
        aspect("Integrity", integrity.as_ref()),
        aspect("Availability", availability.as_ref()),
        field("Total recovery cost", i.recovery_cost_total.as_ref()),
        field("Notes on the recovery cost", i.recovery_cost.as_ref()),
    ])
}

fn perpetrator(i: &Incident) -> Section {
    Section::new("Perpetrator and motivation").fields(vec![
        field(
            "Perpetrator type",
            i.perpetrator.as_ref().map(|p| words(p.kind.as_str())),
        ),
        field(
            "Perpetrator",
            i.perpetrator.as_ref().and_then(|p| p.description.as_ref()),
        ),
        field(
            "Motivation, actual or perceived",
            i.motivation.as_ref().map(|m| words(m.kind.as_str())),
        ),
        field(
            "Motivation described",
            i.motivation.as_ref().and_then(|m| m.description.as_ref()),
        ),
    ])
}

fn events(i: &Incident, events: &[Event]) -> Section {
    let mut t = Table::new(
        "Events the incident was confirmed from",
        &[
            ("Event", 3),
            ("Reported (UTC)", 3),
            ("Source", 3),
            ("Title", 6),
        ],
        "No event of this incident may be shown to the reader.",
    );
    for e in events {
        t.row(vec![
            e.number.to_string(),
            at(&e.reported_at),
            e.source.kind.to_string()
                + &e.source
                    .name
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
            e.title.to_string(),
        ]);
    }
    let mut s = Section::new("Events").table(t);
    let hidden = i.events.len().saturating_sub(events.len());
    if hidden > 0 {
        s = s.note(format!(
            "{hidden} of its events are not shown: the reader may not see them."
        ));
    }
    s
}

fn log(entries: &[LogEntry]) -> Section {
    let mut t = Table::new(
        "Incident management log",
        &[
            ("Time (UTC)", 3),
            ("Actor", 2),
            ("Kind", 2),
            ("Action", 6),
            ("Decision and reason", 5),
            ("Tools", 2),
        ],
        "No log entries were recorded.",
    );
    for e in entries {
        let decision = match (&e.decision, &e.reason) {
            (Some(d), Some(r)) => format!("{d} — because {r}"),
            (Some(d), None) => d.to_string(),
            (None, Some(r)) => format!("because {r}"),
            (None, None) => String::new(),
        };
        t.row(vec![
            at(&e.occurred_at),
            e.actor.clone(),
            e.kind.to_string(),
            e.action.to_string(),
            decision,
            list(&e.tools).unwrap_or_default(),
        ]);
    }
    Section::new("Log").table(t)
}

fn actions(i: &Incident) -> Section {
    let mut t = Table::new(
        "Response actions: taken, planned and outstanding",
        &[
            ("#", 1),
            ("What", 6),
            ("Owner", 2),
            ("Due (UTC)", 3),
            ("Status", 2),
            ("Approval", 4),
            ("Outcome", 4),
        ],
        "No response actions were recorded.",
    );
    for a in &i.actions {
        let approval = match (&a.approval, a.requires_approval) {
            (Some(ap), _) => format!(
                "approved by {} at {}",
                ap.approved_by,
                when(ap.approved_at.as_ref().unwrap_or(&ap.at))
            ),
            (None, true) => "needs approval; not yet approved".to_owned(),
            (None, false) => "not needed".to_owned(),
        };
        t.row(vec![
            a.id.to_string(),
            a.what.to_string(),
            a.owner.to_string(),
            a.due.as_ref().map(at).unwrap_or_default(),
            words(a.status.as_str()),
            approval,
            a.outcome
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ]);
    }
    Section::new("Response actions").table(t)
}

fn evidence(items: Option<&[EvidenceItem]>) -> Section {
    let s = Section::new("Evidence");
    let Some(items) = items else {
        return s.note("The evidence list is not shown: the reader's role does not view evidence.");
    };
    let mut t = Table::new(
        "Evidence items, with the SHA-256 of their content",
        &[
            ("Item", 3),
            ("What it is", 5),
            ("Found at", 3),
            ("Collected", 4),
            ("SHA-256 and size", 6),
            ("Custody", 4),
        ],
        "No evidence was recorded.",
    );
    for e in items {
        let content = match (&e.content, &e.disposed) {
            (Some(c), None) => format!("{} ({} bytes)", c.sha256, c.size),
            (Some(c), Some(d)) => format!(
                "{} ({} bytes); content disposed of at {}",
                c.sha256,
                c.size,
                when(&d.at)
            ),
            (None, _) => "physical item, no content held".to_owned(),
        };
        let mut custody = format!("held by {}", e.custodian);
        if let Some(l) = &e.location {
            custody.push_str(&format!(" at {l}"));
        }
        if let Some(s) = &e.seal {
            custody.push_str(&format!("; seal {s}"));
        }
        if let Some(c) = &e.last_check {
            custody.push_str(&format!(
                "; {} on {} ({})",
                if c.intact {
                    "verified intact"
                } else {
                    "FOUND ALTERED"
                },
                when(&c.at),
                c.during
            ));
        }
        if e.hold.is_some() {
            custody.push_str("; under legal hold");
        }
        t.row(vec![
            e.number.to_string(),
            format!("{} (why: {})", e.description, e.reason),
            e.found_at.to_string(),
            format!(
                "by {} at {}{}",
                e.collected_by,
                when(&e.collected_at),
                e.tool
                    .as_ref()
                    .map(|t| format!(" with {t}"))
                    .unwrap_or_default()
            ),
            content,
            custody,
        ]);
    }
    s.table(t)
}

fn communications(i: &Incident) -> Section {
    let mut t = Table::new(
        "Communications",
        &[
            ("#", 1),
            ("Audience", 3),
            ("Channel", 2),
            ("Subject", 5),
            ("Approved", 4),
            ("Sent (UTC)", 3),
            ("Status", 2),
        ],
        "No communications were recorded.",
    );
    for c in &i.communications {
        let mut to = words(c.audience.as_str());
        if !c.other_recipients.is_empty() {
            to.push_str(&format!(
                ": {}",
                list(&c.other_recipients).unwrap_or_default()
            ));
        }
        t.row(vec![
            c.id.to_string(),
            to,
            words(c.channel.as_str()),
            format!("{} (TLP:{})", c.subject, c.tlp),
            c.approval
                .as_ref()
                .map(|a| format!("by {} ({}) at {}", a.by, a.role, when(&a.at)))
                .unwrap_or_default(),
            c.sent.as_ref().map(|s| at(&s.at)).unwrap_or_default(),
            words(c.status.as_str()),
        ]);
    }
    Section::new("Communications").table(t)
}

fn notified(i: &Incident) -> Section {
    let mut t = Table::new(
        "Individuals and entities notified",
        &[
            ("Who", 5),
            ("Internal or external", 3),
            ("When (UTC)", 3),
            ("Note", 5),
        ],
        "No one was recorded as notified.",
    );
    for n in &i.notified {
        t.row(vec![
            n.who.to_string(),
            words(n.party.as_str()),
            n.at.as_ref().map(at).unwrap_or_default(),
            n.note.as_ref().map(ToString::to_string).unwrap_or_default(),
        ]);
    }
    Section::new("Notified").table(t)
}

fn regulatory(i: &Incident) -> Section {
    let o = &i.obligations;
    let mut regimes = Table::new(
        "Regimes that apply",
        &[
            ("Regime", 3),
            ("Rules version", 2),
            ("Applied", 5),
            ("Why", 5),
        ],
        "No notification regime was applied to this incident.",
    );
    for r in &o.regimes {
        regimes.row(vec![
            r.regime.clone(),
            r.rules_version.to_string(),
            format!("by {} at {}", r.by, when(&r.at)),
            r.reason
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ]);
    }
    let mut sent = Table::new(
        "Reports sent to authorities",
        &[
            ("Regime", 2),
            ("Report", 2),
            ("Sent (UTC)", 3),
            ("Authority", 3),
            ("Reference", 3),
            ("By", 2),
        ],
        "No report was sent to an authority.",
    );
    for r in &o.submissions {
        sent.row(vec![
            r.regime.clone(),
            words(&r.report),
            at(&r.at),
            r.authority.to_string(),
            r.reference
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            r.by.clone(),
        ]);
    }
    Section::new("Regulatory notifications")
        .table(regimes)
        .table(sent)
}

fn escalations(i: &Incident) -> Section {
    let mut t = Table::new(
        "Escalations when response-time targets ran late",
        &[
            ("Deadline", 4),
            ("Rung", 4),
            ("Due (UTC)", 3),
            ("Reached (UTC)", 3),
            ("Told", 4),
        ],
        "No escalation was reached.",
    );
    for e in &i.escalations {
        t.row(vec![
            e.deadline.clone(),
            format!("{} ({} %)", e.label, e.at_percent),
            at(&e.due_at),
            at(&e.at),
            list(&e.told).unwrap_or_default(),
        ]);
    }
    let mut playbooks = Table::new(
        "Playbooks applied",
        &[
            ("Playbook", 6),
            ("Version", 2),
            ("Applied", 5),
            ("Actions planned", 3),
        ],
        "No playbook was applied.",
    );
    for p in &i.playbooks {
        playbooks.row(vec![
            p.title.to_string(),
            p.version.to_string(),
            format!("by {} at {}", p.applied_by, when(&p.applied_at)),
            list(&p.actions).unwrap_or_default(),
        ]);
    }
    Section::new("Escalations and playbooks")
        .table(t)
        .table(playbooks)
}

fn investigation(i: &Incident) -> Section {
    let inv = i.investigation.as_ref();
    let conclusion = i.conclusion.as_ref();
    Section::new("Investigation and conclusion").fields(vec![
        field(
            "Investigation started",
            inv.and_then(|v| when_opt(v.started_at.as_ref())),
        ),
        field(
            "Investigation completed",
            inv.and_then(|v| when_opt(v.completed_at.as_ref())),
        ),
        field("Investigators", inv.and_then(|v| list(&v.investigators))),
        field(
            "Investigation report",
            inv.and_then(|v| v.report_reference.as_ref()),
        ),
        field(
            "Significant",
            conclusion.map(|c| match c.significant {
                Some(b) => yes_no(b),
                None => "Not decided",
            }),
        ),
        field("Why", conclusion.map(|c| &c.why)),
    ])
}

fn review(r: Option<&Review>) -> Vec<Section> {
    review_sections(r, "incident")
}
