//! The event report (Annex D.1): what was reported, by whom and through
//! which source, and the point of contact's assessment.

use rampart_domain::Event;

use super::observables_table;
use crate::document::{
    Marking, Provenance, Report, ReportKind, Section, Table, field, list, when, when_opt, words,
    yes_no,
};

/// The event report.
pub fn event_report(e: &Event, provenance: Provenance) -> Report {
    let reporter = if e.anonymous && e.reporter.is_none() {
        Some("Withheld: reported anonymously".to_owned())
    } else {
        e.reporter.as_ref().map(|r| r.name.to_string())
    };
    let identification = Section::new("Identification").fields(vec![
        field("Event number", Some(e.number)),
        field("Title", Some(&e.title)),
        field("Status", Some(words(e.status.as_str()))),
        field("Incident", e.incident),
        field(
            "Exercise",
            e.exercise.as_ref().map(|x| format!("part of exercise {x}")),
        ),
        field("Marking", Some(format!("TLP:{} · PAP:{}", e.tlp, e.pap()))),
    ]);
    let reported_by = Section::new("Reporter and source").fields(vec![
        field("Reporter", reporter),
        field(
            "Reporter's contact",
            e.reporter.as_ref().and_then(|r| r.contact.as_ref()),
        ),
        field("Anonymous", Some(yes_no(e.anonymous))),
        field("Submitted by account", e.submitted_by.as_ref()),
        field(
            "Channel to the point of contact",
            e.channel.map(|c| words(c.as_str())),
        ),
        field("Source", Some(words(e.source.kind.as_str()))),
        field("Sensor or person", e.source.name.as_ref()),
        field("Source's own reference", e.source.reference.as_ref()),
        field("Source's severity", e.severity.map(|s| words(s.as_str()))),
        field(
            "Repeats",
            (e.occurrences > 1).then(|| {
                format!(
                    "seen {} times, last at {}",
                    e.occurrences,
                    when_opt(e.last_seen.as_ref()).unwrap_or_default()
                )
            }),
        ),
    ]);
    let description = Section::new("What occurred")
        .text("What occurred", Some(e.description.to_string()))
        .text("How it occurred", e.how.as_ref().map(ToString::to_string))
        .text("Why it occurred", e.why.as_ref().map(ToString::to_string))
        .fields(vec![
            field("Components and assets affected", list(&e.assets)),
            field("Vulnerabilities noticed", list(&e.vulnerabilities)),
        ])
        .text(
            "Adverse business impact",
            e.impact.as_ref().map(ToString::to_string),
        );
    let times = Section::new("Dates and times (UTC)").fields(vec![
        field("Occurred", when_opt(e.occurred_at.as_ref())),
        field("Discovered", when_opt(e.discovered_at.as_ref())),
        field("Reported", Some(when(&e.reported_at))),
        field(
            "Is it over",
            e.is_over
                .map(|over| if over { "Yes" } else { "No, ongoing" }),
        ),
        field("Ended", when_opt(e.ended_at.as_ref())),
        field(
            "How long it lasted",
            e.ended_at
                .as_ref()
                .zip(e.occurred_at.as_ref())
                .map(|(end, start)| lasted(start, end)),
        ),
    ]);
    let observables = observables_table(
        &[("Kind", 2), ("Value", 10)],
        e.observables
            .iter()
            .map(|o| vec![o.kind.to_string(), o.value.clone()]),
    );
    let a = e.assessment.as_ref();
    let assessment = Section::new("Point of contact's assessment")
        .fields(vec![
            field(
                "Taken into triage",
                e.triage
                    .as_ref()
                    .map(|t| format!("by {} at {}", t.by, when(&t.at))),
            ),
            field(
                "Assessed",
                a.map(|a| format!("by {} at {}", a.by, when(&a.at))),
            ),
            field("Decision", a.map(|a| words(a.decision.as_str()))),
            field("Escalated to the ISIRT", a.map(|a| yes_no(a.escalate))),
            field(
                "Category",
                a.and_then(|a| a.category).map(|c| words(c.as_str())),
            ),
            field(
                "RSIT class and type",
                a.and_then(|a| a.rsit.as_ref())
                    .map(|r| format!("{} / {}", r.class, r.kind)),
            ),
            field(
                "Rejected by the ISIRT",
                e.rejection
                    .as_ref()
                    .map(|r| format!("by {} at {}: {}", r.by, when(&r.at), r.reason)),
            ),
        ])
        .text(
            "Assessment notes",
            a.and_then(|a| a.notes.as_ref()).map(ToString::to_string),
        );
    let mut related = Table::new(
        "Related events and incidents",
        &[("Record", 3), ("What they share", 10)],
        "No related records were found.",
    );
    for c in &e.related {
        related.row(vec![c.number.clone(), c.shared.join(", ")]);
    }
    Report {
        kind: ReportKind::Event,
        heading: ReportKind::Event.heading(),
        number: e.number.to_string(),
        title: e.title.to_string(),
        tlp: Marking::of(e.tlp),
        provenance,
        sections: vec![
            identification,
            reported_by,
            description,
            times,
            observables,
            assessment,
            Section::new("Related").table(related),
        ],
    }
}

/// A duration in days, hours and minutes.
fn lasted(start: &rampart_domain::Timestamp, end: &rampart_domain::Timestamp) -> String {
    let minutes = (end.as_offset() - start.as_offset()).whole_minutes().max(0);
    let (d, h, m) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h {m} min"),
    }
}
