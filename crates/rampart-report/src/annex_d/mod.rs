//! The reports of Annex D: the incident report, the event report and the
//! vulnerability report, each with every field of its record (domain.md
//! section 5); a field left empty says so.

mod event;
mod incident;
mod vulnerability;

pub use event::event_report;
pub use incident::{IncidentSources, incident_report};
pub use vulnerability::vulnerability_report;

use rampart_domain::Review;

use crate::document::{Section, Table, at, field, list, when, when_opt, yes_no};

/// A table of observables under `columns` (kind and value first).
fn observables_table(columns: &[(&str, u8)], rows: impl Iterator<Item = Vec<String>>) -> Section {
    let mut t = Table::new(
        "Observables (IP addresses, domains, URLs, hashes, accounts, hosts, e-mail)",
        columns,
        "No observables were recorded.",
    );
    for r in rows {
        t.row(r);
    }
    Section::new("Observables").table(t)
}

/// The lessons-learned review of a record: its findings, lessons and
/// improvement actions.
fn review_sections(r: Option<&Review>, record: &str) -> Vec<Section> {
    let Some(r) = r else {
        return vec![Section::new("Lessons learned").note(format!(
            "No lessons-learned review of this {record} has been recorded yet."
        ))];
    };
    let findings = Section::new("Lessons learned")
        .fields(vec![
            field(
                "Review",
                Some(format!(
                    "version {}, recorded by {} at {}",
                    r.version,
                    r.recorded_by,
                    when(&r.recorded_at)
                )),
            ),
            field("Held", when_opt(r.held_at.as_ref())),
            field(
                "Was communication effective",
                r.communication_effective.map(yes_no),
            ),
            field("Same root cause as", list(&r.same_root_cause_as)),
        ])
        .text(
            "What worked well",
            r.what_worked.as_ref().map(ToString::to_string),
        )
        .text(
            "What would have helped detection",
            r.detection.as_ref().map(ToString::to_string),
        )
        .text(
            "What would have helped the response",
            r.response.as_ref().map(ToString::to_string),
        )
        .text(
            "What would have helped recovery",
            r.recovery.as_ref().map(ToString::to_string),
        )
        .text(
            "On communication",
            r.communication_notes.as_ref().map(ToString::to_string),
        );
    let mut lessons = Table::new(
        "Lessons",
        &[("#", 1), ("Lesson", 12)],
        "No lessons were recorded.",
    );
    for (n, l) in r.lessons.iter().enumerate() {
        lessons.row(vec![(n + 1).to_string(), l.to_string()]);
    }
    let mut actions = Table::new(
        "Improvement actions",
        &[
            ("#", 1),
            ("What", 7),
            ("Owner", 3),
            ("Due (UTC)", 3),
            ("Changes", 4),
        ],
        "No improvement actions were recorded.",
    );
    for (n, a) in r.improvements.iter().enumerate() {
        actions.row(vec![
            (n + 1).to_string(),
            a.what.to_string(),
            a.owner.to_string(),
            a.due.as_ref().map(at).unwrap_or_default(),
            a.changes
                .as_ref()
                .map(|c| format!("{}: {}", c.kind, c.target))
                .unwrap_or_default(),
        ]);
    }
    vec![findings.table(lessons).table(actions)]
}
